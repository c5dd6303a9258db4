package outbox

import (
	"context"
	"log/slog"
	"strconv"
	"sync/atomic"

	"github.com/onestop-helpline/onestop/phone"
)

// LogName names the log sender: the default, with no provider configured. The outbox owns this
// provider, and only this one: every aggregator's Sender and name live in its own package.
const LogName = "log"

// LogSender writes each message to the log instead of sending it, the number masked.
type LogSender struct {
	Log *slog.Logger
	n   atomic.Uint64
}

// Name is "log".
func (s *LogSender) Name() string { return LogName }

// Idempotent is true: writing a line again loses nothing and reaches no phone.
func (s *LogSender) Idempotent() bool { return true }

// Send logs m: its masked recipient and the name of its template (its cause when it has none),
// never its text or the whole number, since a log is read by more people than a phone. It never
// fails.
func (s *LogSender) Send(_ context.Context, m *Message) (Receipt, error) {
	log := s.Log
	if log == nil {
		log = slog.Default()
	}
	id := "log-" + strconv.FormatUint(s.n.Add(1), 10)
	to := m.Masked
	if to == "" {
		if n, err := phone.Parse(m.To, ""); err == nil {
			to = n.Mask()
		}
	}
	template := m.Template
	if template == "" {
		template = string(m.Cause)
	}
	log.Info("outbox: not sent (no provider configured)", "id", m.ID, "kind", m.Kind, "audience", m.Audience,
		"to", to, "template", template, "encoding", m.Encoding, "segments", m.Segments)
	return Receipt{ProviderID: id, Delivered: true}, nil
}
