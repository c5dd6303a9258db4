package africastalking_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
)

type server struct {
	g     *gateway.Gateway
	db    *bolt.DB
	cases *casebook.Casebook
}

func newServer(ctx context.Context, t testing.TB, cfg gateway.Config) *server {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _ := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	g := gateway.New(cfg, store.Health{Store: db})
	// Someone on duty: the half-hour promise is made only then.
	engine, err := flows.New(ctx, db, cases, box, dir, flows.Config{OnDuty: func(context.Context, time.Time) bool { return true }, Pager: ussd.Pager{}.Pages})
	if err != nil {
		t.Fatal(err)
	}
	africastalking.Register(g, engine)
	return &server{g: g, db: db, cases: cases}
}

const form = "application/x-www-form-urlencoded"

// do sends a raw request and returns the status and body.
func (s *server) do(t testing.TB, method, path, contentType, body string, header ...string) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
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

// Bodies exactly as Africa's Talking sends them: the + of the number escaped as %2B, the service
// code's * and # escaped, the history's * escaped.
const (
	hop0 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text="
	hop1 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1"
	hop2 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1%2A1"
	hop3 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1%2A1%2A1"
	hop4 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1%2A1%2A1%2A1"
	hop5 = "sessionId=ATUid_0a1b2c&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1%2A1%2A1%2A1%2A2" // skips her district
)

func TestUSSDWebhook(t *testing.T) {
	ctx := context.Background()
	menuBn := "CON " + locales.Text(onestop.Bengali, locales.MenuTalk)
	over := "END " + locales.Text(onestop.Bengali, locales.SessionOver, "109")
	for _, tc := range []struct {
		name        string
		contentType string
		body        string
		wantStatus  int
		wantPrefix  string // the body starts with this
		wantIn      string // and contains this
	}{
		{"first hop shows the menu in her country's language", form, hop0, 200, "CON 1 ", menuBn[4:]},
		{"content type with charset", form + "; charset=UTF-8", hop0, 200, "CON 1 ", ""},
		{"retried first hop", form, hop0, 200, "CON 1 ", ""},
		// An unknown session's keys are played again from the first screen (a restart loses
		// the sessions that recorded nothing), but never a key that would have recorded.
		{"unknown session's continuation ends kindly",
			form, "sessionId=ATUid_other&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text=1%2A1", 200, over, ""},
		{"missing sessionId", form, "serviceCode=%2A109%23&phoneNumber=%2B8801711000001&text=", 400, "missing sessionId", ""},
		{"empty sessionId", form, "sessionId=&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&text=", 400, "missing sessionId", ""},
		{"missing phoneNumber", form, "sessionId=ATUid_x&serviceCode=%2A109%23&text=", 400, "missing phoneNumber", ""},
		{"unescaped + decodes to a space and is still read",
			form, "sessionId=ATUid_plus&serviceCode=%2A109%23&phoneNumber=+8801711000001&networkCode=47001&text=", 200, "CON ", ""},
		{"unparseable phoneNumber", form, "sessionId=ATUid_x&serviceCode=%2A109%23&phoneNumber=hello&text=", 400, "phoneNumber is not a phone number", ""},
		{"JSON instead of a form", "application/json", `{"sessionId":"x"}`, 415, "content type must be", ""},
		{"no content type", "", hop0, 415, "content type must be", ""},
		{"body larger than a hop", form, hop0 + strings.Repeat("1", 5000), 413, "body is larger", ""},
		{"text longer than a session's", form, hop0 + strings.Repeat("1", 1100), 400, "text is longer than 1024 bytes", ""},
		{"more hops than a session's", form, hop0 + strings.Repeat("%2A", 600), 400, "hop 601 is not a session's", ""},
		{"text that is not UTF-8", form, "sessionId=ATUid_bad&phoneNumber=%2B8801711000001&text=%FF", 400, "text is not UTF-8", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(ctx, t, gateway.Config{})
			if strings.Contains(tc.name, "retried") {
				s.do(t, "POST", "/ussd/africastalking", form, hop0)
			}
			status, body := s.do(t, "POST", "/ussd/africastalking", tc.contentType, tc.body)
			if status != tc.wantStatus || !strings.HasPrefix(body, tc.wantPrefix) || !strings.Contains(body, tc.wantIn) {
				t.Fatalf("got %d %q\nwant %d %q…%q", status, body, tc.wantStatus, tc.wantPrefix, tc.wantIn)
			}
			if status != 200 {
				if n := len(s.contacts(ctx, t)); n != 0 {
					t.Fatalf("a refused request recorded %d contacts", n)
				}
			}
		})
	}
}

func TestUSSDWebhookAnswersTextPlain(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{})
	req := httptest.NewRequest("POST", "/ussd/africastalking", strings.NewReader(hop0))
	req.Header.Set("Content-Type", form)
	resp, err := s.g.App.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
}

func TestAllOnesThroughTheWebhookRecordOneUrgentContact(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{})
	var last string
	for i, body := range []string{hop0, hop1, hop1, hop2, hop3, hop4, hop4, hop5, hop5} { // hop1, hop4 and hop5 retried
		status, got := s.do(t, "POST", "/ussd/africastalking", form, body)
		if status != 200 {
			t.Fatalf("hop %d: %d %q", i, status, got)
		}
		last = got
	}
	cs := s.contacts(ctx, t)
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	c := cs[0]
	if c.Urgency != onestop.Urgent || c.Plan == nil || c.Plan.Number != "+8801711000001" || c.Plan.Window != onestop.Now {
		t.Fatalf("contact %+v plan %+v", c, c.Plan)
	}
	if want := "END " + locales.Text(onestop.Bengali, locales.DoneNow, c.Ref, "999"); last != want {
		t.Fatalf("last reply %q, want %q", last, want)
	}
}

func TestWebhookSecrets(t *testing.T) {
	ctx := context.Background()
	basic := "Basic " + base64.StdEncoding.EncodeToString([]byte("at:s3cret"))
	for _, tc := range []struct {
		name   string
		cfg    gateway.Config
		path   string
		header []string
		want   int
	}{
		{"token in the path", gateway.Config{WebhookToken: "tok123"}, "/ussd/africastalking/tok123", nil, 200},
		{"token as a query parameter", gateway.Config{WebhookToken: "tok123"}, "/ussd/africastalking?token=tok123", nil, 200},
		{"wrong token", gateway.Config{WebhookToken: "tok123"}, "/ussd/africastalking/nope", nil, 404},
		{"no token", gateway.Config{WebhookToken: "tok123"}, "/ussd/africastalking", nil, 404},
		{"basic auth", gateway.Config{WebhookUser: "at", WebhookPassword: "s3cret"}, "/ussd/africastalking", []string{"Authorization", basic}, 200},
		{"basic auth missing", gateway.Config{WebhookUser: "at", WebhookPassword: "s3cret"}, "/ussd/africastalking", nil, 401},
		{"basic auth wrong", gateway.Config{WebhookUser: "at", WebhookPassword: "s3cret"}, "/ussd/africastalking",
			[]string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("at:guess"))}, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(ctx, t, tc.cfg)
			status, body := s.do(t, "POST", tc.path, form, hop0, tc.header...)
			if status != tc.want {
				t.Fatalf("got %d %q, want %d", status, body, tc.want)
			}
			if status != 200 && strings.Contains(body, "tok123") {
				t.Fatal("the answer shows the secret")
			}
		})
	}
}

func TestHealthz(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{})
	if status, body := s.do(t, "GET", "/healthz", "", ""); status != 200 || body != "ok" {
		t.Fatalf("healthz %d %q", status, body)
	}
	s.db.Close()
	if status, _ := s.do(t, "GET", "/healthz", "", ""); status != 503 {
		t.Fatalf("healthz on a closed store: %d, want 503", status)
	}
	// And a hop on a closed store still gets a kind ending, not a bare error.
	status, body := s.do(t, "POST", "/ussd/africastalking", form, hop0)
	if status != 200 || !strings.HasPrefix(body, "END ") {
		t.Fatalf("hop on a closed store: %d %q", status, body)
	}
}

func TestMetricsCountHops(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{})
	s.do(t, "POST", "/ussd/africastalking", form, hop0)
	s.do(t, "POST", "/ussd/africastalking", form, "sessionId=&phoneNumber=x")
	_, body := s.do(t, "GET", "/metrics", "", "")
	for _, want := range []string{`onestop_hops_total{outcome="ok",provider="africastalking"} 1`, `onestop_hops_total{outcome="rejected",provider="africastalking"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

// FuzzUSSDWebhook sends arbitrary bodies: the handler must answer 2xx with CON/END or a 4xx
// with a reason, never a 5xx or a panic, and a 4xx must record nothing.
func FuzzUSSDWebhook(f *testing.F) {
	ctx := context.Background()
	for _, seed := range []string{hop0, hop1, hop4, "sessionId=&text=", "sessionId=a&phoneNumber=%2B1&text=%2A%2A%2A",
		"sessionId=a&phoneNumber=%2B8801711000001&text=0", "sessionId=a&phoneNumber=%2B8801711000001&text=%E0%A7%A7%2A%E0%A7%A7"} {
		f.Add(seed)
	}
	s := newServer(ctx, f, gateway.Config{})
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest("POST", "/ussd/africastalking", strings.NewReader(body))
		req.Header.Set("Content-Type", form)
		resp, err := s.g.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode == http.StatusOK:
			if !bytes.HasPrefix(b, []byte("CON ")) && !bytes.HasPrefix(b, []byte("END ")) {
				t.Fatalf("200 without CON/END: %q", b)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if len(b) == 0 {
				t.Fatal("4xx without a reason")
			}
		default:
			t.Fatalf("status %d for %q: %q", resp.StatusCode, body, b)
		}
	})
}

var _ = context.Background

// recorder answers every hop with one screen and keeps the turns it was given.
type recorder struct{ turns []flows.Turn }

func (r *recorder) Step(_ context.Context, t flows.Turn) (onestop.Screen, error) {
	r.turns = append(r.turns, t)
	return onestop.Screen{Text: "ok"}, nil
}

// TestTextIsSplitIntoTheHopsInput: the whole '*'-joined history Africa's Talking sends is this
// hop's input, its number and the inputs before it; every '*' separates two inputs, since
// nothing in text tells one she typed apart.
func TestTextIsSplitIntoTheHopsInput(t *testing.T) {
	const head = "sessionId=ATUid_split&serviceCode=%2A109%23&phoneNumber=%2B8801711000001&networkCode=47001&text="
	for _, tc := range []struct {
		text    string // as sent, escaped
		input   string
		hop     int
		history []string
	}{
		{"", "", 0, nil},
		{"1", "1", 1, []string{}},
		{"1%2A2%2A3", "3", 3, []string{"1", "2"}},
		{"5%2A%E0%A7%A8", "২", 2, []string{"5"}},
		{"1%2A", "", 2, []string{"1"}},
		{"1%2A%2A2", "2", 3, []string{"1", ""}},
	} {
		rec := &recorder{}
		g := gateway.New(gateway.Config{}, store.Health{})
		africastalking.Register(g, rec)
		req := httptest.NewRequest("POST", "/ussd/africastalking", strings.NewReader(head+tc.text))
		req.Header.Set("Content-Type", form)
		resp, err := g.App.Test(req, 5000)
		if err != nil || resp.StatusCode != 200 || len(rec.turns) != 1 {
			t.Fatalf("%q: %v %v, %d turns", tc.text, resp, err, len(rec.turns))
		}
		got := rec.turns[0]
		if got.Input != tc.input || got.Hop != tc.hop || !got.Resends || len(got.History) != len(tc.history) ||
			strings.Join(got.History, "|") != strings.Join(tc.history, "|") {
			t.Errorf("%q: input %q hop %d history %q resends %v, want %q %d %q", tc.text, got.Input, got.Hop, got.History, got.Resends, tc.input, tc.hop, tc.history)
		}
		if got.Channel != onestop.USSD || got.Provider != africastalking.Provider || got.SessionID != "ATUid_split" ||
			got.Caller != "+8801711000001" || got.ServiceCode != "*109#" || got.Network != "47001" {
			t.Errorf("%q: turn %+v", tc.text, got)
		}
	}
}

// TestARetriedHopThroughTheWebhookChangesNothing: the same body twice is one hop; the second
// answer is the first byte for byte, and the store is as the first left it.
func TestARetriedHopThroughTheWebhookChangesNothing(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{})
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
	for _, body := range []string{hop0, hop1} {
		_, first := s.do(t, "POST", "/ussd/africastalking", form, body)
		before := snapshot()
		status, again := s.do(t, "POST", "/ussd/africastalking", form, body)
		if status != 200 || again != first {
			t.Fatalf("retry of %q: %d %q, first %q", body, status, again, first)
		}
		if snapshot() != before {
			t.Fatalf("retry of %q changed the store", body)
		}
	}
	if n := len(s.contacts(ctx, t)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}
