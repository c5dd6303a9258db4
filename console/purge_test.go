package console

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeLoginsRemovesSessionsUnusedSinceTheCutoff(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	us := f.cs.Users
	old, _, err := us.StartSession(ctx, "cara")
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Add(40 * 24 * time.Hour)
	recent, _, err := us.StartSession(ctx, "sara")
	if err != nil {
		t.Fatal(err)
	}
	n, err := us.PurgeLogins(ctx, f.clock.Now().AddDate(0, 0, -30))
	if err != nil || n != 1 {
		t.Fatalf("PurgeLogins = %d, %v; want 1", n, err)
	}
	// Logins are kept by the hex SHA-256 of their cookie token.
	key := sha256.Sum256([]byte(old))
	f.db.View(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(store.Logins).Get([]byte(hex.EncodeToString(key[:]))) != nil {
			t.Error("a login unused for 40 days is still on file")
		}
		return nil
	})
	if _, _, err := us.Session(ctx, recent, f.clock.Now(), time.Hour); err != nil {
		t.Fatalf("a login in use was purged: %v", err)
	}
	if _, _, err := us.Session(ctx, old, f.clock.Now(), 1000*time.Hour); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("the purged login still opens a session: %v", err)
	}
}
