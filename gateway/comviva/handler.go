// Package comviva speaks the USSD pull of Comviva's gateways ("Freeflow"), as Banglalink and the
// Airtel group run them: each hop is a GET (or a POST) whose session id, number, input and
// new-session flag come as parameters named differently by each operator, answered with the
// screen as plain text and the session's fate in a header, Freeflow: FC (continue) or FB (break).
//
// It knows the wire format and nothing of the conversation, and no other aggregator's format.
package comviva

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/ussd"
)

// Provider names Comviva's gateways in sessions, contacts and page limits; it is the name's one
// definition.
const Provider = "comviva"

// MaxHopBody bounds a posted hop's body: a real one is a few hundred bytes.
const MaxHopBody = 4 << 10

// RetryWithin is how soon the same input in the same session must come again to be taken for
// the gateway's retry of the hop rather than her next key: nothing in a pull tells the two
// apart, and no one reads a screen and answers it this fast.
const RetryWithin = 2 * time.Second

// Params are the names of the parameters a hop carries, which differ per operator.
type Params struct {
	Session string // the session id, constant across its hops
	MSISDN  string // her number, international, with or without +
	Input   string // what she typed on this hop
	New     string // 1 (or true) on a session's first hop
	Code    string // the service code she dialled; on the first hop, Input holds it when this is absent
}

// DefaultParams are Banglalink's names.
var DefaultParams = Params{Session: "transId", MSISDN: "mobileNo", Input: "userData", New: "NEW_REQUEST", Code: "short_code"}

// ParseParams reads parameter names as "session=transId,msisdn=mobileNo,input=userData,
// new=NEW_REQUEST[,code=short_code]". A name not given keeps DefaultParams'; an empty setting
// is DefaultParams.
func ParseParams(s string) (Params, error) {
	p := DefaultParams
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		key, name, ok := strings.Cut(item, "=")
		key, name = strings.TrimSpace(key), strings.TrimSpace(name)
		if !ok || name == "" {
			return p, fmt.Errorf("%q is not role=name", item)
		}
		switch strings.ToLower(key) {
		case "session":
			p.Session = name
		case "msisdn":
			p.MSISDN = name
		case "input":
			p.Input = name
		case "new":
			p.New = name
		case "code":
			p.Code = name
		default:
			return p, fmt.Errorf("%q: the roles are session, msisdn, input, new and code", item)
		}
	}
	names := map[string]bool{}
	for _, n := range []string{p.Session, p.MSISDN, p.Input, p.New, p.Code} {
		if names[n] {
			return p, fmt.Errorf("the parameter %q is given two roles", n)
		}
		names[n] = true
	}
	return p, nil
}

// Stepper answers hops: flows.Engine.
type Stepper interface {
	Step(ctx context.Context, t flows.Turn) (onestop.Screen, error)
}

// Handler serves a Comviva gateway's pulls.
type Handler struct {
	g      *gateway.Gateway
	flow   Stepper
	params Params
	hops   gateway.Hops
	// Now is the clock retries are told apart by; nil is time.Now. A test or a simulation that
	// sends her keys faster than she could type them moves it on between hops.
	Now func() time.Time
}

// Register adds GET and POST /ussd/comviva to the gateway's webhooks, reading parameters named
// by p.
func Register(g *gateway.Gateway, flow Stepper, p Params) *Handler {
	h := &Handler{g: g, flow: flow, params: p, hops: gateway.Hops{Within: RetryWithin}}
	g.Webhook(fiber.MethodGet, "/ussd/comviva", h.USSD)
	g.Webhook(fiber.MethodPost, "/ussd/comviva", h.USSD)
	return h
}

// USSD answers one hop. A request that cannot be a caller's hop gets a 4xx with its reason and
// changes nothing; everything else gets 200 with a screen and FC or FB.
func (h *Handler) USSD(c *fiber.Ctx) error {
	start := time.Now()
	now := start
	if h.Now != nil {
		now = h.Now()
	}
	turn, err := h.parse(c, now)
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
	return Write(c, screen)
}

// Write sends screen as a Freeflow answer: the page as plain text, FB when it ends the session.
func Write(c *fiber.Ctx, screen onestop.Screen) error {
	c.Set(fiber.HeaderContentType, "text/plain; charset=utf-8")
	c.Set("Freeflow", "FC")
	if screen.End {
		c.Set("Freeflow", "FB")
	}
	c.Set(fiber.HeaderExpires, "-1")
	return c.SendString(ussd.Page(screen, locales.DefaultLimit))
}

// parse reads a hop's parameters, from the query or a posted form, into a Turn, copying every
// value out of Fiber's buffers.
func (h *Handler) parse(c *fiber.Ctx, now time.Time) (flows.Turn, error) {
	var form func(string) []byte
	if c.Method() == fiber.MethodPost && len(c.Body()) > 0 {
		if len(c.Body()) > MaxHopBody {
			return flows.Turn{}, fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than a USSD hop")
		}
		if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationForm {
			return flows.Turn{}, fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/x-www-form-urlencoded")
		}
		form = c.Request().PostArgs().Peek
	}
	get := func(name string) string {
		v := c.Request().URI().QueryArgs().Peek(name)
		if len(v) == 0 && form != nil {
			v = form(name)
		}
		return string(bytes.TrimSpace(v))
	}
	p := h.params
	session, msisdn, input := get(p.Session), get(p.MSISDN), get(p.Input)
	switch {
	case session == "":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "missing %s", p.Session)
	case msisdn == "":
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "missing %s", p.MSISDN)
	}
	first := false
	switch strings.ToLower(get(p.New)) {
	case "1", "true", "yes":
		first = true
	case "", "0", "false", "no":
	default:
		return flows.Turn{}, onestop.Errorf(onestop.EINVALID, "%s must be 1 or 0", p.New)
	}
	code := get(p.Code)
	if first {
		if code == "" {
			code = input // the first hop's input is the code she dialled
		}
		input = ""
	}
	hop, code := h.hops.Hop(session, input, first, code, now)
	if !strings.HasPrefix(msisdn, "+") {
		msisdn = "+" + msisdn // international without its +, as these gateways send it
	}
	return flows.Turn{
		Channel: onestop.USSD, Provider: Provider, SessionID: session, Caller: msisdn,
		ServiceCode: code, Hop: hop, Input: input,
	}, nil
}
