package casebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeDeletesOnlyWhatRetentionSaysIsDue(t *testing.T) {
	ctx := context.Background()
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
	db.Update(context.Background(), func(tx onestop.Tx) error {
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
		_, err := cb.Contact(ctx, c.ID)
		_, refErr := cb.ByRef(ctx, c.Ref)
		gone := name == "old done" || name == "old dropped urgent"
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) || gone != (onestop.ErrorCode(refErr) == onestop.ENOTFOUND) {
			t.Errorf("%s: after purge err=%v ref err=%v; want gone=%v", name, err, refErr, gone)
		}
		db.View(ctx, func(tx onestop.Tx) error {
			if task := tx.Bucket(store.Callbacks).Get(store.U64(c.ID)); (task == nil) != gone {
				t.Errorf("%s: callback task left=%v", name, task != nil)
			}
			return nil
		})
	}
	for name, r := range referrals {
		_, err := cb.ReferralByRef(ctx, r.Ref)
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
	ctx := context.Background()
	cb, db := newCasebook(t)
	old := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	db.Update(context.Background(), func(tx onestop.Tx) error {
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
	if left, _ := cb.List(ctx, casebook.Filter{Limit: 2000}); len(left) != 13 {
		t.Fatalf("%d contacts left, want 13", len(left))
	}
}

// putAll writes contacts and referrals in one transaction, each contact with a callback task.
func putAll(t *testing.T, cb *casebook.Casebook, db *bolt.DB, contacts map[string]*onestop.Contact, referrals map[string]*onestop.Referral) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
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
	}); err != nil {
		t.Fatal(err)
	}
}

func TestPurgeNeverRemovesAnOpenContact(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ancient := now.AddDate(-2, 0, 0)
	contacts := map[string]*onestop.Contact{
		// Open with no plan: a conversation that never finished. Its age decides nothing.
		"open, no plan": {Updated: ancient, Status: onestop.Open, Urgency: onestop.Urgent},
		"done":          {Updated: ancient, Status: onestop.Done, Urgency: onestop.Information},
	}
	putAll(t, cb, db, contacts, nil)
	// A cutoff past everything: only a finished contact may go.
	n, err := cb.PurgeContacts(context.Background(), now)
	if err != nil || n != 1 {
		t.Fatalf("PurgeContacts = %d, %v; want 1", n, err)
	}
	if _, err := cb.Contact(ctx, contacts["open, no plan"].ID); err != nil {
		t.Fatalf("an open contact was purged: %v", err)
	}
	if _, err := cb.Contact(ctx, contacts["done"].ID); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("a finished contact past retention was kept: %v", err)
	}
}

func TestPurgeNeverRemovesAnOpenCallback(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ancient := now.AddDate(-1, 0, 0)
	plan := func(closes time.Time) *onestop.SafeContactPlan {
		return &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000002", Window: onestop.Evening,
			Opens: closes.Add(-4 * time.Hour), Closes: closes, AgreedAt: closes.Add(-5 * time.Hour)}
	}
	contacts := map[string]*onestop.Contact{
		// Her window closed long ago and nobody reached her: the callback is still owed.
		"unfinished, window closed": {Updated: ancient, Status: onestop.Open, Caller: "+8801711000002", Plan: plan(ancient)},
		// Her window has not closed yet.
		"window still open": {Updated: ancient, Status: onestop.Open, Caller: "+8801711000002", Plan: plan(now.Add(time.Hour))},
		// Reached: the callback is done and the contact may go.
		"reached": {Updated: ancient, Status: onestop.Done, Plan: plan(ancient)},
	}
	putAll(t, cb, db, contacts, nil)
	n, err := cb.PurgeContacts(context.Background(), now)
	if err != nil || n != 1 {
		t.Fatalf("PurgeContacts = %d, %v; want 1", n, err)
	}
	for name, c := range contacts {
		got, err := cb.Contact(ctx, c.ID)
		gone := name == "reached"
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) {
			t.Errorf("%s: err %v, want gone=%v", name, err, gone)
		}
		if !gone && (got == nil || got.Plan == nil || got.Plan.Number == "") {
			t.Errorf("%s: the plan she gave is not whole after the purge: %+v", name, got)
		}
		db.View(ctx, func(tx onestop.Tx) error {
			if task := tx.Bucket(store.Callbacks).Get(store.U64(c.ID)); (task == nil) != gone {
				t.Errorf("%s: callback task left=%v, want %v", name, task != nil, !gone)
			}
			return nil
		})
	}
}

func TestPurgeNeverRemovesAnUnclosedReferral(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	ancient := now.AddDate(-2, 0, 0)
	referrals := map[string]*onestop.Referral{}
	for _, st := range []onestop.ReferralStatus{onestop.Received, onestop.Assigned, onestop.Contacted, onestop.Closed, onestop.Declined} {
		referrals[string(st)] = &onestop.Referral{Updated: ancient, Status: st, Need: "needs a safe place"}
	}
	putAll(t, cb, db, nil, referrals)
	n, err := cb.PurgeReferrals(context.Background(), now)
	if err != nil || n != 2 {
		t.Fatalf("PurgeReferrals = %d, %v; want 2", n, err)
	}
	for st, r := range referrals {
		_, err := cb.ReferralByRef(ctx, r.Ref)
		gone := st == string(onestop.Closed) || st == string(onestop.Declined)
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) {
			t.Errorf("%s referral: err %v, want gone=%v", st, err, gone)
		}
	}
}

// A do-not-contact mark is kept while its period runs and purged once it has ended.
func TestPurgeDoNotContactKeepsMarksThatStillHold(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		if err := cb.MarkDoNotContact(tx, "+8801711000501", now.Add(-time.Hour)); err != nil {
			return err
		}
		return cb.MarkDoNotContact(tx, "+8801711000502", now.Add(time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := cb.PurgeDoNotContact(context.Background(), now); err != nil || n != 1 {
		t.Fatalf("PurgeDoNotContact = %d, %v; want 1", n, err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if marked, _ := cb.DoNotContact(tx, "+8801711000502", now); !marked {
			t.Error("a mark still in force was purged")
		}
		if n := tx.Bucket(store.DoNotContact).Len(); n != 1 {
			t.Errorf("%d marks left, want 1", n)
		}
		return nil
	})
}
