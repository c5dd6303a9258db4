package voice_test

import (
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/voice"
)

func TestFromEnv(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	cfg, err := voice.FromEnv(env(nil), "https://gw.example.org/")
	if err != nil || cfg.RingTime() != voice.DefaultRing || cfg.PromptURL != "https://gw.example.org/voice/prompts" {
		t.Fatalf("defaults: %+v %v", cfg, err)
	}
	if v := cfg.VoiceFor(onestop.Arabic); v.Language != "ar-XA" {
		t.Fatalf("Arabic voice %+v", v)
	}
	cfg, err = voice.FromEnv(env(map[string]string{"ONESTOP_VOICE_RING": "20", "ONESTOP_VOICE_VOICE_HI": "Polly.Aditi,hi-IN",
		"ONESTOP_VOICE_VOICE_BN": "Google.bn-IN-Wavenet-A"}), "")
	if err != nil || cfg.Ring != 20*time.Second || cfg.VoiceFor(onestop.Hindi) != (voice.Voice{"Polly.Aditi", "hi-IN"}) ||
		cfg.VoiceFor(onestop.Bengali) != (voice.Voice{"Google.bn-IN-Wavenet-A", "bn-IN"}) {
		t.Fatalf("set: %+v %v", cfg, err)
	}
	for _, bad := range []string{"soon", "1s", "10m"} {
		if _, err := voice.FromEnv(env(map[string]string{"ONESTOP_VOICE_RING": bad}), ""); err == nil {
			t.Errorf("ring %q accepted", bad)
		}
	}
}
