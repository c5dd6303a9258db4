package locales

import (
	"testing"

	"github.com/onestop-helpline/onestop"
)

func TestDistanceAgreesInArabic(t *testing.T) {
	for _, tt := range []struct{ km, want string }{
		{"1", "على بعد كيلومتر واحد"},
		{"2", "على بعد كيلومترين"},
		{"3", "على بعد \u200e3 كيلومترات"},
		{"10", "على بعد \u200e10 كيلومترات"},
		{"11", "على بعد \u200e11 كيلومترًا"},
		{"54", "على بعد \u200e54 كيلومترًا"},
		{"100", "على بعد \u200e100 كيلومتر"},
		{"103", "على بعد \u200e103 كيلومترات"},
		{"3.5", "على بعد \u200e3.5 كيلومتر"},
	} {
		if got := Distance(onestop.Arabic, tt.km); got != tt.want {
			t.Errorf("Distance(ar, %s) = %q, want %q", tt.km, got, tt.want)
		}
	}
	if got := Distance(onestop.English, "54"); got != "54 kilometres away" {
		t.Errorf("Distance(en, 54) = %q", got)
	}
}
