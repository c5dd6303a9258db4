package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onestop-helpline/onestop/phone"
)

// LogName names the log sender: the default, with no provider configured.
const LogName = "log"

// LogSender writes each message to the log instead of sending it, the number masked.
type LogSender struct {
	Log *slog.Logger
	n   atomic.Uint64
}

// Name is "log".
func (s *LogSender) Name() string { return LogName }

// Idempotent is true: writing a line again loses nothing and reaches no phone.
func (s *LogSender) Idempotent() bool { return true }

// Send logs m: its masked recipient and the name of its template (its cause when it has none),
// never its text or the whole number, since a log is read by more people than a phone. It never
// fails.
func (s *LogSender) Send(_ context.Context, m *Message) (Receipt, error) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	id := "log-" + strconv.FormatUint(s.n.Add(1), 10)
	to := m.Masked
	if to == "" {
		if n, err := phone.Parse(m.To, ""); err == nil {
			to = n.Mask()
		}
	}
	template := m.Template
	if template == "" {
		template = string(m.Cause)
	}
	log.Info("outbox: not sent (no provider configured)", "id", m.ID, "kind", m.Kind, "audience", m.Audience,
		"to", to, "template", template, "encoding", m.Encoding, "segments", m.Segments)
	return Receipt{ProviderID: id, Delivered: true}, nil
}

// maxResponse bounds what is read of a provider's answer.
const maxResponse = 64 << 10

// retryAfter reads a Retry-After header in seconds.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}

// transient is a failure worth retrying: the provider's server, its rate limit, or the network.
func transient(status int, code, msg string, h http.Header) *SendError {
	return &SendError{Status: status, Code: code, Msg: msg, RetryAfter: retryAfter(h)}
}

// ATName names Africa's Talking.
const ATName = "africastalking"

// ATLive and ATSandbox are Africa's Talking's SMS API hosts.
const (
	ATLive    = "https://api.africastalking.com"
	ATSandbox = "https://api.sandbox.africastalking.com"
)

// ATSender sends SMS through Africa's Talking's bulk SMS API (POST /version1/messaging).
type ATSender struct {
	// BaseURL is the API host: ATLive, ATSandbox (for the username "sandbox") or a test server.
	BaseURL  string
	Username string
	APIKey   string
	// From is the sender id or short code; empty uses the account's default.
	From   string
	Client *http.Client
}

// Name is "africastalking".
func (s *ATSender) Name() string { return ATName }

// atRecipientOK are Africa's Talking's per-recipient codes for an accepted message: processed,
// sent, queued.
var atRecipientOK = map[int]bool{100: true, 101: true, 102: true}

// atRecipientPermanent are the codes no retry can fix: invalid sender id or number, unsupported
// number type, a recipient on the blacklist or refusing promotional SMS.
var atRecipientPermanent = map[int]bool{402: true, 403: true, 404: true, 406: true, 409: true}

// Send posts m. Calls are not supported by this client and fail permanently.
func (s *ATSender) Send(ctx context.Context, m *Message) (Receipt, error) {
	if m.Kind != SMS {
		return Receipt{}, &SendError{Permanent: true, Msg: "africastalking: only SMS"}
	}
	base := s.BaseURL
	if base == "" {
		base = ATLive
		if s.Username == "sandbox" {
			base = ATSandbox
		}
	}
	form := url.Values{"username": {s.Username}, "to": {m.To}, "message": {m.Text}, "bulkSMSMode": {"1"}}
	if s.From != "" {
		form.Set("from", s.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/version1/messaging", strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, &SendError{Permanent: true, Msg: err.Error()}
	}
	req.Header.Set("apiKey", s.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client(s.Client).Do(req)
	if err != nil {
		return Receipt{}, fmt.Errorf("africastalking: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		// 401 (a wrong key) and 400 are the operator's to fix; retrying keeps the message
		// until they do, and it dies after the last attempt rather than at once.
		return Receipt{}, transient(resp.StatusCode, "", firstLine(body), resp.Header)
	}
	var out struct {
		SMSMessageData struct {
			Message    string
			Recipients []struct {
				StatusCode int    `json:"statusCode"`
				Number     string `json:"number"`
				Status     string `json:"status"`
				MessageID  string `json:"messageId"`
			}
		}
	}
	if err := json.Unmarshal(body, &out); err != nil {
		return Receipt{}, transient(resp.StatusCode, "", "unreadable answer", resp.Header)
	}
	if len(out.SMSMessageData.Recipients) == 0 {
		// AT answers "InvalidPhoneNumber" or similar in Message when it took no recipient.
		return Receipt{}, &SendError{Permanent: true, Status: resp.StatusCode, Msg: out.SMSMessageData.Message}
	}
	r := out.SMSMessageData.Recipients[0]
	switch {
	case atRecipientOK[r.StatusCode]:
		return Receipt{ProviderID: r.MessageID}, nil
	case atRecipientPermanent[r.StatusCode]:
		return Receipt{}, &SendError{Permanent: true, Status: resp.StatusCode, Code: strconv.Itoa(r.StatusCode), Msg: r.Status}
	}
	return Receipt{}, transient(resp.StatusCode, strconv.Itoa(r.StatusCode), r.Status, resp.Header)
}

// TwilioName names Twilio.
const TwilioName = "twilio"

// TwilioLive is Twilio's REST API host.
const TwilioLive = "https://api.twilio.com"

// TwilioSender sends SMS through Twilio's Messages resource.
type TwilioSender struct {
	BaseURL    string // TwilioLive or a test server
	AccountSID string
	AuthToken  string
	From       string
	// StatusCallback is the URL Twilio reports delivery to.
	StatusCallback string
	Client         *http.Client
}

// Name is "twilio".
func (s *TwilioSender) Name() string { return TwilioName }

// twilioPermanent are Twilio error codes no retry can fix: invalid or unreachable numbers,
// unsubscribed or blocked recipients, and a body Twilio will not take.
var twilioPermanent = map[int]bool{21211: true, 21214: true, 21408: true, 21610: true, 21612: true, 21614: true, 21617: true, 21602: true, 30004: true, 30005: true, 30006: true}

// Send posts m. Calls are not supported by this client and fail permanently.
func (s *TwilioSender) Send(ctx context.Context, m *Message) (Receipt, error) {
	if m.Kind != SMS {
		return Receipt{}, &SendError{Permanent: true, Msg: "twilio: only SMS"}
	}
	base := s.BaseURL
	if base == "" {
		base = TwilioLive
	}
	form := url.Values{"To": {m.To}, "From": {s.From}, "Body": {m.Text}}
	if s.StatusCallback != "" {
		form.Set("StatusCallback", s.StatusCallback)
	}
	u := strings.TrimRight(base, "/") + "/2010-04-01/Accounts/" + url.PathEscape(s.AccountSID) + "/Messages.json"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return Receipt{}, &SendError{Permanent: true, Msg: err.Error()}
	}
	req.SetBasicAuth(s.AccountSID, s.AuthToken)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := client(s.Client).Do(req)
	if err != nil {
		return Receipt{}, fmt.Errorf("twilio: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
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
			return Receipt{}, transient(resp.StatusCode, "", "answer without a sid", resp.Header)
		}
		if out.Status == "failed" || out.Status == "undelivered" {
			code := 0
			if out.ErrorCode != nil {
				code = *out.ErrorCode
			}
			return Receipt{}, &SendError{Permanent: twilioPermanent[code], Status: resp.StatusCode, Code: strconv.Itoa(code), Msg: out.ErrorMessage}
		}
		n, _ := strconv.Atoi(out.NumSegments)
		return Receipt{ProviderID: out.SID, Segments: n}, nil
	}
	code := strconv.Itoa(out.Code)
	if resp.StatusCode == http.StatusBadRequest && twilioPermanent[out.Code] {
		return Receipt{}, &SendError{Permanent: true, Status: resp.StatusCode, Code: code, Msg: out.Message}
	}
	return Receipt{}, transient(resp.StatusCode, code, out.Message, resp.Header)
}

func client(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 30 * time.Second}
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
