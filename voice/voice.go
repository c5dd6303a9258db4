// Package voice reads the helpline's screens aloud: it turns an onestop.Screen into the spoken
// segments of one prompt (text for a provider's text-to-speech, or the URL of a recording an
// operator made), written for the ear: options read "for X, press N", numbers read digit by
// digit, no "98 More". Each provider package (gateway/twilio, gateway/africastalking,
// gateway/exotel) turns a Prompt into its own XML or JSON; this package knows none of them.
//
// It also serves the recorded prompts an operator drops into a directory, named by catalogue key
// and language, and lists the ones still missing.
//
// It must never speak a word the screens' catalogue or the spoken catalogue (locales) does not
// hold, apart from the numbers and places a screen carries, and never keep anything of a caller.
package voice

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
)

// Segment is one thing said: a recording's URL when one exists (played in preference), and
// always its text, for a provider that cannot play it where it stands.
type Segment struct {
	Text string
	URL  string
	// Key is the catalogue key the text is from, if any: which recording would stand for it.
	Key locales.Key
}

// Prompt is one hop of a call as spoken: what to say, how many keys to wait for, and what to
// say when she presses nothing.
type Prompt struct {
	Lang onestop.Lang
	Say  []Segment
	// Digits is how many keys to wait for: 1, or 0 for a number of any length ended by #.
	Digits int
	// Quiet is said, before hanging up, when the prompt has been said twice without a key.
	Quiet []Segment
	// End says the call ends after Say; Connect that it is put through to a counsellor.
	End, Connect bool
}

// encoded is a screen as the conversation keeps it for a voice call (flows keeps the laid-out
// page of every hop, for a retry): what the renderer needs, and nothing of USSD's layout.
type encoded struct {
	V       int              `json:"v"`
	Lang    onestop.Lang     `json:"l"`
	Hint    string           `json:"h,omitempty"`
	Prompt  string           `json:"p,omitempty"`
	Options []onestop.Option `json:"o,omitempty"`
	Back    bool             `json:"b,omitempty"`
	Exit    bool             `json:"x,omitempty"`
	End     bool             `json:"e,omitempty"`
	Connect bool             `json:"c,omitempty"`
	Quiet   string           `json:"q,omitempty"`
}

// Encode is the one "page" of a screen on a voice call, as the conversation stores it and gives
// it back for a retried hop: quiet is what to say after silence (VoiceNoInput, with her
// helpline). Decode reads it back.
func Encode(s onestop.Screen, quiet string) string {
	b, _ := json.Marshal(encoded{V: 1, Lang: s.Lang, Hint: s.Hint, Prompt: s.Prompt, Options: s.Options,
		Back: s.Back, Exit: s.Exit, End: s.End, Connect: s.Connect, Quiet: quiet})
	return string(b)
}

// Decode returns the screen a voice hop's Text holds and its quiet line. A Text that Encode did
// not make (the engine's kind ending for a hop that cannot go on) is an ending that says it.
func Decode(s onestop.Screen) (onestop.Screen, string) {
	var e encoded
	if strings.HasPrefix(s.Text, `{"v":1,`) && json.Unmarshal([]byte(s.Text), &e) == nil {
		return onestop.Screen{Lang: e.Lang, Hint: e.Hint, Prompt: e.Prompt, Options: e.Options,
			Back: e.Back, Exit: e.Exit, End: e.End, Connect: e.Connect, Text: s.Text}, e.Quiet
	}
	text := s.Text
	if text == "" {
		text = s.Prompt
	}
	return onestop.Screen{Lang: s.Lang, Prompt: text, End: true, Text: s.Text}, ""
}

// Key maps a key she pressed to the conversation's: star is "back" (99), which a voice prompt
// offers in its place; any other key is itself. Spaces and a trailing hash are dropped.
func Key(digits string) string {
	d := strings.TrimSuffix(strings.TrimSpace(digits), "#")
	if d == "*" {
		return "99"
	}
	return d
}

// Config tunes what the providers' packages say and where they put a call through.
type Config struct {
	// Voices names the text-to-speech voice for each language (Twilio: "Google.bn-IN-Standard-A").
	// A language without one gets DefaultVoices'.
	Voices map[onestop.Lang]Voice
	// Prompts is the directory of recorded prompts: {Prompts}/{lang}/{key}.mp3 or .wav. Empty:
	// none, everything is spoken.
	Prompts string
	// PromptURL is the public URL the prompts are served at (PublicURL + PromptsPath).
	PromptURL string
	// Ring is how long a counsellor's phone rings before she hears the helpline instead (0:
	// DefaultRing).
	Ring time.Duration
	// OnDuty returns the numbers of the counsellors on duty at a time, in E.164: staff.Service's
	// DutyNow. Nil: nobody, so a call to talk now gets the helpline.
	OnDuty func(ctx context.Context, at time.Time) ([]string, error)
	// CallerID is the number her call is put through from (the helpline's own), so a
	// counsellor's phone shows the helpline, never her number.
	CallerID string
	// Helpline is the number she is told when nobody takes her call.
	Helpline string
}

// Voice is a text-to-speech voice and the language tag it speaks.
type Voice struct{ Name, Language string }

// DefaultVoices are Google voices Twilio offers for each language (there is no bn-BD voice).
var DefaultVoices = map[onestop.Lang]Voice{
	onestop.Bengali: {"Google.bn-IN-Standard-A", "bn-IN"},
	onestop.Hindi:   {"Google.hi-IN-Standard-A", "hi-IN"},
	onestop.Arabic:  {"Google.ar-XA-Standard-A", "ar-XA"},
	onestop.English: {"Google.en-IN-Standard-A", "en-IN"},
}

// DefaultRing is how long a counsellor's phone rings.
const DefaultRing = 30 * time.Second

// VoiceFor returns the voice for lang.
func (c Config) VoiceFor(lang onestop.Lang) Voice {
	if v, ok := c.Voices[lang]; ok && v.Name != "" {
		return v
	}
	if v, ok := DefaultVoices[lang]; ok {
		return v
	}
	return DefaultVoices[onestop.English]
}

// RingTime returns Ring or its default.
func (c Config) RingTime() time.Duration {
	if c.Ring <= 0 {
		return DefaultRing
	}
	return c.Ring
}
