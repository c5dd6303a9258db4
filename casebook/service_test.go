package casebook_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
)

// serviceCase is a casebook on a clock at now with one open callback whose window is the hour
// from now.
func serviceCase(t *testing.T) (*casebook.Casebook, *bolt.DB, *onestop.Contact, time.Time) {
	t.Helper()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	db.Clock = func() time.Time { return now }
	c := &onestop.Contact{Time: now, Updated: now, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open,
		Caller: "+8801711000001", Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801811000002", Opens: now, Closes: now.Add(time.Hour)}}
	put(t, cb, db, c)
	return cb, db, c, now
}

// entries are the audit entries on subject ("" for any) with one of actions (any when none),
// newest first.
func entries(t *testing.T, cb *casebook.Casebook, subject string, actions ...string) []casebook.AuditEntry {
	ctx := context.Background()
	t.Helper()
	es, err := cb.AuditLog(ctx, casebook.AuditFilter{Subject: subject, Actions: actions, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func wantCode(t *testing.T, what string, err error, code string) {
	t.Helper()
	if onestop.ErrorCode(err) != code {
		t.Errorf("%s: %v, want %s", what, err, code)
	}
}

func TestAuditWritesOneEntry(t *testing.T) {
	cb, _, c, _ := serviceCase(t)
	ctx := context.Background()
	if err := cb.Audit(ctx, &casebook.AuditEntry{Actor: "asha", Action: casebook.AuditCaseView, Subject: casebook.Subject(c)}); err != nil {
		t.Fatal(err)
	}
	if es := entries(t, cb, casebook.Subject(c), casebook.AuditCaseView); len(es) != 1 || es[0].Actor != "asha" {
		t.Fatalf("views audited: %+v", es)
	}
	wantCode(t, "an entry without an actor", cb.Audit(ctx, &casebook.AuditEntry{Action: casebook.AuditCaseView}), onestop.EINVALID)
}

func TestAddNote(t *testing.T) {
	cb, _, c, _ := serviceCase(t)
	ctx := context.Background()
	if err := cb.AddNote(ctx, casebook.Subject(c), "asha", "she will call again on Friday"); err != nil {
		t.Fatal(err)
	}
	if es := entries(t, cb, casebook.Subject(c), casebook.AuditCaseNote); len(es) != 1 || es[0].Note != "she will call again on Friday" || es[0].Actor != "asha" {
		t.Fatalf("notes: %+v", es)
	}
	wantCode(t, "an empty note", cb.AddNote(ctx, casebook.Subject(c), "asha", "  "), onestop.EINVALID)
	wantCode(t, "a note too long", cb.AddNote(ctx, casebook.Subject(c), "asha", strings.Repeat("x", casebook.MaxNote+1)), onestop.EINVALID)
	wantCode(t, "a note by nobody", cb.AddNote(ctx, casebook.Subject(c), "", "a note"), onestop.EINVALID)
	wantCode(t, "a note on a contact not on file", cb.AddNote(ctx, "contact:"+casebook.DerivedRef(c.ID+1), "asha", "a note"), onestop.ENOTFOUND)
	wantCode(t, "a note on a bad reference", cb.AddNote(ctx, "contact:1234", "asha", "a note"), onestop.ENOTFOUND)
	wantCode(t, "a note on a referral", cb.AddNote(ctx, "referral:"+casebook.DerivedReferralRef(1), "asha", "a note"), onestop.ENOTFOUND)
	if es := entries(t, cb, "", casebook.AuditCaseNote); len(es) != 1 {
		t.Fatalf("a refused note was written: %+v", es)
	}
}

func TestRevealIsAuditedWithItsOverride(t *testing.T) {
	cb, db, c, now := serviceCase(t)
	ctx := context.Background()
	n, err := cb.Reveal(ctx, c.ID, "cara", "calling her back as agreed", "")
	if err != nil || n != "+8801811000002" {
		t.Fatalf("reveal = %q, %v", n, err)
	}
	if es := entries(t, cb, casebook.Subject(c), casebook.AuditCaseReveal, casebook.AuditOverride); len(es) != 1 || es[0].Action != casebook.AuditCaseReveal || es[0].Note != "calling her back as agreed" {
		t.Fatalf("reveal audited: %+v", es)
	}

	db.Clock = func() time.Time { return now.Add(2 * time.Hour) } // outside her window
	_, err = cb.Reveal(ctx, c.ID, "cara", "calling her back as agreed", "")
	wantCode(t, "a reveal outside her window", err, onestop.ECONFLICT)
	n, err = cb.Reveal(ctx, c.ID, "sara", "calling her back as agreed", "she asked for a late call")
	if err != nil || n != "+8801811000002" {
		t.Fatalf("reveal with an override = %q, %v", n, err)
	}
	es := entries(t, cb, casebook.Subject(c), casebook.AuditCaseReveal, casebook.AuditOverride)
	if len(es) != 3 || es[0].Action != casebook.AuditCaseReveal || es[1].Action != casebook.AuditOverride || es[1].Note != "she asked for a late call" || es[1].Detail != "reveal" || es[0].Seq != es[1].Seq+1 {
		t.Fatalf("override and reveal audited together: %+v", es)
	}

	_, err = cb.Reveal(ctx, c.ID, "cara", " ", "")
	wantCode(t, "a reveal without a reason", err, onestop.EINVALID)
	_, err = cb.Reveal(ctx, c.ID, "", "calling her back as agreed", "she asked for a late call")
	wantCode(t, "a reveal by nobody", err, onestop.EINVALID)
	_, err = cb.Reveal(ctx, c.ID+1, "cara", "calling her back as agreed", "")
	wantCode(t, "a reveal of no contact", err, onestop.ENOTFOUND)
	none := &onestop.Contact{Time: now, Status: onestop.DoNotContact, Plan: &onestop.SafeContactPlan{Opens: now, Closes: now.Add(time.Hour)}}
	put(t, cb, db, none)
	_, err = cb.Reveal(ctx, none.ID, "sara", "calling her back as agreed", "she asked for a late call")
	wantCode(t, "a reveal with no number kept", err, onestop.ECONFLICT)
	if es := entries(t, cb, "", casebook.AuditCaseReveal, casebook.AuditOverride); len(es) != 3 {
		t.Fatalf("a refused reveal was audited: %+v", es)
	}
}

func TestKeptNumber(t *testing.T) {
	c := &onestop.Contact{Caller: "+8801711000001"}
	if casebook.KeptNumber(c) != c.Caller {
		t.Error("without a plan the number is the one she called from")
	}
	c.Plan = &onestop.SafeContactPlan{Number: "+8801811000002"}
	if casebook.KeptNumber(c) != c.Plan.Number {
		t.Error("her plan's number comes first")
	}
	if casebook.KeptNumber(&onestop.Contact{Plan: &onestop.SafeContactPlan{}}) != "" {
		t.Error("a forgotten number was kept")
	}
}

func TestRecordCallback(t *testing.T) {
	cb, db, c, now := serviceCase(t)
	ctx := context.Background()
	got, err := cb.RecordCallback(ctx, c.ID, "cara", casebook.NoAnswer, "")
	if err != nil || got.Status != onestop.Open {
		t.Fatalf("no answer: %+v, %v", got, err)
	}
	_, err = cb.RecordCallback(ctx, c.ID, "cara", casebook.Outcome("maybe"), "")
	wantCode(t, "an unknown outcome", err, onestop.EINVALID)
	_, err = cb.RecordCallback(ctx, c.ID+1, "cara", casebook.NoAnswer, "")
	wantCode(t, "no contact", err, onestop.ENOTFOUND)

	db.Clock = func() time.Time { return now.Add(2 * time.Hour) }
	_, err = cb.RecordCallback(ctx, c.ID, "cara", casebook.Reached, "")
	wantCode(t, "outside her window", err, onestop.ECONFLICT)
	if got, err = cb.RecordCallback(ctx, c.ID, "sara", casebook.Reached, "she asked for a late call"); err != nil || got.Status != onestop.Done {
		t.Fatalf("reached with an override: %+v, %v", got, err)
	}
	es := entries(t, cb, casebook.Subject(c), casebook.AuditCallback, casebook.AuditOverride)
	if len(es) != 3 || es[0].Detail != string(casebook.Reached) || es[1].Action != casebook.AuditOverride || es[1].Seq+1 != es[0].Seq || es[2].Detail != string(casebook.NoAnswer) {
		t.Fatalf("attempts audited: %+v", es)
	}
	if stored, _ := cb.Contact(ctx, c.ID); stored.Status != onestop.Done {
		t.Fatalf("stored as %s", stored.Status)
	}
	_, err = cb.RecordCallback(ctx, c.ID, "sara", casebook.Reached, "she asked for a late call")
	wantCode(t, "a callback already done", err, onestop.ECONFLICT)
}

func TestAcknowledgeUrgentAndFollowUpOf(t *testing.T) {
	cb, db, c, now := serviceCase(t)
	ctx := context.Background()
	urgent := &onestop.Contact{Time: now, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	put(t, cb, db, urgent)
	if f, err := cb.FollowUpOf(ctx, urgent.ID); err != nil || f != nil {
		t.Fatalf("follow-up before any: %+v, %v", f, err)
	}
	for range 2 {
		f, err := cb.AcknowledgeUrgent(ctx, urgent.ID, "cara")
		if err != nil || f.AckedBy != "cara" || !f.Acked.Equal(now) {
			t.Fatalf("acknowledged: %+v, %v", f, err)
		}
	}
	if es := entries(t, cb, casebook.Subject(urgent), casebook.AuditUrgentAck); len(es) != 1 || es[0].Actor != "cara" {
		t.Fatalf("acknowledgements audited: %+v", es)
	}
	if f, err := cb.FollowUpOf(ctx, urgent.ID); err != nil || f == nil || f.AckedBy != "cara" || f.Ref != urgent.Ref {
		t.Fatalf("follow-up: %+v, %v", f, err)
	}
	_, err := cb.AcknowledgeUrgent(ctx, c.ID, "cara")
	wantCode(t, "a contact that is not urgent", err, onestop.ENOTFOUND)
	_, err = cb.AcknowledgeUrgent(ctx, urgent.ID+1, "cara")
	wantCode(t, "no contact", err, onestop.ENOTFOUND)
	_, err = cb.AcknowledgeUrgent(ctx, urgent.ID, "")
	wantCode(t, "by nobody", err, onestop.EINVALID)

	done, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cb.FollowUpOf(done, urgent.ID); err == nil {
		t.Error("read a follow-up after the context was done")
	}
}

func TestMoveReferral(t *testing.T) {
	cb, db, _, now := serviceCase(t)
	ctx := context.Background()
	r := &onestop.Referral{Time: now, Status: onestop.Received, Worker: "+8801911000003", Need: "shelter"}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.PutReferral(tx, r) }); err != nil {
		t.Fatal(err)
	}
	_, err := cb.MoveReferral(ctx, r.ID, onestop.Assigned, "", "asha", "")
	wantCode(t, "assigned without a centre", err, onestop.EINVALID)
	_, err = cb.MoveReferral(ctx, r.ID, onestop.Declined, "bd-occ-dhaka", "asha", "")
	wantCode(t, "a centre without assigning", err, onestop.EINVALID)
	_, err = cb.MoveReferral(ctx, r.ID, onestop.Contacted, "", "asha", "")
	wantCode(t, "contacted before assigned", err, onestop.ECONFLICT)
	_, err = cb.MoveReferral(ctx, r.ID, onestop.ReferralStatus("lost"), "", "asha", "")
	wantCode(t, "an unknown status", err, onestop.EINVALID)
	_, err = cb.MoveReferral(ctx, r.ID, onestop.Declined, "", "asha", strings.Repeat("x", casebook.MaxReferralNote+1))
	wantCode(t, "a note too long", err, onestop.EINVALID)
	_, err = cb.MoveReferral(ctx, r.ID+1, onestop.Declined, "", "asha", "")
	wantCode(t, "no referral", err, onestop.ENOTFOUND)
	_, err = cb.MoveReferral(ctx, r.ID, onestop.Declined, "", "", "")
	wantCode(t, "by nobody", err, onestop.EINVALID)

	got, err := cb.MoveReferral(ctx, r.ID, onestop.Assigned, "bd-occ-dhaka", "asha", "the nearest centre")
	if err != nil || got.Status != onestop.Assigned || got.Centre != "bd-occ-dhaka" || got.Need != "shelter" {
		t.Fatalf("assigned: %+v, %v", got, err)
	}
	stored, err := cb.ReferralByRef(ctx, r.Ref)
	if err != nil || stored.Status != onestop.Assigned || stored.Centre != "bd-occ-dhaka" || len(stored.History) != 1 || stored.History[0].Note != "the nearest centre" {
		t.Fatalf("stored: %+v, %v", stored, err)
	}
	es := entries(t, cb, "referral:"+r.Ref)
	if len(es) != 1 || es[0].Action != casebook.AuditReferral || es[0].Detail != "assigned bd-occ-dhaka" || es[0].Note != "the nearest centre" {
		t.Fatalf("moves audited: %+v", es)
	}
	// Assigned again keeps its centre without one given.
	if got, err = cb.MoveReferral(ctx, r.ID, onestop.Assigned, "", "asha", ""); err != nil || got.Centre != "bd-occ-dhaka" {
		t.Fatalf("assigned again: %+v, %v", got, err)
	}
}

// A number marked "do not contact" (she said so in another conversation) is not called: the
// console may not reveal it or record a callback on it, inside her window too, unless a
// supervisor overrides with a reason.
func TestAMarkedNumberIsNotCalledFromTheConsole(t *testing.T) {
	cb, db, c, now := serviceCase(t)
	ctx := context.Background()
	if !cb.MayCall(ctx, c, now) {
		t.Fatal("her window is open and nothing is marked, yet she may not be called")
	}
	err := db.Update(ctx, func(tx onestop.Tx) error { return cb.MarkDoNotContact(tx, c.Plan.Number, now.Add(time.Hour)) })
	if err != nil {
		t.Fatal(err)
	}
	if cb.MayCall(ctx, c, now) {
		t.Fatal("a marked number may be called")
	}
	_, err = cb.Reveal(ctx, c.ID, "asha", "to call her back", "")
	wantCode(t, "reveal of a marked number", err, onestop.ECONFLICT)
	if err == nil || !strings.Contains(err.Error(), "do not contact") {
		t.Fatalf("reveal of a marked number: %v", err)
	}
	_, err = cb.RecordCallback(ctx, c.ID, "asha", casebook.Reached, "")
	wantCode(t, "a callback on a marked number", err, onestop.ECONFLICT)
	if _, err := cb.Reveal(ctx, c.ID, "rahela", "court order", "the police asked in writing"); err != nil {
		t.Fatalf("a supervisor's override: %v", err)
	}
}

// "Not safe", recorded by a counsellor on one callback, marks her numbers for every other
// contact of hers too.
func TestNotSafeOnACallbackMarksHerNumber(t *testing.T) {
	ctx := context.Background()
	cb, db, c, now := serviceCase(t)
	other := &onestop.Contact{Time: now, Updated: now, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open,
		Caller: c.Caller, Plan: &onestop.SafeContactPlan{MayCall: true, Number: c.Caller, Opens: now, Closes: now.Add(time.Hour)}}
	put(t, cb, db, other)
	if _, err := cb.RecordCallback(context.Background(), c.ID, "asha", casebook.NotSafe, ""); err != nil {
		t.Fatal(err)
	}
	if cb.MayCall(ctx, other, now) {
		t.Fatal("her other contact may still be called after she said it is not safe")
	}
	db.View(ctx, func(tx onestop.Tx) error {
		for _, n := range []string{"+8801711000001", "+8801811000002"} {
			if marked, _ := cb.DoNotContact(tx, n, now.Add(89*24*time.Hour)); !marked {
				t.Errorf("%s is not marked for the period", n)
			}
		}
		return nil
	})
}
