// Package outbox owns everything the helpline sends: SMS to community workers, officials,
// counsellors and centres, and the rare message or call a survivor agreed to. Every outbound
// message goes through one durable queue in bbolt with an idempotency key, a state, attempts
// and a next attempt; a loop sends what is due through a Sender, with exponential backoff and
// jitter and a rate limit per provider, and reconciles after a restart what was being sent.
//
// It must never send anything to a survivor outside the Safe Contact Plan she gave in that
// conversation (that channel, that number, inside her window), whoever asks and however the
// request was built; never send anything because a session ended or a call was missed; and never
// put a word that names the service in a text to a survivor unless the operator turned that on.
// Numbers and texts are sealed at rest, and logs carry numbers only masked.
package outbox

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"go.etcd.io/bbolt"
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
	// CauseEscalation: an urgent contact nobody acknowledged, or whose alert was not delivered,
	// raised to the fallback list.
	CauseEscalation Cause = "escalation"
	// Never sent, to anyone: a dropped session or a missed call is not consent.
	CauseSessionEnded Cause = "session-ended"
	CauseMissedCall   Cause = "missed-call"
)

// State is where a message stands.
type State string

// The states. queued → sending → sent → delivered; a send that fails is failed with a next
// attempt, and dead once it never will be sent (refused, permanent error, attempts exhausted,
// dropped by the operator).
const (
	Queued    State = "queued"
	Sending   State = "sending"
	Sent      State = "sent"
	Delivered State = "delivered"
	Failed    State = "failed"
	Dead      State = "dead"
)

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
	// To is the E.164 number and Text the words: both sealed at rest.
	To   string       `json:"-"`
	Text string       `json:"-"`
	Lang onestop.Lang `json:"lang,omitempty"`
	// Provider names the Sender to use; empty means the outbox's default.
	Provider string `json:"provider"`
	// Role addresses a staff message to whoever holds a role ("duty", "fallback") when it is
	// sent, rather than to a number: To is empty until then, so a shift change never strands it.
	Role string `json:"role,omitempty"`
	// Template and Args are the words of a role-addressed message, rendered in each
	// recipient's language when it is sent.
	Template string   `json:"template,omitempty"`
	Args     []string `json:"args,omitempty"`
	// Parent is the message this one was expanded from or escalates.
	Parent uint64 `json:"parent,omitempty"`

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
	Known func(tx *bbolt.Tx, a Audience, number string) bool
	// Resolve names who holds role at a moment: "duty" is the counsellors on duty, "fallback"
	// the escalation list. A role-addressed message goes to "duty" and, with nobody there, to
	// "fallback"; with nobody at all it stays queued and is tried again.
	Resolve func(tx *bbolt.Tx, role string, at time.Time) ([]Recipient, error)
	// Render gives the words of template in lang with args.
	Render func(template string, lang onestop.Lang, args []string) string
	// OnDead, when set, is called inside the write that makes a message dead or records it
	// failed or undelivered, so whoever queued it can act on it in the same commit.
	OnDead func(tx *bbolt.Tx, m *Message) error
	// Backoff is the first retry's base wait; each failure doubles it, up to MaxBackoff, with
	// jitter.
	Backoff, MaxBackoff time.Duration
	// MaxAttempts is how many sends are tried before a message is dead.
	MaxAttempts int
	// Rate is messages per second per provider (0: 5).
	Rate float64
	// Poll is how often the loop looks for due messages (0: 500 ms).
	Poll time.Duration
	Log  *slog.Logger
}

// Recipient is one person a role resolves to.
type Recipient struct {
	Number   string
	Lang     onestop.Lang
	Audience Audience
}

// Outbox is the queue. It is safe for concurrent use.
type Outbox struct {
	db    *store.DB
	box   *seal.Box
	cases *casebook.Casebook
	cfg   Config
	log   *slog.Logger

	mu   sync.Mutex
	next map[string]time.Time // per provider: when the next send may start
	wake chan struct{}
}

// New returns the outbox on db.
func New(db *store.DB, box *seal.Box, cases *casebook.Casebook, cfg Config) *Outbox {
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
	return &Outbox{db: db, box: box, cases: cases, cfg: cfg, log: cfg.Log, next: map[string]time.Time{}, wake: make(chan struct{}, 1)}
}

// record is a message as it lies on disk.
type record struct {
	Message
	ToSealed   []byte `json:"to"`
	TextSealed []byte `json:"text"`
}

// Indexes inside the Outbox bucket. Their names are not 8 bytes long, so they never collide with
// a message's key; iteration skips them because a bucket's value is nil.
var (
	keyIndex      = []byte("idempotency")
	providerIndex = []byte("provider-ids")
)

// Enqueue queues m in tx, after the safety rules (see check). It sets m's ID, state, encoding and
// segments; those are final once tx commits. A message whose Key was queued before is not queued
// again: m gets the earlier message's ID and fresh is false. Returns EINVALID for a malformed
// message and EFORBIDDEN for one the safety rules refuse; nothing is written then.
func (o *Outbox) Enqueue(tx *bbolt.Tx, m *Message) (fresh bool, err error) {
	if err := o.validate(m); err != nil {
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
	err = o.db.Update(ctx, func(tx *bbolt.Tx) error {
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
	return nil
}

// check applies the safety rules to m at now. They hold for every caller of the outbox:
//
//   - nothing is sent because a session ended or a call was missed;
//   - a text to a survivor or an unregistered sender names neither the service nor what it is
//     for, unless the operator turned NameService on;
//   - a message or call to a survivor needs her contact's Safe Contact Plan to allow that
//     channel, that number and that moment; a dropped or do-not-contact contact allows nothing;
//   - an unregistered sender gets only a reply to the message she sent;
//   - a staff message goes only to a number registered for that role (when Known is set).
//
// It runs when a message is queued and again just before each send, since her window can close
// and her plan can change while a message waits. Returns EFORBIDDEN with the reason.
func (o *Outbox) check(tx *bbolt.Tx, m *Message, now time.Time) error {
	if m.Cause == CauseSessionEnded || m.Cause == CauseMissedCall {
		return onestop.Errorf(onestop.EFORBIDDEN, "nothing is sent because a session ended or a call was missed")
	}
	switch m.Audience {
	case Survivor:
		if m.Kind == SMS {
			if w := o.betraying(m.Text); w != "" {
				return onestop.Errorf(onestop.EFORBIDDEN, "the text names the service (%q)", w)
			}
		}
		return o.allowedBySurvivor(tx, m, now)
	case Unregistered:
		if w := o.betraying(m.Text); w != "" {
			return onestop.Errorf(onestop.EFORBIDDEN, "the text names the service (%q)", w)
		}
		if m.InReplyTo == "" || m.Kind != SMS {
			return onestop.Errorf(onestop.EFORBIDDEN, "an unregistered sender only gets a reply to her message")
		}
		return nil
	}
	if o.cfg.Known != nil && !o.cfg.Known(tx, m.Audience, m.To) {
		return onestop.Errorf(onestop.EFORBIDDEN, "the number is not registered as a %s", m.Audience)
	}
	return nil
}

func (o *Outbox) allowedBySurvivor(tx *bbolt.Tx, m *Message, now time.Time) error {
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
// the text.
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

func (o *Outbox) put(tx *bbolt.Tx, m *Message) error {
	r := record{Message: *m, ToSealed: o.box.SealString(m.To), TextSealed: o.box.SealString(m.Text)}
	v, err := json.Marshal(&r)
	if err != nil {
		return err
	}
	return tx.Bucket(store.Outbox).Put(store.U64(m.ID), v)
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
	return &m, nil
}

// Get returns message id from tx. Returns ENOTFOUND if none.
func (o *Outbox) Get(tx *bbolt.Tx, id uint64) (*Message, error) {
	v := tx.Bucket(store.Outbox).Get(store.U64(id))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no message %d", id)
	}
	return o.decode(v)
}

// Message returns message id. Returns ENOTFOUND if none.
func (o *Outbox) Message(id uint64) (m *Message, err error) {
	err = o.db.View(func(tx *bbolt.Tx) error {
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
func (o *Outbox) List(f Filter) ([]*Message, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*Message
	err := o.db.View(func(tx *bbolt.Tx) error {
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
	err := o.db.Update(ctx, func(tx *bbolt.Tx) error {
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
	return o.db.Update(ctx, func(tx *bbolt.Tx) error {
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		switch m.State {
		case Sent, Delivered:
			return onestop.Errorf(onestop.ECONFLICT, "message %d is already %s", id, m.State)
		case Sending:
			return onestop.Errorf(onestop.ECONFLICT, "message %d is being sent", id)
		}
		m.State, m.NextAttempt, m.Updated, m.Error = Dead, time.Time{}, o.db.Now(), "dropped by the operator"
		return o.put(tx, m)
	})
}

// Report records a provider's delivery report for the message it knows as providerID: sent
// (still on its way), delivered, or failed with a reason. A repeated report changes nothing; a
// report never moves a delivered message back. Returns ENOTFOUND for an id the outbox never sent.
func (o *Outbox) Report(ctx context.Context, provider, providerID string, st State, reason string) error {
	if st != Sent && st != Delivered && st != Failed {
		return onestop.Errorf(onestop.EINVALID, "a report is sent, delivered or failed")
	}
	return o.db.Update(ctx, func(tx *bbolt.Tx) error {
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
		return o.put(tx, m)
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
	if err := o.Reconcile(ctx, byName); closed(err) {
		return nil
	} else if err != nil {
		return err
	}
	t := time.NewTicker(o.cfg.Poll)
	defer t.Stop()
	for {
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
	return errors.Is(err, store.ErrClosed) || errors.Is(err, bbolt.ErrDatabaseNotOpen)
}

// Reconcile settles messages a stopped process left in the sending state. Whether the provider
// took such a message is unknown. A provider that drops repeats gets it again; so does a staff
// message, since a repeated alert is better than a lost one. A message to a survivor or an
// unregistered sender is not sent again blindly, since a second text on her phone can cost more
// than a missing one: it is marked failed for the operator to check and retry.
func (o *Outbox) Reconcile(ctx context.Context, senders map[string]Sender) error {
	return o.db.Update(ctx, func(tx *bbolt.Tx) error {
		b := tx.Bucket(store.Outbox)
		var stuck []*Message
		err := b.ForEach(func(k, v []byte) error {
			if v == nil || len(k) != 8 || !bytes.Contains(v, []byte(`"state":"sending"`)) {
				return nil
			}
			m, err := o.decode(v)
			if err != nil {
				return err
			}
			stuck = append(stuck, m)
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

// Flush sends every message that is due now, one at a time, and returns how many it handed to a
// provider.
func (o *Outbox) Flush(ctx context.Context, senders map[string]Sender) (int, error) {
	sent := 0
	skip := map[uint64]bool{}
	for ctx.Err() == nil {
		m, err := o.claim(ctx, senders, skip)
		if err != nil || m == nil {
			return sent, err
		}
		if !o.waitTurn(ctx, m.Provider) {
			// Stopping: put it back as it was, so nothing stays in flight.
			return sent, o.settle(m, Receipt{}, ctx.Err(), true)
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

// claim takes the next due message and marks it sending, after checking the safety rules again;
// a message they now refuse is dead and never sent. Returns nil when nothing is due. It looks in
// a read transaction first, so an idle queue costs no write and no fsync.
func (o *Outbox) claim(ctx context.Context, senders map[string]Sender, skip map[uint64]bool) (*Message, error) {
	due := func(k, v []byte, now time.Time) (*Message, error) {
		if v == nil || len(k) != 8 || skip[binary.BigEndian.Uint64(k)] {
			return nil, nil
		}
		if !bytes.Contains(v, []byte(`"state":"queued"`)) && !bytes.Contains(v, []byte(`"state":"failed"`)) {
			return nil, nil
		}
		m, err := o.decode(v)
		if err != nil || m.NextAttempt.IsZero() || m.NextAttempt.After(now) || senders[m.Provider] == nil {
			return nil, err
		}
		return m, nil
	}
	for ctx.Err() == nil {
		var next []byte
		err := o.db.View(func(tx *bbolt.Tx) error {
			now := o.db.Now()
			c := tx.Bucket(store.Outbox).Cursor()
			for k, v := c.First(); k != nil; k, v = c.Next() {
				m, err := due(k, v, now)
				if err != nil {
					return err
				}
				if m != nil {
					next = store.U64(m.ID)
					return nil
				}
			}
			return nil
		})
		if err != nil || next == nil {
			return nil, err
		}
		var claimed *Message
		err = o.db.Update(ctx, func(tx *bbolt.Tx) error {
			claimed = nil
			now := o.db.Now()
			m, err := due(next, tx.Bucket(store.Outbox).Get(next), now)
			if err != nil || m == nil {
				return err // the operator or another pass moved it meanwhile
			}
			if err := o.check(tx, m, now); err != nil {
				if onestop.ErrorCode(err) != onestop.EFORBIDDEN {
					return err
				}
				m.State, m.NextAttempt, m.Updated, m.Error = Dead, time.Time{}, now, "refused: "+onestop.ErrorMessage(err)
				return o.put(tx, m)
			}
			m.State, m.Attempts, m.Updated = Sending, m.Attempts+1, now
			claimed = m
			return o.put(tx, m)
		})
		// Whatever became of it, it is not looked at again in this pass.
		skip[binary.BigEndian.Uint64(next)] = true
		if err != nil || claimed != nil {
			return claimed, err
		}
	}
	return nil, ctx.Err()
}

// settle records a send's outcome. unsent means the send never started.
func (o *Outbox) settle(m *Message, rc Receipt, sendErr error, unsent bool) error {
	// The outcome is written even when ctx is ending: a message must not stay "sending".
	ctx := context.Background()
	return o.db.Update(ctx, func(tx *bbolt.Tx) error {
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
			cur.Error = sendErr.Error()
			if permanent || cur.Attempts >= o.cfg.MaxAttempts {
				cur.State, cur.NextAttempt = Dead, time.Time{}
			} else {
				wait := o.backoff(cur.Attempts)
				if se != nil && se.RetryAfter > wait {
					wait = se.RetryAfter
				}
				cur.State, cur.NextAttempt = Failed, now.Add(wait)
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

// waitTurn waits until provider may take another message under the rate limit. It reports false
// when ctx ended first.
func (o *Outbox) waitTurn(ctx context.Context, provider string) bool {
	o.mu.Lock()
	now := time.Now()
	at := o.next[provider]
	if at.Before(now) {
		at = now
	}
	o.next[provider] = at.Add(time.Duration(float64(time.Second) / o.cfg.Rate))
	o.mu.Unlock()
	if d := time.Until(at); d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return false
		case <-t.C:
		}
	}
	return ctx.Err() == nil
}
