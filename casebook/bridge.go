package casebook

import (
	"context"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// A bridged callback is a call the provider places to the counsellor's phone first and, once she
// answers and presses a key, to the survivor's number from the helpline's neutral caller id. The
// counsellor never sees the survivor's number. Every step of it is an audit entry on her case
// (AuditBridge), written in the transaction that caused it.

// AuditBridge is one step of a bridged callback: Detail is "<outcome> <bridge key>", Note the
// reason of a refusal.
const AuditBridge = "callback.bridge"

// BridgeOutcome is what became of a bridged callback.
type BridgeOutcome string

// The outcomes of a bridged callback.
const (
	// BridgeRequested: a counsellor pressed Call and the call was queued.
	BridgeRequested BridgeOutcome = "requested"
	// BridgeRefused: her plan did not allow the call at that moment; it was never placed.
	BridgeRefused BridgeOutcome = "refused"
	// BridgePlaced: the provider took the call to the counsellor's phone.
	BridgePlaced BridgeOutcome = "placed"
	// BridgeAnswered: she answered and was connected to the counsellor.
	BridgeAnswered BridgeOutcome = "answered"
	// BridgeNoAnswer: nobody answered her phone (or the counsellor's).
	BridgeNoAnswer BridgeOutcome = "no-answer"
	// BridgeBusy: her line was busy.
	BridgeBusy BridgeOutcome = "busy"
	// BridgeFailed: the provider could not place the call.
	BridgeFailed BridgeOutcome = "failed"
	// BridgeNotSafe: the counsellor heard someone else, or she pressed the key that says it is
	// not safe. Her contact is closed as do-not-contact, as a "not safe" callback attempt is.
	BridgeNotSafe BridgeOutcome = "not-safe"
)

// Valid reports whether o is one of the outcomes.
func (o BridgeOutcome) Valid() bool {
	switch o {
	case BridgeRequested, BridgeRefused, BridgePlaced, BridgeAnswered, BridgeNoAnswer, BridgeBusy, BridgeFailed, BridgeNotSafe:
		return true
	}
	return false
}

// bridgeSeen, inside the callbacks bucket, holds every bridge step already recorded, by bridge
// key and outcome, so that a provider's retried callback is recorded once. Its name is not 8
// bytes long, so it never collides with a task; ForEachCallbackTask skips it (its value is nil).
var bridgeSeen = []byte("bridges")

// Bridge is one recorded step of a bridged callback.
type Bridge struct {
	Time    time.Time
	By      string
	Key     string
	Outcome BridgeOutcome
	Reason  string
}

// RecordBridge records, in tx, that the bridged callback key on contact id reached outcome, by
// the console user by (or "system" for a provider's report), with reason for a refusal. A step
// already recorded for that key is not recorded again: fresh is false then. BridgeNotSafe also
// closes her contact as do-not-contact and marks her numbers, like a "not safe" attempt; it is
// recorded even outside her window, since what it protects her from does not wait.
//
// key must hold no number. Returns EINVALID for an unknown outcome or a bad key, ENOTFOUND for
// no such contact.
func (cb *Casebook) RecordBridge(tx onestop.Tx, id uint64, key, by string, outcome BridgeOutcome, reason string, now time.Time) (fresh bool, err error) {
	if !outcome.Valid() {
		return false, onestop.Errorf(onestop.EINVALID, "unknown bridge outcome %q", outcome)
	}
	if key == "" || len(key) > 200 || strings.ContainsAny(key, " \x00") {
		return false, onestop.Errorf(onestop.EINVALID, "a bridge needs a key without spaces")
	}
	if by == "" {
		by = "system"
	}
	c, err := cb.Get(tx, id)
	if err != nil {
		return false, err
	}
	seen, err := tx.Bucket(store.Callbacks).CreateBucketIfNotExists(bridgeSeen)
	if err != nil {
		return false, err
	}
	mark := []byte(key + "\x00" + string(outcome))
	if seen.Get(mark) != nil {
		return false, nil
	}
	if err := seen.Put(mark, store.AppendTime(nil, now)); err != nil {
		return false, err
	}
	if outcome == BridgeNotSafe && c.Status == onestop.Open && c.Plan != nil && c.Plan.MayCall {
		if _, err := cb.recordAttempt(tx, id, by, NotSafe, "not safe, said on a bridged call", now); err != nil {
			return false, err
		}
	}
	return true, cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditBridge, Subject: Subject(c), Detail: string(outcome) + " " + key, Note: reason})
}

// Bridges returns the bridged callback steps recorded on c, oldest first.
func (cb *Casebook) Bridges(ctx context.Context, c *onestop.Contact) ([]Bridge, error) {
	entries, err := cb.AuditLog(ctx, AuditFilter{Subject: Subject(c), Actions: []string{AuditBridge}, Limit: 1 << 20})
	if err != nil {
		return nil, err
	}
	out := make([]Bridge, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		outcome, key, _ := strings.Cut(e.Detail, " ")
		out = append(out, Bridge{Time: e.Time, By: e.Actor, Key: key, Outcome: BridgeOutcome(outcome), Reason: e.Note})
	}
	return out, nil
}
