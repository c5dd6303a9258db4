package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/simulate"
)

// refPattern finds a reference on a closing screen: seven digits (the helpline and emergency
// numbers on it are shorter). The tests here read references as a caller does, not from the
// simulator's insides.
var refPattern = regexp.MustCompile(`\b[0-9]{7}\b`)

const refMask = "#######"

func TestLoadSeesEveryCallersOwnScreens(t *testing.T) {
	m := MustRunMain(t)
	cfg := simulate.LoadConfig{URL: "http://" + m.Addr(), Callers: 8, Duration: 20 * time.Second, Sessions: 240, Page: locales.DefaultLimit, PID: os.Getpid()}
	res, err := simulate.Measure(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.WrongScreens != 0 || res.Errors != 0 {
		t.Fatalf("%d wrong screens, %d errors", res.WrongScreens, res.Errors)
	}
	if res.Sessions != cfg.Sessions || res.Hops < 2*res.Sessions || res.HopsPerSec <= 0 || res.P50 <= 0 || res.P99 < res.P50 || res.Max < res.P99 {
		t.Fatalf("figures: %+v", res)
	}
	for _, k := range []string{"urgent", "callback", "help", "info", "language", "exit"} {
		if res.Paths[k] == 0 {
			t.Errorf("no %s session in %v", k, res.Paths)
		}
	}
	if res.RSSBefore <= 0 || res.RSSAfter <= 0 || res.RSSPeak < res.RSSAfter {
		t.Errorf("RSS %d → %d, peak %d", res.RSSBefore, res.RSSAfter, res.RSSPeak)
	}
	// Every reference a caller was told is on record, once.
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range callsJSON(t, m.Config.Data) {
		seen[r.Ref]++
	}
	if res.Refs == 0 {
		t.Fatal("no reference told")
	}
	for ref, n := range seen {
		if n != 1 {
			t.Errorf("reference %s on record %d times", ref, n)
		}
	}
}

// TestLoadCountsWrongScreens puts a proxy in front of the gateway that, once the reference walk
// is done, answers some hops with the answer it last gave anyone: replies meant for another
// caller or another step.
func TestLoadCountsWrongScreens(t *testing.T) {
	m := MustRunMain(t)
	tests := []struct {
		name string
		// corrupt changes the n-th answer; prev is the answer given before it, or for the
		// reference case the last reference told.
		corrupt func(n int64, body string, prev string) string
	}{
		{"a reply meant for someone else", func(n int64, body, last string) string {
			if n%7 == 0 {
				return last
			}
			return body
		}},
		{"a reference told twice", func(n int64, body, lastRef string) string {
			if strings.HasPrefix(body, "END ") && refPattern.MatchString(body) && lastRef != "" {
				return refPattern.ReplaceAllString(body, lastRef)
			}
			return body
		}},
		{"a help page that does not fit", func(n int64, body, last string) string {
			if strings.HasPrefix(body, "CON ") && n%5 == 0 {
				return body + strings.Repeat(" padding", 30)
			}
			return body
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var on atomic.Bool
			var n atomic.Int64
			var mu sync.Mutex
			last, lastRef := "", ""
			proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				resp, err := http.Post("http://"+m.Addr()+"/ussd/africastalking", r.Header.Get("Content-Type"), r.Body)
				if err != nil {
					http.Error(w, err.Error(), 502)
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				body := string(b)
				mu.Lock()
				if on.Load() {
					if tt.name == "a reference told twice" {
						body = tt.corrupt(n.Add(1), body, lastRef)
					} else {
						body = tt.corrupt(n.Add(1), body, last)
					}
				}
				last = string(b)
				if ref := refPattern.FindString(body); ref != "" && strings.HasPrefix(body, "END ") {
					lastRef = ref
				}
				mu.Unlock()
				io.WriteString(w, body)
			}))
			defer proxy.Close()
			l := simulate.NewCallers(proxy.URL+"/ussd/africastalking", 4, 120)
			if _, err := l.Learn(context.Background(), locales.DefaultLimit); err != nil {
				t.Fatal(err)
			}
			on.Store(true)
			l.Drive(context.Background(), 20*time.Second, io.Discard, "test")
			res := l.Result()
			if res.WrongScreens == 0 || res.Errors != 0 {
				t.Fatalf("%d wrong screens, %d errors", res.WrongScreens, res.Errors)
			}
		})
	}
}

func TestLoadDrivesOnlyThisMachine(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--url", "http://10.1.2.3:8080"}, "not on this machine"},
		{[]string{"--url", "http://example.org"}, "not on this machine"},
		{[]string{"--url", "localhost.example.org:8080"}, "not on this machine"},
		{[]string{"--url", "http://[::ffff:10.0.0.1]:8080"}, "not on this machine"},
		{[]string{"--callers", "0"}, "--callers"},
		{[]string{"--duration", "-1s"}, "--duration"},
		{[]string{"--page", "12"}, "--page"},
		{[]string{"--think", "-1s"}, "--think"},
		{[]string{"extra"}, "no arguments"},
	}
	for _, tt := range tests {
		err := Run(context.Background(), append([]string{"load"}, tt.args...), nil, io.Discard, io.Discard)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("load %q: %v, want %q", tt.args, err, tt.want)
		}
	}
}

func TestLoadWithBaselinePrintsTheRatio(t *testing.T) {
	m := mustRunSimulated(t)
	var out, errb bytes.Buffer
	args := []string{"load", "--url", "http://" + m.Addr(), "--callers", "4", "--duration", "1s", "--baseline", "--json"}
	if err := Run(context.Background(), args, nil, &out, &errb); err != nil {
		t.Fatalf("%v\n%s", err, errb.String())
	}
	var res simulate.LoadResult
	if err := json.Unmarshal(out.Bytes(), &res); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if res.Baseline == nil || res.Baseline.Hops == 0 || res.Ratio <= 0 || res.Hops == 0 {
		t.Fatalf("result %s", out.String())
	}
	if res.PID != os.Getpid() {
		t.Errorf("server pid %d, this process is %d", res.PID, os.Getpid())
	}
	// Bare Fiber runs in a process of its own, as the gateway does.
	if res.Baseline.PID == 0 || res.Baseline.PID == os.Getpid() {
		t.Errorf("bare Fiber ran in process %d; this one is %d", res.Baseline.PID, os.Getpid())
	}
	if !strings.Contains(errb.String(), "hops/s") {
		t.Errorf("no progress line: %q", errb.String())
	}
	out.Reset()
	args = []string{"load", "--url", "http://" + m.Addr(), "--callers", "2", "--sessions", "10", "--duration", "10s", "--think", "2ms"}
	if err := Run(context.Background(), args, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"hops/s", "p99", "wrong screens   0", "server RSS", "think"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}

// BenchmarkGatewayHops drives 50 callers at the real gateway in this process, b.N hops in all:
// the profile of one hop through HTTP, flows and the store (client included).
func BenchmarkGatewayHops(b *testing.B) {
	m := MustRunMain(b)
	l := simulate.NewCallers("http://"+m.Addr()+"/ussd/africastalking", 50, int64(b.N/4+1))
	if _, err := l.Learn(context.Background(), locales.DefaultLimit); err != nil {
		b.Fatal(err)
	}
	before := m.DB.(*bolt.DB).Stats()
	b.ResetTimer()
	l.Drive(context.Background(), time.Hour, io.Discard, "bench")
	res := l.Result()
	b.ReportMetric(res.HopsPerSec, "hops/s")
	b.ReportMetric(res.P99, "p99-ms")
	after := m.DB.(*bolt.DB).Stats()
	if n := after.Commits - before.Commits; n > 0 {
		b.ReportMetric(float64(after.Writes-before.Writes)/float64(n), "writes/commit")
		b.ReportMetric(float64(after.CommitTime-before.CommitTime)/float64(n)/1e6, "ms/commit")
	}
	if res.WrongScreens != 0 || res.Errors != 0 {
		b.Fatalf("%d wrong screens, %d errors", res.WrongScreens, res.Errors)
	}
}

// --light asks for the light client, and nothing else changes; without it the client checks.
func TestLoadParsesLight(t *testing.T) {
	plain, err := parseLoad([]string{"--callers", "7", "--baseline"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	light, err := parseLoad([]string{"--callers", "7", "--baseline", "--light"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if plain.Light || !light.Light {
		t.Fatalf("light: %v without --light, %v with it", plain.Light, light.Light)
	}
	light.Light = false
	if light.URL != plain.URL || light.Callers != plain.Callers || !light.Baseline || light.Duration != plain.Duration || light.Page != plain.Page {
		t.Errorf("--light changed other flags: %+v, want %+v", light, plain)
	}
}

// A light run against the gateway counts hops and says in its table that it checked no screen.
func TestLoadLightPrintsThatItCheckedNothing(t *testing.T) {
	m := mustRunSimulated(t)
	var out bytes.Buffer
	args := []string{"load", "--url", "http://" + m.Addr(), "--callers", "2", "--sessions", "20", "--duration", "10s", "--light"}
	if err := Run(context.Background(), args, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"client          light", "screens were not checked", "wrong screens   not checked", "hops/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, out.String())
		}
	}
}
