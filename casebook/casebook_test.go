package casebook_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
)

func newCasebook(t *testing.T) (*casebook.Casebook, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return casebook.New(db, box), db
}

func put(t *testing.T, cb *casebook.Casebook, db *bolt.DB, c *onestop.Contact) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.Put(tx, c) }); err != nil {
		t.Fatal(err)
	}
}

func TestContactNumbersAreSealedOnDiskAndOpenedOnRead(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	c := &onestop.Contact{
		Time: time.Now(), Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open,
		Caller: "+8801711000001", Masked: "+880 17** ***001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801811000002", OtherNumber: true, Window: onestop.Now},
	}
	put(t, cb, db, c)
	if c.ID == 0 || !casebook.ValidRef(c.Ref) {
		t.Fatalf("new contact got id %d ref %q", c.ID, c.Ref)
	}
	got, err := cb.ByRef(ctx, c.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Caller != c.Caller || got.Plan.Number != c.Plan.Number || got.Urgency != onestop.Urgent {
		t.Fatalf("read back %+v", got)
	}
	path := db.Path()
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"1711000001", "1811000002", "01711000001"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds %q in the clear", s)
		}
	}
}

func TestListIsNewestFirstAndPages(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	for i := 0; i < 5; i++ {
		u := onestop.Information
		if i%2 == 0 {
			u = onestop.Urgent
		}
		put(t, cb, db, &onestop.Contact{Urgency: u, Status: onestop.Done})
	}
	all, err := cb.List(ctx, casebook.Filter{})
	if err != nil || len(all) != 5 || all[0].ID != 5 || all[4].ID != 1 {
		t.Fatalf("List = %d contacts, err %v", len(all), err)
	}
	page, _ := cb.List(ctx, casebook.Filter{Before: 4, Limit: 2})
	if len(page) != 2 || page[0].ID != 3 || page[1].ID != 2 {
		t.Fatalf("page before 4: %v", ids(page))
	}
	if past, _ := cb.List(ctx, casebook.Filter{Before: 100}); len(past) != 5 || past[0].ID != 5 {
		t.Fatalf("page before an ID past the end: %v", ids(past))
	}
	urgent, _ := cb.List(ctx, casebook.Filter{Urgency: onestop.Urgent})
	if len(urgent) != 3 {
		t.Fatalf("urgent: %v", ids(urgent))
	}
	if _, err := cb.ByRef(ctx, "0000000"); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("unknown ref: %v", err)
	}
}

func ids(cs []*onestop.Contact) []uint64 {
	var out []uint64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

func TestRefsAreUniqueChecked(t *testing.T) {
	seen := map[string]uint64{}
	for id := uint64(1); id < 200_000; id++ {
		r := casebook.DerivedRef(id)
		if len(r) != 7 || !casebook.ValidRef(r) {
			t.Fatalf("Ref(%d) = %q", id, r)
		}
		if prev, dup := seen[r]; dup {
			t.Fatalf("Ref(%d) = Ref(%d) = %s", id, prev, r)
		}
		seen[r] = id
	}
	if r := casebook.DerivedRef(1_000_000); len(r) != 8 || !casebook.ValidRef(r) {
		t.Fatalf("Ref past a million = %q", r)
	}
	// Every single-digit slip is caught.
	r := []byte(casebook.DerivedRef(4242))
	for i := range r {
		for d := byte('0'); d <= '9'; d++ {
			if d == r[i] {
				continue
			}
			typo := append([]byte(nil), r...)
			typo[i] = d
			if casebook.ValidRef(string(typo)) {
				t.Fatalf("typo %s of %s passes the check", typo, r)
			}
		}
	}
}

func TestReferralsAreSealedAndFoundByRef(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	r := &onestop.Referral{Worker: "+8801711000001", Need: "needs a doctor, husband watches the phone", Status: onestop.Received, Verified: true}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.PutReferral(tx, r) }); err != nil {
		t.Fatal(err)
	}
	if r.Ref[:1] != "R" || !casebook.ValidReferralRef(r.Ref) || casebook.ValidRef(r.Ref[1:]) {
		t.Fatalf("referral ref %q", r.Ref)
	}
	got, err := cb.ReferralByRef(ctx, r.Ref)
	if err != nil || got.Need != r.Need || got.Worker != r.Worker {
		t.Fatalf("ReferralByRef = %+v, %v", got, err)
	}
	if _, err := cb.ReferralByRef(ctx, r.Ref[1:]); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("a contact-style ref found a referral: %v", err)
	}
	list, _ := cb.Referrals(ctx, casebook.ReferralFilter{Status: onestop.Received})
	if len(list) != 1 {
		t.Fatalf("Referrals = %d", len(list))
	}
	path := db.Path()
	db.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("doctor")) || bytes.Contains(raw, []byte("1711000001")) {
		t.Fatal("referral text or number in the clear on disk")
	}
}
