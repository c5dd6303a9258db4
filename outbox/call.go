package outbox

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/phone"
)

// A bridged callback is a Call message to a survivor, with Leg the counsellor's number. The
// provider calls Leg first; when the counsellor answers and presses a key, the provider's
// webhook asks Connect for her number, which checks her Safe Contact Plan again at that moment,
// and dials her from the helpline's caller id. Every step is recorded on her case
// (casebook.RecordBridge) and in the audit log. A call is placed at most once per press: it is
// never retried, and a crash while placing it leaves it failed for the operator.

// CallRequest is what a Dialer places: call First, then, once it is answered, the provider's
// webhook for message ID connects the survivor. Her number is not in it: it is given only to
// the webhook, at the moment of dialling her, by Connect.
type CallRequest struct {
	// ID is the outbox message; webhooks name it in their path.
	ID uint64
	// Key is the message's idempotency key (no number in it).
	Key string
	// First is the counsellor's E.164 number, called first.
	First string
	// Country is the ISO country of her number: the helpline's caller id is chosen by it.
	Country string
}

// Dialer places bridged calls through one provider's outbound call API.
type Dialer interface {
	// Name is the provider's name for calls, as messages name it (e.g. "twilio-call").
	Name() string
	// Dial asks the provider to call r.First. An error that is a *SendError says what the
	// provider answered; a call is never retried whatever it says.
	Dial(ctx context.Context, r CallRequest) (Receipt, error)
}

// DialSender makes d the Sender the outbox hands call requests for d.Name() to. It refuses
// texts.
func DialSender(d Dialer) Sender { return dialSender{d} }

type dialSender struct{ d Dialer }

func (s dialSender) Name() string { return s.d.Name() }

func (s dialSender) Send(ctx context.Context, m *Message) (Receipt, error) {
	if m.Kind != Call || m.Leg == "" {
		return Receipt{}, &SendError{Permanent: true, Msg: s.d.Name() + ": only bridged calls"}
	}
	country := ""
	if n, err := phone.Parse(m.To, ""); err == nil {
		country = n.Region
	}
	return s.d.Dial(ctx, CallRequest{ID: m.ID, Key: m.Key, First: m.Leg, Country: country})
}

// validateLeg checks a call's first leg, when it has one (Bridge always gives one); a text has
// none.
func validateLeg(m *Message) error {
	if m.Kind != Call {
		if m.Leg != "" {
			return onestop.Errorf(onestop.EINVALID, "only a call has a first leg")
		}
		return nil
	}
	if m.Leg == "" {
		return nil
	}
	n, err := phone.Parse(m.Leg, "")
	if err != nil || !strings.HasPrefix(m.Leg, "+") {
		return onestop.Errorf(onestop.EINVALID, "the counsellor's number is not an E.164 number")
	}
	if n.E164 == m.To {
		return onestop.Errorf(onestop.EINVALID, "the counsellor's number is the survivor's")
	}
	m.Leg = n.E164
	return nil
}

// callDead makes call m dead with reason and records on her case that it was refused or
// failed, in tx.
func (o *Outbox) callDead(tx onestop.Tx, m *Message, now time.Time, reason string, hooks bool) error {
	if err := o.dead(tx, m, now, reason, hooks); err != nil {
		return err
	}
	outcome := casebook.BridgeFailed
	if strings.HasPrefix(reason, "refused: ") {
		outcome = casebook.BridgeRefused
	}
	return o.recordBridge(tx, m, outcome, reason, now)
}

func (o *Outbox) recordBridge(tx onestop.Tx, m *Message, outcome casebook.BridgeOutcome, reason string, now time.Time) error {
	if o.cases == nil || m.ContactID == 0 {
		return nil
	}
	_, err := o.cases.RecordBridge(tx, m.ContactID, m.Key, "system", outcome, maskDigits(reason), now)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND {
		return nil // purged meanwhile
	}
	return err
}

// CallProvider is the provider name a Dialer for provider's calls uses: "twilio-call".
func CallProvider(provider string) string { return provider + "-call" }

// PressKey returns a fresh idempotency key for one press of Call on contact id: the console puts
// it in the form, so that the same press sent twice queues one call.
func PressKey(id uint64) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "bridge:" + strconv.FormatUint(id, 10) + ":" + hex.EncodeToString(b[:])
}

// Bridge queues a bridged callback to the survivor of contact id, for the console user by whose
// phone is counsellor, through provider's Dialer (CallProvider(provider)), keyed by press
// (PressKey). Her plan is checked now and again at each step: a call it does not allow is
// recorded on her case as refused, with the reason, and never placed; Bridge then returns the
// EFORBIDDEN refusal. A press already queued returns the same message ID and queues nothing.
func (o *Outbox) Bridge(ctx context.Context, id uint64, by, counsellor, provider, press string) (msgID uint64, err error) {
	if !strings.HasPrefix(press, "bridge:"+strconv.FormatUint(id, 10)+":") {
		return 0, onestop.Errorf(onestop.EINVALID, "the press does not name this contact")
	}
	var refused error
	err = o.db.Update(ctx, func(tx onestop.Tx) error {
		refused = nil
		now := o.db.Now()
		c, err := o.cases.Get(tx, id)
		if err != nil {
			return err
		}
		to := c.Caller
		if c.Plan != nil && c.Plan.Number != "" {
			to = c.Plan.Number
		}
		if to == "" {
			to = "+0" // no number kept: refused below, for she agreed to no call
		}
		m := &Message{Key: press, Kind: Call, Audience: Survivor, Cause: CausePlan, ContactID: id, To: to, Leg: counsellor, Provider: CallProvider(provider)}
		fresh, err := o.Enqueue(tx, m)
		switch onestop.ErrorCode(err) {
		case "":
		case onestop.EFORBIDDEN, onestop.EINVALID:
			if onestop.ErrorCode(err) == onestop.EINVALID && c.Plan != nil && c.Plan.MayCall && to != "+0" {
				return err // a malformed request (the counsellor's number), not her plan
			}
			refused = onestop.Errorf(onestop.EFORBIDDEN, "%s", onestop.ErrorMessage(err))
			_, rerr := o.cases.RecordBridge(tx, id, press, by, casebook.BridgeRefused, onestop.ErrorMessage(err), now)
			return rerr
		default:
			return err
		}
		msgID = m.ID
		if !fresh {
			return nil
		}
		_, err = o.cases.RecordBridge(tx, id, press, by, casebook.BridgeRequested, "", now)
		return err
	})
	if err != nil {
		return 0, err
	}
	if refused != nil {
		return 0, refused
	}
	o.Wake()
	return msgID, nil
}

// Connect returns the number to dial for bridged call id, at the moment of dialling her, after
// her Safe Contact Plan's checks run again (window, number, do-not-contact). A call they refuse
// now is recorded on her case and Connect returns EFORBIDDEN: the webhook hangs up. Returns
// ENOTFOUND for no such call.
func (o *Outbox) Connect(ctx context.Context, id uint64) (number string, err error) {
	var refused error
	err = o.db.Update(ctx, func(tx onestop.Tx) error {
		refused = nil
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		if m.Kind != Call || m.Leg == "" {
			return onestop.Errorf(onestop.ENOTFOUND, "no bridged call %d", id)
		}
		if m.State != Sent {
			refused = onestop.Errorf(onestop.EFORBIDDEN, "the call is %s", m.State)
			return nil
		}
		now := o.db.Now()
		if err := o.check(tx, m, now); err != nil {
			if onestop.ErrorCode(err) != onestop.EFORBIDDEN {
				return err
			}
			refused = err
			m.State, m.Updated, m.Error = Dead, now, "refused at dialling: "+onestop.ErrorMessage(err)
			if err := o.put(tx, m); err != nil {
				return err
			}
			return o.recordBridge(tx, m, casebook.BridgeRefused, "at dialling: "+onestop.ErrorMessage(err), now)
		}
		// Dialled once: a repeat of the webhook does not dial her again.
		m.State, m.Updated = Delivered, now
		number = m.To
		return o.put(tx, m)
	})
	if err != nil {
		return "", err
	}
	if refused != nil {
		return "", refused
	}
	return number, nil
}

// CallOutcome records what a provider reported of bridged call id: answered, no answer, busy,
// failed or not safe. A report repeated (a provider's retry) is recorded once: fresh is false.
// Returns ENOTFOUND for no such call.
func (o *Outbox) CallOutcome(ctx context.Context, id uint64, outcome casebook.BridgeOutcome, reason string) (fresh bool, err error) {
	err = o.db.Update(ctx, func(tx onestop.Tx) error {
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		if m.Kind != Call || m.Leg == "" {
			return onestop.Errorf(onestop.ENOTFOUND, "no bridged call %d", id)
		}
		if o.cases == nil || m.ContactID == 0 {
			return nil
		}
		fresh, err = o.cases.RecordBridge(tx, m.ContactID, m.Key, "system", outcome, maskDigits(reason), o.db.Now())
		return err
	})
	return fresh, err
}

// CallerIDs is the helpline's caller id per country: the neutral number a bridged call shows
// on her phone, by the ISO country of her number ("BD": "+8809612000000").
type CallerIDs map[string]string

// For returns the caller id for country, "" when none is configured: the call is then not
// placed, for no other number may show on her phone.
func (c CallerIDs) For(country string) string { return c[strings.ToUpper(country)] }

// ParseCallerIDs reads "BD:+8809612000000,IN:+918069000000" (ONESTOP_VOICE_CALLER_ID). Returns
// EINVALID for an entry that is not COUNTRY:E164.
func ParseCallerIDs(s string) (CallerIDs, error) {
	out := CallerIDs{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		cc, num, ok := strings.Cut(f, ":")
		cc = strings.ToUpper(strings.TrimSpace(cc))
		n, err := phone.Parse(strings.TrimSpace(num), "")
		if !ok || len(cc) != 2 || err != nil || !strings.HasPrefix(strings.TrimSpace(num), "+") {
			return nil, onestop.Errorf(onestop.EINVALID, "caller id %q: want COUNTRY:+E164", f)
		}
		out[cc] = n.E164
	}
	return out, nil
}

// Connected returns, for bridged call id that Connect has let through, her number again, after
// her plan's checks run once more: for a provider whose flow asks for the number in a step of
// its own after the step that decided to connect (Exotel). Returns EFORBIDDEN for a call
// Connect has not let through or that the checks now refuse, ENOTFOUND for no such call.
func (o *Outbox) Connected(ctx context.Context, id uint64) (number string, err error) {
	err = o.db.View(ctx, func(tx onestop.Tx) error {
		m, err := o.Get(tx, id)
		if err != nil {
			return err
		}
		if m.Kind != Call || m.Leg == "" {
			return onestop.Errorf(onestop.ENOTFOUND, "no bridged call %d", id)
		}
		if m.State != Delivered {
			return onestop.Errorf(onestop.EFORBIDDEN, "the call was not connected")
		}
		if err := o.check(tx, m, o.db.Now()); err != nil {
			return err
		}
		number = m.To
		return nil
	})
	return number, err
}

// CounsellorPhones is each console user's own phone, called first on a bridged callback
// ("cara": "+8801911000003").
type CounsellorPhones map[string]string

// ParseCounsellorPhones reads "cara:+8801911000003,sara:+8801911000004"
// (ONESTOP_COUNSELLOR_PHONE). Returns EINVALID for an entry that is not USER:E164.
func ParseCounsellorPhones(s string) (CounsellorPhones, error) {
	out := CounsellorPhones{}
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == ';' }) {
		user, num, ok := strings.Cut(f, ":")
		num = strings.TrimSpace(num)
		n, err := phone.Parse(num, "")
		if !ok || strings.TrimSpace(user) == "" || err != nil || !strings.HasPrefix(num, "+") {
			return nil, onestop.Errorf(onestop.EINVALID, "counsellor phone %q: want USER:+E164", f)
		}
		out[strings.TrimSpace(user)] = n.E164
	}
	return out, nil
}

// BridgeFunc is console.Config.Call: a press of Call by a console user, placed through
// provider's Dialer with the user's phone from phones. A user with no phone gets EINVALID and
// nothing is queued.
func (o *Outbox) BridgeFunc(phones CounsellorPhones, provider string) func(ctx context.Context, id uint64, by, press string) error {
	return func(ctx context.Context, id uint64, by, press string) error {
		n := phones[by]
		if n == "" {
			return onestop.Errorf(onestop.EINVALID, "no phone is set for %s: a bridged call calls the counsellor's phone first", by)
		}
		_, err := o.Bridge(ctx, id, by, n, provider, press)
		return err
	}
}
