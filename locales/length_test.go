package locales

import (
	"strings"
	"testing"
)

func TestLength(t *testing.T) {
	tests := []struct {
		name string
		s    string
		n    int
		gsm7 bool
	}{
		{"empty", "", 0, true},
		{"ascii", "Hello", 5, true},
		{"newline", "1 A\n2 B", 7, true},
		{"extension brace", "{", 2, true},
		{"extension in text", "a{b", 4, true},
		{"all extension", "[~]|\\^}", 14, true},
		{"euro", "€5", 3, true},
		{"form feed", "\f", 2, true},
		{"basic non-ascii", "Δ£éÇÑß¿", 7, true},
		{"basic at sign and dollar", "@$_", 3, true},
		{"cedilla small is not gsm", "ç", 1, false},
		{"one non-gsm switches all", "Hello ç", 7, false},
		{"extension counts 1 in ucs2", "{ç", 2, false},
		{"backtick", "`", 1, false},
		{"tab", "\t", 1, false},
		{"curly quote", "it’s", 4, false},
		{"ellipsis", "…", 1, false},
		{"bengali", "আপনি", 4, false},
		{"bengali conjunct", "ক্ষ", 3, false},
		{"devanagari", "भाषा", 4, false},
		{"arabic", "اللغة", 5, false},
		{"emoji", "😀", 2, false},
		{"emoji in text", "ok😀", 4, false},
		{"invalid utf8", "a\xffb", 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, gsm7 := Length(tt.s)
			if n != tt.n || gsm7 != tt.gsm7 {
				t.Errorf("Length(%q) = %d, %v; want %d, %v", tt.s, n, gsm7, tt.n, tt.gsm7)
			}
		})
	}
}

func TestFits(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{strings.Repeat("a", 182), true},
		{strings.Repeat("a", 183), false},
		{strings.Repeat("{", 91), true},
		{strings.Repeat("{", 90) + "ab", true},
		{strings.Repeat("{", 91) + "a", false},
		{strings.Repeat("আ", 80), true},
		{strings.Repeat("আ", 81), false},
		{strings.Repeat("a", 79) + "ç", true},
		{strings.Repeat("a", 80) + "ç", false},
		{strings.Repeat("😀", 40), true},
		{strings.Repeat("😀", 39) + "ab", true},
		{strings.Repeat("😀", 40) + "a", false},
	}
	for _, tt := range tests {
		if got := DefaultLimit.Fits(tt.s); got != tt.want {
			n, gsm := Length(tt.s)
			t.Errorf("Fits(%d units, gsm7 %v) = %v, want %v", n, gsm, got, tt.want)
		}
	}
}

// Length runs on every page laid out and every reply sent: it must not allocate.
func TestLengthDoesNotAllocate(t *testing.T) {
	s := Text("bn", InfoRightsBody, "109")
	if allocs := testing.AllocsPerRun(100, func() { Length(s) }); allocs != 0 {
		t.Errorf("Length allocates %v times", allocs)
	}
}

func BenchmarkLength(b *testing.B) {
	for _, bm := range []struct{ name, s string }{
		{"gsm7", Text("en", InfoRightsBody, "109")},
		{"bengali", Text("bn", InfoRightsBody, "109")},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(bm.s)))
			for b.Loop() {
				Length(bm.s)
			}
		})
	}
}
