package alerts

import (
	"context"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// Counts is where the urgent contacts' follow-ups stand.
type Counts struct {
	// Urgent counts the urgent contacts whose follow-up is kept.
	Urgent int
	// Unacknowledged counts those nobody has taken on yet.
	Unacknowledged int
	// EscalationDue counts the unacknowledged ones that Escalate would raise now and has not:
	// past the wait for an acknowledgement, or with an alert that reached nobody. The sweep
	// keeps it at nought; anything else means it is not running.
	EscalationDue int
	// Escalated counts those raised to the fallback list, acknowledged since or not.
	Escalated int
	// Failed counts the unacknowledged ones with an alert that died, was reported undelivered
	// or was never queued.
	Failed int
	// NobodyOnDuty counts the unacknowledged ones that arrived with nobody on the rota.
	NobodyOnDuty int
}

// Count counts the urgent contacts' follow-ups at the store's now, in one read that walks them
// once. It never writes. Returns ctx's error when ctx ends before the walk does, and the
// store's errors.
func (s *Service) Count(ctx context.Context) (Counts, error) {
	var out Counts
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		now := s.db.Now()
		n := 0
		return s.cases.ForEachFollowUp(tx, func(f *casebook.FollowUp) error {
			if n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			n++
			out.Urgent++
			if !f.Escalated.IsZero() {
				out.Escalated++
			}
			if f.Acknowledged() {
				return nil
			}
			out.Unacknowledged++
			if f.Escalated.IsZero() && (f.Failed || now.Sub(f.Since) >= s.after) {
				out.EscalationDue++
			}
			if f.Failed {
				out.Failed++
			}
			if f.NobodyOnDuty {
				out.NobodyOnDuty++
			}
			return nil
		})
	})
	if err != nil {
		return Counts{}, err
	}
	return out, nil
}
