package casebook

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// An urgent contact must reach a person. Its follow-up says whether it has: who acknowledged it,
// whether and why it was escalated, and everything that went wrong on the way (an alert not
// queued, not delivered, nobody on duty), so that none of it is only a log line. It is a record
// of its own, beside the contact, keyed by the contact's ID, so the contact's encoding stays as
// it is. It holds no number and nothing she typed.

// Audit actions on urgent contacts.
const (
	AuditUrgentAck      = "urgent.ack"
	AuditUrgentEscalate = "urgent.escalate"
)

// FollowUp is what became of one urgent contact's alerts.
type FollowUp struct {
	ContactID uint64    `json:"contactId"`
	Ref       string    `json:"ref"`
	Country   string    `json:"country,omitempty"`
	Area      string    `json:"area,omitempty"`
	Since     time.Time `json:"since"` // when the contact became urgent
	// NobodyOnDuty is set when nobody was on the rota at Since: the alert goes to the fallback list.
	NobodyOnDuty bool `json:"nobodyOnDuty,omitempty"`
	// Failed is set when an alert for her died, was reported undelivered or was never queued.
	Failed bool `json:"failed,omitempty"`
	// Problems are what went wrong, oldest first.
	Problems []Problem `json:"problems,omitempty"`
	// Sent names whom her alerts and escalations reached (a role and a masked number), oldest
	// first: a provider took each of them.
	Sent []string `json:"sent,omitempty"`

	Acked   time.Time `json:"acked,omitzero"`
	AckedBy string    `json:"ackedBy,omitempty"`

	Escalated    time.Time `json:"escalated,omitzero"`
	EscalatedWhy string    `json:"escalatedWhy,omitempty"`
	// CountryOfficials is set once the country's fallback officials were alerted, for a contact
	// with no district.
	CountryOfficials bool `json:"countryOfficials,omitempty"`
}

// Problem is one thing that went wrong with an urgent contact's alerts. It holds no whole
// number: What names a role or a masked number, Detail is the outbox's or the provider's reason.
type Problem struct {
	Code   ProblemCode `json:"code"`
	What   string      `json:"what,omitempty"`
	Detail string      `json:"detail,omitempty"`
}

// ProblemCode says what kind of thing went wrong; the console words each in the staff's language.
type ProblemCode string

// The problems an urgent contact's alerts can meet.
const (
	NobodyOnDuty        ProblemCode = "nobody-on-duty"        // the alert goes to the fallback list
	NoFallback          ProblemCode = "no-fallback"           // and nobody is on that list either
	NotQueued           ProblemCode = "not-queued"            // the outbox refused the message
	NotDelivered        ProblemCode = "not-delivered"         // dead, or reported undelivered
	Retrying            ProblemCode = "retrying"              // a send failed and will be tried again
	EscalatedNoFallback ProblemCode = "escalated-no-fallback" // escalated with nobody to escalate to
	Unreadable          ProblemCode = "unreadable"            // her follow-up record could not be read
)

var problemWords = map[ProblemCode]string{
	NobodyOnDuty:        "nobody on duty: the alert goes to the fallback list",
	NoFallback:          "nobody on the fallback list either: the alert waits until someone is on duty or on the list",
	NotQueued:           "not queued",
	NotDelivered:        "not delivered",
	Retrying:            "failed, to be tried again",
	EscalatedNoFallback: "escalated with nobody on the fallback list: add one with 'onestop duty fallback add'",
	Unreadable:          "record unreadable: look at the case and the outbox",
}

// String says the problem in English, for the log and the command line.
func (p Problem) String() string {
	s := problemWords[p.Code]
	if s == "" {
		s = string(p.Code)
	}
	if p.What != "" {
		s = p.What + ": " + s
	}
	if p.Detail != "" {
		s += ": " + p.Detail
	}
	return s
}

// Problem records what went wrong, once.
func (f *FollowUp) Problem(code ProblemCode, what, detail string) {
	p := Problem{Code: code, What: what, Detail: detail}
	for i, q := range f.Problems {
		if q == p {
			return
		}
		if code == Retrying && q.Code == Retrying && q.What == what {
			// The latest failure of a message stands for all of them: an outage of hours
			// must not grow her record by a line a minute.
			f.Problems[i] = p
			return
		}
	}
	if len(f.Problems) >= maxProblems {
		f.Problems = append(f.Problems[:0], f.Problems[len(f.Problems)-maxProblems+1:]...)
	}
	f.Problems = append(f.Problems, p)
}

// maxProblems bounds the problems a follow-up keeps, the latest ones.
const maxProblems = 20

// Reached records that a provider took the message described by what (as a Problem's What
// names it). A failed try of that same message is over, so it is no longer listed as a problem.
func (f *FollowUp) Reached(what string) {
	f.PassedOn(what)
	for _, w := range f.Sent {
		if w == what {
			return
		}
	}
	f.Sent = append(f.Sent, what)
}

// PassedOn records that the message described by what went, before it was sent, to whoever
// took over the role from its recipient: its failed tries are no longer a problem of hers.
func (f *FollowUp) PassedOn(what string) {
	kept := f.Problems[:0]
	for _, p := range f.Problems {
		if !(p.Code == Retrying && p.What == what) {
			kept = append(kept, p)
		}
	}
	f.Problems = kept
}

// Acknowledged reports whether a person has taken the contact on.
func (f *FollowUp) Acknowledged() bool { return !f.Acked.IsZero() }

// FollowUp returns the follow-up of the contact with id from tx, or nil if it has none.
func (cb *Casebook) FollowUp(tx onestop.Tx, id uint64) (*FollowUp, error) {
	v := tx.Bucket(store.Urgent).Get(store.U64(id))
	if v == nil {
		return nil, nil
	}
	var f FollowUp
	if err := json.Unmarshal(v, &f); err != nil {
		return nil, fmt.Errorf("casebook: follow-up %d: %w", id, err)
	}
	return &f, nil
}

// PutFollowUp writes f in tx.
func (cb *Casebook) PutFollowUp(tx onestop.Tx, f *FollowUp) error {
	if f.ContactID == 0 {
		return onestop.Errorf(onestop.EINVALID, "a follow-up needs its contact")
	}
	v, err := json.Marshal(f)
	if err != nil {
		return err
	}
	return tx.Bucket(store.Urgent).Put(store.U64(f.ContactID), v)
}

// ForEachFollowUp calls fn with every follow-up in tx, oldest contact first, until fn returns an
// error. A record that cannot be read is an error, not skipped: an urgent contact must not vanish
// from view.
func (cb *Casebook) ForEachFollowUp(tx onestop.Tx, fn func(*FollowUp) error) error {
	return tx.Bucket(store.Urgent).ForEach(func(k, v []byte) error {
		var f FollowUp
		if err := json.Unmarshal(v, &f); err != nil || len(k) != 8 {
			// A damaged follow-up must not hide every other, nor itself: it stands as one that
			// failed, so Today shows it and it is escalated.
			var id uint64
			if len(k) == 8 {
				id = binary.BigEndian.Uint64(k)
			}
			ref, _ := cb.RefOf(tx, id) // "" when her contact cannot be read either
			f = FollowUp{ContactID: id, Ref: ref, Failed: true, Problems: []Problem{{Code: Unreadable}}}
		}
		return fn(&f)
	})
}

// Unacknowledged returns the urgent contacts nobody has acknowledged yet, newest first.
func (cb *Casebook) Unacknowledged(ctx context.Context) ([]*FollowUp, error) {
	var out []*FollowUp
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		return cb.ForEachFollowUp(tx, func(f *FollowUp) error {
			if !f.Acknowledged() {
				out = append(out, f)
			}
			return nil
		})
	})
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// Acknowledge records, in tx, that the console user by has taken on the urgent contact with id,
// and audits it. Acknowledging again changes nothing and writes no second entry. Returns
// ENOTFOUND for a contact that is not urgent or does not exist.
func (cb *Casebook) Acknowledge(tx onestop.Tx, id uint64, by string, now time.Time) (*FollowUp, error) {
	f, err := cb.FollowUp(tx, id)
	if err != nil {
		return nil, err
	}
	if f == nil {
		c, err := cb.Get(tx, id)
		if err != nil {
			return nil, err
		}
		if c.Urgency != onestop.Urgent {
			return nil, onestop.Errorf(onestop.ENOTFOUND, "contact %s is not urgent", c.Ref)
		}
		// Urgent before follow-ups were kept: it gets one now.
		f = &FollowUp{ContactID: c.ID, Ref: c.Ref, Country: c.Country, Area: c.Area, Since: c.Time}
	}
	if f.Acknowledged() {
		return f, nil
	}
	f.Acked, f.AckedBy = now, by
	if err := cb.PutFollowUp(tx, f); err != nil {
		return nil, err
	}
	return f, cb.Append(tx, &AuditEntry{Time: now, Actor: by, Action: AuditUrgentAck, Subject: "contact:" + f.Ref})
}
