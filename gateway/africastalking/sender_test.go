package africastalking_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

// The Sender's tests: a real httptest server stands in for Africa's Talking's API.

// Africa's Talking's answers, as its bulk SMS API gives them.
const (
	atAccepted = `{"SMSMessageData":{"Message":"Sent to 1/1 Total Cost: KES 0.8000","Recipients":[{"statusCode":101,"number":"+8801911000003","status":"Success","cost":"KES 0.8000","messageId":"ATXid_4a7b"}]}}`
	atInvalid  = `{"SMSMessageData":{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[{"statusCode":403,"number":"+8801911000003","status":"InvalidPhoneNumber","cost":"0","messageId":"None"}]}}`
	atNoCredit = `{"SMSMessageData":{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[{"statusCode":405,"number":"+8801911000003","status":"InsufficientBalance","cost":"0","messageId":"None"}]}}`
	atGateway  = `{"SMSMessageData":{"Message":"Sent to 0/1 Total Cost: 0","Recipients":[{"statusCode":500,"number":"+8801911000003","status":"InternalServerError","cost":"0","messageId":"None"}]}}`
	atNone     = `{"SMSMessageData":{"Message":"InvalidSenderId","Recipients":[]}}`
)

type outcome struct {
	id         string
	permanent  bool
	retryAfter time.Duration
	failed     bool
}

func classify(rc outbox.Receipt, err error) outcome {
	if err == nil {
		return outcome{id: rc.ProviderID}
	}
	var se *outbox.SendError
	if errors.As(err, &se) {
		return outcome{failed: true, permanent: se.Permanent, retryAfter: se.RetryAfter}
	}
	return outcome{failed: true}
}

func worker(text string) *outbox.Message {
	return &outbox.Message{ID: 1, Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: staffNumber, Text: text}
}

// staffNumber is a worker's number, the recipient of every message here.
const staffNumber = "+8801911000003"

// outboxFixture is an outbox on a bbolt file that can be closed and opened again, as across a
// deploy.
type outboxFixture struct {
	t    testing.TB
	path string
	box  *seal.Box
	cfg  outbox.Config
	db   *bolt.DB
	ob   *outbox.Outbox
}

func newFixture(t testing.TB, cfg outbox.Config) *outboxFixture {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f := &outboxFixture{t: t, path: filepath.Join(t.TempDir(), "onestop.db"), box: box, cfg: cfg}
	f.open()
	t.Cleanup(func() { f.db.Close() })
	return f
}

// open opens (or reopens, after a restart) the bbolt file and builds the outbox on it.
func (f *outboxFixture) open() {
	f.t.Helper()
	db, err := bolt.Open(f.path, time.Second)
	if err != nil {
		f.t.Fatal(err)
	}
	f.db, f.ob = db, outbox.New(db, f.box, casebook.New(db, f.box), f.cfg)
}

func TestAfricasTalkingClient(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   outcome
	}{
		{"accepted", 201, nil, atAccepted, outcome{id: "ATXid_4a7b"}},
		{"invalid number", 201, nil, atInvalid, outcome{failed: true, permanent: true}},
		{"no credit", 201, nil, atNoCredit, outcome{failed: true}},
		{"gateway error", 201, nil, atGateway, outcome{failed: true}},
		{"no recipient taken", 201, nil, atNone, outcome{failed: true, permanent: true}},
		{"wrong api key", 401, nil, "The supplied authentication is invalid", outcome{failed: true}},
		{"rate limited", 429, map[string]string{"Retry-After": "7"}, "Too Many Requests", outcome{failed: true, retryAfter: 7 * time.Second}},
		{"server error", 500, nil, "Internal Server Error", outcome{failed: true}},
		{"not json", 201, nil, "<xml/>", outcome{failed: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			var form url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				got, form = r, r.PostForm
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			s := &africastalking.Sender{BaseURL: srv.URL, Username: "onestop", APIKey: "secret-key", From: "INFO"}
			if o := classify(s.Send(context.Background(), worker("কেস R1234567 পেয়েছি"))); o != tc.want {
				t.Fatalf("outcome %+v, want %+v", o, tc.want)
			}
			if got.URL.Path != "/version1/messaging" || got.Header.Get("apiKey") != "secret-key" || got.Header.Get("Accept") != "application/json" {
				t.Fatalf("request %s %v", got.URL.Path, got.Header)
			}
			if form.Get("username") != "onestop" || form.Get("to") != staffNumber || form.Get("message") != "কেস R1234567 পেয়েছি" || form.Get("from") != "INFO" || form.Get("bulkSMSMode") != "1" {
				t.Fatalf("form %v", form)
			}
		})
	}
}

// flappingAT is an Africa's Talking stand-in that fails two requests in three (a 500, a 429) and
// counts every message it accepted. Once it has accepted pauseAfter messages it pauses: it holds
// requests until the client gives up, accepting nothing, while the process is being stopped.
type flappingAT struct {
	mu         sync.Mutex
	n          int
	accepted   map[string]int
	pauseAfter int
	paused     bool
}

func (p *flappingAT) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	r.ParseForm()
	p.mu.Lock()
	if p.paused {
		p.mu.Unlock()
		<-r.Context().Done()
		return
	}
	p.n++
	n := p.n
	switch n % 3 {
	case 1:
		p.mu.Unlock()
		http.Error(w, "Internal Server Error", 500)
		return
	case 2:
		p.mu.Unlock()
		w.WriteHeader(429)
		fmt.Fprint(w, "Too Many Requests")
		return
	}
	p.accepted[r.PostForm.Get("message")]++
	p.paused = p.pauseAfter > 0 && len(p.accepted) >= p.pauseAfter
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(201)
	fmt.Fprintf(w, `{"SMSMessageData":{"Message":"Sent to 1/1","Recipients":[{"statusCode":101,"number":"%s","status":"Success","cost":"KES 0.8000","messageId":"ATXid_%d"}]}}`, r.PostForm.Get("to"), n)
}

func (p *flappingAT) total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.accepted)
}

// TestFlappingProviderWithRestart sends 24 messages through a provider that fails two requests
// in three, stops and reopens the bbolt file half way, and checks that every message reached the
// provider exactly once.
func TestFlappingProviderWithRestart(t *testing.T) {
	ctx := context.Background()
	const total = 24
	f := newFixture(t, outbox.Config{Backoff: time.Millisecond, MaxBackoff: 4 * time.Millisecond, MaxAttempts: 50, Rate: 2000, Poll: 2 * time.Millisecond})
	f.db.Clock = time.Now
	// The provider pauses itself on accepting half, so no message is accepted while the first
	// run is being stopped: one accepted then would be answered after the stop, and sent again.
	p := &flappingAT{accepted: map[string]int{}, pauseAfter: total / 2}
	srv := httptest.NewServer(p)
	defer srv.Close()
	sender := func() *africastalking.Sender {
		return &africastalking.Sender{BaseURL: srv.URL, Username: "onestop", APIKey: "k", Client: srv.Client()}
	}
	for i := range total {
		m := outbox.Message{Key: fmt.Sprint("m", i), Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReminder,
			To: staffNumber, Text: fmt.Sprintf("message %02d", i), Provider: africastalking.Provider}
		if _, err := f.ob.Queue(context.Background(), &m); err != nil {
			t.Fatal(err)
		}
	}
	run := func(until func() bool) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- f.ob.Run(ctx, sender()) }()
		deadline := time.Now().Add(5 * time.Second)
		for !until() && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	sent := func() int {
		l, _ := f.ob.List(ctx, outbox.Filter{State: outbox.Sent})
		return len(l)
	}
	run(func() bool { return sent() == total/2 })
	// Restart: the file is closed and opened again, as after a deploy.
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	f.open()
	f.db.Clock = time.Now
	p.mu.Lock()
	p.paused, p.pauseAfter = false, 0
	p.mu.Unlock()
	run(func() bool { return sent() == total })

	if p.total() != total {
		t.Fatalf("provider took %d distinct messages of %d", p.total(), total)
	}
	for text, n := range p.accepted {
		if n != 1 {
			t.Errorf("%q reached the provider %d times", text, n)
		}
	}
	list, _ := f.ob.List(ctx, outbox.Filter{})
	retried := 0
	for _, m := range list {
		if m.State != outbox.Sent || !strings.HasPrefix(m.ProviderID, "ATXid_") {
			t.Errorf("message %d is %s (%s)", m.ID, m.State, m.Error)
		}
		if m.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no message needed a retry: the provider did not flap")
	}
}

// TestNewSender: the Sender sends as the configured account, and an account needs both a
// username and an API key.
func TestNewSender(t *testing.T) {
	c := africastalking.Config{Username: "onestop", APIKey: "secret-key", BaseURL: "https://at.example", Sender: "INFO"}
	want := africastalking.Sender{BaseURL: "https://at.example", Username: "onestop", APIKey: "secret-key", From: "INFO"}
	if s := africastalking.NewSender(c); *s != want || s.Name() != africastalking.Provider {
		t.Fatalf("sender %+v named %q", *s, s.Name())
	}
	for _, tc := range []struct {
		c    africastalking.Config
		want bool
	}{
		{c, true},
		{africastalking.Config{Username: "onestop"}, false},
		{africastalking.Config{APIKey: "secret-key"}, false},
		{africastalking.Config{}, false},
	} {
		if got := tc.c.Enabled(); got != tc.want {
			t.Errorf("%+v enabled: %v", tc.c, got)
		}
	}
}
