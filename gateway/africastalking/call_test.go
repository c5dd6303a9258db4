package africastalking_test

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
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

const (
	callHer        = "+8801711000001"
	callCounsellor = "+8801911000003"
	callHelpline   = "+8809612000000"
	callToken      = "s3cret"
)

// TestBridgedCallThroughAfricasTalking: the counsellor is called first from the helpline's
// number; each webhook step, raw, gets its exact answer; a retried final notification is
// recorded once; no token, no answer.
func TestBridgedCallThroughAfricasTalking(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	start := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	now := start
	var mu sync.Mutex
	db.Clock = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet, DoNotContact: cases.Marked})
	ids := outbox.CallerIDs{"BD": callHelpline}

	var got []url.Values
	at := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/call" || r.Header.Get("apiKey") != "key" {
			http.Error(w, "no", 401)
			return
		}
		_ = r.ParseForm()
		got = append(got, r.PostForm)
		io.WriteString(w, `{"entries":[{"phoneNumber":"`+r.PostForm.Get("to")+`","status":"Queued","sessionId":"ATVId_1"}],"errorMessage":"None"}`)
	}))
	defer at.Close()
	d := africastalking.NewDialer(africastalking.Config{Username: "onestop", APIKey: "key"}, at.URL, ids)
	g := gateway.New(gateway.Config{Log: quiet, WebhookToken: callToken}, store.Health{Store: db})
	africastalking.RegisterBridge(g, "https://gw.example.org", callToken, out, ids)

	c := &onestop.Contact{Time: start, Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali, Urgency: onestop.Urgent, Status: onestop.Open,
		Caller: callHer, Plan: &onestop.SafeContactPlan{MayCall: true, Number: callHer, Window: onestop.Now, Opens: start.Add(-time.Minute), Closes: start.Add(29 * time.Minute), AgreedAt: start}}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cases.Put(tx, c) }); err != nil {
		t.Fatal(err)
	}
	id, err := out.Bridge(ctx, c.ID, "cara", callCounsellor, africastalking.Provider, outbox.PressKey(c.ID))
	if err != nil {
		t.Fatal(err)
	}
	if n, err := out.Flush(ctx, map[string]outbox.Sender{d.Name(): outbox.DialSender(d)}); n != 1 || err != nil {
		t.Fatalf("flush %d %v", n, err)
	}
	if len(got) != 1 || got[0].Get("to") != callCounsellor || got[0].Get("from") != callHelpline || got[0].Get("clientRequestId") != "bridge-1" || strings.Contains(got[0].Encode(), "1711000001") {
		t.Fatalf("AT got %v", got)
	}
	if id != 1 {
		t.Fatalf("id %d", id)
	}

	const head = `<?xml version="1.0" encoding="UTF-8"?><Response>`
	answered := "isActive=1&sessionId=ATVId_1&direction=Outbound&callerNumber=%2B8809612000000&destinationNumber=%2B8801911000003&clientRequestId=bridge-1"
	final := "isActive=0&sessionId=ATVId_1&direction=Outbound&clientRequestId=bridge-1&durationInSeconds=95&currencyCode=BDT&amount=4.5&callSessionState=Completed&dialDestinationNumber=%2B8801711000001&dialDurationInSeconds=80&status=Success&hangupCause=NORMAL_CLEARING"
	outcomes := func() string {
		bs, err := cases.Bridges(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, b := range bs {
			s = append(s, string(b.Outcome))
		}
		return strings.Join(s, ",")
	}
	tests := []struct {
		name, path, body string
		status           int
		want, outcomes   string
	}{
		{"no token", "/voice/africastalking/bridge", answered, 404, "", "requested,placed"},
		{"wrong token", "/voice/africastalking/bridge/other", answered, 404, "", "requested,placed"},
		{"not a bridged call", "/voice/africastalking/bridge/" + callToken, "isActive=1&sessionId=ATVId_9", 400, "", "requested,placed"},
		{"unknown call", "/voice/africastalking/bridge/" + callToken, "isActive=1&clientRequestId=bridge-99&dtmfDigits=1", 404, "", "requested,placed"},
		{"counsellor answered", "/voice/africastalking/bridge/" + callToken, answered, 200,
			head + `<GetDigits numDigits="1" timeout="10" finishOnKey="#" callbackUrl="https://gw.example.org/voice/africastalking/bridge/` + callToken + `"><Say>Callback. Press 1 to connect the caller.</Say></GetDigits></Response>`, "requested,placed"},
		{"pressed 1", "/voice/africastalking/bridge/" + callToken, answered + "&dtmfDigits=1", 200,
			head + `<Dial phoneNumbers="` + callHer + `" callerId="` + callHelpline + `" record="false" maxDuration="3600"/></Response>`, "requested,placed"},
		{"pressed 1 again", "/voice/africastalking/bridge/" + callToken, answered + "&dtmfDigits=1", 200,
			head + `<Say>Her plan does not allow a call now. Nothing was dialled.</Say></Response>`, "requested,placed"},
		{"final", "/voice/africastalking/bridge/" + callToken, final, 200, "", "requested,placed,answered"},
		{"final, retried", "/voice/africastalking/bridge/" + callToken, final, 200, "", "requested,placed,answered"},
	}
	for _, tc := range tests {
		req := httptest.NewRequest("POST", tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", form)
		resp, err := g.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != tc.status || (tc.want != "" && string(b) != tc.want) {
			t.Errorf("%s: %d %s\nwant %d %s", tc.name, resp.StatusCode, b, tc.status, tc.want)
		}
		if o := outcomes(); o != tc.outcomes {
			t.Errorf("%s: on her case %s, want %s", tc.name, o, tc.outcomes)
		}
	}
}
