package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

// refusing is a provider that answers every message with the same refusal.
type refusing struct {
	name string
	err  error
}

func (r refusing) Name() string { return r.name }
func (r refusing) Send(context.Context, *outbox.Message) (outbox.Receipt, error) {
	return outbox.Receipt{}, r.err
}

// A message written out from a role whose role message is gone, and whose recipient has left the
// role, cannot be claimed as before. It dies, said so, and every other message, a new alert
// above all, is still sent in the same pass: one message never holds up the queue.
func TestOneMessageNeverHoldsUpTheQueue(t *testing.T) {
	var deaths []string
	f, r := roleFixture(t, outbox.Config{OnDead: func(_ onestop.Tx, m *outbox.Message) error {
		deaths = append(deaths, m.Key)
		return nil
	}})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	first := dutyAlert("alert:20:duty")
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, first); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
		t.Fatal(err)
	}
	err := f.db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Outbox).Delete(store.U64(first.ID)) })
	if err != nil {
		t.Fatal(err)
	}
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyB})
	f.clock.Set(f.clock.Now().Add(2 * time.Minute))
	second := dutyAlert("alert:21:duty")
	if _, err := f.ob.Queue(ctx, second); err != nil {
		t.Fatal(err)
	}
	down.mu.Lock()
	down.up = true
	down.mu.Unlock()
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
		t.Fatalf("flush: %v", err)
	}
	if len(down.got) != 1 || down.got[0].To != dutyB {
		t.Fatalf("sent %v, want the new alert to B", causes(down.got))
	}
	if len(deaths) != 1 || !strings.HasPrefix(deaths[0], first.Key+":") {
		t.Fatalf("deaths %q, want the stranded copy of the first alert", deaths)
	}
}

// Purge keeps a role message while a copy written out from it still waits, so the copy can be
// written out again to whoever holds the role.
func TestPurgeKeepsARoleMessageWhileItsCopyWaits(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	m := dutyAlert("alert:22:duty")
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	down := &failing{recorder: recorder{name: outbox.LogName}}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(f.clock.Now().Add(100 * 24 * time.Hour))
	if _, err := f.ob.Purge(ctx, f.clock.Now()); err != nil {
		t.Fatal(err)
	}
	if p, err := f.ob.Message(ctx, m.ID); err != nil || p.State != outbox.Expanded {
		t.Fatalf("the role message, its copy still waiting: %+v, %v", p, err)
	}
}

// A provider's answer is kept unsealed and shown to staff: no run of digits long enough to be a
// number survives in it.
func TestAProvidersAnswerKeepsNoNumber(t *testing.T) {
	f := newFixture(t, outbox.Config{Known: func(onestop.Tx, outbox.Audience, string) bool { return true }})
	ctx := context.Background()
	m := &outbox.Message{Key: "note:30", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReminder, To: staffNumber, Text: "Please look at the console."}
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	bad := refusing{name: outbox.LogName, err: &outbox.SendError{Status: 400, Code: "21211", Msg: "The 'To' number +8801911000003 is not a valid phone number."}}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: bad}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.ob.Message(ctx, m.ID)
	if strings.Contains(got.Error, "1911000003") || !strings.Contains(got.Error, "not a valid phone number") {
		t.Fatalf("stored error %q", got.Error)
	}
}

// An urgent alert is asked again within the minute even when the provider asks for an hour.
func TestAnAlertWaitsNoHourForAProvider(t *testing.T) {
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	m := dutyAlert("alert:23:duty")
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	busy := refusing{name: outbox.LogName, err: &outbox.SendError{Status: 429, RetryAfter: time.Hour, Msg: "slow down"}}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: busy}); err != nil {
		t.Fatal(err)
	}
	c := children(t, f, m.ID)
	if len(c) != 1 || c[0].State != outbox.Failed || c[0].NextAttempt.After(f.clock.Now().Add(time.Minute)) {
		t.Fatalf("the alert waits until %v (now %v): %+v", c[0].NextAttempt, f.clock.Now(), c)
	}
}

// A callback note retried by hand before her window opens waits for it: "callback due" is said
// when it is.
func TestACallbackNoteWaitsForHerWindow(t *testing.T) {
	f := newFixture(t, outbox.Config{Known: func(onestop.Tx, outbox.Audience, string) bool { return true }})
	id := f.contact(onestop.Open, callable()) // opens an hour after start
	ctx := context.Background()
	m := &outbox.Message{Key: "callback:31", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseCallback,
		ContactID: id, To: staffNumber, Text: "Callback due.", NextAttempt: start}
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	rec := &recorder{name: outbox.LogName}
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: rec}); err != nil {
		t.Fatal(err)
	}
	got, _ := f.ob.Message(ctx, m.ID)
	if rec.count() != 0 || got.State != outbox.Queued || !got.NextAttempt.Equal(start.Add(time.Hour)) {
		t.Fatalf("before her window: sent %d, %s until %v", rec.count(), got.State, got.NextAttempt)
	}
	f.clock.Set(start.Add(time.Hour))
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: rec}); err != nil || rec.count() != 1 {
		t.Fatalf("in her window: sent %d, %v", rec.count(), err)
	}
}

// A callback note is not given up on in an outage while her window is open: it is tried every
// few minutes past the attempts an ordinary text gets, and cancelled once her window closes.
func TestACallbackNoteOutlastsAnOutageInsideHerWindow(t *testing.T) {
	f := newFixture(t, outbox.Config{MaxAttempts: 2, Known: func(onestop.Tx, outbox.Audience, string) bool { return true }})
	id := f.contact(onestop.Open, callable()) // open from start+1h to start+3h
	f.clock.Set(start.Add(time.Hour))
	ctx := context.Background()
	m := &outbox.Message{Key: "callback:40", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseCallback,
		ContactID: id, To: staffNumber, Text: "Callback due."}
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	down := refusing{name: outbox.LogName, err: &outbox.SendError{Status: 503, Msg: "unavailable"}}
	for i := range 6 {
		if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
			t.Fatal(err)
		}
		got, _ := f.ob.Message(ctx, m.ID)
		if got.State != outbox.Failed || got.NextAttempt.After(f.clock.Now().Add(5*time.Minute)) {
			t.Fatalf("try %d: %s until %v", i, got.State, got.NextAttempt)
		}
		f.clock.Set(got.NextAttempt)
	}
	f.clock.Set(start.Add(3 * time.Hour))
	if _, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: down}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Cancelled {
		t.Fatalf("after her window closed: %s %q", got.State, got.Error)
	}
}
