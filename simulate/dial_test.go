package simulate

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// dialAnswer is what the fake gateway says to one hop.
type dialAnswer struct {
	status   int // 0 means 200
	location string
	body     string
}

// fakeDialGateway stands in for a running onestop serve: it checks each hop exactly as Africa's
// Talking would send it, and answers from a script.
type fakeDialGateway struct {
	t        *testing.T
	path     string // the escaped path hops must arrive at
	code     string
	network  string
	number   string
	user     string // the basic auth user every hop must carry, "" for none
	password string
	wantText []string // the text field expected on each hop, in order
	answers  []dialAnswer

	mu      sync.Mutex
	texts   []string
	session string
	onHop   func(hop int)
}

var dialSessionID = regexp.MustCompile(`^dial-[0-9a-f]{16}$`)

func (f *fakeDialGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.t
	hop := len(f.texts)
	if r.Method != http.MethodPost {
		t.Errorf("hop %d: method %s, want POST", hop, r.Method)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/x-www-form-urlencoded" {
		t.Errorf("hop %d: Content-Type %q", hop, ct)
	}
	if got := r.URL.EscapedPath(); got != f.path {
		t.Errorf("hop %d: path %q, want %q", hop, got, f.path)
	}
	if user, password, ok := r.BasicAuth(); ok != (f.user != "") || user != f.user || password != f.password {
		t.Errorf("hop %d: basic auth %q %q (%v), want %q %q", hop, user, password, ok, f.user, f.password)
	}
	raw, _ := io.ReadAll(r.Body)
	form, err := url.ParseQuery(string(raw))
	if err != nil {
		t.Errorf("hop %d: body %q: %v", hop, raw, err)
	}
	keys := make([]string, 0, len(form))
	for k, v := range form {
		keys = append(keys, k)
		if len(v) != 1 {
			t.Errorf("hop %d: %s sent %d times", hop, k, len(v))
		}
	}
	slices.Sort(keys)
	if want := []string{"networkCode", "phoneNumber", "serviceCode", "sessionId", "text"}; !slices.Equal(keys, want) {
		t.Errorf("hop %d: fields %v, want %v", hop, keys, want)
	}
	id := form.Get("sessionId")
	if !dialSessionID.MatchString(id) {
		t.Errorf("hop %d: sessionId %q", hop, id)
	}
	if hop == 0 {
		f.session = id
	} else if id != f.session {
		t.Errorf("hop %d: sessionId changed from %q to %q", hop, f.session, id)
	}
	// An unescaped + in the body would arrive here as a space.
	for k, want := range map[string]string{"serviceCode": f.code, "networkCode": f.network, "phoneNumber": f.number} {
		if got := form.Get(k); got != want {
			t.Errorf("hop %d: %s %q, want %q", hop, k, got, want)
		}
	}
	text := form.Get("text")
	f.texts = append(f.texts, text)
	if hop < len(f.wantText) && text != f.wantText[hop] {
		t.Errorf("hop %d: text %q, want %q", hop, text, f.wantText[hop])
	}
	if hop >= len(f.answers) {
		t.Errorf("hop %d: not in the script (text %q)", hop, text)
		http.Error(w, "unexpected hop", http.StatusTeapot)
		return
	}
	a := f.answers[hop]
	if f.onHop != nil {
		f.onHop(hop)
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if a.location != "" {
		w.Header().Set("Location", a.location)
	}
	if a.status != 0 {
		w.WriteHeader(a.status)
	}
	io.WriteString(w, a.body)
}

func TestDial(t *testing.T) {
	const number = "+8801711000001"
	welcome := "CON Welcome\n1. Help now\n2. Find a centre\n0. Exit"
	long := strings.Repeat("x", 300)
	tests := []struct {
		name    string
		cfg     DialConfig // "URL" in its URL is replaced by the fake gateway's URL
		stdin   string
		user    string // the basic auth user the gateway must see, when not ""
		path    string // default /ussd/africastalking
		code    string // default *109#
		network string // default 99999
		answers []dialAnswer
		texts   []string // the text of every hop the gateway saw

		wantErr    bool
		errMsg     string // in the returned error, when not ""
		wantOut    []string
		wantErrOut []string
		notOut     []string // in neither stdout nor stderr
		prompts    int      // "> " printed, when not 0
	}{
		{
			name:  "walks the menus to the end",
			cfg:   DialConfig{URL: "URL", Number: number},
			stdin: "1\n\n  \n2\r\n",
			answers: []dialAnswer{
				{body: welcome},
				{body: "CON Is it safe to talk?\n1. Yes\n2. No"},
				{body: "END Goodbye."},
			},
			texts: []string{"", "1", "1*2"},
			wantOut: []string{
				"│ Welcome\n│ 1. Help now\n│ 2. Find a centre\n│ 0. Exit\n",
				"│ Is it safe to talk?\n│ 1. Yes\n│ 2. No\n",
				"│ Goodbye.\n└",
				"(session ended)\n",
			},
			// Two screens wait for input; the two blank lines each ask again.
			prompts: 4,
		},
		{
			name:  "screens in other scripts print as they are",
			cfg:   DialConfig{URL: "URL", Number: number},
			stdin: "১\n",
			answers: []dialAnswer{
				{body: "CON ভাষা বেছে নিন\n1. বাংলা\n2. हिन्दी\n3. العربية"},
				{body: "END ধন্যবাদ"},
			},
			texts:   []string{"", "১"},
			wantOut: []string{"│ ভাষা বেছে নিন\n│ 1. বাংলা\n│ 2. हिन्दी\n│ 3. العربية\n", "│ ধন্যবাদ\n", "(session ended)"},
		},
		{
			name:    "the code and network dialled go with every hop",
			cfg:     DialConfig{URL: "URL", Number: number, Code: "*384*1234#", Network: "63902"},
			stdin:   "0\n",
			code:    "*384*1234#",
			network: "63902",
			answers: []dialAnswer{{body: welcome}, {body: "END Goodbye."}},
			texts:   []string{"", "0"},
			wantOut: []string{"Dialling *384*1234# from +8801711000001", "(session ended)"},
		},
		{
			name:    "the token is the last path segment and never printed",
			cfg:     DialConfig{URL: "URL/", Token: "s3cr/t%", Number: number},
			path:    "/ussd/africastalking/s3cr%2Ft%25",
			answers: []dialAnswer{{body: "END Goodbye."}},
			texts:   []string{""},
			wantOut: []string{"(session ended)"},
			notOut:  []string{"s3cr"},
		},
		{
			name:    "basic auth goes with every hop when given",
			cfg:     DialConfig{URL: "URL", Number: number, User: "at", Password: "pw-of-sixteen-chars"},
			user:    "at",
			stdin:   "1\n",
			answers: []dialAnswer{{body: welcome}, {body: "END Goodbye."}},
			texts:   []string{"", "1"},
			wantOut: []string{"(session ended)"},
			notOut:  []string{"pw-of-sixteen"},
		},
		{
			name:    "end of input hangs up",
			cfg:     DialConfig{URL: "URL", Number: number},
			stdin:   "",
			answers: []dialAnswer{{body: welcome}},
			texts:   []string{""},
			wantOut: []string{"│ Welcome", "> \n(hung up)\n"},
			notOut:  []string{"(session ended)"},
		},
		{
			name:    "control characters are not passed to the terminal",
			cfg:     DialConfig{URL: "URL", Number: number},
			answers: []dialAnswer{{body: "END a\x1b[2Jb"}},
			texts:   []string{""},
			wantOut: []string{"│ a\uFFFD[2Jb\n"},
			notOut:  []string{"\x1b"},
		},
		{
			name:       "non-200 answer",
			cfg:        DialConfig{URL: "URL", Number: number},
			stdin:      "1\n",
			answers:    []dialAnswer{{body: welcome}, {status: http.StatusInternalServerError, body: "store not writable"}},
			texts:      []string{"", "1"},
			wantErr:    true,
			wantErrOut: []string{"hop 2", "500 Internal Server Error", `"store not writable"`},
			notOut:     []string{"(session ended)"},
		},
		{
			name:       "404 body is cut to 200 bytes and the token is blamed",
			cfg:        DialConfig{URL: "URL", Number: number},
			answers:    []dialAnswer{{status: http.StatusNotFound, body: long}},
			texts:      []string{""},
			wantErr:    true,
			wantErrOut: []string{"404 Not Found", `"` + long[:200] + `…"`, "webhook token"},
			notOut:     []string{long[:201]},
		},
		{
			name:       "a redirect is shown, not followed",
			cfg:        DialConfig{URL: "URL", Number: number},
			answers:    []dialAnswer{{status: http.StatusTemporaryRedirect, location: "/elsewhere"}},
			texts:      []string{""},
			wantErr:    true,
			wantErrOut: []string{"307 Temporary Redirect"},
		},
		{
			name:       "malformed body",
			cfg:        DialConfig{URL: "URL", Number: number},
			answers:    []dialAnswer{{body: " CON Welcome"}},
			texts:      []string{""},
			wantErr:    true,
			wantErrOut: []string{`"CON " or "END "`, `" CON Welcome"`},
		},
		{
			name:       "empty body",
			cfg:        DialConfig{URL: "URL", Number: number},
			answers:    []dialAnswer{{body: ""}},
			texts:      []string{""},
			wantErr:    true,
			wantErrOut: []string{`"CON " or "END "`},
		},
		{
			name:    "a gateway off this machine is refused",
			cfg:     DialConfig{URL: "http://onestop.example.org", Number: number},
			wantErr: true,
			errMsg:  "not on this machine",
		},
		{name: "number without +", cfg: DialConfig{URL: "URL", Number: "8801711000001"}, wantErr: true, errMsg: "E.164"},
		{name: "number too short", cfg: DialConfig{URL: "URL", Number: "+880171"}, wantErr: true, errMsg: "E.164"},
		{name: "number too long", cfg: DialConfig{URL: "URL", Number: "+8801711000001234"}, wantErr: true, errMsg: "E.164"},
		{name: "number with letters", cfg: DialConfig{URL: "URL", Number: "+88017110000O1"}, wantErr: true, errMsg: "E.164"},
		{name: "no number", cfg: DialConfig{URL: "URL"}, wantErr: true, errMsg: "E.164"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeDialGateway{
				t: t, path: dialOr(tt.path, "/ussd/africastalking"), code: dialOr(tt.code, "*109#"),
				network: dialOr(tt.network, "99999"), number: number, wantText: tt.texts, answers: tt.answers,
				user: tt.user, password: tt.cfg.Password,
			}
			srv := httptest.NewServer(f)
			defer srv.Close()
			cfg := tt.cfg
			cfg.URL = strings.ReplaceAll(cfg.URL, "URL", srv.URL)
			// What onestop dial sends when no flag says otherwise.
			cfg.Code, cfg.Network = dialOr(cfg.Code, "*109#"), dialOr(cfg.Network, "99999")
			var stdout, stderr strings.Builder
			err := Dial(context.Background(), cfg, strings.NewReader(tt.stdin), &stdout, &stderr)
			out, errOut := stdout.String(), stderr.String()
			if tt.wantErr {
				if err == nil {
					t.Fatalf("no error\nstdout:\n%s", out)
				}
				if !strings.Contains(err.Error(), tt.errMsg) {
					t.Errorf("error %q lacks %q", err, tt.errMsg)
				}
			} else if err != nil {
				t.Fatalf("error %v\nstdout:\n%s\nstderr:\n%s", err, out, errOut)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.wantErrOut {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
			for _, w := range tt.notOut {
				if strings.Contains(out+errOut, w) {
					t.Errorf("output has %q:\nstdout:\n%s\nstderr:\n%s", w, out, errOut)
				}
			}
			if tt.prompts != 0 {
				if got := strings.Count(out, "> "); got != tt.prompts {
					t.Errorf("%d prompts, want %d:\n%s", got, tt.prompts, out)
				}
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			if !slices.Equal(f.texts, tt.texts) {
				t.Errorf("gateway saw texts %q, want %q", f.texts, tt.texts)
			}
		})
	}
}

// A piped transcript shows what was typed after each prompt, as a terminal would.
func TestDialEchoesPipedInput(t *testing.T) {
	f := &fakeDialGateway{t: t, path: "/ussd/africastalking", code: "*109#", network: "99999", number: "+97059000000",
		answers: []dialAnswer{{body: "CON Menu"}, {body: "END Bye"}}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	var out strings.Builder
	cfg := DialConfig{URL: srv.URL, Code: "*109#", Network: "99999", Number: "+97059000000"}
	if err := Dial(context.Background(), cfg, strings.NewReader("3\n"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "> 3\n┌") {
		t.Errorf("typed input not echoed:\n%s", out.String())
	}
}

// Ctrl-C while the phone waits for input hangs up cleanly.
func TestDialCancelWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f := &fakeDialGateway{t: t, path: "/ussd/africastalking", code: "*109#", network: "99999", number: "+919876543210",
		answers: []dialAnswer{{body: "CON Menu"}},
		onHop:   func(int) { time.AfterFunc(50*time.Millisecond, cancel) }}
	srv := httptest.NewServer(f)
	defer srv.Close()
	stdin, w := io.Pipe() // input that never comes
	defer w.Close()
	var out strings.Builder
	done := make(chan error, 1)
	cfg := DialConfig{URL: srv.URL, Code: "*109#", Network: "99999", Number: "+919876543210"}
	go func() { done <- Dial(ctx, cfg, stdin, &out, io.Discard) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("dial did not hang up when the context was cancelled")
	}
	if !strings.HasSuffix(out.String(), "(hung up)\n") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestDialEndpoint(t *testing.T) {
	tests := []struct {
		url    string
		token  string
		remote bool
		want   string // "" means refused
	}{
		{url: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080/ussd/africastalking"},
		{url: "http://127.1.2.3:8080/", want: "http://127.1.2.3:8080/ussd/africastalking"},
		{url: "http://localhost:8080", token: "t", want: "http://localhost:8080/ussd/africastalking/t"},
		{url: "http://LOCALHOST", want: "http://LOCALHOST/ussd/africastalking"},
		{url: "http://[::1]:8080", want: "http://[::1]:8080/ussd/africastalking"},
		{url: "127.0.0.1:8080", want: "http://127.0.0.1:8080/ussd/africastalking"},
		{url: "https://127.0.0.1/onestop", want: "https://127.0.0.1/onestop/ussd/africastalking"},
		{url: "http://10.0.0.5:8080"},
		{url: "http://0.0.0.0:8080"},
		{url: "http://localhost.example.org"},
		{url: "http://127.0.0.1.nip.io"},
		{url: "https://gateway.example.org"},
		{url: "https://gateway.example.org", remote: true, want: "https://gateway.example.org/ussd/africastalking"},
		{url: "ftp://127.0.0.1"},
		{url: "http://127.0.0.1:8080/?token=x"},
		{url: "http://user:pw@127.0.0.1:8080"},
		{url: "http://"},
	}
	for _, tt := range tests {
		got, err := dialEndpoint(tt.url, tt.token, tt.remote)
		if tt.want == "" {
			if err == nil {
				t.Errorf("%s (remote %v): got %s, want refused", tt.url, tt.remote, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s (remote %v): got %q, %v; want %q", tt.url, tt.remote, got, err, tt.want)
		}
	}
}

// A name that resolves off this machine is refused when connecting, not only by its spelling.
func TestDialClientStaysLocal(t *testing.T) {
	// 192.0.2.1 is TEST-NET-1: never routed, so nothing leaves even if the check failed.
	req, _ := http.NewRequest(http.MethodPost, "http://192.0.2.1:9/ussd/africastalking", nil)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := dialClient(false).Do(req.WithContext(ctx))
	if err == nil || !strings.Contains(err.Error(), "not this machine") {
		t.Errorf("got %v, want a refusal", err)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Error("the connection was attempted")
	}
}

func dialOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
