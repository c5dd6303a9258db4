package casebook

import (
	"context"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
)

// Outcome is what happened when a counsellor tried to call a survivor back.
type Outcome string

// The outcomes of a callback attempt.
const (
	// Reached: she was reached; the callback is done.
	Reached Outcome = "reached"
	// NotSafe: she, or whoever answered, made clear it is not safe. The contact is closed as
	// do-not-contact and her number is forgotten: no one calls her again on this plan.
	NotSafe Outcome = "not-safe"
	// NoAnswer: nobody answered. The callback stays open while her window does. A missed call
	// is not consent to anything more: the plan alone decides whether to try again.
	NoAnswer Outcome = "no-answer"
)

// Valid reports whether o is one of the outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case Reached, NotSafe, NoAnswer:
		return true
	}
	return false
}

// Subject is how the audit log names a contact.
func Subject(c *onestop.Contact) string { return "contact:" + c.Ref }

// Due reports whether c is a callback a counsellor may place at now: she agreed to a call, the
// contact is still open, and now is inside her window.
func Due(c *onestop.Contact, now time.Time) bool {
	return c.Status == onestop.Open && c.Plan != nil && c.Plan.Allows(c.Plan.Number, now)
}

// InWindow reports whether now is inside the hours her plan gives for a call, from Opens to
// Closes. A contact whose plan allows no call has no window: nothing is ever inside it.
func InWindow(c *onestop.Contact, now time.Time) bool {
	p := c.Plan
	return p != nil && p.MayCall && !p.Opens.IsZero() && !now.Before(p.Opens) && now.Before(p.Closes)
}

// Attempt is one recorded callback attempt.
type Attempt struct {
	Time    time.Time
	By      string
	Outcome Outcome
}

// RecordAttempt records, in tx, a callback attempt on the contact with id by the console user
// by, and what it means for the contact: reached closes the callback as done; not safe closes
// it as do-not-contact and forgets her number, keeping only its mask; no answer changes nothing
// but the record. The attempt itself is an audit entry, written in the same transaction, so it
// is as tamper-evident as every other act on her case.
//
// An attempt is recorded only inside her window (InWindow): she said when a call is safe, and a
// call outside it is one she did not agree to.
//
// Returns EINVALID for an unknown outcome, ENOTFOUND for no such contact, and ECONFLICT when the
// contact is not an open callback or now is outside her window.
func (cb *Casebook) RecordAttempt(tx onestop.Tx, id uint64, by string, outcome Outcome, now time.Time) (*onestop.Contact, error) {
	return cb.recordAttempt(tx, id, by, outcome, "", now)
}

// RecordAttemptOverride is RecordAttempt outside her window, for a supervisor who says why: the
// reason goes to the audit log (AuditOverride, sealed) in the same transaction as the attempt.
// Whether by may override is the caller's to decide. Returns EINVALID without a reason.
func (cb *Casebook) RecordAttemptOverride(tx onestop.Tx, id uint64, by string, outcome Outcome, reason string, now time.Time) (*onestop.Contact, error) {
	if strings.TrimSpace(reason) == "" {
		return nil, onestop.Errorf(onestop.EINVALID, "an override needs a reason")
	}
	return cb.recordAttempt(tx, id, by, outcome, reason, now)
}

func (cb *Casebook) recordAttempt(tx onestop.Tx, id uint64, by string, outcome Outcome, override string, now time.Time) (*onestop.Contact, error) {
	if !outcome.Valid() {
		return nil, onestop.Errorf(onestop.EINVALID, "unknown outcome %q", outcome)
	}
	c, err := cb.Get(tx, id)
	if err != nil {
		return nil, err
	}
	if c.Status != onestop.Open || c.Plan == nil || !c.Plan.MayCall {
		return nil, onestop.Errorf(onestop.ECONFLICT, "contact %s has no open callback", c.Ref)
	}
	if !cb.mayCall(tx, c, now) {
		if override == "" {
			return nil, cb.notCallable(tx, c, now)
		}
		if err := cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditOverride, Subject: Subject(c), Detail: "callback", Note: override}); err != nil {
			return nil, err
		}
	}
	switch outcome {
	case Reached:
		c.Status = onestop.Done
	case NotSafe:
		// Not safe for this number, in every conversation of hers, open or to come.
		period := cb.DoNotContactFor
		if period <= 0 {
			period = DefaultDoNotContact
		}
		for _, n := range []string{c.Plan.Number, c.Caller} {
			if n != "" {
				if err := cb.MarkDoNotContact(tx, n, now.Add(period)); err != nil {
					return nil, err
				}
			}
		}
		c.Status = onestop.DoNotContact
		c.Plan.MayCall = false
		c.Plan.Number, c.Caller = "", ""
	}
	if outcome != NoAnswer {
		c.Updated = now
		if err := cb.Put(tx, c); err != nil {
			return nil, err
		}
	}
	return c, cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditCallback, Subject: Subject(c), Detail: string(outcome)})
}

// Attempts returns the callback attempts recorded on c, oldest first.
func (cb *Casebook) Attempts(ctx context.Context, c *onestop.Contact) ([]Attempt, error) {
	entries, err := cb.AuditLog(ctx, AuditFilter{Subject: Subject(c), Actions: []string{AuditCallback}, Limit: 1 << 20})
	if err != nil {
		return nil, err
	}
	out := make([]Attempt, 0, len(entries))
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		out = append(out, Attempt{Time: e.Time, By: e.Actor, Outcome: Outcome(e.Detail)})
	}
	return out, nil
}
