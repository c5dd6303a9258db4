// Package twilio speaks Twilio's messaging, both ways: its webhooks (an inbound SMS and the
// StatusCallback that reports a sent message's delivery, both form POSTs signed with
// X-Twilio-Signature, HMAC-SHA1 of the public URL and the sorted parameters, keyed with the
// account's auth token), and the outbox's Sender that posts to its Messages resource.
//
// It knows the wire format and nothing of the conversation, and no other aggregator's format. It
// must never act on a request whose signature it has not verified, and never log a body.
package twilio

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"mime"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
)

// Provider names Twilio in messages and the outbox; it is the name's one definition.
const Provider = "twilio"

// MaxBody bounds a webhook's body: ten SMS parts, escaped, and Twilio's other parameters.
const MaxBody = 32 << 10

// Config is what verifying Twilio's signatures and sending through Twilio need.
type Config struct {
	// AccountSID is the account messages are sent from.
	AccountSID string
	// AuthToken is the account's auth token, the signing key.
	AuthToken string
	// PublicURL is the scheme and host (and any path prefix) Twilio calls, e.g.
	// "https://gw.example.org": behind a proxy the request's own Host cannot be trusted.
	PublicURL string
	// BaseURL is the REST API host: LiveURL, or a test server. Empty is LiveURL.
	BaseURL string
	// From is the number messages are sent from.
	From string
}

// Enabled says whether an account is configured: without both an account SID and an auth
// token, nothing can be sent through Twilio nor any of its signatures checked.
func (c Config) Enabled() bool { return c.AccountSID != "" && c.AuthToken != "" }

// Check returns what an enabled Config lacks, naming the setting the operator gives it in.
func (c Config) Check() error {
	switch {
	case c.Enabled() && c.PublicURL == "":
		return errors.New("ONESTOP_PUBLIC_URL must be set with Twilio: its signatures cover the URL it calls")
	case c.Enabled() && c.From == "":
		return errors.New("ONESTOP_TWILIO_FROM must be set with Twilio: the number messages are sent from")
	}
	return nil
}

// Handler serves Twilio's messaging webhooks.
type Handler struct {
	g       *gateway.Gateway
	cfg     Config
	sms     gateway.SMSReceiver
	reports gateway.DeliveryReports
}

// Register adds POST /sms/twilio/status and POST /sms/twilio to the gateway's webhooks. The
// status route is added first, so that with a webhook token the inbound route's optional token
// segment never swallows it.
func Register(g *gateway.Gateway, cfg Config, sms gateway.SMSReceiver, reports gateway.DeliveryReports) *Handler {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	h := &Handler{g: g, cfg: cfg, sms: sms, reports: reports}
	g.Webhook(fiber.MethodPost, "/sms/twilio/status", g.Observed(Provider+"-delivery", h.Status))
	g.Webhook(fiber.MethodPost, "/sms/twilio", h.Inbound)
	return h
}

// StatusPath is the StatusCallback path to give Twilio when sending.
const StatusPath = "/sms/twilio/status"

// Signature computes X-Twilio-Signature for a form POST to fullURL: HMAC-SHA1, keyed with the
// auth token, over the URL followed by each parameter's name and value, names in byte order (a
// repeated name contributes each of its values, sorted), base64-encoded.
func Signature(authToken, fullURL string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	m := hmac.New(sha1.New, []byte(authToken))
	m.Write([]byte(fullURL))
	for _, k := range keys {
		vs := append([]string(nil), params[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			m.Write([]byte(k))
			m.Write([]byte(v))
		}
	}
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// withAndWithoutPort returns u and u with its scheme's default port added or removed: Twilio may
// have signed either form.
func withAndWithoutPort(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		return []string{raw}
	}
	port := map[string]string{"https": "443", "http": "80"}[u.Scheme]
	if port == "" {
		return []string{raw}
	}
	other := *u
	if u.Port() == port {
		other.Host = u.Hostname()
	} else if u.Port() == "" {
		other.Host = u.Host + ":" + port
	} else {
		return []string{raw}
	}
	return []string{raw, other.String()}
}

// verify checks the request's signature against the public URL it was sent to. Returns 403 for
// a missing or wrong one, and for any request when no auth token is configured.
func (h *Handler) verify(c *fiber.Ctx) (url.Values, error) {
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationForm {
		return nil, fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/x-www-form-urlencoded")
	}
	if len(c.Body()) > MaxBody {
		return nil, fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than a messaging webhook")
	}
	params, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return nil, onestop.Errorf(onestop.EINVALID, "body is not a form")
	}
	sig := c.Get("X-Twilio-Signature")
	if h.cfg.AuthToken == "" || sig == "" {
		return nil, fiber.NewError(fiber.StatusForbidden, "missing or invalid signature")
	}
	full := h.cfg.PublicURL + string(c.Request().RequestURI())
	for _, u := range withAndWithoutPort(full) {
		if hmac.Equal([]byte(Signature(h.cfg.AuthToken, u, params)), []byte(sig)) {
			return params, nil
		}
	}
	return nil, fiber.NewError(fiber.StatusForbidden, "missing or invalid signature")
}

// emptyTwiML tells Twilio to send nothing back: the reply, if any, goes through the outbox,
// where it is kept, retried and checked like every other message.
const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// Inbound records one inbound text and queues its reply, answering with empty TwiML.
func (h *Handler) Inbound(c *fiber.Ctx) error {
	start := time.Now()
	params, err := h.verify(c)
	if err != nil {
		h.g.Metrics.Observe(Provider+"-sms", "rejected", start)
		return err
	}
	in := flows.InboundSMS{
		Provider: Provider, ID: strings.TrimSpace(params.Get("MessageSid")), From: strings.TrimSpace(params.Get("From")),
		To: strings.TrimSpace(params.Get("To")), Text: params.Get("Body"),
	}
	if err := h.g.ReceiveSMS(c.UserContext(), h.sms, in, start, "missing MessageSid or From"); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.SendString(emptyTwiML)
}

// twilioStatus maps MessageStatus to the outbox's states. Statuses not listed (receiving,
// received: inbound messages) change nothing.
var twilioStatus = map[string]outbox.State{
	"queued": outbox.Sent, "accepted": outbox.Sent, "scheduled": outbox.Sent, "sending": outbox.Sent, "sent": outbox.Sent,
	"partially_delivered": outbox.Sent,
	"delivered":           outbox.Delivered, "read": outbox.Delivered,
	"undelivered": outbox.Failed, "failed": outbox.Failed, "canceled": outbox.Failed,
}

// Status records a StatusCallback. A report for a message the outbox never sent is answered 200
// all the same and logged.
func (h *Handler) Status(c *fiber.Ctx) error {
	params, err := h.verify(c)
	if err != nil {
		return err
	}
	sid, status := strings.TrimSpace(params.Get("MessageSid")), params.Get("MessageStatus")
	if sid == "" || status == "" {
		return onestop.Errorf(onestop.EINVALID, "missing MessageSid or MessageStatus")
	}
	st, ok := twilioStatus[status]
	if !ok {
		c.Status(fiber.StatusOK)
		return nil
	}
	reason := ""
	if code := params.Get("ErrorCode"); code != "" {
		reason = "error " + code
	}
	err = h.reports.Report(c.UserContext(), Provider, sid, st, reason)
	switch onestop.ErrorCode(err) {
	case "":
	case onestop.ENOTFOUND:
		h.g.Log.Warn("delivery report for an unknown message", "provider", Provider, "status", status)
	default:
		return err
	}
	c.Status(fiber.StatusOK)
	return nil
}
