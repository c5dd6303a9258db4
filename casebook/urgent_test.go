package casebook_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

// TestFollowUps: a follow-up keeps its problems once each, is acknowledged once with one audit
// entry, leaves the unacknowledged list then, and goes with its contact when that is purged.
func TestFollowUps(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	urgent := &onestop.Contact{Time: now, Updated: now.AddDate(0, 0, -100), Country: "BD", Urgency: onestop.Urgent, Status: onestop.Dropped}
	other := &onestop.Contact{Time: now, Updated: now, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
	put(t, cb, db, urgent)
	put(t, cb, db, other)
	f := &casebook.FollowUp{ContactID: urgent.ID, Ref: urgent.Ref, Country: "BD", Since: now}
	f.Problem(casebook.NotQueued, "alert, role duty", "no text")
	f.Problem(casebook.NotQueued, "alert, role duty", "no text")
	f.Problem(casebook.NobodyOnDuty, "", "")
	if len(f.Problems) != 2 || f.Problems[0].String() != "alert, role duty: not queued: no text" {
		t.Fatalf("problems %+v", f.Problems)
	}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.PutFollowUp(tx, f) }); err != nil {
		t.Fatal(err)
	}
	if l, err := cb.Unacknowledged(ctx); err != nil || len(l) != 1 || l[0].Ref != urgent.Ref || len(l[0].Problems) != 2 {
		t.Fatalf("unacknowledged %+v, %v", l, err)
	}
	for range 2 {
		err := db.Update(context.Background(), func(tx onestop.Tx) error {
			_, err := cb.Acknowledge(tx, urgent.ID, "cara", now.Add(time.Minute))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if es, _ := cb.AuditLog(ctx, casebook.AuditFilter{Actions: []string{casebook.AuditUrgentAck}, Limit: 10}); len(es) != 1 || es[0].Actor != "cara" {
		t.Fatalf("acknowledgements audited: %+v", es)
	}
	if l, _ := cb.Unacknowledged(ctx); len(l) != 0 {
		t.Fatalf("still unacknowledged: %+v", l)
	}
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		_, err := cb.Acknowledge(tx, other.ID, "cara", now)
		return err
	})
	if onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("acknowledging a contact that is not urgent: %v", err)
	}
	if _, err := cb.Purge(context.Background(), now.AddDate(0, 0, -90)); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if g, _ := cb.FollowUp(tx, urgent.ID); g != nil {
			t.Error("the follow-up outlived its purged contact")
		}
		return nil
	})
}

// A message failing for hours keeps one line on her follow-up, its latest failure, and the list
// of problems stays bounded.
func TestFollowUpProblemsStayBounded(t *testing.T) {
	var f casebook.FollowUp
	for i := range 300 {
		f.Problem(casebook.Retrying, "alert, counsellor +880 19** ***301", fmt.Sprintf("read tcp 10.0.0.2:%d: reset", 40000+i))
	}
	if len(f.Problems) != 1 || !strings.Contains(f.Problems[0].Detail, "40299") {
		t.Fatalf("after 300 failed tries: %+v", f.Problems)
	}
	for i := range 100 {
		f.Problem(casebook.NotQueued, fmt.Sprintf("alert %d", i), "")
	}
	if len(f.Problems) > 20 || f.Problems[len(f.Problems)-1].What != "alert 99" {
		t.Fatalf("%d problems kept, last %+v", len(f.Problems), f.Problems[len(f.Problems)-1])
	}
}

// A damaged follow-up does not hide the others, nor itself: it is listed as one that failed.
func TestADamagedFollowUpStillShows(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	first, second := &onestop.Contact{Urgency: onestop.Urgent, Status: onestop.Open}, &onestop.Contact{Urgency: onestop.Urgent, Status: onestop.Open}
	err := db.Update(ctx, func(tx onestop.Tx) error {
		if err := cb.Put(tx, first); err != nil {
			return err
		}
		if err := cb.Put(tx, second); err != nil {
			return err
		}
		if err := cb.PutFollowUp(tx, &casebook.FollowUp{ContactID: first.ID, Ref: first.Ref, Since: time.Now()}); err != nil {
			return err
		}
		return tx.Bucket(store.Urgent).Put(store.U64(second.ID), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	list, err := cb.Unacknowledged(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("unacknowledged: %d, %v", len(list), err)
	}
	for _, f := range list {
		if f.ContactID == second.ID && (!f.Failed || f.Ref != second.Ref || len(f.Problems) != 1 || f.Problems[0].Code != casebook.Unreadable) {
			t.Fatalf("the damaged follow-up: %+v", f)
		}
	}
}
