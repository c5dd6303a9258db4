package voice

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/tabwriter"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
)

// PromptsPath is where the gateway serves the recorded prompts: PromptsPath/{lang}/{key}.{ext}.
const PromptsPath = "/voice/prompts"

// contentTypes are the recordings' formats every provider plays.
var contentTypes = map[string]string{".mp3": "audio/mpeg", ".wav": "audio/wav"}

// promptName is a recording's file name: a key of the catalogues and its format.
var promptName = regexp.MustCompile(`^[a-z0-9_]{1,64}\.(mp3|wav)$`)

// recordings lists the recordings in dir, as "lang/key" → file name. An mp3 is preferred to a
// wav of the same key.
func recordings(dir string) map[string]string {
	have := map[string]string{}
	if dir == "" {
		return have
	}
	for _, lang := range onestop.Langs {
		entries, err := os.ReadDir(filepath.Join(dir, string(lang)))
		if err != nil {
			continue
		}
		for _, e := range entries {
			name := e.Name()
			if !e.Type().IsRegular() || !promptName.MatchString(name) {
				continue
			}
			key := string(lang) + "/" + strings.TrimSuffix(name, filepath.Ext(name))
			if prev, ok := have[key]; !ok || strings.HasSuffix(prev, ".wav") {
				have[key] = name
			}
		}
	}
	return have
}

// PromptKeys lists every key a recording can stand for: each line of the screens' and the
// spoken catalogues that has no number or name in it, and "press_0" … "press_9", the second
// half of "for X, press N".
func PromptKeys() []locales.Key {
	var out []locales.Key
	for _, k := range append(locales.Keys(), locales.VoiceKeys...) {
		if !strings.Contains(locales.Spoken(onestop.English, k), "%") {
			out = append(out, k)
		}
	}
	for d := '0'; d <= '9'; d++ {
		out = append(out, locales.Key("press_"+string(d)))
	}
	return out
}

// Missing is a recording not yet made.
type Missing struct {
	Lang onestop.Lang
	Key  locales.Key
	// Text is what it must say (for "press_N", the key to press).
	Text string
}

// MissingPrompts lists, language by language, the keys dir holds no recording for.
func MissingPrompts(dir string) []Missing {
	have := recordings(dir)
	var out []Missing
	for _, lang := range onestop.Langs {
		for _, k := range PromptKeys() {
			if _, ok := have[string(lang)+"/"+string(k)]; ok {
				continue
			}
			text := locales.Spoken(lang, k)
			if strings.HasPrefix(string(k), "press_") {
				text = strings.TrimPrefix(string(k), "press_")
			}
			out = append(out, Missing{Lang: lang, Key: k, Text: text})
		}
	}
	return out
}

// ServePrompt answers GET PromptsPath/{lang}/{file}: the recording, from dir, with its content
// type. Anything that is not a language and a recording's name (a path, "..", another format)
// is 404, so nothing outside dir can be read.
func ServePrompt(dir string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		lang, name := onestop.Lang(c.Params("lang")), c.Params("file")
		if dir == "" || !lang.Valid() || !promptName.MatchString(name) {
			return fiber.NewError(fiber.StatusNotFound, "no such prompt")
		}
		path := filepath.Join(dir, string(lang), name)
		fi, err := os.Stat(path)
		if err != nil || !fi.Mode().IsRegular() {
			return fiber.NewError(fiber.StatusNotFound, "no such prompt")
		}
		c.Set(fiber.HeaderContentType, contentTypes[filepath.Ext(name)])
		c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
		return c.SendFile(path)
	}
}

// RegisterPrompts serves the recordings in dir at PromptsPath/{lang}/{file}, outside the
// webhook token: providers fetch them by the URLs the prompts carry.
func RegisterPrompts(app *fiber.App, dir string) {
	app.Get(PromptsPath+"/:lang/:file", ServePrompt(dir))
}

// PrintMissing writes, for onestop voice prompts, the prompts of dir still without a
// recording, one a line with its language, key and the text spoken instead.
func PrintMissing(w io.Writer, dir string) error {
	missing := MissingPrompts(dir)
	if dir == "" {
		fmt.Fprintf(w, "%s is not set: every prompt is spoken by text-to-speech (%d prompts)\n", EnvPrompts, len(missing))
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "LANG\tKEY\tTEXT")
	for _, p := range missing {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Lang, p.Key, p.Text)
	}
	if len(missing) == 0 {
		fmt.Fprintln(tw, "(every prompt has a recording)")
	}
	return tw.Flush()
}
