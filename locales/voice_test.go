package locales

import (
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
)

func TestSpokenCatalogueComplete(t *testing.T) {
	for _, lang := range onestop.Langs {
		cat := voiceCatalogues[lang]
		if len(cat) != len(VoiceKeys) {
			t.Errorf("%s: %d spoken entries, want %d", lang, len(cat), len(VoiceKeys))
		}
		for _, k := range VoiceKeys {
			v, ok := cat[k]
			if !ok || strings.TrimSpace(v) == "" {
				t.Errorf("%s: %s missing", lang, k)
			}
			if strings.Count(v, "%[") != strings.Count(voiceEn[k], "%[") {
				t.Errorf("%s: %s has other verbs than English", lang, k)
			}
		}
	}
}

// The first question and the goodbyes are heard by whoever stands near her phone.
func TestSpokenFirstQuestionIsNeutral(t *testing.T) {
	for _, lang := range onestop.Langs {
		for _, k := range []Key{VoiceSafe, VoiceNoInput, VoiceNoAnswer, VoiceExit} {
			low := strings.ToLower(Spoken(lang, k, "109"))
			for _, w := range []string{"violence", "abuse", "helpline", "police", "crisis", "centre"} {
				if strings.Contains(low, w) {
					t.Errorf("%s %s says %q", lang, k, w)
				}
			}
		}
	}
}

func TestKeyOf(t *testing.T) {
	if k, ok := KeyOf(onestop.Hindi, Text(onestop.Hindi, MenuTalk)); !ok || k != MenuTalk {
		t.Errorf("KeyOf(menu_talk) = %q, %v", k, ok)
	}
	if k, ok := KeyOf(onestop.Bengali, Spoken(onestop.Bengali, VoiceSafe)); !ok || k != VoiceSafe {
		t.Errorf("KeyOf(voice_safe) = %q, %v", k, ok)
	}
	if _, ok := KeyOf(onestop.English, "anything else"); ok {
		t.Error("KeyOf found a key for free text")
	}
}
