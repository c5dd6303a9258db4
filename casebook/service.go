package casebook

import (
	"context"
	"strings"

	"github.com/onestop-helpline/onestop"
)

// The acts staff do on a case, each whole in one write or read of its own, for the console and
// the command line, which then never hold a transaction themselves. Each act that is audited
// writes its entry in the same write as the act, so neither is ever on file without the other.
// Who may do what (EFORBIDDEN) is the caller's to decide: the casebook knows no roles.

// MaxNote is the most bytes a case note may have.
const MaxNote = 4000

// MaxReferralNote is the most bytes a referral move's note may have.
const MaxReferralNote = 1000

// Audit appends e to the audit log in a write of its own: for an act that is nothing but its
// entry, such as a view of a case or an export, written before what was seen is sent. Returns
// EINVALID without an actor or an action.
func (cb *Casebook) Audit(ctx context.Context, e *AuditEntry) error {
	return cb.db.Update(ctx, func(tx onestop.Tx) error { return cb.Append(tx, e) })
}

// AddNote writes a note by the console user by on the case subject names ("contact:<ref>",
// see Subject): the note is an audit entry (AuditCaseNote), sealed like every note. Returns
// EINVALID for a note that is empty or longer than MaxNote bytes, or without by, and ENOTFOUND
// when subject names no contact.
func (cb *Casebook) AddNote(ctx context.Context, subject, by, note string) error {
	if strings.TrimSpace(note) == "" || len(note) > MaxNote {
		return onestop.Errorf(onestop.EINVALID, "a note has 1 to %d bytes", MaxNote)
	}
	ref, ok := strings.CutPrefix(subject, "contact:")
	if !ok {
		return onestop.Errorf(onestop.ENOTFOUND, "no case %s", subject)
	}
	return cb.db.Update(ctx, func(tx onestop.Tx) error {
		if _, ok := cb.ContactID(tx, ref); !ok {
			return onestop.Errorf(onestop.ENOTFOUND, "no case %s", subject)
		}
		return cb.Append(tx, &AuditEntry{Time: cb.db.Now(), Actor: by, Action: AuditCaseNote, Subject: subject, Note: note})
	})
}

// KeptNumber is the number a reveal of c shows: the one her plan gives, else the one she called
// from; "" when none is kept (a number is forgotten when she said a call is not safe).
func KeptNumber(c *onestop.Contact) string {
	if c.Plan != nil && c.Plan.Number != "" {
		return c.Plan.Number
	}
	return c.Caller
}

// Reveal returns the whole number kept for the contact with id (KeptNumber) to the console user
// by, who gave reason, and audits it (AuditCaseReveal, the reason sealed) in the same write.
// Outside her window (InWindow) only an override, a supervisor's reason of her own, lets it
// through; the override is audited (AuditOverride) in that write too. Whether by may override
// is the caller's to decide.
//
// Returns EINVALID without a reason or without by, ENOTFOUND for no such contact, and ECONFLICT
// when no number is kept for her or now is outside her window without an override.
func (cb *Casebook) Reveal(ctx context.Context, id uint64, by, reason, override string) (string, error) {
	if strings.TrimSpace(reason) == "" {
		return "", onestop.Errorf(onestop.EINVALID, "a reveal needs a reason")
	}
	override = strings.TrimSpace(override)
	var number string
	err := cb.db.Update(ctx, func(tx onestop.Tx) error {
		number = ""
		c, err := cb.Get(tx, id)
		if err != nil {
			return err
		}
		n := KeptNumber(c)
		if n == "" {
			return onestop.Errorf(onestop.ECONFLICT, "no number is kept for this contact")
		}
		now := cb.db.Now()
		if !cb.mayCall(tx, c, now) {
			if override == "" {
				return cb.notCallable(tx, c, now)
			}
			if err := cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditOverride, Subject: Subject(c), Detail: "reveal", Note: override}); err != nil {
				return err
			}
		}
		if err := cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditCaseReveal, Subject: Subject(c), Note: reason}); err != nil {
			return err
		}
		number = n
		return nil
	})
	if err != nil {
		return "", err
	}
	return number, nil
}

// RecordCallback records a callback attempt on the contact with id by the console user by, in
// one write with its audit entry (see RecordAttempt). With an override, a supervisor's reason,
// it is recorded outside her window too, the override audited in the same write
// (RecordAttemptOverride); whether by may override is the caller's to decide.
//
// Returns EINVALID for an unknown outcome, ENOTFOUND for no such contact, and ECONFLICT when the
// contact is not an open callback or now is outside her window without an override.
func (cb *Casebook) RecordCallback(ctx context.Context, id uint64, by string, outcome Outcome, override string) (*onestop.Contact, error) {
	var c *onestop.Contact
	err := cb.db.Update(ctx, func(tx onestop.Tx) error {
		var err error
		if now := cb.db.Now(); override != "" {
			c, err = cb.RecordAttemptOverride(tx, id, by, outcome, override, now)
		} else {
			c, err = cb.RecordAttempt(tx, id, by, outcome, now)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return c, nil
}

// AcknowledgeUrgent records that the console user by has taken on the urgent contact with id,
// so it is not escalated, and audits it, in one write (see Acknowledge). Acknowledging again
// changes nothing. Returns ENOTFOUND for a contact that is not urgent or does not exist, and
// EINVALID without by.
func (cb *Casebook) AcknowledgeUrgent(ctx context.Context, id uint64, by string) (*FollowUp, error) {
	if by == "" {
		return nil, onestop.Errorf(onestop.EINVALID, "an acknowledgement needs who gave it")
	}
	var f *FollowUp
	err := cb.db.Update(ctx, func(tx onestop.Tx) error {
		var err error
		f, err = cb.Acknowledge(tx, id, by, cb.db.Now())
		return err
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// FollowUpOf returns the follow-up of the contact with id, or nil if it has none (it was never
// urgent). It returns ctx's error once ctx is done.
func (cb *Casebook) FollowUpOf(ctx context.Context, id uint64) (f *FollowUp, err error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		f, err = cb.FollowUp(tx, id)
		return err
	})
	return f, err
}

// MoveReferral moves the referral with id to status to (Advance) for the console user by, with
// an optional note, and audits it (AuditReferral) in the same write. A centre is given only
// with a move to assigned, and one is needed then unless the referral already has one; whether
// the centre is in the directory is the caller's to check.
//
// Returns ENOTFOUND for no such referral, EINVALID for an unknown status, a centre given or
// missing against those rules, or a note longer than MaxReferralNote bytes, and ECONFLICT for a move the referral's
// status does not allow (a closed referral stays closed).
func (cb *Casebook) MoveReferral(ctx context.Context, id uint64, to onestop.ReferralStatus, centre, by, note string) (*onestop.Referral, error) {
	switch to {
	case onestop.Received, onestop.Assigned, onestop.Contacted, onestop.Closed, onestop.Declined:
	default:
		return nil, onestop.Errorf(onestop.EINVALID, "unknown status %q", to)
	}
	if len(note) > MaxReferralNote {
		return nil, onestop.Errorf(onestop.EINVALID, "a note has at most %d bytes", MaxReferralNote)
	}
	var moved *onestop.Referral
	err := cb.db.Update(ctx, func(tx onestop.Tx) error {
		r, err := cb.GetReferral(tx, id)
		if err != nil {
			return err
		}
		// The referral's own rules decide what it may become (a closed one stays closed); the
		// centre changes only with a move that allows it.
		if centre != "" && to != onestop.Assigned {
			return onestop.Errorf(onestop.EINVALID, "a centre is chosen only when the referral is assigned")
		}
		if to == onestop.Assigned && centre == "" && r.Centre == "" {
			return onestop.Errorf(onestop.EINVALID, "choose the centre it is assigned to")
		}
		now := cb.db.Now()
		if err := Advance(r, to, by, note, now); err != nil {
			return err
		}
		if centre != "" {
			r.Centre = centre
		}
		if err := cb.PutReferral(tx, r); err != nil {
			return err
		}
		moved = r
		return cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditReferral, Subject: "referral:" + r.Ref, Detail: string(to) + " " + r.Centre, Note: note})
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}
