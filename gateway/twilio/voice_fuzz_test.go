package twilio_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

// FuzzVoiceWebhooks sends any query and form, signed as Twilio signs them or not, to her call's
// hops, its status and dial steps and a bridged call's steps. Every answer is a 2xx or a 4xx with
// a reason, never a 5xx or a panic; a 4xx leaves the store as it found it: no contact, no
// session, nothing queued to send.
func FuzzVoiceWebhooks(f *testing.F) {
	paths := []string{"/voice/twilio", "/voice/twilio/status", "/voice/twilio/dialed", "/voice/twilio/whisper",
		"/voice/twilio/accept", twilio.BridgePath + "/1/answer", twilio.BridgePath + "/1/connect",
		twilio.BridgePath + "/1/dialed", twilio.BridgePath + "/1/outcome", twilio.BridgePath + "/1/status",
		twilio.BridgePath + "/x/answer", twilio.BridgePath + "/18446744073709551616/status"}
	seeds := []struct{ query, body string }{
		{"", call().Encode()},
		{"hop=1", call("Digits", "1").Encode()},
		{"hop=2", call("Digits", "1").Encode()},
		{"hop=1", call("Digits", "2").Encode()},
		{"hop=2", call("Digits", "0").Encode()},
		{"hop=x", call().Encode()},
		{"", call("CallSid", "").Encode()},
		{"", call("CallStatus", "completed", "CallDuration", "4").Encode()},
		{"", url.Values{"CallStatus": {"completed"}}.Encode()},
		{"l=bn", call("CallSid", "CA2", "To", counsellor, "Direction", "outbound-dial").Encode()},
		{"", call("CallSid", "CA2", "ParentCallSid", callSid, "To", counsellor, "Digits", "1").Encode()},
		{"", call("CallSid", "CA2", "Digits", "5").Encode()},
		{"hop=2&k=1", call("DialCallStatus", "completed", "DialCallDuration", "312", "DialCallSid", "CA2").Encode()},
		{"hop=2&k=1", call("DialCallStatus", "no-answer", "DialCallDuration", "0").Encode()},
		{"", "CallSid=CA1&CallStatus=in-progress"},
		{"", "CallSid=CA1&Digits=1"},
		{"", "CallSid=CA1&DialCallStatus=completed"},
		{"", "CallSid=CA1&Digits=9"},
		{"", "CallSid=CA1&CallStatus=completed&CallDuration=60"},
		{"hop=-1", "CallSid=%ff&From=%00&Digits=%zz"},
		{"hop=99999999999999999999", ""},
		{"", strings.Repeat("Digits=1&", 100)},
	}
	for i := range paths {
		for _, s := range seeds {
			f.Add(uint8(i), s.query, s.body, true)
		}
		// Unsigned, and from a caller no signed seed has called from: were it let through, it
		// would leave a trace of its own.
		f.Add(uint8(i), "", call().Encode(), false)
		f.Add(uint8(i), "hop=1", call("CallSid", "CAunsigned"+strconv.Itoa(i), "From", "+88017110009"+strconv.Itoa(10+i), "Digits", "2").Encode(), false)
	}
	s := newVoiceServer(f)
	// A bridged call's webhooks share the store with her call's.
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	out := outbox.New(s.db, box, s.cases, outbox.Config{Log: quiet, DoNotContact: s.cases.Marked})
	twilio.RegisterBridge(s.g, twilio.Config{AccountSID: "AC1", AuthToken: token, PublicURL: publicURL}, "", out,
		outbox.CallerIDs{"BD": helplineNo})
	f.Fuzz(func(t *testing.T, which uint8, query, body string, sign bool) {
		path := paths[int(which)%len(paths)]
		// The query is re-encoded so that it is always a URL a client could send.
		if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
			path += "?" + q.Encode()
		}
		sig := "bad"
		if params, err := url.ParseQuery(body); sign && err == nil {
			sig = twilio.Signature(token, publicURL+path, params)
		}
		before := snapshot(t, s.db)
		status, reply := s.raw(t, path, form, body, sig)
		switch {
		case status >= 200 && status < 300:
		case status >= 400 && status < 500:
			if len(bytes.TrimSpace([]byte(reply))) == 0 {
				t.Fatalf("%s: %d without a reason", path, status)
			}
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("%s: a refused request (%d %q) changed the store", path, status, reply)
			}
		default:
			t.Fatalf("%s: status %d for %q: %q", path, status, body, reply)
		}
	})
}
