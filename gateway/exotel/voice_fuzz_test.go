package exotel_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/gateway/exotel"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// snapshot is every bucket's keys and values but the health check's mark: what a refused
// request must leave as it found it.
func snapshot(t testing.TB, db onestop.Store) []byte {
	t.Helper()
	var out []byte
	err := db.View(context.Background(), func(tx onestop.Tx) error {
		for _, name := range store.Buckets {
			out = append(append(out, name...), '\n')
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				if bytes.Equal(name, store.Meta) && string(k) == "health" {
					return nil
				}
				out = append(append(append(append(out, k...), 0), v...), '\n')
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzVoiceWebhooks sends any query to each applet of her call and of a bridged call (and any
// form to the bridged call's status). Every answer is a 2xx (or a Passthru's 302) or a 4xx with a reason, never a 5xx
// or a panic, and a 4xx leaves the store as it found it: no contact, no session, nothing queued
// to send.
func FuzzVoiceWebhooks(f *testing.F) {
	p := exotel.CallBridgePath
	routes := []struct{ method, path string }{
		{"GET", exotel.VoiceGather}, {"GET", exotel.VoicePassthru}, {"GET", exotel.VoiceRoute},
		{"GET", exotel.VoiceConnect}, {"GET", exotel.VoiceDialed}, {"GET", exotel.VoiceSay},
		{"HEAD", exotel.VoiceConnecting}, {"GET", exotel.VoiceUnanswered},
		{"GET", p + "/gather"}, {"GET", p + "/connect"}, {"GET", p + "/dial"}, {"POST", p + "/status"},
	}
	bq := "CallSid=b6cfaf5e1f3e4&CallFrom=09811000003&CallTo=08069000000&Direction=outbound-dial&CustomField=1"
	for _, seed := range []struct{ query, body string }{
		{params().Encode(), ""},
		{params("digits", `"1"`).Encode(), ""},
		{params("digits", `"2"`).Encode(), ""},
		{params("digits", `"0"`).Encode(), ""},
		{params("digits", `"1#"`, "CallType", "call-attempt").Encode(), ""},
		{params("DialCallStatus", "completed", "DialCallDuration", "312", "DialWhomNumber", sakhi).Encode(), ""},
		{params("CallSid", "").Encode(), ""},
		{params("From", "", "CallFrom", "").Encode(), ""},
		{params("CallFrom", strings.Repeat("9", 40)).Encode(), ""},
		{params("digits", "%ff").Encode(), ""},
		{bq, ""},
		{bq + "&digits=%221%22", ""},
		{"CallSid=x", ""},
		{"CustomField=18446744073709551616", ""},
		{"CustomField=-1&digits=1", ""},
		{"", "CallSid=b6cfaf5e1f3e4&Status=busy&CustomField=1&DateUpdated=2026-11-23+09%3A31%3A00"},
		{"", "CallSid=b6cfaf5e1f3e4&Status=odd&CustomField=1"},
		{"", "CallSid=b6cfaf5e1f3e4&Status=completed&CustomField=99"},
		{"", "%zz"},
		{"", ""},
	} {
		for i := range routes {
			f.Add(uint8(i), true, seed.query, seed.body)
		}
		f.Add(uint8(0), false, seed.query, seed.body)
	}
	s := newExoServer(f)
	box, _ := seal.New(bytes.Repeat([]byte{4}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	out := outbox.New(s.db, box, s.cases, outbox.Config{Log: quiet, DoNotContact: s.cases.Marked})
	exotel.RegisterCallBridge(s.g, out, outbox.CallerIDs{"IN": callExoPhone})
	f.Fuzz(func(t *testing.T, which uint8, withToken bool, query, body string) {
		rt := routes[int(which)%len(routes)]
		target := rt.path
		if withToken {
			target += "/" + vtok
		}
		// The query is re-encoded so that it is always a URL a client could send.
		if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
			target += "?" + q.Encode()
		}
		before := snapshot(t, s.db)
		var rb io.Reader
		if rt.method == "POST" {
			rb = strings.NewReader(body)
		}
		req := httptest.NewRequest(rt.method, target, rb)
		req.Header.Set("Exotel-Version", "1.0")
		if rt.method == "POST" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := s.g.App.Test(req, 5000)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
		case resp.StatusCode == 302 && (rt.path == exotel.VoicePassthru || rt.path == exotel.VoiceRoute || rt.path == exotel.VoiceDialed):
			// Passthru's other branch: Exotel reads 200 and 302 as the two answers.
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if rt.method != "HEAD" && len(bytes.TrimSpace(b)) == 0 {
				t.Fatalf("%s %s: %d without a reason", rt.method, target, resp.StatusCode)
			}
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("%s %s: a refused request (%d %q) changed the store", rt.method, target, resp.StatusCode, b)
			}
		default:
			t.Fatalf("%s %s: status %d: %q", rt.method, target, resp.StatusCode, b)
		}
	})
}
