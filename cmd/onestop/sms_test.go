package main

import (
	"bytes"
	"context"
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

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
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
	ctx := context.Background()
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
	contacts, _ := m.Cases.List(ctx, casebook.Filter{})
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
	sent, _ := m.Outbox.List(ctx, outbox.Filter{})
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

// hookFixture is a Main with a store and no server, its services built as serve builds them, to
// drive the alerts' Recorded hook directly.
func hookFixture(t *testing.T) *Main {
	ctx := context.Background()
	noProviders(t)
	data := t.TempDir()
	csvPath := filepath.Join(t.TempDir(), "officials.csv")
	os.WriteFile(csvPath, []byte("BD-13,SP,+8801711000201,bn\nBD-13,Civil Surgeon,+8801711000202,en\nBD-10,DM,+8801811000203,bn\n"), 0o600)
	smsMustCmd(t, "officials", "import", csvPath, "--data", data)
	smsMustCmd(t, "duty", "set", dutyNumber, "--lang", "bn", "--data", data)
	m := &Main{Config: DefaultConfig(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	m.Config.Data = data
	var err error
	if m.DB, m.Box, err = openStore(ctx, m.Config, time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.DB.Close() })
	m.Cases = casebook.New(m.DB, m.Box)
	if m.Dir, err = directory.Embedded(); err != nil {
		t.Fatal(err)
	}
	m.outbox(m.smsConfig)
	return m
}

// record writes after (and calls the hook) the way the flows do, twice, since a group commit
// may run a write again.
func record(t *testing.T, m *Main, before, after *onestop.Contact) {
	t.Helper()
	for range 2 {
		err := m.DB.Update(context.Background(), func(tx onestop.Tx) error {
			c := *after
			if err := m.Cases.Put(tx, &c); err != nil {
				return err
			}
			*after = c
			return m.Alerts.Recorded(tx, before, &c)
		})
		if err != nil {
			t.Fatal(err)
		}
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

// The running gateway's outbox asks the casebook whether her number is marked "do not contact":
// a call her plan allows is refused once the mark is made.
func TestServeRefusesACallToANumberMarkedDoNotContact(t *testing.T) {
	noProviders(t)
	m := runMain(t, t.TempDir(), nil)
	now := m.DB.Now()
	c := &onestop.Contact{Time: now, Updated: now, Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali, Urgency: onestop.NonUrgent,
		Status: onestop.Open, Caller: herNumber, Plan: &onestop.SafeContactPlan{MayCall: true, Number: herNumber,
			Opens: now.Add(-time.Minute), Closes: now.Add(time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}}
	err := m.DB.Update(context.Background(), func(tx onestop.Tx) error { return m.Cases.Put(tx, c) })
	if err != nil {
		t.Fatal(err)
	}
	call := func(key string) error {
		return m.DB.Update(context.Background(), func(tx onestop.Tx) error {
			_, err := m.Outbox.Enqueue(tx, &outbox.Message{Key: key, Kind: outbox.Call, Audience: outbox.Survivor,
				Cause: outbox.CausePlan, ContactID: c.ID, To: herNumber})
			return err
		})
	}
	if err := call("plan:1"); err != nil {
		t.Fatalf("the call her plan allows: %v", err)
	}
	err = m.DB.Update(context.Background(), func(tx onestop.Tx) error {
		return m.Cases.MarkDoNotContact(tx, herNumber, now.Add(24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := call("plan:2"); onestop.ErrorCode(err) != onestop.EFORBIDDEN {
		t.Fatalf("a call to a number marked do not contact: %v", err)
	}
}

func TestUnconfiguredProvidersHaveNoRoutes(t *testing.T) {
	noProviders(t)
	m := MustRunMain(t)
	for _, path := range []string{"/sms/africastalking", "/sms/africastalking/delivery", "/sms/twilio", "/sms/bdapps", "/ussd/bdapps"} {
		resp, err := http.Post("http://"+m.Addr()+path, "application/x-www-form-urlencoded", strings.NewReader("from=%2B8801711000101&text=STATUS"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s with no credentials: %d, want 404", path, resp.StatusCode)
		}
	}
	// The generic USSD format needs no credentials and stays.
	if got := hop(t, m.Addr(), "ATUid_routes", "+8801711000101", ""); !strings.HasPrefix(got, "CON ") {
		t.Errorf("USSD: %q", got)
	}
}
