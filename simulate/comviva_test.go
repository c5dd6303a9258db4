package simulate

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// fakeFreeflowGateway stands in for a gateway answering a Comviva pull: it keeps each hop's
// query and answers from a script, ending on the last.
type fakeFreeflowGateway struct {
	screens []string
	mu      sync.Mutex
	hops    []url.Values
}

func (f *fakeFreeflowGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := len(f.hops)
	f.hops = append(f.hops, r.URL.Query())
	w.Header().Set("Freeflow", "FC")
	if n == len(f.screens)-1 {
		w.Header().Set("Freeflow", "FB")
	}
	io.WriteString(w, f.screens[n])
}

func TestDialFreeflow(t *testing.T) {
	f := &fakeFreeflowGateway{screens: []string{"1 Talk\n0 Exit", "Who?\n0 Exit", "Thank you. Goodbye."}}
	gw := httptest.NewServer(f)
	defer gw.Close()
	var out, errOut bytes.Buffer
	cfg := DialConfig{URL: gw.URL, Code: "*6969#", Number: "+8801911000001", Provider: "comviva"}
	if err := Dial(context.Background(), cfg, strings.NewReader("1\n0\n"), &out, &errOut); err != nil {
		t.Fatalf("%v: %s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "│ Thank you. Goodbye.") || !strings.Contains(out.String(), "(session ended)") {
		t.Fatalf("output:\n%s", out.String())
	}
	if len(f.hops) != 3 {
		t.Fatalf("%d hops", len(f.hops))
	}
	h0, h1, h2 := f.hops[0], f.hops[1], f.hops[2]
	if h0.Get("NEW_REQUEST") != "1" || h0.Get("mobileNo") != "8801911000001" || h0.Get("short_code") != "*6969#" || h0.Get("transId") == "" ||
		h1.Get("NEW_REQUEST") != "0" || h1.Get("userData") != "1" || h1.Get("transId") != h0.Get("transId") || h2.Get("userData") != "0" {
		t.Fatalf("hops %v", f.hops)
	}
}

func TestDialFreeflowNeedsTheHeader(t *testing.T) {
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "CON 1 Talk") }))
	defer gw.Close()
	var errOut bytes.Buffer
	cfg := DialConfig{URL: gw.URL, Code: "*6969#", Number: "+8801911000001"}
	err := DialFreeflow(context.Background(), cfg, FreeflowNames{Session: "sessionId", MSISDN: "msisdn", Input: "input", New: "newRequest", Code: "code"}, strings.NewReader(""), io.Discard, &errOut)
	if err == nil || !strings.Contains(errOut.String(), `Freeflow ""`) {
		t.Fatalf("err %v, stderr %q", err, errOut.String())
	}
}
