package gateway

import (
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
