package gateway

import (
	"sync"
	"time"
)

// Hops numbers the hops of sessions whose aggregator sends one input per hop and no number of
// its own (hSenid's TAP, Comviva's pull): the conversation engine tells a retry from the next hop
// by the hop's number (flows.Turn.Hop), so the provider's package derives one here from what the
// aggregator does send, a request id or the input itself.
//
// The numbers live in memory. A process started after a crash does not know them: the hop it is
// sent next is taken for the session's second (1), which the engine answers if that is what it
// is and otherwise ends kindly, changing nothing. It is safe for concurrent use.
type Hops struct {
	// TTL is how long a session's numbers are kept after its last hop: longer than any USSD
	// session lives.
	TTL time.Duration
	// Within, when set, is how soon a request must come again to be taken for a retry of the
	// hop it named; later, it is a new hop. Zero: a request is the same hop for the session's
	// whole life (a request id is never reused).
	Within time.Duration

	mu    sync.Mutex
	m     map[string]*hopSession
	swept time.Time
}

// hopSession is one session's numbers.
type hopSession struct {
	code    string
	last    int
	seen    map[string]hopSeen
	updated time.Time
}

type hopSeen struct {
	hop int
	at  time.Time
}

// maxSessionHops bounds the requests remembered for one session: more than a session's hops.
const maxSessionHops = 600

// Hop returns the number of the hop that request makes in session, and the service code the
// session began with. first says the aggregator marks it as the session's first hop, which
// carries code. A request seen before in the session is a retry and gets the number it had; any
// other is the hop after the last.
func (h *Hops) Hop(session, request string, first bool, code string, now time.Time) (int, string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.m == nil {
		h.m = map[string]*hopSession{}
	}
	h.sweep(now)
	s := h.m[session]
	if s != nil {
		if seen, ok := s.seen[request]; ok && (h.Within == 0 || now.Sub(seen.at) <= h.Within) {
			s.updated = now
			return seen.hop, s.code
		}
	}
	switch {
	case first:
		s = &hopSession{code: code, last: 0, seen: map[string]hopSeen{}}
		h.m[session] = s
	case s == nil:
		// A session this process never saw begin: soon after a restart, or not hers at all.
		s = &hopSession{last: 1, seen: map[string]hopSeen{}}
		h.m[session] = s
	default:
		s.last++
	}
	if len(s.seen) < maxSessionHops {
		s.seen[request] = hopSeen{hop: s.last, at: now}
	}
	s.updated = now
	return s.last, s.code
}

// sweep drops the sessions idle past TTL, at most once a TTL.
func (h *Hops) sweep(now time.Time) {
	ttl := h.TTL
	if ttl <= 0 {
		ttl = 10 * time.Minute
	}
	if now.Sub(h.swept) < ttl {
		return
	}
	h.swept = now
	for k, s := range h.m {
		if now.Sub(s.updated) > ttl {
			delete(h.m, k)
		}
	}
}
