package casebook

import (
	"context"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// ContactTally is one kind of contact: the channel she came by and how she was classified.
type ContactTally struct {
	Channel onestop.Channel
	Urgency onestop.Urgency
}

// Counts is how many contacts the casebook keeps, and how many callbacks are due.
type Counts struct {
	// Contacts counts the contacts kept, by channel and urgency (empty while unclassified).
	Contacts map[ContactTally]int
	// CallbacksDue counts the callbacks a counsellor may place at the moment counted: her
	// contact open, inside her window, no number of hers marked do not contact. It is the
	// console's callback queue.
	CallbacksDue int
	// Unreadable counts contact records that could not be decoded.
	Unreadable int
}

// checkEvery is how many records a count reads between looks at its context.
const checkEvery = 1024

// Count counts the contacts kept and the callbacks due at now, in one read that walks the
// contacts once. Only a contact inside her window has her numbers opened, to look up their
// do-not-contact marks; every other is counted from its clear fields. It never writes. Returns
// ctx's error when ctx ends before the walk does, and the store's errors.
func (cb *Casebook) Count(ctx context.Context, now time.Time) (Counts, error) {
	out := Counts{Contacts: map[ContactTally]int{}}
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		n := 0
		return tx.Bucket(store.Contacts).ForEach(func(k, v []byte) error {
			if v == nil || len(k) != 8 {
				return nil
			}
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			n++
			r, err := unmarshal(v)
			if err != nil {
				out.Unreadable++
				return nil
			}
			out.Contacts[ContactTally{Channel: r.Channel, Urgency: r.Urgency}]++
			if r.Status != onestop.Open || !InWindow(&r.Contact, now) {
				return nil
			}
			c, err := cb.decode(v)
			if err != nil {
				out.Unreadable++
				return nil
			}
			if Due(c, now) && cb.mayCall(tx, c, now) {
				out.CallbacksDue++
			}
			return nil
		})
	})
	if err != nil {
		return Counts{}, err
	}
	return out, nil
}
