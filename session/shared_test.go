package session_test

import (
	"context"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
)

// TestSharedIndexesFindEachOthersSessions: two indexes on one store, as two gateways hold them,
// each loaded before the other wrote anything. A session one stores the other finds, and writes
// again in the same place; one stored before the store was shared is still found; a session one
// deletes is gone for both, with the entry that said where it was. Unshared, the second index
// finds nothing of the first's: what Share is for.
func TestSharedIndexesFindEachOthersSessions(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	put(t, db, typical("before")) // by a single gateway, before the store was shared
	a, b, alone := loadIndex(t, db), loadIndex(t, db), loadIndex(t, db)
	a.Share()
	b.Share()
	update := func(fn func(tx onestop.Tx) error) {
		t.Helper()
		if err := db.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	s := typical("s")
	update(func(tx onestop.Tx) error { return a.Put(tx, s) })
	// The other gateway has stored a session of its own since it started, so it would store a
	// session new to it elsewhere than the first did.
	update(func(tx onestop.Tx) error { return b.Put(tx, typical("other")) })
	s.State = "cover"
	update(func(tx onestop.Tx) error { return b.Put(tx, s) })

	db.View(ctx, func(tx onestop.Tx) error {
		if n := session.Count(tx); n != 3 {
			t.Errorf("%d sessions stored, want 3: one gateway stored another's again elsewhere", n)
		}
		for _, ix := range []*session.Index{a, b} {
			if got, err := ix.Get(tx, "s"); err != nil || got == nil || got.State != "cover" {
				t.Errorf("shared index: %+v, %v; want the session as last written", got, err)
			}
			if got, err := ix.Get(tx, "before"); err != nil || got == nil {
				t.Errorf("shared index, a session stored before: %+v, %v", got, err)
			}
		}
		if got, _ := alone.Get(tx, "s"); got != nil {
			t.Errorf("an unshared index found another's session: the test shows nothing")
		}
		return nil
	})

	var stored []string
	db.View(ctx, func(tx onestop.Tx) error {
		stored = session.Expired(tx, s.Expires.Add(1), 10)
		return nil
	})
	update(func(tx onestop.Tx) error {
		for _, k := range stored {
			if err := a.DeleteStored(tx, k); err != nil {
				return err
			}
		}
		return nil
	})
	db.View(ctx, func(tx onestop.Tx) error {
		if got, _ := b.Get(tx, "s"); got != nil {
			t.Errorf("a deleted session is still found by the other index")
		}
		if n := tx.Bucket(store.SessionKeys).Len(); n != 0 {
			t.Errorf("%d entries left saying where deleted sessions were", n)
		}
		return nil
	})
}
