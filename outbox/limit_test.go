package outbox

import (
	"testing"
	"time"
)

// TestReservedShareForAlerts drives the rate limiter on a clock the test moves, in 1 ms steps
// over ten seconds, with ordinary texts always waiting to go: they get at most 80% of the
// provider's rate, an alert that comes at any moment goes at once, and a second provider is not
// slowed by the first.
func TestReservedShareForAlerts(t *testing.T) {
	now := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	l := newLimiter(10, 0.2, func() time.Time { return now })
	ordinary, alerts, other := 0, 0, 0
	for step := range 10000 {
		now = now.Add(time.Millisecond)
		if step%500 == 250 {
			// An alert arrives mid-flood, twice a second: it never waits.
			if d := l.take("p", true); d != 0 {
				t.Fatalf("at %d ms an alert waits %v behind ordinary texts", step, d)
			}
			alerts++
		}
		if l.take("p", false) == 0 {
			ordinary++
		}
		if l.take("q", false) == 0 {
			other++
		}
	}
	// 10 a second for ten seconds, 80% of it, plus the one the bucket held at the start.
	if ordinary > 81 || ordinary < 78 {
		t.Fatalf("ordinary texts sent %d in 10 s at 10/s with 20%% reserved", ordinary)
	}
	if other < 78 {
		t.Fatalf("another provider sent only %d", other)
	}
	if alerts != 20 {
		t.Fatalf("alerts %d", alerts)
	}
}

// TestAlertsUseTheWholeRate: alerts alone may use the whole rate, and what an ordinary text
// waits for is said, not slept.
func TestAlertsUseTheWholeRate(t *testing.T) {
	now := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	l := newLimiter(10, 0.2, func() time.Time { return now })
	n := 0
	for range 10000 {
		now = now.Add(time.Millisecond)
		if l.take("p", true) == 0 {
			n++
		}
	}
	if n < 100 || n > 103 {
		t.Fatalf("alerts sent %d in 10 s at 10/s", n)
	}
	if d := l.take("p", false); d <= 0 || d > time.Second {
		t.Fatalf("an ordinary text right after waits %v", d)
	}
}
