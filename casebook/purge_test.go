package casebook_test

import (
	"context"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeDeletesOnlyWhatRetentionSaysIsDue(t *testing.T) {
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	old, recent := now.AddDate(0, 0, -100), now.AddDate(0, 0, -10)
	contacts := map[string]*onestop.Contact{
		"old done":           {Updated: old, Status: onestop.Done, Urgency: onestop.Information},
		"old dropped urgent": {Updated: old, Status: onestop.Dropped, Urgency: onestop.Urgent},
		"recent":             {Updated: recent, Status: onestop.Done},
		"old, window still open": {Updated: old, Status: onestop.Open, Caller: "+8801711000001",
			Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Closes: now.AddDate(0, 0, 1)}},
	}
	referrals := map[string]*onestop.Referral{
		"old closed":        {Updated: old, Status: onestop.Closed},
		"old declined":      {Updated: old, Status: onestop.Declined},
		"old, still worked": {Updated: old, Status: onestop.Assigned},
		"recent closed":     {Updated: recent, Status: onestop.Closed},
	}
	db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for _, c := range contacts {
			if err := cb.Put(tx, c); err != nil {
				return err
			}
			if err := tx.Bucket(store.Callbacks).Put(store.U64(c.ID), []byte("task")); err != nil {
				return err
			}
		}
		for _, r := range referrals {
			if err := cb.PutReferral(tx, r); err != nil {
				return err
			}
		}
		return nil
	})
	n, err := cb.Purge(context.Background(), now.AddDate(0, 0, -90))
	if err != nil || n.Contacts != 2 || n.Referrals != 2 {
		t.Fatalf("Purge = %+v, %v; want 2 contacts and 2 referrals", n, err)
	}
	for name, c := range contacts {
		_, err := cb.Contact(c.ID)
		_, refErr := cb.ByRef(c.Ref)
		gone := name == "old done" || name == "old dropped urgent"
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) || gone != (onestop.ErrorCode(refErr) == onestop.ENOTFOUND) {
			t.Errorf("%s: after purge err=%v ref err=%v; want gone=%v", name, err, refErr, gone)
		}
		db.View(func(tx *bbolt.Tx) error {
			if task := tx.Bucket(store.Callbacks).Get(store.U64(c.ID)); (task == nil) != gone {
				t.Errorf("%s: callback task left=%v", name, task != nil)
			}
			return nil
		})
	}
	for name, r := range referrals {
		_, err := cb.ReferralByRef(r.Ref)
		gone := name == "old closed" || name == "old declined"
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) {
			t.Errorf("%s: after purge err=%v; want gone=%v", name, err, gone)
		}
	}
	if n, _ := cb.Purge(context.Background(), now.AddDate(0, 0, -90)); n.Contacts != 0 || n.Referrals != 0 {
		t.Fatalf("a second purge deleted %+v", n)
	}
}

func TestPurgeWorksThroughManyChunks(t *testing.T) {
	cb, db := newCasebook(t)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db.Update(context.Background(), func(tx *bbolt.Tx) error {
		for i := 0; i < 1234; i++ {
			st := onestop.Done
			if i%100 == 0 {
				st = onestop.Open // kept: no plan, but it is recent
			}
			c := &onestop.Contact{Updated: old, Status: st}
			if i%100 == 0 {
				c.Updated = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
			}
			if err := cb.Put(tx, c); err != nil {
				return err
			}
		}
		return nil
	})
	n, err := cb.Purge(context.Background(), time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || n.Contacts != 1234-13 {
		t.Fatalf("Purge = %+v, %v; want %d", n, err, 1234-13)
	}
	if left, _ := cb.List(casebook.Filter{Limit: 2000}); len(left) != 13 {
		t.Fatalf("%d contacts left, want 13", len(left))
	}
}
