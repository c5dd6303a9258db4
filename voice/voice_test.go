package voice_test

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/voice"
)

func TestDigitsAreReadOneByOne(t *testing.T) {
	for in, want := range map[string]string{
		"Call 109 free.":   "Call 1 0 9 free.",
		"+8801711000555":   "+8 8 0 1 7 1 1 0 0 0 5 5 5",
		"১০৯ নম্বরে":       "১ ০ ৯ নম্বরে",
		"no digits at all": "no digits at all",
	} {
		if got := voice.Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStarIsBack(t *testing.T) {
	for in, want := range map[string]string{"*": "99", "1": "1", " 2 ": "2", "01712#": "01712", "": ""} {
		if got := voice.Key(in); got != want {
			t.Errorf("Key(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestARenderedMenuIsWrittenForTheEar(t *testing.T) {
	scr := onestop.Screen{Lang: onestop.English, Options: []onestop.Option{
		{Key: "1", Label: locales.Text(onestop.English, locales.MenuTalk)},
		{Key: "2", Label: locales.Text(onestop.English, locales.MenuNearby)},
	}, Back: true, Exit: true}
	scr.Text = voice.Encode(scr, "quiet 109")
	p := voice.NewRenderer(voice.Config{}).Render(scr)
	var said []string
	for _, s := range p.Say {
		said = append(said, s.Text)
	}
	want := []string{"For Talk to someone now, press 1.", "For Find help near you, press 2.", "To go back, press star.", "To end the call, press 0."}
	if len(said) != len(want) {
		t.Fatalf("said %q", said)
	}
	for i := range want {
		if said[i] != want[i] {
			t.Errorf("line %d %q, want %q", i, said[i], want[i])
		}
	}
	if p.Digits != 1 || p.End || len(p.Quiet) != 1 || p.Quiet[0].Text != "quiet 1 0 9" {
		t.Fatalf("prompt %+v", p)
	}
	// The engine's kind ending is not encoded: it is read as an ending.
	end := voice.NewRenderer(voice.Config{}).Render(onestop.Screen{Lang: onestop.English, Prompt: "Over. Call 109.", End: true, Text: "Over. Call 109."})
	if !end.End || len(end.Say) != 1 || end.Say[0].Text != "Over. Call 1 0 9." {
		t.Fatalf("ending %+v", end)
	}
}

func promptsDir(t *testing.T) string {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "bn"), 0o755)
	os.WriteFile(filepath.Join(dir, "bn", "voice_safe.mp3"), []byte("ID3 safe"), 0o644)
	os.WriteFile(filepath.Join(dir, "bn", "menu_talk.wav"), []byte("RIFF talk"), 0o644)
	os.WriteFile(filepath.Join(dir, "bn", "press_1.mp3"), []byte("ID3 one"), 0o644)
	os.WriteFile(filepath.Join(dir, "secret.txt"), []byte("not a prompt"), 0o644)
	return dir
}

func TestRecordingsArePreferredToSpeech(t *testing.T) {
	dir := promptsDir(t)
	r := voice.NewRenderer(voice.Config{Prompts: dir, PromptURL: "https://gw.example.org/voice/prompts/"})
	seg := r.Line(onestop.Bengali, locales.VoiceSafe)
	if len(seg) != 1 || seg[0].URL != "https://gw.example.org/voice/prompts/bn/voice_safe.mp3" || seg[0].Text == "" {
		t.Fatalf("voice_safe: %+v", seg)
	}
	scr := onestop.Screen{Lang: onestop.Bengali, Options: []onestop.Option{{Key: "1", Label: locales.Text(onestop.Bengali, locales.MenuTalk)}}}
	scr.Text = voice.Encode(scr, "")
	p := r.Render(scr)
	if len(p.Say) != 2 || p.Say[0].URL != "https://gw.example.org/voice/prompts/bn/menu_talk.wav" || p.Say[1].URL != "https://gw.example.org/voice/prompts/bn/press_1.mp3" {
		t.Fatalf("option: %+v", p.Say)
	}
	if hi := r.Line(onestop.Hindi, locales.VoiceSafe); hi[0].URL != "" {
		t.Fatalf("a Hindi line played the Bengali recording: %+v", hi)
	}
}

func TestMissingPrompts(t *testing.T) {
	dir := promptsDir(t)
	all := len(voice.PromptKeys()) * len(onestop.Langs)
	missing := voice.MissingPrompts(dir)
	if len(missing) != all-3 {
		t.Fatalf("%d missing of %d, want %d", len(missing), all, all-3)
	}
	for _, m := range missing {
		if m.Lang == onestop.Bengali && (m.Key == locales.VoiceSafe || m.Key == locales.MenuTalk || m.Key == "press_1") {
			t.Fatalf("%s/%s listed though it is recorded", m.Lang, m.Key)
		}
		if m.Text == "" {
			t.Fatalf("%s/%s has no text to record", m.Lang, m.Key)
		}
	}
	if n := len(voice.MissingPrompts(filepath.Join(dir, "nowhere"))); n != all {
		t.Fatalf("no directory: %d missing, want %d", n, all)
	}
}

func TestPromptsAreServedAndNothingElse(t *testing.T) {
	dir := promptsDir(t)
	app := fiber.New()
	voice.RegisterPrompts(app, dir)
	for _, tc := range []struct {
		path string
		want int
		ct   string
	}{
		{"/voice/prompts/bn/voice_safe.mp3", 200, "audio/mpeg"},
		{"/voice/prompts/bn/menu_talk.wav", 200, "audio/wav"},
		{"/voice/prompts/hi/voice_safe.mp3", 404, ""},
		{"/voice/prompts/xx/voice_safe.mp3", 404, ""},
		{"/voice/prompts/bn/..%2Fsecret.txt", 404, ""},
		{"/voice/prompts/bn/../secret.txt", 404, ""},
		{"/voice/prompts/bn/%2e%2e", 404, ""},
		{"/voice/prompts/bn/voice_safe.txt", 404, ""},
	} {
		resp, err := app.Test(httptest.NewRequest("GET", tc.path, nil))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != tc.want || (tc.ct != "" && resp.Header.Get("Content-Type") != tc.ct) {
			t.Errorf("%s: %d %s, want %d %s", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), tc.want, tc.ct)
		}
	}
}
