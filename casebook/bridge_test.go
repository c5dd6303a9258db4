package casebook_test

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

func TestRecordBridge(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Status: onestop.Open, Caller: "+8801711000001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Opens: now.Add(-time.Minute), Closes: now.Add(time.Hour), AgreedAt: now}}
	put(t, cb, db, c)
	record := func(key string, o casebook.BridgeOutcome, reason string) (bool, error) {
		var fresh bool
		err := db.Update(ctx, func(tx onestop.Tx) error {
			var err error
			fresh, err = cb.RecordBridge(tx, c.ID, key, "cara", o, reason, now)
			return err
		})
		return fresh, err
	}
	for _, tc := range []struct {
		key     string
		outcome casebook.BridgeOutcome
		fresh   bool
		code    string
	}{
		{"bridge:1:aa", casebook.BridgeRequested, true, ""},
		{"bridge:1:aa", casebook.BridgeRequested, false, ""}, // a retry: recorded once
		{"bridge:1:aa", casebook.BridgeAnswered, true, ""},
		{"bridge:1:bb", casebook.BridgeRefused, true, ""},
		{"bridge:1:aa", "hung-up", false, onestop.EINVALID},
		{"has space", casebook.BridgeBusy, false, onestop.EINVALID},
		{"", casebook.BridgeBusy, false, onestop.EINVALID},
	} {
		fresh, err := record(tc.key, tc.outcome, "outside the window")
		if onestop.ErrorCode(err) != tc.code || fresh != tc.fresh {
			t.Errorf("%s %s: fresh %v err %v", tc.key, tc.outcome, fresh, err)
		}
	}
	bs, err := cb.Bridges(ctx, c)
	if err != nil || len(bs) != 3 || bs[0].Outcome != casebook.BridgeRequested || bs[2].Outcome != casebook.BridgeRefused || bs[2].Reason != "outside the window" || bs[2].Key != "bridge:1:bb" || bs[0].By != "cara" {
		t.Fatalf("bridges: %+v %v", bs, err)
	}
	// Not safe closes her contact, forgets her number and marks it, as a "not safe" attempt does.
	if _, err := record("bridge:1:aa", casebook.BridgeNotSafe, ""); err != nil {
		t.Fatal(err)
	}
	got, _ := cb.Contact(ctx, c.ID)
	if got.Status != onestop.DoNotContact || got.Caller != "" || got.Plan.Number != "" || got.Plan.MayCall {
		t.Fatalf("after not safe: %+v %+v", got, got.Plan)
	}
	var marked bool
	_ = db.View(ctx, func(tx onestop.Tx) error { marked = cb.Marked(tx, "+8801711000001", now); return nil })
	if !marked {
		t.Fatal("her number is not marked do not contact")
	}
	if n, err := cb.VerifyAudit(ctx); err != nil || n < 5 {
		t.Fatalf("audit chain: %d %v", n, err)
	}
}
