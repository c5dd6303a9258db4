package casebook_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
)

// PurgeAll runs every kind's purge at its own cutoff, the audit log last (so the purge's own
// entries are never what it removes), and compacts only when something went or it is told to.
// The end-to-end purge, on a real file, is cmd/onestop's TestAPurgeThatDeletesNothingDoesNotCompact.
func TestPurgeAllOrderCutoffsAndCompaction(t *testing.T) {
	ctx := context.Background()
	cb, _ := newCasebook(t)
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	var ran []string
	cutoffs := map[string]time.Time{}
	deleted := 0
	kind := func(name string) casebook.PurgeFunc {
		return func(_ context.Context, cutoff time.Time) (int, error) {
			ran, cutoffs[name] = append(ran, name), cutoff
			return deleted, nil
		}
	}
	compacted := 0
	p := casebook.Purges{Messages: kind("messages"), Inbound: kind("inbound"), Languages: kind("languages"), Logins: kind("logins"),
		Compact: func(context.Context) error { compacted++; return nil }}
	r := casebook.Retention{Contacts: 90, Referrals: 90, Messages: 30, Inbound: 2, Audit: 365, Languages: 60, Logins: 7}
	rep, err := cb.PurgeAll(ctx, now, r, p, false)
	if err != nil || rep.Deleted() != 0 || compacted != 0 {
		t.Fatalf("empty purge: %+v, %v, compacted %d times", rep, err, compacted)
	}
	if want := []string{"messages", "inbound", "languages", "logins"}; !slices.Equal(ran, want) {
		t.Errorf("ran %v, want %v", ran, want)
	}
	if cutoffs["messages"] != now.AddDate(0, 0, -30) || cutoffs["inbound"] != now.AddDate(0, 0, -2) || cutoffs["logins"] != now.AddDate(0, 0, -7) {
		t.Errorf("cutoffs %v", cutoffs)
	}
	if _, err := cb.PurgeAll(ctx, now, r, p, true); err != nil || compacted != 1 {
		t.Fatalf("told to compact: %v, compacted %d times", err, compacted)
	}
	deleted = 1
	if rep, err := cb.PurgeAll(ctx, now, r, p, false); err != nil || rep.Messages != 1 || compacted != 2 {
		t.Fatalf("a purge that deleted: %+v, %v, compacted %d times", rep, err, compacted)
	}
	// The audit purge writes its own entry: with records gone above, the chain still verifies.
	if _, err := cb.VerifyAudit(ctx); err != nil {
		t.Errorf("audit after purges: %v", err)
	}
}
