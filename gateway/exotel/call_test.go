package exotel_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/exotel"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

const (
	callHer        = "+919876543210"
	callCounsellor = "+919811000003"
	callExoPhone   = "+918069000000"
	callTok        = "s3cret"
)

// TestBridgedCallThroughExotel: the counsellor is called first from the ExoPhone into the
// flow; each applet's raw request gets its exact answer; her window closing between the key and
// the dial stops the dial; a retried status is recorded once; no token, no answer.
func TestBridgedCallThroughExotel(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	now := start
	db.Clock = func() time.Time { return now }
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet, DoNotContact: cases.Marked})
	ids := outbox.CallerIDs{"IN": callExoPhone}

	var got []url.Values
	ex := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "key" || p != "callTok" || r.URL.Path != "/v1/Accounts/acme/Calls/connect.json" {
			http.Error(w, "no", 401)
			return
		}
		_ = r.ParseForm()
		got = append(got, r.PostForm)
		io.WriteString(w, `{"Call":{"Sid":"b6cfaf5e1f3e4","Status":"in-progress"}}`)
	}))
	defer ex.Close()
	d := &exotel.CallDialer{BaseURL: ex.URL, SID: "acme", APIKey: "key", APIToken: "callTok", FlowURL: "http://my.exotel.com/acme/exoml/start_voice/42", CallerID: ids}
	g := gateway.New(gateway.Config{Log: quiet, WebhookToken: callTok}, store.Health{Store: db})
	exotel.RegisterCallBridge(g, out, ids)

	c := &onestop.Contact{Time: start, Channel: onestop.USSD, Country: "IN", Lang: onestop.Hindi, Urgency: onestop.Urgent, Status: onestop.Open,
		Caller: callHer, Plan: &onestop.SafeContactPlan{MayCall: true, Number: callHer, Window: onestop.Now, Opens: start.Add(-time.Minute), Closes: start.Add(29 * time.Minute), AgreedAt: start}}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cases.Put(tx, c) }); err != nil {
		t.Fatal(err)
	}
	if _, err := out.Bridge(ctx, c.ID, "cara", callCounsellor, "exotel", outbox.PressKey(c.ID)); err != nil {
		t.Fatal(err)
	}
	if n, err := out.Flush(ctx, map[string]outbox.Sender{d.Name(): outbox.DialSender(d)}); n != 1 || err != nil {
		t.Fatalf("flush %d %v", n, err)
	}
	if len(got) != 1 || got[0].Get("From") != callCounsellor || got[0].Get("CallerId") != callExoPhone || got[0].Get("CustomField") != "1" || strings.Contains(got[0].Encode(), "9876543210") {
		t.Fatalf("Exotel got %v", got)
	}
	outcomes := func() string {
		bs, _ := cases.Bridges(ctx, c)
		var s []string
		for _, b := range bs {
			s = append(s, string(b.Outcome))
		}
		return strings.Join(s, ",")
	}
	q := "?CallSid=b6cfaf5e1f3e4&CallFrom=09811000003&CallTo=08069000000&Direction=outbound-dial&CustomField=1"
	p := exotel.CallBridgePath
	tests := []struct {
		name, method, path, body string
		status                   int
		want, outcomes           string
	}{
		{"no token", "GET", p + "/gather" + q, "", 404, "", "requested,placed"},
		{"not a bridged call", "GET", p + "/gather/" + callTok + "?CallSid=x", "", 400, "", "requested,placed"},
		{"gather", "GET", p + "/gather/" + callTok + q, "", 200, `{"finish_on_key":"#","gather_prompt":{"text":"Callback. Press 1 to connect the caller."},"input_timeout":10,"max_input_digits":1,"repeat_menu":1}`, "requested,placed"},
		{"dial before the key", "GET", p + "/dial/" + callTok + q, "", 403, "", "requested,placed"},
		{"pressed 1", "GET", p + "/connect/" + callTok + q + "&digits=%221%22", "", 200, "", "requested,placed"},
		{"dial", "GET", p + "/dial/" + callTok + q, "", 200, `{"destination":{"numbers":["` + callHer + `"]},"fetch_after_attempt":false,"max_conversation_duration":3600,"max_ringing_duration":20,"outgoing_phone_number":"` + callExoPhone + `","record":false}`, "requested,placed"},
		{"busy", "POST", p + "/status/" + callTok, "CallSid=b6cfaf5e1f3e4&Status=busy&CustomField=1&DateUpdated=2026-11-23+09%3A31%3A00", 200, "", "requested,placed,busy"},
		{"busy, retried", "POST", p + "/status/" + callTok, "CallSid=b6cfaf5e1f3e4&Status=busy&CustomField=1&DateUpdated=2026-11-23+09%3A31%3A00", 200, "", "requested,placed,busy"},
		{"unknown status", "POST", p + "/status/" + callTok, "CallSid=b6cfaf5e1f3e4&Status=odd&CustomField=1", 400, "", "requested,placed,busy"},
	}
	answered := map[string]float64{}
	for _, tc := range tests {
		if tc.name != "no token" { // refused before the webhook: not a hop of the call
			answered[outcomeOf(tc.status)]++
		}
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		req := httptest.NewRequest(tc.method, tc.path, body)
		if tc.body != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := g.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || (tc.want != "" && string(b) != tc.want) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, resp.StatusCode, b, tc.status, tc.want)
		}
		if o := outcomes(); o != tc.outcomes {
			t.Errorf("%s: on callHer case %s, want %s", tc.name, o, tc.outcomes)
		}
	}
	// Her window closes: the dial step refuses her number.
	now = start.Add(30 * time.Minute)
	req := httptest.NewRequest("GET", p+"/dial/"+callTok+q, nil)
	resp, _ := g.App.Test(req, 5000)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 403 || strings.Contains(string(b), "9876543210") {
		t.Fatalf("dial after callHer window: %d %s", resp.StatusCode, b)
	}
	answered["rejected"]++
	// Every step of the bridged call is counted in the gateway's hops, by what it answered.
	for outcome, want := range answered {
		if n := testutil.ToFloat64(g.Metrics.Hops.WithLabelValues("exotel-bridge", outcome)); n != want {
			t.Errorf("exotel-bridge %s hops counted %v, want %v", outcome, n, want)
		}
	}
}

// outcomeOf is the outcome the gateway's hop counts give an answer with status.
func outcomeOf(status int) string {
	switch {
	case status >= 500:
		return "failed"
	case status >= 400:
		return "rejected"
	}
	return "ok"
}
