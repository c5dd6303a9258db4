package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
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

// holder names this process to the leases of a shared store: the host, the process and a
// random part, so that a restarted process on the same host is another holder.
var holder = func() string {
	host, _ := os.Hostname()
	var b [6]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%x", host, os.Getpid(), b)
}()

// Once wraps fn, a job run every interval on s, so that among several processes sharing s
// (a store that is an onestop.Leaser) one does it at a time: the one holding the job's lease,
// named name, for a few intervals. On a store only one process opens, fn is returned as it is.
func Once(s onestop.Store, name string, interval time.Duration, fn func(context.Context) (int, error)) func(context.Context) (int, error) {
	l, ok := s.(onestop.Leaser)
	if !ok {
		return fn
	}
	return func(ctx context.Context) (int, error) {
		held, err := l.Lease(ctx, name, holder, 3*interval)
		if err != nil || !held {
			return 0, err
		}
		return fn(ctx)
	}
}
