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

	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
)

// LiveURL is Twilio's REST API host.
const LiveURL = "https://api.twilio.com"

// NewSender returns the outbox's Sender for c's account. Twilio reports each message's delivery
// to c.PublicURL's StatusPath, followed by webhookToken when one is set, since the gateway
// refuses a webhook without it.
func NewSender(c Config, webhookToken string) *Sender {
	callback := strings.TrimRight(c.PublicURL, "/") + StatusPath
	if webhookToken != "" {
		callback += "/" + webhookToken
	}
	return &Sender{BaseURL: c.BaseURL, AccountSID: c.AccountSID, AuthToken: c.AuthToken, From: c.From, StatusCallback: callback}
}

// Sender sends SMS through Twilio's Messages resource.
type Sender struct {
	BaseURL    string // LiveURL or a test server
	AccountSID string
	AuthToken  string
	From       string
	// StatusCallback is the URL Twilio reports delivery to.
	StatusCallback string
	Client         *http.Client
}

// Name is Provider: the outbox hands this Sender the messages queued for Twilio.
func (s *Sender) Name() string { return Provider }

// permanent are Twilio error codes no retry can fix: invalid or unreachable numbers,
// unsubscribed or blocked recipients, and a body Twilio will not take.
var permanent = map[int]bool{21211: true, 21214: true, 21408: true, 21610: true, 21612: true, 21614: true, 21617: true, 21602: true, 30004: true, 30005: true, 30006: true}

// Send posts m. Calls are not supported by this client and fail permanently.
func (s *Sender) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	if m.Kind != outbox.SMS {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "twilio: only SMS"}
	}
	base := s.BaseURL
	if base == "" {
		base = LiveURL
	}
	form := url.Values{"To": {m.To}, "From": {s.From}, "Body": {m.Text}}
	if s.StatusCallback != "" {
		form.Set("StatusCallback", s.StatusCallback)
	}
	u := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(s.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: err.Error()}
	}
	req.SetBasicAuth(s.AccountSID, s.AuthToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := gateway.Client(s.Client).Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	var out struct {
		SID          string `json:"sid"`
		Status       string `json:"status"`
		NumSegments  string `json:"num_segments"`
		ErrorCode    *int   `json:"error_code"`
		ErrorMessage string `json:"error_message"`
		// An error answer carries these instead.
		Code    int    `json:"code"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK {
		if out.SID == "" {
			return outbox.Receipt{}, gateway.Transient(resp.StatusCode, "", "answer without a sid", resp.Header)
		}
		if out.Status == "failed" || out.Status == "undelivered" {
			code := 0
			if out.ErrorCode != nil {
				code = *out.ErrorCode
			}
			return outbox.Receipt{}, &outbox.SendError{Permanent: permanent[code], Status: resp.StatusCode, Code: strconv.Itoa(code), Msg: out.ErrorMessage}
		}
		n, _ := strconv.Atoi(out.NumSegments)
		return outbox.Receipt{ProviderID: out.SID, Segments: n}, nil
	}
	code := strconv.Itoa(out.Code)
	if resp.StatusCode == http.StatusBadRequest && permanent[out.Code] {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: resp.StatusCode, Code: code, Msg: out.Message}
	}
	return outbox.Receipt{}, gateway.Transient(resp.StatusCode, code, out.Message, resp.Header)
}
