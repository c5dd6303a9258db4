package onestop

import (
	"context"
	"time"
)

// Leaser is implemented by a Store that several processes share, so that a periodic job (a
// sweep, reminders, escalation) is done by one of them at a time instead of by each: the
// process that holds a job's lease does it, renewing the lease at every run, and when it stops
// renewing (it died, or was stopped) another takes the lease over once it lapses.
//
// A store that only one process can open (bolt) does not implement it; the caller then does
// every job itself.
type Leaser interface {
	// Lease asks for the lease name on behalf of holder until ttl from now, by the store's own
	// clock (not Now, which tests move). held is true when the lease was free, had lapsed, or
	// was holder's already (it is then renewed); false when another holder has it. holder names
	// the asking process and must differ between processes (a host name, pid and random
	// suffix). A job run every interval asks with a ttl of a few intervals, so that its holder
	// keeps it from run to run.
	Lease(ctx context.Context, name, holder string, ttl time.Duration) (held bool, err error)
}
