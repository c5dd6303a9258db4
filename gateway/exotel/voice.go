package exotel

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/voice"
)

// The applets' URLs of her call (see the package doc for the flow), every one a GET:
//
//	VoiceGather      the Gather's dynamic URL: the question of this hop, as JSON
//	VoicePassthru    after the Gather: her key is the hop; 200 asks the next question, 302 ends
//	                 the loop
//	VoiceRoute       after that 302: 200 puts her through, 302 says goodbye
//	VoiceSay         the goodbye Greeting's text (or the ending's, or the line after silence)
//	VoiceConnecting  the Greeting before the Connect: "please wait"
//	VoiceConnect     the Connect's dynamic URL: the counsellors on duty, from the helpline
//	VoiceDialed      the Passthru after the Connect: what became of it, recorded; 200 when a
//	                 counsellor took her call, 302 when nobody did
//	VoiceUnanswered  the Greeting after a Connect nobody answered: the helpline's number
const (
	VoiceGather     = "/voice/exotel/gather"
	VoicePassthru   = "/voice/exotel/passthru"
	VoiceRoute      = "/voice/exotel/route"
	VoiceSay        = "/voice/exotel/say"
	VoiceConnecting = "/voice/exotel/connecting"
	VoiceConnect    = "/voice/exotel/connect"
	VoiceDialed     = "/voice/exotel/dialed"
	VoiceUnanswered = "/voice/exotel/unanswered"
)

// VoiceProvider names Exotel's voice calls on their turns and contacts.
const VoiceProvider = "exotel"

// Region is the country a number Exotel sends without a "+" ("09876543210") is read in:
// ExoPhones are Indian numbers.
const Region = "IN"

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
	// Status is Exotel's CallType: completed, incomplete (nobody picked up), client-hangup.
	Status string
}

// VoiceHandler serves the applets of her call.
type VoiceHandler struct {
	g      *gateway.Gateway
	flow   Stepper
	r      *voice.Renderer
	dialed func(ctx context.Context, o DialOutcome) error

	mu    sync.Mutex
	calls map[string]*call
	swept time.Time
	now   func() time.Time
}

// call is what this process knows of one call between its requests: the hop the applets are
// at (Exotel's URLs cannot carry it) and what it answered.
type call struct {
	hop   int
	input string
	// asked says the Gather of hop was fetched since its Passthru: the next Passthru is a new
	// hop. Until then a Passthru is a retry of hop.
	asked bool
	// silent says the Gather heard no key: the call ends with the quiet line.
	silent bool
	// ended says the Gather itself had to end the call (one that cannot go on, after a
	// restart): the Passthru after it ends the loop without a hop.
	ended bool
	// dialed says the Connect's outcome was recorded: a retried Passthru records it once.
	dialed bool
	scr    onestop.Screen
	seen   time.Time
}

// Bounds on the calls kept: more calls in flight than any helpline has, kept an hour after their
// last request (longer than any applet waits).
const (
	maxCalls = 10_000
	callTTL  = time.Hour
)

// RegisterVoice adds the applets' URLs of her call (VoiceGather … VoiceUnanswered) to the
// gateway's webhooks. The renderer's Config gives OnDuty (who is put through), CallerID (the
// number their phones show) and Ring. dialed, if not nil, records what became of a call put
// through to the counsellors (casebook.RecordVoiceCall).
func RegisterVoice(g *gateway.Gateway, flow Stepper, r *voice.Renderer, dialed func(context.Context, DialOutcome) error) *VoiceHandler {
	v := &VoiceHandler{g: g, flow: flow, r: r, dialed: dialed, calls: map[string]*call{}, now: time.Now}
	g.Webhook(fiber.MethodGet, VoiceGather, v.Gather)
	g.Webhook(fiber.MethodGet, VoicePassthru, v.Passthru)
	g.Webhook(fiber.MethodGet, VoiceRoute, v.Route)
	g.Webhook(fiber.MethodGet, VoiceConnect, v.Connect)
	g.Webhook(fiber.MethodGet, VoiceDialed, v.Dialed)
	for path, line := range map[string]string{VoiceSay: lineEnd, VoiceConnecting: lineConnecting, VoiceUnanswered: lineUnanswered} {
		h := v.say(line)
		// Exotel checks a Greeting's URL with HEAD before it fetches the text.
		g.Webhook(fiber.MethodHead, path, h)
		g.Webhook(fiber.MethodGet, path, h)
	}
	return v
}

// request is what every applet sends of her call.
type request struct{ sid, from, to string }

// read copies the call's parameters out of the request (Exotel sends From and CallFrom, To and
// CallTo, alike). Numbers without a "+" are read as Indian ones, so the conversation gets E.164.
func read(c *fiber.Ctx) (request, error) {
	q := func(names ...string) string {
		for _, n := range names {
			if v := strings.TrimSpace(c.Query(n)); v != "" {
				return strings.Clone(v)
			}
		}
		return ""
	}
	r := request{sid: q("CallSid"), from: q("From", "CallFrom"), to: q("To", "CallTo")}
	if r.sid == "" || r.from == "" {
		return request{}, onestop.Errorf(onestop.EINVALID, "missing CallSid or From")
	}
	if n, err := phone.Parse(r.from, Region); err == nil {
		r.from = n.E164
	}
	if n, err := phone.Parse(r.to, Region); err == nil && r.to != "" {
		r.to = n.E164
	}
	return r, nil
}

// digits reads the Passthru's digits: Exotel wraps them in double quotes ("\"1\""). They are
// copied: Fiber reuses the request's memory, and the call keeps them until its next hop.
func digits(c *fiber.Ctx) string {
	return strings.Clone(voice.Key(strings.Trim(strings.TrimSpace(c.Query("digits")), `"`)))
}

// step is one hop on the conversation. A kind ending (the engine's, for a hop that cannot go
// on) is answered like any ending; only a request that cannot be a caller's is refused.
func (v *VoiceHandler) step(ctx context.Context, r request, hop int, input string) (onestop.Screen, error) {
	scr, err := v.flow.Step(ctx, flows.Turn{Channel: onestop.Voice, Provider: VoiceProvider, SessionID: r.sid,
		Caller: r.from, ServiceCode: r.to, Hop: hop, Input: input})
	if onestop.ErrorCode(err) == onestop.EINVALID {
		return onestop.Screen{}, err
	}
	if err != nil {
		v.g.Log.Error("voice hop failed", "provider", VoiceProvider, "err", err)
	}
	return scr, nil
}

// sweep drops calls idle past callTTL, at most once a minute. v.mu is held.
func (v *VoiceHandler) sweep(now time.Time) {
	if now.Sub(v.swept) < time.Minute && len(v.calls) < maxCalls {
		return
	}
	v.swept = now
	for k, cl := range v.calls {
		if now.Sub(cl.seen) > callTTL {
			delete(v.calls, k)
		}
	}
}

// track returns the call sid's record, made with mk when there is none. v.mu is held.
func (v *VoiceHandler) track(sid string, mk func() *call) (*call, error) {
	now := v.now()
	v.sweep(now)
	cl := v.calls[sid]
	if cl == nil {
		if len(v.calls) >= maxCalls {
			return nil, onestop.Errorf(onestop.EUNAVAILABLE, "too many calls in progress")
		}
		cl = mk()
		v.calls[sid] = cl
	}
	cl.seen = now
	return cl, nil
}

// gatherReply is the Gather applet's dynamic answer.
type gatherReply struct {
	Prompt       prompt  `json:"gather_prompt"`
	MaxDigits    int     `json:"max_input_digits"`
	FinishOnKey  string  `json:"finish_on_key"`
	Timeout      int     `json:"input_timeout"`
	RepeatMenu   int     `json:"repeat_menu"`
	RepeatPrompt *prompt `json:"repeat_gather_prompt,omitempty"`
}

// prompt is a text for Exotel's text-to-speech, or a recording's URL.
type prompt struct {
	Text     string `json:"text,omitempty"`
	AudioURL string `json:"audio_url,omitempty"`
}

// maxNumberDigits is how many keys a question answered with # waits for: a phone number's.
const maxNumberDigits = 20

// Gather answers the Gather applet with this hop's question: the first hop's on a call's first
// request, the question her last key led to afterwards, the same again when Exotel asks again.
func (v *VoiceHandler) Gather(c *fiber.Ctx) error {
	start := time.Now()
	r, err := read(c)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "invalid", start)
		return err
	}
	v.mu.Lock()
	cl, err := v.track(r.sid, func() *call { return &call{} })
	var hop int
	var input string
	if cl != nil {
		cl.asked, cl.silent = true, false
		hop, input = cl.hop, cl.input
	}
	v.mu.Unlock()
	if err != nil {
		return err
	}
	// The first hop, or a retry of the hop she is on: the engine answers a retry with the
	// screen it gave, and records nothing.
	scr, err := v.step(c.UserContext(), r, hop, input)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "invalid", start)
		return err
	}
	p := v.r.Render(scr)
	v.mu.Lock()
	if cl := v.calls[r.sid]; cl != nil && cl.hop == hop {
		cl.scr, cl.ended = scr, p.End || p.Connect
	}
	v.mu.Unlock()
	reply := gatherReply{Prompt: one(p.Say), MaxDigits: 1, FinishOnKey: "#", Timeout: 6, RepeatMenu: 1}
	switch {
	case p.End || p.Connect:
		// Only a call that cannot go on gets an ending here (a Gather is always followed by a
		// Passthru): said once, and the Passthru ends the call.
		reply.Timeout, reply.RepeatMenu = 1, 0
	case p.Digits == 0:
		reply.MaxDigits, reply.Timeout = maxNumberDigits, 10
		reply.RepeatPrompt = &reply.Prompt
	default:
		reply.RepeatPrompt = &reply.Prompt
	}
	v.g.Metrics.Observe(VoiceProvider+"-voice", "ok", start)
	return c.JSON(reply)
}

// remember keeps the screen of hop, unless the call has moved on since.
func (v *VoiceHandler) remember(sid string, hop int, scr onestop.Screen) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if cl := v.calls[sid]; cl != nil && cl.hop == hop {
		cl.scr = scr
	}
}

// Passthru takes her key as the next hop: 200 when the conversation asks another question (the
// flow goes back to the Gather), 302 when it ends or puts her through (the flow goes on to the
// route). No key at all is silence: 302, and the call ends with the quiet line. A retried
// request is the same hop and gets the same status.
func (v *VoiceHandler) Passthru(c *fiber.Ctx) error {
	start := time.Now()
	r, err := read(c)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "invalid", start)
		return err
	}
	key := digits(c)
	v.mu.Lock()
	// A call this process never saw begin (after a restart, or not a call at all) is taken for
	// its second hop, which the engine ends kindly unless that is what it is.
	cl, err := v.track(r.sid, func() *call { return &call{asked: true} })
	var hop int
	silent, ended := key == "", false
	if cl != nil {
		ended = cl.ended
		switch {
		case ended:
		case silent:
			cl.silent, cl.asked = true, false
		case cl.asked:
			cl.hop, cl.input, cl.asked, cl.silent = cl.hop+1, key, false, false
		default:
			// No Gather since the last Passthru: a retry, or a key that is not one (the engine
			// then ends the call kindly, changing nothing).
			cl.input = key
		}
		hop = cl.hop
	}
	v.mu.Unlock()
	if err != nil {
		return err
	}
	if silent || ended {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "silent", start)
		return c.SendStatus(fiber.StatusFound)
	}
	scr, err := v.step(c.UserContext(), r, hop, key)
	if err != nil {
		v.g.Metrics.Observe(VoiceProvider+"-voice", "invalid", start)
		return err
	}
	v.remember(r.sid, hop, scr)
	v.g.Metrics.Observe(VoiceProvider+"-voice", "ok", start)
	if p := v.r.Render(scr); p.End || p.Connect {
		return c.SendStatus(fiber.StatusFound)
	}
	return c.SendStatus(fiber.StatusOK)
}

// last is the screen of the call's last hop and whether it ended in silence. A call this
// process does not know (after a restart) gets the engine's kind ending, which changes nothing.
func (v *VoiceHandler) last(ctx context.Context, r request) (onestop.Screen, bool, error) {
	v.mu.Lock()
	cl := v.calls[r.sid]
	var scr onestop.Screen
	var silent bool
	if cl != nil {
		cl.seen = v.now()
		scr, silent = cl.scr, cl.silent
	}
	v.mu.Unlock()
	if cl != nil && scr.Text != "" {
		return scr, silent, nil
	}
	scr, err := v.step(ctx, r, 1, "")
	return scr, false, err
}

// onDuty returns the counsellors on duty now; nobody when it cannot tell.
func (v *VoiceHandler) onDuty(ctx context.Context) []string {
	cfg := v.r.Config()
	if cfg.OnDuty == nil {
		return nil
	}
	numbers, err := cfg.OnDuty(ctx, v.now())
	if err != nil {
		v.g.Log.Error("cannot read who is on duty", "err", err)
		return nil
	}
	return numbers
}

// Route answers the second Passthru: 200 puts her through (her last key asked to talk to
// someone now and a counsellor is on duty), 302 says goodbye.
func (v *VoiceHandler) Route(c *fiber.Ctx) error {
	r, err := read(c)
	if err != nil {
		return err
	}
	scr, silent, err := v.last(c.UserContext(), r)
	if err != nil {
		return err
	}
	if p := v.r.Render(scr); !silent && p.Connect && len(v.onDuty(c.UserContext())) > 0 {
		return c.SendStatus(fiber.StatusOK)
	}
	return c.SendStatus(fiber.StatusFound)
}

// connectReply is the Connect applet's dynamic answer.
type connectReply struct {
	FetchAfterAttempt bool        `json:"fetch_after_attempt"`
	Destination       destination `json:"destination"`
	From              string      `json:"outgoing_phone_number,omitempty"`
	Record            bool        `json:"record"`
	Ringing           int         `json:"max_ringing_duration"`
	Conversation      int         `json:"max_conversation_duration"`
}

type destination struct {
	Numbers []string `json:"numbers"`
}

// maxConversation bounds the call put through, in seconds: Exotel's own limit is 4 hours.
const maxConversation = 3600

// Connect answers the Connect applet: the counsellors on duty, rung from the helpline's number
// so their phones never show hers, not recorded. Only a call whose conversation asked to be put
// through gets numbers (403 otherwise); with nobody on duty the list is empty and the applet's
// "nobody answered" branch gives her the helpline. (Exotel has no whisper: a counsellor's phone
// must not divert to voicemail.)
func (v *VoiceHandler) Connect(c *fiber.Ctx) error {
	r, err := read(c)
	if err != nil {
		return err
	}
	scr, silent, err := v.last(c.UserContext(), r)
	if err != nil {
		return err
	}
	if p := v.r.Render(scr); silent || !p.Connect {
		return onestop.Errorf(onestop.EFORBIDDEN, "this call did not ask to be put through")
	}
	cfg := v.r.Config()
	numbers := v.onDuty(c.UserContext())
	if numbers == nil {
		numbers = []string{}
	}
	return c.JSON(connectReply{Destination: destination{Numbers: numbers}, From: cfg.CallerID,
		Ringing: int(cfg.RingTime() / time.Second), Conversation: maxConversation})
}

// Dialed answers the Passthru after the Connect applet: 200 when a counsellor took her call
// (Exotel's CallType "completed"; the flow hangs up), 302 when nobody did (the flow gives her the
// helpline). The outcome is recorded on her contact once, however often Exotel asks. Only a call
// that was put through is answered (403 otherwise).
func (v *VoiceHandler) Dialed(c *fiber.Ctx) error {
	r, err := read(c)
	if err != nil {
		return err
	}
	scr, silent, err := v.last(c.UserContext(), r)
	if err != nil {
		return err
	}
	if p := v.r.Render(scr); silent || !p.Connect {
		return onestop.Errorf(onestop.EFORBIDDEN, "this call was not put through")
	}
	status := strings.ToLower(strings.TrimSpace(c.Query("CallType")))
	answered := status == "completed"
	v.mu.Lock()
	first := false
	if cl := v.calls[r.sid]; cl != nil && !cl.dialed {
		cl.dialed, first = true, true
	}
	v.mu.Unlock()
	if first && v.dialed != nil {
		secs, _ := strconv.Atoi(strings.TrimSpace(c.Query("DialCallDuration")))
		o := DialOutcome{Provider: VoiceProvider, CallID: r.sid, Answered: answered, Status: strings.Clone(status),
			Duration: time.Duration(max(secs, 0)) * time.Second}
		if answered {
			if n, err := phone.Parse(strings.TrimSpace(c.Query("DialWhomNumber")), Region); err == nil {
				o.Counsellor = n.E164
			}
		}
		if err := v.dialed(c.UserContext(), o); err != nil {
			v.g.Log.Error("cannot record what became of a call put through", "err", err)
		}
	}
	if answered {
		return c.SendStatus(fiber.StatusOK)
	}
	return c.SendStatus(fiber.StatusFound)
}

// The Greetings' lines.
const (
	lineEnd        = "end"
	lineConnecting = "connecting"
	lineUnanswered = "unanswered"
)

// say answers a Greeting's dynamic text (text/plain: words for text-to-speech, or a
// recording's URL) with a line of her last hop:
//
//	end         the ending (goodbye, or the engine's kind ending); after silence the quiet line;
//	            for a call to be put through with nobody on duty, "please wait" and the helpline
//	connecting  "please wait, you are being put through"
//	unanswered  nobody took her call: the helpline's number
func (v *VoiceHandler) say(line string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		r, err := read(c)
		if err != nil {
			return err
		}
		scr, silent, err := v.last(c.UserContext(), r)
		if err != nil {
			return err
		}
		p := v.r.Render(scr)
		var segs []voice.Segment
		switch {
		case line == lineConnecting:
			segs = p.Say
		case line == lineUnanswered || silent:
			segs = p.Quiet
		case p.Connect:
			segs = append(append(segs, p.Say...), p.Quiet...)
		default:
			segs = p.Say
		}
		if len(segs) == 0 {
			segs = p.Say // the kind ending, which names the helpline too
		}
		pr := one(segs)
		text := pr.Text
		if pr.AudioURL != "" {
			text = pr.AudioURL
		}
		c.Set(fiber.HeaderContentType, "text/plain")
		return c.SendString(text)
	}
}

// one is the one thing an applet says: the recording when the line is one, else all of its text.
func one(segs []voice.Segment) prompt {
	if len(segs) == 1 && segs[0].URL != "" {
		return prompt{AudioURL: segs[0].URL}
	}
	texts := make([]string, 0, len(segs))
	for _, s := range segs {
		texts = append(texts, s.Text)
	}
	return prompt{Text: strings.Join(texts, " ")}
}
