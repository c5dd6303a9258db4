package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeLangsForgetsCallersGoneLongerThanRetention(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db.Clock = func() time.Time { return now }
	old, recent, before := []byte("old-caller-hash!"), []byte("recent-caller-ha"), []byte("from-before-stmp")
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		if err := session.PutLangAt(tx, old, onestop.Bengali, now.AddDate(0, 0, -400)); err != nil {
			return err
		}
		if err := session.PutLangAt(tx, recent, onestop.Hindi, now.AddDate(0, 0, -10)); err != nil {
			return err
		}
		return tx.Bucket(store.Prefs).Put(before, []byte(onestop.Arabic)) // as stored before times were kept
	}); err != nil {
		t.Fatal(err)
	}
	cutoff := now.AddDate(0, 0, -365)
	n, err := session.PurgeLangs(ctx, db, cutoff)
	if err != nil || n != 1 {
		t.Fatalf("PurgeLangs = %d, %v; want 1", n, err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if l := session.Lang(tx, old); l != "" {
			t.Errorf("a language last chosen 400 days ago is still remembered: %q", l)
		}
		if l := session.Lang(tx, recent); l != onestop.Hindi {
			t.Errorf("a recent language was forgotten: %q", l)
		}
		if l := session.Lang(tx, before); l != onestop.Arabic {
			t.Errorf("a language from before times were kept reads %q", l)
		}
		return nil
	})
	// The one from before is given today as its time, so it goes a retention period later.
	now = now.AddDate(0, 0, 366)
	if n, err := session.PurgeLangs(ctx, db, now.AddDate(0, 0, -365)); err != nil || n != 2 {
		t.Fatalf("a year on, PurgeLangs = %d, %v; want 2", n, err)
	}
}
