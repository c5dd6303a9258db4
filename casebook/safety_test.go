package casebook_test

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// TestReferralDigitsNeverOpenACase: a referral's number typed without its letter, where a case
// number is asked for, must not pass as a contact's reference, nor the other way round.
func TestReferralDigitsNeverOpenACase(t *testing.T) {
	check := func(id uint64) {
		ref := casebook.DerivedReferralRef(id)
		if ref[0] != 'R' || !casebook.ValidReferralRef(ref) || !casebook.ValidReferralRef(ref[1:]) {
			t.Fatalf("ReferralRef(%d) = %q does not pass its own check", id, ref)
		}
		if casebook.ValidRef(ref[1:]) {
			t.Fatalf("referral %s without its letter is a valid contact reference", ref)
		}
		if c := casebook.DerivedRef(id); casebook.ValidReferralRef(c) {
			t.Fatalf("contact reference %s passes as a referral's", c)
		}
	}
	for id := uint64(1); id < 300_000; id++ {
		check(id)
	}
	for id := uint64(999_000); id < 1_001_000; id++ {
		check(id)
	}
	for id := uint64(9_999_000); id < 10_001_000; id++ {
		check(id)
	}
	check(123_456_789_012)
}

// TestReferralRefsFindTheirReferralOnly: the new references find their referral, a reference
// given before (the letter and a contact-style number) still finds the one it was given, and
// the digits alone find no contact.
func TestReferralRefsFindTheirReferralOnly(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	c := &onestop.Contact{Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open}
	put(t, cb, db, c)
	r := &onestop.Referral{Worker: "+8801711000001", Need: "x", Status: onestop.Received}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.PutReferral(tx, r) }); err != nil {
		t.Fatal(err)
	}
	if r.ID != c.ID {
		t.Fatalf("want the same ID for both, got %d and %d", r.ID, c.ID)
	}
	if got, err := cb.ReferralByRef(ctx, r.Ref); err != nil || got.ID != r.ID {
		t.Fatalf("ReferralByRef(%s) = %+v, %v", r.Ref, got, err)
	}
	if _, err := cb.ByRef(ctx, r.Ref[1:]); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("referral digits %s opened a contact: %v", r.Ref[1:], err)
	}
	// An old referral keeps the reference it was given.
	old := &onestop.Referral{Worker: "+8801711000002", Need: "y", Status: onestop.Received}
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		if err := cb.PutReferral(tx, old); err != nil {
			return err
		}
		old.Ref = "R" + casebook.DerivedRef(old.ID)
		return cb.PutReferral(tx, old)
	}); err != nil {
		t.Fatal(err)
	}
	if got, err := cb.ReferralByRef(ctx, old.Ref); err != nil || got.ID != old.ID {
		t.Fatalf("old reference %s: %+v, %v", old.Ref, got, err)
	}
	if _, err := cb.ReferralByRef(ctx, "R"+casebook.DerivedRef(r.ID)); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("a contact-style reference it was never given found a referral: %v", err)
	}
}

func TestDoNotContactHoldsForHerNumberUntilItsEnd(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	her, other := "+8801711000001", "+8801711000002"
	mark := func(n string, until time.Time) {
		t.Helper()
		if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.MarkDoNotContact(tx, n, until) }); err != nil {
			t.Fatal(err)
		}
	}
	marked := func(n string, at time.Time) (got bool) {
		t.Helper()
		if err := db.View(ctx, func(tx onestop.Tx) error {
			var err error
			got, err = cb.DoNotContact(tx, n, at)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return got
	}
	mark(her, now.AddDate(0, 0, 90))
	if !marked(her, now) || !marked(her, now.AddDate(0, 0, 89)) {
		t.Fatal("her number is not marked within the period")
	}
	if marked(her, now.AddDate(0, 0, 90)) {
		t.Fatal("her number is still marked after the period")
	}
	if marked(other, now) {
		t.Fatal("another number is marked")
	}
	mark(her, now.AddDate(0, 0, 1)) // a shorter mark never shortens the period
	if !marked(her, now.AddDate(0, 0, 50)) {
		t.Fatal("a later, shorter mark ended the period early")
	}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.MarkDoNotContact(tx, "", now) }); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("marking no number: %v", err)
	}
	path := db.Path()
	db.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("1711000001")) {
		t.Fatal("her number is in the file")
	}
}

func TestSessionIDsAreKeptOnlyAsKeyedHashes(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	c := &onestop.Contact{Channel: onestop.USSD, Provider: "africastalking", SessionID: "ATUid_4f1c2a9b7e", Status: onestop.Open, Urgency: onestop.Urgent}
	put(t, cb, db, c)
	got, err := cb.Contact(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SessionID == "" || got.SessionID != cb.SessionHash("ATUid_4f1c2a9b7e") || got.SessionID == "ATUid_4f1c2a9b7e" {
		t.Fatalf("SessionID read back as %q", got.SessionID)
	}
	put(t, cb, db, got) // written again, it is not hashed twice
	if again, _ := cb.Contact(ctx, c.ID); again.SessionID != got.SessionID {
		t.Fatalf("rewritten SessionID %q, was %q", again.SessionID, got.SessionID)
	}
	path := db.Path()
	db.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("4f1c2a9b7e")) {
		t.Fatal("the aggregator's session id is in the file")
	}
}
