// Package alerts owns the policy that turns a recorded change of a contact into messages to
// queue: the neutral alert to the counsellor on duty when she becomes urgent, to her district's
// officials (or her country's fallback officials when she leaves with no district), the
// callback task and the note to the role on duty when she agrees to a call; and escalation: an
// urgent contact nobody acknowledged in time, or whose alert reached nobody, is raised once to
// the fallback list. It also tells the outbox who holds a role when a message is sent (Resolve)
// and what a role-addressed message says (Render).
//
// It only queues, in the write that recorded the change, under idempotency keys: it never
// sends, never writes to a survivor (a dropped or ended contact is not consent), and never puts
// her number or her words in an alert. It must never import flows, gateway, console or cmd.
package alerts

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
)

// The templates a role-addressed message may name.
const (
	TemplateAlert      = "alert"      // args: ref, district
	TemplateCallback   = "callback"   // args: ref, when her window closes, her time (15:04)
	TemplateEscalation = "escalation" // args: ref, district
)

// DefaultEscalateAfter is how long an urgent contact may wait for an acknowledgement when the
// configuration says nothing.
const DefaultEscalateAfter = 10 * time.Minute

// Config is what the alerts service works on.
type Config struct {
	DB    onestop.Store
	Box   *seal.Box
	Cases *casebook.Casebook
	Staff *staff.Service
	Log   *slog.Logger
	// EscalateAfter is how long an urgent contact may go unacknowledged before it is escalated
	// to the fallback list (0: DefaultEscalateAfter).
	EscalateAfter time.Duration
}

// Service applies the alert policy. Build it, build the outbox with its Resolve, Render and
// OnDead, then give it the outbox with UseOutbox before the first contact is recorded.
type Service struct {
	db    onestop.Store
	box   *seal.Box
	cases *casebook.Casebook
	staff *staff.Service
	log   *slog.Logger
	after time.Duration
	ob    *outbox.Outbox
}

// New returns the alerts service for c.
func New(c Config) *Service {
	if c.EscalateAfter <= 0 {
		c.EscalateAfter = DefaultEscalateAfter
	}
	if c.Log == nil {
		c.Log = slog.Default()
	}
	return &Service{db: c.DB, box: c.Box, cases: c.Cases, staff: c.Staff, log: c.Log, after: c.EscalateAfter}
}

// UseOutbox sets the outbox the service queues to. The outbox is built with the service's own
// hooks, so it comes after New.
func (s *Service) UseOutbox(ob *outbox.Outbox) { s.ob = ob }

// EscalateAfter is how long an urgent contact may wait for an acknowledgement.
func (s *Service) EscalateAfter() time.Duration { return s.after }

// Recorded runs inside the write that records a contact, and may run more than once for one
// write: it only writes to tx, under idempotency keys. When a contact becomes urgent it opens
// her follow-up and queues a neutral alert to the role on duty, resolved to whoever is on duty
// when it is sent, and to each official of her district (once her district is known, or the
// country's fallback officials once she leaves with none); when she confirms a plan that allows
// a call, it records a callback task and queues a note to the role on duty for when her window
// opens. Nothing is queued to her for a contact that was dropped or that she ended: that is not
// consent, and an alert already queued stays as it was. An alert the outbox will not take is
// written on her follow-up, so it shows on the console and is escalated. Returns the store's
// errors only.
func (s *Service) Recorded(tx onestop.Tx, before, after *onestop.Contact) error {
	if after == nil || after.ID == 0 {
		return nil
	}
	now := s.db.Now()
	var fu *casebook.FollowUp
	var was []byte
	if after.Urgency == onestop.Urgent {
		// Written again only when this hop changed it: most hops of an urgent call change nothing.
		f, w, err := s.followUp(tx, after, now)
		if err != nil {
			return err
		}
		fu, was = f, w
	}
	for _, msg := range s.alertsFor(tx, before, after) {
		if _, err := s.queueFor(tx, fu, msg); err != nil {
			return err
		}
	}
	if (before == nil || before.Plan == nil) && after.Plan != nil && after.Plan.MayCall {
		task := casebook.CallbackTask{ContactID: after.ID, Ref: after.Ref, Due: after.Plan.Opens, Closes: after.Plan.Closes,
			Window: after.Plan.Window, TZ: after.Plan.TZ, Created: now}
		msg := callbackNote(after.ID, after.Ref, after.Plan)
		if ok, err := s.queueFor(tx, fu, msg); err != nil {
			return err
		} else if ok {
			task.OutboxID = msg.ID
		}
		if err := s.cases.PutCallbackTask(tx, &task); err != nil {
			return err
		}
	}
	if fu != nil {
		if now, err := json.Marshal(fu); err != nil || !bytes.Equal(now, was) {
			return s.cases.PutFollowUp(tx, fu)
		}
	}
	return nil
}

// district is the contact's district code, or its country when she chose none.
func district(c *onestop.Contact) string {
	if c.Area != "" {
		return c.Area
	}
	return c.Country
}

// alertsFor returns the alerts a change from before to after calls for: to the role on duty when
// she becomes urgent; to her district's officials when it becomes known while she is urgent; to
// her country's fallback officials when she leaves the conversation urgent with no district.
func (s *Service) alertsFor(tx onestop.Tx, before, after *onestop.Contact) []*outbox.Message {
	var out []*outbox.Message
	becameUrgent := after.Urgency == onestop.Urgent && (before == nil || before.Urgency != onestop.Urgent)
	areaKnown := after.Area != "" && (before == nil || before.Area != after.Area || becameUrgent)
	if becameUrgent {
		out = append(out, &outbox.Message{
			Key: "alert:" + after.Ref + ":duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
			Role: outbox.RoleDuty, Template: TemplateAlert, Args: []string{after.Ref, district(after)},
		})
	}
	if after.Urgency == onestop.Urgent && areaKnown {
		out = append(out, s.officialAlerts(tx, after, after.Area)...)
	}
	leftOpen := after.Status != onestop.Open && (before == nil || before.Status == onestop.Open)
	if after.Urgency == onestop.Urgent && after.Area == "" && leftOpen {
		out = append(out, s.officialAlerts(tx, after, after.Country)...)
	}
	return out
}

// officialAlerts are the alerts to the officials listed for area: a district, or a country code
// for the country's fallback officials.
func (s *Service) officialAlerts(tx onestop.Tx, c *onestop.Contact, area string) []*outbox.Message {
	var out []*outbox.Message
	if area == "" {
		return nil
	}
	s.staff.ForEachOfficial(tx, func(o *staff.Official) {
		if o.District != area {
			return
		}
		out = append(out, &outbox.Message{
			Key:  "alert:" + c.Ref + ":official:" + o.District + ":" + hex.EncodeToString(s.box.Hash(o.Number)[:8]),
			Kind: outbox.SMS, Audience: outbox.Official, Cause: outbox.CauseAlert,
			To: o.Number, Lang: o.Lang, Text: locales.Alert(o.Lang, c.Ref, district(c)),
		})
	})
	return out
}

// callbackNote is the note to the role on duty for when her window opens. It names her contact,
// so that the outbox checks again, when it sends, that the callback is still owed: her window
// open, her plan unchanged, her number not marked "do not contact".
func callbackNote(contactID uint64, ref string, p *onestop.SafeContactPlan) *outbox.Message {
	return &outbox.Message{
		Key: "callback:" + ref + ":duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseCallback,
		ContactID: contactID,
		Role:      outbox.RoleDuty, Template: TemplateCallback, Args: []string{ref, herClosing(p)}, NextAttempt: p.Opens,
	}
}

// herClosing is when her window closes, on her clock.
func herClosing(p *onestop.SafeContactPlan) string {
	closes := p.Closes
	if loc, err := onestop.LoadZone(p.TZ); err == nil && p.TZ != "" {
		closes = closes.In(loc)
	}
	return closes.Format("15:04")
}

// queueFor queues msg in tx. A message the outbox refuses (a number it will not take, a
// malformed message) must not cost her contact its record, nor be only a log line: it is
// written on the follow-up fu, when there is one. Reports whether msg was queued.
func (s *Service) queueFor(tx onestop.Tx, fu *casebook.FollowUp, msg *outbox.Message) (bool, error) {
	_, err := s.ob.Enqueue(tx, msg)
	if code := onestop.ErrorCode(err); code == onestop.EFORBIDDEN || code == onestop.EINVALID {
		ref := ""
		if len(msg.Args) > 0 {
			ref = msg.Args[0]
		}
		s.log.Warn("alert not queued", "contact", ref, "key", msg.Key, "audience", msg.Audience, "role", msg.Role, "err", onestop.ErrorMessage(err))
		if fu != nil {
			fu.Failed = true
			fu.Problem(casebook.NotQueued, fmt.Sprintf("%s, %s", msg.Cause, recipientOf(msg)), onestop.ErrorMessage(err))
		}
		return false, nil
	}
	return err == nil, err
}

// recipientOf names whom msg is for, as staff may read it: a role, or the masked number.
func recipientOf(msg *outbox.Message) string {
	if msg.Role != "" {
		return "role " + msg.Role
	}
	if msg.Masked != "" {
		return string(msg.Audience) + " " + msg.Masked
	}
	if n, err := phonenum.Parse(msg.To, ""); err == nil {
		return string(msg.Audience) + " " + n.Mask()
	}
	return string(msg.Audience)
}
