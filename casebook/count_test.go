package casebook_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// Count tallies contacts by channel and urgency, and counts as due only a callback the console
// would list: open, inside her window, her number not marked do not contact.
func TestCountTalliesContactsAndTheCallbacksDue(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	plan := func(number string, opens time.Time) *onestop.SafeContactPlan {
		return &onestop.SafeContactPlan{MayCall: true, Number: number, Window: onestop.Now, Opens: opens, Closes: opens.Add(time.Hour)}
	}
	for _, c := range []*onestop.Contact{
		{Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open, Caller: "+8801711000001", Plan: plan("+8801711000001", now.Add(-time.Minute))},
		{Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Done, Caller: "+8801711000002", Plan: plan("+8801711000002", now.Add(-time.Minute))},
		{Channel: onestop.USSD, Urgency: onestop.NonUrgent, Status: onestop.Open, Caller: "+8801711000003", Plan: plan("+8801711000003", now.Add(-time.Minute))},
		{Channel: onestop.Voice, Urgency: onestop.NonUrgent, Status: onestop.Open, Caller: "+8801711000004", Plan: plan("+8801711000004", now.Add(time.Hour))},
		{Channel: onestop.SMS, Status: onestop.Open},
	} {
		put(t, cb, db, c)
	}
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		return cb.MarkDoNotContact(tx, "+8801711000003", now.Add(time.Hour))
	}); err != nil {
		t.Fatal(err)
	}
	got, err := cb.Count(ctx, now)
	if err != nil {
		t.Fatal(err)
	}
	want := map[casebook.ContactTally]int{
		{Channel: onestop.USSD, Urgency: onestop.Urgent}:     2,
		{Channel: onestop.USSD, Urgency: onestop.NonUrgent}:  1,
		{Channel: onestop.Voice, Urgency: onestop.NonUrgent}: 1,
		{Channel: onestop.SMS}:                               1,
	}
	if len(got.Contacts) != len(want) || got.CallbacksDue != 1 || got.Unreadable != 0 {
		t.Fatalf("counted %+v, want %v and 1 callback due", got, want)
	}
	for k, n := range want {
		if got.Contacts[k] != n {
			t.Errorf("%v: %d, want %d", k, got.Contacts[k], n)
		}
	}
	// An hour on, the first window has closed and the voice contact's has opened.
	if got, _ := cb.Count(ctx, now.Add(time.Hour)); got.CallbacksDue != 1 {
		t.Errorf("%d callbacks due an hour on, want 1", got.CallbacksDue)
	}
	if got, _ := cb.Count(ctx, now.Add(3*time.Hour)); got.CallbacksDue != 0 {
		t.Errorf("%d callbacks due once every window closed", got.CallbacksDue)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := cb.Count(ended, now); !errors.Is(err, context.Canceled) {
		t.Errorf("count on an ended context: %v", err)
	}
}
