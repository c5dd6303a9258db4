package locales

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// The zero of each script whose digits a caller's phone may send. Each script's ten digits are
// consecutive code points from its zero.
const (
	arabicIndicZero   = '٠' // U+0660
	extArabicZero     = '۰' // U+06F0, what Persian and Urdu keypads type
	devanagariZero    = '०' // U+0966
	bengaliZero       = '০' // U+09E6
	lowestNativeDigit = arabicIndicZero
)

// asciiDigit returns the ASCII digit for a native-script digit r.
func asciiDigit(r rune) (byte, bool) {
	for _, zero := range [...]rune{arabicIndicZero, extArabicZero, devanagariZero, bengaliZero} {
		if r >= zero && r <= zero+9 {
			return byte('0' + r - zero), true
		}
	}
	return 0, false
}

// FoldDigits maps Bengali (০-৯), Devanagari (०-९), Arabic-Indic (٠-٩) and Extended Arabic-Indic
// (۰-۹) digits to ASCII 0-9, leaving everything else as is, invalid UTF-8 included. A string with
// none of them is returned without copying.
func FoldDigits(s string) string {
	start := -1
	for i, r := range s {
		if r < lowestNativeDigit {
			continue
		}
		if _, ok := asciiDigit(r); ok {
			start = i
			break
		}
	}
	if start < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:start])
	for i := start; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if d, ok := asciiDigit(r); ok {
			b.WriteByte(d)
		} else {
			// The original bytes, not r: an invalid byte must come out as it went in, not as U+FFFD.
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// Normalize NFC-normalises s, folds digits and trims surrounding space. Input from a caller goes
// through this before parsing, so that "১২" typed on a Bengali keypad, or a decomposed vowel sign
// from one handset, compares equal to what another handset sends.
func Normalize(s string) string {
	return strings.TrimSpace(FoldDigits(norm.NFC.String(s)))
}
