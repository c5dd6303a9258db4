package twilio_test

import (
	"bytes"
	"context"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/console"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

const (
	bridgeHer        = "+8801711000001"
	bridgeCounsellor = "+8801911000003"
	bridgeHelpline   = "+8809612000000"
	bridgeSecret     = "correct horse battery"
)

// 2026-11-23 04:00 UTC is 10:00 in Dhaka.
var bridgeStart = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

type bridgeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *bridgeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *bridgeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// bridgeStandIn is Twilio's REST API: it records each Calls.json request.
type bridgeStandIn struct {
	mu    sync.Mutex
	calls []url.Values
	srv   *httptest.Server
}

func newBridgeStandIn(t *testing.T) *bridgeStandIn {
	s := &bridgeStandIn{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != "POST" || !strings.HasSuffix(r.URL.Path, "/Accounts/AC1/Calls.json") {
			http.Error(w, "not found", 404)
			return
		}
		if u, p, ok := r.BasicAuth(); !ok || u != "AC1" || p != token {
			http.Error(w, "auth", 401)
			return
		}
		_ = r.ParseForm()
		s.mu.Lock()
		s.calls = append(s.calls, r.PostForm)
		n := len(s.calls)
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		io.WriteString(w, `{"sid":"CA`+strconv.Itoa(n)+`","status":"queued"}`)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *bridgeStandIn) requests() []url.Values {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]url.Values(nil), s.calls...)
}

type bridgeFixture struct {
	t       *testing.T
	clock   *bridgeClock
	db      *bolt.DB
	cases   *casebook.Casebook
	out     *outbox.Outbox
	g       *gateway.Gateway
	con     *fiber.App
	cs      *console.Console
	twilio  *bridgeStandIn
	senders map[string]outbox.Sender
}

func newBridgeFixture(t *testing.T) *bridgeFixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &bridgeClock{t: bridgeStart}
	db.Clock = clk.Now
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet, DoNotContact: cases.Marked})
	ids := outbox.CallerIDs{"BD": bridgeHelpline}
	cfg := twilio.Config{AccountSID: "AC1", AuthToken: token, PublicURL: publicURL}
	g := gateway.New(gateway.Config{Log: quiet}, store.Health{Store: db})
	twilio.RegisterBridge(g, cfg, "", out, ids)
	stand := newBridgeStandIn(t)
	cfg.BaseURL = stand.srv.URL
	dialer := twilio.NewDialer(cfg, "", ids)
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	numbers := map[string]string{"cara": bridgeCounsellor}
	cs, err := console.New(db, cases, dir, console.Config{Log: quiet, Call: func(ctx context.Context, id uint64, by, press string) error {
		_, err := out.Bridge(ctx, id, by, numbers[by], twilio.Provider, press)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	cs.Users.Cost = 4
	for _, u := range []struct {
		name string
		role staff.Role
	}{{"cara", staff.RoleCounsellor}, {"sara", staff.RoleSupervisor}, {"ada", staff.RoleAdmin}} {
		if err := cs.Users.Add(context.Background(), "test", u.name, u.role, bridgeSecret, false); err != nil {
			t.Fatal(err)
		}
	}
	app := fiber.New()
	cs.Register(app)
	return &bridgeFixture{t: t, clock: clk, db: db, cases: cases, out: out, g: g, con: app, cs: cs, twilio: stand,
		senders: map[string]outbox.Sender{dialer.Name(): outbox.DialSender(dialer)}}
}

// contact records an open urgent contact whose plan allows a call to her number from opens for
// 30 minutes.
func (f *bridgeFixture) contact(opens time.Time) *onestop.Contact {
	f.t.Helper()
	c := &onestop.Contact{Time: bridgeStart.Add(-10 * time.Minute), Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali,
		Urgency: onestop.Urgent, Status: onestop.Open, Caller: bridgeHer, Masked: "+880 17** ***001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: bridgeHer, Window: onestop.Now, Opens: opens, Closes: opens.Add(30 * time.Minute),
			TZ: "Asia/Dhaka", AgreedAt: bridgeStart.Add(-10 * time.Minute)}}
	if err := f.db.Update(context.Background(), func(tx onestop.Tx) error { return f.cases.Put(tx, c) }); err != nil {
		f.t.Fatal(err)
	}
	return c
}

type bridgePage struct {
	status int
	body   string
}

func (f *bridgeFixture) console(user, method, path string, form url.Values) (bridgePage, string) {
	f.t.Helper()
	tok, csrf, err := f.cs.Users.StartSession(context.Background(), user)
	if err != nil {
		f.t.Fatal(err)
	}
	var body io.Reader
	if form != nil {
		form.Set("csrf", csrf)
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", bridgeForm)
	}
	req.AddCookie(&http.Cookie{Name: "onestop_session", Value: tok})
	resp, err := f.con.Test(req, -1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return bridgePage{resp.StatusCode, html.UnescapeString(string(b))}, csrf
}

const bridgeForm = "application/x-www-form-urlencoded"

// webhook posts params to a bridge webhook, signed as Twilio signs it (or with sig).
func (f *bridgeFixture) webhook(path string, params url.Values, sig string) (int, string) {
	f.t.Helper()
	body := params.Encode()
	if sig == "" {
		sig = twilio.Signature(token, publicURL+path, params)
	}
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	req.Header.Set("Content-Type", bridgeForm)
	req.Header.Set("X-Twilio-Signature", sig)
	resp, err := f.g.App.Test(req, 5000)
	if err != nil {
		f.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (f *bridgeFixture) bridges(c *onestop.Contact) []casebook.Bridge {
	f.t.Helper()
	bs, err := f.cases.Bridges(context.Background(), c)
	if err != nil {
		f.t.Fatal(err)
	}
	return bs
}

func bridgeOutcomes(bs []casebook.Bridge) string {
	var s []string
	for _, b := range bs {
		s = append(s, string(b.Outcome))
	}
	return strings.Join(s, ",")
}

var bridgePressField = regexp.MustCompile(`name="press" value="([^"]+)"`)

// bridgeHerDigits are her number and the ways its digits could appear.
var bridgeHerDigits = []string{bridgeHer, "8801711000001", "01711000001", "1711000001", "880 1711 000001", "01711-000001"}

// everyPage fetches every console page as every role and fails if any shows her number.
func (f *bridgeFixture) everyPage(refs ...string) {
	f.t.Helper()
	paths := []string{"/console/", "/console/contacts", "/console/callbacks", "/console/referrals", "/console/directory",
		"/console/exports", "/console/audit", "/console/users", "/console/password", "/console/callbacks?done=call"}
	for _, r := range refs {
		paths = append(paths, "/console/case/"+r)
	}
	seen := 0
	for _, user := range []string{"cara", "sara", "ada"} {
		for _, p := range paths {
			pg, _ := f.console(user, "GET", p, nil)
			if pg.status == 200 {
				seen++
			}
			for _, d := range bridgeHerDigits {
				if strings.Contains(pg.body, d) {
					f.t.Fatalf("%s as %s shows %q:\n%s", p, user, d, pg.body)
				}
			}
		}
	}
	if seen < 20 {
		f.t.Fatalf("only %d console pages answered 200", seen)
	}
}

func TestBridgedCallback(t *testing.T) {
	ctx := context.Background()
	f := newBridgeFixture(t)
	due := f.contact(bridgeStart.Add(-5 * time.Minute))
	later := f.contact(bridgeStart.Add(8 * time.Hour))

	// The queue offers Call on the contact whose window is open, and shows only the mask.
	q, _ := f.console("cara", "GET", "/console/callbacks", nil)
	m := bridgePressField.FindStringSubmatch(q.body)
	if q.status != 200 || m == nil || !strings.Contains(q.body, "/console/callbacks/"+due.Ref+"/call") {
		t.Fatalf("queue has no Call button:\n%s", q.body)
	}
	press := m[1]
	r, _ := f.console("cara", "POST", "/console/callbacks/"+due.Ref+"/call", url.Values{"press": {press}})
	if r.status != 303 {
		t.Fatalf("press: %d\n%s", r.status, r.body)
	}
	// The same press sent twice (a double click, a resent form) queues one call.
	if r, _ := f.console("cara", "POST", "/console/callbacks/"+due.Ref+"/call", url.Values{"press": {press}}); r.status != 303 {
		t.Fatalf("second press: %d", r.status)
	}
	if n, err := f.out.Flush(ctx, f.senders); err != nil || n != 1 {
		t.Fatalf("flush: %d %v", n, err)
	}
	reqs := f.twilio.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d calls reached Twilio, want 1", len(reqs))
	}
	call := reqs[0]
	// The counsellor's leg is called first, from the helpline's number; her number is not sent.
	if call.Get("To") != bridgeCounsellor || call.Get("From") != bridgeHelpline {
		t.Fatalf("call: %v", call)
	}
	for k, vs := range call {
		for _, v := range vs {
			if strings.Contains(v, "1711000001") {
				t.Fatalf("her number is in the call request (%s=%s)", k, v)
			}
		}
	}
	answer, err := url.Parse(call.Get("Url"))
	if err != nil || !strings.HasPrefix(call.Get("Url"), publicURL+twilio.BridgePath+"/") || !strings.HasSuffix(answer.Path, "/answer") {
		t.Fatalf("answer url %q", call.Get("Url"))
	}
	base := strings.TrimSuffix(answer.Path, "/answer")
	if call.Get("StatusCallback") != publicURL+base+"/status" {
		t.Fatalf("status callback %q", call.Get("StatusCallback"))
	}

	// The counsellor answers: a whisper asks for a key; nothing is dialled yet.
	st, body := f.webhook(base+"/answer", url.Values{"CallSid": {"CA1"}, "CallStatus": {"in-progress"}}, "")
	if st != 200 || !strings.Contains(body, `<Gather input="dtmf" numDigits="1"`) || strings.Contains(body, "<Dial") {
		t.Fatalf("answer: %d %s", st, body)
	}
	// She presses 1: her number is dialled from the helpline's, not recorded.
	st, body = f.webhook(base+"/connect", url.Values{"CallSid": {"CA1"}, "Digits": {"1"}}, "")
	want := `<Dial callerId="` + bridgeHelpline + `" timeout="20" answerOnBridge="true" record="do-not-record" action="` + publicURL + base + `/dialed" method="POST"><Number>` + bridgeHer + `</Number></Dial>`
	if st != 200 || !strings.Contains(body, want) {
		t.Fatalf("connect: %d %s\nwant %s", st, body, want)
	}
	// Twilio's retry of the same webhook does not dial her twice.
	if st, body = f.webhook(base+"/connect", url.Values{"CallSid": {"CA1"}, "Digits": {"1"}}, ""); strings.Contains(body, "<Dial") {
		t.Fatalf("connect again dials again: %s", body)
	}
	st, _ = f.webhook(base+"/dialed", url.Values{"CallSid": {"CA1"}, "DialCallStatus": {"completed"}}, "")
	if st != 200 {
		t.Fatalf("dialed: %d", st)
	}
	if got := bridgeOutcomes(f.bridges(due)); got != "requested,placed,answered" {
		t.Fatalf("on her case: %s", got)
	}

	// A press outside her window is refused: nothing reaches Twilio; the refusal is on her case
	// and in the audit log.
	r, _ = f.console("cara", "POST", "/console/callbacks/"+later.Ref+"/call", url.Values{"press": {outbox.PressKey(later.ID)}})
	if r.status != 409 || !strings.Contains(r.body, "outside the window") {
		t.Fatalf("press outside her window: %d\n%s", r.status, r.body)
	}
	if n, _ := f.out.Flush(ctx, f.senders); n != 0 || len(f.twilio.requests()) != 1 {
		t.Fatalf("a call outside her window reached Twilio")
	}
	bs := f.bridges(later)
	if len(bs) != 1 || bs[0].Outcome != casebook.BridgeRefused || bs[0].By != "cara" || !strings.Contains(bs[0].Reason, "outside the window") {
		t.Fatalf("refusal on her case: %+v", bs)
	}
	log, err := f.cases.AuditLog(ctx, casebook.AuditFilter{Subject: casebook.Subject(later), Actions: []string{casebook.AuditBridge}})
	if err != nil || len(log) != 1 || !strings.HasPrefix(log[0].Detail, "refused ") {
		t.Fatalf("audit: %+v %v", log, err)
	}

	f.everyPage(due.Ref, later.Ref)
}

// TestBridgeCheckedAgainWhenDialled: her window closes while the call waits, and again between
// the counsellor's answer and her key: nothing reaches Twilio, then nothing is dialled.
func TestBridgeCheckedAgainWhenDialled(t *testing.T) {
	ctx := context.Background()
	f := newBridgeFixture(t)
	c := f.contact(bridgeStart.Add(-5 * time.Minute))
	if _, err := f.out.Bridge(ctx, c.ID, "cara", bridgeCounsellor, twilio.Provider, outbox.PressKey(c.ID)); err != nil {
		t.Fatal(err)
	}
	f.clock.Set(bridgeStart.Add(26 * time.Minute)) // her window closed at start+25m
	if n, _ := f.out.Flush(ctx, f.senders); n != 0 || len(f.twilio.requests()) != 0 {
		t.Fatal("a call whose window closed while it waited reached Twilio")
	}
	if got := bridgeOutcomes(f.bridges(c)); got != "requested,refused" {
		t.Fatalf("on her case: %s", got)
	}

	f.clock.Set(bridgeStart)
	c2 := f.contact(bridgeStart.Add(-5 * time.Minute))
	id, err := f.out.Bridge(ctx, c2.ID, "cara", bridgeCounsellor, twilio.Provider, outbox.PressKey(c2.ID))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := f.out.Flush(ctx, f.senders); n != 1 {
		t.Fatal("not placed")
	}
	f.clock.Set(bridgeStart.Add(26 * time.Minute))
	path := twilio.BridgePath + "/" + strconv.FormatUint(id, 10) + "/connect"
	st, body := f.webhook(path, url.Values{"CallSid": {"CA1"}, "Digits": {"1"}}, "")
	if st != 200 || strings.Contains(body, "<Dial") || strings.Contains(body, bridgeHer) || !strings.Contains(body, "<Hangup/>") {
		t.Fatalf("connect after her window: %d %s", st, body)
	}
	if got := bridgeOutcomes(f.bridges(c2)); got != "requested,placed,refused" {
		t.Fatalf("on her case: %s", got)
	}
}

// TestBridgeWebhooks is the status callbacks' table: raw requests, exact answers, bad
// signatures, and retries recorded once.
func TestBridgeWebhooks(t *testing.T) {
	ctx := context.Background()
	f := newBridgeFixture(t)
	c := f.contact(bridgeStart.Add(-5 * time.Minute))
	id, err := f.out.Bridge(ctx, c.ID, "cara", bridgeCounsellor, twilio.Provider, outbox.PressKey(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := f.out.Flush(ctx, f.senders); n != 1 {
		t.Fatal("not placed")
	}
	p := twilio.BridgePath + "/" + strconv.FormatUint(id, 10)
	const head = `<?xml version="1.0" encoding="UTF-8"?><Response>`
	tests := []struct {
		name     string
		path     string
		params   url.Values
		sig      string
		status   int
		body     string
		outcomes string
	}{
		{"bad signature", p + "/dialed", url.Values{"DialCallStatus": {"completed"}}, "bm90IGEgc2lnbmF0dXJl", 403, "", "requested,placed"},
		{"signed for another url", p + "/dialed", url.Values{"DialCallStatus": {"completed"}}, twilio.Signature(token, publicURL+p+"/status", url.Values{"DialCallStatus": {"completed"}}), 403, "", "requested,placed"},
		{"unknown call", twilio.BridgePath + "/999/dialed", url.Values{"DialCallStatus": {"busy"}}, "", 404, "", "requested,placed"},
		{"bad id", twilio.BridgePath + "/x/dialed", url.Values{"DialCallStatus": {"busy"}}, "", 400, "", "requested,placed"},
		{"unknown dial status", p + "/dialed", url.Values{"DialCallStatus": {"ringing-ish"}}, "", 400, "", "requested,placed"},
		{"busy", p + "/dialed", url.Values{"CallSid": {"CA1"}, "DialCallStatus": {"busy"}}, "", 200,
			head + `<Gather input="dtmf" numDigits="1" timeout="8" action="` + publicURL + p + `/outcome" method="POST"><Say language="en-IN">If someone else answered, or it was not safe, press 9.</Say></Gather><Hangup/></Response>`, "requested,placed,busy"},
		{"busy, retried", p + "/dialed", url.Values{"CallSid": {"CA1"}, "DialCallStatus": {"busy"}}, "", 200, "", "requested,placed,busy"},
		{"counsellor's leg completed", p + "/status", url.Values{"CallSid": {"CA1"}, "CallStatus": {"completed"}}, "", 204, "", "requested,placed,busy"},
		{"status without CallStatus", p + "/status", url.Values{"CallSid": {"CA1"}}, "", 400, "", "requested,placed,busy"},
		{"no key on outcome", p + "/outcome", url.Values{"CallSid": {"CA1"}}, "", 200, head + `<Hangup/></Response>`, "requested,placed,busy"},
		{"not safe", p + "/outcome", url.Values{"CallSid": {"CA1"}, "Digits": {"9"}}, "", 200,
			head + `<Say language="en-IN">Noted. Nobody will call this number.</Say><Hangup/></Response>`, "requested,placed,busy,not-safe"},
		{"not safe, retried", p + "/outcome", url.Values{"CallSid": {"CA1"}, "Digits": {"9"}}, "", 200, "", "requested,placed,busy,not-safe"},
		{"no key at answer", p + "/connect", url.Values{"CallSid": {"CA1"}}, "", 200, head + `<Hangup/></Response>`, "requested,placed,busy,not-safe,no-answer"},
	}
	for _, tc := range tests {
		st, body := f.webhook(tc.path, tc.params, tc.sig)
		if st != tc.status || (tc.body != "" && body != tc.body) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, st, body, tc.status, tc.body)
		}
		if got := bridgeOutcomes(f.bridges(c)); got != tc.outcomes {
			t.Errorf("%s: on her case %s, want %s", tc.name, got, tc.outcomes)
		}
	}
	// Not safe closed her contact and marked her number: a new press is refused.
	got, _ := f.cases.Contact(ctx, c.ID)
	if got.Status != onestop.DoNotContact {
		t.Fatalf("after not safe: %s", got.Status)
	}
	if _, err := f.out.Bridge(ctx, c.ID, "cara", bridgeCounsellor, twilio.Provider, outbox.PressKey(c.ID)); onestop.ErrorCode(err) != onestop.EFORBIDDEN {
		t.Fatalf("a press after not safe: %v", err)
	}
}
