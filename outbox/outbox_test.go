package outbox_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

var start = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

type fixture struct {
	t     testing.TB
	path  string
	db    *bolt.DB
	box   *seal.Box
	cases *casebook.Casebook
	clock *clock
	cfg   outbox.Config
	ob    *outbox.Outbox
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func newFixture(t testing.TB, cfg outbox.Config) *fixture {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log == nil {
		cfg.Log = quiet
	}
	f := &fixture{t: t, path: filepath.Join(t.TempDir(), "onestop.db"), box: box, clock: &clock{t: start}, cfg: cfg}
	f.open()
	t.Cleanup(func() { f.db.Close() })
	return f
}

// open opens (or reopens, after a restart) the bbolt file and builds the outbox on it.
func (f *fixture) open() {
	f.t.Helper()
	db, err := bolt.Open(f.path, time.Second)
	if err != nil {
		f.t.Fatal(err)
	}
	db.Clock = f.clock.Now
	f.db, f.cases = db, casebook.New(db, f.box)
	f.ob = outbox.New(db, f.box, f.cases, f.cfg)
}

const (
	herNumber   = "+8801711000001"
	otherNumber = "+8801811000002"
	staffNumber = "+8801911000003"
)

// contact records a contact with plan and returns its ID.
func (f *fixture) contact(status onestop.ContactStatus, plan *onestop.SafeContactPlan) uint64 {
	f.t.Helper()
	var id uint64
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		c := &onestop.Contact{Time: start, Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali,
			Urgency: onestop.Urgent, Status: status, Caller: herNumber, Plan: plan}
		err := f.cases.Put(tx, c)
		id = c.ID
		return err
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// callable is a plan that allows a call to her own number from start+1h to start+3h.
func callable() *onestop.SafeContactPlan {
	return &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Window: onestop.Morning,
		Opens: start.Add(time.Hour), Closes: start.Add(3 * time.Hour), TZ: "Asia/Dhaka", AgreedAt: start}
}

func TestSafetyRefusals(t *testing.T) {
	ctx := context.Background()
	known := func(tx onestop.Tx, a outbox.Audience, number string) bool { return number == staffNumber }
	f := newFixture(t, outbox.Config{Known: known})
	planned := f.contact(onestop.Open, callable())
	dropped := f.contact(onestop.Dropped, nil)
	refused := f.contact(onestop.DoNotContact, &onestop.SafeContactPlan{MayCall: false, AgreedAt: start})
	noPlan := f.contact(onestop.Open, nil)
	inWindow, before, after := start.Add(2*time.Hour), start.Add(30*time.Minute), start.Add(4*time.Hour)

	call := func(contact uint64, to string) outbox.Message {
		return outbox.Message{Kind: outbox.Call, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: contact, To: to}
	}
	text := func(contact uint64, body string) outbox.Message {
		return outbox.Message{Kind: outbox.SMS, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: contact, To: herNumber, Text: body}
	}
	reply := func(inReplyTo, body string) outbox.Message {
		return outbox.Message{Kind: outbox.SMS, Audience: outbox.Unregistered, Cause: outbox.CauseReply, InReplyTo: inReplyTo, To: otherNumber, Text: body}
	}
	staff := func(to string, cause outbox.Cause) outbox.Message {
		return outbox.Message{Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: cause, To: to, Text: "Case 1234567, Dhaka: urgent."}
	}
	tests := []struct {
		name   string
		at     time.Time
		msg    outbox.Message
		naming bool
		want   string // "" when queued; else a piece of the refusal
	}{
		{"call inside her window, to her number", inWindow, call(planned, herNumber), false, ""},
		{"call with no contact named", inWindow, call(0, herNumber), false, "needs the contact"},
		{"call on a contact that does not exist", inWindow, call(999, herNumber), false, "no such contact"},
		{"call on a dropped session", inWindow, call(dropped, herNumber), false, "session ended"},
		{"call when she said do not call", inWindow, call(refused, herNumber), false, "did not agree"},
		{"call with no plan confirmed", inWindow, call(noPlan, herNumber), false, "did not agree"},
		{"call to another number", inWindow, call(planned, otherNumber), false, "that number"},
		{"call before her window opens", before, call(planned, herNumber), false, "outside the window"},
		{"call after her window closed", after, call(planned, herNumber), false, "outside the window"},
		{"text, though her plan allows only calls", inWindow, text(planned, "See you at 10."), false, "does not allow texts"},
		{"text that names the service", inWindow, text(planned, "Your helpline case is open"), false, "names the service"},
		{"text that names it in Bengali", inWindow, text(planned, "নির্যাতন বিষয়ে"), false, "names the service"},
		{"text that names it in Arabic", inWindow, text(planned, "بخصوص العنف"), false, "names the service"},
		{"cause: a session ended", inWindow, func() outbox.Message { m := call(planned, herNumber); m.Cause = outbox.CauseSessionEnded; return m }(), false, "session ended"},
		{"cause: a missed call, even to staff", inWindow, staff(staffNumber, outbox.CauseMissedCall), false, "call was missed"},
		{"neutral reply to an unregistered sender", inWindow, reply("africastalking:ATXid_1", "Thank you. Your message was received."), false, ""},
		{"unprompted text to an unregistered sender", inWindow, reply("", "Thank you."), false, "only gets a reply"},
		{"reply that names the service", inWindow, reply("twilio:SM1", "Thank you for contacting the Sakhi centre."), false, "names the service"},
		{"reply that names the service, operator allows it", inWindow, reply("twilio:SM1", "Thank you for contacting the Sakhi centre."), true, ""},
		{"alert to the counsellor's number", inWindow, staff(staffNumber, outbox.CauseAlert), false, ""},
		{"alert to a number not registered as staff", inWindow, staff(herNumber, outbox.CauseAlert), false, "not registered"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f.clock.Set(tc.at)
			cfg := f.cfg
			cfg.NameService = tc.naming
			ob := outbox.New(f.db, f.box, f.cases, cfg)
			m := tc.msg
			m.Key = fmt.Sprintf("safety-%d", i)
			_, err := ob.Queue(context.Background(), &m)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if m.ID == 0 || m.State != outbox.Queued {
					t.Fatalf("queued as %+v", m)
				}
				return
			}
			if onestop.ErrorCode(err) != onestop.EFORBIDDEN || !strings.Contains(onestop.ErrorMessage(err), tc.want) {
				t.Fatalf("got %v, want a refusal saying %q", err, tc.want)
			}
			if got, _ := ob.List(ctx, outbox.Filter{}); len(got) > 0 && got[0].Key == m.Key {
				t.Fatal("a refused message was written")
			}
		})
	}
}

// recorder is a Sender that records what it was given.
type recorder struct {
	mu   sync.Mutex
	name string
	got  []*outbox.Message
}

func (r *recorder) Name() string { return r.name }
func (r *recorder) Send(_ context.Context, m *outbox.Message) (outbox.Receipt, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := *m
	r.got = append(r.got, &c)
	return outbox.Receipt{ProviderID: fmt.Sprintf("%s-%d", r.name, len(r.got))}, nil
}
func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.got) }

// TestSafetyIsCheckedAgainAtSendTime: a call queued inside her window is never placed once the
// window has closed, nor after her plan changed to do-not-contact.
func TestSafetyIsCheckedAgainAtSendTime(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{})
	id := f.contact(onestop.Open, callable())
	f.clock.Set(start.Add(2 * time.Hour))
	late := outbox.Message{Key: "late", Kind: outbox.Call, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: id, To: herNumber}
	if _, err := f.ob.Queue(context.Background(), &late); err != nil {
		t.Fatal(err)
	}
	changed := late
	changed.Key, changed.ID = "changed", 0
	if _, err := f.ob.Queue(context.Background(), &changed); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	senders := map[string]outbox.Sender{outbox.LogName: rec}

	// Her window closes before the first is sent.
	f.clock.Set(start.Add(3 * time.Hour))
	if n, err := f.ob.Flush(context.Background(), senders); err != nil || n != 0 || rec.count() != 0 {
		t.Fatalf("flush after the window: sent %d (%d), %v", n, rec.count(), err)
	}
	m, _ := f.ob.Message(ctx, late.ID)
	if m.State != outbox.Dead || !strings.Contains(m.Error, "outside the window") {
		t.Fatalf("late call: %s %q", m.State, m.Error)
	}

	// A plan changed to do-not-contact stops what was queued under it.
	f.clock.Set(start.Add(2 * time.Hour))
	if err := f.ob.Retry(context.Background(), changed.ID); err != nil {
		t.Fatal(err)
	}
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		c, err := f.cases.Get(tx, id)
		if err != nil {
			return err
		}
		c.Status, c.Plan = onestop.DoNotContact, &onestop.SafeContactPlan{AgreedAt: start}
		return f.cases.Put(tx, c)
	})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := f.ob.Flush(context.Background(), senders); n != 0 || rec.count() != 0 {
		t.Fatalf("sent %d after she said do not contact", rec.count())
	}
	if m, _ := f.ob.Message(ctx, changed.ID); m.State != outbox.Dead {
		t.Fatalf("call after do-not-contact is %s", m.State)
	}
}

func TestQueueIsIdempotentAndSealed(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{})
	m := outbox.Message{Key: "alert:42:duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Case 1234567, Dhaka: urgent."}
	for i := range 3 {
		c := m
		fresh, err := f.ob.Queue(context.Background(), &c)
		if err != nil || fresh != (i == 0) || c.ID != 1 {
			t.Fatalf("queue %d: fresh=%v id=%d err=%v", i, fresh, c.ID, err)
		}
	}
	list, _ := f.ob.List(ctx, outbox.Filter{})
	if len(list) != 1 || list[0].To != staffNumber || list[0].Masked != "+880 19** ***003" || list[0].Segments != 1 || list[0].Encoding != outbox.GSM7 {
		t.Fatalf("listed %+v", list)
	}
	f.db.Close()
	raw, err := os.ReadFile(f.path)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("1911000003")) || bytes.Contains(raw, []byte("urgent.")) {
		t.Fatal("the number or the text is in the clear in the database file")
	}
	f.open()
}

func TestInvalidMessages(t *testing.T) {
	f := newFixture(t, outbox.Config{})
	for _, m := range []outbox.Message{
		{Kind: outbox.SMS, Audience: outbox.Worker, To: staffNumber, Text: "x"},
		{Key: "k", Kind: "fax", Audience: outbox.Worker, To: staffNumber, Text: "x"},
		{Key: "k", Kind: outbox.SMS, Audience: "anyone", To: staffNumber, Text: "x"},
		{Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: staffNumber, Text: " "},
		{Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: "01711000001", Text: "x"},
		{Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: "+88", Text: "x"},
	} {
		if _, err := f.ob.Queue(context.Background(), &m); onestop.ErrorCode(err) != onestop.EINVALID {
			t.Errorf("%+v: %v", m, err)
		}
	}
}

func TestReportsRetryAndDrop(t *testing.T) {
	f := newFixture(t, outbox.Config{})
	ctx := context.Background()
	var ids []uint64
	for i := range 3 {
		m := outbox.Message{Key: fmt.Sprint("w", i), Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: staffNumber, Text: "ok", Provider: "at"}
		if _, err := f.ob.Queue(ctx, &m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := f.ob.Drop(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: "at"}
	if n, err := f.ob.Flush(ctx, map[string]outbox.Sender{"at": rec}); n != 2 || err != nil {
		t.Fatalf("flushed %d, %v", n, err)
	}
	steps := []struct {
		id     string
		state  outbox.State
		want   outbox.State
		errStr string
	}{
		{"at-1", outbox.Delivered, outbox.Delivered, ""},
		{"at-1", outbox.Sent, outbox.Delivered, ""}, // a late intermediate report does not undo delivery
		{"at-2", outbox.Failed, outbox.Failed, ""},
		{"at-2", outbox.Failed, outbox.Failed, ""}, // repeated
		{"at-9", outbox.Delivered, "", "no message"},
	}
	for _, s := range steps {
		err := f.ob.Report(ctx, "at", s.id, s.state, "DeliveryFailure")
		if s.errStr != "" {
			if onestop.ErrorCode(err) != onestop.ENOTFOUND {
				t.Fatalf("report %s: %v", s.id, err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	m0, _ := f.ob.Message(ctx, ids[0])
	m1, _ := f.ob.Message(ctx, ids[1])
	m2, _ := f.ob.Message(ctx, ids[2])
	if m0.State != outbox.Delivered || m1.State != outbox.Failed || !strings.Contains(m1.Error, "DeliveryFailure") || m2.State != outbox.Dead {
		t.Fatalf("states %s %s(%s) %s", m0.State, m1.State, m1.Error, m2.State)
	}
	// A failed delivery is not resent by itself; the operator's retry sends it once more.
	if n, _ := f.ob.Flush(ctx, map[string]outbox.Sender{"at": rec}); n != 0 {
		t.Fatal("a failed delivery was resent without the operator")
	}
	if err := f.ob.Retry(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	if err := f.ob.Retry(ctx, ids[0]); onestop.ErrorCode(err) != onestop.ECONFLICT {
		t.Fatalf("retry of a delivered message: %v", err)
	}
	if err := f.ob.Drop(ctx, ids[0]); onestop.ErrorCode(err) != onestop.ECONFLICT {
		t.Fatalf("drop of a delivered message: %v", err)
	}
	if n, _ := f.ob.Flush(ctx, map[string]outbox.Sender{"at": rec}); n != 1 || rec.count() != 3 {
		t.Fatalf("retry sent %d", n)
	}
}

// blocker is a Sender that never answers until released: a process that dies mid-send.
type blocker struct {
	name    string
	entered chan struct{}
	release chan struct{}
}

func (b *blocker) Name() string { return b.name }
func (b *blocker) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	b.entered <- struct{}{}
	<-b.release
	return outbox.Receipt{ProviderID: "lost"}, nil
}

// TestReconcileAfterACrash leaves one staff alert and one call to a survivor in the sending
// state, as a process killed mid-send would, then restarts: the alert is sent again (better
// twice than lost), the call to her is not sent again without the operator.
func TestReconcileAfterACrash(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name     string
		survivor bool
		want     outbox.State
		resent   bool
	}{
		{"staff alert", false, outbox.Sent, true},
		{"call to a survivor", true, outbox.Failed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t, outbox.Config{})
			id := f.contact(onestop.Open, callable())
			f.clock.Set(start.Add(2 * time.Hour))
			m := outbox.Message{Key: "k", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Case 1234567: urgent.", Provider: "p"}
			if tc.survivor {
				m = outbox.Message{Key: "k", Kind: outbox.Call, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: id, To: herNumber, Provider: "p"}
			}
			if _, err := f.ob.Queue(context.Background(), &m); err != nil {
				t.Fatal(err)
			}
			b := &blocker{name: "p", entered: make(chan struct{}), release: make(chan struct{})}
			done := make(chan struct{})
			go func() {
				f.ob.Flush(context.Background(), map[string]outbox.Sender{"p": b})
				close(done)
			}()
			<-b.entered
			f.db.Close() // the process dies while the provider holds the request
			close(b.release)
			<-done

			f.open()
			if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Sending {
				t.Fatalf("after the crash the message is %s", got.State)
			}
			rec := &recorder{name: "p"}
			ctx, cancel := context.WithCancel(context.Background())
			ran := make(chan struct{})
			go func() { f.ob.Run(ctx, rec); close(ran) }()
			deadline := time.Now().Add(2 * time.Second)
			for {
				got, _ := f.ob.Message(ctx, m.ID)
				if got.State == tc.want || time.Now().After(deadline) {
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
			cancel()
			<-ran
			got, _ := f.ob.Message(ctx, m.ID)
			if got.State != tc.want || (rec.count() == 1) != tc.resent {
				t.Fatalf("after restart: %s, sent again %d times", got.State, rec.count())
			}
		})
	}
}

// TestRateLimitPerProvider: at 20 messages a second per provider, six messages to each of two
// providers take at least a quarter of a second.
func TestRateLimitPerProvider(t *testing.T) {
	f := newFixture(t, outbox.Config{Rate: 20})
	for i := range 12 {
		provider := "slow"
		if i%2 == 1 {
			provider = "other"
		}
		m := outbox.Message{Key: fmt.Sprint("r", i), Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: staffNumber, Text: "ok", Provider: provider}
		if _, err := f.ob.Queue(context.Background(), &m); err != nil {
			t.Fatal(err)
		}
	}
	slow, other := &recorder{name: "slow"}, &recorder{name: "other"}
	began := time.Now()
	if n, err := f.ob.Flush(context.Background(), map[string]outbox.Sender{"slow": slow, "other": other}); n != 12 || err != nil {
		t.Fatalf("flushed %d, %v", n, err)
	}
	if d := time.Since(began); d < 250*time.Millisecond {
		t.Fatalf("12 messages over two providers at 20/s each took %v", d)
	}
}
