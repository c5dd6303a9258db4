package twilio

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/phone"
)

// Bridged callbacks through Twilio. The Dialer posts to the Calls resource, calling the
// counsellor's phone from the helpline's caller id; Twilio then asks BridgePath's routes, each
// signed with X-Twilio-Signature:
//
//	…/answer   the counsellor answered: a whisper asks her to press 1, so her voicemail never
//	           goes on to dial the survivor
//	…/connect  she pressed 1: her plan is checked again and the survivor is dialled from the
//	           helpline's caller id, nothing said or recorded on her line before a person is there
//	…/dialed   the survivor's leg ended: answered, busy, no answer; then a key for "not safe"
//	…/outcome  the counsellor pressed 9: not safe
//	…/status   the counsellor's own leg ended (StatusCallback): unanswered, busy or failed
//
// A callback repeated by Twilio is recorded once.

// BridgePath is where the bridged call webhooks live: BridgePath/{id}/{step}.
const BridgePath = "/voice/twilio/bridge"

// CallProvider names Twilio's Dialer in the outbox.
var CallProvider = outbox.CallProvider(Provider)

// callRing is how long the survivor's phone rings: short, so that her voicemail does not take
// the call before the counsellor is told nobody answered.
const callRing = 20

// Dialer places bridged calls through Twilio's Calls resource.
type Dialer struct {
	BaseURL    string // LiveURL or a test server
	AccountSID string
	AuthToken  string
	// PublicURL is where Twilio reaches the gateway; Token the gateway's webhook token, if any.
	PublicURL string
	Token     string
	// CallerID is the helpline's number per country of her number.
	CallerID outbox.CallerIDs
	Client   *http.Client
}

// NewDialer returns the Dialer for c's account, calling from callerID.
func NewDialer(c Config, webhookToken string, callerID outbox.CallerIDs) *Dialer {
	return &Dialer{BaseURL: c.BaseURL, AccountSID: c.AccountSID, AuthToken: c.AuthToken, PublicURL: strings.TrimRight(c.PublicURL, "/"), Token: webhookToken, CallerID: callerID}
}

// Name is CallProvider.
func (d *Dialer) Name() string { return CallProvider }

// bridgeURL is step's webhook for call id, with the gateway's token.
func bridgeURL(public, token string, id uint64, step string) string {
	u := strings.TrimRight(public, "/") + BridgePath + "/" + strconv.FormatUint(id, 10) + "/" + step
	if token != "" {
		u += "/" + token
	}
	return u
}

// Dial asks Twilio to call r.First from the helpline's caller id for her country.
func (d *Dialer) Dial(ctx context.Context, r outbox.CallRequest) (outbox.Receipt, error) {
	from := d.CallerID.For(r.Country)
	if from == "" {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "no helpline caller id for " + r.Country}
	}
	base := d.BaseURL
	if base == "" {
		base = LiveURL
	}
	form := url.Values{
		"To": {r.First}, "From": {from},
		"Url":                 {bridgeURL(d.PublicURL, d.Token, r.ID, "answer")},
		"Method":              {"POST"},
		"StatusCallback":      {bridgeURL(d.PublicURL, d.Token, r.ID, "status")},
		"StatusCallbackEvent": {"completed"},
		"Timeout":             {"30"},
	}
	u := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(d.AccountSID) + "/Calls.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: err.Error()}
	}
	req.SetBasicAuth(d.AccountSID, d.AuthToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := gateway.Client(d.Client).Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	var out struct {
		SID     string `json:"sid"`
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &out)
	if (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK) && out.SID != "" {
		return outbox.Receipt{ProviderID: out.SID}, nil
	}
	return outbox.Receipt{}, &outbox.SendError{Permanent: resp.StatusCode/100 == 4, Status: resp.StatusCode, Code: strconv.Itoa(out.Code), Msg: out.Message}
}

// Calls is what the bridge webhooks need of the outbox.
type Calls interface {
	Connect(ctx context.Context, id uint64) (string, error)
	CallOutcome(ctx context.Context, id uint64, outcome casebook.BridgeOutcome, reason string) (bool, error)
}

// Bridge serves the bridged call webhooks.
type Bridge struct {
	h        *Handler
	calls    Calls
	callerID outbox.CallerIDs
	token    string
}

// RegisterBridge adds POST BridgePath/:id/{answer,connect,dialed,outcome,status}, verified by
// X-Twilio-Signature (and the gateway's webhook token, which the Dialer's URLs carry).
func RegisterBridge(g *gateway.Gateway, cfg Config, webhookToken string, calls Calls, callerID outbox.CallerIDs) *Bridge {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	b := &Bridge{h: &Handler{g: g, cfg: cfg}, calls: calls, callerID: callerID, token: webhookToken}
	for step, fn := range map[string]fiber.Handler{"answer": b.answer, "connect": b.connect, "dialed": b.dialed, "outcome": b.outcome, "status": b.status} {
		g.Webhook(fiber.MethodPost, BridgePath+"/:id/"+step, g.Observed(Provider+"-bridge", fn))
	}
	return b
}

func (b *Bridge) url(id uint64, step string) string {
	return bridgeURL(b.h.cfg.PublicURL, b.token, id, step)
}

// begin verifies the request and reads the call's id.
func (b *Bridge) begin(c *fiber.Ctx) (url.Values, uint64, error) {
	params, err := b.h.verify(c)
	if err != nil {
		return nil, 0, err
	}
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil || id == 0 {
		return nil, 0, onestop.Errorf(onestop.EINVALID, "bad call id")
	}
	return params, id, nil
}

// The whispers, said only on the counsellor's phone.
const (
	sayPress   = `<Say language="en-IN">Callback. Press 1 to connect the caller.</Say>`
	sayRefused = `<Say language="en-IN">Her plan does not allow a call now. Nothing was dialled.</Say>`
	sayNotSafe = `<Say language="en-IN">If someone else answered, or it was not safe, press 9.</Say>`
	sayNoted   = `<Say language="en-IN">Noted. Nobody will call this number.</Say>`
)

func (b *Bridge) answer(c *fiber.Ctx) error {
	_, id, err := b.begin(c)
	if err != nil {
		return err
	}
	u := esc(b.url(id, "connect"))
	return twiml(c, `<Gather input="dtmf" numDigits="1" timeout="10" action="`+u+`" method="POST">`+sayPress+`</Gather><Redirect method="POST">`+u+`</Redirect>`)
}

func (b *Bridge) connect(c *fiber.Ctx) error {
	params, id, err := b.begin(c)
	if err != nil {
		return err
	}
	if params.Get("Digits") != "1" {
		// No key: a voicemail, or a counsellor who could not take it. Nobody is dialled.
		if _, err := b.calls.CallOutcome(c.UserContext(), id, casebook.BridgeNoAnswer, "the counsellor pressed no key"); err != nil {
			return err
		}
		return twiml(c, `<Hangup/>`)
	}
	number, err := b.calls.Connect(c.UserContext(), id)
	switch onestop.ErrorCode(err) {
	case "":
	case onestop.EFORBIDDEN:
		return twiml(c, sayRefused+`<Hangup/>`)
	default:
		return err
	}
	region := ""
	if n, err := phone.Parse(number, ""); err == nil {
		region = n.Region
	}
	from := b.callerID.For(region)
	if from == "" {
		if _, err := b.calls.CallOutcome(c.UserContext(), id, casebook.BridgeFailed, "no helpline caller id for "+region); err != nil {
			return err
		}
		return twiml(c, sayRefused+`<Hangup/>`)
	}
	return twiml(c, `<Dial callerId="`+esc(from)+`" timeout="`+strconv.Itoa(callRing)+`" answerOnBridge="true" record="do-not-record" action="`+esc(b.url(id, "dialed"))+`" method="POST"><Number>`+esc(number)+`</Number></Dial>`)
}

// dialStatus maps DialCallStatus to the case's outcomes.
var dialStatus = map[string]casebook.BridgeOutcome{
	"completed": casebook.BridgeAnswered, "answered": casebook.BridgeAnswered,
	"busy": casebook.BridgeBusy, "no-answer": casebook.BridgeNoAnswer,
	"failed": casebook.BridgeFailed, "canceled": casebook.BridgeNoAnswer,
}

func (b *Bridge) dialed(c *fiber.Ctx) error {
	params, id, err := b.begin(c)
	if err != nil {
		return err
	}
	outcome, ok := dialStatus[params.Get("DialCallStatus")]
	if !ok {
		return onestop.Errorf(onestop.EINVALID, "unknown DialCallStatus")
	}
	if _, err := b.calls.CallOutcome(c.UserContext(), id, outcome, ""); err != nil {
		return err
	}
	u := esc(b.url(id, "outcome"))
	return twiml(c, `<Gather input="dtmf" numDigits="1" timeout="8" action="`+u+`" method="POST">`+sayNotSafe+`</Gather><Hangup/>`)
}

func (b *Bridge) outcome(c *fiber.Ctx) error {
	params, id, err := b.begin(c)
	if err != nil {
		return err
	}
	if params.Get("Digits") != "9" {
		return twiml(c, `<Hangup/>`)
	}
	if _, err := b.calls.CallOutcome(c.UserContext(), id, casebook.BridgeNotSafe, "the counsellor pressed 9"); err != nil {
		return err
	}
	return twiml(c, sayNoted+`<Hangup/>`)
}

// legStatus maps the counsellor's leg's final CallStatus to the case's outcomes; completed
// says nothing the other steps have not.
var legStatus = map[string]casebook.BridgeOutcome{
	"busy": casebook.BridgeBusy, "no-answer": casebook.BridgeNoAnswer, "failed": casebook.BridgeFailed, "canceled": casebook.BridgeFailed,
}

func (b *Bridge) status(c *fiber.Ctx) error {
	params, id, err := b.begin(c)
	if err != nil {
		return err
	}
	st := params.Get("CallStatus")
	if st == "" {
		return onestop.Errorf(onestop.EINVALID, "missing CallStatus")
	}
	if outcome, ok := legStatus[st]; ok {
		if _, err := b.calls.CallOutcome(c.UserContext(), id, outcome, "the counsellor's phone: "+st); err != nil {
			return err
		}
	}
	c.Status(fiber.StatusNoContent)
	return nil
}
