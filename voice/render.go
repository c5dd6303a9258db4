package voice

import (
	"strings"
	"unicode"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
)

// Renderer reads screens aloud, preferring an operator's recording to text-to-speech.
type Renderer struct {
	cfg Config
	// have maps "lang/key" to the file name of its recording, found once at start.
	have map[string]string
}

// NewRenderer returns a renderer for cfg, reading which recordings cfg.Prompts holds. A missing
// directory is no recordings at all.
func NewRenderer(cfg Config) *Renderer {
	cfg.PromptURL = strings.TrimRight(cfg.PromptURL, "/")
	return &Renderer{cfg: cfg, have: recordings(cfg.Prompts)}
}

// Config returns the renderer's configuration.
func (r *Renderer) Config() Config { return r.cfg }

// Render turns a hop's screen (as the conversation returned it: see Encode) into its prompt.
func (r *Renderer) Render(s onestop.Screen) Prompt {
	scr, quiet := Decode(s)
	lang := scr.Lang
	if !lang.Valid() {
		lang = onestop.English
	}
	p := Prompt{Lang: lang, End: scr.End, Connect: scr.Connect, Digits: 1}
	if scr.Hint != "" {
		p.Say = append(p.Say, r.text(lang, scr.Hint)...)
	}
	if scr.Prompt != "" {
		p.Say = append(p.Say, r.text(lang, scr.Prompt)...)
	}
	if quiet != "" {
		p.Quiet = r.text(lang, quiet)
	}
	if p.End {
		return p
	}
	if len(scr.Options) == 0 {
		p.Digits = 0
	}
	for _, o := range scr.Options {
		if len(o.Key) != 1 {
			p.Digits = 0
		}
		p.Say = append(p.Say, r.option(lang, o)...)
	}
	if scr.Back {
		p.Say = append(p.Say, r.Line(lang, locales.VoiceBack)...)
	}
	if scr.Exit {
		p.Say = append(p.Say, r.Line(lang, locales.VoiceExit)...)
	}
	if p.Digits == 0 {
		p.Say = append(p.Say, r.Line(lang, locales.VoiceThenHash)...)
	}
	return p
}

// Line is one line of the spoken catalogue (or the screens'), as a recording when there is one
// for a line without arguments.
func (r *Renderer) Line(lang onestop.Lang, key locales.Key, args ...any) []Segment {
	if len(args) == 0 {
		if u := r.url(lang, key); u != "" {
			return []Segment{{URL: u, Text: Digits(locales.Spoken(lang, key)), Key: key}}
		}
	}
	return []Segment{{Text: Digits(locales.Spoken(lang, key, args...)), Key: key}}
}

// option reads "for X, press N": the label's and the key's recordings when both exist.
func (r *Renderer) option(lang onestop.Lang, o onestop.Option) []Segment {
	if k, ok := locales.KeyOf(lang, o.Label); ok {
		press := locales.Key("press_" + o.Key)
		if a, b := r.url(lang, k), r.url(lang, press); a != "" && b != "" {
			return []Segment{{URL: a, Text: Digits(o.Label), Key: k}, {URL: b, Text: o.Key, Key: press}}
		}
	}
	return []Segment{{Text: Digits(locales.Spoken(lang, locales.VoicePress, o.Label, o.Key))}}
}

// text reads free text, one segment a line: a line that is a catalogue entry gets its recording.
func (r *Renderer) text(lang onestop.Lang, text string) []Segment {
	var out []Segment
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if k, ok := locales.KeyOf(lang, line); ok {
			if u := r.url(lang, k); u != "" {
				out = append(out, Segment{URL: u, Text: Digits(line), Key: k})
				continue
			}
			out = append(out, Segment{Text: Digits(line), Key: k})
			continue
		}
		out = append(out, Segment{Text: Digits(line)})
	}
	return out
}

func (r *Renderer) url(lang onestop.Lang, key locales.Key) string {
	if f, ok := r.have[string(lang)+"/"+string(key)]; ok && r.cfg.PromptURL != "" {
		return r.cfg.PromptURL + "/" + string(lang) + "/" + f
	}
	return ""
}

// Digits spaces out every run of digits so that a voice reads them one by one: "109" is read
// "1 0 9", never "one hundred and nine". A "+" before a number is kept.
func Digits(s string) string {
	var b strings.Builder
	prevDigit := false
	for _, c := range s {
		d := unicode.IsDigit(c)
		if d && prevDigit {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
		prevDigit = d
	}
	return b.String()
}
