// Package phone reads callers' numbers: it turns what an aggregator or a caller sends into E.164,
// tells the number's country, and masks it for anyone who may see only part of it.
//
// Nothing here logs or stores a number.
package phone

import (
	"strings"

	"github.com/nyaruka/phonenumbers"

	"github.com/onestop-helpline/onestop"
)

// Number is a parsed phone number.
type Number struct {
	E164   string // "+8801711000001"
	Region string // ISO 3166-1 alpha-2 of the number's country, "" when unknown
	CC     int    // country calling code
	NSN    string // national significant number
}

// Parse reads s as a phone number. A number without a leading + is read as a national number
// of region. Returns EINVALID when s is not a possible number.
func Parse(s, region string) (Number, error) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 32 {
		return Number{}, onestop.Errorf(onestop.EINVALID, "not a phone number")
	}
	n, err := phonenumbers.Parse(s, region)
	if err != nil || !phonenumbers.IsPossibleNumber(n) {
		return Number{}, onestop.Errorf(onestop.EINVALID, "not a phone number")
	}
	e164 := phonenumbers.Format(n, phonenumbers.E164)
	// A national prefix inside an international number ("+971 0…") is dropped on parsing, so
	// its E.164 would read as yet another number when parsed again: the same sender would be
	// keyed one way now and another way later. Such a number is refused.
	if again, err := phonenumbers.Parse(e164, ""); err != nil || phonenumbers.Format(again, phonenumbers.E164) != e164 {
		return Number{}, onestop.Errorf(onestop.EINVALID, "not a phone number")
	}
	return Number{
		E164:   e164,
		Region: phonenumbers.GetRegionCodeForNumber(n),
		CC:     int(n.GetCountryCode()),
		NSN:    phonenumbers.GetNationalSignificantNumber(n),
	}, nil
}

// ParseValid is Parse that also requires the number to be a valid, assigned kind of number for
// its country: for numbers a caller types, where a slip of a digit must be caught.
func ParseValid(s, region string) (Number, error) {
	n, err := phonenumbers.Parse(strings.TrimSpace(s), region)
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return Number{}, onestop.Errorf(onestop.EINVALID, "not a valid phone number")
	}
	return Parse(phonenumbers.Format(n, phonenumbers.E164), "")
}

// Mask shows a number as staff may see it: the country code, the first two national digits and
// the last three, "+880 17** ***001". Anything shorter shows only its last two digits.
func (n Number) Mask() string {
	d := n.NSN
	if len(d) < 7 {
		if len(d) < 2 {
			return "+" + itoa(n.CC) + " ***"
		}
		return "+" + itoa(n.CC) + " ***" + d[len(d)-2:]
	}
	hidden := len(d) - 5
	var b strings.Builder
	b.WriteString("+")
	b.WriteString(itoa(n.CC))
	b.WriteString(" ")
	b.WriteString(d[:2])
	// Group the hidden digits as "** ***" for a typical ten-digit number; longer or shorter
	// numbers keep the same shape with the stars they need.
	b.WriteString(strings.Repeat("*", hidden/2))
	b.WriteString(" ")
	b.WriteString(strings.Repeat("*", hidden-hidden/2))
	b.WriteString(d[len(d)-3:])
	return b.String()
}

// Tail returns the last two digits of an E.164 number, all a log line may carry.
func Tail(e164 string) string {
	if len(e164) < 2 {
		return "**"
	}
	return "…" + e164[len(e164)-2:]
}

func itoa(v int) string {
	if v == 0 {
		return "0"
	}
	var b [12]byte
	i := len(b)
	for v > 0 {
		i--
		b[i] = byte('0' + v%10)
		v /= 10
	}
	return string(b[i:])
}
