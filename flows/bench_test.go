package flows_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/session"
)

// cpuPerOp reports the process's CPU time (user and system) per operation. Hops wait for a
// group commit's fsync, so ns/op measures the disk; CPU per hop is what bounds throughput on a
// machine whose cores are the limit, and it is steadier on a shared one.
func cpuPerOp(b *testing.B) func() {
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	return func() {
		var after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		ns := func(r syscall.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
		b.ReportMetric(float64(ns(after)-ns(before))/float64(b.N), "cpu-ns/op")
	}
}

// BenchmarkStepParallel is one hop of many callers at once, as the gateway sees them: sessions
// walking the urgent path (which records a contact twice) and the information path (which records
// one and pages), in four languages, their writes sharing group commits.
func BenchmarkStepParallel(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	callers := []string{bdCaller, inCaller, psCaller, usCaller}
	paths := [][]string{{"", "1", "1*1", "1*1*1", "1*1*1*1"}, {"", "4", "4*1", "4*1*98", "4*1*98*0"}}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	defer cpuPerOp(b)()
	before := f.db.Stats()
	defer func() {
		after := f.db.Stats()
		if n := after.Commits - before.Commits; n > 0 {
			b.ReportMetric(float64(after.Writes-before.Writes)/float64(n), "writes/commit")
			b.ReportMetric(float64(after.CommitTime-before.CommitTime)/float64(after.Writes-before.Writes)/1e3, "commit-µs/write")
		}
	}()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id string
		var caller string
		var path []string
		hop := 0
		for pb.Next() {
			if hop == 0 {
				n := next.Add(1)
				id, caller, path = fmt.Sprintf("p%d", n), callers[n%4], paths[(n/4)%2]
			}
			r, err := f.engine.Step(ctx, atText(flows.Turn{Provider: "africastalking", SessionID: id, Caller: caller}, path[hop]))
			if err != nil {
				b.Fatal(err)
			}
			if hop++; hop == len(path) || r.End {
				hop = 0
			}
		}
	})
}

// expireSessions stores n sessions that expired a second ago, as many hops would have left them,
// and starts the fixture's engine again, so that it finds them in the store.
func expireSessions(tb testing.TB, f *fixture, n int) {
	tb.Helper()
	now := f.clock.Now()
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		stored, err := session.LoadIndex(tx)
		if err != nil {
			return err
		}
		for i := 0; i < n; i++ {
			s := &session.Session{Key: fmt.Sprintf("africastalking:s%06d", i), CallerHash: []byte{1}, Lang: "bn",
				Country: "BD", Provider: "africastalking", State: "menu", Reply: "x", Created: now, Updated: now,
				Expires: now.Add(-time.Second)}
			if err := stored.Put(tx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	f.engine = f.restart(flows.Config{})
}

func sessionCount(ctx context.Context, f *fixture) (n int) {
	f.db.View(ctx, func(tx onestop.Tx) error { n = session.Count(tx); return nil })
	return n
}

// TestSweepDeletesEveryExpiredSessionInSteps sweeps more sessions than one step reads, while
// two live sessions stay: one in the store (and in memory, as it goes on), one that has recorded
// nothing yet, in memory only.
func TestSweepDeletesEveryExpiredSessionInSteps(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	expireSessions(t, f, 5000)
	f.walk("stored", bdCaller, "4")
	f.hop("kept", bdCaller, "")
	n, err := f.engine.Sweep(context.Background())
	if err != nil || n != 5000 {
		t.Fatalf("swept %d, %v", n, err)
	}
	if stored, kept := sessionCount(ctx, f), f.engine.Live(); stored != 1 || kept != 2 {
		t.Fatalf("%d sessions left in the store and %d in memory, want the live ones", stored, kept)
	}
	if r := f.hop("stored", bdCaller, "4*1"); r.End {
		t.Fatalf("the stored session was swept: %q", r.Text)
	}
	if r := f.hop("kept", bdCaller, "4"); r.End {
		t.Fatalf("the session in memory was swept: %q", r.Text)
	}
}

// BenchmarkSweep sweeps 20,000 expired sessions: a wave's worth.
func BenchmarkSweep(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := newFixture(b)
		expireSessions(b, f, 20000)
		b.StartTimer()
		if n, err := f.engine.Sweep(context.Background()); err != nil || n != 20000 {
			b.Fatalf("swept %d, %v", n, err)
		}
	}
}
