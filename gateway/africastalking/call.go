package africastalking

import (
	"context"
	"encoding/json"
	"encoding/xml"
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

// Bridged callbacks through Africa's Talking. The Dialer asks AT's voice API to call the
// counsellor's phone from the helpline's caller id, an AT number of its own whose voice callback
// the operator points at BridgePath (with the gateway's webhook token: AT signs nothing). AT then
// posts each step of the call there, naming it by clientRequestId:
//
//	answered, no digits  a whisper asks the counsellor to press 1 (GetDigits), so her voicemail
//	                     never goes on to dial the survivor
//	dtmfDigits=1         her plan is checked again and the survivor is dialled from the caller id
//	isActive=0           the call ended: answered, no answer or failed, recorded once
//
// "Not safe" is recorded by the counsellor on the callback queue after the call, since nothing
// runs on AT's side after an answered Dial.

// VoiceURL is Africa's Talking's voice API host.
const VoiceURL = "https://voice.africastalking.com"

// BridgePath is the bridged call webhook: the caller id number's voice callback.
const BridgePath = "/voice/africastalking/bridge"

// CallProvider names AT's Dialer in the outbox.
var CallProvider = outbox.CallProvider(Provider)

// callRequestPrefix starts the clientRequestId of a bridged call; the rest is its outbox ID.
const callRequestPrefix = "bridge-"

// Dialer places bridged calls through AT's POST /call.
type Dialer struct {
	BaseURL  string // VoiceURL or a test server
	Username string
	APIKey   string
	CallerID outbox.CallerIDs
	Client   *http.Client
}

// NewDialer returns the Dialer for c's account, calling from callerID (AT numbers of the
// account).
func NewDialer(c Config, voiceURL string, callerID outbox.CallerIDs) *Dialer {
	return &Dialer{BaseURL: voiceURL, Username: c.Username, APIKey: c.APIKey, CallerID: callerID}
}

// Name is CallProvider.
func (d *Dialer) Name() string { return CallProvider }

// Dial asks AT to call r.First from the helpline's number for her country.
func (d *Dialer) Dial(ctx context.Context, r outbox.CallRequest) (outbox.Receipt, error) {
	from := d.CallerID.For(r.Country)
	if from == "" {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "no helpline caller id for " + r.Country}
	}
	base := d.BaseURL
	if base == "" {
		base = VoiceURL
	}
	form := url.Values{"username": {d.Username}, "from": {from}, "to": {r.First}, "clientRequestId": {callRequestPrefix + strconv.FormatUint(r.ID, 10)}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/call", strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: err.Error()}
	}
	req.Header.Set("apiKey", d.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := gateway.Client(d.Client).Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("africastalking: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	var out struct {
		Entries []struct {
			PhoneNumber string `json:"phoneNumber"`
			Status      string `json:"status"`
			SessionID   string `json:"sessionId"`
		} `json:"entries"`
		ErrorMessage string `json:"errorMessage"`
	}
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
		return outbox.Receipt{}, &outbox.SendError{Status: resp.StatusCode, Msg: firstLine(body)}
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.Entries) == 0 {
		return outbox.Receipt{}, &outbox.SendError{Status: resp.StatusCode, Msg: "no call queued: " + out.ErrorMessage}
	}
	e := out.Entries[0]
	if e.Status != "Queued" || e.SessionID == "" {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: resp.StatusCode, Code: e.Status, Msg: out.ErrorMessage}
	}
	return outbox.Receipt{ProviderID: e.SessionID}, nil
}

// Calls is what the bridge webhook needs of the outbox.
type Calls interface {
	Connect(ctx context.Context, id uint64) (string, error)
	CallOutcome(ctx context.Context, id uint64, outcome casebook.BridgeOutcome, reason string) (bool, error)
}

// Bridge serves the bridged call webhook.
type Bridge struct {
	g        *gateway.Gateway
	calls    Calls
	callerID outbox.CallerIDs
	// callback is the webhook's public https URL with its token, for GetDigits.
	callback string
}

// RegisterBridge adds POST BridgePath. publicURL is where AT reaches the gateway (https), token
// the gateway's webhook token: GetDigits posts back to publicURL+BridgePath+"/"+token.
func RegisterBridge(g *gateway.Gateway, publicURL, token string, calls Calls, callerID outbox.CallerIDs) *Bridge {
	cb := strings.TrimRight(publicURL, "/") + BridgePath
	if token != "" {
		cb += "/" + token
	}
	b := &Bridge{g: g, calls: calls, callerID: callerID, callback: cb}
	g.Webhook(fiber.MethodPost, BridgePath, g.Observed(Provider+"-bridge", b.Voice))
	return b
}

func voiceXML(c *fiber.Ctx, inner string) error {
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response>` + inner + `</Response>`)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// Voice answers one step of a bridged call.
func (b *Bridge) Voice(c *fiber.Ctx) error {
	get, err := smsForm(c)
	if err != nil {
		return err
	}
	req := get("clientRequestId")
	id, err := strconv.ParseUint(strings.TrimPrefix(req, callRequestPrefix), 10, 64)
	if !strings.HasPrefix(req, callRequestPrefix) || err != nil || id == 0 {
		return onestop.Errorf(onestop.EINVALID, "not a bridged call: no clientRequestId")
	}
	ctx := c.UserContext()
	switch get("isActive") {
	case "0":
		outcome := casebook.BridgeNoAnswer
		switch {
		case get("dialDestinationNumber") != "" && get("dialDurationInSeconds") != "" && get("dialDurationInSeconds") != "0":
			outcome = casebook.BridgeAnswered
		case strings.Contains(strings.ToLower(get("hangupCause")), "busy"):
			outcome = casebook.BridgeBusy
		case strings.EqualFold(get("status"), "Failed"):
			outcome = casebook.BridgeFailed
		}
		if _, err := b.calls.CallOutcome(ctx, id, outcome, get("hangupCause")); err != nil {
			return err
		}
		c.Status(fiber.StatusOK)
		return nil
	case "1":
	default:
		return onestop.Errorf(onestop.EINVALID, "isActive must be 0 or 1")
	}
	digits := get("dtmfDigits")
	if digits == "" {
		return voiceXML(c, `<GetDigits numDigits="1" timeout="10" finishOnKey="#" callbackUrl="`+esc(b.callback)+`"><Say>Callback. Press 1 to connect the caller.</Say></GetDigits>`)
	}
	if digits != "1" {
		if _, err := b.calls.CallOutcome(ctx, id, casebook.BridgeNoAnswer, "the counsellor pressed no key to connect"); err != nil {
			return err
		}
		return voiceXML(c, `<Say>Nothing was dialled.</Say>`)
	}
	number, err := b.calls.Connect(ctx, id)
	switch onestop.ErrorCode(err) {
	case "":
	case onestop.EFORBIDDEN:
		return voiceXML(c, `<Say>Her plan does not allow a call now. Nothing was dialled.</Say>`)
	default:
		return err
	}
	region := ""
	if n, err := phone.Parse(number, ""); err == nil {
		region = n.Region
	}
	from := b.callerID.For(region)
	if from == "" {
		if _, err := b.calls.CallOutcome(ctx, id, casebook.BridgeFailed, "no helpline caller id for "+region); err != nil {
			return err
		}
		return voiceXML(c, `<Say>Her plan does not allow a call now. Nothing was dialled.</Say>`)
	}
	return voiceXML(c, `<Dial phoneNumbers="`+esc(number)+`" callerId="`+esc(from)+`" record="false" maxDuration="3600"/>`)
}
