package gateway

import (
	"fmt"
	"net"
	"strings"
)

// MinSecret is the shortest webhook token or password that counts as authentication beyond
// loopback: a short one is guessed by anyone who tries.
const MinSecret = 16

// Authenticated reports whether every webhook needs a secret: a token in its URL, or basic auth
// with a password, of MinSecret characters or more. Twilio's routes are signed besides, but the
// USSD route is not, so signatures alone are not enough.
func (c Config) Authenticated() bool {
	return len(c.WebhookToken) >= MinSecret || (c.WebhookUser != "" && len(c.WebhookPassword) >= MinSecret)
}

// Loopback reports whether host names this machine: localhost, 127.0.0.0/8 or ::1. Only there
// may the gateway listen with its webhooks unauthenticated.
func Loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// DefaultAddr is where the gateway listens with nothing configured: this machine only, so that
// the webhooks, unauthenticated until a token or basic auth is set, are not open to anyone.
const DefaultAddr = "127.0.0.1:8080"

// CheckListen refuses addr beyond this machine unless the webhooks are authenticated, and a
// simulation anywhere but on loopback: an aggregator pointed at one would have real callers
// recorded as made up, and alerted to nobody. Each refusal is one line saying what to do.
func (c Config) CheckListen(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port, e.g. %s", addr, DefaultAddr)
	}
	if Loopback(host) {
		return nil
	}
	if c.Simulated {
		return fmt.Errorf("refusing to serve a simulation on %s: a simulation listens on loopback only (e.g. --addr 127.0.0.1:8080)", addr)
	}
	if !c.Authenticated() {
		return fmt.Errorf("refusing to listen on %s with unauthenticated webhooks: set ONESTOP_WEBHOOK_TOKEN (or ONESTOP_WEBHOOK_USER and ONESTOP_WEBHOOK_PASSWORD), of %d characters or more, or listen on %s", addr, MinSecret, DefaultAddr)
	}
	return nil
}
