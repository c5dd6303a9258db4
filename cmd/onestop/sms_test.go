package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

// run runs one command line and returns its output.
func smsCmd(tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, nil, &out, &errb)
	return out.String() + errb.String(), err
}

func smsMustCmd(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := smsCmd(tb, args...)
	if err != nil {
		tb.Fatalf("%v: %v\n%s", args, err, out)
	}
	return out
}

// noProviders clears the SMS environment, so that a test sends to the log unless it says more.
func noProviders(t *testing.T) {
	for _, k := range []string{"ONESTOP_PUBLIC_URL", "ONESTOP_AT_USERNAME", "ONESTOP_AT_API_KEY", "ONESTOP_AT_BASE_URL", "ONESTOP_AT_SENDER",
		"ONESTOP_TWILIO_ACCOUNT_SID", "ONESTOP_TWILIO_AUTH_TOKEN", "ONESTOP_TWILIO_BASE_URL", "ONESTOP_TWILIO_FROM",
		"ONESTOP_REFERRAL_REMIND_DAYS", "ONESTOP_SMS_NAME_SERVICE", "ONESTOP_SEAL_KEY", "ONESTOP_SEAL_KEY_FILE"} {
		t.Setenv(k, "")
	}
}

func TestWorkerCommands(t *testing.T) {
	noProviders(t)
	data := t.TempDir()
	out := smsMustCmd(t, "worker", "add", "+8801711000101", "--name", "Rina Akter", "--lang", "bn", "--area", "bd-13", "--data", data)
	if !strings.Contains(out, "Rina Akter (+880 17** ***101) added") {
		t.Fatalf("add: %q", out)
	}
	smsMustCmd(t, "worker", "add", "--data", data, "--name", "Sunita", "--lang", "hi", "+919876500101")
	for _, bad := range [][]string{
		{"worker", "add", "+8801711000102", "--name", "X", "--lang", "fr"},
		{"worker", "add", "+8801711000102", "--lang", "bn"},
		{"worker", "add", "01711000102", "--name", "X", "--lang", "bn"},
		{"worker", "add", "+88017", "--name", "X", "--lang", "bn"},
		{"worker", "add", "+8801711000102", "--name", "X", "--lang", "bn", "--area", "Dhaka district"},
		{"worker", "add", "+8801711000102", "--name", "X", "--lang", "bn", "--area", "BD-99"},
		{"worker", "remove", "+8801711000999"},
		{"worker", "fly"},
	} {
		if out, err := smsCmd(t, append(bad, "--data", data)...); err == nil {
			t.Errorf("%v accepted: %s", bad, out)
		}
	}
	list := smsMustCmd(t, "worker", "list", "--data", data)
	if !strings.Contains(list, "Rina Akter") || !strings.Contains(list, "BD-13") || !strings.Contains(list, "+91 98** ***101") || strings.Contains(list, "1711000101") {
		t.Fatalf("list:\n%s", list)
	}
	smsMustCmd(t, "worker", "remove", "+8801711000101", "--data", data)
	if list := smsMustCmd(t, "worker", "list", "--data", data); strings.Contains(list, "Rina") {
		t.Fatalf("removed worker still listed:\n%s", list)
	}
	raw, _ := os.ReadFile(filepath.Join(data, "onestop.db"))
	if bytes.Contains(raw, []byte("9876500101")) {
		t.Fatal("a worker's number is in the clear in the database file")
	}
}

func TestOfficialsAndDutyCommands(t *testing.T) {
	noProviders(t)
	data := t.TempDir()
	good := filepath.Join(t.TempDir(), "officials.csv")
	os.WriteFile(good, []byte("district,role,number,language\nBD-13,SP,+8801711000201,bn\nbd-13, Civil Surgeon ,+8801711000202,EN\nBD-10,DM,+8801811000203,bn\n"), 0o600)
	if out := smsMustCmd(t, "officials", "import", good, "--data", data); !strings.Contains(out, "3 officials in 2 districts") {
		t.Fatalf("import: %q", out)
	}
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("BD-13,SP,+8801711000201,bn\nDhaka,OC,+8801711000204,bn\nBD-13,,+8801711000205,bn\nBD-13,DM,12345,bn\nBD-13,DM,+8801711000206,fr\nBD-13,DM\n"), 0o600)
	out, err := smsCmd(t, "officials", "import", bad, "--data", data)
	if err == nil || !strings.Contains(err.Error(), "line 2") || !strings.Contains(err.Error(), "line 6") || strings.Contains(err.Error(), "line 1:") {
		t.Fatalf("bad import: %v %s", err, out)
	}
	unknown := filepath.Join(t.TempDir(), "unknown.csv")
	os.WriteFile(unknown, []byte("BD-13,SP,+8801711000201,bn\nBD-99,OC,+8801711000204,bn\n"), 0o600)
	if out, err := smsCmd(t, "officials", "import", unknown, "--data", data); err == nil || !strings.Contains(err.Error(), "BD-99") {
		t.Fatalf("import with an unknown district: %v %s", err, out)
	}
	list := smsMustCmd(t, "officials", "list", "--data", data)
	if strings.Count(list, "BD-13") != 2 || !strings.Contains(list, "Civil Surgeon") || strings.Contains(list, "1711000201") {
		t.Fatalf("a failed import changed the list, or it shows numbers:\n%s", list)
	}
	if out := smsMustCmd(t, "duty", "show", "--data", data); !strings.Contains(out, "no counsellor on duty") {
		t.Fatalf("duty show: %q", out)
	}
	smsMustCmd(t, "duty", "set", "+8801911000301", "--lang", "bn", "--data", data)
	if out := smsMustCmd(t, "duty", "show", "--data", data); !strings.Contains(out, "+880 19** ***301 (bn)") {
		t.Fatalf("duty show: %q", out)
	}
	if _, err := smsCmd(t, "duty", "set", "+880", "--data", data); err == nil {
		t.Fatal("duty set took a bad number")
	}
}

// fakeAT is Africa's Talking's SMS API: it takes every message and remembers it.
type fakeAT struct {
	mu   sync.Mutex
	sent []url.Values
}

func (f *fakeAT) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	f.mu.Lock()
	f.sent = append(f.sent, r.PostForm)
	n := len(f.sent)
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	fmt.Fprintf(w, `{"SMSMessageData":{"Message":"Sent to 1/1","Recipients":[{"statusCode":101,"number":"%s","status":"Success","cost":"KES 0.8000","messageId":"ATXid_%d"}]}}`, r.PostForm.Get("to"), n)
}

func (f *fakeAT) to(number string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for _, v := range f.sent {
		if v.Get("to") == number {
			out = append(out, v.Get("message"))
		}
	}
	return out
}

func (f *fakeAT) waitFor(tb testing.TB, number string, n int) []string {
	tb.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if got := f.to(number); len(got) >= n {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("%s got %d messages, want %d", number, len(f.to(number)), n)
	return nil
}

// runMainOn starts the real gateway on data, which commands have already prepared.
func runMainOn(tb testing.TB, data string) *Main {
	tb.Helper()
	m := NewMain()
	m.Config = DefaultConfig()
	m.Config.Addr, m.Config.Data = "127.0.0.1:0", data
	m.Config.SealKey, m.Config.SealKeyFile = "", ""
	m.Config.WebhookToken, m.Config.WebhookUser, m.Config.WebhookPassword = "", "", ""
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	m.Config.LogLevel = "error"
	if err := m.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

func ussd(tb testing.TB, addr, session, caller, text string) string {
	tb.Helper()
	form := url.Values{"sessionId": {session}, "serviceCode": {"*109#"}, "phoneNumber": {caller}, "networkCode": {"47001"}, "text": {text}}
	resp, err := http.Post("http://"+addr+"/ussd/africastalking", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

const (
	herNumber  = "+8801711000001"
	dutyNumber = "+8801911000301"
	rina       = "+8801711000101"
)

// TestServeSendsAlertsCallbacksAndReplies runs the real gateway against an Africa's Talking
// stand-in: an urgent USSD contact alerts the counsellor on duty at once and, with the call she
// agreed to, notifies the counsellor when her window opens; a worker's referral by SMS is
// answered; nothing at all goes to her number.
func TestServeSendsAlertsCallbacksAndReplies(t *testing.T) {
	noProviders(t)
	at := &fakeAT{}
	srv := httptest.NewServer(at)
	defer srv.Close()
	t.Setenv("ONESTOP_AT_USERNAME", "onestop")
	t.Setenv("ONESTOP_AT_API_KEY", "key")
	t.Setenv("ONESTOP_AT_BASE_URL", srv.URL)
	data := t.TempDir()
	smsMustCmd(t, "duty", "set", dutyNumber, "--data", data)
	smsMustCmd(t, "worker", "add", rina, "--name", "Rina", "--lang", "bn", "--data", data)
	m := runMainOn(t, data)

	var end string
	for _, text := range []string{"", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*2"} { // the last skips her district
		end = ussd(t, m.Addr(), "ATUid_sms1", herNumber, text)
	}
	if !strings.HasPrefix(end, "END ") {
		t.Fatalf("closing screen %q", end)
	}
	contacts, _ := m.Cases.List(casebook.Filter{})
	ref := contacts[0].Ref
	// Alerts are addressed to the role on duty and resolved by the outbox when sent.
	mustAcceptRoles(t, m)
	got := at.waitFor(t, dutyNumber, 2)
	if got[0] != "Urgent case "+ref+", BD. Please check the console now." || !strings.HasPrefix(got[1], "Callback due: case "+ref+", until ") {
		t.Fatalf("counsellor got %q", got)
	}

	body := url.Values{"from": {rina}, "to": {"21525"}, "text": {"রেফার ঢাকা চিকিৎসা দরকার"}, "date": {"2026-11-23 10:15:02"}, "id": {"ATXid_in1"}, "linkId": {""}, "networkCode": {"47001"}}
	for range 2 { // AT retries: one reply all the same
		resp, err := http.Post("http://"+m.Addr()+"/sms/africastalking", "application/x-www-form-urlencoded", strings.NewReader(body.Encode()))
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("inbound SMS: %v %v", resp.StatusCode, err)
		}
		resp.Body.Close()
	}
	reply := at.waitFor(t, rina, 1)
	if !strings.HasPrefix(reply[0], "কেস R") || !strings.Contains(reply[0], "অবস্থা R") {
		t.Fatalf("worker got %q", reply)
	}
	time.Sleep(600 * time.Millisecond) // a poll of the outbox: a second reply would have gone by now
	if n := len(at.to(rina)); n != 1 {
		t.Fatalf("worker got %d replies to one text", n)
	}
	if n := len(at.to(herNumber)); n != 0 {
		t.Fatalf("%d messages went to the survivor's number", n)
	}
	// The delivery report is matched to the reply and shown in outbox list.
	replyID := ""
	sent, _ := m.Outbox.List(outbox.Filter{})
	for _, msg := range sent {
		if msg.Audience == outbox.Worker {
			replyID = msg.ProviderID
		}
	}
	resp, _ := http.Post("http://"+m.Addr()+"/sms/africastalking/delivery", "application/x-www-form-urlencoded",
		strings.NewReader("id="+replyID+"&status=Success&phoneNumber=%2B8801711000101&networkCode=47001"))
	resp.Body.Close()

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	list := smsMustCmd(t, "outbox", "list", "--data", data)
	if !strings.Contains(list, "delivered") || strings.Contains(list, "1911000301") || strings.Contains(list, "1711000101") {
		t.Fatalf("outbox list:\n%s", list)
	}
}

// hookFixture is a Main with a store and no server, to drive onRecorded directly.
func hookFixture(t *testing.T) *Main {
	noProviders(t)
	data := t.TempDir()
	csvPath := filepath.Join(t.TempDir(), "officials.csv")
	os.WriteFile(csvPath, []byte("BD-13,SP,+8801711000201,bn\nBD-13,Civil Surgeon,+8801711000202,en\nBD-10,DM,+8801811000203,bn\n"), 0o600)
	smsMustCmd(t, "officials", "import", csvPath, "--data", data)
	smsMustCmd(t, "duty", "set", dutyNumber, "--lang", "bn", "--data", data)
	m := &Main{Config: DefaultConfig(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.Config.Data = data
	var err error
	if m.DB, m.Box, err = openStore(m.Config, time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.DB.Close() })
	m.Cases = casebook.New(m.DB, m.Box)
	if m.Dir, err = directory.Embedded(); err != nil {
		t.Fatal(err)
	}
	return m
}

// record writes after (and calls the hook) the way the flows do, twice, since a group commit
// may run a write again.
func record(t *testing.T, m *Main, before, after *onestop.Contact) {
	t.Helper()
	for range 2 {
		err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
			c := *after
			if err := m.Cases.Put(tx, &c); err != nil {
				return err
			}
			*after = c
			return m.onRecorded(tx, before, &c)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestOnRecordedQueuesAlertsAndCallbacks(t *testing.T) {
	m := hookFixture(t)
	ob := m.outbox(smsConfig{})
	now := m.DB.Now()
	plan := &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Window: onestop.Evening, Opens: now.Add(5 * time.Hour),
		Closes: now.Add(9 * time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}
	steps := []struct {
		name   string
		change func(c *onestop.Contact)
		want   []string // new messages: audience→number
	}{
		{"information only", func(c *onestop.Contact) { c.Urgency = onestop.Information }, nil},
		{"urgent, district not yet known", func(c *onestop.Contact) { c.Urgency = onestop.Urgent }, []string{"counsellor→role:duty"}},
		{"she chooses her district", func(c *onestop.Contact) { c.Area = "BD-13" }, []string{"official→+8801711000201", "official→+8801711000202"}},
		{"urgent again changes nothing", func(c *onestop.Contact) { c.Urgency = onestop.Urgent }, nil},
		{"she agrees to a call", func(c *onestop.Contact) { c.Plan = plan; c.Caller = herNumber }, []string{"counsellor→role:duty"}},
		{"the session drops afterwards", func(c *onestop.Contact) { c.Status = onestop.Dropped }, nil},
	}
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali, Status: onestop.Open, Masked: "+880 17** ***001"}
	var before *onestop.Contact
	seen := 0
	mustAcceptRoles(t, m)
	for _, st := range steps {
		st.change(c)
		record(t, m, before, c)
		b := *c
		before = &b
		list, err := ob.List(outbox.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := len(list) - seen - 1; i >= 0; i-- {
			msg := list[i]
			to := msg.To
			if msg.Role != "" {
				to = "role:" + msg.Role
			}
			got = append(got, string(msg.Audience)+"→"+to)
			if strings.Contains(msg.Text, "1711000001") || msg.To == herNumber {
				t.Fatalf("%s: a message carries her number: %+v", st.name, msg)
			}
		}
		seen = len(list)
		if strings.Join(got, ",") != strings.Join(st.want, ",") {
			t.Fatalf("%s: queued %v, want %v", st.name, got, st.want)
		}
	}
	list, _ := ob.List(outbox.Filter{})
	byTo := map[string]string{}
	for _, msg := range list {
		text := msg.Text
		if msg.Role != "" {
			// Worded when sent, in the language of whoever is on duty then.
			text = m.render(msg.Template, onestop.Bengali, msg.Args)
		}
		byTo[msg.To+msg.Role+" "+string(msg.Cause)] = text
		if msg.Cause == outbox.CauseCallback && !msg.NextAttempt.Equal(plan.Opens) {
			t.Fatalf("the callback note falls due at %s, her window opens at %s", msg.NextAttempt, plan.Opens)
		}
	}
	ref := c.Ref
	if byTo["+8801711000202 alert"] != "Urgent case "+ref+", BD-13. Please check the console now." ||
		byTo["duty alert"] != "জরুরি কেস "+ref+", BD। এখনই কনসোল দেখুন।" ||
		!strings.HasPrefix(byTo["duty callback"], "কলব্যাকের সময়: কেস "+ref+", তার সময় ") {
		t.Fatalf("texts %q", byTo)
	}
	var task callbackTask
	m.DB.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(store.Callbacks).Get(store.U64(c.ID))
		if v != nil {
			task, _ = unmarshalTask(v)
		}
		return nil
	})
	if task.Ref != ref || !task.Due.Equal(plan.Opens) || task.OutboxID == 0 {
		t.Fatalf("callback task %+v", task)
	}
}

func TestOnRecordedNeverForANoCallPlan(t *testing.T) {
	m := hookFixture(t)
	ob := m.outbox(smsConfig{})
	now := m.DB.Now()
	before := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
	record(t, m, nil, before)
	after := *before
	after.Plan, after.Status = &onestop.SafeContactPlan{MayCall: false, AgreedAt: now}, onestop.DoNotContact
	record(t, m, before, &after)
	if list, _ := ob.List(outbox.Filter{}); len(list) != 0 {
		t.Fatalf("queued %d messages for a non-urgent contact who said do not call", len(list))
	}
	var n int
	m.DB.View(func(tx *bbolt.Tx) error { n = tx.Bucket(store.Callbacks).Stats().KeyN; return nil })
	if n != 0 {
		t.Fatal("a callback task for a plan that allows no call")
	}
}

func TestOutboxCommands(t *testing.T) {
	m := hookFixture(t)
	c := &onestop.Contact{Time: m.DB.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open, Area: "BD-10"}
	record(t, m, nil, c)
	data := m.Config.Data
	mustAcceptRoles(t, m)
	queued := 2 // the official's alert, and the one to the role on duty
	m.DB.Close()
	list := smsMustCmd(t, "outbox", "list", "--data", data)
	if strings.Count(list, "queued") != queued || !strings.Contains(list, "+880 18** ***203") {
		t.Fatalf("list:\n%s", list)
	}
	smsMustCmd(t, "outbox", "drop", "1", "--data", data)
	if _, err := smsCmd(t, "outbox", "drop", "1", "--data", data); err != nil {
		t.Fatalf("dropping a dead message again: %v", err)
	}
	if out := smsMustCmd(t, "outbox", "list", "--state", "dead", "--data", data); !strings.Contains(out, "dropped by the operator") {
		t.Fatalf("dead list:\n%s", out)
	}
	smsMustCmd(t, "outbox", "retry", "1", "--data", data)
	if _, err := smsCmd(t, "outbox", "retry", "1", "--data", data); err == nil {
		t.Fatal("retry of a queued message")
	}
	for _, bad := range [][]string{{"outbox", "retry", "x"}, {"outbox", "drop", "99"}, {"outbox", "send"}} {
		if _, err := smsCmd(t, append(bad, "--data", data)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// TestCallbackConfirmedWithNobodyOnDuty: the note is queued at once for the role on duty, so it
// reaches whoever is on duty when her window opens; a note the outbox did not take is queued
// again by the sweep, once, and never for a callback she was already reached on or whose window
// closed.
func TestCallbackConfirmedWithNobodyOnDuty(t *testing.T) {
	noProviders(t)
	m := hookFixture(t)
	clearRota(t, m)
	mustAcceptRoles(t, m)
	now := m.DB.Now()
	plan := func(opens, closes time.Duration) *onestop.SafeContactPlan {
		return &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Opens: now.Add(opens), Closes: now.Add(closes), TZ: "Asia/Dhaka", AgreedAt: now}
	}
	var open, closed, reached onestop.Contact
	for _, x := range []struct {
		c *onestop.Contact
		p *onestop.SafeContactPlan
	}{{&open, plan(time.Hour, 3*time.Hour)}, {&closed, plan(-3*time.Hour, -time.Hour)}, {&reached, plan(0, time.Hour)}} {
		*x.c = onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
		record(t, m, nil, x.c)
		before := *x.c
		x.c.Plan = x.p
		record(t, m, &before, x.c)
	}
	reached.Status = onestop.Done
	record(t, m, &reached, &reached)
	ob := m.outbox(smsConfig{})
	l, _ := ob.List(outbox.Filter{})
	// One per plan whose window has not closed: the outbox takes no note for a callback no
	// longer owed.
	if len(l) != 2 {
		t.Fatalf("%d notes with nobody on duty, want one per plan still open", len(l))
	}
	for _, msg := range l {
		if msg.Role != roleDuty || msg.To != "" || msg.Template != tmplCallback || msg.ContactID == 0 {
			t.Fatalf("note not addressed to the role on duty for her contact: %+v", msg)
		}
		if msg.ContactID == closed.ID {
			t.Fatalf("a note was queued for a window already closed: %+v", msg)
		}
	}
	// Notes the outbox did not take: the sweep queues the one still to be made, once.
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		for _, c := range []*onestop.Contact{&open, &closed, &reached} {
			v := tx.Bucket(store.Callbacks).Get(store.U64(c.ID))
			task, err := unmarshalTask(v)
			if err != nil {
				return err
			}
			task.OutboxID = 0
			if err := tx.Bucket(store.Callbacks).Put(store.U64(c.ID), task.marshal()); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(store.Outbox)
	})
	if err != nil {
		t.Fatal(err)
	}
	m.DB.Update(context.Background(), func(tx *bbolt.Tx) error { _, err := tx.CreateBucket(store.Outbox); return err })
	for i, want := range []int{1, 0} {
		if n, err := m.notifyCallbacks(context.Background()); n != want || err != nil {
			t.Fatalf("pass %d: %d notes, %v; want %d", i, n, err, want)
		}
	}
	l, _ = ob.List(outbox.Filter{})
	if len(l) != 1 || l[0].Role != roleDuty || l[0].Args[0] != open.Ref || !l[0].NextAttempt.Equal(open.Plan.Opens) {
		t.Fatalf("notes %+v", l)
	}
}

func TestCallbackTaskRecords(t *testing.T) {
	dhaka := time.FixedZone("", 6*3600)
	task := callbackTask{
		ContactID: 4711, Ref: casebook.Ref(4711), Window: onestop.Evening, TZ: "Asia/Dhaka",
		Due:     time.Date(2026, 11, 24, 17, 0, 0, 0, dhaka),
		Closes:  time.Date(2026, 11, 24, 21, 0, 0, 0, dhaka),
		Created: time.Unix(1_800_000_000, 5), OutboxID: 99,
	}
	got, err := unmarshalTask(task.marshal())
	if err != nil || got != task {
		t.Fatalf("read back %+v, %v; wrote %+v", got, err, task)
	}
	if got.Due.String() != task.Due.String() {
		t.Errorf("due reads %s, was %s", got.Due, task.Due)
	}
	// Written before the binary format: JSON, still read the same.
	old, err := json.Marshal(&task)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := unmarshalTask(old); err != nil || got.Ref != task.Ref || !got.Due.Equal(task.Due) || got.OutboxID != 99 {
		t.Fatalf("JSON task read as %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, {9, 1}, task.marshal()[:5], []byte(`{"contactId":`)} {
		if got, err := unmarshalTask(bad); err == nil {
			t.Errorf("%q read as %+v", bad, got)
		}
	}
}

// "Do not call", said in a later conversation from her number, stops the callback note an
// earlier one queued: the outbox asks, when it sends, whether her number is marked.
func TestDoNotContactStopsAnEarlierCallbackNote(t *testing.T) {
	m := hookFixture(t)
	now := m.DB.Now()
	c := onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
	record(t, m, nil, &c)
	before := c
	c.Plan = &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Opens: now.Add(-time.Minute), Closes: now.Add(time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}
	record(t, m, &before, &c)
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		return m.Cases.MarkDoNotContact(tx, herNumber, now.Add(90*24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	ob := m.outbox(smsConfig{})
	log := &outbox.LogSender{Log: m.Log}
	if _, err := ob.Flush(context.Background(), map[string]outbox.Sender{log.Name(): log}); err != nil {
		t.Fatal(err)
	}
	list, _ := ob.List(outbox.Filter{})
	notes := 0
	for _, msg := range list {
		if msg.Cause != outbox.CauseCallback {
			continue
		}
		notes++
		if msg.State == outbox.Sent || msg.State == outbox.Delivered || msg.State == outbox.Sending {
			t.Fatalf("a callback note went out for a number marked do not contact: %+v", msg)
		}
	}
	if notes == 0 {
		t.Fatal("no callback note was queued: the test saw nothing to stop")
	}
}
