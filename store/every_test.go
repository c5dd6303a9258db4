package store

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
)

// leaser is a shared store whose lease another process may hold.
type leaser struct {
	onestop.Store
	free bool
	asks []string
}

func (l *leaser) Lease(_ context.Context, name, holder string, ttl time.Duration) (bool, error) {
	l.asks = append(l.asks, name)
	return l.free, nil
}

func TestOnceRunsTheJobOnlyUnderItsLease(t *testing.T) {
	runs := 0
	job := func(context.Context) (int, error) { runs++; return 1, nil }
	l := &leaser{}
	if n, err := Once(l, "sweep", time.Minute, job)(context.Background()); n != 0 || err != nil || runs != 0 {
		t.Fatalf("with the lease held elsewhere: n %d, err %v, runs %d", n, err, runs)
	}
	l.free = true
	if n, _ := Once(l, "sweep", time.Minute, job)(context.Background()); n != 1 || runs != 1 || len(l.asks) != 2 || l.asks[1] != "sweep" {
		t.Fatalf("with the lease free: n %d, runs %d, asks %v", n, runs, l.asks)
	}
	// A store only one process opens does every job itself.
	if n, _ := Once(struct{ onestop.Store }{}, "sweep", time.Minute, job)(context.Background()); n != 1 || runs != 2 {
		t.Fatalf("without leases: n %d, runs %d", n, runs)
	}
}
