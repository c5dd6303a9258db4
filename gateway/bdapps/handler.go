// Package bdapps speaks hSenid's TAP API, both ways, as Robi's bdapps and Banglalink's Applink
// (and Ideamart, mSpace) run it. Inbound, the platform posts each USSD hop as JSON (mo-init,
// mo-cont) and each SMS; both are acknowledged at once with S1000. USSD is asynchronous: the
// screen goes back by a separate post to the platform's ussd/send (mt-cont, or mt-fin for the
// last), which this package makes and retries briefly. Outbound, the outbox's Sender posts to
// sms/send.
//
// It knows the wire format and nothing of the conversation, and no other aggregator's format. It
// must never send the platform's password anywhere but the platform, nor log it, a whole number
// or what a caller typed.
package bdapps

import (
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/ussd"
)

// Provider names hSenid's TAP platforms in sessions, contacts, page limits and the outbox; it is
// the name's one definition.
const Provider = "bdapps"

// DefaultBaseURL is bdapps' API host. Applink's (Banglalink) and Ideamart's differ: set
// Config.BaseURL to the host the platform's portal names.
const DefaultBaseURL = "https://developer.bdapps.com"

// DefaultHelpline is the number the ending shown when a screen cannot be sent names: the
// national helpline for violence against women and children in Bangladesh, where TAP runs.
const DefaultHelpline = "109"

// Config is the application registered on the platform.
type Config struct {
	// AppID is the application's id ("APP_…"): every request from the platform carries it, and
	// one that carries another is refused.
	AppID string
	// Password is the application's password, sent with every post to the platform.
	Password string
	// BaseURL is the platform's API host; empty is DefaultBaseURL.
	BaseURL string
	// SMSSource, when set, is the sourceAddress sent with each SMS (the application's alias or
	// short code); empty leaves the platform's default.
	SMSSource string
	// Helpline is the number named when a screen cannot be sent; empty is DefaultHelpline.
	Helpline string
	// SendWindow bounds the attempts to send one screen; zero is DefaultSendWindow.
	SendWindow time.Duration
}

// Enabled says whether an application is configured: without its id and password nothing can
// be received from or sent to the platform.
func (c Config) Enabled() bool { return c.AppID != "" && c.Password != "" }

func (c Config) base() string {
	if c.BaseURL == "" {
		return DefaultBaseURL
	}
	return strings.TrimRight(c.BaseURL, "/")
}

// DefaultSendWindow bounds the attempts to post one screen to ussd/send: 10 s in all. The
// network closes an idle USSD dialogue after 20 to 60 s (Clickatell 20 s, Safaricom 30 s; neither
// Robi nor Banglalink publishes its figure, and 20–30 s is what is seen on Bangladeshi networks),
// and that time is hers to read the screen and answer it; a screen later than 10 s leaves her
// little or none, and a later attempt would only reach a session the network has closed.
const DefaultSendWindow = 10 * time.Second

// MaxHopBody bounds a hop's body: a real one is a few hundred bytes.
const MaxHopBody = 4 << 10

// Stepper answers hops: flows.Engine.
type Stepper interface {
	Step(ctx context.Context, t flows.Turn) (onestop.Screen, error)
}

// Handler serves the platform's USSD and SMS posts.
type Handler struct {
	g      *gateway.Gateway
	flow   Stepper
	sms    gateway.SMSReceiver
	cfg    Config
	client *http.Client
	hops   gateway.Hops
	sends  sync.WaitGroup
}

// Register adds POST /ussd/bdapps and, with sms, POST /sms/bdapps to the gateway's webhooks.
// client posts the screens to the platform; nil is gateway.Client's default.
func Register(g *gateway.Gateway, flow Stepper, sms gateway.SMSReceiver, cfg Config, client *http.Client) *Handler {
	if cfg.Helpline == "" {
		cfg.Helpline = DefaultHelpline
	}
	if cfg.SendWindow <= 0 {
		cfg.SendWindow = DefaultSendWindow
	}
	h := &Handler{g: g, flow: flow, sms: sms, cfg: cfg, client: gateway.Client(client)}
	g.Webhook(fiber.MethodPost, "/ussd/bdapps", h.USSD)
	if sms != nil {
		g.Webhook(fiber.MethodPost, "/sms/bdapps", h.SMS)
	}
	return h
}

// Wait returns once every screen being sent has been sent or given up: call it before the
// process exits, after the gateway stops taking requests.
func (h *Handler) Wait() { h.sends.Wait() }

// ack is the platform's acknowledgement, exactly as its documentation gives it. It says only
// that the post was taken; the screen goes separately.
const ack = `{"statusCode":"S1000","statusDetail":"Success"}`

func writeAck(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.SendString(ack)
}

// moUSSD is a hop as the platform posts it.
type moUSSD struct {
	Version       string `json:"version"`
	ApplicationID string `json:"applicationId"`
	SessionID     string `json:"sessionId"`
	Operation     string `json:"ussdOperation"`
	SourceAddress string `json:"sourceAddress"`
	Message       string `json:"message"`
	RequestID     string `json:"requestId"`
	Encoding      string `json:"encoding"`
	VLRAddress    string `json:"vlrAddress"`
}

// USSD takes one hop: it is answered in the conversation at once (what the hop records is on
// disk before the acknowledgement leaves), acknowledged, and its screen posted to the platform
// after. A post that cannot be a caller's hop gets a 4xx with its reason and changes nothing.
func (h *Handler) USSD(c *fiber.Ctx) error {
	start := time.Now()
	var mo moUSSD
	if err := h.decode(c, &mo, MaxHopBody); err != nil {
		h.g.Metrics.Observe(Provider, "rejected", start)
		return err
	}
	turn, err := h.turn(mo, start)
	if err != nil {
		h.g.Metrics.Observe(Provider, "rejected", start)
		return err
	}
	screen, err := h.flow.Step(c.UserContext(), turn)
	switch {
	case err == nil:
		h.g.Metrics.Observe(Provider, "ok", start)
	case onestop.ErrorCode(err) == onestop.EINVALID:
		h.g.Metrics.Observe(Provider, "rejected", start)
		return err
	case screen.Text != "":
		h.g.Log.Error("hop failed; caller shown the kind ending", "provider", Provider, "err", err)
		h.g.Metrics.Observe(Provider, "failed", start)
	default:
		h.g.Metrics.Observe(Provider, "failed", start)
		return err
	}
	mt := mtUSSD{
		ApplicationID: h.cfg.AppID, Password: h.cfg.Password, Message: ussd.Page(screen, locales.DefaultLimit),
		SessionID: turn.SessionID, Operation: "mt-cont", DestinationAddress: mo.SourceAddress,
		Encoding: "440", Version: "1.0",
	}
	if screen.End {
		mt.Operation = "mt-fin"
	}
	h.sends.Add(1)
	go func() {
		defer h.sends.Done()
		h.send(mt, screen.Lang)
	}()
	return writeAck(c)
}

// decode checks a post's content type, size (at most limit) and application, and reads its JSON into v. Fiber's
// buffers are not kept: json.Unmarshal copies every string.
func (h *Handler) decode(c *fiber.Ctx, v any, limit int) error {
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationJSON {
		return fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/json")
	}
	if len(c.Body()) > limit {
		return fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than a TAP request")
	}
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return onestop.Errorf(onestop.EINVALID, "body is not a TAP request's JSON")
	}
	var app string
	switch m := v.(type) {
	case *moUSSD:
		app = m.ApplicationID
	case *moSMS:
		app = m.ApplicationID
	}
	if app == "" {
		return onestop.Errorf(onestop.EINVALID, "missing applicationId")
	}
	if app != h.cfg.AppID {
		return fiber.NewError(fiber.StatusForbidden, "applicationId is not this gateway's application")
	}
	return nil
}

// turn reads a hop into the conversation's turn, numbering it (gateway.Hops) by its request id:
// the platform's retry of a hop carries the same one.
func (h *Handler) turn(mo moUSSD, now time.Time) (flows.Turn, error) {
	switch {
	case mo.SessionID == "":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "missing sessionId")
	case mo.SourceAddress == "":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "missing sourceAddress")
	case mo.RequestID == "":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "missing requestId")
	case mo.Operation != "mo-init" && mo.Operation != "mo-cont":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "ussdOperation must be mo-init or mo-cont")
	case len(mo.Message) > 1024 || !utf8.ValidString(mo.Message):
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "message is not a USSD input")
	}
	first := mo.Operation == "mo-init"
	code := ""
	if first {
		// The first hop's message is the code she dialled.
		code = strings.TrimSpace(mo.Message)
	}
	hop, code := h.hops.Hop(mo.SessionID, mo.RequestID, first, code, now)
	t := flows.Turn{
		Channel: onestop.USSD, Provider: Provider, SessionID: mo.SessionID, ServiceCode: code,
		Network: mo.VLRAddress, Hop: hop,
	}
	if !first {
		t.Input = strings.TrimSpace(mo.Message)
	}
	t.Caller, t.Masked = Caller(mo.SourceAddress)
	return t, nil
}

// Caller reads a TAP address ("tel:8801711000001") as a number in E.164. An address that is no
// number (the platform masks numbers for some applications: "tel:" and an opaque id) is returned
// whole, with masked set.
func Caller(address string) (caller string, masked bool) {
	digits, ok := strings.CutPrefix(strings.TrimSpace(address), "tel:")
	digits = strings.TrimPrefix(digits, "+")
	if !ok || len(digits) < 8 || len(digits) > 15 {
		return address, true
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return address, true
		}
	}
	return "+" + digits, false
}

// tapAnswer is the platform's answer to a post: S1000 is success, E13xx an error.
type tapAnswer struct {
	StatusCode   string `json:"statusCode"`
	StatusDetail string `json:"statusDetail"`
	RequestID    string `json:"requestId"`
	MessageID    string `json:"messageId"`
	Destinations []struct {
		Address    string `json:"address"`
		MessageID  string `json:"messageId"`
		StatusCode string `json:"statusCode"`
	} `json:"destinationResponses"`
}

// ok is the platform's code for success.
const ok = "S1000"
