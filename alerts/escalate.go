package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

// Escalation: an urgent contact nobody acknowledged in time, or whose alert was not delivered,
// is raised once to the fallback list, audited, and kept on her follow-up for the console.

// followUp returns c's follow-up from tx, opening one when she has none yet, and the follow-up
// as it was encoded before (nil for a new one), so the caller writes it only when it changed.
func (s *Service) followUp(tx onestop.Tx, c *onestop.Contact, now time.Time) (*casebook.FollowUp, []byte, error) {
	f, err := s.cases.FollowUp(tx, c.ID)
	if err != nil {
		// A damaged follow-up must not cost her contact its record: it is started afresh.
		s.log.Error("urgent follow-up unreadable; starting it again", "contact", c.Ref, "err", err)
		f = nil
	}
	var was []byte
	if f != nil {
		was, _ = json.Marshal(f)
	} else {
		f = &casebook.FollowUp{ContactID: c.ID, Ref: c.Ref, Country: c.Country, Since: now}
		rota, err := s.staff.Rota(tx)
		if err != nil {
			// A damaged rota must not cost her contact its record either: nobody is known to
			// be on duty, so the alert goes to the fallback list, and the console says why.
			s.log.Error("duty rota unreadable; counting nobody on duty", "contact", c.Ref, "err", err)
			f.Problem(casebook.NobodyOnDuty, "duty rota unreadable", "")
			rota = nil
		}
		if len(staff.OnDuty(rota, now)) == 0 {
			f.NobodyOnDuty = true
			f.Problem(casebook.NobodyOnDuty, "", "")
			if list, err := s.staff.FallbackList(tx); err == nil && len(list) == 0 {
				f.Problem(casebook.NoFallback, "", "")
			}
		}
	}
	f.Area = c.Area
	return f, was, nil
}

// Escalate escalates, once, every urgent contact that is due: unacknowledged past
// EscalateAfter, or whose alert failed. Returns how many it escalated, and the store's errors.
func (s *Service) Escalate(ctx context.Context) (int, error) {
	after := s.after
	n := 0
	dueAt := func(tx onestop.Tx, now time.Time) ([]*casebook.FollowUp, error) {
		var due []*casebook.FollowUp
		err := s.cases.ForEachFollowUp(tx, func(f *casebook.FollowUp) error {
			if !f.Acknowledged() && f.Escalated.IsZero() && (f.Failed || now.Sub(f.Since) >= after) {
				due = append(due, f)
			}
			return nil
		})
		return due, err
	}
	// Looked for in a read first, so a quiet minute costs no write and no fsync.
	var pending bool
	if err := s.db.View(ctx, func(tx onestop.Tx) error {
		due, err := dueAt(tx, s.db.Now())
		pending = len(due) > 0
		return err
	}); err != nil || !pending {
		return 0, err
	}
	err := s.db.Update(ctx, func(tx onestop.Tx) error {
		n = 0
		now := s.db.Now()
		due, err := dueAt(tx, now)
		if err != nil {
			return err
		}
		for _, f := range due {
			why := "not acknowledged within " + after.String()
			if f.Failed {
				why = "an alert did not reach anyone"
			}
			if err := s.escalateOne(tx, f, now, why); err != nil {
				if errors.Is(err, onestop.ErrStoreClosed) {
					return err
				}
				// One contact's damaged record must not hold back every other escalation.
				s.log.Error("urgent contact not escalated", "contact", f.Ref, "err", err)
				continue
			}
			n++
		}
		return nil
	})
	return n, err
}

// escalateOne queues f's escalation to the fallback list and, for a contact with no district,
// the alerts to her country's fallback officials (under the same keys as when she leaves the
// conversation, so they go once); it audits the escalation and writes f.
func (s *Service) escalateOne(tx onestop.Tx, f *casebook.FollowUp, now time.Time, why string) error {
	f.Escalated, f.EscalatedWhy = now, why
	c, err := s.cases.Get(tx, f.ContactID)
	if err != nil && onestop.ErrorCode(err) != onestop.ENOTFOUND {
		return err
	}
	d := f.Area
	if d == "" {
		d = f.Country
	}
	msg := &outbox.Message{
		Key: "escalate:" + f.Ref, Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseEscalation,
		Role: outbox.RoleFallback, Template: TemplateEscalation, Args: []string{f.Ref, d},
	}
	if _, err := s.queueFor(tx, f, msg); err != nil {
		return err
	}
	if list, err := s.staff.FallbackList(tx); err != nil {
		// Unreadable, it is as good as empty: said on her follow-up, not only in the log.
		s.log.Error("fallback list unreadable", "contact", f.Ref, "err", err)
		f.Problem(casebook.EscalatedNoFallback, "fallback list unreadable", "")
	} else if len(list) == 0 {
		f.Problem(casebook.EscalatedNoFallback, "", "")
	}
	if c != nil && c.Area == "" {
		for _, om := range s.officialAlerts(tx, c, c.Country) {
			if _, err := s.queueFor(tx, f, om); err != nil {
				return err
			}
			f.CountryOfficials = true
		}
	}
	s.log.Warn("urgent contact escalated", "contact", f.Ref, "why", why)
	if err := s.cases.Append(tx, &casebook.AuditEntry{Time: now, Actor: "system", Action: casebook.AuditUrgentEscalate,
		Subject: "contact:" + f.Ref, Detail: why}); err != nil {
		return err
	}
	return s.cases.PutFollowUp(tx, f)
}

// OnDead is the outbox's hook, run inside its write that makes a message dead or records it
// failed or undelivered. For an urgent contact's alert it writes what happened on her follow-up
// and, for an alert that will not be sent again, escalates her at once rather than at the next
// sweep. Any other message is left alone. Returns the store's errors only.
func (s *Service) OnDead(tx onestop.Tx, msg *outbox.Message) error {
	if msg.Cause != outbox.CauseAlert && msg.Cause != outbox.CauseEscalation {
		return nil
	}
	f, err := s.followUpOf(tx, msg)
	if err != nil || f == nil {
		return err
	}
	final := msg.State == outbox.Dead || msg.NextAttempt.IsZero()
	code := casebook.Retrying
	if final {
		code = casebook.NotDelivered
		f.Failed = true
	}
	f.Problem(code, fmt.Sprintf("%s, %s", msg.Cause, recipientOf(msg)), msg.Error)
	s.log.Warn("urgent alert "+string(code), "contact", f.Ref, "key", msg.Key, "audience", msg.Audience)
	if final && msg.Cause == outbox.CauseAlert && f.Escalated.IsZero() && !f.Acknowledged() {
		return s.escalateOne(tx, f, s.db.Now(), "an alert did not reach anyone")
	}
	return s.cases.PutFollowUp(tx, f)
}

// OnSent records on her follow-up that a provider took one of her alerts, and to whom it went,
// so Today shows that it reached someone and no longer lists that message's failed tries.
func (s *Service) OnSent(tx onestop.Tx, msg *outbox.Message) error {
	if msg.Cause != outbox.CauseAlert && msg.Cause != outbox.CauseEscalation {
		return nil
	}
	f, err := s.followUpOf(tx, msg)
	if err != nil || f == nil {
		return err
	}
	f.Reached(fmt.Sprintf("%s, %s", msg.Cause, recipientOf(msg)))
	s.log.Info("urgent alert sent", "contact", f.Ref, "key", msg.Key, "audience", msg.Audience)
	return s.cases.PutFollowUp(tx, f)
}

// OnReassigned records on her follow-up that an alert waiting for someone whose shift has ended
// went to whoever is on duty now instead, so its failed tries are no longer listed.
func (s *Service) OnReassigned(tx onestop.Tx, msg *outbox.Message) error {
	if msg.Cause != outbox.CauseAlert && msg.Cause != outbox.CauseEscalation {
		return nil
	}
	f, err := s.followUpOf(tx, msg)
	if err != nil || f == nil {
		return err
	}
	f.PassedOn(fmt.Sprintf("%s, %s", msg.Cause, recipientOf(msg)))
	return s.cases.PutFollowUp(tx, f)
}

// followUpOf finds the follow-up of the contact an alert or escalation is about, from its
// template's arguments or its key; nil when it is about none.
func (s *Service) followUpOf(tx onestop.Tx, msg *outbox.Message) (*casebook.FollowUp, error) {
	ref := ""
	if (msg.Template == TemplateAlert || msg.Template == TemplateEscalation) && len(msg.Args) > 0 {
		ref = msg.Args[0]
	} else if parts := strings.SplitN(msg.Key, ":", 3); len(parts) >= 2 && (parts[0] == "alert" || parts[0] == "escalate") {
		ref = parts[1]
	}
	id, ok := s.cases.ContactID(tx, ref)
	if !ok {
		return nil, nil
	}
	return s.cases.FollowUp(tx, id)
}

// EscalateEvery runs Escalate every interval until ctx ends or the store is closed.
func (s *Service) EscalateEvery(ctx context.Context, interval time.Duration) {
	store.Every(ctx, interval, store.Once(s.db, "escalation", interval, s.Escalate), func(_ int, err error) {
		if err != nil {
			s.log.Error("escalation sweep failed", "err", err)
		}
	})
}

// WarnNoRota says in the log, at start, when nobody is on the rota or the fallback list.
func (s *Service) WarnNoRota(ctx context.Context) {
	s.db.View(ctx, func(tx onestop.Tx) error {
		rota, err := s.staff.Rota(tx)
		if err != nil {
			s.log.Error("duty rota unreadable: urgent alerts go to the fallback list", "err", err)
			return nil
		}
		list, _ := s.staff.FallbackList(tx)
		if len(rota) == 0 {
			s.log.Warn("no duty rota set: urgent alerts go to the fallback list; set one with 'onestop duty set'", "fallback", len(list))
		} else if len(staff.OnDuty(rota, s.db.Now())) == 0 {
			s.log.Warn("nobody on duty now: urgent alerts go to the fallback list", "fallback", len(list))
		}
		if len(list) == 0 {
			s.log.Warn("no fallback list set: with nobody on duty, urgent alerts wait; add one with 'onestop duty fallback add'")
		}
		return nil
	})
}
