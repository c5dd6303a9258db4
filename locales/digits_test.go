package locales

import (
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestFoldDigits(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii", "0123456789", "0123456789"},
		{"bengali", "০১২৩৪৫৬৭৮৯", "0123456789"},
		{"devanagari", "०१२३४५६७८९", "0123456789"},
		{"arabic-indic", "٠١٢٣٤٥٦٧٨٩", "0123456789"},
		{"extended arabic-indic", "۰۱۲۳۴۵۶۷۸۹", "0123456789"},
		{"mixed scripts", "১०٢۳4", "10234"},
		{"phone number", "+৮৮০ ১৭১২-৩৪৫৬৭৮", "+880 1712-345678"},
		{"text kept", "আমার নম্বর ০১৭", "আমার নম্বর 017"},
		{"arabic text kept", "رقمي ٠٥٩", "رقمي 059"},
		{"other scripts' digits kept", "๑੧௧", "๑੧௧"},
		{"letters beside digits kept", "৯৪ঌ", "94ঌ"},
		{"invalid utf8 kept", "\xff১\xfe", "\xff1\xfe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FoldDigits(tt.in); got != tt.want {
				t.Errorf("FoldDigits(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestFoldDigitsDoesNotCopyWhenNothingFolds(t *testing.T) {
	s := "আমার নম্বর 017"
	if allocs := testing.AllocsPerRun(100, func() { FoldDigits(s) }); allocs != 0 {
		t.Errorf("FoldDigits allocates %v times for a string without native digits", allocs)
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"ascii", "1", "1"},
		{"trim", "  2 \n", "2"},
		{"fold and trim", " ১২৩\t", "123"},
		{"latin decomposed", "e\u0301", "\u00e9"},
		{"bengali o-kar decomposed", "\u0995\u09c7\u09be", "\u0995\u09cb"},
		{"bengali ya with nukta stays decomposed", "\u09df", "\u09af\u09bc"},
		{"devanagari qa stays decomposed", "\u0958", "\u0915\u093c"},
		{"arabic alef madda composed", "\u0627\u0653", "\u0622"},
		{"inner space kept", " ০১৭ ১২ ", "017 12"},
		{"empty", "   ", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// nativeDigit reports whether s still holds a digit FoldDigits should have folded.
func nativeDigit(s string) bool {
	for _, r := range s {
		if _, ok := asciiDigit(r); ok {
			return true
		}
	}
	return false
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

func FuzzFoldDigits(f *testing.F) {
	for _, s := range []string{"", "123", "০১৭১২", "+٩٧٠ ٥٩٩", "۰۹", "९८", "\xff১"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := FoldDigits(s)
		if nativeDigit(out) {
			t.Fatalf("FoldDigits(%q) = %q keeps a native digit", s, out)
		}
		if again := FoldDigits(out); again != out {
			t.Fatalf("FoldDigits not idempotent: %q then %q", out, again)
		}
		if isASCII(s) && out != s {
			t.Fatalf("FoldDigits changed ASCII %q to %q", s, out)
		}
		// Each folded digit shrinks to one byte; nothing else changes.
		want := len(s)
		for _, r := range s {
			if _, ok := asciiDigit(r); ok {
				want -= utf8.RuneLen(r) - 1
			}
		}
		if len(out) != want {
			t.Fatalf("FoldDigits(%q) = %q: %d bytes, want %d", s, out, len(out), want)
		}
		if utf8.ValidString(s) {
			if ref := strings.Map(func(r rune) rune {
				if d, ok := asciiDigit(r); ok {
					return rune(d)
				}
				return r
			}, s); out != ref {
				t.Fatalf("FoldDigits(%q) = %q, want %q", s, out, ref)
			}
		}
	})
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"", " 1 ", "e\u0301", " ১২৩\t", "\u09df", "\u0627\u0653٣", "\xffx"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := Normalize(s)
		if nativeDigit(out) {
			t.Fatalf("Normalize(%q) = %q keeps a native digit", s, out)
		}
		if again := Normalize(out); again != out {
			t.Fatalf("Normalize not idempotent: %q then %q", out, again)
		}
		if out != strings.TrimSpace(out) {
			t.Fatalf("Normalize(%q) = %q keeps surrounding space", s, out)
		}
		if isASCII(s) && out != strings.TrimSpace(s) {
			t.Fatalf("Normalize changed ASCII %q to %q", s, out)
		}
		if utf8.ValidString(s) && !norm.NFC.IsNormalString(out) {
			t.Fatalf("Normalize(%q) = %q is not NFC", s, out)
		}
	})
}
