package twilio_test

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

	twclient "github.com/twilio/twilio-go/client"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

const (
	token     = "12345"
	publicURL = "https://gw.example.org"
	worker    = "+8801711000101"
	form      = "application/x-www-form-urlencoded"
)

type server struct {
	g     *gateway.Gateway
	db    *bolt.DB
	cases *casebook.Casebook
	out   *outbox.Outbox
}

func newServer(t testing.TB, gcfg gateway.Config) *server {
	t.Helper()
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
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet})
	sms := flows.NewSMS(db, cases, box, dir, out, flows.SMSConfig{Log: quiet})
	gcfg.Log = quiet
	g := gateway.New(gcfg, store.Health{Store: db})
	twilio.Register(g, twilio.Config{AuthToken: token, PublicURL: publicURL + "/"}, sms, out)
	err = db.Update(context.Background(), func(tx onestop.Tx) error {
		return cases.PutWorker(tx, &casebook.Worker{Number: worker, Name: "Rina", Lang: onestop.Bengali})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &server{g: g, db: db, cases: cases, out: out}
}

func (s *server) do(t testing.TB, path, contentType, body, signature string) (int, string, string) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if signature != "" {
		req.Header.Set("X-Twilio-Signature", signature)
	}
	resp, err := s.g.App.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
}

// first keeps the first value of each parameter, the shape twilio-go's validator takes.
func first(v url.Values) map[string]string {
	m := map[string]string{}
	for k, vs := range v {
		m[k] = vs[0]
	}
	return m
}

// TestSignatureAgreesWithTwilioGo computes signatures for the published vectors and for texts in
// every script, and checks each against twilio-go's own validator.
func TestSignatureAgreesWithTwilioGo(t *testing.T) {
	rv := twclient.NewRequestValidator(token)
	docs := "https://mycompany.com/myapp.php?foo=1&bar=2"
	tests := []struct {
		url    string
		params url.Values
		want   string // the published signature, when there is one
	}{
		{docs, url.Values{"CallSid": {"CA1234567890ABCDE"}, "Caller": {"+12349013030"}, "Digits": {"1234"}, "From": {"+12349013030"}, "To": {"+18005551212"}}, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="},
		{docs, url.Values{"Digits": {"1234"}, "CallSid": {"CA1234567890ABCDE"}, "To": {"+18005551212"}, "Caller": {"+14158675309"}, "From": {"+14158675309"}, "ReasonConferenceEnded": {"test"}, "Reason": {"Participant"}}, "vOEb5UThFn24KEfnOFLQY2AE5FY="},
		{"https://example.com/sms", url.Values{"Body": {"আমার ব্যালেন্স"}, "From": {"+8801712345678"}, "To": {"+15005550006"}, "MessageSid": {"SM" + strings.Repeat("0", 32)}}, "DKLaKjMOl0x57twshevOQlJ2FTM="},
		{publicURL + "/sms/twilio", url.Values{"Body": {"रेफर जयपुर मदद चाहिए"}, "From": {"+919876500101"}, "MessageSid": {"SM1"}}, ""},
		{publicURL + "/sms/twilio?x=%20y", url.Values{"Body": {"إحالة رام الله"}, "From": {"+970599000101"}, "MessageSid": {"SM2"}}, ""},
		{publicURL + "/sms/twilio", url.Values{"Body": {""}, "MessageSid": {"SM3"}}, ""},
	}
	for _, tc := range tests {
		sig := twilio.Signature(token, tc.url, tc.params)
		if tc.want != "" && sig != tc.want {
			t.Errorf("%s: signature %s, published %s", tc.url, sig, tc.want)
		}
		if !rv.Validate(tc.url, first(tc.params), sig) {
			t.Errorf("%s %v: twilio-go rejects our signature %s", tc.url, tc.params, sig)
		}
		if rv.Validate(tc.url, first(tc.params), twilio.Signature("other", tc.url, tc.params)) {
			t.Errorf("%s: twilio-go accepts a signature made with another token", tc.url)
		}
	}
}

func TestInboundWebhook(t *testing.T) {
	ctx := context.Background()
	rv := twclient.NewRequestValidator(token)
	inbound := url.Values{
		"MessageSid": {"SM8f3c0d2e4b5a6978c1d2e3f4a5b6c7d8"}, "SmsSid": {"SM8f3c0d2e4b5a6978c1d2e3f4a5b6c7d8"},
		"AccountSid": {"AC0123"}, "From": {worker}, "To": {"+15005550006"}, "Body": {"রেফার ঢাকা মেয়েটির চিকিৎসা দরকার"},
		"NumMedia": {"0"}, "NumSegments": {"1"}, "ApiVersion": {"2010-04-01"}, "SmsStatus": {"received"}, "FromCountry": {"BD"},
	}
	body := inbound.Encode()
	signed := publicURL + "/sms/twilio"
	good := twilio.Signature(token, signed, inbound)
	tests := []struct {
		name        string
		contentType string
		body        string
		signature   string
		oracleURL   string // the URL twilio-go validates the signature against; "" to skip
		want        int
		recorded    bool
	}{
		{"signed by twilio", form, body, good, signed, 200, true},
		{"signed with the default port", form, body, twilio.Signature(token, "https://gw.example.org:443/sms/twilio", inbound), signed, 200, true},
		{"no signature", form, body, "", "", 403, false},
		{"signed with another token", form, body, twilio.Signature("54321", signed, inbound), signed, 403, false},
		{"signed for plain http", form, body, twilio.Signature(token, "http://gw.example.org/sms/twilio", inbound), signed, 403, false},
		{"signed for another path", form, body, twilio.Signature(token, publicURL+"/sms/other", inbound), signed, 403, false},
		{"body changed after signing", form, strings.Replace(body, url.QueryEscape("ঢাকা"), url.QueryEscape("রাজশাহী"), 1), good, "", 403, false},
		{"garbage signature", form, body, "bm90IGEgc2lnbmF0dXJl", signed, 403, false},
		{"not a form", "application/json", `{"Body":"x"}`, good, "", 415, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, gateway.Config{})
			status, ct, got := s.do(t, "/sms/twilio", tc.contentType, tc.body, tc.signature)
			if status != tc.want {
				t.Fatalf("status %d %q, want %d", status, got, tc.want)
			}
			if tc.oracleURL != "" {
				params, _ := url.ParseQuery(tc.body)
				if ok := rv.Validate(tc.oracleURL, first(params), tc.signature); ok != (tc.want == 200) {
					t.Fatalf("twilio-go's validator says %v, the handler answered %d", ok, status)
				}
			}
			refs, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			if (len(refs) == 1) != tc.recorded {
				t.Fatalf("%d referrals recorded", len(refs))
			}
			if tc.want != 200 {
				return
			}
			if !strings.HasPrefix(ct, "text/xml") || got != `<?xml version="1.0" encoding="UTF-8"?><Response></Response>` {
				t.Fatalf("answer %s %q", ct, got)
			}
			msgs, _ := s.out.List(ctx, outbox.Filter{})
			var reply *outbox.Message
			for _, m := range msgs {
				if m.Audience == outbox.Worker {
					reply = m
				}
			}
			if reply == nil || reply.To != worker || reply.Provider != twilio.Provider || !strings.Contains(reply.Text, refs[0].Ref) {
				t.Fatalf("reply queued: %+v", reply)
			}
			// Twilio retries: the same MessageSid records nothing new.
			if status, _, _ := s.do(t, "/sms/twilio", tc.contentType, tc.body, tc.signature); status != 200 {
				t.Fatalf("retry answered %d", status)
			}
			refs2, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			msgs2, _ := s.out.List(ctx, outbox.Filter{})
			if len(refs2) != 1 || len(msgs2) != len(msgs) {
				t.Fatalf("retry recorded %d referrals, %d messages", len(refs2), len(msgs2))
			}
		})
	}
}

func TestInboundWebhookMissingFields(t *testing.T) {
	s := newServer(t, gateway.Config{})
	for _, params := range []url.Values{
		{"From": {worker}, "Body": {"HELP"}},
		{"MessageSid": {"SM1"}, "Body": {"HELP"}},
		{"MessageSid": {"SM1"}, "From": {"whatsapp:abc"}, "Body": {"HELP"}},
	} {
		status, _, _ := s.do(t, "/sms/twilio", form, params.Encode(), twilio.Signature(token, publicURL+"/sms/twilio", params))
		if status != 400 {
			t.Errorf("%v: %d", params, status)
		}
	}
}

// sentAs is a Sender standing in for Twilio's API: it takes every message under a fixed sid.
type sentAs string

func (s sentAs) Name() string { return twilio.Provider }
func (s sentAs) Send(context.Context, *outbox.Message) (outbox.Receipt, error) {
	return outbox.Receipt{ProviderID: string(s)}, nil
}

func TestStatusCallback(t *testing.T) {
	s := newServer(t, gateway.Config{WebhookToken: "s3cret"})
	ctx := context.Background()
	const sid = "SM8f3c0d2e4b5a6978c1d2e3f4a5b6c7d8"
	m := &outbox.Message{Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: worker, Text: "ok", Provider: twilio.Provider}
	if _, err := s.out.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	if n, err := s.out.Flush(ctx, map[string]outbox.Sender{twilio.Provider: sentAs(sid)}); n != 1 || err != nil {
		t.Fatalf("flush %d %v", n, err)
	}
	steps := []struct {
		path   string
		status string
		extra  url.Values
		signed bool
		want   int
		state  outbox.State
	}{
		{"/sms/twilio/status/s3cret", "sent", nil, true, 200, outbox.Sent},
		{"/sms/twilio/status/s3cret", "delivered", nil, false, 403, outbox.Sent},
		{"/sms/twilio/status", "delivered", nil, true, 404, outbox.Sent}, // the webhook token is part of the URL
		{"/sms/twilio/status?token=s3cret", "delivered", nil, true, 200, outbox.Delivered},
		{"/sms/twilio/status/s3cret", "delivered", nil, true, 200, outbox.Delivered},
		{"/sms/twilio/status/s3cret", "receiving", nil, true, 200, outbox.Delivered},
		{"/sms/twilio/status/s3cret", "", nil, true, 400, outbox.Delivered},
	}
	for _, st := range steps {
		params := url.Values{"MessageSid": {sid}, "SmsSid": {sid}, "AccountSid": {"AC0123"}, "From": {"+15005550006"}, "To": {worker}, "ApiVersion": {"2010-04-01"}}
		if st.status != "" {
			params.Set("MessageStatus", st.status)
			params.Set("SmsStatus", st.status)
		}
		sig := ""
		if st.signed {
			sig = twilio.Signature(token, publicURL+st.path, params)
		}
		status, _, body := s.do(t, st.path, form, params.Encode(), sig)
		if status != st.want {
			t.Fatalf("%s %s: %d %q, want %d", st.path, st.status, status, body, st.want)
		}
		if got, _ := s.out.Message(ctx, m.ID); got.State != st.state {
			t.Fatalf("%s %s: message is %s, want %s", st.path, st.status, got.State, st.state)
		}
	}
	// A failure on another message: recorded with Twilio's error code.
	m2 := &outbox.Message{Key: "k2", Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: worker, Text: "ok", Provider: twilio.Provider}
	s.out.Queue(ctx, m2)
	s.out.Flush(ctx, map[string]outbox.Sender{twilio.Provider: sentAs("SM2")})
	params := url.Values{"MessageSid": {"SM2"}, "MessageStatus": {"undelivered"}, "ErrorCode": {"30003"}}
	if status, _, _ := s.do(t, "/sms/twilio/status/s3cret", form, params.Encode(), twilio.Signature(token, publicURL+"/sms/twilio/status/s3cret", params)); status != 200 {
		t.Fatalf("failure report: %d", status)
	}
	if got, _ := s.out.Message(ctx, m2.ID); got.State != outbox.Failed || !strings.Contains(got.Error, "30003") {
		t.Fatalf("after undelivered: %s %q", got.State, got.Error)
	}
	// A report for a message never sent from here is taken and ignored.
	params = url.Values{"MessageSid": {"SMunknown"}, "MessageStatus": {"delivered"}}
	if status, _, _ := s.do(t, "/sms/twilio/status/s3cret", form, params.Encode(), twilio.Signature(token, publicURL+"/sms/twilio/status/s3cret", params)); status != 200 {
		t.Fatalf("unknown report: %d", status)
	}
}
