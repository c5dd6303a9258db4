package simulate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

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
