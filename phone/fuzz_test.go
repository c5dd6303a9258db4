package phone

import (
	"strings"
	"testing"
)

// FuzzParse: any text as a sender's number either parses to an E.164 number that parses to
// itself again, or is refused; nothing panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"+8801711000101", "01711000101", "+972 52-123-4567", "", "+", "++1", "tel:+1", "+0000000000000000000", "৮৮০১৭১১০০০১০১", "+1\x00"} {
		f.Add(s, "BD")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		n, err := Parse(s, region)
		if err != nil {
			return
		}
		if !strings.HasPrefix(n.E164, "+") || len(n.E164) > 16 {
			t.Fatalf("Parse(%q) = %q", s, n.E164)
		}
		again, err := Parse(n.E164, "")
		if err != nil || again.E164 != n.E164 {
			t.Fatalf("Parse(%q) = %q, which parses to %q, %v", s, n.E164, again.E164, err)
		}
		_ = n.Mask()
		_ = Tail(n.E164)
	})
}
