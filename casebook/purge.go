package casebook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// PurgeCounts says how many records a purge deleted.
type PurgeCounts struct {
	Contacts  int `json:"contacts"`
	Referrals int `json:"referrals"`
}

// purgeChunk bounds one purge write, so a large purge never holds the writer for long.
const purgeChunk = 500

// Purge deletes what retention says is due: contacts last changed before cutoff whose callback
// window, if any, has closed, with their callback tasks, and closed or declined referrals last
// changed before cutoff. Referrals still being worked are kept whatever their age.
// The audit log is not touched: it is append-only and holds no number or free text in the clear.
func (cb *Casebook) Purge(ctx context.Context, cutoff time.Time) (PurgeCounts, error) {
	var n PurgeCounts
	contact := func(v []byte) bool {
		r, err := unmarshal(v)
		if err != nil {
			return false
		}
		return r.Updated.Before(cutoff) && (r.Plan == nil || !r.Plan.Closes.After(cutoff))
	}
	referral := func(v []byte) bool {
		var r onestop.Referral
		if json.Unmarshal(v, &r) != nil {
			return false
		}
		return r.Updated.Before(cutoff) && (r.Status == onestop.Closed || r.Status == onestop.Declined)
	}
	var err error
	if n.Contacts, err = cb.purge(ctx, store.Contacts, contact); err != nil {
		return n, err
	}
	n.Referrals, err = cb.purge(ctx, store.Referrals, referral)
	return n, err
}

// purge deletes the records of bucket that due says are due and, for contacts, their callback
// tasks. A record that cannot be read is kept: purging must never be the way a damaged record
// disappears unseen. (A reference is arithmetic on the ID, so it goes with the record.)
func (cb *Casebook) purge(ctx context.Context, bucket []byte, due func(v []byte) bool) (int, error) {
	contacts := bytes.Equal(bucket, store.Contacts)
	total := 0
	var after uint64
	for {
		var ids []uint64
		last := after // the last key read; unchanged when nothing is left to read
		if err := cb.db.View(func(tx *bbolt.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			for k, v := c.Seek(store.U64(after + 1)); k != nil && len(ids) < purgeChunk; k, v = c.Next() {
				last = binary.BigEndian.Uint64(k)
				if due(v) {
					ids = append(ids, last)
				}
			}
			return nil
		}); err != nil {
			return total, err
		}
		if len(ids) > 0 {
			done := 0
			err := cb.db.Update(ctx, func(tx *bbolt.Tx) error {
				done = 0
				for _, id := range ids {
					// Checked again inside the write: it may have changed since it was read.
					if v := tx.Bucket(bucket).Get(store.U64(id)); v == nil || !due(v) {
						continue
					}
					if err := tx.Bucket(bucket).Delete(store.U64(id)); err != nil {
						return err
					}
					if contacts {
						if err := tx.Bucket(store.Callbacks).Delete(store.U64(id)); err != nil {
							return err
						}
						// An urgent contact's follow-up goes with her contact.
						if err := tx.Bucket(store.Urgent).Delete(store.U64(id)); err != nil {
							return err
						}
					}
					done++
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			total += done
		}
		if last == after || ctx.Err() != nil {
			return total, ctx.Err()
		}
		after = last
	}
}
