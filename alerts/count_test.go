package alerts

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// Count says how many urgent contacts wait for a person, and how many Escalate would raise now:
// the same rule as the sweep's.
func TestCountSaysWhatWaitsForAPerson(t *testing.T) {
	m := newFixture(t)
	ctx := context.Background()
	now := m.db.Now()
	if err := m.db.Update(ctx, func(tx onestop.Tx) error {
		for _, f := range []*casebook.FollowUp{
			{ContactID: 1, Ref: "case-1", Since: now.Add(-time.Minute)},
			{ContactID: 2, Ref: "case-2", Since: now.Add(-DefaultEscalateAfter), NobodyOnDuty: true},
			{ContactID: 3, Ref: "case-3", Since: now.Add(-time.Minute), Failed: true},
			{ContactID: 4, Ref: "case-4", Since: now.Add(-time.Hour), Escalated: now.Add(-time.Hour), Acked: now, AckedBy: "amina"},
		} {
			if err := m.cases.PutFollowUp(tx, f); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	got, err := m.al.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := Counts{Urgent: 4, Unacknowledged: 3, EscalationDue: 2, Escalated: 1, Failed: 1, NobodyOnDuty: 1}
	if got != want {
		t.Fatalf("counted %+v, want %+v", got, want)
	}
	// The sweep raises exactly the ones counted as due.
	if n, err := m.al.Escalate(ctx); err != nil || n != want.EscalationDue {
		t.Fatalf("escalated %d, %v; counted %d as due", n, err, want.EscalationDue)
	}
	if got, _ := m.al.Count(ctx); got.EscalationDue != 0 || got.Escalated != 3 {
		t.Errorf("after the sweep: %+v", got)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.al.Count(ended); !errors.Is(err, context.Canceled) {
		t.Errorf("count on an ended context: %v", err)
	}
}
