package outbox_test

import (
	"strings"
	"testing"

	"github.com/warthog618/sms"
	"github.com/warthog618/sms/encoding/tpdu"

	"github.com/onestop-helpline/onestop/outbox"
)

// TestSegmentsAgreeWithWarthog checks the encoding and segment count against warthog618/sms,
// an independent encoder that builds the real PDUs, on every language and on the boundaries.
func TestSegmentsAgreeWithWarthog(t *testing.T) {
	tests := []struct {
		name     string
		text     string
		encoding outbox.Encoding
		segments int
	}{
		{"en short", "Case R1234567 received. Reply STATUS R1234567 for news.", outbox.GSM7, 1},
		{"en 160", strings.Repeat("a", 160), outbox.GSM7, 1},
		{"en 161", strings.Repeat("a", 161), outbox.GSM7, 2},
		{"en 306", strings.Repeat("a", 306), outbox.GSM7, 2},
		{"en 307", strings.Repeat("a", 307), outbox.GSM7, 3},
		{"en escapes 80", strings.Repeat("{", 80), outbox.GSM7, 1},
		{"en escapes 81", strings.Repeat("{", 81), outbox.GSM7, 2},
		{"en escape pair at a part boundary", strings.Repeat("a", 152) + "€" + strings.Repeat("b", 10), outbox.GSM7, 2},
		{"en latin-1 GSM", "Ça va? Añejo über straße ¿qué? £5 €3", outbox.GSM7, 1},
		{"en backtick forces UCS-2", "use `REF`", outbox.UCS2, 1},
		{"en smart quote forces UCS-2", strings.Repeat("x", 100) + "’", outbox.UCS2, 2},
		{"bn reply", "কেস R1234567 পেয়েছি। ঢাকা মেডিকেল ওসিসি দেখবে। খবর জানতে লিখুন: অবস্থা R1234567", outbox.UCS2, 2},
		{"bn 70", strings.Repeat("আ", 70), outbox.UCS2, 1},
		{"bn 71", strings.Repeat("আ", 71), outbox.UCS2, 2},
		{"bn 134", strings.Repeat("আ", 134), outbox.UCS2, 2},
		{"bn 135", strings.Repeat("আ", 135), outbox.UCS2, 3},
		{"bn conjunct at the boundary", strings.Repeat("ক", 66) + "ক্ষ" + strings.Repeat("ক", 65), outbox.UCS2, 2},
		{"hi reply", "केस R1234567 मिला। खबर के लिए लिखें: स्थिति R1234567", outbox.UCS2, 1},
		{"hi long", strings.Repeat("मदद चाहिए ", 20), outbox.UCS2, 3},
		{"ar reply", "تم استلام الحالة R1234567. للمتابعة أرسل: حالة R1234567", outbox.UCS2, 1},
		{"ar long", strings.Repeat("مرحبا ", 24), outbox.UCS2, 3},
		{"mixed bn and en", "REF Dhaka মেয়েটির চিকিৎসা দরকার, please call", outbox.UCS2, 1},
		{"mixed with emoji", strings.Repeat("a", 68) + "🙂" + "b", outbox.UCS2, 2},
		{"emoji pair not split", strings.Repeat("a", 66) + "🙂" + strings.Repeat("b", 66), outbox.UCS2, 3},
		{"native digits", "০১২৩৪৫৬৭৮৯ ०१२ ٠١٢", outbox.UCS2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			enc, n := outbox.Segments(tc.text)
			if enc != tc.encoding || n != tc.segments {
				t.Errorf("Segments = %s, %d; want %s, %d", enc, n, tc.encoding, tc.segments)
			}
			pdus, err := sms.Encode([]byte(tc.text))
			if err != nil {
				t.Fatalf("oracle: %v", err)
			}
			alpha, _ := pdus[0].Alphabet()
			want := outbox.GSM7
			if alpha == tpdu.AlphaUCS2 {
				want = outbox.UCS2
			}
			if enc != want || n != len(pdus) {
				t.Errorf("Segments = %s, %d; warthog618/sms says %s, %d", enc, n, want, len(pdus))
			}
		})
	}
}
