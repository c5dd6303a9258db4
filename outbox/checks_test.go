package outbox_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
)

// marks is a do-not-contact list the test changes.
type marks struct {
	mu  sync.Mutex
	set map[string]bool
}

func (d *marks) mark(n string) { d.mu.Lock(); d.set[n] = true; d.mu.Unlock() }
func (d *marks) doNotContact(_ onestop.Tx, number string, _ time.Time) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.set[number]
}

func callbackNote(contact uint64) *outbox.Message {
	return &outbox.Message{Key: fmt.Sprint("callback:", contact, ":duty"), Kind: outbox.SMS, Audience: outbox.Counsellor,
		Cause: outbox.CauseCallback, ContactID: contact, To: staffNumber, Text: "Callback due: case 1234567, until 09:00 her time. Details in the console."}
}

// TestCallbackNoteRecheckedAfterAnOutage: a callback note that failed while the provider was
// down is sent when it comes back only if the callback is still owed; otherwise it is cancelled,
// with the reason, and is neither sent nor dead.
func TestCallbackNoteRecheckedAfterAnOutage(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(f *fixture, id uint64, d *marks)
		want   string // "" when it is sent
	}{
		{"still inside her window", func(*fixture, uint64, *marks) {}, ""},
		{"her window closed", func(f *fixture, _ uint64, _ *marks) { f.clock.Set(start.Add(3 * time.Hour)) }, "her window has closed"},
		{"her contact was closed", func(f *fixture, id uint64, _ *marks) {
			f.edit(id, func(c *onestop.Contact) { c.Status = onestop.Done })
		}, "no longer open"},
		{"her plan no longer allows a call", func(f *fixture, id uint64, _ *marks) {
			f.edit(id, func(c *onestop.Contact) { c.Plan.MayCall = false })
		}, "no longer allows a call"},
		{"her number was marked do not contact", func(_ *fixture, _ uint64, d *marks) { d.mark(herNumber) }, "do not contact"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &marks{set: map[string]bool{}}
			deaths := 0
			f := newFixture(t, outbox.Config{DoNotContact: d.doNotContact, OnDead: func(onestop.Tx, *outbox.Message) error { deaths++; return nil }})
			id := f.contact(onestop.Open, callable())
			f.clock.Set(start.Add(time.Hour))
			m := callbackNote(id)
			if _, err := f.ob.Queue(context.Background(), m); err != nil {
				t.Fatal(err)
			}
			s := &failing{recorder: recorder{name: outbox.LogName}}
			senders := map[string]outbox.Sender{outbox.LogName: s}
			if n, _ := f.ob.Flush(context.Background(), senders); n != 0 {
				t.Fatal("sent during the outage")
			}
			f.clock.Set(start.Add(2 * time.Hour))
			tc.change(f, id, d)
			s.mu.Lock()
			s.up = true
			s.mu.Unlock()
			n, err := f.ob.Flush(context.Background(), senders)
			if err != nil {
				t.Fatal(err)
			}
			got, _ := f.ob.Message(ctx, m.ID)
			if tc.want == "" {
				if n != 1 || got.State != outbox.Sent {
					t.Fatalf("inside her window: sent %d, %s %q", n, got.State, got.Error)
				}
				return
			}
			if n != 0 || s.count() != 0 {
				t.Fatal("a callback note no longer owed was sent")
			}
			if got.State != outbox.Cancelled || !strings.Contains(got.Error, tc.want) || deaths != 0 {
				t.Fatalf("%s %q, OnDead %d", got.State, got.Error, deaths)
			}
		})
	}
}

// edit changes contact id.
func (f *fixture) edit(id uint64, fn func(*onestop.Contact)) {
	f.t.Helper()
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		c, err := f.cases.Get(tx, id)
		if err != nil {
			return err
		}
		fn(c)
		return f.cases.Put(tx, c)
	})
	if err != nil {
		f.t.Fatal(err)
	}
}

// TestDoNotContact: nothing is queued or sent to a number marked do not contact, and a callback
// note for her is not queued.
func TestDoNotContact(t *testing.T) {
	d := &marks{set: map[string]bool{}}
	f := newFixture(t, outbox.Config{DoNotContact: d.doNotContact})
	ctx := context.Background()
	id := f.contact(onestop.Open, callable())
	f.clock.Set(start.Add(2 * time.Hour))
	call := &outbox.Message{Key: "call", Kind: outbox.Call, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: id, To: herNumber}
	if _, err := f.ob.Queue(ctx, call); err != nil {
		t.Fatal(err)
	}
	d.mark(herNumber)
	rec := &recorder{name: outbox.LogName}
	if n, _ := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: rec}); n != 0 || rec.count() != 0 {
		t.Fatal("called a number marked do not contact")
	}
	if got, _ := f.ob.Message(ctx, call.ID); got.State != outbox.Dead || !strings.Contains(got.Error, "do not contact") {
		t.Fatalf("call: %s %q", got.State, got.Error)
	}
	for _, m := range []*outbox.Message{
		{Key: "call2", Kind: outbox.Call, Audience: outbox.Survivor, Cause: outbox.CausePlan, ContactID: id, To: herNumber},
		{Key: "reply", Kind: outbox.SMS, Audience: outbox.Unregistered, Cause: outbox.CauseReply, InReplyTo: "at:1", To: herNumber, Text: "Thank you."},
		callbackNote(id),
	} {
		if _, err := f.ob.Queue(ctx, m); onestop.ErrorCode(err) != onestop.EFORBIDDEN || !strings.Contains(err.Error(), "do not contact") {
			t.Errorf("%s: %v", m.Key, err)
		}
	}
	// Staff are not survivors: a staff number is never looked up in the list.
	staff := &outbox.Message{Key: "staff", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: herNumber, Text: "Case 1234567 received."}
	if _, err := f.ob.Queue(ctx, staff); err != nil {
		t.Fatal(err)
	}
}

// The texts staff are sent today, as their catalogues write them, with a case reference, a
// district code and a neutral centre code filled in.
var staffTexts = []string{
	"Urgent case 1234567, BD-DH. Please check the console now.",
	"জরুরি কেস 1234567, BD-DH। এখনই কনসোল দেখুন।",
	"ज़रूरी केस 1234567, IN-AN। कृपया अभी कंसोल देखें।",
	"حالة عاجلة 1234567، PS-JE. يرجى مراجعة لوحة التحكم الآن.",
	"Callback due: case 1234567, until 09:00 her time. Details in the console.",
	"কলব্যাকের সময়: কেস 1234567, তার সময় 09:00 পর্যন্ত। বিস্তারিত কনসোলে।",
	"कॉलबैक का समय: केस 1234567, उनके समय 09:00 तक। विवरण कंसोल में।",
	"موعد الاتصال: الحالة 1234567، حتى 09:00 بتوقيتها. التفاصيل في لوحة التحكم.",
}

// TestEveryAudienceTextIsChecked: no text to a worker, an official, a counsellor or a centre
// names the service, a centre or violence unless the operator allows it; the neutral texts
// staff are sent today all pass.
func TestEveryAudienceTextIsChecked(t *testing.T) {
	staff := []outbox.Audience{outbox.Worker, outbox.Official, outbox.Counsellor, outbox.Centre}
	bad := []string{
		"Urgent crisis case 1234567. Please check the console now.",
		"Case 1234567 received and sent to Nari Sahayata Kendra.",
		"কেস 1234567: নির্যাতন।",
		"New referral R1234567 (one-stop centre).",
	}
	for _, naming := range []bool{false, true} {
		f := newFixture(t, outbox.Config{NameService: naming, Betraying: []string{"Nari Sahayata Kendra"}})
		for i, text := range bad {
			for _, a := range staff {
				m := &outbox.Message{Key: fmt.Sprint("bad-", i, a), Kind: outbox.SMS, Audience: a, Cause: outbox.CauseNotice, To: staffNumber, Text: text}
				_, err := f.ob.Queue(context.Background(), m)
				if naming && err != nil {
					t.Errorf("with the service named allowed, %s %q: %v", a, text, err)
				}
				if !naming && (onestop.ErrorCode(err) != onestop.EFORBIDDEN || !strings.Contains(err.Error(), "names the service")) {
					t.Errorf("to a %s, %q: %v", a, text, err)
				}
			}
		}
	}
	f := newFixture(t, outbox.Config{})
	texts := append([]string(nil), staffTexts...)
	for _, lang := range onestop.Langs {
		texts = append(texts, flows.SMSSamples(lang, "R1234567", "BD-DH-04")...)
	}
	for i, text := range texts {
		for _, a := range staff {
			m := &outbox.Message{Key: fmt.Sprint("ok-", i, a), Kind: outbox.SMS, Audience: a, Cause: outbox.CauseNotice, To: staffNumber, Text: text}
			if _, err := f.ob.Queue(context.Background(), m); err != nil {
				t.Errorf("a neutral text to a %s was refused: %q: %v", a, text, err)
			}
		}
	}
}

// TestRoleCallbackNoteCancelled: a callback note addressed to the duty role, whose window
// closed while it waited, is cancelled, not held as if nobody were on duty.
func TestRoleCallbackNoteCancelled(t *testing.T) {
	ctx := context.Background()
	f, r := roleFixture(t, outbox.Config{})
	r.set(outbox.RoleDuty, outbox.Recipient{Number: dutyA})
	id := f.contact(onestop.Open, callable())
	f.clock.Set(start.Add(time.Hour))
	m := &outbox.Message{Key: "callback:r:duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseCallback,
		ContactID: id, Role: outbox.RoleDuty, Template: "alert", Args: []string{"1234567", "BD-DH"}, NextAttempt: start.Add(2 * time.Hour)}
	if _, err := f.ob.Queue(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(start.Add(4 * time.Hour))
	rec := &recorder{name: outbox.LogName}
	if n, _ := f.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: rec}); n != 0 {
		t.Fatal("sent a callback note after her window closed")
	}
	if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Cancelled || !strings.Contains(got.Error, "window has closed") {
		t.Fatalf("%s %q", got.State, got.Error)
	}
}
