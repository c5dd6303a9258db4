package gateway

import (
	"strings"
	"testing"
)

// Beyond loopback the webhooks must need a secret no one guesses: a short one does not count.
func TestAuthenticatedAndLoopback(t *testing.T) {
	long := strings.Repeat("k", MinSecret)
	for _, tc := range []struct {
		c    Config
		want bool
	}{
		{Config{}, false},
		{Config{WebhookToken: long[1:]}, false},
		{Config{WebhookToken: long}, true},
		{Config{WebhookPassword: long}, false},
		{Config{WebhookUser: "at", WebhookPassword: long[1:]}, false},
		{Config{WebhookUser: "at", WebhookPassword: long}, true},
	} {
		if got := tc.c.Authenticated(); got != tc.want {
			t.Errorf("%+v: Authenticated = %v", tc.c, got)
		}
	}
	for host, want := range map[string]bool{"localhost": true, "LOCALHOST": true, "127.0.0.1": true, "127.1.2.3": true,
		"::1": true, "0.0.0.0": false, "10.0.0.1": false, "": false, "example.org": false} {
		if Loopback(host) != want {
			t.Errorf("Loopback(%q) = %v", host, !want)
		}
	}
}

// Moved from cmd/onestop with CheckListen: beyond loopback only with the webhooks authenticated,
// and a simulation never.
func TestCheckListen(t *testing.T) {
	long := strings.Repeat("k", MinSecret)
	for _, tc := range []struct {
		c       Config
		addr    string
		refused string
	}{
		{Config{}, "127.0.0.1:8080", ""},
		{Config{}, "localhost:0", ""},
		{Config{Simulated: true}, "[::1]:8080", ""},
		{Config{}, "8080", "not host:port"},
		{Config{}, "0.0.0.0:8080", "unauthenticated webhooks"},
		{Config{WebhookToken: long[1:]}, "0.0.0.0:8080", "unauthenticated webhooks"},
		{Config{WebhookToken: long}, "0.0.0.0:8080", ""},
		{Config{WebhookToken: long, Simulated: true}, "0.0.0.0:8080", "simulation"},
	} {
		err := tc.c.CheckListen(tc.addr)
		if tc.refused == "" && err != nil || tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)) {
			t.Errorf("%+v on %s: %v, want %q", tc.c, tc.addr, err, tc.refused)
		}
	}
}
