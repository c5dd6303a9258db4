package outbox

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"slices"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Purge deletes messages that are finished (sent, delivered, dead, expanded or cancelled) and were last changed
// before cutoff, with their idempotency and provider-id index entries. A queued, sending or
// failed message is kept whatever its age: it is still owed. Returns how many were deleted.
func (o *Outbox) Purge(ctx context.Context, cutoff time.Time) (int, error) {
	due := func(v []byte) (Message, bool) {
		var m Message
		if json.Unmarshal(v, &m) != nil {
			return m, false
		}
		finished := m.State == Sent || m.State == Delivered || m.State == Dead || m.State == Expanded || m.State == Cancelled
		return m, finished && m.Updated.Before(cutoff)
	}
	var ids []uint64
	// A role message is kept while any message written out from it still waits: if its
	// recipient leaves the role, it is written out again from there.
	waiting := map[uint64]bool{}
	if err := o.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Outbox).ForEach(func(k, v []byte) error {
			if len(k) == 8 && v != nil {
				m, ok := due(v)
				if ok {
					ids = append(ids, binary.BigEndian.Uint64(k))
				}
				if m.Parent != 0 && (m.State == Queued || m.State == Sending || m.State == Failed) {
					waiting[m.Parent] = true
				}
			}
			return nil
		})
	}); err != nil {
		return 0, err
	}
	ids = slices.DeleteFunc(ids, func(id uint64) bool { return waiting[id] })
	if len(ids) == 0 {
		return 0, nil
	}
	n := 0
	for len(ids) > 0 {
		chunk := ids[:min(len(ids), 500)]
		ids = ids[len(chunk):]
		done := 0
		err := o.db.Update(ctx, func(tx onestop.Tx) error {
			done = 0
			b := tx.Bucket(store.Outbox)
			for _, id := range chunk {
				v := b.Get(store.U64(id))
				m, ok := due(v)
				if v == nil || !ok {
					continue
				}
				if idx := b.Bucket(keyIndex); idx != nil {
					if err := idx.Delete([]byte(m.Key)); err != nil {
						return err
					}
				}
				if idx := b.Bucket(providerIndex); idx != nil && m.ProviderID != "" {
					if err := idx.Delete([]byte(m.Provider + ":" + m.ProviderID)); err != nil {
						return err
					}
				}
				if err := b.Delete(store.U64(id)); err != nil {
					return err
				}
				done++
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += done
	}
	return n, nil
}
