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
	"github.com/onestop-helpline/onestop/seal"
)

// Turn is one hop of a conversation, as its channel's adapter read it from the wire: what she
// sent on this hop and which hop it is, whatever the aggregator's format.
type Turn struct {
	// Channel is recorded on the contact the session makes.
	Channel  onestop.Channel
	Provider string
	// SessionID is the aggregator's id for the session, constant across its hops.
	SessionID string
	// Caller is her number as the aggregator sent it, in E.164, or, with Masked, the opaque id
	// the aggregator gave her instead.
	Caller string
	// Masked says the aggregator hid her number (hSenid's platforms may send "tel:" and an
	// opaque id). Her session then starts in the language of the service she dialled, nothing
	// is remembered or marked against the id, and her plan cannot use "this number": it asks
	// for another one, or gives her the helpline when she says not to call.
	Masked bool
	// ServiceCode is the code she dialled ("*109#"): through Config.ServiceCodes it decides
	// whose service she reached, and so her helplines, emergency number and time zone.
	ServiceCode string
	Network     string
	// Input is what she sent on this hop: "" on a session's first hop.
	Input string
	// Hop numbers the session's hops from 0 (the first, which carries no input). A retried hop
	// carries the number it had: the adapter derives it from what the channel sends (Africa's
	// Talking: how many inputs its text holds) or passes the provider's own.
	Hop int
	// Resends says the channel sends every earlier input with each hop (Africa's Talking and
	// the gateways that copy it), and History holds them: every input she sent before this one,
	// so len(History) is Hop-1 from the second hop on. With them, a session whose latest hops
	// were lost with the memory of a process before this one is played again, so its hops that
	// record nothing may live in memory only. A channel that sends one input per hop leaves
	// both unset, and every hop of its sessions is written to the store before it is answered:
	// after a crash there would be nothing to play them again from.
	Resends bool
	History []string
}

// Limits on what a turn may carry. A real hop is far smaller; anything larger is not a caller's.
const (
	maxSessionID = 128
	maxInput     = 1024 // one input, and all of a session's inputs together
	maxHops      = 512  // more hops than any aggregator keeps a session open for
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
	case t.Hop < 0 || t.Hop > maxHops:
		return onestop.Errorf(onestop.EINVALID, "hop %d is not a session's", t.Hop)
	case t.Hop == 0 && t.Input != "":
		return onestop.Errorf(onestop.EINVALID, "a session's first hop carries no input")
	case !t.Resends && t.History != nil:
		return onestop.Errorf(onestop.EINVALID, "history on a channel that does not resend it")
	case t.Resends && len(t.History) != max(t.Hop-1, 0):
		return onestop.Errorf(onestop.EINVALID, "%d earlier inputs on hop %d", len(t.History), t.Hop)
	case !utf8.ValidString(t.SessionID):
		return onestop.Errorf(onestop.EINVALID, "sessionId is not UTF-8")
	case strings.ContainsRune(t.SessionID, 0):
		return onestop.Errorf(onestop.EINVALID, "sessionId holds a NUL byte")
	}
	n := len(t.Input)
	for _, in := range t.History {
		n += len(in)
	}
	if n > maxInput {
		return onestop.Errorf(onestop.EINVALID, "text is longer than %d bytes", maxInput)
	}
	for _, in := range append([]string{t.Input}, t.History...) {
		switch {
		case !utf8.ValidString(in):
			return onestop.Errorf(onestop.EINVALID, "text is not UTF-8")
		case strings.ContainsRune(in, 0):
			return onestop.Errorf(onestop.EINVALID, "text holds a NUL byte") // no key types one
		}
	}
	return nil
}

// typedHash is a keyed hash of every input of the session up to this hop, for a channel that
// resends them, or of this hop's input alone, for one that does not: it tells a retried hop
// from another with the same number, and a resent history from one that is not the session's.
// What she typed is never kept in clear: it can hold a number.
func (t Turn) typedHash(box *seal.Box) []byte {
	if t.Hop == 0 {
		return historyHash(box, nil) // no input yet, on any channel
	}
	if !t.Resends {
		return box.AppendHash(make([]byte, 0, seal.HashSize), "input:", t.Input)
	}
	return historyHash(box, t.History, t.Input)
}

// historyHash is the keyed hash of inputs and then last, if given: each input is followed by a
// NUL, which no key types (Validate), so no two histories share what is hashed. No input at all
// hashes as "", as the first hop's whole text did before hops were numbered.
func historyHash(box *seal.Box, inputs []string, last ...string) []byte {
	parts := make([]string, 0, 2*(len(inputs)+len(last)))
	for _, in := range inputs {
		parts = append(parts, in, "\x00")
	}
	for _, in := range last {
		parts = append(parts, in, "\x00")
	}
	return box.AppendHash(make([]byte, 0, seal.HashSize), parts...)
}
