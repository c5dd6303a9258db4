package exotel

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

// Bridged callbacks through Exotel (India). The CallDialer posts to Exotel's Calls/connect with
// From the counsellor's phone, CallerId the helpline's ExoPhone and Url a call flow the operator
// builds once in Exotel's dashboard, CustomField naming the call:
//
//	Gather applet, dynamic URL CallBridgePath/gather    whispers "press 1" to the counsellor, so
//	                                                     her voicemail never goes on
//	Passthru applet (sync), CallBridgePath/connect      200 when she pressed 1 and the survivor's
//	                                                     plan allows the call now; 302 otherwise
//	Connect applet, dynamic URL CallBridgePath/dial     the survivor's number, from the ExoPhone,
//	                                                     not recorded
//	StatusCallback CallBridgePath/status                how the call ended, recorded once
//
// Exotel signs nothing: every route is guarded by the gateway's webhook token.

// CallAPIURL is Exotel's API host (Singapore cluster; "https://api.in.exotel.com" for Mumbai).
const CallAPIURL = "https://api.exotel.com"

// CallBridgePath is where the bridged call webhooks live.
const CallBridgePath = "/voice/exotel/bridge"

// CallProvider names Exotel's CallDialer in the outbox.
var CallProvider = outbox.CallProvider("exotel")

// CallDialer places bridged calls through Exotel's Calls/connect.
type CallDialer struct {
	BaseURL  string // CallAPIURL or a test server
	SID      string
	APIKey   string
	APIToken string
	// FlowURL is the call flow's start URL: http://my.exotel.com/{sid}/exoml/start_voice/{app_id}.
	FlowURL string
	// StatusURL is where Exotel reports how the call ended (CallBridgePath+"/status", with token).
	StatusURL string
	CallerID  outbox.CallerIDs
	Client    *http.Client
}

// Name is CallProvider.
func (d *CallDialer) Name() string { return CallProvider }

// Dial asks Exotel to call r.First from the ExoPhone for her country into the bridge flow.
func (d *CallDialer) Dial(ctx context.Context, r outbox.CallRequest) (outbox.Receipt, error) {
	from := d.CallerID.For(r.Country)
	if from == "" {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "no helpline caller id for " + r.Country}
	}
	base := d.BaseURL
	if base == "" {
		base = CallAPIURL
	}
	form := url.Values{"From": {r.First}, "CallerId": {from}, "Url": {d.FlowURL}, "CallType": {"trans"}, "TimeLimit": {"3600"}, "TimeOut": {"30"},
		"CustomField": {strconv.FormatUint(r.ID, 10)}}
	if d.StatusURL != "" {
		form.Set("StatusCallback", d.StatusURL)
	}
	u := strings.TrimRight(base, "/") + "/v1/Accounts/" + url.PathEscape(d.SID) + "/Calls/connect.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: err.Error()}
	}
	req.SetBasicAuth(d.APIKey, d.APIToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := gateway.Client(d.Client).Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("exotel: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	var out struct {
		Call struct {
			Sid string `json:"Sid"`
		} `json:"Call"`
		RestException struct {
			Code    any    `json:"Code"`
			Message string `json:"Message"`
		} `json:"RestException"`
	}
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode/100 == 2 && out.Call.Sid != "" {
		return outbox.Receipt{ProviderID: out.Call.Sid}, nil
	}
	return outbox.Receipt{}, &outbox.SendError{Permanent: resp.StatusCode/100 == 4, Status: resp.StatusCode, Code: fmt.Sprint(out.RestException.Code), Msg: out.RestException.Message}
}

// CallBridgeCalls is what the bridge webhooks need of the outbox.
type CallBridgeCalls interface {
	Connect(ctx context.Context, id uint64) (string, error)
	Connected(ctx context.Context, id uint64) (string, error)
	CallOutcome(ctx context.Context, id uint64, outcome casebook.BridgeOutcome, reason string) (bool, error)
}

// CallBridge serves the bridged call webhooks.
type CallBridge struct {
	calls    CallBridgeCalls
	callerID outbox.CallerIDs
}

// RegisterCallBridge adds GET CallBridgePath/{gather,connect,dial} and POST
// CallBridgePath/status, each behind the gateway's webhook token.
// bridgeLabel is the provider label of the bridged call's webhooks in the gateway's hop counts.
const bridgeLabel = "exotel-bridge"

func RegisterCallBridge(g *gateway.Gateway, calls CallBridgeCalls, callerID outbox.CallerIDs) *CallBridge {
	b := &CallBridge{calls: calls, callerID: callerID}
	g.Webhook(fiber.MethodGet, CallBridgePath+"/gather", g.Observed(bridgeLabel, b.gather))
	g.Webhook(fiber.MethodGet, CallBridgePath+"/connect", g.Observed(bridgeLabel, b.connect))
	g.Webhook(fiber.MethodGet, CallBridgePath+"/dial", g.Observed(bridgeLabel, b.dial))
	g.Webhook(fiber.MethodPost, CallBridgePath+"/status", g.Observed(bridgeLabel, b.status))
	return b
}

// callID reads the call's outbox ID from CustomField.
func callID(v string) (uint64, error) {
	id, err := strconv.ParseUint(strings.Trim(strings.TrimSpace(v), `"`), 10, 64)
	if err != nil || id == 0 {
		return 0, onestop.Errorf(onestop.EINVALID, "not a bridged call: no CustomField")
	}
	return id, nil
}

func (b *CallBridge) gather(c *fiber.Ctx) error {
	if _, err := callID(c.Query("CustomField")); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"gather_prompt": fiber.Map{"text": "Callback. Press 1 to connect the caller."}, "max_input_digits": 1, "finish_on_key": "#", "input_timeout": 10, "repeat_menu": 1})
}

// connect is the Passthru: 200 connects, 302 hangs up.
func (b *CallBridge) connect(c *fiber.Ctx) error {
	id, err := callID(c.Query("CustomField"))
	if err != nil {
		return err
	}
	if strings.Trim(c.Query("digits"), `" `) != "1" {
		if _, err := b.calls.CallOutcome(c.UserContext(), id, casebook.BridgeNoAnswer, "the counsellor pressed no key"); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusFound)
	}
	if _, err := b.calls.Connect(c.UserContext(), id); err != nil {
		if onestop.ErrorCode(err) == onestop.EFORBIDDEN {
			return c.SendStatus(fiber.StatusFound)
		}
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}

func (b *CallBridge) dial(c *fiber.Ctx) error {
	id, err := callID(c.Query("CustomField"))
	if err != nil {
		return err
	}
	number, err := b.calls.Connected(c.UserContext(), id)
	if err != nil {
		return err
	}
	region := ""
	if n, err := phone.Parse(number, ""); err == nil {
		region = n.Region
	}
	from := b.callerID.For(region)
	if from == "" {
		return onestop.Errorf(onestop.EFORBIDDEN, "no helpline caller id for %s", region)
	}
	return c.JSON(fiber.Map{"fetch_after_attempt": false, "destination": fiber.Map{"numbers": []string{number}}, "outgoing_phone_number": from,
		"record": false, "max_ringing_duration": 20, "max_conversation_duration": 3600})
}

// callStatus maps Exotel's final Status to the case's outcomes. "completed" says the
// counsellor's leg ended, not whether the survivor was reached: the counsellor records that on
// the queue.
var callStatus = map[string]casebook.BridgeOutcome{
	"busy": casebook.BridgeBusy, "no-answer": casebook.BridgeNoAnswer, "failed": casebook.BridgeFailed,
}

func (b *CallBridge) status(c *fiber.Ctx) error {
	id, err := callID(string(c.Request().PostArgs().Peek("CustomField")))
	if err != nil {
		return err
	}
	st := strings.ToLower(string(c.Request().PostArgs().Peek("Status")))
	outcome, ok := callStatus[st]
	if !ok {
		if st == "completed" {
			return c.SendStatus(fiber.StatusOK)
		}
		return onestop.Errorf(onestop.EINVALID, "unknown Status")
	}
	if _, err := b.calls.CallOutcome(c.UserContext(), id, outcome, ""); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusOK)
}
