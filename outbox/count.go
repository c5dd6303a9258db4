package outbox

import (
	"context"
	"encoding/json"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Tally is one kind of message the queue holds: where it stands, whom it is for, and why it
// was queued.
type Tally struct {
	State    State
	Audience Audience
	Cause    Cause
}

// Counts is how many messages the queue holds of each kind, read from their clear fields only:
// nothing sealed is opened to count them.
type Counts struct {
	Messages map[Tally]int
	// Unreadable counts records that could not be decoded.
	Unreadable int
}

// checkEvery is how many records a count reads between looks at its context, so that a
// count over a large queue stops soon after its caller gives up.
const checkEvery = 1024

// Count counts the messages in the queue by state, audience and cause, in one read that walks
// the queue once. It never writes. Returns ctx's error when ctx ends before the walk does, and
// the store's errors.
func (o *Outbox) Count(ctx context.Context) (Counts, error) {
	out := Counts{Messages: map[Tally]int{}}
	err := o.db.View(ctx, func(tx onestop.Tx) error {
		n := 0
		return tx.Bucket(store.Outbox).ForEach(func(k, v []byte) error {
			if v == nil || len(k) != 8 {
				return nil // an index
			}
			if n%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			n++
			var t struct {
				State    State    `json:"state"`
				Audience Audience `json:"audience"`
				Cause    Cause    `json:"cause"`
			}
			if json.Unmarshal(v, &t) != nil {
				out.Unreadable++
				return nil
			}
			out.Messages[Tally{State: t.State, Audience: t.Audience, Cause: t.Cause}]++
			return nil
		})
	})
	if err != nil {
		return Counts{}, err
	}
	return out, nil
}
