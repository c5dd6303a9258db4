package flows

import (
	"context"

	"github.com/looplab/fsm"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/voice"
)

// A voice call is the USSD conversation, spoken, with two differences. Its first question is
// whether she can talk freely now: "no" ends the call at once with a neutral goodbye and marks
// her number "do not contact". And "talk to someone now" records her urgent contact and puts the
// call through to the counsellors on duty (Screen.Connect) rather than building a plan for a
// call back: she is on the phone already.
const (
	stSafe = "safe" // can you talk freely now: the first question of every call
)

// voiceEvents are the voice call's own moves, beside the conversation's graph.
var voiceEvents = []struct {
	name string
	src  []string
	dst  string
}{
	{"safe", []string{stSafe}, stMenu},
	{"unsafe", []string{stSafe}, stDone},
	{"connect", []string{stMenu}, stDone},
}

func init() {
	for _, ev := range voiceEvents {
		transitions = append(transitions, fsm.EventDesc{Name: ev.name, Src: ev.src, Dst: ev.dst})
	}
	callbacks["after_unsafe"] = func(_ context.Context, e *fsm.Event) { on(e).unsafe() }
	callbacks["after_connect"] = func(_ context.Context, e *fsm.Event) { on(e).connect() }
}

// isVoice says the hop came by a voice call.
func (st *step) isVoice() bool { return st.turn.Channel == onestop.Voice }

// unsafe ends the call: she cannot talk. Her number is marked "do not contact" though she chose
// nothing else, and nothing else of her is recorded.
func (st *step) unsafe() {
	st.doNotContact, st.notSafe = true, true
	st.end = locales.Text(st.s.Lang, locales.Goodbye)
}

// connect records her contact urgent, as "talk now" does on USSD (its alerts go with it, through
// Config.Recorded), and ends the conversation with the screen that puts her call through. If
// nobody takes it she hears the helpline, and the contact stays urgent and open.
func (st *step) connect() {
	st.classify(onestop.Urgent)
	st.end = locales.Spoken(st.s.Lang, locales.VoiceConnecting)
	st.connecting = true
}

// voiceParse maps a key on a voice call's own screens, before the conversation's parse.
func (st *step) voiceParse(in string) (event string, ok, handled bool) {
	switch st.s.State {
	case stSafe:
		switch in {
		case "1":
			return "safe", true, true
		case "2":
			return "unsafe", true, true
		}
		return "", false, true
	case stMenu:
		if in == "1" {
			return "connect", true, true
		}
	}
	return "", false, false
}

// voiceScreen is the screen of a voice call's own states, or false for the conversation's.
func (st *step) voiceScreen(hint string) (onestop.Screen, bool) {
	if st.s.State != stSafe {
		return onestop.Screen{}, false
	}
	lang := st.s.Lang
	return onestop.Screen{Lang: lang, Hint: hint, Prompt: locales.Spoken(lang, locales.VoiceSafe), Exit: true,
		Options: []onestop.Option{
			{Key: "1", Label: locales.Spoken(lang, locales.VoiceYes)},
			{Key: "2", Label: locales.Spoken(lang, locales.VoiceNo)},
		}}, true
}

// voicePage is a voice screen's one "page": the screen encoded for the voice renderer, with
// what to say when she presses nothing.
func (st *step) voicePage(scr onestop.Screen) string {
	quiet := locales.Spoken(scr.Lang, locales.VoiceNoInput, st.e.helpline(st.s.Country))
	if scr.Connect {
		quiet = locales.Spoken(scr.Lang, locales.VoiceNoAnswer, st.e.helpline(st.s.Country))
	}
	return voice.Encode(scr, quiet)
}
