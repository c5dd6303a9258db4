package africastalking

import (
	"encoding/xml"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/voice"
)

// VoicePath is Africa's Talking's voice callback: one form POST when her call is answered, one
// after each GetDigits (to its callbackUrl, which carries ?hop=N, so a retried request is the
// same hop), and a last one with isActive=0 when the call is over. AT signs nothing: protect it
// with the gateway's webhook token and HTTPS.
const VoicePath = "/voice/africastalking"

// VoiceHandler serves Africa's Talking's voice callback.
type VoiceHandler struct {
	g         *gateway.Gateway
	flow      Stepper
	r         *voice.Renderer
	publicURL string
	calls     *prometheus.CounterVec
}

// RegisterVoice adds POST VoicePath to the gateway's webhooks. publicURL is the https scheme and
// host AT calls (callbackUrl must be absolute).
func RegisterVoice(g *gateway.Gateway, publicURL string, flow Stepper, r *voice.Renderer) *VoiceHandler {
	v := &VoiceHandler{g: g, flow: flow, r: r, publicURL: strings.TrimRight(publicURL, "/"), calls: voice.Calls(g.Metrics.Registry)}
	g.Webhook(fiber.MethodPost, VoicePath, v.Voice)
	return v
}

// Voice answers one event of a call with AT's voice XML.
func (v *VoiceHandler) Voice(c *fiber.Ctx) error {
	start := time.Now()
	reject := func(err error) error {
		v.g.Metrics.Observe(Provider+"-voice", "rejected", start)
		return err
	}
	if !isForm(c.Get(fiber.HeaderContentType)) {
		return reject(fiber.NewError(fiber.StatusUnsupportedMediaType, "content type must be application/x-www-form-urlencoded"))
	}
	if len(c.Body()) > MaxHopBody {
		return reject(fiber.NewError(fiber.StatusRequestEntityTooLarge, "body is larger than a voice callback"))
	}
	sid, from := strings.TrimSpace(c.FormValue("sessionId")), strings.TrimSpace(c.FormValue("callerNumber"))
	if sid == "" || from == "" {
		return reject(onestop.Errorf(onestop.EINVALID, "missing sessionId or callerNumber"))
	}
	if c.FormValue("isActive") == "0" {
		// The call is over: counted, nothing else. A missed call is not a request.
		status := strings.ToLower(strings.TrimSpace(c.FormValue("callSessionState")))
		if status == "" {
			status = "completed"
		}
		v.calls.WithLabelValues(Provider, status).Inc()
		// Counted apart from her hops, as Twilio's end-of-call status is.
		v.g.Metrics.Observe(Provider+"-voice-status", "ok", start)
		c.Status(fiber.StatusOK)
		return nil
	}
	hop := 0
	if q := c.Query("hop"); q != "" {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 {
			return reject(onestop.Errorf(onestop.EINVALID, "hop must be a number from 1"))
		}
		hop = n
	}
	t := flows.Turn{Channel: onestop.Voice, Provider: Provider, SessionID: strings.Clone(sid), Caller: strings.Clone(from),
		ServiceCode: strings.Clone(strings.TrimSpace(c.FormValue("destinationNumber"))), Hop: hop}
	if hop > 0 {
		t.Input = voice.Key(strings.Clone(c.FormValue("dtmfDigits")))
	}
	scr, err := v.flow.Step(c.UserContext(), t)
	if onestop.ErrorCode(err) == onestop.EINVALID {
		return reject(err)
	}
	outcome := "ok"
	if err != nil {
		v.g.Log.Error("voice hop failed", "provider", Provider, "err", err) // scr is the kind ending
		outcome = "failed"
	}
	p := v.r.Render(scr)
	var b string
	switch {
	case p.Connect:
		b = v.connect(c, p)
	case p.End:
		b = atSay(p.Say)
	default:
		b = v.getDigits(c, p, hop)
	}
	v.g.Metrics.Observe(Provider+"-voice", outcome, start)
	c.Set(fiber.HeaderContentType, "application/xml; charset=utf-8")
	return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response>` + b + `</Response>`)
}

// getDigits asks the prompt, and once more after silence (AT moves to the next action when no
// key is pressed), then says the quiet line; the call ends when the actions do.
func (v *VoiceHandler) getDigits(c *fiber.Ctx, p voice.Prompt, hop int) string {
	cb := v.publicURL + VoicePath
	if tok := c.Params("token"); tok != "" {
		cb += "/" + tok
	}
	cb += "?hop=" + strconv.Itoa(hop+1)
	attrs := ` timeout="6" callbackUrl="` + atEsc(cb) + `"`
	if p.Digits == 1 {
		attrs += ` numDigits="1"`
	} else {
		attrs += ` finishOnKey="#"`
	}
	g := "<GetDigits" + attrs + ">" + atOne(p.Say) + "</GetDigits>"
	return g + g + atSay(p.Quiet)
}

// connect says she is put through and dials the counsellors on duty; AT runs the actions after
// Dial only when nobody answered, so the helpline line follows it. (AT has no whisper: a
// counsellor's phone must not divert to voicemail.)
func (v *VoiceHandler) connect(c *fiber.Ctx, p voice.Prompt) string {
	cfg := v.r.Config()
	var numbers []string
	if cfg.OnDuty != nil {
		var err error
		if numbers, err = cfg.OnDuty(c.UserContext(), time.Now()); err != nil {
			v.g.Log.Error("cannot read who is on duty", "err", err)
			numbers = nil
		}
	}
	if len(numbers) == 0 {
		return atSay(p.Say) + atSay(p.Quiet)
	}
	d := `<Dial phoneNumbers="` + atEsc(strings.Join(numbers, ",")) + `"`
	if cfg.CallerID != "" {
		d += ` callerId="` + atEsc(cfg.CallerID) + `"`
	}
	return atSay(p.Say) + d + "/>" + atSay(p.Quiet)
}

// atSay is each segment as a Play of its recording or a Say of its text.
func atSay(segs []voice.Segment) string {
	var b strings.Builder
	for _, s := range segs {
		if s.URL != "" {
			b.WriteString(`<Play url="` + atEsc(s.URL) + `"/>`)
		} else {
			b.WriteString("<Say>" + atEsc(s.Text) + "</Say>")
		}
	}
	return b.String()
}

// atOne is the one child GetDigits takes: the recording when the prompt is one, else all of its
// text in one Say.
func atOne(segs []voice.Segment) string {
	if len(segs) == 1 && segs[0].URL != "" {
		return `<Play url="` + atEsc(segs[0].URL) + `"/>`
	}
	texts := make([]string, 0, len(segs))
	for _, s := range segs {
		texts = append(texts, s.Text)
	}
	return "<Say>" + atEsc(strings.Join(texts, " ")) + "</Say>"
}

func atEsc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
