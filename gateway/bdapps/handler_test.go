package bdapps_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
)

const (
	appID    = "APP_009876"
	password = "b1e6f0c2a7d94e3f"
	jsonType = "application/json"
	worker   = "+8801711000101"
)

// platform stands in for the TAP platform's API: it keeps every post to ussd/send and sms/send
// and answers S1000, or fails the first fail posts (every post, with fail < 0).
type platform struct {
	srv  *httptest.Server
	mu   sync.Mutex
	got  []map[string]any
	raw  []string
	fail int
	seen chan struct{}
}

func newPlatform(t testing.TB) *platform {
	p := &platform{seen: make(chan struct{}, 100)}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		p.mu.Lock()
		failing := p.fail != 0
		if p.fail > 0 {
			p.fail--
		}
		if !failing {
			var m map[string]any
			json.Unmarshal(b, &m)
			m["path"] = r.URL.Path
			p.got = append(p.got, m)
			p.raw = append(p.raw, string(b))
		}
		p.mu.Unlock()
		if failing {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			p.seen <- struct{}{}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"statusCode":"S1000","statusDetail":"Request was successfully processed.","requestId":"101911211420000","version":"1.0"}`)
		p.seen <- struct{}{}
	}))
	t.Cleanup(p.srv.Close)
	return p
}

// posts returns what the platform was sent.
func (p *platform) posts() []map[string]any {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]map[string]any(nil), p.got...)
}

type server struct {
	g        *gateway.Gateway
	h        *bdapps.Handler
	db       *bolt.DB
	cases    *casebook.Casebook
	out      *outbox.Outbox
	platform *platform
	path     string
}

func newServer(ctx context.Context, t testing.TB, cfg gateway.Config, window time.Duration) *server {
	t.Helper()
	path := filepath.Join(t.TempDir(), "onestop.db")
	db, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _ := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet})
	cfg.Log = quiet
	g := gateway.New(cfg, store.Health{Store: db})
	engine, err := flows.New(ctx, db, cases, box, dir, flows.Config{
		OnDuty: func(context.Context, time.Time) bool { return true }, Pager: ussd.Pager{}.Pages, Log: quiet,
		ServiceCodes: map[string]string{"*213*109#": "BD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := newPlatform(t)
	sms := flows.NewSMS(db, cases, box, dir, out, flows.SMSConfig{Log: quiet})
	h := bdapps.Register(g, engine, sms, bdapps.Config{AppID: appID, Password: password, BaseURL: p.srv.URL, SendWindow: window}, p.srv.Client())
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		return cases.PutWorker(tx, &casebook.Worker{Number: worker, Name: "Rina", Lang: onestop.Bengali})
	}); err != nil {
		t.Fatal(err)
	}
	return &server{g: g, h: h, db: db, cases: cases, out: out, platform: p, path: path}
}

// do sends a raw request and returns the status and body.
func (s *server) do(t testing.TB, path, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.g.App.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *server) contacts(ctx context.Context, t testing.TB) []*onestop.Contact {
	t.Helper()
	cs, err := s.cases.List(ctx, casebook.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// mo is a hop exactly as the platform posts it.
func mo(op, session, request, message string) string {
	return fmt.Sprintf(`{"version":"1.0","applicationId":"%s","sessionId":"%s","ussdOperation":"%s","sourceAddress":"tel:8801711000001","message":"%s","requestId":"%s","encoding":"440","vlrAddress":"8801800000000"}`,
		appID, session, op, message, request)
}

const ack = `{"statusCode":"S1000","statusDetail":"Success"}`

func TestUSSDWebhook(t *testing.T) {
	ctx := context.Background()
	init0 := mo("mo-init", "1330929317043", "101911211420001", "*213*109#")
	menu := locales.Text(onestop.Bengali, locales.MenuTalk)
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantBody    string
		wantSent    string // the screen posted to ussd/send contains this; "" for none posted
		wantTo      string
	}{
		{"first hop is acknowledged and its screen posted", jsonType, init0, 200, ack, menu, "tel:8801711000001"},
		{"content type with charset", jsonType + "; charset=utf-8", init0, 200, ack, menu, "tel:8801711000001"},
		{"a masked address gets the screen at that address", jsonType,
			strings.Replace(init0, "tel:8801711000001", "tel:B%3C4Dx9Qm%2Fa", 1), 200, ack, menu, "tel:B%3C4Dx9Qm%2Fa"},
		{"an unknown session's continuation ends kindly", jsonType, mo("mo-cont", "99", "1", "1"), 200, ack,
			locales.Text(onestop.Bengali, locales.SessionOver, "109"), "tel:8801711000001"},
		{"wrong applicationId", jsonType, strings.Replace(init0, appID, "APP_000001", 1), 403, "applicationId is not this gateway's application", "", ""},
		{"missing applicationId", jsonType, strings.Replace(init0, `"applicationId":"APP_009876",`, "", 1), 400, "missing applicationId", "", ""},
		{"missing sessionId", jsonType, strings.Replace(init0, `"sessionId":"1330929317043",`, "", 1), 400, "missing sessionId", "", ""},
		{"missing sourceAddress", jsonType, strings.Replace(init0, `"sourceAddress":"tel:8801711000001",`, "", 1), 400, "missing sourceAddress", "", ""},
		{"missing requestId", jsonType, strings.Replace(init0, `"requestId":"101911211420001",`, "", 1), 400, "missing requestId", "", ""},
		{"an operation that is not a hop's", jsonType, strings.Replace(init0, "mo-init", "mt-fin", 1), 400, "ussdOperation must be mo-init or mo-cont", "", ""},
		{"malformed JSON", jsonType, init0[:40], 400, "body is not a TAP request's JSON", "", ""},
		{"a number that is no number", jsonType, strings.Replace(init0, "tel:8801711000001", "tel:0000000000", 1), 400, "phoneNumber is not a phone number", "", ""},
		{"a form instead of JSON", "application/x-www-form-urlencoded", "sessionId=1", 415, "content type must be application/json", "", ""},
		{"no content type", "", init0, 415, "content type must be application/json", "", ""},
		{"body larger than a hop", jsonType, strings.Replace(init0, `"encoding":"440"`, `"encoding":"`+strings.Repeat("4", 5000)+`"`, 1), 413, "body is larger than a TAP request", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(ctx, t, gateway.Config{}, time.Second)
			status, body := s.do(t, "/ussd/bdapps", tc.contentType, tc.body)
			s.h.Wait()
			if status != tc.wantStatus || body != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", status, body, tc.wantStatus, tc.wantBody)
			}
			posts := s.platform.posts()
			if tc.wantSent == "" {
				if len(posts) != 0 {
					t.Fatalf("a refused hop posted %v", posts)
				}
				if n := len(s.contacts(ctx, t)); n != 0 {
					t.Fatalf("a refused hop recorded %d contacts", n)
				}
				return
			}
			if len(posts) != 1 {
				t.Fatalf("%d posts, want 1", len(posts))
			}
			p := posts[0]
			if msg, _ := p["message"].(string); !strings.Contains(msg, tc.wantSent) || p["destinationAddress"] != tc.wantTo ||
				p["path"] != "/ussd/send" || p["applicationId"] != appID || p["password"] != password {
				t.Fatalf("posted %v, want %q to %s", p, tc.wantSent, tc.wantTo)
			}
		})
	}
}

// TestTheExactScreenIsPosted: the body of a post to ussd/send, byte for byte.
func TestTheExactScreenIsPosted(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, time.Second)
	s.do(t, "/ussd/bdapps", jsonType, mo("mo-init", "S1", "R1", "*213*109#"))
	s.h.Wait()
	menu := ussd.Page(onestop.Screen{Lang: onestop.Bengali, Exit: true, Options: []onestop.Option{
		{Key: "1", Label: locales.Text(onestop.Bengali, locales.MenuTalk)},
		{Key: "2", Label: locales.Text(onestop.Bengali, locales.MenuNearby)},
		{Key: "3", Label: locales.Text(onestop.Bengali, locales.MenuCallback)},
		{Key: "4", Label: locales.Text(onestop.Bengali, locales.MenuInfo)},
		{Key: "5", Label: locales.Text(onestop.Bengali, locales.MenuLanguage)},
	}}, locales.DefaultLimit)
	msg, _ := json.Marshal(menu)
	want := `{"applicationId":"APP_009876","password":"b1e6f0c2a7d94e3f","message":` + string(msg) +
		`,"sessionId":"S1","ussdOperation":"mt-cont","destinationAddress":"tel:8801711000001","encoding":"440","version":"1.0"}`
	if len(s.platform.raw) != 1 || s.platform.raw[0] != want {
		t.Fatalf("posted %q\nwant %q", s.platform.raw, want)
	}
}

// TestAllOnesOverTAPRecordOneUrgentContact walks the all-1 path as the platform would, with
// its retries, and compares every screen posted with the engine's own answers to the same hops.
func TestAllOnesOverTAPRecordOneUrgentContact(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, time.Second)
	hops := []struct{ op, request, message string }{
		{"mo-init", "R0", "*213*109#"}, {"mo-cont", "R1", "1"}, {"mo-cont", "R1", "1"}, // retried
		{"mo-cont", "R2", "1"}, {"mo-cont", "R3", "1"}, {"mo-cont", "R4", "1"}, {"mo-cont", "R4", "1"}, // retried
		{"mo-cont", "R5", "2"}, {"mo-cont", "R5", "2"}, // skips her district; retried
	}
	for i, h := range hops {
		status, body := s.do(t, "/ussd/bdapps", jsonType, mo(h.op, "1330929317043", h.request, h.message))
		s.h.Wait()
		if status != 200 || body != ack {
			t.Fatalf("hop %d: %d %q", i, status, body)
		}
	}
	// The same hops straight into an engine of its own: the screens it answers are the ones
	// that must have been posted.
	want := referenceScreens(ctx, t, []string{"", "1", "1", "1", "1", "1", "1", "2", "2"}, []int{0, 1, 1, 2, 3, 4, 4, 5, 5})
	posts := s.platform.posts()
	if len(posts) != len(hops) {
		t.Fatalf("%d posts, want %d", len(posts), len(hops))
	}
	cs := s.contacts(ctx, t)
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	c := cs[0]
	for i, p := range posts {
		op, text := "mt-cont", want[i].Text
		if want[i].End {
			// The ending tells her reference, drawn at random: the other engine's differs.
			op, text = "mt-fin", locales.Text(onestop.Bengali, locales.DoneNow, c.Ref, "999")
		}
		if p["message"] != text || p["ussdOperation"] != op || p["sessionId"] != "1330929317043" {
			t.Errorf("post %d: %v, want %s %q", i, p, op, text)
		}
	}
	if c.Urgency != onestop.Urgent || c.Plan == nil || c.Plan.Number != "+8801711000001" || c.Plan.Window != onestop.Now || c.Provider != bdapps.Provider {
		t.Fatalf("contact %+v plan %+v", c, c.Plan)
	}
	if last := posts[len(posts)-1]["message"]; last != locales.Text(onestop.Bengali, locales.DoneNow, c.Ref, "999") {
		t.Fatalf("last screen %q", last)
	}
}

// referenceScreens answers inputs as hops numbered hops in a fresh engine of its own.
func referenceScreens(ctx context.Context, t *testing.T, inputs []string, hops []int) []onestop.Screen {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "ref.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, _ := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	dir, _ := directory.Embedded()
	cases := casebook.New(db, box)
	engine, err := flows.New(ctx, db, cases, box, dir, flows.Config{
		OnDuty: func(context.Context, time.Time) bool { return true }, Pager: ussd.Pager{}.Pages,
		ServiceCodes: map[string]string{"*213*109#": "BD"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []onestop.Screen
	for i, in := range inputs {
		scr, err := engine.Step(ctx, flows.Turn{Channel: onestop.USSD, Provider: bdapps.Provider, SessionID: "1330929317043",
			Caller: "+8801711000001", ServiceCode: "*213*109#", Network: "8801800000000", Hop: hops[i], Input: in})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, scr)
	}
	return out
}

// TestARetriedHopChangesNothing: the same post twice is one hop; the second posts the first's
// screen again, and the store is as the first left it.
func TestARetriedHopChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, time.Second)
	snapshot := func() string {
		var b strings.Builder
		s.db.View(ctx, func(tx onestop.Tx) error {
			for _, name := range [][]byte{store.Contacts, store.Sessions} {
				tx.Bucket(name).ForEach(func(k, v []byte) error { fmt.Fprintf(&b, "%x %x\n", k, v); return nil })
			}
			return nil
		})
		return b.String()
	}
	for _, body := range []string{mo("mo-init", "S2", "Q0", "*213*109#"), mo("mo-cont", "S2", "Q1", "1")} {
		s.do(t, "/ussd/bdapps", jsonType, body)
		s.h.Wait()
		before := snapshot()
		if status, got := s.do(t, "/ussd/bdapps", jsonType, body); status != 200 || got != ack {
			t.Fatalf("retry: %d %q", status, got)
		}
		s.h.Wait()
		if snapshot() != before {
			t.Fatalf("retry of %s changed the store", body)
		}
		posts := s.platform.posts()
		if a, b := posts[len(posts)-2]["message"], posts[len(posts)-1]["message"]; a != b {
			t.Fatalf("retry posted %q, first %q", b, a)
		}
	}
	if n := len(s.contacts(ctx, t)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// TestAFailingSendLosesNothing: with ussd/send failing, the hop that records her urgent contact
// is still acknowledged and on disk, the screen is tried again within the window and then given
// up, and a last mt-fin (taken once the platform recovers) ends her session with the helpline.
func TestAFailingSendLosesNothing(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, 800*time.Millisecond)
	s.do(t, "/ussd/bdapps", jsonType, mo("mo-init", "S3", "P0", "*213*109#"))
	s.h.Wait()
	s.platform.mu.Lock()
	s.platform.fail = 3 // 250 ms, 500 ms: three attempts fit the window, the last mt-fin does not fail
	s.platform.mu.Unlock()
	status, body := s.do(t, "/ussd/bdapps", jsonType, mo("mo-cont", "S3", "P1", "1")) // talk now: urgent
	if status != 200 || body != ack {
		t.Fatalf("%d %q", status, body)
	}
	s.h.Wait()
	posts := s.platform.posts()
	if len(posts) != 2 {
		t.Fatalf("%d posts taken, want the first screen and the last mt-fin", len(posts))
	}
	if fin := posts[1]; fin["ussdOperation"] != "mt-fin" || fin["message"] != locales.Text(onestop.Bengali, locales.SessionOver, "109") {
		t.Fatalf("last post %v", fin)
	}
	// What the hop recorded survives the process: the file, opened again, holds it.
	s.db.Close()
	db, err := bolt.Open(s.path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, _ := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	cs, err := casebook.New(db, box).List(ctx, casebook.Filter{})
	if err != nil || len(cs) != 1 || cs[0].Urgency != onestop.Urgent {
		t.Fatalf("after the failed send: %v %+v", err, cs)
	}
}

func TestWebhookTokenStillApplies(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{WebhookToken: "tok123"}, time.Second)
	body := mo("mo-init", "S4", "T0", "*213*109#")
	if status, _ := s.do(t, "/ussd/bdapps", jsonType, body); status != 404 {
		t.Fatalf("no token: %d", status)
	}
	if status, got := s.do(t, "/ussd/bdapps/tok123", jsonType, body); status != 200 || got != ack {
		t.Fatalf("with the token: %d %q", status, got)
	}
	s.h.Wait()
}

// FuzzUSSDWebhook: arbitrary bodies get the acknowledgement or a 4xx with a reason, never a 5xx
// or a panic.
func FuzzUSSDWebhook(f *testing.F) {
	ctx := context.Background()
	for _, seed := range []string{mo("mo-init", "F", "1", "*213*109#"), mo("mo-cont", "F", "2", "1"), `{}`, `[]`, `{"applicationId":"APP_009876"}`} {
		f.Add(seed)
	}
	s := newServer(ctx, f, gateway.Config{}, 100*time.Millisecond)
	f.Fuzz(func(t *testing.T, body string) {
		status, got := s.do(t, "/ussd/bdapps", jsonType, body)
		switch {
		case status == 200:
			if got != ack {
				t.Fatalf("200 without the acknowledgement: %q", got)
			}
		case status >= 400 && status < 500:
			if got == "" {
				t.Fatal("4xx without a reason")
			}
		default:
			t.Fatalf("status %d for %q: %q", status, body, got)
		}
		s.h.Wait()
	})
}

// TestAMaskedCallerIsAskedForAnotherNumber: with her number hidden, the service dialled gives
// her language, and the plan asks for another number rather than offering the one it cannot
// call.
func TestAMaskedCallerIsAskedForAnotherNumber(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, time.Second)
	masked := func(body string) string { return strings.Replace(body, "tel:8801711000001", "tel:B%3C4Dx9Qm%2Fa", 1) }
	for _, body := range []string{mo("mo-init", "M1", "Q0", "*213*109#"), mo("mo-cont", "M1", "Q1", "1")} {
		if status, got := s.do(t, "/ussd/bdapps", jsonType, masked(body)); status != 200 || got != ack {
			t.Fatalf("%d %q", status, got)
		}
		s.h.Wait()
	}
	posts := s.platform.posts()
	may, _ := posts[len(posts)-1]["message"].(string)
	if !strings.Contains(may, locales.Text(onestop.Bengali, locales.AskMayCallOther)) || strings.Contains(may, "\n1 "+locales.Text(onestop.Bengali, locales.CallThis)+"\n") {
		t.Fatalf("may-we-call screen %q", may)
	}
	cs := s.contacts(ctx, t)
	if len(cs) != 1 || cs[0].Masked != "" || cs[0].Caller != "" || cs[0].Urgency != onestop.Urgent {
		t.Fatalf("contacts %+v", cs)
	}
}

// TestAHopOnAClosedStoreEndsKindly: a hop the engine cannot record is still acknowledged, and
// her session is ended with the helpline rather than left to the network's timeout.
func TestAHopOnAClosedStoreEndsKindly(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, time.Second)
	s.db.Close()
	if status, body := s.do(t, "/ussd/bdapps", jsonType, mo("mo-init", "C1", "Z0", "*213*109#")); status != 200 || body != ack {
		t.Fatalf("%d %q", status, body)
	}
	s.h.Wait()
	posts := s.platform.posts()
	if len(posts) != 1 || posts[0]["ussdOperation"] != "mt-fin" || posts[0]["message"] != locales.Text(onestop.Bengali, locales.SessionOver, "109") {
		t.Fatalf("posts %v", posts)
	}
}
