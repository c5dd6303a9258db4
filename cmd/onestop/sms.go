package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// The SMS channel, the outbox and the commands around them: registered workers, the officials
// each district alerts, the counsellor on duty, and the queue of outbound messages.

// smsConfig is the SMS side's configuration, read from the environment.
type smsConfig struct {
	AT africastalking.Config // ONESTOP_AT_*
	// Twilio is ONESTOP_TWILIO_*, and ONESTOP_PUBLIC_URL: the URL Twilio calls, for signatures.
	Twilio twilio.Config

	// RemindAfter is how long a referral goes without news before a reminder
	// (ONESTOP_REFERRAL_REMIND_DAYS, default 3).
	RemindAfter time.Duration
	// NameService lets texts to survivors and unregistered senders name the service
	// (ONESTOP_SMS_NAME_SERVICE=1). Off by default.
	NameService bool
	// EscalateAfter is how long an urgent contact may go unacknowledged before it is escalated
	// to the fallback list (ONESTOP_ALERT_ESCALATE, a Go duration; 0 here means the default).
	EscalateAfter time.Duration
}

// defaultEscalateAfter is ONESTOP_ALERT_ESCALATE's default.
const defaultEscalateAfter = 10 * time.Minute

func readSMSConfig() (smsConfig, error) {
	c := smsConfig{
		AT: africastalking.Config{
			Username: os.Getenv("ONESTOP_AT_USERNAME"), APIKey: os.Getenv("ONESTOP_AT_API_KEY"),
			BaseURL: os.Getenv("ONESTOP_AT_BASE_URL"), Sender: os.Getenv("ONESTOP_AT_SENDER"),
		},
		Twilio: twilio.Config{
			AccountSID: os.Getenv("ONESTOP_TWILIO_ACCOUNT_SID"), AuthToken: os.Getenv("ONESTOP_TWILIO_AUTH_TOKEN"),
			BaseURL: os.Getenv("ONESTOP_TWILIO_BASE_URL"), From: os.Getenv("ONESTOP_TWILIO_FROM"),
			PublicURL: strings.TrimRight(os.Getenv("ONESTOP_PUBLIC_URL"), "/"),
		},
		RemindAfter: 3 * 24 * time.Hour,
	}
	if v := os.Getenv("ONESTOP_REFERRAL_REMIND_DAYS"); v != "" {
		d, err := strconv.Atoi(v)
		if err != nil || d < 1 || d > 365 {
			return c, fmt.Errorf("ONESTOP_REFERRAL_REMIND_DAYS: %q is not a number of days from 1 to 365", v)
		}
		c.RemindAfter = time.Duration(d) * 24 * time.Hour
	}
	c.NameService, _ = strconv.ParseBool(os.Getenv("ONESTOP_SMS_NAME_SERVICE"))
	c.EscalateAfter = defaultEscalateAfter
	if v := os.Getenv("ONESTOP_ALERT_ESCALATE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < time.Minute || d > 24*time.Hour {
			return c, fmt.Errorf("ONESTOP_ALERT_ESCALATE: %q is not a duration from 1m to 24h, such as 10m", v)
		}
		c.EscalateAfter = d
	}
	if c.Twilio.Enabled() && c.Twilio.PublicURL == "" {
		return c, errors.New("ONESTOP_PUBLIC_URL must be set with Twilio: its signatures cover the URL it calls")
	}
	if c.Twilio.Enabled() && c.Twilio.From == "" {
		return c, errors.New("ONESTOP_TWILIO_FROM must be set with Twilio: the number messages are sent from")
	}
	return c, nil
}

// defaultProvider is the provider a message goes through when nothing else decides: Africa's
// Talking, else Twilio, else the log.
func (c smsConfig) defaultProvider() string {
	switch {
	case c.AT.Enabled():
		return africastalking.Provider
	case c.Twilio.Enabled():
		return twilio.Provider
	}
	return outbox.LogName
}

// outbox returns the outbox on m's store. It holds no state of its own beyond the rate limit,
// so the hook that queues alerts inside a contact's write may build one whenever it runs.
func (m *Main) outbox(c smsConfig) *outbox.Outbox {
	if m.Outbox != nil {
		return m.Outbox
	}
	var betraying []string
	if m.Dir != nil {
		for _, ct := range m.Dir.Centres() {
			for _, n := range ct.Names {
				betraying = append(betraying, n)
			}
		}
	}
	return outbox.New(m.DB, m.Box, m.Cases, outbox.Config{
		Default: c.defaultProvider(), NameService: c.NameService, Betraying: betraying,
		Known: m.known, Resolve: m.resolve, Render: m.render, OnDead: m.onDead, OnRetry: m.onDead, DoNotContact: m.doNotContact, Log: m.Log,
	})
}

// doNotContact says whether she asked that number not be contacted, for a period still running.
// A mark that cannot be read counts as marked.
func (m *Main) doNotContact(tx *bbolt.Tx, number string, at time.Time) bool {
	marked, err := m.Cases.DoNotContact(tx, number, at)
	return marked || err != nil
}

// known says whether number is registered for a staff audience, so that nothing queued for
// "staff" can reach anyone else.
func (m *Main) known(tx *bbolt.Tx, a outbox.Audience, number string) bool {
	switch a {
	case outbox.Worker:
		w, err := m.Cases.GetWorker(tx, number)
		return err == nil && w != nil
	case outbox.Counsellor:
		// Anyone on the rota or the fallback list, not only whoever is on duty this second: an
		// alert resolved to her just before her shift ended is still hers to receive.
		return onRota(tx, m.Box, number)
	case outbox.Official:
		found := false
		forEachOfficial(tx, m.Box, func(o *official) { found = found || o.Number == number })
		return found
	case outbox.Centre:
		if m.Dir == nil {
			return false
		}
		for _, c := range m.Dir.Centres() {
			for _, p := range c.Phones {
				if p == number {
					return true
				}
			}
		}
	}
	return false
}

// openSMS builds the outbox and starts its sending loop and the referral reminders, and adds
// the SMS webhooks to the gateway.
func (m *Main) openSMS(ctx context.Context) error {
	c, err := readSMSConfig()
	if err != nil {
		return err
	}
	if m.Config.Simulate {
		// A simulation's messages reach nobody: whatever providers are configured, only the log.
		c.AT.Username, c.AT.APIKey, c.Twilio.AccountSID, c.Twilio.AuthToken = "", "", "", ""
	}
	m.smsConfig = c
	ob := m.outbox(c)
	// Built once: the Recorded hook and the sweeps run on every contact and must not rebuild it.
	m.Outbox = ob
	senders := []outbox.Sender{&outbox.LogSender{Log: m.Log}}
	if c.AT.Enabled() {
		senders = append(senders, africastalking.NewSender(c.AT))
	}
	if c.Twilio.Enabled() {
		senders = append(senders, twilio.NewSender(c.Twilio, m.Config.WebhookToken))
	}
	configured := map[string]bool{}
	for _, s := range senders {
		configured[s.Name()] = true
	}
	sms := flows.NewSMS(m.DB, m.Cases, m.Box, m.Dir, ob, flows.SMSConfig{
		RemindAfter: c.RemindAfter, DefaultCountry: strings.ToUpper(m.Config.Country), Log: m.Log,
		// Texts to workers and centres name a centre only when the operator allows naming.
		NameService: c.NameService,
		// A reply goes back the way the text came when that provider is configured.
		Via: func(p string) string {
			if configured[p] {
				return p
			}
			return c.defaultProvider()
		},
	})
	m.SMS = sms
	africastalking.RegisterSMS(m.Gateway, sms, ob)
	if c.Twilio.Enabled() {
		twilio.Register(m.Gateway, c.Twilio, sms, ob)
	}
	go func() {
		if err := ob.Run(ctx, senders...); err != nil {
			m.Log.Error("outbox stopped", "err", err)
		}
	}()
	go sms.RemindEvery(ctx, time.Hour)
	go m.callbacksEvery(ctx, time.Minute)
	go m.escalateEvery(ctx, time.Minute)
	m.warnNoRota()
	m.Log.Info("outbox sending", "default", c.defaultProvider())
	return nil
}

// onRecorded runs inside the write that records a contact, and may run more than once for one
// write: it only writes to tx, under idempotency keys. When a contact becomes urgent it opens
// her follow-up and queues a neutral alert to the role "duty", resolved to whoever is on duty
// when it is sent, and to each official of her district (once her district is known, or the
// country's fallback officials once she leaves with none); when she confirms a plan that allows
// a call, it records a callback task and queues a note to the role "duty" for when her window
// opens. Nothing is queued to her for a contact that was dropped or that she ended: that is not
// consent, and an alert already queued stays as it was. An alert the outbox will not take is
// written on her follow-up, so it shows on the console and is escalated.
func (m *Main) onRecorded(tx *bbolt.Tx, before, after *onestop.Contact) error {
	if after == nil || after.ID == 0 {
		return nil
	}
	ob := m.outbox(m.smsConfig)
	now := m.DB.Now()
	var fu *casebook.FollowUp
	var was []byte
	if after.Urgency == onestop.Urgent {
		f, err := m.followUp(tx, after, now)
		if err != nil {
			return err
		}
		fu = f
		// Written again only when this hop changed it: most hops of an urgent call change nothing.
		was = tx.Bucket(store.Urgent).Get(store.U64(after.ID))
	}
	alerts, err := m.alertsFor(tx, before, after)
	if err != nil {
		return err
	}
	for _, msg := range alerts {
		if _, err := m.queueFor(tx, ob, fu, msg); err != nil {
			return err
		}
	}
	if (before == nil || before.Plan == nil) && after.Plan != nil && after.Plan.MayCall {
		task := callbackTask{ContactID: after.ID, Ref: after.Ref, Due: after.Plan.Opens, Closes: after.Plan.Closes,
			Window: after.Plan.Window, TZ: after.Plan.TZ, Created: now}
		msg := callbackNote(after.ID, after.Ref, after.Plan)
		if ok, err := m.queueFor(tx, ob, fu, msg); err != nil {
			return err
		} else if ok {
			task.OutboxID = msg.ID
		}
		if err := tx.Bucket(store.Callbacks).Put(store.U64(after.ID), task.marshal()); err != nil {
			return err
		}
	}
	if fu != nil {
		if now, err := json.Marshal(fu); err != nil || !bytes.Equal(now, was) {
			return m.Cases.PutFollowUp(tx, fu)
		}
	}
	return nil
}

// alertsFor returns the alerts a change from before to after calls for: to the role on duty when
// she becomes urgent; to her district's officials when it becomes known while she is urgent; to
// her country's fallback officials when she leaves the conversation urgent with no district.
func (m *Main) alertsFor(tx *bbolt.Tx, before, after *onestop.Contact) ([]*outbox.Message, error) {
	var out []*outbox.Message
	becameUrgent := after.Urgency == onestop.Urgent && (before == nil || before.Urgency != onestop.Urgent)
	areaKnown := after.Area != "" && (before == nil || before.Area != after.Area || becameUrgent)
	if becameUrgent {
		out = append(out, &outbox.Message{
			Key: "alert:" + after.Ref + ":duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
			Role: roleDuty, Template: tmplAlert, Args: []string{after.Ref, district(after)},
		})
	}
	if after.Urgency == onestop.Urgent && areaKnown {
		out = append(out, m.officialAlerts(tx, after, after.Area)...)
	}
	leftOpen := after.Status != onestop.Open && (before == nil || before.Status == onestop.Open)
	if after.Urgency == onestop.Urgent && after.Area == "" && leftOpen {
		out = append(out, m.officialAlerts(tx, after, after.Country)...)
	}
	return out, nil
}

// officialAlerts are the alerts to the officials listed for area: a district, or a country code
// for the country's fallback officials.
func (m *Main) officialAlerts(tx *bbolt.Tx, c *onestop.Contact, area string) []*outbox.Message {
	var out []*outbox.Message
	if area == "" {
		return nil
	}
	forEachOfficial(tx, m.Box, func(o *official) {
		if o.District != area {
			return
		}
		out = append(out, &outbox.Message{
			Key:  "alert:" + c.Ref + ":official:" + o.District + ":" + hex.EncodeToString(m.Box.Hash(o.Number)[:8]),
			Kind: outbox.SMS, Audience: outbox.Official, Cause: outbox.CauseAlert,
			To: o.Number, Lang: o.Lang, Text: alertText(o.Lang, c.Ref, district(c)),
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
		Role:      roleDuty, Template: tmplCallback, Args: []string{ref, herClosing(p)}, NextAttempt: p.Opens,
	}
}

// herClosing is when her window closes, on her clock.
func herClosing(p *onestop.SafeContactPlan) string {
	closes := p.Closes
	if loc, err := time.LoadLocation(p.TZ); err == nil && p.TZ != "" {
		closes = closes.In(loc)
	}
	return closes.Format("15:04")
}

// queueFor queues msg in tx. A message the outbox refuses (a number it will not take, a
// malformed message) must not cost her contact its record, nor be only a log line: it is
// written on the follow-up fu, when there is one. Reports whether msg was queued.
func (m *Main) queueFor(tx *bbolt.Tx, ob *outbox.Outbox, fu *casebook.FollowUp, msg *outbox.Message) (bool, error) {
	_, err := ob.Enqueue(tx, msg)
	if code := onestop.ErrorCode(err); code == onestop.EFORBIDDEN || code == onestop.EINVALID {
		ref := ""
		if len(msg.Args) > 0 {
			ref = msg.Args[0]
		}
		m.Log.Warn("alert not queued", "contact", ref, "key", msg.Key, "audience", msg.Audience, "role", msg.Role, "err", onestop.ErrorMessage(err))
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

// notifyCallbacks queues the counsellor's note for every callback task that has none yet and
// whose window has not closed: a note the outbox did not take when she confirmed her plan is
// tried again. The note is addressed to the role on duty, so it reaches whoever is on duty when
// her window opens. Returns how many notes were queued.
func (m *Main) notifyCallbacks(ctx context.Context) (int, error) {
	ob := m.outbox(m.smsConfig)
	n := 0
	err := m.DB.Update(ctx, func(tx *bbolt.Tx) error {
		n = 0
		now := m.DB.Now()
		b := tx.Bucket(store.Callbacks)
		var waiting []callbackTask
		err := b.ForEach(func(_, v []byte) error {
			if t, err := unmarshalTask(v); err == nil && t.OutboxID == 0 && now.Before(t.Closes) {
				waiting = append(waiting, t)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, t := range waiting {
			ct, err := m.Cases.Get(tx, t.ContactID)
			if err != nil || ct.Plan == nil || !ct.Plan.MayCall || ct.Status != onestop.Open {
				continue // reached, or no longer to be called
			}
			msg := callbackNote(t.ContactID, t.Ref, ct.Plan)
			msg.NextAttempt = t.Due
			if _, err := ob.Enqueue(tx, msg); err != nil {
				if code := onestop.ErrorCode(err); code == onestop.EFORBIDDEN || code == onestop.EINVALID {
					continue
				}
				return err
			}
			t.OutboxID = msg.ID
			if err := b.Put(store.U64(t.ContactID), t.marshal()); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}

// callbacksEvery runs notifyCallbacks every interval until ctx ends or the store is closed.
func (m *Main) callbacksEvery(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := m.notifyCallbacks(ctx); errors.Is(err, store.ErrClosed) || errors.Is(err, bbolt.ErrDatabaseNotOpen) {
			return
		} else if err != nil && ctx.Err() == nil {
			m.Log.Error("callback notes failed", "err", err)
		}
	}
}

// district is the contact's district code, or its country when she chose none.
func district(c *onestop.Contact) string {
	if c.Area != "" {
		return c.Area
	}
	return c.Country
}

// callbackTask is a callback a survivor agreed to: due when her window opens. Her number is not
// in it; the counsellor finds it on her contact.
type callbackTask struct {
	ContactID uint64         `json:"contactId"`
	Ref       string         `json:"ref"`
	Due       time.Time      `json:"due"`
	Closes    time.Time      `json:"closes"`
	Window    onestop.Window `json:"window"`
	TZ        string         `json:"tz"`
	Created   time.Time      `json:"created"`
	OutboxID  uint64         `json:"outboxId,omitempty"`
}

// A task's record is binary, like a contact's, with its version first; tasks written before
// were JSON, and are still read. The reference is the contact's, made from its ID.
const taskBinary1 = 1

func (t *callbackTask) marshal() []byte {
	b := make([]byte, 0, 64+len(t.Window)+len(t.TZ))
	b = append(b, taskBinary1)
	b = binary.AppendUvarint(b, t.ContactID)
	b = store.AppendZonedTime(b, t.Due)
	b = store.AppendZonedTime(b, t.Closes)
	b = store.AppendString(b, string(t.Window))
	b = store.AppendString(b, t.TZ)
	b = store.AppendTime(b, t.Created)
	return binary.AppendUvarint(b, t.OutboxID)
}

func unmarshalTask(v []byte) (callbackTask, error) {
	var t callbackTask
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &t)
		return t, err
	}
	if len(v) == 0 || v[0] != taskBinary1 {
		return t, errors.New("callback task: unknown record format")
	}
	r := store.NewReader(v[1:])
	t.ContactID = r.Uvarint()
	t.Ref = casebook.Ref(t.ContactID)
	t.Due = r.ZonedTime()
	t.Closes = r.ZonedTime()
	t.Window = onestop.Window(r.String())
	t.TZ = r.String()
	t.Created = r.Time()
	t.OutboxID = r.Uvarint()
	return t, r.Err()
}

// The alerts staff receive. They carry the case reference and the district, never the
// survivor's number or words, and they read as routine to anyone looking over a shoulder.
var alertTexts = map[onestop.Lang]string{
	onestop.English: "Urgent case %[1]s, %[2]s. Please check the console now.",
	onestop.Bengali: "জরুরি কেস %[1]s, %[2]s। এখনই কনসোল দেখুন।",
	onestop.Hindi:   "ज़रूरी केस %[1]s, %[2]s। कृपया अभी कंसोल देखें।",
	onestop.Arabic:  "حالة عاجلة %[1]s، %[2]s. يرجى مراجعة لوحة التحكم الآن.",
}

var callbackTexts = map[onestop.Lang]string{
	onestop.English: "Callback due: case %[1]s, until %[2]s her time. Details in the console.",
	onestop.Bengali: "কলব্যাকের সময়: কেস %[1]s, তার সময় %[2]s পর্যন্ত। বিস্তারিত কনসোলে।",
	onestop.Hindi:   "कॉलबैक का समय: केस %[1]s, उनके समय %[2]s तक। विवरण कंसोल में।",
	onestop.Arabic:  "موعد الاتصال: الحالة %[1]s، حتى %[2]s بتوقيتها. التفاصيل في لوحة التحكم.",
}

func alertText(lang onestop.Lang, ref, district string) string {
	s, ok := alertTexts[lang]
	if !ok {
		s = alertTexts[onestop.English]
	}
	return fmt.Sprintf(s, ref, district)
}

func callbackText(lang onestop.Lang, ref string, p *onestop.SafeContactPlan) string {
	s, ok := callbackTexts[lang]
	if !ok {
		s = callbackTexts[onestop.English]
	}
	closes := p.Closes
	if loc, err := time.LoadLocation(p.TZ); err == nil && p.TZ != "" {
		closes = closes.In(loc)
	}
	return fmt.Sprintf(s, ref, closes.Format("15:04"))
}

// official is one person a district's urgent cases alert.
type official struct {
	District string       `json:"district"`
	Role     string       `json:"role"`
	Lang     onestop.Lang `json:"lang"`
	Number   string       `json:"-"`
	Masked   string       `json:"masked"`
	Sealed   []byte       `json:"number"`
}

func forEachOfficial(tx *bbolt.Tx, box *seal.Box, fn func(*official)) {
	tx.Bucket(store.Officials).ForEach(func(_, v []byte) error {
		var o official
		if json.Unmarshal(v, &o) != nil {
			return nil
		}
		n, err := box.OpenString(o.Sealed)
		if err != nil {
			return nil
		}
		o.Number = n
		fn(&o)
		return nil
	})
}

// dutyRecord is the counsellor on duty.
type dutyRecord struct {
	Number string       `json:"-"`
	Sealed []byte       `json:"number"`
	Masked string       `json:"masked"`
	Lang   onestop.Lang `json:"lang"`
	Since  time.Time    `json:"since"`
}

var dutyKey = []byte("on-duty")

func getDuty(tx *bbolt.Tx, box *seal.Box) (*dutyRecord, error) {
	v := tx.Bucket(store.Duty).Get(dutyKey)
	if v == nil {
		return nil, nil
	}
	var d dutyRecord
	if err := json.Unmarshal(v, &d); err != nil {
		return nil, fmt.Errorf("duty: %w", err)
	}
	n, err := box.OpenString(d.Sealed)
	if err != nil {
		return nil, fmt.Errorf("duty: %w", err)
	}
	d.Number = n
	return &d, nil
}

// e164 reads a number an operator typed; it must be a valid number in E.164.
func e164(s string) (phonenum.Number, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "+") {
		return phonenum.Number{}, fmt.Errorf("%q: give the number in international form, +880…", s)
	}
	n, err := phonenum.ParseValid(s, "")
	if err != nil {
		return phonenum.Number{}, fmt.Errorf("%q is not a valid phone number", s)
	}
	return n, nil
}

// knownAreas checks that every code is an area of the directory in force, as 'onestop directory
// areas' prints them, or a country it serves: an alert for a district nobody's contact can be in
// would never be sent.
func knownAreas(db *store.DB, codes ...string) error {
	if len(codes) == 0 || (len(codes) == 1 && codes[0] == "") {
		return nil
	}
	dir, err := directory.Load(db)
	if err != nil {
		return err
	}
	for _, code := range codes {
		if len(code) == 2 && len(dir.Top(code)) > 0 {
			continue // a served country: its fallback officials, for contacts with no district
		}
		if _, ok := dir.Area(code); !ok {
			return fmt.Errorf("%s is not an area of the directory; 'onestop directory areas' lists them", code)
		}
	}
	return nil
}

var areaCode = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,8}){0,3}$`)

const workerUsage = `usage:
  onestop worker add +8801… --name NAME --lang bn|hi|ar|en [--area CODE] [--data DIR]
  onestop worker list [--data DIR]
  onestop worker remove +8801… [--data DIR]`

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, workerUsage)
		return flag.ErrHelp
	}
	c := DefaultConfig()
	fs := flag.NewFlagSet("worker "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	name := fs.String("name", "", "the worker's name")
	lang := fs.String("lang", "", "the language replies are in: bn, hi, ar or en")
	area := fs.String("area", "", "the area code the worker covers, as 'onestop directory areas' prints it")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	switch args[0] {
	case "add", "remove":
		if len(pos) != 1 {
			return fmt.Errorf("worker %s takes one number\n%s", args[0], workerUsage)
		}
	case "list":
		if len(pos) != 0 {
			return fmt.Errorf("worker list takes no arguments")
		}
	default:
		return &exitError{code: 2, err: fmt.Errorf("unknown worker command %q\n%s", args[0], workerUsage)}
	}
	var num phonenum.Number
	if args[0] != "list" {
		if num, err = e164(pos[0]); err != nil {
			return err
		}
	}
	*area = strings.ToUpper(strings.TrimSpace(*area))
	if args[0] == "add" {
		if strings.TrimSpace(*name) == "" || !onestop.Lang(*lang).Valid() {
			return fmt.Errorf("worker add needs --name and --lang (bn, hi, ar or en)")
		}
		if *area != "" && !areaCode.MatchString(*area) {
			return fmt.Errorf("--area %q is not an area code such as BD-13", *area)
		}
	}
	db, box, err := openForCommand(c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	cases := casebook.New(db, box)
	switch args[0] {
	case "add":
		if err := knownAreas(db, *area); err != nil {
			return err
		}
		w := &casebook.Worker{Number: num.E164, Name: strings.TrimSpace(*name), Lang: onestop.Lang(*lang), Area: *area, Added: db.Now(), Masked: num.Mask()}
		if err := db.Update(ctx, func(tx *bbolt.Tx) error { return cases.PutWorker(tx, w) }); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "worker %s (%s) added\n", w.Name, w.Masked)
	case "remove":
		if err := db.Update(ctx, func(tx *bbolt.Tx) error { return cases.RemoveWorker(tx, num.E164) }); err != nil {
			return errors.New(onestop.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "worker %s removed\n", num.Mask())
	case "list":
		ws, err := cases.Workers()
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tNUMBER\tLANG\tAREA\tADDED")
		for _, w := range ws {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.Name, w.Masked, w.Lang, w.Area, w.Added.Format("2006-01-02"))
		}
		return tw.Flush()
	}
	return nil
}

func runOfficials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: onestop officials import FILE [--data DIR]   (CSV: district,role,number,language;\n" +
		"         a country code such as BD as district lists the country's fallback officials, alerted for\n" +
		"         urgent contacts with no district)\n       onestop officials list [--data DIR]"
	if len(args) == 0 || (args[0] != "import" && args[0] != "list") {
		fmt.Fprintln(stderr, usage)
		return &exitError{code: 2, err: errors.New("officials: import or list")}
	}
	c := DefaultConfig()
	fs := flag.NewFlagSet("officials "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	if args[0] == "list" {
		db, box, err := openForCommand(c, "")
		if err != nil {
			return err
		}
		defer db.Close()
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "DISTRICT\tROLE\tNUMBER\tLANG")
		db.View(func(tx *bbolt.Tx) error {
			forEachOfficial(tx, box, func(o *official) { fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.District, o.Role, o.Masked, o.Lang) })
			return nil
		})
		return tw.Flush()
	}
	if len(pos) != 1 {
		return fmt.Errorf("officials import takes one file\n%s", usage)
	}
	data, err := os.ReadFile(pos[0])
	if err != nil {
		return err
	}
	officials, err := parseOfficials(data)
	if err != nil {
		return err
	}
	db, box, err := openForCommand(c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	var districts []string
	for _, o := range officials {
		districts = append(districts, o.District)
	}
	if err := knownAreas(db, districts...); err != nil {
		return err
	}
	// The file replaces the list: an official taken off it is alerted no more.
	err = db.Update(ctx, func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket(store.Officials); err != nil {
			return err
		}
		b, err := tx.CreateBucket(store.Officials)
		if err != nil {
			return err
		}
		for i, o := range officials {
			o.Sealed = box.SealString(o.Number)
			v, err := json.Marshal(o)
			if err != nil {
				return err
			}
			if err := b.Put(store.U64(uint64(i+1)), v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	slices.Sort(districts)
	fmt.Fprintf(stdout, "%d officials in %d districts imported\n", len(officials), len(slices.Compact(districts)))
	return nil
}

// parseOfficials reads the officials CSV: district,role,number,language, with or without that
// header. Every bad line is reported, and nothing is imported if there is one.
func parseOfficials(data []byte) ([]*official, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("officials: %w", err)
	}
	var out []*official
	var bad []string
	for i, row := range rows {
		line := i + 1
		if i == 0 && len(row) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(row[0], "\ufeff")), "district") {
			continue
		}
		if len(row) != 4 {
			bad = append(bad, fmt.Sprintf("line %d: want 4 fields (district,role,number,language), got %d", line, len(row)))
			continue
		}
		d := strings.ToUpper(strings.TrimSpace(row[0]))
		role := strings.TrimSpace(row[1])
		lang := onestop.Lang(strings.ToLower(strings.TrimSpace(row[3])))
		n, err := e164(row[2])
		switch {
		case !areaCode.MatchString(d):
			bad = append(bad, fmt.Sprintf("line %d: district %q is not an area code such as BD-13", line, row[0]))
		case role == "":
			bad = append(bad, fmt.Sprintf("line %d: no role", line))
		case err != nil:
			bad = append(bad, fmt.Sprintf("line %d: %v", line, err))
		case !lang.Valid():
			bad = append(bad, fmt.Sprintf("line %d: language %q is not bn, hi, ar or en", line, row[3]))
		default:
			out = append(out, &official{District: d, Role: role, Lang: lang, Number: n.E164, Masked: n.Mask()})
		}
	}
	if len(bad) > 0 {
		return nil, fmt.Errorf("officials: nothing imported:\n  %s", strings.Join(bad, "\n  "))
	}
	if len(out) == 0 {
		return nil, errors.New("officials: the file lists no official")
	}
	return out, nil
}

func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	const usage = "usage: onestop outbox list [--state queued|sending|sent|delivered|failed|dead] [-n 100] [--data DIR]\n       onestop outbox retry ID [--data DIR]\n       onestop outbox drop ID [--data DIR]"
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return flag.ErrHelp
	}
	c := DefaultConfig()
	fs := flag.NewFlagSet("outbox "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	state := fs.String("state", "", "only messages in this state")
	limit := fs.Int("n", 100, "how many messages, newest first")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return err
	}
	var id uint64
	switch args[0] {
	case "list":
		if len(pos) != 0 {
			return errors.New("outbox list takes no arguments")
		}
	case "retry", "drop":
		if len(pos) != 1 {
			return fmt.Errorf("outbox %s takes one message id\n%s", args[0], usage)
		}
		if id, err = strconv.ParseUint(pos[0], 10, 64); err != nil || id == 0 {
			return fmt.Errorf("%q is not a message id", pos[0])
		}
	default:
		fmt.Fprintln(stderr, usage)
		return &exitError{code: 2, err: fmt.Errorf("unknown outbox command %q", args[0])}
	}
	db, box, err := openForCommand(c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	m := &Main{Config: c, DB: db, Box: box, Cases: casebook.New(db, box), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if m.Dir, err = directory.Load(db); err != nil {
		return err
	}
	ob := m.outbox(smsConfig{})
	switch args[0] {
	case "retry":
		if err := ob.Retry(ctx, id); err != nil {
			return errors.New(onestop.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "message %d queued again; it is sent when onestop serve runs\n", id)
		return nil
	case "drop":
		if err := ob.Drop(ctx, id); err != nil {
			return errors.New(onestop.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "message %d dropped\n", id)
		return nil
	}
	list, err := ob.List(outbox.Filter{State: outbox.State(*state), Limit: *limit})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATE\tKIND\tAUDIENCE\tTO\tPROVIDER\tATTEMPTS\tNEXT\tSEGMENTS\tERROR")
	for _, msg := range list {
		next := ""
		if !msg.NextAttempt.IsZero() && (msg.State == outbox.Queued || msg.State == outbox.Failed) {
			next = msg.NextAttempt.Format(time.RFC3339)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d %s\t%s\n", msg.ID, msg.State, msg.Kind, msg.Audience, msg.Masked,
			msg.Provider, msg.Attempts, next, msg.Segments, msg.Encoding, msg.Error)
	}
	return tw.Flush()
}
