package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

const (
	dutyA     = "+8801911000011"
	dutyB     = "+8801911000012"
	superF    = "+8801911000013"
	dutyAOnly = "1911000011"
)

// roster is who holds each role, as the test changes it; Known agrees with it, as the real
// registry of staff numbers does.
type roster struct {
	mu     sync.Mutex
	people map[string][]outbox.Recipient
}

func newRoster() *roster { return &roster{people: map[string][]outbox.Recipient{}} }

func (r *roster) set(role string, people ...outbox.Recipient) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.people[role] = people
}

func (r *roster) resolve(_ onestop.Tx, role string, _ time.Time) ([]outbox.Recipient, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]outbox.Recipient(nil), r.people[role]...), nil
}

func (r *roster) known(_ onestop.Tx, a outbox.Audience, number string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, people := range r.people {
		for _, p := range people {
			if p.Number == number {
				return true
			}
		}
	}
	return number == staffNumber
}

// render is a catalogue of two templates in two languages.
func render(template string, lang onestop.Lang, args []string) string {
	words := map[string]map[onestop.Lang]string{
		"alert": {onestop.English: "Urgent case %s, %s. Please check the console now.", onestop.Bengali: "জরুরি কেস %s, %s। এখনই কনসোল দেখুন।"},
		"bad":   {onestop.English: "Violence case %s, %s."},
	}
	t, ok := words[template]
	if !ok {
		return ""
	}
	s, ok := t[lang]
	if !ok {
		s = t[onestop.English]
	}
	a := make([]any, len(args))
	for i, v := range args {
		a[i] = v
	}
	return fmt.Sprintf(s, a...)
}

func roleFixture(t *testing.T, cfg outbox.Config) (*fixture, *roster) {
	r := newRoster()
	cfg.Resolve, cfg.Render, cfg.Known = r.resolve, render, r.known
	return newFixture(t, cfg), r
}

func dutyAlert(key string) *outbox.Message {
	return &outbox.Message{Key: key, Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
		Role: outbox.RoleDuty, Template: "alert", Args: []string{"1234567", "BD-DH"}}
}

func children(t *testing.T, f *fixture, parent uint64) []*outbox.Message {
	ctx := context.Background()
	t.Helper()
	all, err := f.ob.List(ctx, outbox.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []*outbox.Message
	for _, m := range all {
		if m.Parent == parent {
			out = append(out, m)
		}
	}
	return out
}

func noneDead(t *testing.T, f *fixture) {
	ctx := context.Background()
	t.Helper()
	if dead, _ := f.ob.List(ctx, outbox.Filter{State: outbox.Dead}); len(dead) > 0 {
		t.Fatalf("dead: %+v", dead[0])
	}
}

// TestRoleIsResolvedWhenSent: an alert queued to the duty role while A was on duty goes to B,
// who took over before it was sent, in B's language, with the words from the template, and A is
// sent nothing.
func TestRoleIsResolvedWhenSent(t *testing.T) {
	ctx := context.Background()
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA, Lang: onestop.English})
	m := dutyAlert("alert:1:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if m.To != "" || m.State != outbox.Queued {
		t.Fatalf("queued %+v", m)
	}
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyB, Lang: onestop.Bengali})
	rec := &recorder{name: outbox.LogName}
	if n, err := f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 1 || err != nil {
		t.Fatalf("flushed %d, %v", n, err)
	}
	got := rec.got[0]
	if got.To != dutyB || got.Lang != onestop.Bengali || got.Text != "জরুরি কেস 1234567, BD-DH। এখনই কনসোল দেখুন।" || got.Parent != m.ID {
		t.Fatalf("sent %+v", got)
	}
	if strings.Contains(got.Key, "1911000012") || !strings.HasPrefix(got.Key, m.Key+":") {
		t.Fatalf("child key %q", got.Key)
	}
	p, _ := f.ob.Message(ctx, m.ID)
	if p.State != outbox.Expanded {
		t.Fatalf("parent is %s", p.State)
	}
	if list, _ := f.ob.List(ctx, outbox.Filter{State: outbox.Expanded}); len(list) != 1 || list[0].ID != m.ID {
		t.Fatalf("expanded list %+v", list)
	}
}

// TestRoleExpandsToEveryoneOnDuty: two counsellors on duty both get the alert.
func TestRoleExpandsToEveryoneOnDuty(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA}, outbox.Recipient{Number: dutyB, Lang: onestop.Bengali})
	m := dutyAlert("alert:2:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	if n, _ := f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 2 {
		t.Fatalf("sent %d", n)
	}
	if c := children(t, f, m.ID); len(c) != 2 || c[0].Cause != outbox.CauseAlert {
		t.Fatalf("children %+v", c)
	}
}

// failing is a Sender whose provider is down until up is set.
type failing struct {
	recorder
	mu sync.Mutex
	up bool
}

func (s *failing) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	s.mu.Lock()
	up := s.up
	s.mu.Unlock()
	if !up {
		return outbox.Receipt{}, &outbox.SendError{Status: 503, Msg: "unavailable"}
	}
	return s.recorder.Send(ctx, m)
}

// TestShiftChangeDuringAnOutage: the alert was written out to A, the provider was down, and
// the shift passed to B before it came back. A's message is now refused (her number no longer
// holds the role), and the alert is not dead: it is resolved again and goes to B in the same
// pass. OnDead is never called.
func TestShiftChangeDuringAnOutage(t *testing.T) {
	ctx := context.Background()
	deaths := 0
	f, r := roleFixture(t, outbox.Config{MaxAttempts: 2, OnDead: func(onestop.Tx, *outbox.Message) error { deaths++; return nil }})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	m := dutyAlert("alert:3:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	senders := map[string]outbox.Sender{outbox.LogName: down}
	// The outage outlasts MaxAttempts: an urgent alert is still not given up on.
	for i := range 4 {
		if n, err := f.ob.Flush(context.Background(), senders); n != 0 || err != nil {
			t.Fatalf("flush %d in the outage: %d, %v", i, n, err)
		}
		f.clock.Set(f.clock.Now().Add(time.Minute + time.Second))
	}
	noneDead(t, f)
	c := children(t, f, m.ID)
	if len(c) != 1 || c[0].State != outbox.Failed || c[0].To != dutyA {
		t.Fatalf("during the outage: %+v", c)
	}

	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyB})
	down.mu.Lock()
	down.up = true
	down.mu.Unlock()
	if n, err := f.ob.Flush(context.Background(), senders); n != 1 || err != nil {
		t.Fatalf("after the shift change: sent %d, %v", n, err)
	}
	if down.got[0].To != dutyB {
		t.Fatalf("sent to %s", down.got[0].Masked)
	}
	noneDead(t, f)
	if deaths != 0 {
		t.Fatalf("OnDead called %d times", deaths)
	}
	for _, c := range children(t, f, m.ID) {
		if c.To == dutyA && (c.State != outbox.Cancelled || !strings.Contains(c.Error, "no longer holds the role")) {
			t.Fatalf("A's message: %s %q", c.State, c.Error)
		}
	}
	if p, _ := f.ob.Message(ctx, m.ID); p.State != outbox.Expanded {
		t.Fatalf("parent %s %q", p.State, p.Error)
	}
}

// TestNobodyOnDuty: with nobody on duty the alert goes to the fallback role; with nobody there
// either it stays queued, listed, saying so, and is tried again a minute later, when someone is.
func TestNobodyOnDuty(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	ctx := context.Background()
	rec := &recorder{name: outbox.LogName}
	senders := map[string]outbox.Sender{outbox.LogName: rec}

	m := dutyAlert("alert:4:duty")
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ob.Flush(ctx, senders); n != 0 || err != nil {
		t.Fatalf("sent %d, %v", n, err)
	}
	p, _ := f.ob.Message(ctx, m.ID)
	if p.State != outbox.Queued || !strings.Contains(p.Error, "nobody to receive it") || !p.NextAttempt.Equal(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("with nobody: %s %q %v", p.State, p.Error, p.NextAttempt)
	}
	if q, _ := f.ob.List(ctx, outbox.Filter{State: outbox.Queued}); len(q) != 1 || q[0].ID != m.ID {
		t.Fatalf("queued list %+v", q)
	}
	noneDead(t, f)

	r.set(outbox.RoleFallback, outbox.Recipient{Number: superF, Audience: outbox.Official})
	if n, _ := f.ob.Flush(ctx, senders); n != 0 {
		t.Fatal("tried again before the minute was up")
	}
	f.clock.Set(f.clock.Now().Add(time.Minute))
	if n, err := f.ob.Flush(ctx, senders); n != 1 || err != nil {
		t.Fatalf("with a fallback: sent %d, %v", n, err)
	}
	if rec.got[0].To != superF || rec.got[0].Audience != outbox.Official {
		t.Fatalf("sent %+v", rec.got[0])
	}
	if p, _ := f.ob.Message(ctx, m.ID); p.State != outbox.Expanded || !strings.Contains(p.Error, "fallback") {
		t.Fatalf("parent %s %q", p.State, p.Error)
	}
}

func TestInvalidRoleMessages(t *testing.T) {
	ctx := context.Background()
	f, _ := roleFixture(t, outbox.Config{})
	bare := newFixture(t, outbox.Config{})
	for _, tc := range []struct {
		ob   *outbox.Outbox
		m    func(*outbox.Message)
		code string
	}{
		{f.ob, func(m *outbox.Message) { m.To = dutyA }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Text = "hello" }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Template = "" }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Template = "nosuch" }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Audience = outbox.Survivor }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Kind = outbox.Call }, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Key = strings.Repeat("k", 190) }, onestop.EINVALID},
		{bare.ob, func(m *outbox.Message) {}, onestop.EINVALID},
		{f.ob, func(m *outbox.Message) { m.Template = "bad" }, onestop.EFORBIDDEN},
		{f.ob, func(m *outbox.Message) { m.Cause = outbox.CauseMissedCall }, onestop.EFORBIDDEN},
	} {
		m := dutyAlert("k")
		tc.m(m)
		if _, err := tc.ob.Queue(context.Background(), m); onestop.ErrorCode(err) != tc.code {
			t.Errorf("%+v: %v, want %s", m, err, tc.code)
		}
	}
	if l, _ := f.ob.List(ctx, outbox.Filter{}); len(l) != 0 {
		t.Fatalf("written: %+v", l)
	}
}

// stopAfter is a Sender that records what it was given and stops the pass after n sends.
type stopAfter struct {
	recorder
	n      int
	cancel context.CancelFunc
	onSend func(i int)
}

func (s *stopAfter) Send(ctx context.Context, m *outbox.Message) (outbox.Receipt, error) {
	rc, err := s.recorder.Send(ctx, m)
	i := s.count()
	if s.onSend != nil {
		s.onSend(i)
	}
	if i >= s.n {
		s.cancel()
	}
	return rc, err
}

func flood(t testing.TB, f *fixture, n int, provider string) {
	t.Helper()
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		for i := range n {
			m := &outbox.Message{Key: fmt.Sprint("flood-", i), Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReminder,
				To: staffNumber, Text: "Case 1234567 has had no news for 7 days.", Provider: provider}
			if _, err := f.ob.Enqueue(tx, m); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestUrgentAlertJumpsAFlood: 5,000 ordinary texts are queued, then one alert and one callback
// note; the very next message claimed is the alert, then the note.
func TestUrgentAlertJumpsAFlood(t *testing.T) {
	if testing.Short() {
		t.Skip("queues 5,000 messages")
	}
	f, r := roleFixture(t, outbox.Config{Rate: 1e6})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	flood(t, f, 5000, outbox.LogName)
	note := &outbox.Message{Key: "note", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseCallback, To: staffNumber, Text: "Callback due: case 7654321."}
	if _, err := f.ob.Queue(context.Background(), note); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ob.Queue(context.Background(), dutyAlert("alert:5:duty")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &stopAfter{recorder: recorder{name: outbox.LogName}, n: 3, cancel: cancel}
	f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: s})
	if s.count() != 3 || s.got[0].Cause != outbox.CauseAlert || s.got[0].To != dutyA || s.got[1].Cause != outbox.CauseCallback || s.got[2].Cause != outbox.CauseReminder {
		t.Fatalf("sent in order: %v", causes(s.got))
	}
}

func causes(ms []*outbox.Message) []outbox.Cause {
	var out []outbox.Cause
	for _, m := range ms {
		out = append(out, m.Cause)
	}
	return out
}

// TestAlertQueuedDuringAFloodIsNext: while ordinary texts are being sent under the rate limit,
// an alert queued after the second is the third sent.
func TestAlertQueuedDuringAFloodIsNext(t *testing.T) {
	f := newFixture(t, outbox.Config{Rate: 200})
	flood(t, f, 20, "p")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := &stopAfter{recorder: recorder{name: "p"}, n: 5, cancel: cancel}
	s.onSend = func(i int) {
		if i == 2 {
			a := &outbox.Message{Key: "alert", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Urgent case 1234567, BD-DH.", Provider: "p"}
			if _, err := f.ob.Queue(context.Background(), a); err != nil {
				t.Error(err)
			}
		}
	}
	f.ob.Flush(ctx, map[string]outbox.Sender{"p": s})
	if got := causes(s.got); len(got) != 5 || got[2] != outbox.CauseAlert {
		t.Fatalf("sent in order: %v", got)
	}
}

// TestDueIndexIsBuiltForAnOlderFile: a file written before the due index existed is indexed
// when the outbox next looks, and what it held is sent, the alert first.
func TestDueIndexIsBuiltForAnOlderFile(t *testing.T) {
	f := newFixture(t, outbox.Config{Rate: 1e6})
	flood(t, f, 30, "p")
	a := &outbox.Message{Key: "alert", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Urgent case 1234567, BD-DH.", Provider: "p"}
	if _, err := f.ob.Queue(context.Background(), a); err != nil {
		t.Fatal(err)
	}
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error { return tx.Bucket(store.Outbox).DeleteBucket([]byte("due")) })
	if err != nil {
		t.Fatal(err)
	}
	f.db.Close()
	f.open()
	rec := &recorder{name: "p"}
	if n, err := f.ob.Flush(context.Background(), map[string]outbox.Sender{"p": rec}); n != 31 || err != nil {
		t.Fatalf("sent %d, %v", n, err)
	}
	if rec.got[0].Cause != outbox.CauseAlert {
		t.Fatalf("first sent: %s", rec.got[0].Cause)
	}
}

// BenchmarkClaimWithFlood claims and sends one urgent alert with 10,000 ordinary texts queued
// ahead of it (and, to compare, with none), each in its own pass.
func BenchmarkClaimWithFlood(b *testing.B) {
	for _, n := range []int{0, 10000} {
		b.Run(fmt.Sprint("queued=", n), func(b *testing.B) {
			f := newFixture(b, outbox.Config{Rate: 1e9})
			flood(b, f, n, "p")
			i := 0
			for b.Loop() {
				i++
				a := &outbox.Message{Key: fmt.Sprint("alert-", i), Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Urgent case 1234567, BD-DH.", Provider: "p"}
				if _, err := f.ob.Queue(context.Background(), a); err != nil {
					b.Fatal(err)
				}
				ctx, cancel := context.WithCancel(context.Background())
				s := &stopAfter{recorder: recorder{name: "p"}, n: 1, cancel: cancel}
				f.ob.Flush(ctx, map[string]outbox.Sender{"p": s})
				cancel()
				if s.count() != 1 || s.got[0].ID != a.ID {
					b.Fatal("the alert was not the message claimed")
				}
			}
		})
	}
}

// TestOnDead: OnDead is called inside the transaction that makes a message dead (a permanent
// refusal, the operator's drop) or records it undelivered, and what it writes there is kept;
// when it fails, the loop still settles the message.
func TestOnDead(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	fail := false
	var ob **outbox.Outbox
	onDead := func(tx onestop.Tx, m *outbox.Message) error {
		mu.Lock()
		defer mu.Unlock()
		if fail {
			return errors.New("escalation refused")
		}
		seen = append(seen, fmt.Sprint(m.ID, m.State))
		// Escalate, in the same transaction.
		_, err := (*ob).Enqueue(tx, &outbox.Message{Key: fmt.Sprint("escalate-", m.ID), Kind: outbox.SMS, Audience: outbox.Counsellor,
			Cause: outbox.CauseEscalation, To: staffNumber, Text: "Urgent case 1234567 not reached.", Provider: "none"})
		return err
	}
	f := newFixture(t, outbox.Config{OnDead: onDead})
	ob = &f.ob
	ctx := context.Background()
	queue := func(key string) uint64 {
		m := &outbox.Message{Key: key, Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Urgent case 1234567, BD-DH.", Provider: "p"}
		if _, err := f.ob.Queue(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	refused := queue("refused")
	perm := &permanent{}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{"p": perm}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.ob.Message(ctx, refused); m.State != outbox.Dead {
		t.Fatalf("permanently refused alert is %s", m.State)
	}
	dropped := queue("dropped")
	if err := f.ob.Drop(ctx, dropped); err != nil {
		t.Fatal(err)
	}
	undelivered := queue("undelivered")
	rec := &recorder{name: "p"}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{"p": rec}); err != nil {
		t.Fatal(err)
	}
	if err := f.ob.Report(ctx, "p", "p-1", outbox.Failed, "DeliveryFailure"); err != nil {
		t.Fatal(err)
	}
	want := []string{fmt.Sprint(refused, outbox.Dead), fmt.Sprint(dropped, outbox.Dead), fmt.Sprint(undelivered, outbox.Failed)}
	if fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Fatalf("OnDead saw %v, want %v", seen, want)
	}
	for _, id := range []uint64{refused, dropped, undelivered} {
		list, _ := f.ob.List(ctx, outbox.Filter{})
		found := false
		for _, m := range list {
			found = found || m.Key == fmt.Sprint("escalate-", id)
		}
		if !found {
			t.Fatalf("the escalation written by OnDead for %d was lost", id)
		}
	}

	mu.Lock()
	fail = true
	mu.Unlock()
	again := queue("hook fails")
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{"p": perm}); err != nil {
		t.Fatal(err)
	}
	if m, _ := f.ob.Message(ctx, again); m.State != outbox.Dead {
		t.Fatalf("with the hook failing the message is %s", m.State)
	}
}

// permanent is a Sender whose provider refuses every number for good.
type permanent struct{}

func (permanent) Name() string { return "p" }
func (permanent) Send(context.Context, *outbox.Message) (outbox.Receipt, error) {
	return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: 400, Code: "21211", Msg: "invalid To"}
}

// TestOrdinaryMessagesStillDie: the exemption from MaxAttempts is for urgent alerts only.
func TestOrdinaryMessagesStillDie(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{MaxAttempts: 2})
	m := &outbox.Message{Key: "w", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReminder, To: staffNumber, Text: "Case 1234567: no news."}
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	for range 3 {
		f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: down})
		f.clock.Set(f.clock.Now().Add(2 * time.Hour))
	}
	if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Dead {
		t.Fatalf("after the attempts: %s", got.State)
	}
}

// TestRemovedBetweenExpansionAndSend: A is removed from the staff list just after the alert was
// written out to her, in the same pass; her message is refused, the role is resolved again
// (the rota still names her, so it falls to the fallback role) and the alert goes out in that
// same pass.
func TestRemovedBetweenExpansionAndSend(t *testing.T) {
	r := newRoster()
	asked := 0
	known := func(tx onestop.Tx, a outbox.Audience, number string) bool {
		if number == dutyA {
			asked++
			return asked == 1
		}
		return r.known(tx, a, number)
	}
	f := newFixture(t, outbox.Config{Resolve: r.resolve, Render: render, Known: known})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	r.set(outbox.RoleFallback, outbox.Recipient{Number: superF})
	m := dutyAlert("alert:6:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	if n, err := f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 1 || err != nil || rec.got[0].To != superF {
		t.Fatalf("sent %d (%v), %v", n, causes(rec.got), err)
	}
	noneDead(t, f)
}

// TestRoleResolveFails: when the role cannot be resolved (Resolve errs, or the outbox has no
// Resolve), the alert waits and the rest of the queue is still sent.
func TestRoleResolveFails(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{Resolve: func(onestop.Tx, string, time.Time) ([]outbox.Recipient, error) {
		return nil, errors.New("rota unreadable")
	}, Render: render})
	m := dutyAlert("alert:7:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	w := &outbox.Message{Key: "w", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: staffNumber, Text: "Case 1234567 received."}
	if _, err := f.ob.Queue(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	if n, err := f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 1 || err != nil {
		t.Fatalf("sent %d, %v", n, err)
	}
	if p, _ := f.ob.Message(ctx, m.ID); p.State != outbox.Queued || !strings.Contains(p.Error, "rota unreadable") {
		t.Fatalf("alert %s %q", p.State, p.Error)
	}
	// A command's outbox, built without Resolve, leaves it as it is.
	bare := outbox.New(f.db, f.box, f.cases, outbox.Config{Log: quiet})
	f.clock.Set(f.clock.Now().Add(time.Minute))
	if n, err := bare.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 0 || err != nil {
		t.Fatalf("bare: sent %d, %v", n, err)
	}
	noneDead(t, f)
}

// TestPurgeSettledRoleMessages: an expanded role message and a cancelled one are finished, and
// purged past retention; a role message that reached nobody is still owed and kept.
func TestPurgeSettledRoleMessages(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	ctx := context.Background()
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	expanded := dutyAlert("alert:8:duty")
	if _, err := f.ob.Queue(ctx, expanded); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	senders := map[string]outbox.Sender{outbox.LogName: rec}
	if n, _ := f.ob.Flush(ctx, senders); n != 1 {
		t.Fatal("not sent")
	}
	r.set(outbox.RoleDuty)
	waiting := dutyAlert("alert:9:duty")
	if _, err := f.ob.Queue(ctx, waiting); err != nil {
		t.Fatal(err)
	}
	f.ob.Flush(ctx, senders)
	f.clock.Set(start.AddDate(0, 0, 100))
	if n, err := f.ob.Purge(ctx, f.clock.Now().AddDate(0, 0, -90)); n != 2 || err != nil {
		t.Fatalf("purged %d, %v", n, err)
	}
	if _, err := f.ob.Message(ctx, waiting.ID); err != nil {
		t.Fatalf("the alert still owed was purged: %v", err)
	}
	if _, err := f.ob.Message(ctx, expanded.ID); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("expanded: %v", err)
	}
}

// TestOnDutyAfterAnOutageGetsTheAlert: with nobody on duty the alert went to the fallback list,
// the provider was down, and a counsellor came on duty before it came back. The fallback's number
// is still a staff number, so nothing refuses it; the alert goes to the counsellor on duty all
// the same, because a role's message is for whoever holds the role when it is sent.
func TestOnDutyAfterAnOutageGetsTheAlert(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleFallback, outbox.Recipient{Number: dutyB})
	m := dutyAlert("alert:8:duty")
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	senders := map[string]outbox.Sender{outbox.LogName: down}
	if n, err := f.ob.Flush(context.Background(), senders); n != 0 || err != nil {
		t.Fatalf("flush in the outage: %d, %v", n, err)
	}
	if c := children(t, f, m.ID); len(c) != 1 || c[0].To != dutyB || c[0].State != outbox.Failed {
		t.Fatalf("during the outage: %+v", c)
	}
	f.clock.Set(f.clock.Now().Add(time.Minute + time.Second))
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	down.mu.Lock()
	down.up = true
	down.mu.Unlock()
	if n, err := f.ob.Flush(context.Background(), senders); n != 1 || err != nil {
		t.Fatalf("after the outage: sent %d, %v", n, err)
	}
	if down.got[0].To != dutyA {
		t.Fatalf("sent to %s, want the counsellor now on duty", down.got[0].Masked)
	}
	for _, c := range children(t, f, m.ID) {
		if c.To == dutyB && c.State != outbox.Cancelled {
			t.Fatalf("the fallback's message: %s %q", c.State, c.Error)
		}
	}
	noneDead(t, f)
}

// TestOnRetry: a failed send of an urgent alert that will be tried again is told to the caller
// inside the same write, so the contact can show it; an ordinary text's failure is not.
func TestOnRetry(t *testing.T) {
	var told []outbox.Cause
	f, r := roleFixture(t, outbox.Config{OnRetry: func(_ onestop.Tx, m *outbox.Message) error {
		if m.State != outbox.Failed || m.NextAttempt.IsZero() {
			t.Errorf("told of %s, next %v", m.State, m.NextAttempt)
		}
		told = append(told, m.Cause)
		return nil
	}})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, dutyAlert("alert:9:duty")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.ob.Queue(ctx, &outbox.Message{Key: "note:9", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseReminder,
		To: staffNumber, Text: "Please look at the console."}); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
		t.Fatal(err)
	}
	if len(told) != 1 || told[0] != outbox.CauseAlert {
		t.Fatalf("told of %v, want the alert alone", told)
	}
}
