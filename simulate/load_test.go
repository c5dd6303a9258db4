package simulate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
)

// The simulator asks a gateway whether it simulates in the gateway's own words.
func TestLoadKnowsASimulationAsTheGatewaySaysIt(t *testing.T) {
	if healthSimulated != gateway.HealthSimulated {
		t.Fatalf("load looks for %q on /healthz, a simulating gateway says %q", healthSimulated, gateway.HealthSimulated)
	}
}

// The simulator's reading of a reference is casebook's rule, for every seven digits a closing
// screen can show.
func TestLoadReadsReferencesAsCasebookMakesThem(t *testing.T) {
	valid := 0
	buf := make([]byte, 0, 8)
	for n := 0; n < 10_000_000; n += 3 {
		buf = strconv.AppendInt(buf[:0], int64(n+10_000_000), 10)
		ref := string(buf[1:]) // seven digits, leading zeros kept
		if got, want := validRef(ref), casebook.ValidRef(ref); got != want {
			t.Fatalf("validRef(%q) = %v, casebook.ValidRef says %v", ref, got, want)
		}
		if validRef(ref) {
			valid++
		}
	}
	if valid == 0 {
		t.Fatal("no reference valid")
	}
	for _, bad := range []string{"", "123456", "12345678", "12a4567", "１２３４５６７"} {
		if validRef(bad) {
			t.Errorf("validRef(%q) = true", bad)
		}
	}
}

func TestLoadSessionIDsAreUniqueAndLookLikeTheAggregators(t *testing.T) {
	seen := map[string]bool{}
	for _, nonce := range []uint64{0x9e3779b97f4a7c15, 0xdeadbeef12345678} { // two runs
		for i := range 60 {
			for seq := range 500 {
				id := sessionID(nonce, i, seq)
				if !strings.HasPrefix(id, "ATUid_") || len(id) != len("ATUid_")+16 || seen[id] {
					t.Fatalf("caller %d session %d: %q (seen before: %v)", i, seq, id, seen[id])
				}
				seen[id] = true
			}
		}
	}
}

// Load drives only a gateway on this machine that says it serves a simulation, and posts no
// hop to any other.
func TestLoadDrivesOnlyALocalSimulation(t *testing.T) {
	var hops atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, "ok") // a real helpline
			return
		}
		hops.Add(1)
		io.WriteString(w, "END Goodbye.")
	}))
	defer srv.Close()
	for _, tt := range []struct{ url, want string }{
		{"http://10.1.2.3:8080", "not on this machine"},
		{"http://example.org", "not on this machine"},
		{"localhost.example.org:8080", "not on this machine"},
		{"http://[::ffff:10.0.0.1]:8080", "not on this machine"},
		{srv.URL, "not serving a simulation"},
	} {
		cfg := LoadConfig{URL: tt.url, Callers: 1, Sessions: 1, Duration: time.Second, Page: locales.DefaultLimit}
		if _, err := Load(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("load at %s: %v, want %q", tt.url, err, tt.want)
		}
	}
	if n := hops.Load(); n != 0 {
		t.Fatalf("%d hops posted", n)
	}
}

// wrongScreens is a gateway on this machine that says it simulates and answers every hop with
// the same wrong screen, keeping the keys each hop carried.
func wrongScreens(t *testing.T) (*httptest.Server, *sync.Map, *atomic.Int64) {
	var texts sync.Map
	var hops atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, healthSimulated)
			return
		}
		hops.Add(1)
		texts.Store(r.FormValue("text"), true)
		io.WriteString(w, "CON not the screen she must see")
	}))
	t.Cleanup(srv.Close)
	return srv, &texts, &hops
}

// The light client checks no screen, so a gateway answering wrong ones is measured, not
// refused, and its hops are counted and timed; the checked client refuses the same gateway.
// Either way the keys it posts are those of the paths callers walk.
func TestLoadLightChecksNoScreenButCountsHops(t *testing.T) {
	srv, texts, hops := wrongScreens(t)
	cfg := LoadConfig{URL: srv.URL, Callers: 4, Sessions: 40, Duration: 10 * time.Second, Page: locales.DefaultLimit, PID: os.Getpid()}

	if _, err := Load(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "differs from the catalogue") {
		t.Fatalf("checked load at a gateway of wrong screens: %v, want it refused", err)
	}

	hops.Store(0)
	cfg.Light = true
	res, err := Load(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if err := res.Err(); err != nil || res.WrongScreens != 0 || !res.Light {
		t.Fatalf("light run: %v, %d wrong screens, light %v", err, res.WrongScreens, res.Light)
	}
	if res.Sessions != cfg.Sessions || res.Hops < 2*res.Sessions || res.Hops != hops.Load() || res.HopsPerSec <= 0 || res.P99 < res.P50 {
		t.Fatalf("light run counted %+v; the gateway saw %d hops", res, hops.Load())
	}
	if res.Refs != 0 {
		t.Errorf("%d references told to a light client", res.Refs)
	}
	valid := map[string]bool{"": true}
	for _, lang := range onestop.Langs {
		for _, p := range pathsFor(lang) {
			text := ""
			for k, st := range p.steps {
				if k > 0 {
					text += "*"
				}
				text += st.input
				valid[text] = true
			}
		}
	}
	texts.Range(func(k, _ any) bool {
		if !valid[k.(string)] {
			t.Errorf("the light client posted %q, on no path", k)
		}
		return true
	})

	var out strings.Builder
	res.Print(&out)
	for _, want := range []string{"light", "screens were not checked", "wrong screens   not checked", "hops/s"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("light table lacks %q:\n%s", want, out.String())
		}
	}
}

// The light client still drives only a local simulation.
func TestLoadLightDrivesOnlyALocalSimulation(t *testing.T) {
	for _, u := range []string{"http://10.1.2.3:8080", "http://example.org"} {
		cfg := LoadConfig{URL: u, Callers: 1, Sessions: 1, Duration: time.Second, Page: locales.DefaultLimit, Light: true}
		if _, err := Load(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "not on this machine") {
			t.Errorf("light load at %s: %v", u, err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, "ok")
			return
		}
		t.Errorf("hop posted to a gateway that does not simulate: %s", r.URL.Path)
	}))
	defer srv.Close()
	cfg := LoadConfig{URL: srv.URL, Callers: 1, Sessions: 1, Duration: time.Second, Page: locales.DefaultLimit, Light: true}
	if _, err := Load(context.Background(), cfg, io.Discard); err == nil || !strings.Contains(err.Error(), "not serving a simulation") {
		t.Errorf("light load at a real helpline: %v", err)
	}
}

// The light client reads no screen, but a hop the gateway does not answer with 200 is an error,
// and a connection the gateway closes after a reply is dialled again.
func TestLoadLightCountsFailedHops(t *testing.T) {
	var hops atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/healthz" {
			io.WriteString(w, healthSimulated)
			return
		}
		switch n := hops.Add(1); {
		case n%5 == 0:
			http.Error(w, "no", http.StatusInternalServerError)
		case n%3 == 0:
			w.Header().Set("Connection", "close")
			io.WriteString(w, "END Goodbye.")
		default:
			io.WriteString(w, "CON Anything")
		}
	}))
	defer srv.Close()
	cfg := LoadConfig{URL: srv.URL, Callers: 3, Sessions: 60, Duration: 10 * time.Second, Page: locales.DefaultLimit, PID: os.Getpid(), Light: true}
	res, err := Load(context.Background(), cfg, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if res.Errors == 0 || res.Errors > res.Hops/4 || res.Err() == nil || res.Hops != hops.Load() {
		t.Fatalf("%d errors in %d hops (the gateway saw %d, failed one in five)", res.Errors, res.Hops, hops.Load())
	}
}

// Moved from cmd/onestop with Validate: the bounds of a run are the simulation's own.
func TestLoadConfigValidate(t *testing.T) {
	good := LoadConfig{Callers: 50, Duration: 30 * time.Second, Page: locales.DefaultLimit}
	if err := good.Validate(); err != nil {
		t.Fatalf("good run refused: %v", err)
	}
	for name, bad := range map[string]func(*LoadConfig){
		"--page":     func(c *LoadConfig) { c.Page.GSM7 = 59 },
		"--callers":  func(c *LoadConfig) { c.Callers = 20001 },
		"--duration": func(c *LoadConfig) { c.Duration = 0 },
		"--sessions": func(c *LoadConfig) { c.Sessions = -1 },
		"--think":    func(c *LoadConfig) { c.Think = 2 * time.Minute },
	} {
		c := good
		bad(&c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
