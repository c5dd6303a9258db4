package store

import (
	"context"
	"errors"
	"time"

	"github.com/onestop-helpline/onestop"
)

// Every runs fn every interval, for the periodic work beside the store (sweeps, reminders,
// escalation), until ctx ends or the store is closed. After each run that was not cut short,
// done is told how many records fn handled and its error.
func Every(ctx context.Context, interval time.Duration, fn func(context.Context) (int, error), done func(n int, err error)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := fn(ctx)
		if errors.Is(err, onestop.ErrStoreClosed) || ctx.Err() != nil {
			return // the process is stopping
		}
		done(n, err)
	}
}
