// Package africastalking speaks Africa's Talking, both ways. Inbound, its USSD callback format,
// which most USSD gateways copy: a form POST per hop with the whole '*'-joined history in text,
// answered with a text/plain body starting "CON " (wait for input) or "END " (close); and its SMS
// callbacks. Outbound, the outbox's Sender that posts to its bulk SMS API.
//
// It knows the wire format and nothing of the conversation, and no other aggregator's format.
package africastalking

import (
	"bytes"
	"context"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/ussd"
)

// Provider names Africa's Talking in sessions, contacts, page limits and the outbox; it is the
// name's one definition.
const Provider = "africastalking"

// MaxHopBody bounds a hop's body. A real one is a few hundred bytes; AT's text field holds at
// most a session's worth of short inputs.
const MaxHopBody = 4 << 10

// Stepper answers hops: flows.Engine.
type Stepper interface {
	Step(ctx context.Context, t flows.Turn) (onestop.Screen, error)
}

// Handler serves Africa's Talking's USSD callbacks.
type Handler struct {
	g    *gateway.Gateway
	flow Stepper
}

// Register adds POST /ussd/africastalking to the gateway's webhooks.
func Register(g *gateway.Gateway, flow Stepper) *Handler {
	h := &Handler{g: g, flow: flow}
	g.Webhook(fiber.MethodPost, "/ussd/africastalking", h.USSD)
	return h
}

// USSD answers one hop. A request that cannot be a caller's hop gets a 4xx with its reason and
// changes nothing; everything else gets 200 with CON or END, because Africa's Talking shows the
// caller only a generic error on anything else.
func (h *Handler) USSD(c *fiber.Ctx) error {
	start := time.Now()
	turn, err := parse(c)
	if err != nil {
		h.g.Metrics.Observe(Provider, "rejected", start)
		return err
	}
	reply, err := h.flow.Step(c.UserContext(), turn)
	switch {
	case err == nil:
		h.g.Metrics.Observe(Provider, "ok", start)
	case onestop.ErrorCode(err) == onestop.EINVALID:
		h.g.Metrics.Observe(Provider, "rejected", start)
		return err
	case reply.Text != "":
		h.g.Log.Error("hop failed; caller shown the kind ending", "provider", Provider, "err", err)
		h.g.Metrics.Observe(Provider, "failed", start)
	default:
		h.g.Metrics.Observe(Provider, "failed", start)
		return err
	}
	return Write(c, reply)
}

// Write sends screen in Africa's Talking's format, laid out by the USSD pager. The engine has
// laid out the page she is on at her provider's limit already (screen.Text); the default limit
// serves only a screen that comes without it.
func Write(c *fiber.Ctx, screen onestop.Screen) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	return c.SendString(ussd.Reply(screen, locales.DefaultLimit))
}

// isForm reports whether ct is a form's media type. The aggregator sends exactly that on every
// hop, which is answered without parsing; anything else (parameters, another case) is parsed.
func isForm(ct string) bool {
	if ct == fiber.MIMEApplicationForm {
		return true
	}
	mt, _, err := mime.ParseMediaType(ct)
	return err == nil && mt == fiber.MIMEApplicationForm
}

// parse reads a hop's form into a Turn, copying every value out of Fiber's reused buffers.
func parse(c *fiber.Ctx) (flows.Turn, error) {
	if !isForm(c.Get(fiber.HeaderContentType)) {
		return flows.Turn{}, fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/x-www-form-urlencoded")
	}
	if len(c.Body()) > MaxHopBody {
		return flows.Turn{}, fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than a USSD hop")
	}
	form := c.Request().PostArgs()
	get := func(k string) string { return string(bytes.TrimSpace(form.Peek(k))) }
	t := flows.Turn{
		Channel:     onestop.USSD,
		Provider:    Provider,
		SessionID:   get("sessionId"),
		Caller:      get("phoneNumber"),
		ServiceCode: get("serviceCode"),
		Network:     get("networkCode"),
	}
	if err := splitText(&t, string(form.Peek("text"))); err != nil {
		return t, err
	}
	if t.SessionID == "" {
		return t, onestop.Errorf(onestop.EINVALID, "missing sessionId")
	}
	if t.Caller == "" {
		return t, onestop.Errorf(onestop.EINVALID, "missing phoneNumber")
	}
	// Africa's Talking sends E.164 with its + escaped; a gateway that forgets to escape it
	// delivers a space instead. The number is still hers.
	if raw := form.Peek("phoneNumber"); raw[0] == ' ' {
		t.Caller = "+" + t.Caller
	}
	return t, nil
}

// maxText bounds the text of a hop: a session's worth of short inputs is far less.
const maxText = 1024

// splitText turns text, everything she typed this session '*'-joined ("" on the first hop, then
// "1", "1*2" …), into t's input, hop number and history: "1*2*3" is hop 3, input "3" after "1"
// and "2". Africa's Talking resends the whole history with each hop, so its sessions can be
// played again after a crash (flows.Turn.Resends).
//
// Every '*' is taken for the separator: Africa's Talking joins inputs with the key she can
// also type, and nothing in text tells the two apart. A '*' she types herself therefore reads as
// one more hop than she made, which the engine cannot take for the next one, and her session
// ends kindly; no screen asks for a '*'.
func splitText(t *flows.Turn, text string) error {
	switch {
	case len(text) > maxText:
		return onestop.Errorf(onestop.EINVALID, "text is longer than %d bytes", maxText)
	case !utf8.ValidString(text):
		return onestop.Errorf(onestop.EINVALID, "text is not UTF-8")
	}
	t.Resends = true
	if text == "" {
		return nil
	}
	inputs := strings.Split(text, "*")
	t.Hop, t.History, t.Input = len(inputs), inputs[:len(inputs)-1], inputs[len(inputs)-1]
	return nil
}
