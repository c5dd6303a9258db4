package outbox

import (
	"unicode/utf8"

	"github.com/onestop-helpline/onestop/locales"
)

// Encoding is how an SMS is carried: GSM-7 when every character is in the GSM 03.38 default
// alphabet or its extension table, UCS-2 (UTF-16) otherwise.
type Encoding string

// The encodings.
const (
	GSM7 Encoding = "GSM-7"
	UCS2 Encoding = "UCS-2"
)

// The sizes of one SMS (3GPP TS 23.040): a single message holds 160 GSM-7 septets or 70 UTF-16
// units; a part of a concatenated one loses six octets to its header and holds 153 or 67.
const (
	gsm7Single = 160
	gsm7Part   = 153
	ucs2Single = 70
	ucs2Part   = 67
)

// Segments returns the encoding a text is sent in and how many SMS it takes. It splits on code
// units, as SMSCs do: an extension character's escape pair and a UTF-16 surrogate pair are never
// split across parts, but a Bengali or Devanagari conjunct may be (Twilio's calculator, which keeps
// grapheme clusters whole, can count one more part there). The empty text is one SMS.
func Segments(text string) (Encoding, int) {
	n, gsm := locales.Length(text)
	if gsm {
		if n <= gsm7Single {
			return GSM7, 1
		}
		return GSM7, parts(text, gsm7Part, func(r rune) int { c, _ := locales.Length(string(r)); return c })
	}
	if n <= ucs2Single {
		return UCS2, 1
	}
	return UCS2, parts(text, ucs2Part, func(r rune) int {
		if r > 0xFFFF {
			return 2
		}
		return 1
	})
}

// parts counts the parts of text when each holds size units and no character is split.
func parts(text string, size int, cost func(rune) int) int {
	n, used := 1, 0
	for i := 0; i < len(text); {
		r, w := utf8.DecodeRuneInString(text[i:])
		i += w
		c := cost(r)
		if used+c > size {
			n, used = n+1, 0
		}
		used += c
	}
	return n
}
