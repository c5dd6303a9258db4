// Package casebook keeps what must never be lost: every contact with the helpline, its
// classification and the Safe Contact Plan she gave. Records are written in the same
// transaction as the conversation step that produced them, so nothing a caller is told was
// recorded can be missing after a crash.
//
// It also owns retention: how long each kind of record is kept, and the order in which a purge
// takes every kind, its own and those of other packages, handed to it as functions so that it
// never imports the outbox, the flows or the console.
//
// Phone numbers are sealed before they reach the file; the casebook never stores one in the
// clear, in a key or in an index.
package casebook

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// Casebook reads and writes contacts.
type Casebook struct {
	db  onestop.Store
	box *seal.Box
	// rand is where references are drawn from; nil for crypto/rand (tests replace it).
	rand io.Reader

	// DoNotContactFor is how long a number stays marked "do not contact" when a counsellor
	// records that a callback was not safe (0: DefaultDoNotContact).
	DoNotContactFor time.Duration
}

// DefaultDoNotContact is how long a "not safe" mark holds when nothing else is configured.
const DefaultDoNotContact = 90 * 24 * time.Hour

// New returns a Casebook on db, sealing with box.
func New(db onestop.Store, box *seal.Box) *Casebook { return &Casebook{db: db, box: box} }

// record is a contact as it lies on disk: the numbers sealed, the clear fields emptied.
type record struct {
	onestop.Contact
	CallerSealed []byte `json:"callerSealed,omitempty"`
	NumberSealed []byte `json:"numberSealed,omitempty"`
}

// Put writes c in tx. A new contact (ID 0) gets the next ID and a reference drawn at random
// that no other contact has or had, set on c; since tx may be run again, those are final only
// once the transaction has committed. A contact already written keeps the reference it has,
// whatever c.Ref says.
func (cb *Casebook) Put(tx onestop.Tx, c *onestop.Contact) error {
	b := tx.Bucket(store.Contacts)
	if c.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		ref, err := cb.drawRef(tx, contactRefs, id)
		if err != nil {
			return err
		}
		c.ID, c.Ref = id, ref
	} else if v := b.Get(store.U64(c.ID)); v != nil {
		ref, err := storedRef(v)
		if err != nil {
			return err
		}
		c.Ref = ref
	} else if c.Ref == "" {
		// A contact written under an ID of the caller's choosing (an import, a test).
		ref, err := cb.drawRef(tx, contactRefs, c.ID)
		if err != nil {
			return err
		}
		c.Ref = ref
	} else if err := claimRef(tx, contactRefs, c.Ref, c.ID); err != nil {
		return err
	}
	c.SessionID = cb.SessionHash(c.SessionID)
	r := record{Contact: *c, CallerSealed: cb.box.SealString(c.Caller)}
	if c.Plan != nil {
		r.NumberSealed = cb.box.SealString(c.Plan.Number)
	}
	return b.Put(store.U64(c.ID), r.marshal())
}

// Get returns the contact with id from tx, its numbers opened. Returns ENOTFOUND if none.
func (cb *Casebook) Get(tx onestop.Tx, id uint64) (*onestop.Contact, error) {
	v := tx.Bucket(store.Contacts).Get(store.U64(id))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no contact %d", id)
	}
	return cb.decode(v)
}

func (cb *Casebook) decode(v []byte) (*onestop.Contact, error) {
	r, err := unmarshal(v)
	if err != nil {
		return nil, err
	}
	c := r.Contact
	// A record written before session ids were hashed is read as if it had been.
	c.SessionID = cb.SessionHash(c.SessionID)
	if c.Caller, err = cb.box.OpenString(r.CallerSealed); err != nil {
		return nil, fmt.Errorf("casebook: contact %d: %w", c.ID, err)
	}
	if c.Plan != nil {
		if c.Plan.Number, err = cb.box.OpenString(r.NumberSealed); err != nil {
			return nil, fmt.Errorf("casebook: contact %d: %w", c.ID, err)
		}
	}
	return &c, nil
}

// A contact's record is a compact binary encoding whose first byte is its version; records
// written before it are JSON, whose first byte is always '{', and are still read (a contact is
// rewritten in the new format when it next changes). JSON took two to three times the bytes
// (every field's name, base64 for the sealed numbers, times as text), and contacts are most of
// the file, most of the pages a group commit writes and most of the database's memory.
//
// Version 2 keeps the reference, right after the ID (storedRef reads no further); versions 1
// and JSON were written when a reference was computed from the ID, and are read with the
// reference it computes to.
const (
	formatBinary1 = 1
	formatBinary2 = 2
	formatJSON    = '{'
)

// marshal encodes r in the binary format's field order. A field added to Contact or to
// SafeContactPlan must be added here and in unmarshal, at the end of its group
// (TestEveryContactFieldSurvives fails until it is).
func (r *record) marshal() []byte {
	c := &r.Contact
	b := make([]byte, 0, 128+len(r.CallerSealed)+len(r.NumberSealed)+len(c.SessionID)+len(c.Provider)+len(c.Masked))
	b = append(b, formatBinary2)
	b = binary.AppendUvarint(b, c.ID)
	b = store.AppendString(b, c.Ref)
	b = store.AppendTime(b, c.Time)
	b = store.AppendTime(b, c.Updated)
	b = store.AppendString(b, string(c.Channel))
	b = store.AppendString(b, c.Provider)
	b = store.AppendString(b, c.SessionID)
	b = store.AppendString(b, c.Country)
	b = store.AppendString(b, c.Area)
	b = store.AppendString(b, c.Network)
	b = store.AppendString(b, string(c.Lang))
	b = store.AppendString(b, string(c.Urgency))
	b = store.AppendString(b, string(c.Status))
	b = store.AppendBytes(b, r.CallerSealed)
	b = store.AppendString(b, c.Masked)
	p := c.Plan
	b = store.AppendBool(b, p != nil)
	if p == nil {
		return b
	}
	b = store.AppendBool(b, p.MayCall)
	b = store.AppendBytes(b, r.NumberSealed)
	b = store.AppendBool(b, p.OtherNumber)
	b = store.AppendString(b, string(p.Window))
	b = store.AppendZonedTime(b, p.Opens)
	b = store.AppendZonedTime(b, p.Closes)
	b = store.AppendString(b, p.TZ)
	b = store.AppendString(b, p.Cover)
	return store.AppendTime(b, p.AgreedAt)
}

// unmarshal reads a stored contact, in either format, leaving its numbers sealed.
func unmarshal(v []byte) (record, error) {
	var r record
	if len(v) == 0 {
		return r, fmt.Errorf("casebook: empty record")
	}
	switch v[0] {
	case formatJSON:
		if err := json.Unmarshal(v, &r); err != nil {
			return r, fmt.Errorf("casebook: %w", err)
		}
		r.Caller = ""
		if r.Plan != nil {
			r.Plan.Number = ""
		}
		if r.Ref == "" {
			r.Ref = derivedRef(r.ID)
		}
		return r, nil
	case formatBinary1, formatBinary2:
	default:
		return r, fmt.Errorf("casebook: unknown record format %d", v[0])
	}
	in := store.NewReader(v[1:])
	c := &r.Contact
	c.ID = in.Uvarint()
	if v[0] == formatBinary1 {
		c.Ref = derivedRef(c.ID)
	} else {
		c.Ref = in.String()
	}
	c.Time = in.Time()
	c.Updated = in.Time()
	c.Channel = onestop.Channel(in.String())
	c.Provider = in.String()
	c.SessionID = in.String()
	c.Country = in.String()
	c.Area = in.String()
	c.Network = in.String()
	c.Lang = onestop.Lang(in.String())
	c.Urgency = onestop.Urgency(in.String())
	c.Status = onestop.ContactStatus(in.String())
	r.CallerSealed = in.Bytes()
	c.Masked = in.String()
	if in.Bool() {
		p := &onestop.SafeContactPlan{}
		p.MayCall = in.Bool()
		r.NumberSealed = in.Bytes()
		p.OtherNumber = in.Bool()
		p.Window = onestop.Window(in.String())
		p.Opens = in.ZonedTime()
		p.Closes = in.ZonedTime()
		p.TZ = in.String()
		p.Cover = in.String()
		p.AgreedAt = in.Time()
		c.Plan = p
	}
	if err := in.Err(); err != nil {
		return r, fmt.Errorf("casebook: contact %d: %w", c.ID, err)
	}
	return r, nil
}

// storedRef returns the reference of the stored contact v without reading the rest of it.
func storedRef(v []byte) (string, error) {
	if len(v) > 0 && v[0] == formatBinary2 {
		in := store.NewReader(v[1:])
		in.Uvarint()
		ref := in.String()
		return ref, in.Err()
	}
	r, err := unmarshal(v)
	return r.Ref, err
}

// sessionHashPrefix marks a session id already turned into its keyed hash.
const sessionHashPrefix = "sh:"

// SessionHash returns the form in which an aggregator's session id is kept on a contact: its
// keyed hash, so the file holds nothing the aggregator's logs could be matched with without the
// key. The same id always gives the same hash under one key; an id already hashed, or "", is
// returned as it is.
func (cb *Casebook) SessionHash(id string) string {
	if id == "" || strings.HasPrefix(id, sessionHashPrefix) {
		return id
	}
	return sessionHashPrefix + hex.EncodeToString(cb.box.Hash("session:"+id))
}

// MarkDoNotContact records that number (in E.164) must not be called or texted until until: she
// said it is not safe. It holds for every contact from that number, open or future, and is kept
// under the number's keyed hash. A later mark only ever extends the period.
func (cb *Casebook) MarkDoNotContact(tx onestop.Tx, number string, until time.Time) error {
	if number == "" {
		return onestop.Errorf(onestop.EINVALID, "no number to mark do not contact")
	}
	b := tx.Bucket(store.DoNotContact)
	k := cb.box.Hash(number)
	if v := b.Get(k); len(v) == 8 && int64(binary.BigEndian.Uint64(v)) >= until.UnixNano() {
		return nil
	}
	return b.Put(k, store.U64(uint64(until.UnixNano())))
}

// DoNotContact reports whether number (in E.164) is marked not to be contacted at at. With an
// error it reports true: a mark that cannot be read is kept.
func (cb *Casebook) DoNotContact(tx onestop.Tx, number string, at time.Time) (bool, error) {
	if number == "" {
		return false, nil
	}
	v := tx.Bucket(store.DoNotContact).Get(cb.box.Hash(number))
	if v == nil {
		return false, nil
	}
	if len(v) != 8 {
		return true, fmt.Errorf("casebook: do-not-contact record of %d bytes", len(v)) // the safe answer
	}
	return at.UnixNano() < int64(binary.BigEndian.Uint64(v)), nil
}

// mayCall reports, in tx, whether a counsellor may call her about c at now: inside her window,
// and no number of hers marked "do not contact".
func (cb *Casebook) mayCall(tx onestop.Tx, c *onestop.Contact, now time.Time) bool {
	return InWindow(c, now) && !cb.Marked(tx, KeptNumber(c), now) && !cb.Marked(tx, c.Caller, now)
}

// MayCall reports whether a counsellor may call her about c at now: inside her window, and no
// number of hers marked "do not contact" (she said, here or in another conversation, that it is
// not safe). The console lists and opens callbacks only then.
func (cb *Casebook) MayCall(ctx context.Context, c *onestop.Contact, now time.Time) bool {
	ok := false
	if err := cb.db.View(ctx, func(tx onestop.Tx) error { ok = cb.mayCall(tx, c, now); return nil }); err != nil {
		return false
	}
	return ok
}

// notCallable says why a counsellor may not call her about c at now.
func (cb *Casebook) notCallable(tx onestop.Tx, c *onestop.Contact, now time.Time) error {
	if cb.Marked(tx, KeptNumber(c), now) || cb.Marked(tx, c.Caller, now) {
		return onestop.Errorf(onestop.ECONFLICT, "contact %s: her number is marked do not contact", c.Ref)
	}
	return onestop.Errorf(onestop.ECONFLICT, "contact %s: outside the hours she chose", c.Ref)
}

// Marked is DoNotContact as the outbox asks it, with no room for an error: a mark that cannot be
// read counts as marked, so that a damaged record never lets a message through.
func (cb *Casebook) Marked(tx onestop.Tx, number string, at time.Time) bool {
	marked, err := cb.DoNotContact(tx, number, at)
	return marked || err != nil
}

// Contact returns the contact with id. Returns ENOTFOUND if none.
func (cb *Casebook) Contact(ctx context.Context, id uint64) (c *onestop.Contact, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		c, err = cb.Get(tx, id)
		return err
	})
	return c, err
}

// ByRef returns the contact with the reference a caller was given: found in the index of
// references, or, for a contact made before references were drawn, by the ID it computes to.
// A reference with a wrong check digit names nobody. Returns ENOTFOUND if none.
func (cb *Casebook) ByRef(ctx context.Context, ref string) (c *onestop.Contact, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		id, ok := cb.ContactID(tx, ref)
		if !ok {
			return onestop.Errorf(onestop.ENOTFOUND, "no contact with reference %s", ref)
		}
		c, err = cb.Get(tx, id)
		return err
	})
	return c, err
}

// Filter narrows List.
type Filter struct {
	// Before, when set, lists only contacts with an ID below it: the next page after a page
	// whose last ID it is.
	Before uint64
	// Limit caps the result; 0 means 100.
	Limit   int
	Urgency onestop.Urgency
}

// List returns contacts newest first.
func (cb *Casebook) List(ctx context.Context, f Filter) ([]*onestop.Contact, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*onestop.Contact
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		return newestFirst(tx.Bucket(store.Contacts), f.Before, func(v []byte) (bool, error) {
			ct, err := cb.decode(v)
			if err != nil {
				return false, err
			}
			if f.Urgency == "" || ct.Urgency == f.Urgency {
				out = append(out, ct)
			}
			return len(out) < f.Limit, nil
		})
	})
	return out, err
}

// newestFirst calls fn with each value of b whose 8-byte key is below before (all when before is
// 0), highest key first, until fn returns false or an error.
func newestFirst(b onestop.Bucket, before uint64, fn func(v []byte) (bool, error)) error {
	c := b.Cursor()
	var k, v []byte
	if before > 0 {
		c.Seek(store.U64(before))
		k, v = c.Prev()
	} else {
		k, v = c.Last()
	}
	for ; k != nil; k, v = c.Prev() {
		if more, err := fn(v); err != nil || !more {
			return err
		}
	}
	return nil
}

// luhn returns the check digit that makes body+digit pass the Luhn test.
func luhn(body string) int {
	sum := 0
	for i := len(body) - 1; i >= 0; i-- {
		d := int(body[i] - '0')
		if (len(body)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return (10 - sum%10) % 10
}
