// Package flows holds the helpline's conversations: what a caller sees on each screen, what each
// key does, and what is recorded when she chooses. It turns a Turn into an onestop.Screen (the
// prompt, the options, whether it ends) and knows nothing of HTTP or of any aggregator's format;
// how a screen is broken into a channel's pages is its pager's business (ussd).
//
// It must never arrange contact with a caller outside the Safe Contact Plan she confirms in the
// conversation, never name the service on a first screen, and never answer a hop before what the
// answer says was recorded is on disk.
package flows

import (
	"strings"
	"unicode/utf8"

	"github.com/onestop-helpline/onestop"
)

// Turn is one hop of a conversation as the aggregator reported it.
type Turn struct {
	Channel  onestop.Channel
	Provider string
	// SessionID is the aggregator's id for the session, constant across its hops.
	SessionID string
	// Caller is her number as the aggregator sent it, in E.164.
	Caller string
	// ServiceCode is the code she dialled ("*109#"): through Config.ServiceCodes it decides
	// whose service she reached, and so her helplines, emergency number and time zone.
	ServiceCode string
	Network     string
	// Text is everything she typed this session, '*'-joined, as Africa's Talking and the
	// gateways that copy it send it: "" on the first hop, then "1", "1*2" …
	Text string
}

// Limits on what a turn may carry. A real hop is far smaller; anything larger is not a caller's.
const (
	maxSessionID = 128
	maxText      = 1024
	maxProvider  = 32
)

// Validate checks that t can be a caller's hop at all. Returns EINVALID with a reason if not.
func (t Turn) Validate() error {
	switch {
	case t.Provider == "" || len(t.Provider) > maxProvider:
		return onestop.Errorf(onestop.EINVALID, "missing provider")
	case t.SessionID == "":
		return onestop.Errorf(onestop.EINVALID, "missing sessionId")
	case len(t.SessionID) > maxSessionID:
		return onestop.Errorf(onestop.EINVALID, "sessionId is longer than %d bytes", maxSessionID)
	case t.Caller == "":
		return onestop.Errorf(onestop.EINVALID, "missing phoneNumber")
	case len(t.Text) > maxText:
		return onestop.Errorf(onestop.EINVALID, "text is longer than %d bytes", maxText)
	case !utf8.ValidString(t.Text) || !utf8.ValidString(t.SessionID):
		return onestop.Errorf(onestop.EINVALID, "text is not UTF-8")
	case strings.ContainsRune(t.SessionID, 0):
		return onestop.Errorf(onestop.EINVALID, "sessionId holds a NUL byte")
	}
	return nil
}

// newInput returns what she typed on this hop, given the length of the history already
// answered and a test of whether a prefix of text is that history: the text must extend it by
// one '*'-separated step. ok is false when it does not, which no real continuation of the
// session produces. (A caller may type '*' herself, so what follows the history is one input
// however many '*' it holds.)
func newInput(text string, typedLen int, isHistory func(string) bool) (input string, ok bool) {
	if typedLen == 0 {
		return text, true
	}
	if len(text) > typedLen && text[typedLen] == '*' && isHistory(text[:typedLen]) {
		return text[typedLen+1:], true
	}
	return "", false
}
