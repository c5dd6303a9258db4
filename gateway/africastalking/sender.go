package africastalking

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

// LiveURL and SandboxURL are Africa's Talking's SMS API hosts.
const (
	LiveURL    = "https://api.africastalking.com"
	SandboxURL = "https://api.sandbox.africastalking.com"
)

// Config is what sending through Africa's Talking needs: the account and its sender id.
type Config struct {
	Username string
	APIKey   string
	// BaseURL is the API host: LiveURL, SandboxURL or a test server. Empty picks LiveURL, or
	// SandboxURL for the username "sandbox".
	BaseURL string
	// Sender is the sender id or short code; empty uses the account's default.
	Sender string
}

// Enabled says whether an account is configured: without both a username and an API key,
// nothing can be sent through Africa's Talking.
func (c Config) Enabled() bool { return c.Username != "" && c.APIKey != "" }

// NewSender returns the outbox's Sender for c's account.
func NewSender(c Config) *Sender {
	return &Sender{BaseURL: c.BaseURL, Username: c.Username, APIKey: c.APIKey, From: c.Sender}
}

// Sender sends SMS through Africa's Talking's bulk SMS API (POST /version1/messaging).
type Sender struct {
	// BaseURL is the API host: LiveURL, SandboxURL (for the username "sandbox") or a test server.
	BaseURL  string
	Username string
	APIKey   string
	// From is the sender id or short code; empty uses the account's default.
	From   string
	Client *http.Client
}

// Name is Provider: the outbox hands this Sender the messages queued for Africa's Talking.
func (s *Sender) Name() string { return Provider }

// recipientOK are Africa's Talking's per-recipient codes for an accepted message: processed,
// sent, queued.
var recipientOK = map[int]bool{100: true, 101: true, 102: true}

// recipientPermanent are the codes no retry can fix: invalid sender id or number, unsupported
// number type, a recipient on the blacklist or refusing promotional SMS.
var recipientPermanent = map[int]bool{402: true, 403: true, 404: true, 406: true, 409: true}

// Send posts m. Calls are not supported by this client and fail permanently.
func (s *Sender) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	if m.Kind != outbox.SMS {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: "africastalking: only SMS"}
	}
	base := s.BaseURL
	if base == "" {
		base = LiveURL
		if s.Username == "sandbox" {
			base = SandboxURL
		}
	}
	form := url.Values{"username": {s.Username}, "to": {m.To}, "message": {m.Text}, "bulkSMSMode": {"1"}}
	if s.From != "" {
		form.Set("from", s.From)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(base, "/")+"/version1/messaging", strings.NewReader(form.Encode()))
	if err != nil {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Msg: err.Error()}
	}
	req.Header.Set("apiKey", s.APIKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := gateway.Client(s.Client).Do(req)
	if err != nil {
		return outbox.Receipt{}, fmt.Errorf("africastalking: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		// 401 (a wrong key) and 400 are the operator's to fix; retrying keeps the message
		// until they do, and it dies after the last attempt rather than at once.
		return outbox.Receipt{}, gateway.Transient(resp.StatusCode, "", firstLine(body), resp.Header)
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
		return outbox.Receipt{}, gateway.Transient(resp.StatusCode, "", "unreadable answer", resp.Header)
	}
	if len(out.SMSMessageData.Recipients) == 0 {
		// AT answers "InvalidPhoneNumber" or similar in Message when it took no recipient.
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: resp.StatusCode, Msg: out.SMSMessageData.Message}
	}
	r := out.SMSMessageData.Recipients[0]
	switch {
	case recipientOK[r.StatusCode]:
		return outbox.Receipt{ProviderID: r.MessageID}, nil
	case recipientPermanent[r.StatusCode]:
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: resp.StatusCode, Code: strconv.Itoa(r.StatusCode), Msg: r.Status}
	}
	return outbox.Receipt{}, gateway.Transient(resp.StatusCode, strconv.Itoa(r.StatusCode), r.Status, resp.Header)
}

// firstLine is what the operator is shown of an answer that is not JSON: its first line, at
// most 200 bytes.
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
