package voice

import (
	"fmt"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
)

// The environment a voice gateway reads (FromEnv).
const (
	EnvRing     = "ONESTOP_VOICE_RING"      // how long counsellors' phones ring: a duration ("30s") or seconds
	EnvPrompts  = "ONESTOP_VOICE_PROMPTS"   // the directory of recorded prompts
	EnvCallerID = "ONESTOP_VOICE_CALLER_ID" // the helpline number her call is put through from
	EnvVoice    = "ONESTOP_VOICE_VOICE_"    // + BN, HI, AR, EN: "Google.bn-IN-Standard-B" or "name,language"
)

// callerID is the helpline's number for country from v, which is either one number or, as the
// bridged callbacks read it, CC:+number pairs ("BD:+8809612000000,IN:+918069000000"); with
// pairs and no country given, BD's.
func callerID(v, country string) string {
	v = strings.TrimSpace(v)
	if !strings.Contains(v, ":") {
		return v
	}
	if country = strings.ToUpper(strings.TrimSpace(country)); country == "" {
		country = "BD"
	}
	for _, f := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		if cc, num, ok := strings.Cut(f, ":"); ok && strings.EqualFold(strings.TrimSpace(cc), country) {
			return strings.TrimSpace(num)
		}
	}
	return ""
}

// FromEnv reads Config from getenv (os.Getenv), publicURL being the gateway's public base URL
// (for the prompts' URLs). OnDuty is left for the caller to set. Returns an error naming the
// variable that is wrong.
func FromEnv(getenv func(string) string, publicURL string) (Config, error) {
	cfg := Config{Prompts: getenv(EnvPrompts), CallerID: callerID(getenv(EnvCallerID), getenv("ONESTOP_COUNTRY"))}
	if publicURL != "" {
		cfg.PromptURL = strings.TrimRight(publicURL, "/") + PromptsPath
	}
	if r := strings.TrimSpace(getenv(EnvRing)); r != "" {
		d, err := time.ParseDuration(r)
		if err != nil {
			d, err = time.ParseDuration(r + "s")
		}
		if err != nil || d < 5*time.Second || d > 120*time.Second {
			return Config{}, fmt.Errorf("%s=%q: give a ring time from 5s to 120s", EnvRing, r)
		}
		cfg.Ring = d
	}
	for _, lang := range onestop.Langs {
		name := EnvVoice + strings.ToUpper(string(lang))
		v := strings.TrimSpace(getenv(name))
		if v == "" {
			continue
		}
		voiceName, language, ok := strings.Cut(v, ",")
		if !ok {
			language = DefaultVoices[lang].Language
		}
		if voiceName == "" || language == "" {
			return Config{}, fmt.Errorf("%s=%q: give a voice name, or a name and a language tag", name, v)
		}
		if cfg.Voices == nil {
			cfg.Voices = map[onestop.Lang]Voice{}
		}
		cfg.Voices[lang] = Voice{Name: strings.TrimSpace(voiceName), Language: strings.TrimSpace(language)}
	}
	return cfg, nil
}
