package console

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// A lockout per user stops guessing one user's password; it does not stop one address trying a
// few passwords against every user, nor locking every user out in turn. addressLimit counts
// failed logins per client address in a sliding window and refuses that address, with 429 and
// a Retry-After, once it has failed too often. It is kept in memory: a restart forgets it,
// which costs an attacker a restart he cannot cause.
type addressLimit struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	fails  map[string][]time.Time
}

func newAddressLimit(max int, window time.Duration) *addressLimit {
	if max <= 0 {
		max = 20
	}
	if window <= 0 {
		window = 15 * time.Minute
	}
	return &addressLimit{max: max, window: window, fails: map[string][]time.Time{}}
}

// recent drops the failures of addr older than the window and returns those left.
func (a *addressLimit) recent(addr string, now time.Time) []time.Time {
	kept := a.fails[addr][:0]
	for _, t := range a.fails[addr] {
		if now.Sub(t) < a.window {
			kept = append(kept, t)
		}
	}
	if len(kept) == 0 {
		delete(a.fails, addr)
		return nil
	}
	a.fails[addr] = kept
	return kept
}

// blocked returns how long addr must wait before it may try again, 0 when it may now.
func (a *addressLimit) blocked(addr string, now time.Time) time.Duration {
	a.mu.Lock()
	defer a.mu.Unlock()
	r := a.recent(addr, now)
	if len(r) < a.max {
		return 0
	}
	return a.window - now.Sub(r[len(r)-a.max])
}

// fail records a failed login from addr. The map is bounded: past 100,000 addresses the oldest
// are not worth keeping, and a sweep of expired ones runs first.
func (a *addressLimit) fail(addr string, now time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.fails) > 100_000 {
		for k := range a.fails {
			a.recent(k, now)
		}
	}
	if len(a.fails) > 100_000 {
		clear(a.fails)
	}
	a.fails[addr] = append(a.recent(addr, now), now)
}

// Reasons for refusing a login before any password is checked. They are shown as they are,
// since they say nothing about any user.
const (
	reasonTooMany = "Too many failed logins from this address. Wait and try again later."
	reasonBusy    = "The console is busy checking other logins. Try again in a few seconds."
)

// refuse answers a login that was not checked: status with its reason and a Retry-After.
func (cs *Console) refuse(c *fiber.Ctx, status int, reason string, after time.Duration) error {
	secs := int(after.Round(time.Second) / time.Second)
	if secs < 1 {
		secs = 1
	}
	c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
	v := cs.view(c, "login.title", nil)
	v.Error = reason
	return cs.render(c, status, "error", v)
}
