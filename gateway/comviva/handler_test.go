package comviva_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
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
	"github.com/onestop-helpline/onestop/gateway/comviva"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
)

type server struct {
	g     *gateway.Gateway
	h     *comviva.Handler
	cases *casebook.Casebook
	now   time.Time
}

func newServer(ctx context.Context, t testing.TB, cfg gateway.Config, p comviva.Params) *server {
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
	cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	g := gateway.New(cfg, store.Health{Store: db})
	engine, err := flows.New(ctx, db, cases, box, dir, flows.Config{OnDuty: func(context.Context, time.Time) bool { return true },
		Pager: ussd.Pager{}.Pages, ServiceCodes: map[string]string{"*6969#": "BD"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &server{g: g, cases: cases, now: time.Now()}
	s.h = comviva.Register(g, engine, p)
	s.h.Now = func() time.Time { return s.now }
	return s
}

// do sends a raw request and returns the status, the Freeflow header and the body.
func (s *server) do(t testing.TB, method, target, contentType, body string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.g.App.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Freeflow"), string(b)
}

func (s *server) contacts(ctx context.Context, t testing.TB) []*onestop.Contact {
	t.Helper()
	cs, err := s.cases.List(ctx, casebook.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// Hops as Banglalink's gateway sends them: the number international without its +, the code's
// * and # escaped.
const (
	first = "/ussd/comviva?userid=onestop&password=x&mobileNo=8801911000001&transId=BL7788&userData=%2A6969%23&short_code=%2A6969%23&NEW_REQUEST=1"
	hop   = "/ussd/comviva?userid=onestop&password=x&mobileNo=8801911000001&transId=BL7788&NEW_REQUEST=0&userData="
	form  = "application/x-www-form-urlencoded"
)

func TestUSSDPull(t *testing.T) {
	ctx := context.Background()
	menu := ussd.Page(onestop.Screen{Lang: onestop.Bengali, Exit: true, Options: []onestop.Option{
		{Key: "1", Label: locales.Text(onestop.Bengali, locales.MenuTalk)},
		{Key: "2", Label: locales.Text(onestop.Bengali, locales.MenuNearby)},
		{Key: "3", Label: locales.Text(onestop.Bengali, locales.MenuCallback)},
		{Key: "4", Label: locales.Text(onestop.Bengali, locales.MenuInfo)},
		{Key: "5", Label: locales.Text(onestop.Bengali, locales.MenuLanguage)},
	}}, locales.DefaultLimit)
	over := locales.Text(onestop.Bengali, locales.SessionOver, "109")
	for _, tc := range []struct {
		name, method, target, contentType, body string
		wantStatus                              int
		wantFlow, wantBody                      string
	}{
		{"first hop shows the menu", "GET", first, "", "", 200, "FC", menu},
		{"first hop posted as a form", "POST", "/ussd/comviva", form, strings.TrimPrefix(first, "/ussd/comviva?"), 200, "FC", menu},
		{"first hop without short_code takes the code from userData", "GET", strings.Replace(first, "&short_code=%2A6969%23", "", 1), "", "", 200, "FC", menu},
		{"with a +", "GET", strings.Replace(first, "8801911000001", "%2B8801911000001", 1), "", "", 200, "FC", menu},
		{"an unknown session's continuation ends kindly", "GET", strings.Replace(hop, "BL7788", "BL0000", 1) + "1", "", "", 200, "FB", over},
		{"missing transId", "GET", strings.Replace(first, "&transId=BL7788", "", 1), "", "", 400, "", "missing transId"},
		{"missing mobileNo", "GET", strings.Replace(first, "mobileNo=8801911000001&", "", 1), "", "", 400, "", "missing mobileNo"},
		{"NEW_REQUEST that is no flag", "GET", strings.Replace(first, "NEW_REQUEST=1", "NEW_REQUEST=maybe", 1), "", "", 400, "", "NEW_REQUEST must be 1 or 0"},
		{"a number that is no number", "GET", strings.Replace(first, "8801911000001", "hello", 1), "", "", 400, "", "phoneNumber is not a phone number"},
		{"a post that is not a form", "POST", "/ussd/comviva", "application/json", `{"transId":"x"}`, 415, "", "content type must be application/x-www-form-urlencoded"},
		{"a body larger than a hop", "POST", "/ussd/comviva", form, strings.TrimPrefix(first, "/ussd/comviva?") + "&pad=" + strings.Repeat("1", 5000), 413, "", "body is larger than a USSD hop"},
		{"parameters it does not know are ignored", "GET", first + "&x=1", "", "", 200, "FC", menu},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(ctx, t, gateway.Config{}, comviva.DefaultParams)
			status, flow, body := s.do(t, tc.method, tc.target, tc.contentType, tc.body)
			if status != tc.wantStatus || flow != tc.wantFlow || body != tc.wantBody {
				t.Fatalf("got %d %q %q\nwant %d %q %q", status, flow, body, tc.wantStatus, tc.wantFlow, tc.wantBody)
			}
			if status != 200 && len(s.contacts(ctx, t)) != 0 {
				t.Fatal("a refused hop recorded a contact")
			}
		})
	}
}

// TestAllOnesOverThePull walks the all-1 path with the gateway's retries (the same input at once)
// and finds one urgent contact and the exact last screen.
func TestAllOnesOverThePull(t *testing.T) {
	ctx := context.Background()
	s := newServer(ctx, t, gateway.Config{}, comviva.DefaultParams)
	var flow, last string
	for i, target := range []string{first, first, hop + "1", hop + "1", hop + "1", hop + "1", hop + "1", hop + "2", hop + "2"} {
		if retried := i == 1 || i == 3 || i == 8; !retried {
			s.now = s.now.Add(5 * time.Second) // she reads the screen and answers it
		}
		status, f, body := s.do(t, "GET", target, "", "")
		if status != 200 {
			t.Fatalf("hop %d: %d %q", i, status, body)
		}
		if i < 7 && f != "FC" {
			t.Fatalf("hop %d ended: %q", i, body)
		}
		flow, last = f, body
	}
	cs := s.contacts(ctx, t)
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	c := cs[0]
	if c.Urgency != onestop.Urgent || c.Plan == nil || c.Plan.Number != "+8801911000001" || c.Provider != comviva.Provider {
		t.Fatalf("contact %+v plan %+v", c, c.Plan)
	}
	if want := locales.Text(onestop.Bengali, locales.DoneNow, c.Ref, "999"); flow != "FB" || last != want {
		t.Fatalf("last %s %q, want FB %q", flow, last, want)
	}
}

func TestOtherOperatorsNames(t *testing.T) {
	ctx := context.Background()
	p, err := comviva.ParseParams("session=sessionId, msisdn=MSISDN, input=input, new=newRequest")
	if err != nil {
		t.Fatal(err)
	}
	s := newServer(ctx, t, gateway.Config{WebhookToken: "tok"}, p)
	target := "/ussd/comviva/tok?MSISDN=8801911000001&sessionId=A1&input=&newRequest=true&short_code=%2A6969%23"
	if status, flow, _ := s.do(t, "GET", target, "", ""); status != 200 || flow != "FC" {
		t.Fatalf("%d %q", status, flow)
	}
	if status, _, _ := s.do(t, "GET", strings.Replace(target, "/tok", "", 1), "", ""); status != 404 {
		t.Fatalf("without the token: %d", status)
	}
}

func TestParseParams(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want comviva.Params
		err  bool
	}{
		{"", comviva.DefaultParams, false},
		{"session=transId,msisdn=mobileNo,input=userData,new=NEW_REQUEST", comviva.DefaultParams, false},
		{"session=sid", comviva.Params{Session: "sid", MSISDN: "mobileNo", Input: "userData", New: "NEW_REQUEST", Code: "short_code"}, false},
		{"code=serviceCode,msisdn=msisdn", comviva.Params{Session: "transId", MSISDN: "msisdn", Input: "userData", New: "NEW_REQUEST", Code: "serviceCode"}, false},
		{"session", comviva.Params{}, true},
		{"session=", comviva.Params{}, true},
		{"colour=red", comviva.Params{}, true},
		{"session=x,input=x", comviva.Params{}, true},
	} {
		got, err := comviva.ParseParams(tc.in)
		if (err != nil) != tc.err || (!tc.err && got != tc.want) {
			t.Errorf("ParseParams(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

// FuzzUSSDPull sends arbitrary queries: the handler answers 200 with FC or FB, or a 4xx with a
// reason, never a 5xx or a panic.
func FuzzUSSDPull(f *testing.F) {
	ctx := context.Background()
	for _, seed := range []string{first, hop + "1", "/ussd/comviva?transId=&mobileNo=", "/ussd/comviva?transId=a&mobileNo=%2B&NEW_REQUEST=1&userData=%FF"} {
		f.Add(strings.TrimPrefix(seed, "/ussd/comviva?"))
	}
	s := newServer(ctx, f, gateway.Config{}, comviva.DefaultParams)
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("POST", "/ussd/comviva", strings.NewReader(query))
		req.Header.Set("Content-Type", form)
		resp, err := s.g.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		switch flow := resp.Header.Get("Freeflow"); {
		case resp.StatusCode == 200:
			if flow != "FC" && flow != "FB" {
				t.Fatalf("200 with Freeflow %q: %q", flow, b)
			}
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if len(b) == 0 {
				t.Fatal("4xx without a reason")
			}
		default:
			t.Fatalf("status %d for %q: %q", resp.StatusCode, query, b)
		}
	})
}
