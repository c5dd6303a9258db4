package locales

import "testing"

// Moved from cmd/onestop's TestPageLimitsFromTheEnvironment, beside the Limit it reads.
func TestParseLimits(t *testing.T) {
	got, err := ParseLimits("africastalking=160/72, other=182/80")
	if err != nil || got["africastalking"] != (Limit{GSM7: 160, UCS2: 72}) || got["other"] != (Limit{GSM7: 182, UCS2: 80}) {
		t.Fatalf("ParseLimits = %v, %v", got, err)
	}
	for _, bad := range []string{"africastalking", "at=160", "at=10/5", "at=400/72", "at=x/y"} {
		if _, err := ParseLimits(bad); err == nil {
			t.Errorf("accepted %q", bad)
		}
	}
}
