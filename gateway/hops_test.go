package gateway_test

import (
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/gateway"
)

func TestHopsNumberRequests(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	var h gateway.Hops
	for _, tc := range []struct {
		name, session, request string
		first                  bool
		code                   string
		at                     time.Duration
		hop                    int
		wantCode               string
	}{
		{"first hop", "S", "r0", true, "*213*109#", 0, 0, "*213*109#"},
		{"first hop retried", "S", "r0", true, "*213*109#", time.Second, 0, "*213*109#"},
		{"second hop", "S", "r1", false, "", 2 * time.Second, 1, "*213*109#"},
		{"second hop retried", "S", "r1", false, "", 3 * time.Second, 1, "*213*109#"},
		{"third hop", "S", "r2", false, "", 4 * time.Second, 2, "*213*109#"},
		{"second hop retried late", "S", "r1", false, "", time.Minute, 1, "*213*109#"},
		{"a session never seen begin", "T", "x", false, "", time.Minute, 1, ""},
		{"and its next", "T", "y", false, "", time.Minute, 2, ""},
		{"swept after the TTL: taken for a session never seen", "S", "r3", false, "", time.Hour, 1, ""},
	} {
		hop, code := h.Hop(tc.session, tc.request, tc.first, tc.code, t0.Add(tc.at))
		if hop != tc.hop || code != tc.wantCode {
			t.Errorf("%s: hop %d code %q, want %d %q", tc.name, hop, code, tc.hop, tc.wantCode)
		}
	}
}

// TestHopsWithin: with Within, the same request is a retry only that soon; later it is the next
// hop (a pull's input, typed again on the next screen).
func TestHopsWithin(t *testing.T) {
	t0 := time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)
	h := gateway.Hops{Within: 2 * time.Second}
	h.Hop("S", "", true, "*6969#", t0)
	for _, tc := range []struct {
		at  time.Duration
		hop int
	}{{5 * time.Second, 1}, {6 * time.Second, 1}, {12 * time.Second, 2}, {13 * time.Second, 2}, {20 * time.Second, 3}} {
		if hop, _ := h.Hop("S", "1", false, "", t0.Add(tc.at)); hop != tc.hop {
			t.Errorf("at %s: hop %d, want %d", tc.at, hop, tc.hop)
		}
	}
}
