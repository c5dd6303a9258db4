package flows

import (
	"context"
	"encoding/json"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// PurgeInbound deletes the record of inbound messages received before cutoff. The record exists
// so that an aggregator's retry (Africa's Talking retries for up to 12 hours) answers the same;
// past that, it is only a trace. Returns how many were deleted.
func PurgeInbound(ctx context.Context, db onestop.Store, cutoff time.Time) (int, error) {
	var keys [][]byte
	if err := db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Inbound).ForEach(func(k, v []byte) error {
			var r inboundRecord
			if json.Unmarshal(v, &r) == nil && r.Time.Before(cutoff) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
	}); err != nil || len(keys) == 0 {
		return 0, err
	}
	err := db.Update(ctx, func(tx onestop.Tx) error {
		for _, k := range keys {
			if err := tx.Bucket(store.Inbound).Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return len(keys), err
}
