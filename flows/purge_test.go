package flows

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeInboundKeepsRecentIDs(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db.Update(context.Background(), func(tx onestop.Tx) error {
		for key, age := range map[string]time.Duration{"at:old": 72 * time.Hour, "at:recent": time.Hour} {
			v, _ := json.Marshal(inboundRecord{Time: now.Add(-age)})
			if err := tx.Bucket(store.Inbound).Put([]byte(key), v); err != nil {
				return err
			}
		}
		return nil
	})
	n, err := PurgeInbound(context.Background(), db, now.Add(-48*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("PurgeInbound = %d, %v", n, err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(store.Inbound).Get([]byte("at:old")) != nil || tx.Bucket(store.Inbound).Get([]byte("at:recent")) == nil {
			t.Error("purged the wrong inbound id")
		}
		return nil
	})
}
