package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

// Escalation: an urgent contact nobody acknowledged in time, or whose alert was not delivered,
// is raised once to the fallback list, audited, and kept on her follow-up for the console.

// escalateAfter is how long an urgent contact may wait for an acknowledgement.
func (m *Main) escalateAfter() time.Duration {
	if m.smsConfig.EscalateAfter > 0 {
		return m.smsConfig.EscalateAfter
	}
	return defaultEscalateAfter
}

// followUp returns c's follow-up from tx, opening one when she has none yet.
func (m *Main) followUp(tx *bbolt.Tx, c *onestop.Contact, now time.Time) (*casebook.FollowUp, error) {
	f, err := m.Cases.FollowUp(tx, c.ID)
	if err != nil {
		// A damaged follow-up must not cost her contact its record: it is started afresh.
		m.Log.Error("urgent follow-up unreadable; starting it again", "contact", c.Ref, "err", err)
		f = nil
	}
	if f == nil {
		f = &casebook.FollowUp{ContactID: c.ID, Ref: c.Ref, Country: c.Country, Since: now}
		rota, err := getRota(tx, m.Box)
		if err != nil {
			return nil, err
		}
		if len(onDuty(rota, now)) == 0 {
			f.NobodyOnDuty = true
			f.Problem(casebook.NobodyOnDuty, "", "")
			if list, err := getFallback(tx, m.Box); err == nil && len(list) == 0 {
				f.Problem(casebook.NoFallback, "", "")
			}
		}
	}
	f.Area = c.Area
	return f, nil
}

// escalate escalates, once, every urgent contact that is due: unacknowledged past escalateAfter,
// or whose alert failed. Returns how many it escalated.
func (m *Main) escalate(ctx context.Context) (int, error) {
	ob := m.outbox(m.smsConfig)
	after := m.escalateAfter()
	n := 0
	dueAt := func(tx *bbolt.Tx, now time.Time) ([]*casebook.FollowUp, error) {
		var due []*casebook.FollowUp
		err := m.Cases.ForEachFollowUp(tx, func(f *casebook.FollowUp) error {
			if !f.Acknowledged() && f.Escalated.IsZero() && (f.Failed || now.Sub(f.Since) >= after) {
				due = append(due, f)
			}
			return nil
		})
		return due, err
	}
	// Looked for in a read first, so a quiet minute costs no write and no fsync.
	var pending bool
	if err := m.DB.View(func(tx *bbolt.Tx) error {
		due, err := dueAt(tx, m.DB.Now())
		pending = len(due) > 0
		return err
	}); err != nil || !pending {
		return 0, err
	}
	err := m.DB.Update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		now := m.DB.Now()
		due, err := dueAt(tx, now)
		if err != nil {
			return err
		}
		for _, f := range due {
			why := "not acknowledged within " + after.String()
			if f.Failed {
				why = "an alert did not reach anyone"
			}
			if err := m.escalateOne(tx, ob, f, now, why); err != nil {
				return err
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
func (m *Main) escalateOne(tx *bbolt.Tx, ob *outbox.Outbox, f *casebook.FollowUp, now time.Time, why string) error {
	f.Escalated, f.EscalatedWhy = now, why
	c, err := m.Cases.Get(tx, f.ContactID)
	if err != nil && onestop.ErrorCode(err) != onestop.ENOTFOUND {
		return err
	}
	d := f.Area
	if d == "" {
		d = f.Country
	}
	msg := &outbox.Message{
		Key: "escalate:" + f.Ref, Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseEscalation,
		Role: roleFallback, Template: tmplEscalation, Args: []string{f.Ref, d},
	}
	if _, err := m.queueFor(tx, ob, f, msg); err != nil {
		return err
	}
	if list, err := getFallback(tx, m.Box); err != nil {
		return err
	} else if len(list) == 0 {
		f.Problem(casebook.EscalatedNoFallback, "", "")
	}
	if c != nil && c.Area == "" {
		for _, om := range m.officialAlerts(tx, c, c.Country) {
			if _, err := m.queueFor(tx, ob, f, om); err != nil {
				return err
			}
			f.CountryOfficials = true
		}
	}
	m.Log.Warn("urgent contact escalated", "contact", f.Ref, "why", why)
	if err := m.Cases.Append(tx, &casebook.AuditEntry{Time: now, Actor: "system", Action: casebook.AuditUrgentEscalate,
		Subject: "contact:" + f.Ref, Detail: why}); err != nil {
		return err
	}
	return m.Cases.PutFollowUp(tx, f)
}

// onDead runs inside the outbox's write that makes a message dead or records it failed or
// undelivered. For an urgent contact's alert it writes what happened on her follow-up and, for
// an alert that will not be sent again, escalates her at once rather than at the next sweep.
func (m *Main) onDead(tx *bbolt.Tx, msg *outbox.Message) error {
	if msg.Cause != outbox.CauseAlert && msg.Cause != outbox.CauseEscalation {
		return nil
	}
	ref := ""
	if (msg.Template == tmplAlert || msg.Template == tmplEscalation) && len(msg.Args) > 0 {
		ref = msg.Args[0]
	} else if parts := strings.SplitN(msg.Key, ":", 3); len(parts) >= 2 && (parts[0] == "alert" || parts[0] == "escalate") {
		ref = parts[1]
	}
	id, ok := casebook.RefID(ref)
	if !ok {
		return nil
	}
	f, err := m.Cases.FollowUp(tx, id)
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
	m.Log.Warn("urgent alert "+string(code), "contact", f.Ref, "key", msg.Key, "audience", msg.Audience)
	if final && msg.Cause == outbox.CauseAlert && f.Escalated.IsZero() && !f.Acknowledged() {
		return m.escalateOne(tx, m.outbox(m.smsConfig), f, m.DB.Now(), "an alert did not reach anyone")
	}
	return m.Cases.PutFollowUp(tx, f)
}

// escalateEvery runs escalate every interval until ctx ends or the store is closed.
func (m *Main) escalateEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.escalate(ctx); errors.Is(err, store.ErrClosed) || errors.Is(err, bbolt.ErrDatabaseNotOpen) {
			return
		} else if err != nil && ctx.Err() == nil {
			m.Log.Error("escalation sweep failed", "err", err)
		}
	}
}

// warnNoRota says in the log, at start, when nobody is on the rota or the fallback list.
func (m *Main) warnNoRota() {
	m.DB.View(func(tx *bbolt.Tx) error {
		rota, err := getRota(tx, m.Box)
		if err != nil {
			m.Log.Error("duty rota unreadable: urgent alerts go to the fallback list", "err", err)
			return nil
		}
		list, _ := getFallback(tx, m.Box)
		if len(rota) == 0 {
			m.Log.Warn("no duty rota set: urgent alerts go to the fallback list; set one with 'onestop duty set'", "fallback", len(list))
		} else if len(onDuty(rota, m.DB.Now())) == 0 {
			m.Log.Warn("nobody on duty now: urgent alerts go to the fallback list", "fallback", len(list))
		}
		if len(list) == 0 {
			m.Log.Warn("no fallback list set: with nobody on duty, urgent alerts wait; add one with 'onestop duty fallback add'")
		}
		return nil
	})
}
