package outbox

import (
	"context"
	"testing"
)

// A reply goes back the way the text came only by a provider that is configured; the Via rule
// once lived in cmd/onestop's wiring of the SMS side.
func TestReplyVia(t *testing.T) {
	via := ReplyVia("africastalking", &LogSender{}, named("twilio"))
	for in, want := range map[string]string{"twilio": "twilio", LogName: LogName, "exotel": "africastalking", "": "africastalking"} {
		if got := via(in); got != want {
			t.Errorf("via(%q) = %q, want %q", in, got, want)
		}
	}
}

type named string

func (n named) Name() string                                          { return string(n) }
func (n named) Send(ctx context.Context, m *Message) (Receipt, error) { return Receipt{}, nil }
