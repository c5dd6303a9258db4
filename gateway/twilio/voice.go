package twilio

import (
	"context"
	"encoding/xml"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/voice"
)

// Twilio's voice webhooks, all form POSTs signed like the messaging ones:
//
//	/voice/twilio          every hop of her call: the first with no hop, each Gather's action
//	                       with ?hop=N, so a retried request is the same hop
//	/voice/twilio/status   the call's StatusCallback: counted, nothing else
//	/voice/twilio/dialed   the Dial's action: who took her call, or the helpline if nobody did
//	/voice/twilio/whisper  said to a counsellor's phone before she is put through
//	/voice/twilio/accept   the counsellor's key: 1 takes the call, anything else hangs up
const (
	VoicePath   = "/voice/twilio"
	VoiceStatus = "/voice/twilio/status"
	dialedPath  = "/voice/twilio/dialed"
	whisperPath = "/voice/twilio/whisper"
	acceptPath  = "/voice/twilio/accept"
)

// VoiceProvider names Twilio's voice calls on their turns and contacts.
const VoiceProvider = "twilio"

// Stepper answers hops: flows.Engine.
type Stepper interface {
	Step(ctx context.Context, t flows.Turn) (onestop.Screen, error)
}

// DialOutcome is what became of a call put through to the counsellors: who took it (a
// counsellor's number, never hers) and for how long, or that nobody did.
type DialOutcome struct {
	Provider, CallID string
	Answered         bool
	Counsellor       string
	Duration         time.Duration
	Status           string
}

// VoiceHandler serves Twilio's voice webhooks.
type VoiceHandler struct {
	h      *Handler // its verify is the one signature check
	g      *gateway.Gateway
	flow   Stepper
	r      *voice.Renderer
	calls  *prometheus.CounterVec
	dialed func(ctx context.Context, o DialOutcome) error

	// took holds, from a counsellor's press of 1 until her Dial reports, who took each call
	// (by her CallSid): Twilio's Dial action does not say which number answered.
	mu   sync.Mutex
	took map[string]string
}

// maxTook bounds took: more calls in flight than any helpline has.
const maxTook = 10_000

// RegisterVoice adds Twilio's voice webhooks to the gateway. dialed, if not nil, records what
// became of a call put through to the counsellors (casebook.RecordVoiceCall).
func RegisterVoice(g *gateway.Gateway, cfg Config, flow Stepper, r *voice.Renderer, dialed func(context.Context, DialOutcome) error) *VoiceHandler {
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	v := &VoiceHandler{h: &Handler{g: g, cfg: cfg}, g: g, flow: flow, r: r, calls: voice.Calls(g.Metrics.Registry), dialed: dialed}
	// The steps of a call beside her hops are counted apart from them.
	g.Webhook(fiber.MethodPost, VoiceStatus, g.Observed(VoiceProvider+"-voice-status", v.Status))
	g.Webhook(fiber.MethodPost, dialedPath, g.Observed(VoiceProvider+"-voice-connect", v.Dialed))
	g.Webhook(fiber.MethodPost, whisperPath, g.Observed(VoiceProvider+"-voice-connect", v.Whisper))
	g.Webhook(fiber.MethodPost, acceptPath, g.Observed(VoiceProvider+"-voice-connect", v.Accept))
	g.Webhook(fiber.MethodPost, VoicePath, v.Hop)
	return v
}

// url is the public URL of path for Twilio to call next, with the webhook token the request
// came with, if any, and query.
func (v *VoiceHandler) url(c *fiber.Ctx, path string, query ...string) string {
	u := v.h.cfg.PublicURL + path
	if tok := c.Params("token"); tok != "" {
		u += "/" + tok
	}
	if len(query) > 0 {
		u += "?" + strings.Join(query, "&")
	}
	return u
}

// hopOf reads ?hop=: absent on a call's first request.
func hopOf(c *fiber.Ctx) (int, error) {
	q := c.Query("hop")
	if q == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(q)
	if err != nil || n < 1 {
		return 0, onestop.Errorf(onestop.EINVALID, "hop must be a number from 1")
	}
	return n, nil
}

// Hop answers one hop of her call with TwiML.
func (v *VoiceHandler) Hop(c *fiber.Ctx) error {
	start := time.Now()
	params, err := v.h.verify(c)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "rejected", start)
		return err
	}
	hop, err := hopOf(c)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "rejected", start)
		return err
	}
	sid, from := strings.TrimSpace(params.Get("CallSid")), strings.TrimSpace(params.Get("From"))
	if sid == "" || from == "" {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "rejected", start)
		return onestop.Errorf(onestop.EINVALID, "missing CallSid or From")
	}
	t := flows.Turn{Channel: onestop.Voice, Provider: VoiceProvider, SessionID: sid, Caller: from,
		ServiceCode: strings.TrimSpace(params.Get("To")), Hop: hop}
	if hop > 0 {
		t.Input = voice.Key(params.Get("Digits"))
	}
	scr, err := v.flow.Step(c.UserContext(), t)
	if onestop.ErrorCode(err) == onestop.EINVALID {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "rejected", start)
		return err
	}
	outcome := "ok"
	if err != nil {
		v.g.Log.Error("voice hop failed", "provider", VoiceProvider, "err", err) // scr is the kind ending
		outcome = "failed"
	}
	p := v.r.Render(scr)
	var body string
	switch {
	case p.Connect:
		body = v.connect(c, p, hop, t.Input)
	case p.End:
		body = say(v.r, p.Lang, p.Say) + "<Hangup/>"
	default:
		body = v.gather(c, p, hop)
	}
	v.g.Metrics.Observe(VoiceProvider+"-voice", outcome, start)
	return twiml(c, body)
}

// gather asks the prompt, and once more after silence, then says the quiet line and hangs up.
func (v *VoiceHandler) gather(c *fiber.Ctx, p voice.Prompt, hop int) string {
	attrs := ` input="dtmf" method="POST" action="` + esc(v.url(c, VoicePath, "hop="+strconv.Itoa(hop+1))) + `"`
	if p.Digits == 1 {
		attrs += ` numDigits="1" timeout="6"`
	} else {
		attrs += ` finishOnKey="#" timeout="10"`
	}
	g := "<Gather" + attrs + ">" + say(v.r, p.Lang, p.Say) + "</Gather>"
	return g + g + say(v.r, p.Lang, p.Quiet) + "<Hangup/>"
}

// connect says she is put through and dials every counsellor on duty at once, each through the
// whisper, so that only a person who presses 1 takes her call. With nobody on duty she hears
// the helpline at once.
func (v *VoiceHandler) connect(c *fiber.Ctx, p voice.Prompt, hop int, input string) string {
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
		return say(v.r, p.Lang, p.Say) + say(v.r, p.Lang, p.Quiet) + "<Hangup/>"
	}
	ring := int(cfg.RingTime() / time.Second)
	b := say(v.r, p.Lang, p.Say) + `<Dial answerOnBridge="true" timeout="` + strconv.Itoa(ring) + `" method="POST" action="` +
		esc(v.url(c, dialedPath, "hop="+strconv.Itoa(hop), "k="+input)) + `"`
	// The counsellor's phone shows the helpline, never her number: without a caller id set, the
	// number she dialled, which is the helpline's own.
	callerID := cfg.CallerID
	if callerID == "" {
		callerID = c.FormValue("To")
	}
	if callerID != "" {
		b += ` callerId="` + esc(callerID) + `"`
	}
	b += ">"
	whisper := esc(v.url(c, whisperPath, "l="+string(p.Lang)))
	for _, n := range numbers {
		b += `<Number url="` + whisper + `" method="POST">` + esc(n) + "</Number>"
	}
	return b + "</Dial>"
}

// Dialed answers the Dial's action: nothing more to say after a counsellor took her call;
// otherwise the line with the helpline, read again from her conversation's last hop (a retry,
// so nothing changes). Either way the outcome is recorded on her contact.
func (v *VoiceHandler) Dialed(c *fiber.Ctx) error {
	params, err := v.h.verify(c)
	if err != nil {
		return err
	}
	hop, err := hopOf(c)
	if err != nil || hop == 0 {
		return onestop.Errorf(onestop.EINVALID, "hop must be a number from 1")
	}
	sid, from := strings.TrimSpace(params.Get("CallSid")), strings.TrimSpace(params.Get("From"))
	status := params.Get("DialCallStatus")
	if sid == "" || from == "" || status == "" {
		return onestop.Errorf(onestop.EINVALID, "missing CallSid, From or DialCallStatus")
	}
	answered := status == "completed" || status == "answered"
	if v.dialed != nil {
		secs, _ := strconv.Atoi(params.Get("DialCallDuration"))
		o := DialOutcome{Provider: VoiceProvider, CallID: sid, Answered: answered, Status: status,
			Duration: time.Duration(secs) * time.Second}
		if answered {
			o.Counsellor = v.taken(sid)
		}
		if err := v.dialed(c.UserContext(), o); err != nil {
			v.g.Log.Error("cannot record what became of a call put through", "err", err)
		}
	}
	if answered {
		return twiml(c, "<Hangup/>")
	}
	scr, err := v.flow.Step(c.UserContext(), flows.Turn{Channel: onestop.Voice, Provider: VoiceProvider,
		SessionID: sid, Caller: from, ServiceCode: strings.TrimSpace(params.Get("To")), Hop: hop, Input: voice.Key(c.Query("k"))})
	if onestop.ErrorCode(err) == onestop.EINVALID {
		return err
	}
	p := v.r.Render(scr)
	line := p.Quiet
	if len(line) == 0 {
		line = p.Say // the kind ending, which names the helpline too
	}
	return twiml(c, say(v.r, p.Lang, line)+"<Hangup/>")
}

// Whisper asks the counsellor whose phone rang to press 1. A voicemail presses nothing, and
// the leg hangs up: her call never goes to a machine.
func (v *VoiceHandler) Whisper(c *fiber.Ctx) error {
	if _, err := v.h.verify(c); err != nil {
		return err
	}
	lang := onestop.Lang(c.Query("l"))
	if !lang.Valid() {
		lang = onestop.English
	}
	g := `<Gather input="dtmf" numDigits="1" timeout="8" method="POST" action="` + esc(v.url(c, acceptPath)) + `">` +
		say(v.r, lang, v.r.Line(lang, locales.VoiceWhisper)) + "</Gather>"
	return twiml(c, g+"<Hangup/>")
}

// Accept puts the counsellor through when she pressed 1, and hangs up her leg otherwise.
func (v *VoiceHandler) Accept(c *fiber.Ctx) error {
	params, err := v.h.verify(c)
	if err != nil {
		return err
	}
	if strings.TrimSpace(params.Get("Digits")) == "1" {
		v.take(strings.TrimSpace(params.Get("ParentCallSid")), strings.TrimSpace(params.Get("To")))
		return twiml(c, "")
	}
	return twiml(c, "<Hangup/>")
}

func (v *VoiceHandler) take(parent, counsellor string) {
	if parent == "" || counsellor == "" {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.took == nil {
		v.took = map[string]string{}
	}
	if len(v.took) < maxTook {
		v.took[parent] = counsellor
	}
}

func (v *VoiceHandler) taken(sid string) string {
	v.mu.Lock()
	defer v.mu.Unlock()
	n := v.took[sid]
	delete(v.took, sid)
	return n
}

// Status counts a call's final status. Nothing is sent because of it: a missed call or a
// hang-up is not a request.
func (v *VoiceHandler) Status(c *fiber.Ctx) error {
	params, err := v.h.verify(c)
	if err != nil {
		return err
	}
	status := params.Get("CallStatus")
	if strings.TrimSpace(params.Get("CallSid")) == "" || status == "" {
		return onestop.Errorf(onestop.EINVALID, "missing CallSid or CallStatus")
	}
	switch status {
	case "completed", "busy", "failed", "no-answer", "canceled":
		v.calls.WithLabelValues(VoiceProvider, status).Inc()
	}
	c.Status(fiber.StatusOK)
	return nil
}

// say turns segments into Say and Play verbs, each Say with her language's voice.
func say(r *voice.Renderer, lang onestop.Lang, segs []voice.Segment) string {
	vo := r.Config().VoiceFor(lang)
	var b strings.Builder
	for _, s := range segs {
		if s.URL != "" {
			b.WriteString("<Play>" + esc(s.URL) + "</Play>")
			continue
		}
		b.WriteString(`<Say voice="` + esc(vo.Name) + `" language="` + esc(vo.Language) + `">` + esc(s.Text) + "</Say>")
	}
	return b.String()
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

func twiml(c *fiber.Ctx, body string) error {
	c.Set(fiber.HeaderContentType, "text/xml; charset=utf-8")
	return c.SendString(`<?xml version="1.0" encoding="UTF-8"?><Response>` + body + `</Response>`)
}
