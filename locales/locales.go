// Package locales owns every word the helpline shows a caller on a phone screen, in Bengali,
// Hindi, Arabic and English, and how those words are laid out on USSD pages: the catalogue, the
// language a region gets by default, the folding of native-script digits a caller types, the
// GSM-7/UCS-2 size of a page, and menus and text split into pages that fit one.
//
// It must never do I/O, keep state about a caller, or decide what a flow does next. It must never
// put a word on the first screen or on the goodbye that betrays what the service is: the phone
// may be read by the person she is afraid of.
package locales

import (
	"fmt"
	"strings"

	"github.com/onestop-helpline/onestop"
)

// Key names a catalogue entry.
type Key string

var catalogues = map[onestop.Lang]map[Key]string{
	onestop.Bengali: bn,
	onestop.Hindi:   hi,
	onestop.Arabic:  ar,
	onestop.English: en,
}

// Text returns the catalogue string for key in lang, formatted with fmt-style indexed verbs
// (%[1]s …) when args are given. Unknown lang falls back to English; an unknown key returns
// string(key) (and a test guarantees there are none).
func Text(lang onestop.Lang, key Key, args ...any) string {
	s, ok := catalogues[lang][key]
	if !ok {
		if s, ok = en[key]; !ok {
			return string(key)
		}
	}
	// A string without verbs is returned as is, so that stray args never print "%!(EXTRA …)".
	if len(args) == 0 || !strings.Contains(s, "%") {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// ForRegion returns the language for an ISO 3166-1 alpha-2 region: BD→bn, IN→hi, PS→ar,
// anything else en. Case does not matter.
func ForRegion(region string) onestop.Lang {
	switch strings.ToUpper(strings.TrimSpace(region)) {
	case "BD":
		return onestop.Bengali
	case "IN":
		return onestop.Hindi
	case "PS":
		return onestop.Arabic
	}
	return onestop.English
}

// NativeName returns the language's own name: "বাংলা", "हिन्दी", "العربية", "English". An unknown
// language gets English's, as Text falls back to English.
func NativeName(lang onestop.Lang) string {
	switch lang {
	case onestop.Bengali:
		return "বাংলা"
	case onestop.Hindi:
		return "हिन्दी"
	case onestop.Arabic:
		return "العربية"
	}
	return "English"
}
