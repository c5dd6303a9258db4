package locales

import "unicode/utf8"

// Limit is how much one USSD page holds: GSM7 septets when every character is in the GSM 03.38
// default alphabet (an extension-table character such as { } [ ] ~ \ | ^ € counts as 2),
// otherwise UCS2 UTF-16 code units.
//
// Menu and Prose keep every page within any Limit of at least 20 GSM-7 and 12 UCS-2 units
// (minGSM7, minUCS2), for menu keys of up to two digits: below that a page cannot hold even the
// bare navigation keys and one line.
type Limit struct{ GSM7, UCS2 int }

// DefaultLimit is one USSD page: 182 GSM-7 characters or 80 UTF-16 units (a 160-octet USSD
// string, GSM 04.80).
var DefaultLimit = Limit{GSM7: 182, UCS2: 80}

// The smallest Limit that Menu and Prose honour.
const (
	minGSM7 = 20
	minUCS2 = 12
)

// Fits reports whether s fits one page.
func (l Limit) Fits(s string) bool { return l.holds(measure(s)) }

// Length returns s's size in the units its encoding is counted in, and whether s is all GSM-7.
func Length(s string) (n int, gsm7 bool) {
	z := measure(s)
	if z.ucs2 {
		return z.units, false
	}
	return z.sept, true
}

// size is what a text costs in both encodings. Which of the two counts is known only for a whole
// page: one character outside GSM-7 anywhere sends the entire page as UCS-2.
type size struct {
	sept  int  // GSM-7 septets, meaningful while ucs2 is false
	units int  // UTF-16 code units
	ucs2  bool // some character is outside the GSM-7 alphabet
}

func (a size) plus(b size) size {
	return size{sept: a.sept + b.sept, units: a.units + b.units, ucs2: a.ucs2 || b.ucs2}
}

func (l Limit) holds(z size) bool {
	if z.ucs2 {
		return z.units <= l.UCS2
	}
	return z.sept <= l.GSM7
}

// measure is Length's single pass; it must not allocate, as every page is measured many times.
func measure(s string) size {
	var z size
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf { // most pages are mostly ASCII: digits, spaces, keys
			w := asciiSeptets[c]
			z.sept += int(w)
			z.units++
			z.ucs2 = z.ucs2 || w == 0
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		z.units++
		if r > 0xFFFF {
			z.units++ // a surrogate pair
		}
		if !z.ucs2 {
			w := otherSeptets(r)
			z.sept += int(w)
			z.ucs2 = w == 0
		}
	}
	return z
}

var newline = size{sept: 1, units: 1}

func runeSize(r rune) size {
	var w uint8
	switch {
	case r < 0x80:
		w = asciiSeptets[r]
	default:
		w = otherSeptets(r)
	}
	units := 1
	if r > 0xFFFF {
		units = 2 // a surrogate pair
	}
	if w == 0 {
		return size{units: units, ucs2: true}
	}
	return size{sept: int(w), units: units}
}

// asciiSeptets gives each ASCII character's GSM-7 cost: 1 in the default alphabet, 2 in the
// extension table (escape + code), 0 when GSM-7 cannot carry it (the backtick, most controls).
var asciiSeptets = func() (t [0x80]uint8) {
	const basic = "\n\r !\"#$%&'()*+,-./0123456789:;<=>?@" +
		"ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
	const extension = "\f^{}\\[~]|"
	for i := 0; i < len(basic); i++ {
		t[basic[i]] = 1
	}
	for i := 0; i < len(extension); i++ {
		t[extension[i]] = 2
	}
	return t
}()

// otherSeptets is asciiSeptets for the GSM 03.38 characters outside ASCII.
func otherSeptets(r rune) uint8 {
	if r >= 0x400 && r != '€' { // Latin-1 and Greek hold every other GSM-7 character
		return 0
	}
	switch r {
	case '£', '¥', 'è', 'é', 'ù', 'ì', 'ò', 'Ç', 'Ø', 'ø', 'Å', 'å',
		'Δ', 'Φ', 'Γ', 'Λ', 'Ω', 'Π', 'Ψ', 'Σ', 'Θ', 'Ξ',
		'Æ', 'æ', 'ß', 'É', '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿', 'ä', 'ö', 'ñ', 'ü', 'à':
		return 1
	case '€':
		return 2
	}
	return 0
}
