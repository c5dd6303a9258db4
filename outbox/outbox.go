// Package outbox owns everything the helpline sends: SMS to community workers, officials,
// counsellors and centres, and the rare message or call a survivor agreed to. Every outbound
// message goes through one durable queue in bbolt with an idempotency key, a state, attempts
// and a next attempt; a loop sends what is due through a Sender, urgent alerts first, then
// callback notes, then the rest, taken from an index of what is due, with exponential backoff
// and jitter and a rate limit per provider of which a share is kept for alerts, and reconciles
// after a restart what was being sent. An alert may be addressed to a role (the counsellor on
// duty) and is written out to whoever holds it when it is sent.
//
// It must never send anything to a survivor outside the Safe Contact Plan she gave in that
// conversation (that channel, that number, inside her window), whoever asks and however the
// request was built; never send anything because a session ended or a call was missed; never
// put a word that names the service in a text to anyone unless the operator turned that on; and
// never let an urgent alert die because the shift changed or a provider was down.
// Numbers and texts are sealed at rest, and logs carry numbers only masked, and no text.
package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/text/cases"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// Kind is what is sent: a text or a call request.
type Kind string

// The kinds of outbound message.
const (
	SMS  Kind = "sms"
	Call Kind = "call"
)

// Audience is who a message is for; it decides which safety rules apply.
type Audience string

// The audiences.
const (
	// Survivor: a woman who contacted the helpline. Only what her Safe Contact Plan allows.
	Survivor Audience = "survivor"
	// Unregistered: someone who texted in and is not registered. Only a neutral reply to her
	// message: she may be a survivor, and the phone may not be hers alone.
	Unregistered Audience = "unregistered"
	// Staff audiences: registered people whose number the operator gave.
	Worker     Audience = "worker"
	Counsellor Audience = "counsellor"
	Official   Audience = "official"
	Centre     Audience = "centre"
)

func (a Audience) valid() bool {
	switch a {
	case Survivor, Unregistered, Worker, Counsellor, Official, Centre:
		return true
	}
	return false
}

// Cause is why a message is sent. It is declared by whoever queues it, so the outbox can refuse
// the causes that must never lead to contact.
type Cause string

// The causes.
const (
	CausePlan     Cause = "plan"     // what her Safe Contact Plan arranged
	CauseReply    Cause = "reply"    // an answer to a message just received
	CauseAlert    Cause = "alert"    // an urgent contact
	CauseCallback Cause = "callback" // a callback falls due
	CauseReminder Cause = "reminder" // a referral without news
	CauseNotice   Cause = "notice"   // a referral assigned to a centre
	// CauseEscalation: an urgent contact that nobody acknowledged, or whose alert reached
	// nobody, raised to the fallback list. Sent first, like an alert.
	CauseEscalation Cause = "escalation"
	// Never sent, to anyone: a dropped session or a missed call is not consent.
	CauseSessionEnded Cause = "session-ended"
	CauseMissedCall   Cause = "missed-call"
)

// State is where a message stands.
type State string

// The states. queued → sending → sent → delivered; a send that fails is failed with a next
// attempt, and dead once it never will be sent (refused, permanent error, attempts exhausted,
// dropped by the operator). A message addressed to a role is expanded into one message per
// person holding it when it falls due; a callback note whose window closed is cancelled.
const (
	Queued    State = "queued"
	Sending   State = "sending"
	Sent      State = "sent"
	Delivered State = "delivered"
	Failed    State = "failed"
	Dead      State = "dead"
	// Expanded: a role-addressed message that was turned into messages to the people holding
	// the role (their Parent is its ID). It is settled; they carry the sending.
	Expanded State = "expanded"
	// Cancelled: no longer to be sent, and not a failure: the callback it announces is no
	// longer owed (her contact closed, her plan changed, her window closed, her number is marked
	// do not contact), or the person it was for no longer holds the role. Error says why.
	Cancelled State = "cancelled"
)

// The roles a message may be addressed to (Message.Role). Config.Resolve says who holds them.
const (
	// RoleDuty is the counsellor (or counsellors) on duty when the message is sent.
	RoleDuty = "duty"
	// RoleFallback is who an urgent message goes to when nobody is on duty: supervisors, or
	// the operator's escalation number.
	RoleFallback = "fallback"
)

// Recipient is one person holding a role at a moment.
type Recipient struct {
	// Number is the E.164 number.
	Number string
	// Lang is the language the message is written in for this person.
	Lang onestop.Lang
	// Audience is who they are; empty means the role message's own audience.
	Audience Audience
}

// Message is one outbound message or call request.
type Message struct {
	ID uint64 `json:"id"`
	// Key makes queuing idempotent: a second Enqueue with the same key queues nothing. It must
	// not hold a number or free text.
	Key      string   `json:"key"`
	Kind     Kind     `json:"kind"`
	Audience Audience `json:"audience"`
	Cause    Cause    `json:"cause"`
	// ContactID is the contact whose Safe Contact Plan allows a message to a survivor.
	ContactID uint64 `json:"contactId,omitempty"`
	// InReplyTo is the provider and id of the message an Unregistered reply answers.
	InReplyTo string `json:"inReplyTo,omitempty"`
	// Role, when set, addresses the message to whoever holds that role when it is sent
	// (RoleDuty, say) rather than to a number: To and Text are empty then, and Template and Args
	// say what to write, in each recipient's language.
	Role string `json:"role,omitempty"`
	// Template is the catalogue key naming the words (an alert, a callback note), never the
	// words themselves; Args are its arguments: references and codes, never a number or
	// anything a person typed.
	Template string   `json:"template,omitempty"`
	Args     []string `json:"args,omitempty"`
	// Parent is the role-addressed message this one was expanded from.
	Parent uint64 `json:"parent,omitempty"`
	// To is the E.164 number and Text the words: both sealed at rest.
	To   string `json:"-"`
	Text string `json:"-"`
	// Leg, for a bridged call, is the E.164 number called first (the counsellor's), sealed at
	// rest: her number (To) is dialled only once that leg answers. See Dialer.
	Leg  string       `json:"-"`
	Lang onestop.Lang `json:"lang,omitempty"`
	// Provider names the Sender to use; empty means the outbox's default.
	Provider string `json:"provider"`

	State       State     `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt,omitempty"`
	Created     time.Time `json:"created"`
	Updated     time.Time `json:"updated"`
	Encoding    Encoding  `json:"encoding,omitempty"`
	Segments    int       `json:"segments,omitempty"`
	// ProviderID is the aggregator's id for the sent message, which delivery reports name.
	ProviderID string `json:"providerId,omitempty"`
	// Error is the last failure or the refusal, without a number in it.
	Error string `json:"error,omitempty"`
	// Masked is To as staff may see it.
	Masked string `json:"masked,omitempty"`
}

// Receipt is what a provider answered to an accepted message.
type Receipt struct {
	ProviderID string
	// Delivered is true when the sender knows it arrived (the log sender).
	Delivered bool
	Segments  int
}

// Sender sends one message through one provider.
type Sender interface {
	// Name is the provider's name, as messages and delivery reports name it.
	Name() string
	// Send hands m to the provider. An error that is a *SendError says whether to try again.
	Send(ctx context.Context, m *Message) (Receipt, error)
}

// Idempotent is implemented by a Sender whose provider drops a repeat of a message it already
// took (same idempotency key): the outbox then resends what a crash left in flight.
type Idempotent interface {
	Idempotent() bool
}

// SendError is a provider's refusal.
type SendError struct {
	// Permanent means no retry can succeed (an invalid number, a blacklisted recipient).
	Permanent bool
	// RetryAfter is the provider's own wait (HTTP 429's Retry-After), 0 when it named none.
	RetryAfter time.Duration
	// Status is the HTTP status and Code the provider's own code, for the operator.
	Status int
	Code   string
	Msg    string
}

// Error says what the provider answered; it holds no number.
func (e *SendError) Error() string {
	return fmt.Sprintf("provider refused: status=%d code=%s %s", e.Status, e.Code, e.Msg)
}

// Config tunes the outbox. The zero value works: everything goes to the log, with a 5 s backoff
// base, 8 attempts and 5 messages a second per provider.
type Config struct {
	// Default is the provider used when a message names none.
	Default string
	// NameService allows texts to survivors and unregistered senders to name the service. Off
	// by default: the phone may be read by the person she is afraid of.
	NameService bool
	// Betraying are words, beyond the built-in ones, that must not appear in a text to a
	// survivor or an unregistered sender (the centres' names, say).
	Betraying []string
	// Known, when set, must confirm that a staff audience's number is registered for it (a
	// worker, an official, the counsellor on duty, a centre): a message to anyone else is refused,
	// so a survivor's number cannot be passed off as staff.
	Known func(tx onestop.Tx, a Audience, number string) bool
	// Backoff is the first retry's base wait; each failure doubles it, up to MaxBackoff, with
	// jitter.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many sends are tried before a message is dead.
	MaxAttempts int
	// Rate is messages per second per provider (0: 5).
	Rate float64
	// Reserve is the share of each provider's rate kept for urgent alerts (CauseAlert,
	// CauseEscalation): other messages may use at most 1-Reserve of it, so an alert always finds
	// room. 0 means 0.2; it is held between 0.05 and 0.9.
	Reserve float64
	// Poll is how often the loop looks for due messages (0: 500 ms).
	Poll time.Duration
	Log  *slog.Logger

	// Resolve says who holds role at the moment at (in tx): the people a role-addressed message
	// goes to. Required to queue a message with Role set.
	Resolve func(tx onestop.Tx, role string, at time.Time) ([]Recipient, error)
	// Render writes template with args in lang: a role-addressed message's text for one
	// recipient. Required to queue a message with Role set.
	Render func(template string, lang onestop.Lang, args []string) string
	// OnDead, when set, is called inside the transaction that makes a message dead, or that
	// records a delivery report saying it failed or was not delivered, so the caller can
	// escalate an alert that reached nobody (by queuing another message in tx). An error from
	// it undoes that transaction; in the sending loop the message is then settled without it,
	// and the error logged, so that nothing stays in flight.
	OnDead func(tx onestop.Tx, m *Message) error
	// OnRetry, when set, is called inside the transaction that records a failed send of an
	// urgent message (an alert, an escalation) that will be tried again, so the caller can show
	// on the contact, not only in a log, that her alert has not gone yet. It fails as OnDead does.
	OnRetry func(tx onestop.Tx, m *Message) error
	// OnSent, when set, is called inside the transaction that records an urgent message as
	// handed to its provider, so the caller can show on the contact whom her alert reached. It
	// fails as OnDead does.
	OnSent func(tx onestop.Tx, m *Message) error
	// OnReassigned, when set, is called inside the transaction that cancels a role message's
	// copy for someone who no longer holds the role (her shift ended, she was removed), the
	// role then being written out again to whoever holds it. It fails as OnDead does.
	OnReassigned func(tx onestop.Tx, m *Message) error
	// DoNotContact, when set, reports whether a survivor's number is marked do not contact at
	// at: nothing is sent to such a number, and a callback note for a contact whose number is
	// marked is cancelled.
	DoNotContact func(tx onestop.Tx, number string, at time.Time) bool
}

// Outbox is the queue. It is safe for concurrent use.
type Outbox struct {
	db    onestop.Store
	box   *seal.Box
	cases *casebook.Casebook
	cfg   Config
	log   *slog.Logger

	lim  *limiter
	wake chan struct{}
}

// New returns the outbox on db.
func New(db onestop.Store, box *seal.Box, cases *casebook.Casebook, cfg Config) *Outbox {
	if cfg.Default == "" {
		cfg.Default = LogName
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = 5 * time.Second
	}
	if cfg.MaxBackoff <= 0 {
		cfg.MaxBackoff = time.Hour
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = 8
	}
	if cfg.Rate <= 0 {
		cfg.Rate = 5
	}
	if cfg.Poll <= 0 {
		cfg.Poll = 500 * time.Millisecond
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Reserve <= 0 {
		cfg.Reserve = 0.2
	}
	cfg.Reserve = min(max(cfg.Reserve, 0.05), 0.9)
	return &Outbox{db: db, box: box, cases: cases, cfg: cfg, log: cfg.Log, lim: newLimiter(cfg.Rate, cfg.Reserve, time.Now), wake: make(chan struct{}, 1)}
}

// record is a message as it lies on disk.
type record struct {
	Message
	ToSealed   []byte `json:"to"`
	TextSealed []byte `json:"text"`
	LegSealed  []byte `json:"leg,omitempty"`
}

// Indexes inside the Outbox bucket. Their names are not 8 bytes long, so they never collide with
// a message's key; iteration skips them because a bucket's value is nil.
var (
	keyIndex      = []byte("idempotency")
	providerIndex = []byte("provider-ids")
	// dueIndex holds every message that waits to be sent (queued, or failed with a next
	// attempt), keyed by priority, next attempt and ID, with its provider as the value: the loop
	// takes the first due entry of the highest priority without reading the queue. put keeps it,
	// in the transaction that changes the message.
	dueIndex = []byte("due")
)

// Enqueue queues m in tx, after the safety rules (see check). It sets m's ID, state, encoding and
// segments; those are final once tx commits. A message whose Key was queued before is not queued
// again: m gets the earlier message's ID and fresh is false. Returns EINVALID for a malformed
// message and EFORBIDDEN for one the safety rules refuse; nothing is written then.
//
// A message with Role set has no To and no Text: it is for whoever holds the role when it falls
// due, and it is written then, for each of them, from Template and Args (see Config.Resolve).
func (o *Outbox) Enqueue(tx onestop.Tx, m *Message) (fresh bool, err error) {
	if m.Role != "" {
		err = o.validateRole(m)
	} else {
		err = o.validate(m)
	}
	if err != nil {
		return false, err
	}
	b := tx.Bucket(store.Outbox)
	if idx := b.Bucket(keyIndex); idx != nil {
		if v := idx.Get([]byte(m.Key)); v != nil {
			m.ID = binary.BigEndian.Uint64(v)
			return false, nil
		}
	}
	now := o.db.Now()
	if err := o.check(tx, m, now); err != nil {
		return false, err
	}
	if m.Provider == "" {
		m.Provider = o.cfg.Default
	}
	m.Encoding, m.Segments = Segments(m.Text)
	m.State, m.Attempts, m.Error, m.ProviderID = Queued, 0, "", ""
	m.Created, m.Updated = now, now
	if m.NextAttempt.Before(now) {
		m.NextAttempt = now
	}
	id, err := b.NextSequence()
	if err != nil {
		return false, err
	}
	m.ID = id
	idx, err := b.CreateBucketIfNotExists(keyIndex)
	if err != nil {
		return false, err
	}
	if err := idx.Put([]byte(m.Key), store.U64(id)); err != nil {
		return false, err
	}
	return true, o.put(tx, m)
}

// Queue is Enqueue in a write of its own, which wakes the sending loop once committed.
func (o *Outbox) Queue(ctx context.Context, m *Message) (fresh bool, err error) {
	err = o.db.Update(ctx, func(tx onestop.Tx) error {
		c := *m
		f, err := o.Enqueue(tx, &c)
		fresh = f
		if err == nil {
			*m = c
		}
		return err
	})
	if err == nil {
		o.Wake()
	}
	return fresh, err
}

// Wake tells the sending loop to look for due messages now rather than at its next poll.
func (o *Outbox) Wake() {
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

func (o *Outbox) validate(m *Message) error {
	switch {
	case m.Key == "" || len(m.Key) > 200:
		return onestop.Errorf(onestop.EINVALID, "a message needs an idempotency key")
	case m.Kind != SMS && m.Kind != Call:
		return onestop.Errorf(onestop.EINVALID, "unknown kind %q", m.Kind)
	case !m.Audience.valid():
		return onestop.Errorf(onestop.EINVALID, "unknown audience %q", m.Audience)
	case m.Kind == SMS && strings.TrimSpace(m.Text) == "":
		return onestop.Errorf(onestop.EINVALID, "an SMS needs a text")
	case len(m.Text) > 1600:
		return onestop.Errorf(onestop.EINVALID, "text is longer than ten SMS")
	}
	n, err := phone.Parse(m.To, "")
	if err != nil || !strings.HasPrefix(m.To, "+") {
		return onestop.Errorf(onestop.EINVALID, "the recipient is not an E.164 number")
	}
	m.To, m.Masked = n.E164, n.Mask()
	return validateLeg(m)
}

// validateRole checks a role-addressed message: a staff text with a template, for a role the
// outbox can resolve and write, and no number or words of its own.
func (o *Outbox) validateRole(m *Message) error {
	switch {
	case m.Key == "" || len(m.Key) > 160:
		// Each recipient's message is keyed by this key and a hash: room is kept for it.
		return onestop.Errorf(onestop.EINVALID, "a message needs an idempotency key of at most 160 bytes")
	case len(m.Role) > 40:
		return onestop.Errorf(onestop.EINVALID, "role name too long")
	case m.Kind != SMS:
		return onestop.Errorf(onestop.EINVALID, "a message to a role is an SMS")
	case !m.Audience.valid() || m.Audience == Survivor || m.Audience == Unregistered:
		return onestop.Errorf(onestop.EINVALID, "a message to a role is for staff, not %q", m.Audience)
	case m.To != "" || m.Text != "":
		return onestop.Errorf(onestop.EINVALID, "a message to a role has no number and no text of its own")
	case m.Template == "":
		return onestop.Errorf(onestop.EINVALID, "a message to a role needs a template")
	case len(m.Args) > 8:
		return onestop.Errorf(onestop.EINVALID, "too many template arguments")
	case o.cfg.Resolve == nil || o.cfg.Render == nil:
		return onestop.Errorf(onestop.EINVALID, "the outbox cannot address a role: no Resolve or Render configured")
	}
	for _, a := range m.Args {
		if len(a) > 64 {
			return onestop.Errorf(onestop.EINVALID, "a template argument is longer than 64 bytes")
		}
	}
	if strings.TrimSpace(o.cfg.Render(m.Template, onestop.English, m.Args)) == "" {
		return onestop.Errorf(onestop.EINVALID, "unknown template %q", m.Template)
	}
	m.Masked = ""
	return nil
}

// check applies the safety rules to m at now. They hold for every caller of the outbox:
//
//   - nothing is sent because a session ended or a call was missed;
//   - no text, to anyone (a survivor, an unregistered sender, a worker, an official, a
//     counsellor, a centre), names the service, a centre or what it is for, unless the operator
//     turned NameService on: a staff phone is read over shoulders and shared too;
//   - nothing goes to a survivor's number marked do not contact (Config.DoNotContact);
//   - a message or call to a survivor needs her contact's Safe Contact Plan to allow that
//     channel, that number and that moment; a dropped or do-not-contact contact allows nothing;
//   - a callback note is sent only while the callback is owed: her contact open, her plan still
//     allowing a call, her window not closed and her number not marked do not contact;
//   - an unregistered sender gets only a reply to the message she sent;
//   - a staff message goes only to a number registered for that role (when Known is set).
//
// It runs when a message is queued and again just before each send, since her window can close
// and her plan can change while a message waits. Returns EFORBIDDEN with the reason (a *refusal
// says whether the message is only cancelled, or its number no longer registered).
func (o *Outbox) check(tx onestop.Tx, m *Message, now time.Time) error {
	if m.Cause == CauseSessionEnded || m.Cause == CauseMissedCall {
		return onestop.Errorf(onestop.EFORBIDDEN, "nothing is sent because a session ended or a call was missed")
	}
	text := m.Text
	if m.Role != "" && o.cfg.Render != nil {
		// Each recipient's own text is checked when it is written; this catches a template
		// that could never be sent, when it is queued.
		text = o.cfg.Render(m.Template, onestop.English, m.Args)
	}
	if m.Kind == SMS {
		if w := o.betraying(text); w != "" {
			return onestop.Errorf(onestop.EFORBIDDEN, "the text names the service (%q)", w)
		}
	}
	if m.Cause == CauseCallback && m.ContactID != 0 {
		if err := o.callbackOwed(tx, m, now); err != nil {
			return err
		}
	}
	switch m.Audience {
	case Survivor:
		if o.doNotContact(tx, m.To, now) {
			return onestop.Errorf(onestop.EFORBIDDEN, "her number is marked do not contact")
		}
		return o.allowedBySurvivor(tx, m, now)
	case Unregistered:
		if o.doNotContact(tx, m.To, now) {
			return onestop.Errorf(onestop.EFORBIDDEN, "the number is marked do not contact")
		}
		if m.InReplyTo == "" || m.Kind != SMS {
			return onestop.Errorf(onestop.EFORBIDDEN, "an unregistered sender only gets a reply to her message")
		}
		return nil
	}
	if m.Role != "" {
		return nil // who holds the role is known only when it is sent
	}
	if o.cfg.Known != nil && !o.cfg.Known(tx, m.Audience, m.To) {
		return &refusal{err: onestop.Errorf(onestop.EFORBIDDEN, "the number is not registered as a %s", m.Audience), unknown: true}
	}
	return nil
}

// refusal is a refusal that does not mean the message was wrong: cancel, the thing it was
// about is no longer owed; unknown, its number no longer holds the role it was written for.
type refusal struct {
	err     *onestop.Error
	cancel  bool
	unknown bool
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func (o *Outbox) doNotContact(tx onestop.Tx, number string, now time.Time) bool {
	return number != "" && o.cfg.DoNotContact != nil && o.cfg.DoNotContact(tx, number, now)
}

// callbackOwed reports, as a cancelling refusal, why the callback a note announces is no longer
// owed. A note retried after an outage must not send a counsellor to call her outside her window.
func (o *Outbox) callbackOwed(tx onestop.Tx, m *Message, now time.Time) error {
	if o.cases == nil {
		return nil
	}
	cancel := func(format string, args ...any) error {
		return &refusal{err: onestop.Errorf(onestop.EFORBIDDEN, format, args...), cancel: true}
	}
	c, err := o.cases.Get(tx, m.ContactID)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND {
		return cancel("no such contact")
	} else if err != nil {
		return err
	}
	p := c.Plan
	switch {
	case c.Status != onestop.Open:
		return cancel("the contact is no longer open")
	case p == nil || !p.MayCall:
		return cancel("her plan no longer allows a call")
	case !now.Before(p.Closes):
		return cancel("her window has closed")
	case o.doNotContact(tx, c.Caller, now) || o.doNotContact(tx, p.Number, now):
		return cancel("her number is marked do not contact")
	}
	return nil
}

// windowOpens is when the window of the callback a note announces opens; zero for any other
// message, or when the contact cannot be read (callbackOwed has decided on it already).
func (o *Outbox) windowOpens(tx onestop.Tx, m *Message) time.Time {
	if m.Cause != CauseCallback || m.ContactID == 0 || o.cases == nil {
		return time.Time{}
	}
	c, err := o.cases.Get(tx, m.ContactID)
	if err != nil || c.Plan == nil {
		return time.Time{}
	}
	return c.Plan.Opens
}

func (o *Outbox) allowedBySurvivor(tx onestop.Tx, m *Message, now time.Time) error {
	if m.ContactID == 0 {
		return onestop.Errorf(onestop.EFORBIDDEN, "a message to a survivor needs the contact whose plan allows it")
	}
	c, err := o.cases.Get(tx, m.ContactID)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND {
		return onestop.Errorf(onestop.EFORBIDDEN, "no such contact")
	} else if err != nil {
		return err
	}
	p := c.Plan
	switch {
	case c.Status == onestop.Dropped:
		return onestop.Errorf(onestop.EFORBIDDEN, "the session ended before she made a plan")
	case c.Status == onestop.DoNotContact || p == nil || !p.MayCall:
		return onestop.Errorf(onestop.EFORBIDDEN, "she did not agree to be contacted")
	case m.Kind == SMS:
		// A plan records consent to be called, and only that: a text on her phone is a trail
		// she did not agree to leave.
		return onestop.Errorf(onestop.EFORBIDDEN, "her plan does not allow texts")
	case p.Number != m.To:
		return onestop.Errorf(onestop.EFORBIDDEN, "her plan does not allow that number")
	case !p.Allows(m.To, now):
		return onestop.Errorf(onestop.EFORBIDDEN, "outside the window her plan allows")
	}
	return nil
}

// betrayingWords name the service or what it is for. They are matched case-folded, anywhere in
// the text, in a text to anyone.
var betrayingWords = []string{
	"violence", "abuse", "crisis", "helpline", "rape", "assault", "shelter", "one-stop", "one stop",
	"occ", "osc", "sakhi", "counsel", "survivor", "trafficking",
	"নির্যাতন", "সহিংসতা", "হেল্পলাইন", "ধর্ষণ", "ক্রাইসিস", "সংকট", "ওসিসি", "আশ্রয়", "কাউন্সেলিং",
	"हिंसा", "उत्पीड़न", "हेल्पलाइन", "बलात्कार", "सखी", "संकट", "आश्रय", "परामर्श",
	"عنف", "إساءة", "اغتصاب", "أزمة", "خط مساعدة", "إيواء", "حماية الأسرة",
}

var fold = cases.Fold()

// betraying returns the first word in text that names the service, or "".
func (o *Outbox) betraying(text string) string {
	if o.cfg.NameService {
		return ""
	}
	t := fold.String(text)
	for _, list := range [][]string{betrayingWords, o.cfg.Betraying} {
		for _, w := range list {
			if w = strings.TrimSpace(w); w != "" && strings.Contains(t, fold.String(w)) {
				return w
			}
		}
	}
	return ""
}

// put writes m, and moves its entry in the due index in the same transaction.
func (o *Outbox) put(tx onestop.Tx, m *Message) error {
	r := record{Message: *m, ToSealed: o.box.SealString(m.To), TextSealed: o.box.SealString(m.Text)}
	if m.Leg != "" {
		r.LegSealed = o.box.SealString(m.Leg)
	}
	v, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	b := tx.Bucket(store.Outbox)
	idx, err := o.dueBucket(tx)
	if err != nil {
		return err
	}
	if old := b.Get(store.U64(m.ID)); old != nil {
		var h head
		if json.Unmarshal(old, &h) == nil && h.due() {
			if err := idx.Delete(dueKey(h.Cause, h.NextAttempt, m.ID)); err != nil {
				return err
			}
		}
	}
	if err := b.Put(store.U64(m.ID), v); err != nil {
		return err
	}
	if h := (head{State: m.State, NextAttempt: m.NextAttempt}); h.due() {
		return idx.Put(dueKey(m.Cause, m.NextAttempt, m.ID), []byte(m.Provider))
	}
	return nil
}

// head is what the due index is made from, read without opening anything sealed.
type head struct {
	ID          uint64    `json:"id"`
	Cause       Cause     `json:"cause"`
	Provider    string    `json:"provider"`
	State       State     `json:"state"`
	NextAttempt time.Time `json:"nextAttempt"`
	Updated     time.Time `json:"updated"`
	Key         string    `json:"key"`
	ProviderID  string    `json:"providerId"`
}

// due reports whether the message waits to be sent.
func (h head) due() bool {
	return (h.State == Queued || h.State == Failed) && !h.NextAttempt.IsZero()
}

// The priorities, first sent first.
const (
	prioUrgent   byte = 0 // alerts and escalations
	prioCallback byte = 1 // callback notes
	prioOther    byte = 2 // everything else
)

func priority(c Cause) byte {
	switch c {
	case CauseAlert, CauseEscalation:
		return prioUrgent
	case CauseCallback:
		return prioCallback
	}
	return prioOther
}

// urgent reports whether c is an urgent alert: first in the queue, with a reserved share of
// every provider's rate, and never given up on for a provider's outage.
func urgent(c Cause) bool { return priority(c) == prioUrgent }

// dueKey is a message's key in the due index: priority, next attempt, ID.
func dueKey(c Cause, at time.Time, id uint64) []byte {
	k := make([]byte, 17)
	k[0] = priority(c)
	binary.BigEndian.PutUint64(k[1:9], uint64(max(at.UnixNano(), 0)))
	binary.BigEndian.PutUint64(k[9:], id)
	return k
}

// dueBucket returns the due index, building it from the messages when the file was written
// before there was one.
func (o *Outbox) dueBucket(tx onestop.Tx) (onestop.Bucket, error) {
	b := tx.Bucket(store.Outbox)
	if idx := b.Bucket(dueIndex); idx != nil {
		return idx, nil
	}
	idx, err := b.CreateBucket(dueIndex)
	if err != nil {
		return nil, err
	}
	err = b.ForEach(func(k, v []byte) error {
		var h head
		if v == nil || len(k) != 8 || json.Unmarshal(v, &h) != nil || !h.due() {
			return nil
		}
		return idx.Put(dueKey(h.Cause, h.NextAttempt, binary.BigEndian.Uint64(k)), []byte(h.Provider))
	})
	return idx, err
}

// ensureIndex builds the due index if the file has none yet.
func (o *Outbox) ensureIndex(ctx context.Context) error {
	missing := false
	if err := o.db.View(ctx, func(tx onestop.Tx) error {
		missing = tx.Bucket(store.Outbox).Bucket(dueIndex) == nil
		return nil
	}); err != nil || !missing {
		return err
	}
	return o.db.Update(ctx, func(tx onestop.Tx) error {
		_, err := o.dueBucket(tx)
		return err
	})
}

// hookError is an error from a Config hook, which the sending loop settles without.
type hookError struct{ err error }

func (e *hookError) Error() string { return "outbox: OnDead: " + e.err.Error() }
func (e *hookError) Unwrap() error { return e.err }

// dead makes m dead for reason and, with hooks, tells OnDead in the same transaction.
func (o *Outbox) dead(tx onestop.Tx, m *Message, now time.Time, reason string, hooks bool) error {
	m.State, m.NextAttempt, m.Updated, m.Error = Dead, time.Time{}, now, reason
	if err := o.put(tx, m); err != nil {
		return err
	}
	return o.hook(tx, m, hooks)
}

func (o *Outbox) hook(tx onestop.Tx, m *Message, hooks bool) error {
	if !hooks || o.cfg.OnDead == nil {
		return nil
	}
	if err := o.cfg.OnDead(tx, m); err != nil {
		return &hookError{err}
	}
	return nil
}

// write runs fn in a write transaction with the hooks; if a hook fails, fn runs again without
// them, so that a message is always settled, and the failure is logged.
func (o *Outbox) write(ctx context.Context, fn func(tx onestop.Tx, hooks bool) error) error {
	err := o.db.Update(ctx, func(tx onestop.Tx) error { return fn(tx, true) })
	var he *hookError
	if errors.As(err, &he) {
		o.log.Error("outbox: a hook on a message's outcome failed; settled without it", "err", he.err)
		return o.db.Update(ctx, func(tx onestop.Tx) error { return fn(tx, false) })
	}
	return err
}

func (o *Outbox) decode(v []byte) (*Message, error) {
	var r record
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	m := r.Message
	var err error
	if m.To, err = o.box.OpenString(r.ToSealed); err != nil {
		return nil, fmt.Errorf("outbox: message %d: %w", m.ID, err)
	}
	if m.Text, err = o.box.OpenString(r.TextSealed); err != nil {
		return nil, fmt.Errorf("outbox: message %d: %w", m.ID, err)
	}
	if len(r.LegSealed) > 0 {
		if m.Leg, err = o.box.OpenString(r.LegSealed); err != nil {
			return nil, fmt.Errorf("outbox: message %d: %w", m.ID, err)
		}
	}
	return &m, nil
}

// Get returns message id from tx. Returns ENOTFOUND if none.
func (o *Outbox) Get(tx onestop.Tx, id uint64) (*Message, error) {
	v := tx.Bucket(store.Outbox).Get(store.U64(id))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no message %d", id)
	}
	return o.decode(v)
}

// Message returns message id. Returns ENOTFOUND if none.
func (o *Outbox) Message(ctx context.Context, id uint64) (m *Message, err error) {
	err = o.db.View(ctx, func(tx onestop.Tx) error {
		m, err = o.Get(tx, id)
		return err
	})
	return m, err
}

// Filter narrows List.
type Filter struct {
	State State
	Limit int // 0 means 100
}

// List returns messages newest first.
func (o *Outbox) List(ctx context.Context, f Filter) ([]*Message, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*Message
	err := o.db.View(ctx, func(tx onestop.Tx) error {
		c := tx.Bucket(store.Outbox).Cursor()
		for k, v := c.Last(); k != nil && len(out) < f.Limit; k, v = c.Prev() {
			if v == nil || len(k) != 8 {
				continue
			}
			m, err := o.decode(v)
			if err != nil {
				return err
			}
			if f.State == "" || m.State == f.State {
				out = append(out, m)
			}
		}
		return nil
	})
	return out, err
}

// Retry queues a failed or dead message again, from its first attempt; the safety rules are
// applied again when it is sent. Returns ENOTFOUND, or ECONFLICT for a message in another state.
func (o *Outbox) Retry(ctx context.Context, id uint64) error {
	err := o.db.Update(ctx, func(tx onestop.Tx) error {
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		if m.State != Failed && m.State != Dead {
			return onestop.Errorf(onestop.ECONFLICT, "message %d is %s, not failed or dead", id, m.State)
		}
		now := o.db.Now()
		m.State, m.Attempts, m.NextAttempt, m.Updated, m.Error = Queued, 0, now, now, ""
		return o.put(tx, m)
	})
	if err == nil {
		o.Wake()
	}
	return err
}

// Drop gives up on a message that is not yet sent: it becomes dead and is never sent. Returns
// ENOTFOUND, or ECONFLICT for one already sent or being sent.
func (o *Outbox) Drop(ctx context.Context, id uint64) error {
	return o.db.Update(ctx, func(tx onestop.Tx) error {
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		switch m.State {
		case Sent, Delivered, Expanded, Cancelled:
			return onestop.Errorf(onestop.ECONFLICT, "message %d is already %s", id, m.State)
		case Sending:
			return onestop.Errorf(onestop.ECONFLICT, "message %d is being sent", id)
		}
		return o.dead(tx, m, o.db.Now(), "dropped by the operator", true)
	})
}

// Report records a provider's delivery report for the message it knows as providerID: sent
// (still on its way), delivered, or failed with a reason. A repeated report changes nothing; a
// report never moves a delivered message back. Returns ENOTFOUND for an id the outbox never sent.
func (o *Outbox) Report(ctx context.Context, provider, providerID string, st State, reason string) error {
	if st != Sent && st != Delivered && st != Failed {
		return onestop.Errorf(onestop.EINVALID, "a report is sent, delivered or failed")
	}
	return o.db.Update(ctx, func(tx onestop.Tx) error {
		idx := tx.Bucket(store.Outbox).Bucket(providerIndex)
		var v []byte
		if idx != nil {
			v = idx.Get([]byte(provider + ":" + providerID))
		}
		if v == nil {
			return onestop.Errorf(onestop.ENOTFOUND, "no message %s from %s", providerID, provider)
		}
		m, err := o.Get(tx, binary.BigEndian.Uint64(v))
		if err != nil {
			return err
		}
		if m.State == Delivered || m.State == st || (m.State == Failed && st == Sent) {
			return nil
		}
		m.State, m.Updated = st, o.db.Now()
		if st == Failed {
			// The provider took it and could not deliver it: sending it again blindly could
			// reach a phone twice, so it waits for the operator (outbox retry).
			m.NextAttempt, m.Error = time.Time{}, "not delivered: "+reason
		}
		if err := o.put(tx, m); err != nil {
			return err
		}
		if st == Failed {
			return o.hook(tx, m, true)
		}
		return nil
	})
}

// Run sends due messages until ctx ends or the store is closed. It first reconciles what a
// previous process left in flight. senders are keyed by Name; a message for a provider with no
// sender waits.
func (o *Outbox) Run(ctx context.Context, senders ...Sender) error {
	byName := map[string]Sender{}
	for _, s := range senders {
		byName[s.Name()] = s
	}
	if err := o.ensureIndex(ctx); closed(err) {
		return nil
	} else if err != nil {
		return err
	}
	if err := o.Reconcile(ctx, byName); closed(err) {
		return nil
	} else if err != nil {
		return err
	}
	t := time.NewTicker(o.cfg.Poll)
	defer t.Stop()
	_, shared := o.db.(onestop.Leaser)
	lastReconcile := time.Now()
	for {
		// In a group, a gateway that died mid-send leaves its messages sending while the others
		// go on: one of them settles those once they are older than any send can take.
		if shared && time.Since(lastReconcile) > SendingLease/2 {
			if err := o.Reconcile(ctx, byName); err != nil && !closed(err) && ctx.Err() == nil {
				o.log.Error("outbox: reconciling failed", "err", err)
			}
			lastReconcile = time.Now()
		}
		if _, err := o.Flush(ctx, byName); closed(err) {
			// The store was closed under the loop: the process is stopping.
			return nil
		} else if err != nil && ctx.Err() == nil {
			o.log.Error("outbox: sending failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		case <-o.wake:
		}
	}
}

// closed reports whether err says the store is closed.
func closed(err error) bool {
	return errors.Is(err, onestop.ErrStoreClosed)
}

// SendingLease is how long a message may stay sending, on a store several gateways share,
// before another gateway takes it for one whose sender died: well past any provider call's
// timeout, so a send under way in a live gateway is never taken from it.
const SendingLease = 2 * time.Minute

// Reconcile settles messages a stopped process left in the sending state. On a store several
// gateways share (an onestop.Leaser), only messages sending for longer than SendingLease are
// settled: the others are another live gateway's sends under way. Whether the provider
// took such a message is unknown. A provider that drops repeats gets it again; so does a staff
// message, since a repeated alert is better than a lost one. A message to a survivor or an
// unregistered sender is not sent again blindly, since a second text on her phone can cost more
// than a missing one: it is marked failed for the operator to check and retry.
func (o *Outbox) Reconcile(ctx context.Context, senders map[string]Sender) error {
	return o.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Outbox)
		var stuck []*Message
		_, shared := o.db.(onestop.Leaser)
		cutoff := o.db.Now().Add(-SendingLease)
		err := b.ForEach(func(k, v []byte) error {
			if v == nil || len(k) != 8 || !bytes.Contains(v, []byte(`"state":"sending"`)) {
				return nil
			}
			m, err := o.decode(v)
			if err != nil {
				return err
			}
			if !shared || m.Updated.Before(cutoff) {
				stuck = append(stuck, m)
			}
			return nil
		})
		if err != nil {
			return err
		}
		now := o.db.Now()
		for _, m := range stuck {
			idem := false
			if s, ok := senders[m.Provider].(Idempotent); ok {
				idem = s.Idempotent()
			}
			m.Updated = now
			if idem || (m.Audience != Survivor && m.Audience != Unregistered) {
				m.State, m.NextAttempt = Queued, now
			} else {
				m.State, m.NextAttempt, m.Error = Failed, time.Time{}, "interrupted while sending; not sent again without the operator"
			}
			if err := o.put(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
}

// Flush sends every message that is due now, highest priority first, and returns how many it
// handed to a provider. It waits for each provider's turn under the rate limit; a message queued
// meanwhile (Wake) is looked at before the wait ends, so an urgent alert never waits behind the
// texts ahead of it.
func (o *Outbox) Flush(ctx context.Context, senders map[string]Sender) (int, error) {
	sent := 0
	skip := map[uint64]bool{}
	for ctx.Err() == nil {
		id, provider, urg, err := o.peek(ctx, senders, skip)
		if err != nil || id == 0 {
			return sent, err
		}
		if wait := o.lim.take(provider, urg); wait > 0 {
			if !o.pause(ctx, wait) {
				return sent, nil
			}
			continue
		}
		m, again, err := o.claim(ctx, id)
		// Whatever became of it, it is not looked at again in this pass, unless it is a role
		// message whose recipient fell away: that is resolved again at once.
		skip[id] = true
		for _, p := range again {
			delete(skip, p)
		}
		if err != nil {
			o.lim.refund(provider, urg)
			if closed(err) || ctx.Err() != nil {
				return sent, err
			}
			// One message that cannot be claimed (a damaged record, a store error of its own)
			// must not hold up every other, an urgent alert above all: it is skipped in this
			// pass and tried again in the next.
			o.log.Error("outbox: a message could not be claimed; the rest are sent", "id", id, "err", err)
			continue
		}
		if m == nil {
			o.lim.refund(provider, urg)
			continue
		}
		rc, err := senders[m.Provider].Send(ctx, m)
		if err == nil {
			sent++
		}
		if err := o.settle(m, rc, err, false); err != nil {
			return sent, err
		}
	}
	return sent, nil
}

// pause waits d, or until a message is queued or ctx ends (false then).
func (o *Outbox) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-o.wake:
	case <-t.C:
	}
	return ctx.Err() == nil
}

// peek finds the next due message in the due index: the first of the highest priority whose
// next attempt has come, whose provider has a sender, and that this pass has not looked at.
// It reads only index keys: a flood of queued texts costs one seek per priority.
func (o *Outbox) peek(ctx context.Context, senders map[string]Sender, skip map[uint64]bool) (id uint64, provider string, urg bool, err error) {
	if err := o.ensureIndex(ctx); err != nil {
		return 0, "", false, err
	}
	err = o.db.View(ctx, func(tx onestop.Tx) error {
		idx := tx.Bucket(store.Outbox).Bucket(dueIndex)
		if idx == nil {
			return nil
		}
		limit := uint64(max(o.db.Now().UnixNano(), 0))
		c := idx.Cursor()
		for p := prioUrgent; p <= prioOther; p++ {
			for k, v := c.Seek([]byte{p}); k != nil && k[0] == p; k, v = c.Next() {
				if len(k) != 17 || binary.BigEndian.Uint64(k[1:9]) > limit {
					break
				}
				n := binary.BigEndian.Uint64(k[9:])
				if skip[n] || senders[string(v)] == nil {
					continue
				}
				id, provider, urg = n, string(v), p == prioUrgent
				return nil
			}
		}
		return nil
	})
	return id, provider, urg, err
}

// claim marks message id sending, after checking the safety rules again, and returns it; nil
// when it is not to be sent now. A message they now refuse is dead and never sent; a callback
// note no longer owed is cancelled. A role message is expanded instead (see expand). again
// names role messages to resolve again in this pass.
func (o *Outbox) claim(ctx context.Context, id uint64) (claimed *Message, again []uint64, err error) {
	err = o.write(ctx, func(tx onestop.Tx, hooks bool) error {
		claimed, again = nil, nil
		now := o.db.Now()
		m, err := o.Get(tx, id)
		if onestop.ErrorCode(err) == onestop.ENOTFOUND {
			return nil // purged meanwhile
		} else if err != nil {
			return err
		}
		if !(head{State: m.State, NextAttempt: m.NextAttempt}).due() || m.NextAttempt.After(now) {
			return nil // the operator or another pass moved it meanwhile
		}
		if err := o.check(tx, m, now); err != nil {
			if onestop.ErrorCode(err) != onestop.EFORBIDDEN {
				return err
			}
			var r *refusal
			errors.As(err, &r)
			switch {
			case r != nil && r.cancel:
				m.State, m.NextAttempt, m.Updated, m.Error = Cancelled, time.Time{}, now, "cancelled: "+onestop.ErrorMessage(err)
				return o.put(tx, m)
			case r != nil && r.unknown && m.Parent != 0:
				// The person was removed while it waited: the alert is for whoever holds the
				// role now, not dead.
				again, err = o.reassign(tx, m, now, hooks)
				return err
			}
			if m.Kind == Call {
				return o.callDead(tx, m, now, "refused: "+onestop.ErrorMessage(err), hooks)
			}
			return o.dead(tx, m, now, "refused: "+onestop.ErrorMessage(err), hooks)
		}
		if m.Role != "" {
			return o.expand(tx, m, now)
		}
		if m.Parent != 0 {
			// The shift may have changed since it was written out (during a provider outage,
			// or a moment ago), and a role's message is for whoever holds the role when it is
			// sent.
			if holds, err := o.stillHolds(tx, m, now); err != nil {
				return err
			} else if !holds {
				again, err = o.reassign(tx, m, now, hooks)
				return err
			}
		}
		if opens := o.windowOpens(tx, m); now.Before(opens) {
			// Retried by hand, or her window moved: "callback due" is said when it is.
			m.State, m.NextAttempt, m.Updated = Queued, opens, now
			return o.put(tx, m)
		}
		m.State, m.Attempts, m.Updated = Sending, m.Attempts+1, now
		claimed = m
		return o.put(tx, m)
	})
	if err != nil {
		return nil, nil, err
	}
	return claimed, again, nil
}

// reassign cancels child m of a role message, whose recipient no longer holds the role, and
// queues its parent to be written out again at once, to whoever holds the role now. It returns
// the parent's ID, to be resolved again in this pass.
func (o *Outbox) reassign(tx onestop.Tx, m *Message, now time.Time, hooks bool) ([]uint64, error) {
	p, err := o.Get(tx, m.Parent)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND {
		// Its role message is gone (purged): nobody is left to write it out to, which is a
		// death the caller must hear of, not a silent cancellation.
		return nil, o.dead(tx, m, now, "its recipient no longer holds the role, and the message to the role is gone", hooks)
	} else if err != nil {
		return nil, err
	}
	m.State, m.NextAttempt, m.Updated, m.Error = Cancelled, time.Time{}, now, "cancelled: no longer holds the role; sent to whoever holds it now"
	if err := o.put(tx, m); err != nil {
		return nil, err
	}
	if hooks && o.cfg.OnReassigned != nil {
		if err := o.cfg.OnReassigned(tx, m); err != nil {
			return nil, &hookError{err}
		}
	}
	if p.State == Expanded {
		p.State, p.NextAttempt, p.Updated, p.Error = Queued, now, now, "a recipient no longer holds the role"
		if err := o.put(tx, p); err != nil {
			return nil, err
		}
	}
	return []uint64{p.ID}, nil
}

// stillHolds reports whether child m's recipient is among those its parent's role resolves to
// now, as expand would resolve it: the duty role, or the fallback role while nobody is on duty.
// When the role cannot be resolved, or resolves to nobody at all, m stays with its recipient:
// an alert is never taken from someone to be given to no one.
func (o *Outbox) stillHolds(tx onestop.Tx, m *Message, now time.Time) (bool, error) {
	p, err := o.Get(tx, m.Parent)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND {
		return true, nil
	} else if err != nil {
		return false, err
	}
	if p.Role == "" || o.cfg.Resolve == nil {
		return true, nil
	}
	roles := []string{p.Role}
	if p.Role == RoleDuty {
		roles = append(roles, RoleFallback)
	}
	for _, role := range roles {
		people, err := o.cfg.Resolve(tx, role, now)
		if err != nil {
			return true, nil
		}
		// As expand writes it out: to those whose number is known for the audience.
		people = slices.DeleteFunc(people, func(r Recipient) bool {
			a := r.Audience
			if a == "" {
				a = p.Audience
			}
			return o.cfg.Known != nil && !o.cfg.Known(tx, a, r.Number)
		})
		if len(people) == 0 {
			continue
		}
		for _, r := range people {
			if r.Number == m.To {
				return true, nil
			}
		}
		return false, nil
	}
	return true, nil
}

// nobodyWait is how long a role message that reached nobody waits before its role is resolved
// again.
const nobodyWait = time.Minute

// expand writes role message p out to whoever holds its role now, in tx: one message for each,
// with their number and language, its text rendered from the template, keyed by p's key and a
// keyed hash of the number, and p settled as expanded. The new messages are due at once and
// urgent ones come first, so they go out in the same pass. With nobody on duty it goes to the
// fallback role; with nobody there either it stays queued and is tried again every minute:
// a message to a role never dies because nobody held it at one moment.
func (o *Outbox) expand(tx onestop.Tx, p *Message, now time.Time) error {
	roles := []string{p.Role}
	if p.Role == RoleDuty {
		roles = append(roles, RoleFallback)
	}
	var why string
	if o.cfg.Resolve == nil || o.cfg.Render == nil {
		// An outbox built without them (a command, not the server) cannot write it out: it
		// waits for one that can, rather than stopping every other message.
		roles, why = nil, "no Resolve or Render configured"
	}
	for _, role := range roles {
		people, err := o.cfg.Resolve(tx, role, now)
		if err != nil {
			// Not the message's fault, and not a reason to hold up the rest of the queue.
			why = "resolving " + role + ": " + err.Error()
			continue
		}
		reached := 0
		for _, r := range people {
			c := &Message{
				Key: p.Key + ":" + hex.EncodeToString(o.box.Hash(r.Number)[:8]), Kind: p.Kind,
				Audience: r.Audience, Cause: p.Cause, ContactID: p.ContactID, To: r.Number, Lang: r.Lang,
				Text: o.cfg.Render(p.Template, r.Lang, p.Args), Template: p.Template, Args: p.Args,
				Provider: p.Provider, Parent: p.ID,
			}
			if c.Audience == "" {
				c.Audience = p.Audience
			}
			fresh, err := o.Enqueue(tx, c)
			switch code := onestop.ErrorCode(err); {
			case err == nil && fresh:
				reached++
			case err == nil:
				// Written out before (the role was resolved again). A message cancelled because
				// its recipient had left the role is hers again now that she holds it.
				prev, err := o.Get(tx, c.ID)
				if err != nil {
					return err
				}
				if prev.State == Cancelled && strings.Contains(prev.Error, "no longer holds the role") &&
					(o.cfg.Known == nil || o.cfg.Known(tx, prev.Audience, r.Number)) {
					prev.State, prev.NextAttempt, prev.Updated, prev.Error = Queued, now, now, ""
					if err := o.put(tx, prev); err != nil {
						return err
					}
				}
				if prev.State != Cancelled && prev.State != Dead {
					reached++
				}
			case code == onestop.EINVALID || code == onestop.EFORBIDDEN:
				why = onestop.ErrorMessage(err)
				o.log.Warn("outbox: a holder of the role was refused", "id", p.ID, "role", role, "err", why)
			default:
				return err
			}
		}
		if reached > 0 {
			p.State, p.NextAttempt, p.Updated, p.Error = Expanded, time.Time{}, now, ""
			if role != p.Role {
				p.Error = "nobody held " + p.Role + "; sent to " + role
			}
			return o.put(tx, p)
		}
	}
	p.NextAttempt, p.Updated, p.Error = now.Add(nobodyWait), now, "nobody to receive it"
	if p.State != Failed {
		p.State = Queued
	}
	if why != "" {
		p.Error += " (" + why + ")"
	}
	o.log.Warn("outbox: nobody to receive a message", "id", p.ID, "role", p.Role, "template", p.Template)
	return o.put(tx, p)
}

// maskDigits hides every run of six or more digits in a provider's answer, which is stored
// unsealed and shown to staff: some providers name the number they refused.
func maskDigits(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); {
		j := i
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
		}
		if j-i >= 6 {
			for k := i; k < j; k++ {
				b[k] = '#'
			}
		}
		if j == i {
			j++
		}
		i = j
	}
	return string(b)
}

// callbackMaxBackoff caps the wait between two tries of a callback note: her window is hours
// long, and the counsellor must hear of it inside it.
const callbackMaxBackoff = 5 * time.Minute

// urgentMaxBackoff caps the wait between two tries of an urgent alert.
const urgentMaxBackoff = time.Minute

// settle records a send's outcome. unsent means the send never started.
func (o *Outbox) settle(m *Message, rc Receipt, sendErr error, unsent bool) error {
	// The outcome is written even when ctx is ending: a message must not stay "sending".
	ctx := context.Background()
	return o.write(ctx, func(tx onestop.Tx, hooks bool) error {
		cur, err := o.Get(tx, m.ID)
		if err != nil {
			return err
		}
		now := o.db.Now()
		cur.Updated = now
		switch {
		case unsent:
			cur.State, cur.Attempts, cur.NextAttempt = Queued, max(cur.Attempts-1, 0), now
		case sendErr == nil:
			cur.State, cur.ProviderID, cur.Error, cur.NextAttempt = Sent, rc.ProviderID, "", time.Time{}
			if rc.Delivered {
				cur.State = Delivered
			}
			if rc.Segments > 0 {
				cur.Segments = rc.Segments
			}
			if cur.Kind == Call {
				if err := o.recordBridge(tx, cur, casebook.BridgePlaced, "", now); err != nil {
					return err
				}
			}
			if urgent(cur.Cause) && hooks && o.cfg.OnSent != nil {
				if err := o.cfg.OnSent(tx, cur); err != nil {
					return &hookError{err}
				}
			}
			if rc.ProviderID != "" {
				idx, err := tx.Bucket(store.Outbox).CreateBucketIfNotExists(providerIndex)
				if err != nil {
					return err
				}
				if err := idx.Put([]byte(cur.Provider+":"+rc.ProviderID), store.U64(cur.ID)); err != nil {
					return err
				}
			}
		default:
			var se *SendError
			permanent := errors.As(sendErr, &se) && se.Permanent
			cur.Error = maskDigits(sendErr.Error())
			// An urgent alert is not given up on because its provider is down: it is tried
			// again, at most a minute apart, until it goes or is refused for good. Nor is a
			// callback note while her window is open: it is tried every few minutes, and the
			// check at each claim cancels it once the callback is no longer owed.
			owed := urgent(cur.Cause) || cur.Cause == CauseCallback
			if cur.Kind == Call {
				// A call is placed at most once per press: the counsellor presses again.
				return o.callDead(tx, cur, now, cur.Error, hooks)
			}
			if permanent || (cur.Attempts >= o.cfg.MaxAttempts && !owed) {
				return o.dead(tx, cur, now, cur.Error, hooks)
			}
			wait := o.backoff(cur.Attempts)
			if urgent(cur.Cause) {
				wait = min(wait, urgentMaxBackoff)
			} else if cur.Cause == CauseCallback {
				wait = min(wait, callbackMaxBackoff)
			}
			if se != nil && se.RetryAfter > wait {
				wait = se.RetryAfter
				if urgent(cur.Cause) {
					// A provider that asks for an hour does not get an hour of an alert: it
					// is asked again within the minute, as in any outage.
					wait = min(wait, urgentMaxBackoff)
				}
			}
			cur.State, cur.NextAttempt = Failed, now.Add(wait)
			if urgent(cur.Cause) && hooks && o.cfg.OnRetry != nil {
				if err := o.cfg.OnRetry(tx, cur); err != nil {
					return &hookError{err}
				}
			}
		}
		return o.put(tx, cur)
	})
}

// backoff is the wait after the n-th failed attempt: base·2ⁿ⁻¹ capped, with jitter over its upper
// half, so that many messages failing together do not all return at once.
func (o *Outbox) backoff(n int) time.Duration {
	d := o.cfg.Backoff
	for i := 1; i < n && d < o.cfg.MaxBackoff; i++ {
		d *= 2
	}
	d = min(d, o.cfg.MaxBackoff)
	return d/2 + rand.N(d/2+1)
}

// limiter is the rate limit per provider, as two token buckets. Every message takes a token from
// the provider's whole bucket (its rate, holding one second of the reserved share and one more);
// a message that is not urgent also takes one from the ordinary bucket, which fills at the
// unreserved share of the rate and holds one. Ordinary texts can so use at most 1-reserve of the
// rate, and what they leave fills the whole bucket for alerts.
type limiter struct {
	mu       sync.Mutex
	rate     float64
	reserve  float64
	now      func() time.Time
	all, ord map[string]*tokens
}

type tokens struct {
	n  float64
	at time.Time
}

func newLimiter(rate, reserve float64, now func() time.Time) *limiter {
	return &limiter{rate: rate, reserve: reserve, now: now, all: map[string]*tokens{}, ord: map[string]*tokens{}}
}

// fill brings the provider's bucket in m up to now, at rate up to size, and returns it.
func fill(m map[string]*tokens, provider string, now time.Time, rate, size float64) *tokens {
	t := m[provider]
	if t == nil {
		t = &tokens{n: size, at: now}
		m[provider] = t
	}
	if d := now.Sub(t.at).Seconds(); d > 0 {
		t.n = min(size, t.n+d*rate)
		t.at = now
	}
	return t
}

// take takes a turn for a message to provider, or returns how long until one is free.
func (l *limiter) take(provider string, urg bool) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	all := fill(l.all, provider, now, l.rate, 1+l.rate*l.reserve)
	wait := 0.0
	if all.n < 1 {
		wait = (1 - all.n) / l.rate
	}
	var ord *tokens
	if !urg {
		r := l.rate * (1 - l.reserve)
		ord = fill(l.ord, provider, now, r, 1)
		if ord.n < 1 {
			wait = max(wait, (1-ord.n)/r)
		}
	}
	if wait > 0 {
		// At least a millisecond, so that a wait never rounds to nothing and spins.
		return max(time.Duration(wait*float64(time.Second)), time.Millisecond)
	}
	all.n--
	if ord != nil {
		ord.n--
	}
	return 0
}

// refund gives back a turn taken for a message that was not sent after all.
func (l *limiter) refund(provider string, urg bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if t := l.all[provider]; t != nil {
		t.n = min(t.n+1, 1+l.rate*l.reserve)
	}
	if t := l.ord[provider]; t != nil && !urg {
		t.n = min(t.n+1, 1)
	}
}
