package exotel_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/exotel"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
	"github.com/onestop-helpline/onestop/voice"
)

const (
	exoPhone    = "08069000000" // her helpline's ExoPhone, as Exotel sends it
	exoPhone164 = "+918069000000"
	her         = "09876543210"
	her164      = "+919876543210"
	sakhi       = "+919811000901" // the counsellor on duty
	sid         = "b6cfaf5e1f3e4a7d9c2b8e0f1a3c5d7e"
	vtok        = "s3cret"
)

type exoServer struct {
	g        *gateway.Gateway
	db       *bolt.DB
	cases    *casebook.Casebook
	e        *flows.Engine
	r        *voice.Renderer
	onDuty   []string
	outcomes []exotel.DialOutcome
}

func newExoServer(t testing.TB) *exoServer {
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
		ServiceCodes: map[string]string{exoPhone164: "IN"}})
	if err != nil {
		t.Fatal(err)
	}
	s := &exoServer{db: db, cases: cases, e: e, onDuty: []string{sakhi}}
	s.r = voice.NewRenderer(voice.Config{CallerID: exoPhone164, Ring: 25 * time.Second,
		OnDuty: func(context.Context, time.Time) ([]string, error) { return s.onDuty, nil }})
	s.restart()
	return s
}

// restart is a new process on the same conversation engine and store: the calls' hop numbers
// were in the memory of the one before.
func (s *exoServer) restart() {
	s.g = gateway.New(gateway.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), WebhookToken: vtok}, store.Health{Store: s.db})
	exotel.RegisterVoice(s.g, s.e, s.r, func(ctx context.Context, o exotel.DialOutcome) error {
		s.outcomes = append(s.outcomes, o)
		return s.cases.RecordVoiceCall(ctx, o.Provider, o.CallID, o.Answered, o.Counsellor, o.Duration, o.Status)
	})
}

// params is the query Exotel sends with every applet of her call.
func params(extra ...string) url.Values {
	v := url.Values{"CallSid": {sid}, "CallFrom": {her}, "CallTo": {exoPhone}, "From": {her}, "To": {exoPhone},
		"Direction": {"incoming"}, "Created": {"Thu, 03 Dec 2026 18:02:11"}, "CurrentTime": {"2026-12-03 18:02:14"},
		"flow_id": {"228861"}, "tenant_id": {"31744"}, "CallType": {"call-attempt"}}
	for i := 0; i+1 < len(extra); i += 2 {
		v.Set(extra[i], extra[i+1])
	}
	return v
}

// get sends Exotel's GET to path (with the token) and returns the status, content type and body.
func (s *exoServer) get(t testing.TB, path string, q url.Values) (int, string, string) {
	t.Helper()
	return s.raw(t, "GET", path+"/"+vtok+"?"+q.Encode())
}

func (s *exoServer) raw(t testing.TB, method, target string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	req.Header.Set("Exotel-Version", "1.0")
	resp, err := s.g.App.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// contacts lists what the casebook holds.
func (s *exoServer) contacts(t testing.TB) []*onestop.Contact {
	t.Helper()
	cs, err := s.cases.List(context.Background(), casebook.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

const (
	askSafe    = `नमस्ते। क्या आप अभी खुलकर बात कर सकती हैं? हाँ के लिए 1 दबाएँ। नहीं के लिए 2 दबाएँ। कॉल समाप्त करने के लिए 0 दबाएँ।`
	menu       = `अभी बात करें के लिए 1 दबाएँ। पास में मदद के लिए 2 दबाएँ। बाद में फोन के लिए 3 दबाएँ। जानकारी के लिए 4 दबाएँ। भाषा के लिए 5 दबाएँ। कॉल समाप्त करने के लिए 0 दबाएँ।`
	waitLine   = `कृपया रुकें। आपको जोड़ा जा रहा है।`
	nobodyLine = `अभी कोई आपकी कॉल नहीं ले सका। कृपया कभी भी 1 8 1 पर मुफ़्त कॉल करें। नमस्ते।`
)

// gatherJSON is the Gather applet's answer for a one-key question.
func gatherJSON(text string) string {
	p := `{"text":"` + text + `"}`
	return `{"gather_prompt":` + p + `,"max_input_digits":1,"finish_on_key":"#","input_timeout":6,"repeat_menu":1,"repeat_gather_prompt":` + p + `}`
}

func TestExotelFirstGatherAsksWhetherSheCanTalk(t *testing.T) {
	s := newExoServer(t)
	status, ct, got := s.get(t, exotel.VoiceGather, params())
	if status != 200 || ct != "application/json" || got != gatherJSON(askSafe) {
		t.Fatalf("%d %s\n got %s\nwant %s", status, ct, got, gatherJSON(askSafe))
	}
	// Exotel asks again (a retry, or the applet's fallback): the same question, nothing moves.
	if _, _, again := s.get(t, exotel.VoiceGather, params("CurrentTime", "2026-12-03 18:02:19")); again != got {
		t.Fatalf("again\n got %s\nwant %s", again, got)
	}
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"1"`)); status != 200 {
		t.Fatalf("yes, safe: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceGather, params()); got != gatherJSON(menu) {
		t.Fatalf("after yes\n got %s\nwant %s", got, gatherJSON(menu))
	}
}

// Raw applet requests, each with the exact answer it gets.
func TestExotelVoiceRequests(t *testing.T) {
	s := newExoServer(t)
	s.get(t, exotel.VoiceGather, params())
	noSid, noFrom := params(), params()
	noSid.Del("CallSid")
	noFrom.Del("From")
	noFrom.Del("CallFrom")
	other := func(extra ...string) url.Values { return params(append([]string{"CallSid", "c2"}, extra...)...) }
	tests := []struct {
		name, method, target string
		want                 int
		body                 string
	}{
		{"no token", "GET", exotel.VoicePassthru + "?" + params("digits", `"1"`).Encode(), 404, "not found"},
		{"another token", "GET", exotel.VoicePassthru + "/guess?" + params("digits", `"1"`).Encode(), 404, "not found"},
		{"missing CallSid", "GET", exotel.VoicePassthru + "/" + vtok + "?" + noSid.Encode(), 400, "missing CallSid or From"},
		{"missing From", "GET", exotel.VoiceGather + "/" + vtok + "?" + noFrom.Encode(), 400, "missing CallSid or From"},
		{"From that is no number", "GET", exotel.VoiceGather + "/" + vtok + "?" + other("From", "anonymous", "CallFrom", "").Encode(), 400, "phoneNumber is not a phone number"},
		{"CallSid too long", "GET", exotel.VoiceGather + "/" + vtok + "?" + params("CallSid", strings.Repeat("a", 200)).Encode(), 400, "sessionId is longer than 128 bytes"},
		{"put through before asking", "GET", exotel.VoiceConnect + "/" + vtok + "?" + params().Encode(), 403, "this call did not ask to be put through"},
		{"the quoted key", "GET", exotel.VoicePassthru + "/" + vtok + "?" + params("digits", `"1"`).Encode(), 200, "OK"},
		{"the same key again: a retry", "GET", exotel.VoicePassthru + "/" + vtok + "?" + params("digits", `"1"`).Encode(), 200, "OK"},
		{"a key no question takes", "GET", exotel.VoicePassthru + "/" + vtok + "?" + params("digits", `"7"`).Encode(), 302, "Found"},
		{"the route after it", "GET", exotel.VoiceRoute + "/" + vtok + "?" + params().Encode(), 302, "Found"},
		{"another call's first question", "GET", exotel.VoiceGather + "/" + vtok + "?" + other().Encode(), 200, gatherJSON(askSafe)},
		{"an unquoted key", "GET", exotel.VoicePassthru + "/" + vtok + "?" + other("digits", "1").Encode(), 200, "OK"},
		{"the next question", "GET", exotel.VoiceGather + "/" + vtok + "?" + other().Encode(), 200, gatherJSON(menu)},
		{"the greeting's check", "HEAD", exotel.VoiceSay + "/" + vtok + "?" + other().Encode(), 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, _, got := s.raw(t, tc.method, tc.target)
			if status != tc.want || got != tc.body {
				t.Fatalf("%d %q, want %d %q", status, got, tc.want, tc.body)
			}
		})
	}
	if cs := s.contacts(t); len(cs) != 0 {
		t.Fatalf("%d contacts recorded before she chose anything", len(cs))
	}
}

// Pressing 1 everywhere: safe to talk, talk now. One urgent voice contact, and her call put
// through to the counsellor on duty from the helpline's number.
func TestExotelAllOnesPutsHerThroughToTheCounsellors(t *testing.T) {
	s := newExoServer(t)
	s.onDuty = []string{sakhi, "+919811000902"}
	steps := []struct {
		path   string
		q      url.Values
		status int
		body   string
	}{
		{exotel.VoiceGather, params(), 200, gatherJSON(askSafe)},
		{exotel.VoicePassthru, params("digits", `"1"`), 200, "OK"},
		{exotel.VoiceGather, params(), 200, gatherJSON(menu)},
		{exotel.VoicePassthru, params("digits", `"1"`), 302, "Found"},
		{exotel.VoicePassthru, params("digits", `"1"`, "CurrentTime", "2026-12-03 18:02:31"), 302, "Found"}, // Exotel retries
		{exotel.VoiceRoute, params(), 200, "OK"},
		{exotel.VoiceConnecting, params(), 200, waitLine},
		{exotel.VoiceConnect, params(), 200, `{"fetch_after_attempt":false,"destination":{"numbers":["` + sakhi + `","+919811000902"]},` +
			`"outgoing_phone_number":"+918069000000","record":false,"max_ringing_duration":25,"max_conversation_duration":3600}`},
		{exotel.VoiceUnanswered, params(), 200, nobodyLine},
	}
	for i, st := range steps {
		status, _, got := s.get(t, st.path, st.q)
		if status != st.status || got != st.body {
			t.Fatalf("step %d %s: %d\n got %s\nwant %d %s", i, st.path, status, got, st.status, st.body)
		}
		if strings.Contains(got, "9876543210") {
			t.Fatalf("step %d: her number is in the answer", i)
		}
	}
	cs := s.contacts(t)
	if len(cs) != 1 || cs[0].Channel != onestop.Voice || cs[0].Provider != exotel.VoiceProvider ||
		cs[0].Urgency != onestop.Urgent || cs[0].Status != onestop.Open || cs[0].Country != "IN" {
		t.Fatalf("contacts %+v, want one urgent open voice contact", cs)
	}

	// The Passthru after the Connect: a counsellor took it. Exotel retries: recorded once.
	took := params("CallType", "completed", "DialWhomNumber", "09811000901", "DialCallDuration", "312")
	for i := 0; i < 2; i++ {
		if status, _, got := s.get(t, exotel.VoiceDialed, took); status != 200 || got != "OK" {
			t.Fatalf("dialed %d: %d %s", i, status, got)
		}
	}
	if len(s.outcomes) != 1 || !s.outcomes[0].Answered || s.outcomes[0].Counsellor != sakhi || s.outcomes[0].Duration != 312*time.Second ||
		s.outcomes[0].CallID != sid || s.outcomes[0].Status != "completed" {
		t.Fatalf("outcomes %+v", s.outcomes)
	}
	vcs, err := s.cases.VoiceCalls(context.Background(), cs[0].ID)
	if err != nil || len(vcs) != 1 || !vcs[0].Answered || vcs[0].By != "+91 98** ***901" || vcs[0].Duration != 312*time.Second {
		t.Fatalf("on her case: %+v %v", vcs, err)
	}
}

// Nobody picked up: 302, so the flow gives her the helpline; the contact stays urgent and open.
func TestExotelConnectNobodyAnswered(t *testing.T) {
	s := newExoServer(t)
	if status, _, _ := s.get(t, exotel.VoiceDialed, params("CallType", "incomplete")); status != 403 {
		t.Fatalf("dialed before she was put through: %d", status)
	}
	s.get(t, exotel.VoiceGather, params())
	s.get(t, exotel.VoicePassthru, params("digits", `"1"`))
	s.get(t, exotel.VoiceGather, params())
	s.get(t, exotel.VoicePassthru, params("digits", `"1"`))
	if status, _, _ := s.get(t, exotel.VoiceDialed, params("CallType", "incomplete", "DialCallDuration", "0")); status != 302 {
		t.Fatalf("nobody answered: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceUnanswered, params()); got != nobodyLine {
		t.Fatalf("unanswered %q", got)
	}
	if len(s.outcomes) != 1 || s.outcomes[0].Answered || s.outcomes[0].Counsellor != "" || s.outcomes[0].Status != "incomplete" {
		t.Fatalf("outcomes %+v", s.outcomes)
	}
	if cs := s.contacts(t); len(cs) != 1 || cs[0].Urgency != onestop.Urgent || cs[0].Status != onestop.Open {
		t.Fatalf("contacts %+v", cs)
	}
}

// With nobody on duty she is not put through: the goodbye Greeting gives her the helpline.
func TestExotelNobodyOnDutyGivesHerTheHelpline(t *testing.T) {
	s := newExoServer(t)
	s.onDuty = nil
	s.get(t, exotel.VoiceGather, params())
	s.get(t, exotel.VoicePassthru, params("digits", `"1"`))
	s.get(t, exotel.VoiceGather, params())
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"1"`)); status != 302 {
		t.Fatalf("talk now: %d", status)
	}
	if status, _, _ := s.get(t, exotel.VoiceRoute, params()); status != 302 {
		t.Fatalf("route with nobody on duty: %d", status)
	}
	if _, ct, got := s.get(t, exotel.VoiceSay, params()); ct != "text/plain" || got != waitLine+" "+nobodyLine {
		t.Fatalf("goodbye %s\n got %s\nwant %s", ct, got, waitLine+" "+nobodyLine)
	}
	// The Connect applet, if the flow reaches it anyway, rings nobody.
	if _, _, got := s.get(t, exotel.VoiceConnect, params()); !strings.Contains(got, `"numbers":[]`) {
		t.Fatalf("connect: %s", got)
	}
	if cs := s.contacts(t); len(cs) != 1 || cs[0].Urgency != onestop.Urgent || cs[0].Status != onestop.Open {
		t.Fatalf("contacts %+v: the contact must stay urgent and open", cs)
	}
}

// "No, I cannot talk" ends at once with a neutral goodbye, records no contact and marks her
// number.
func TestExotelNotSafeEndsAndMarksHerNumber(t *testing.T) {
	ctx := context.Background()
	s := newExoServer(t)
	s.get(t, exotel.VoiceGather, params())
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"2"`)); status != 302 {
		t.Fatalf("not safe: %d", status)
	}
	if status, _, _ := s.get(t, exotel.VoiceRoute, params()); status != 302 {
		t.Fatalf("route: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceSay, params()); got != "धन्यवाद। नमस्ते।" {
		t.Fatalf("goodbye %q", got)
	}
	if status, _, _ := s.get(t, exotel.VoiceConnect, params()); status != 403 {
		t.Fatalf("connect after not safe: %d", status)
	}
	if cs := s.contacts(t); len(cs) != 0 {
		t.Fatalf("%d contacts recorded", len(cs))
	}
	var marked bool
	err := s.db.View(ctx, func(tx onestop.Tx) error { marked = s.cases.Marked(tx, her164, time.Now()); return nil })
	if err != nil || !marked {
		t.Fatalf("her number is not marked do-not-contact: %v %v", marked, err)
	}
}

// No key at all: the call ends with the quiet line and the helpline; nothing is recorded.
func TestExotelSilenceEndsWithTheQuietLine(t *testing.T) {
	s := newExoServer(t)
	s.get(t, exotel.VoiceGather, params())
	for _, empty := range []string{`""`, ""} {
		if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", empty)); status != 302 {
			t.Fatalf("silence %q: %d", empty, status)
		}
	}
	if status, _, _ := s.get(t, exotel.VoiceRoute, params()); status != 302 {
		t.Fatalf("route: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceSay, params()); !strings.Contains(got, "1 8 1") {
		t.Fatalf("quiet line %q", got)
	}
	if cs := s.contacts(t); len(cs) != 0 {
		t.Fatalf("%d contacts recorded after silence", len(cs))
	}
}

// 0 on any question ends the call at once.
func TestExotelZeroEndsTheCall(t *testing.T) {
	s := newExoServer(t)
	s.get(t, exotel.VoiceGather, params())
	s.get(t, exotel.VoicePassthru, params("digits", `"1"`))
	s.get(t, exotel.VoiceGather, params())
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"0"`)); status != 302 {
		t.Fatalf("0: %d", status)
	}
	if status, _, _ := s.get(t, exotel.VoiceRoute, params()); status != 302 {
		t.Fatalf("route after 0: %d", status)
	}
}

// A call in progress when the process restarts is ended kindly, with the helpline, and nothing
// it said before is changed.
func TestExotelCallAfterARestartEndsKindly(t *testing.T) {
	s := newExoServer(t)
	s.get(t, exotel.VoiceGather, params())
	s.get(t, exotel.VoicePassthru, params("digits", `"1"`))
	s.restart()
	if _, _, got := s.get(t, exotel.VoiceGather, params()); !strings.Contains(got, "1 8 1") || !strings.Contains(got, `"repeat_menu":0`) {
		t.Fatalf("gather after restart: %s", got)
	}
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"1"`)); status != 302 {
		t.Fatalf("passthru after restart: %d", status)
	}
	if status, _, _ := s.get(t, exotel.VoiceRoute, params()); status != 302 {
		t.Fatalf("route after restart: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceSay, params()); !strings.Contains(got, "1 8 1") {
		t.Fatalf("goodbye after restart: %q", got)
	}
	if cs := s.contacts(t); len(cs) != 0 {
		t.Fatalf("%d contacts recorded", len(cs))
	}
}

// A question answered with a number waits for up to 20 keys ended by #; star goes back.
func TestExotelNumberQuestionAndStar(t *testing.T) {
	s := newExoServer(t)
	for _, k := range []string{"1", "3", "2"} {
		s.get(t, exotel.VoiceGather, params())
		if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"`+k+`"`)); status != 200 {
			t.Fatalf("key %s: %d", k, status)
		}
	}
	_, _, got := s.get(t, exotel.VoiceGather, params())
	p := `{"text":"जिस नंबर पर हम फ़ोन करें, वह लिखें: पिछले मेनू के लिए स्टार दबाएँ। कॉल समाप्त करने के लिए 0 दबाएँ। फिर हैश दबाएँ।"}`
	if want := `{"gather_prompt":` + p + `,"max_input_digits":20,"finish_on_key":"#","input_timeout":10,"repeat_menu":1,"repeat_gather_prompt":` + p + `}`; got != want {
		t.Fatalf("number question\n got %s\nwant %s", got, want)
	}
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"*"`)); status != 200 {
		t.Fatalf("star: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceGather, params()); !strings.Contains(got, `"text":"क्या हम फोन करें?`) {
		t.Fatalf("after star: %s", got)
	}
	// Her number, typed and ended by #, is this hop's input and goes on to the next question.
	s.get(t, exotel.VoicePassthru, params("digits", `"2"`))
	s.get(t, exotel.VoiceGather, params())
	if status, _, _ := s.get(t, exotel.VoicePassthru, params("digits", `"09811000777#"`)); status != 200 {
		t.Fatalf("number: %d", status)
	}
	if _, _, got := s.get(t, exotel.VoiceGather, params()); !strings.Contains(got, `"text":"कब सुरक्षित है?`) || strings.Contains(got, "811000777") {
		t.Fatalf("after the number: %s", got)
	}
}
