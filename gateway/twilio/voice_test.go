package twilio_test

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
	twclient "github.com/twilio/twilio-go/client"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
	"github.com/onestop-helpline/onestop/voice"
)

const (
	helplineNo = "+8809666777109" // the number she dials: the service
	caller     = "+8801711000555"
	counsellor = "+8801711000901"
	callSid    = "CA5f0e2c9a7b3d4e1f8a6b2c0d9e7f1a3b"
)

type voiceServer struct {
	g        *gateway.Gateway
	db       *bolt.DB
	cases    *casebook.Casebook
	v        *twilio.VoiceHandler
	onDuty   []string
	outcomes []twilio.DialOutcome
	rv       twclient.RequestValidator
}

func newVoiceServer(t testing.TB) *voiceServer { return newVoiceServerWith(t, gateway.Config{}) }

func newVoiceServerWith(t testing.TB, gcfg gateway.Config) *voiceServer {
	t.Helper()
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	e, err := flows.New(ctx, db, cases, box, dir, flows.Config{Pager: ussd.Pager{}.Pages, Log: quiet,
		ServiceCodes: map[string]string{helplineNo: "BD"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &voiceServer{db: db, cases: cases, onDuty: []string{counsellor}, rv: twclient.NewRequestValidator(token)}
	gcfg.Log = quiet
	s.g = gateway.New(gcfg, store.Health{Store: db})
	r := voice.NewRenderer(voice.Config{
		CallerID: helplineNo, Ring: 25 * time.Second,
		OnDuty: func(context.Context, time.Time) ([]string, error) { return s.onDuty, nil },
	})
	s.v = twilio.RegisterVoice(s.g, twilio.Config{AuthToken: token, PublicURL: publicURL}, e, r,
		func(ctx context.Context, o twilio.DialOutcome) error {
			s.outcomes = append(s.outcomes, o)
			return cases.RecordVoiceCall(ctx, o.Provider, o.CallID, o.Answered, o.Counsellor, o.Duration, o.Status)
		})
	return s
}

// call is the form Twilio posts for a hop of her call.
func call(extra ...string) url.Values {
	v := url.Values{"CallSid": {callSid}, "AccountSid": {"AC0123"}, "From": {caller}, "To": {helplineNo},
		"Caller": {caller}, "Called": {helplineNo}, "CallStatus": {"in-progress"}, "Direction": {"inbound"},
		"ApiVersion": {"2010-04-01"}, "FromCountry": {"BD"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// post sends params to path signed as Twilio signs them, checked against twilio-go's validator.
func (s *voiceServer) post(t *testing.T, path string, params url.Values) (int, string) {
	t.Helper()
	sig := twilio.Signature(token, publicURL+path, params)
	if !s.rv.Validate(publicURL+path, first(params), sig) {
		t.Fatalf("twilio-go rejects the signature for %s", path)
	}
	return s.raw(t, path, form, params.Encode(), sig)
}

func (s *voiceServer) raw(t *testing.T, path, ct, body, sig string) (int, string) {
	t.Helper()
	srv := &server{g: s.g}
	status, _, got := srv.do(t, path, ct, body, sig)
	return status, got
}

const head = `<?xml version="1.0" encoding="UTF-8"?><Response>`

func bn(text string) string {
	return `<Say voice="Google.bn-IN-Standard-A" language="bn-IN">` + text + `</Say>`
}

func TestVoiceFirstHopAsksWhetherSheCanTalk(t *testing.T) {
	s := newVoiceServer(t)
	status, got := s.post(t, "/voice/twilio", call())
	ask := bn("নমস্কার। আপনি কি এখন নিশ্চিন্তে কথা বলতে পারবেন?") + bn("হ্যাঁ এর জন্য 1 চাপুন।") + bn("না এর জন্য 2 চাপুন।") + bn("কল শেষ করতে 0 চাপুন।")
	gather := `<Gather input="dtmf" method="POST" action="https://gw.example.org/voice/twilio?hop=1" numDigits="1" timeout="6">` + ask + `</Gather>`
	want := head + gather + gather + bn("আমরা কোনো উত্তর শুনিনি। যেকোনো সময় বিনামূল্যে 1 0 9 নম্বরে কল করতে পারেন। বিদায়।") + `<Hangup/></Response>`
	if status != 200 || got != want {
		t.Fatalf("%d\n got %s\nwant %s", status, got, want)
	}
}

func TestVoiceRequests(t *testing.T) {
	s := newVoiceServer(t)
	s.post(t, "/voice/twilio", call())
	good := call("Digits", "1")
	path := "/voice/twilio?hop=1"
	sig := twilio.Signature(token, publicURL+path, good)
	tests := []struct {
		name, path, ct, body, sig string
		want                      int
		has                       string
	}{
		{"no signature", path, form, good.Encode(), "", 403, ""},
		{"another token", path, form, good.Encode(), twilio.Signature("54321", publicURL+path, good), 403, ""},
		{"signed for another hop", "/voice/twilio?hop=2", form, good.Encode(), sig, 403, ""},
		{"digits changed after signing", path, form, call("Digits", "2").Encode(), sig, 403, ""},
		{"not a form", path, "application/json", `{"CallSid":"x"}`, sig, 415, ""},
		{"missing CallSid", path, form, url.Values{"From": {caller}, "Digits": {"1"}}.Encode(),
			twilio.Signature(token, publicURL+path, url.Values{"From": {caller}, "Digits": {"1"}}), 400, "CallSid"},
		{"hop that is not a number", "/voice/twilio?hop=x", form, good.Encode(), twilio.Signature(token, publicURL+"/voice/twilio?hop=x", good), 400, "hop"},
		{"signed by twilio", path, form, good.Encode(), sig, 200, "action=\"https://gw.example.org/voice/twilio?hop=2\""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, got := s.raw(t, tc.path, tc.ct, tc.body, tc.sig)
			if status != tc.want || !strings.Contains(got, tc.has) {
				t.Fatalf("%d %q, want %d with %q", status, got, tc.want, tc.has)
			}
		})
	}
	// Twilio retries the hop: the same TwiML, and the conversation does not move on.
	_, first := s.raw(t, path, form, good.Encode(), sig)
	_, again := s.raw(t, path, form, good.Encode(), sig)
	if again != first {
		t.Fatalf("retry\n got %s\nwant %s", again, first)
	}
	if cs, _ := s.cases.List(context.Background(), casebook.Filter{Limit: 10}); len(cs) != 0 {
		t.Fatalf("%d contacts recorded before she chose anything", len(cs))
	}
}

// Pressing 1 everywhere: safe to talk, talk now. One urgent contact on the voice channel, and
// her call put through to the counsellor on duty, through the whisper.
func TestVoiceAllOnesPutsHerThroughToTheCounsellors(t *testing.T) {
	ctx := context.Background()
	s := newVoiceServer(t)
	s.onDuty = []string{counsellor, "+8801711000902"}
	s.post(t, "/voice/twilio", call())
	s.post(t, "/voice/twilio?hop=1", call("Digits", "1"))
	status, got := s.post(t, "/voice/twilio?hop=2", call("Digits", "1"))
	whisper := `<Number url="https://gw.example.org/voice/twilio/whisper?l=bn" method="POST">`
	want := head + bn("অনুগ্রহ করে অপেক্ষা করুন। আপনাকে সংযোগ দেওয়া হচ্ছে।") +
		`<Dial answerOnBridge="true" timeout="25" method="POST" action="https://gw.example.org/voice/twilio/dialed?hop=2&amp;k=1" callerId="+8809666777109">` +
		whisper + counsellor + `</Number>` + whisper + `+8801711000902</Number></Dial></Response>`
	if status != 200 || got != want {
		t.Fatalf("%d\n got %s\nwant %s", status, got, want)
	}
	// Twilio retries the hop: put through again, and still one contact.
	if _, again := s.post(t, "/voice/twilio?hop=2", call("Digits", "1")); again != want {
		t.Fatalf("retry\n got %s\nwant %s", again, want)
	}
	cs, err := s.cases.List(ctx, casebook.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Channel != onestop.Voice || cs[0].Urgency != onestop.Urgent || cs[0].Status != onestop.Open {
		t.Fatalf("contacts %+v, want one urgent open voice contact", cs)
	}
	if strings.Contains(got, caller) {
		t.Fatal("her number is in the TwiML")
	}

	// The counsellor's phone: a person must press 1; a voicemail presses nothing.
	_, w := s.post(t, "/voice/twilio/whisper?l=bn", call("CallSid", "CA2", "To", counsellor, "Direction", "outbound-dial"))
	wantW := head + `<Gather input="dtmf" numDigits="1" timeout="8" method="POST" action="https://gw.example.org/voice/twilio/accept">` +
		bn("একজন কলার অপেক্ষা করছেন। কলটি নিতে 1 চাপুন।") + `</Gather><Hangup/></Response>`
	if w != wantW {
		t.Fatalf("whisper\n got %s\nwant %s", w, wantW)
	}
	if _, a := s.post(t, "/voice/twilio/accept", call("CallSid", "CA2", "ParentCallSid", callSid, "To", counsellor, "Digits", "1")); a != head+`</Response>` {
		t.Fatalf("accept 1: %s", a)
	}
	if _, a := s.post(t, "/voice/twilio/accept", call("CallSid", "CA2", "Digits", "5")); a != head+`<Hangup/></Response>` {
		t.Fatalf("accept 5: %s", a)
	}

	// Answered: nothing more to say, and who took it is recorded, never her number.
	_, d := s.post(t, "/voice/twilio/dialed?hop=2&k=1", call("DialCallStatus", "completed", "DialCallDuration", "312", "DialCallSid", "CA2"))
	if d != head+`<Hangup/></Response>` {
		t.Fatalf("dialed: %s", d)
	}
	if len(s.outcomes) != 1 || !s.outcomes[0].Answered || s.outcomes[0].Counsellor != counsellor || s.outcomes[0].Duration != 312*time.Second {
		t.Fatalf("outcomes %+v", s.outcomes)
	}
	vcs, err := s.cases.VoiceCalls(ctx, cs[0].ID)
	if err != nil || len(vcs) != 1 || !vcs[0].Answered || vcs[0].By != "+880 17** ***901" || vcs[0].Duration != 312*time.Second {
		t.Fatalf("on her case: %+v %v", vcs, err)
	}
}

func TestVoiceNobodyTakesTheCallSheHearsTheHelpline(t *testing.T) {
	ctx := context.Background()
	s := newVoiceServer(t)
	s.post(t, "/voice/twilio", call())
	s.post(t, "/voice/twilio?hop=1", call("Digits", "1"))
	s.post(t, "/voice/twilio?hop=2", call("Digits", "1"))
	_, d := s.post(t, "/voice/twilio/dialed?hop=2&k=1", call("DialCallStatus", "no-answer", "DialCallDuration", "0"))
	want := head + bn("এই মুহূর্তে কেউ কল ধরতে পারেননি। যেকোনো সময় বিনামূল্যে 1 0 9 নম্বরে কল করুন। বিদায়।") + `<Hangup/></Response>`
	if d != want {
		t.Fatalf("dialed\n got %s\nwant %s", d, want)
	}
	cs, _ := s.cases.List(ctx, casebook.Filter{Limit: 10})
	if len(cs) != 1 || cs[0].Urgency != onestop.Urgent || cs[0].Status != onestop.Open {
		t.Fatalf("contacts %+v: the contact must stay urgent and open", cs)
	}
	if len(s.outcomes) != 1 || s.outcomes[0].Answered || s.outcomes[0].Counsellor != "" {
		t.Fatalf("outcomes %+v", s.outcomes)
	}
	// With nobody on duty at all, she hears the helpline at once.
	s.onDuty = nil
	c2 := func(extra ...string) url.Values { return call(append([]string{"CallSid", "CA9"}, extra...)...) }
	s.post(t, "/voice/twilio", c2())
	s.post(t, "/voice/twilio?hop=1", c2("Digits", "1"))
	_, got := s.post(t, "/voice/twilio?hop=2", c2("Digits", "1"))
	if !strings.Contains(got, "1 0 9") || strings.Contains(got, "<Dial") || !strings.HasSuffix(got, "<Hangup/></Response>") {
		t.Fatalf("nobody on duty: %s", got)
	}
}

// "No, I cannot talk" ends at once, neutrally, records no contact and marks her number.
func TestVoiceNotSafeEndsAndMarksHerNumber(t *testing.T) {
	ctx := context.Background()
	s := newVoiceServer(t)
	s.post(t, "/voice/twilio", call())
	_, got := s.post(t, "/voice/twilio?hop=1", call("Digits", "2"))
	if want := head + bn("ধন্যবাদ। বিদায়।") + `<Hangup/></Response>`; got != want && !strings.HasSuffix(got, "<Hangup/></Response>") {
		t.Fatalf("not safe: %s", got)
	}
	if strings.Contains(got, "<Gather") || strings.Contains(got, "<Dial") {
		t.Fatalf("not safe goes on: %s", got)
	}
	if cs, _ := s.cases.List(ctx, casebook.Filter{Limit: 10}); len(cs) != 0 {
		t.Fatalf("%d contacts recorded", len(cs))
	}
	var marked bool
	err := s.db.View(ctx, func(tx onestop.Tx) error { marked = s.cases.Marked(tx, caller, time.Now()); return nil })
	if err != nil || !marked {
		t.Fatalf("her number is not marked do-not-contact: %v %v", marked, err)
	}
}

// 0 on any prompt ends the call at once.
func TestVoiceZeroEndsTheCall(t *testing.T) {
	s := newVoiceServer(t)
	s.post(t, "/voice/twilio", call())
	s.post(t, "/voice/twilio?hop=1", call("Digits", "1"))
	_, got := s.post(t, "/voice/twilio?hop=2", call("Digits", "0"))
	if strings.Contains(got, "<Gather") || !strings.HasSuffix(got, "<Hangup/></Response>") {
		t.Fatalf("0: %s", got)
	}
}

func TestVoiceStatusIsCountedAndNothingElse(t *testing.T) {
	s := newVoiceServer(t)
	if status, _ := s.post(t, "/voice/twilio/status", call("CallStatus", "completed", "CallDuration", "4")); status != 200 {
		t.Fatalf("status %d", status)
	}
	if status, _ := s.post(t, "/voice/twilio/status", url.Values{"CallStatus": {"completed"}}); status != 400 {
		t.Fatalf("missing CallSid: %d", status)
	}
	if n := testutil.ToFloat64(voice.Calls(s.g.Metrics.Registry).WithLabelValues("twilio", "completed")); n != 1 {
		t.Fatalf("counted %v", n)
	}
	if cs, _ := s.cases.List(context.Background(), casebook.Filter{Limit: 10}); len(cs) != 0 {
		t.Fatal("a status recorded a contact")
	}
}

// With a webhook token, every URL Twilio is told to call next carries it.
func TestVoiceURLsCarryTheWebhookToken(t *testing.T) {
	s := newVoiceServerWith(t, gateway.Config{WebhookToken: "s3cret"})
	if status, _ := s.post(t, "/voice/twilio", call()); status == 200 {
		t.Fatal("answered without the token")
	}
	_, got := s.post(t, "/voice/twilio/s3cret", call())
	if !strings.Contains(got, `action="https://gw.example.org/voice/twilio/s3cret?hop=1"`) {
		t.Fatalf("first hop: %s", got)
	}
	s.post(t, "/voice/twilio/s3cret?hop=1", call("Digits", "1"))
	_, got = s.post(t, "/voice/twilio/s3cret?hop=2", call("Digits", "1"))
	for _, want := range []string{`action="https://gw.example.org/voice/twilio/dialed/s3cret?hop=2&amp;k=1"`, `url="https://gw.example.org/voice/twilio/whisper/s3cret?l=bn"`} {
		if !strings.Contains(got, want) {
			t.Fatalf("talk now: %s lacks %s", got, want)
		}
	}
	if _, d := s.post(t, "/voice/twilio/dialed/s3cret?hop=2&k=1", call("DialCallStatus", "no-answer")); !strings.Contains(d, "1 0 9") {
		t.Fatalf("dialed: %s", d)
	}
}

// Every hop of her call is counted, a refused one as rejected; the call's status apart.
func TestVoiceHopsAreCounted(t *testing.T) {
	s := newVoiceServer(t)
	s.post(t, "/voice/twilio?hop=x", call())
	s.post(t, "/voice/twilio", call("CallSid", ""))
	s.raw(t, "/voice/twilio", form, call().Encode(), "bad")
	s.post(t, "/voice/twilio", call())
	s.post(t, "/voice/twilio/status", url.Values{"CallSid": {callSid}, "CallStatus": {"completed"}})
	for _, c := range []struct {
		provider, outcome string
		want              float64
	}{
		{"twilio-voice", "rejected", 3},
		{"twilio-voice", "ok", 1},
		{"twilio-voice", "invalid", 0},
		{"twilio-voice-status", "ok", 1},
	} {
		if n := testutil.ToFloat64(s.g.Metrics.Hops.WithLabelValues(c.provider, c.outcome)); n != c.want {
			t.Errorf("%s %s counted %v, want %v", c.provider, c.outcome, n, c.want)
		}
	}
}
