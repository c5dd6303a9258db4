package gateway

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/outbox"
)

// What every aggregator's Sender shares when it calls its provider's HTTP API. It lives here,
// below the aggregators, because no aggregator's package may import another's.

// MaxResponse bounds what a Sender reads of a provider's answer.
const MaxResponse = 64 << 10

// Client returns c, or, when c is nil, a client with a 30 s timeout: a provider that never
// answers must not hold the outbox's sending loop.
func Client(c *http.Client) *http.Client {
	if c != nil {
		return c
	}
	return &http.Client{Timeout: 30 * time.Second}
}

// Transient is a failure worth retrying: the provider's server, its rate limit, or the network.
// The outbox waits at least the answer's Retry-After, when h has one, before trying again.
func Transient(status int, code, msg string, h http.Header) *outbox.SendError {
	return &outbox.SendError{Status: status, Code: code, Msg: msg, RetryAfter: retryAfter(h)}
}

// retryAfter reads a Retry-After header in seconds.
func retryAfter(h http.Header) time.Duration {
	if s, err := strconv.Atoi(strings.TrimSpace(h.Get("Retry-After"))); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	return 0
}
