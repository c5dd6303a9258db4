package casebook

import (
	"context"
	"fmt"
)

// OpensSealed shows that the casebook's key opens what is sealed in its store, for a file
// sealed before check values were kept, whose first key is written as the right one. It reads
// the newest record of each kind that always holds a sealed number (an outbound message, read
// by outbound, the outbox's own check, which the casebook cannot make; a community worker; a
// referral), and the newest contacts until one that keeps a number. An empty sealed field opens
// under any key, so only a record with something sealed in it counts. A file with none of them
// holds nothing the key could be wrong for but keyed hashes.
func (cb *Casebook) OpensSealed(ctx context.Context, outbound func(context.Context) error) error {
	if outbound != nil {
		if err := outbound(ctx); err != nil {
			return fmt.Errorf("an outbound message: %w", err)
		}
	}
	if _, err := cb.Workers(ctx); err != nil {
		return fmt.Errorf("a community worker: %w", err)
	}
	if _, err := cb.Referrals(ctx, ReferralFilter{Limit: 1}); err != nil {
		return fmt.Errorf("a referral: %w", err)
	}
	var before uint64
	for range 20 {
		page, err := cb.List(ctx, Filter{Before: before, Limit: 100})
		if err != nil {
			return fmt.Errorf("a contact: %w", err)
		}
		for _, c := range page {
			if KeptNumber(c) != "" {
				return nil // opened, with a number in it
			}
		}
		if len(page) < 100 {
			break
		}
		before = page[len(page)-1].ID
	}
	return nil
}
