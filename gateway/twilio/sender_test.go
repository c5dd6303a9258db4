package twilio_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
)

// The Sender's tests: a real httptest server stands in for Twilio's API.

// staffNumber is a worker's number, the recipient of every message here.
const staffNumber = "+8801911000003"

type outcome struct {
	id         string
	permanent  bool
	retryAfter time.Duration
	failed     bool
}

func classify(rc outbox.Receipt, err error) outcome {
	if err == nil {
		return outcome{id: rc.ProviderID}
	}
	var se *outbox.SendError
	if errors.As(err, &se) {
		return outcome{failed: true, permanent: se.Permanent, retryAfter: se.RetryAfter}
	}
	return outcome{failed: true}
}

func toWorker(text string) *outbox.Message {
	return &outbox.Message{ID: 1, Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: staffNumber, Text: text}
}

func TestTwilioClient(t *testing.T) {
	tests := []struct {
		name   string
		status int
		header map[string]string
		body   string
		want   outcome
	}{
		{"accepted", 201, nil, `{"sid":"SM8f3c0d2e4b5a6978c1d2e3f4a5b6c7d8","status":"queued","num_segments":"2","error_code":null,"error_message":null}`, outcome{id: "SM8f3c0d2e4b5a6978c1d2e3f4a5b6c7d8"}},
		{"invalid number", 400, nil, `{"code": 21211, "message": "The 'To' number +88019 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}`, outcome{failed: true, permanent: true}},
		{"unsubscribed recipient", 400, nil, `{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}`, outcome{failed: true, permanent: true}},
		{"wrong token", 401, nil, `{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}`, outcome{failed: true}},
		{"rate limited", 429, map[string]string{"Retry-After": "3"}, `{"code": 20429, "message": "Too Many Requests", "more_info": "https://www.twilio.com/docs/errors/20429", "status": 429}`, outcome{failed: true, retryAfter: 3 * time.Second}},
		{"service unavailable", 503, nil, `{"code": 20500, "message": "Internal Server Error", "status": 503}`, outcome{failed: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got *http.Request
			var form url.Values
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				r.ParseForm()
				got, form = r, r.PostForm
				for k, v := range tc.header {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tc.status)
				fmt.Fprint(w, tc.body)
			}))
			defer srv.Close()
			s := &twilio.Sender{BaseURL: srv.URL, AccountSID: "AC0123", AuthToken: "tok", From: "+15005550006", StatusCallback: "https://gw.example/sms/twilio/status"}
			if o := classify(s.Send(context.Background(), toWorker("केस R1234567 मिला"))); o != tc.want {
				t.Fatalf("outcome %+v, want %+v", o, tc.want)
			}
			user, pass, _ := got.BasicAuth()
			if got.URL.Path != "/2010-04-01/Accounts/AC0123/Messages.json" || user != "AC0123" || pass != "tok" {
				t.Fatalf("request %s as %s", got.URL.Path, user)
			}
			if form.Get("To") != staffNumber || form.Get("From") != "+15005550006" || form.Get("Body") != "केस R1234567 मिला" || form.Get("StatusCallback") != "https://gw.example/sms/twilio/status" {
				t.Fatalf("form %v", form)
			}
		})
	}
}

// TestNewSender: the Sender sends as the configured account and asks for delivery reports at the
// public status URL, with the webhook token when there is one, since the gateway refuses the
// report without it; an account needs both an SID and an auth token.
func TestNewSender(t *testing.T) {
	c := twilio.Config{AccountSID: "AC0123", AuthToken: "tok", PublicURL: "https://gw.example/", BaseURL: "https://tw.example", From: "+15005550006"}
	for token, callback := range map[string]string{"": "https://gw.example/sms/twilio/status", "s3cret": "https://gw.example/sms/twilio/status/s3cret"} {
		want := twilio.Sender{BaseURL: "https://tw.example", AccountSID: "AC0123", AuthToken: "tok", From: "+15005550006", StatusCallback: callback}
		if s := twilio.NewSender(c, token); *s != want || s.Name() != twilio.Provider {
			t.Errorf("token %q: sender %+v named %q", token, *s, s.Name())
		}
	}
	for _, tc := range []struct {
		c    twilio.Config
		want bool
	}{
		{c, true},
		{twilio.Config{AccountSID: "AC0123"}, false},
		{twilio.Config{AuthToken: "tok"}, false},
		{twilio.Config{}, false},
	} {
		if got := tc.c.Enabled(); got != tc.want {
			t.Errorf("%+v enabled: %v", tc.c, got)
		}
	}
}
