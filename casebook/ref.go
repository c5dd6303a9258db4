package casebook

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"math/big"
	"strconv"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// References.
//
// A contact's reference is what a caller is told and may read back to a counsellor: six digits
// and a Luhn check digit, so that a mistyped reference is caught instead of pointing at someone
// else's case. A referral's is "R", seven digits and a check digit of its own (see
// referralCheck).
//
// The digits are drawn at random when the record is made, and kept in the record and in an
// index (reference → ID) written in the same transaction, where a drawn reference already taken
// is drawn again. Seeing one reference therefore tells nothing of another, nor how many
// contacts there have been; references used to be a bijection of the ID, which anyone holding
// two of them could run backwards.
//
// Records made before that keep the reference their ID computes to (derivedRef) and have no
// index entry. The meta bucket keeps the first ID given a drawn reference; only IDs below it
// are opened by the arithmetic, and no drawn reference is ever one that an ID below it
// computes to, so an old reference can never come to name a new case.

// refKind is what differs between contacts' and referrals' references.
type refKind struct {
	bucket []byte // the records
	index  []byte // reference → 8-byte ID
	from   []byte // meta key: the first ID given a drawn reference
	prefix string
	digits int // of a drawn body, at first
	check  func(body string) int
	// oldID returns the ID a record made before drawn references would have had ref as its
	// reference, if any.
	oldID func(ref string) (uint64, bool)
}

var (
	contactRefs = refKind{bucket: store.Contacts, index: store.ContactRefs, from: []byte("contactrefs.from"),
		digits: 6, check: luhn, oldID: refID}
	referralRefs = refKind{bucket: store.Referrals, index: store.ReferralRefs, from: []byte("referralrefs.from"),
		prefix: referralRefPrefix, digits: 7, check: referralCheck, oldID: oldReferralID}
)

// claimRef indexes ref, chosen by the caller, for the new record id of kind k. Returns
// ECONFLICT if another record has or had it.
func claimRef(tx onestop.Tx, k refKind, ref string, id uint64) error {
	idx := tx.Bucket(k.index)
	if v := idx.Get([]byte(ref)); v != nil && !bytes.Equal(v, store.U64(id)) {
		return onestop.Errorf(onestop.ECONFLICT, "reference %s is taken", ref)
	}
	if old, ok := k.oldID(ref); ok && old != id {
		if from := refsFrom(tx, k); from == 0 || old < from {
			return onestop.Errorf(onestop.ECONFLICT, "reference %s is taken", ref)
		}
	}
	return idx.Put([]byte(ref), store.U64(id))
}

// drawsPerLength is how many taken references a draw meets before its body grows a digit: at
// that many in a row the space of this length is nearly full (about 98% for 32).
const drawsPerLength = 32

// maxRefDigits bounds a drawn body; a space of that many digits never fills.
const maxRefDigits = 15

// drawRef draws an unused reference of kind k for the new record id and indexes it, in tx.
// Since tx may be run again, the reference is final only once it has committed.
func (cb *Casebook) drawRef(tx onestop.Tx, k refKind, id uint64) (string, error) {
	from := refsFrom(tx, k)
	if from == 0 {
		// The first drawn reference: every ID before this one keeps its computed reference.
		from = id
		if err := tx.Bucket(store.Meta).Put(k.from, store.U64(from)); err != nil {
			return "", err
		}
	}
	idx := tx.Bucket(k.index)
	digits := k.digits
	for tries := 1; ; tries++ {
		body, err := cb.drawBody(digits, digits > k.digits)
		if err != nil {
			return "", fmt.Errorf("casebook: drawing a reference: %w", err)
		}
		ref := k.prefix + body + string(rune('0'+k.check(body)))
		taken := idx.Get([]byte(ref)) != nil
		if old, ok := k.oldID(ref); ok && old < from {
			taken = true // an old record's reference, kept or purged
		}
		if !taken {
			return ref, idx.Put([]byte(ref), store.U64(id))
		}
		if tries%drawsPerLength == 0 {
			if digits++; digits > maxRefDigits {
				return "", onestop.Errorf(onestop.EINTERNAL, "casebook: no free reference")
			}
		}
	}
}

// drawBody returns n random decimal digits; with noLeadingZero, the first is not 0 (a longer
// reference never starts with one, so that it is never read as a shorter one).
func (cb *Casebook) drawBody(n int, noLeadingZero bool) (string, error) {
	src := cb.rand
	if src == nil {
		src = rand.Reader
	}
	lo, span := big.NewInt(0), new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(n)), nil)
	if noLeadingZero {
		lo.Div(span, big.NewInt(10))
		span.Sub(span, lo)
	}
	v, err := rand.Int(src, span)
	if err != nil {
		return "", err
	}
	s := v.Add(v, lo).String()
	for len(s) < n {
		s = "0" + s
	}
	return s, nil
}

// refsFrom returns the first ID given a drawn reference of kind k, 0 while none has been.
func refsFrom(tx onestop.Tx, k refKind) uint64 {
	if v := tx.Bucket(store.Meta).Get(k.from); len(v) == 8 {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}

// findRef returns the ID of the record of kind k whose reference ref may be: its index entry,
// else, for a record made before drawn references, the ID it computes to. The caller still
// checks that the record found has ref as its reference.
func findRef(tx onestop.Tx, k refKind, ref string) (uint64, bool) {
	if v := tx.Bucket(k.index).Get([]byte(ref)); len(v) == 8 {
		return binary.BigEndian.Uint64(v), true
	}
	id, ok := k.oldID(ref)
	if !ok {
		return 0, false
	}
	if from := refsFrom(tx, k); from != 0 && id >= from {
		return 0, false // that ID was given a drawn reference, not this one
	}
	return id, true
}

// unindexRef removes ref's index entry if it names id: the record is being purged.
func unindexRef(tx onestop.Tx, k refKind, ref string, id uint64) error {
	idx := tx.Bucket(k.index)
	if ref == "" || !bytes.Equal(idx.Get([]byte(ref)), store.U64(id)) {
		return nil
	}
	return idx.Delete([]byte(ref))
}

// RefOf returns, in tx, the reference of the contact with id: the one she was told. Returns
// ENOTFOUND if there is no such contact.
func (cb *Casebook) RefOf(tx onestop.Tx, id uint64) (string, error) {
	v := tx.Bucket(store.Contacts).Get(store.U64(id))
	if v == nil {
		return "", onestop.Errorf(onestop.ENOTFOUND, "no contact %d", id)
	}
	return storedRef(v)
}

// ContactID returns, in tx, the ID of the contact whose reference is ref: found in the index of
// references, or, for a contact made before references were drawn, by the ID it computes to,
// and only if that contact has ref as its reference. False for a reference with a wrong check
// digit, or of no contact.
func (cb *Casebook) ContactID(tx onestop.Tx, ref string) (uint64, bool) {
	if !ValidRef(ref) {
		return 0, false
	}
	id, ok := findRef(tx, contactRefs, ref)
	if !ok {
		return 0, false
	}
	v := tx.Bucket(store.Contacts).Get(store.U64(id))
	if v == nil {
		return 0, false
	}
	if got, err := storedRef(v); err != nil || got != ref {
		return 0, false
	}
	return id, true
}

// ContactRef is RefOf in a transaction of its own.
func (cb *Casebook) ContactRef(ctx context.Context, id uint64) (ref string, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		ref, err = cb.RefOf(tx, id)
		return err
	})
	return ref, err
}

// derivedRef is the reference a contact made before references were drawn got from its ID: six
// digits, an affine permutation of the ID, and a Luhn check digit; past a million, the ID
// itself. Never given to a new contact; kept so that those references still open their cases
// and are never drawn for another.
func derivedRef(id uint64) string {
	var body string
	if id < refSpace {
		body = fmt.Sprintf("%06d", (id*refMul+refAdd)%refSpace)
	} else {
		body = strconv.FormatUint(id, 10)
	}
	return body + string(rune('0'+luhn(body)))
}

// derivedReferralRef is derivedRef for a referral made before references were drawn: "R", seven
// digits (an affine permutation of the ID; the ID itself past ten million) and the check digit.
//
// Its digits never make a contact's reference, nor do a drawn referral reference's, even typed
// without the letter: the check digit is the Luhn digit plus five, which a contact's reference
// never has, and at first the lengths differ too. A referral's number typed where a case
// number is asked for can therefore never open a survivor's case.
func derivedReferralRef(id uint64) string {
	var body string
	if id < referralSpace {
		body = fmt.Sprintf("%07d", (id*referralMul+referralAdd)%referralSpace)
	} else {
		body = strconv.FormatUint(id, 10)
	}
	return referralRefPrefix + body + string(rune('0'+referralCheck(body)))
}

// oldReferralID returns the ID a referral made before drawn references would have had ref
// ("R…") as its reference: by its own digits, or as "R" and a contact-style reference, which
// referrals were given before they had digits of their own.
func oldReferralID(ref string) (uint64, bool) {
	if len(ref) < 2 || ref[:1] != referralRefPrefix {
		return 0, false
	}
	if id, ok := referralRefID(ref[1:]); ok {
		return id, true
	}
	return refID(ref[1:])
}

// referralMul is coprime to referralSpace, and referralInv is its inverse modulo referralSpace.
const referralSpace, referralMul, referralAdd, referralInv = 10_000_000, 7_381_973, 4_829_117, 7_079_037

// referralCheck is a referral reference's check digit: Luhn's, offset so that no referral's
// digits pass a contact reference's check.
func referralCheck(body string) int { return (luhn(body) + 5) % 10 }

// ValidReferralRef reports whether ref, with or without its leading "R" (or "r"), has a
// referral reference's length and check digit. A contact's reference never passes it.
func ValidReferralRef(ref string) bool {
	if len(ref) > 0 && (ref[0] == 'R' || ref[0] == 'r') {
		ref = ref[1:]
	}
	if len(ref) < 8 || !digitsOnly(ref) {
		return false
	}
	return int(ref[len(ref)-1]-'0') == referralCheck(ref[:len(ref)-1])
}

// referralRefID returns the ID whose derived referral reference's digits are digits.
func referralRefID(digits string) (uint64, bool) {
	if !ValidReferralRef(digits) || digits[0] == '0' && len(digits) > 8 {
		return 0, false
	}
	body := digits[:len(digits)-1]
	n, err := strconv.ParseUint(body, 10, 64)
	if err != nil {
		return 0, false
	}
	if len(body) == 7 {
		return (n + referralSpace - referralAdd) % referralSpace * referralInv % referralSpace, true
	}
	return n, n >= referralSpace
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// refMul is coprime to refSpace, and refInv is its inverse modulo refSpace.
const refSpace, refMul, refAdd, refInv = 1_000_000, 738_677, 482_911, 83_613

// refID returns the ID whose derived reference is ref, and false for anything derivedRef
// cannot have made.
func refID(ref string) (uint64, bool) {
	if !ValidRef(ref) || ref[0] == '0' && len(ref) > 7 {
		return 0, false
	}
	body := ref[:len(ref)-1]
	n, err := strconv.ParseUint(body, 10, 64)
	if err != nil {
		return 0, false
	}
	if len(body) == 6 {
		return (n + refSpace - refAdd) % refSpace * refInv % refSpace, true
	}
	return n, n >= refSpace
}

// ValidRef reports whether ref has a contact reference's shape: seven digits or more, the last
// of them the Luhn check digit of the others.
func ValidRef(ref string) bool {
	if len(ref) < 7 {
		return false
	}
	for _, r := range ref {
		if r < '0' || r > '9' {
			return false
		}
	}
	return int(ref[len(ref)-1]-'0') == luhn(ref[:len(ref)-1])
}
