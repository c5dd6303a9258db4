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
