package africastalking_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
	"github.com/onestop-helpline/onestop/voice"
)

const atNumber = "+254711082000"

func newVoiceServer(t testing.TB, onDuty []string) *server {
	t.Helper()
	ctx := context.Background()
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
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	g := gateway.New(gateway.Config{Log: quiet}, store.Health{Store: db})
	engine, err := flows.New(ctx, db, cases, box, dir, flows.Config{Pager: ussd.Pager{}.Pages, Log: quiet,
		ServiceCodes: map[string]string{atNumber: "IN"}})
	if err != nil {
		t.Fatal(err)
	}
	r := voice.NewRenderer(voice.Config{CallerID: atNumber,
		OnDuty: func(context.Context, time.Time) ([]string, error) { return onDuty, nil }})
	africastalking.RegisterVoice(g, "https://gw.example.org/", engine, r)
	return &server{g: g, db: db, cases: cases}
}

// atCall is the form AT posts for an event of her call.
func atCall(extra ...string) string {
	v := url.Values{"isActive": {"1"}, "sessionId": {"ATVId_5f0e2c9a"}, "direction": {"Inbound"},
		"callerNumber": {"+919876500555"}, "destinationNumber": {atNumber}, "callerCountryCode": {"91"},
		"callStartTime": {"2026-12-03 17:20:00"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v.Encode()
}

const atHead = `<?xml version="1.0" encoding="UTF-8"?><Response>`

func TestATVoiceRequests(t *testing.T) {
	s := newVoiceServer(t, []string{"+919876500901"})
	ask := `<Say>नमस्ते। क्या आप अभी खुलकर बात कर सकती हैं? हाँ के लिए 1 दबाएँ। नहीं के लिए 2 दबाएँ। कॉल समाप्त करने के लिए 0 दबाएँ।</Say>`
	gd := `<GetDigits timeout="6" callbackUrl="https://gw.example.org/voice/africastalking?hop=1" numDigits="1">` + ask + `</GetDigits>`
	first := atHead + gd + gd + `<Say>हमें कोई विकल्प सुनाई नहीं दिया। आप कभी भी 1 8 1 पर मुफ़्त कॉल कर सकती हैं। नमस्ते।</Say></Response>`
	tests := []struct {
		name, path, ct, body string
		want                 int
		answer               string // exact; "" to check only has
		has                  string
	}{
		{"answered call", "/voice/africastalking", form, atCall(), 200, first, ""},
		{"the same event again", "/voice/africastalking", form, atCall(), 200, first, ""},
		{"not a form", "/voice/africastalking", "application/json", `{"sessionId":"x"}`, 415, "", ""},
		{"missing sessionId", "/voice/africastalking", form, "isActive=1&callerNumber=%2B919876500555", 400, "", "sessionId"},
		{"missing callerNumber", "/voice/africastalking", form, "isActive=1&sessionId=ATVId_1", 400, "", "callerNumber"},
		{"hop that is not a number", "/voice/africastalking?hop=-1", form, atCall("dtmfDigits", "1"), 400, "", "hop"},
		{"safe to talk", "/voice/africastalking?hop=1", form, atCall("dtmfDigits", "1"), 200, "", `callbackUrl="https://gw.example.org/voice/africastalking?hop=2"`},
		{"safe to talk, retried", "/voice/africastalking?hop=1", form, atCall("dtmfDigits", "1"), 200, "", `callbackUrl="https://gw.example.org/voice/africastalking?hop=2"`},
		{"talk now", "/voice/africastalking?hop=2", form, atCall("dtmfDigits", "1"), 200,
			atHead + `<Say>कृपया रुकें। आपको जोड़ा जा रहा है।</Say><Dial phoneNumbers="+919876500901" callerId="+254711082000"/>` +
				`<Say>अभी कोई आपकी कॉल नहीं ले सका। कृपया कभी भी 1 8 1 पर मुफ़्त कॉल करें। नमस्ते।</Say></Response>`, ""},
		{"call over", "/voice/africastalking", form, atCall("isActive", "0", "durationInSeconds", "40", "callSessionState", "Completed"), 200, "", ""},
	}
	for _, tc := range tests {
		status, got := s.do(t, "POST", tc.path, tc.ct, tc.body)
		if status != tc.want || (tc.answer != "" && got != tc.answer) || !strings.Contains(got, tc.has) {
			t.Fatalf("%s: %d\n got %s\nwant %d %s %s", tc.name, status, got, tc.want, tc.answer, tc.has)
		}
	}
	cs := s.contacts(context.Background(), t)
	if len(cs) != 1 || cs[0].Channel != onestop.Voice || cs[0].Urgency != onestop.Urgent {
		t.Fatalf("contacts %+v, want one urgent voice contact", cs)
	}
	if n := testutil.ToFloat64(voice.Calls(s.g.Metrics.Registry).WithLabelValues("africastalking", "completed")); n != 1 {
		t.Fatalf("calls counted %v", n)
	}
}

// A call hung up before the first answer is counted, never recorded.
func TestATVoiceMissedCallIsOnlyCounted(t *testing.T) {
	s := newVoiceServer(t, nil)
	s.do(t, "POST", "/voice/africastalking", form, atCall())
	s.do(t, "POST", "/voice/africastalking", form, atCall("isActive", "0", "callSessionState", "Aborted"))
	if cs := s.contacts(context.Background(), t); len(cs) != 0 {
		t.Fatalf("%d contacts for a call that chose nothing", len(cs))
	}
	if n := testutil.ToFloat64(voice.Calls(s.g.Metrics.Registry).WithLabelValues("africastalking", "aborted")); n != 1 {
		t.Fatalf("calls counted %v", n)
	}
}

// Every request to the voice webhook is counted: her hops by outcome, and the end of the call
// apart from them.
func TestATVoiceHopsAreCounted(t *testing.T) {
	s := newVoiceServer(t, nil)
	s.do(t, "POST", "/voice/africastalking", "text/plain", atCall())
	s.do(t, "POST", "/voice/africastalking", form, atCall("sessionId", ""))
	s.do(t, "POST", "/voice/africastalking?hop=x", form, atCall())
	s.do(t, "POST", "/voice/africastalking", form, atCall())
	s.do(t, "POST", "/voice/africastalking", form, atCall("isActive", "0"))
	for _, c := range []struct {
		provider, outcome string
		want              float64
	}{
		{"africastalking-voice", "rejected", 3},
		{"africastalking-voice", "ok", 1},
		{"africastalking-voice", "failed", 0},
		{"africastalking-voice-status", "ok", 1},
	} {
		if n := testutil.ToFloat64(s.g.Metrics.Hops.WithLabelValues(c.provider, c.outcome)); n != c.want {
			t.Errorf("%s %s counted %v, want %v", c.provider, c.outcome, n, c.want)
		}
	}
}
