package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// fakeTAPGateway stands in for a gateway serving hSenid's TAP: it checks each hop as the
// platform posts it, acknowledges it, and posts its screen to the platform at platform.
type fakeTAPGateway struct {
	t        *testing.T
	platform string
	screens  []string // the screen answering each hop; the last is sent as mt-fin
	mu       sync.Mutex
	hops     []map[string]string
}

func (f *fakeTAPGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t := f.t
	var mo map[string]string
	if r.URL.Path != "/ussd/bdapps/tok" || r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&mo) != nil {
		t.Errorf("hop %d: %s %s %q", len(f.hops), r.Method, r.URL.Path, r.Header.Get("Content-Type"))
		http.Error(w, "no", http.StatusBadRequest)
		return
	}
	n := len(f.hops)
	f.hops = append(f.hops, mo)
	io.WriteString(w, tapAck)
	op := "mt-cont"
	if n == len(f.screens)-1 {
		op = "mt-fin"
	}
	mt, _ := json.Marshal(map[string]string{"applicationId": mo["applicationId"], "password": "pw", "message": f.screens[n],
		"sessionId": mo["sessionId"], "ussdOperation": op, "destinationAddress": mo["sourceAddress"], "encoding": "440", "version": "1.0"})
	go func() {
		resp, err := http.Post(f.platform+"/ussd/send", "application/json", bytes.NewReader(mt))
		if err != nil {
			t.Errorf("posting the screen: %v", err)
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != tapAck {
			t.Errorf("the stand-in answered %q", b)
		}
	}()
}

func TestDialTAP(t *testing.T) {
	for _, masked := range []bool{false, true} {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		f := &fakeTAPGateway{t: t, platform: "http://" + ln.Addr().String(), screens: []string{"1 Talk\n0 Exit", "Thank you. Goodbye."}}
		gw := httptest.NewServer(f)
		var out, errOut bytes.Buffer
		cfg := DialConfig{URL: gw.URL, Code: "*213*109#", Network: "47002", Token: "tok", Number: "+8801711000001", Provider: "bdapps"}
		err = DialTAP(context.Background(), cfg, TAPConfig{AppID: "APP_1", Listener: ln, Masked: masked}, strings.NewReader("0\n"), &out, &errOut)
		gw.Close()
		if err != nil {
			t.Fatalf("%v: %s", err, errOut.String())
		}
		for _, want := range []string{"│ 1 Talk", "│ Thank you. Goodbye.", "(session ended)"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("output lacks %q:\n%s", want, out.String())
			}
		}
		if len(f.hops) != 2 {
			t.Fatalf("%d hops", len(f.hops))
		}
		first, next := f.hops[0], f.hops[1]
		wantAddress := "tel:8801711000001"
		if masked {
			wantAddress = first["sourceAddress"]
			if !strings.HasPrefix(wantAddress, "tel:") || strings.Contains(wantAddress, "8801711000001") {
				t.Errorf("masked address %q", wantAddress)
			}
		}
		if first["ussdOperation"] != "mo-init" || first["message"] != "*213*109#" || first["applicationId"] != "APP_1" || first["sourceAddress"] != wantAddress ||
			next["ussdOperation"] != "mo-cont" || next["message"] != "0" || next["sessionId"] != first["sessionId"] || next["requestId"] == first["requestId"] || next["sourceAddress"] != wantAddress {
			t.Errorf("hops %v", f.hops)
		}
	}
}

func TestDialTAPListensOnlyOnThisMachine(t *testing.T) {
	cfg := DialConfig{URL: "http://127.0.0.1:1", Code: "*213*109#", Number: "+8801711000001"}
	err := DialTAP(context.Background(), cfg, TAPConfig{Listen: "0.0.0.0:7000"}, strings.NewReader(""), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "only on this machine") {
		t.Fatalf("err %v", err)
	}
}

func TestDialKnowsItsProviders(t *testing.T) {
	cfg := DialConfig{URL: "http://127.0.0.1:1", Code: "*109#", Number: "+8801711000001", Provider: "hellio"}
	if err := Dial(context.Background(), cfg, strings.NewReader(""), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--provider") {
		t.Fatalf("err %v", err)
	}
}
