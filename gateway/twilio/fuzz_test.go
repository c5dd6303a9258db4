package twilio_test

import (
	"bytes"
	"context"
	"net/url"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/store"
)

// snapshot is every bucket's keys and values but the health check's mark.
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

// FuzzWebhooks sends any form, signed as Twilio signs it or not, to the inbound and status
// webhooks. Every answer is a 2xx or a 4xx with a reason, never a 5xx or a panic; a 4xx changes
// nothing in the store.
func FuzzWebhooks(f *testing.F) {
	paths := []string{"/sms/twilio", "/sms/twilio/status"}
	for _, seed := range []string{
		"MessageSid=SM1&From=%2B8801711000101&To=%2B15005550006&Body=STATUS+R1",
		"MessageSid=SM1&MessageStatus=delivered", "Body=hi", "", "%zz", "MessageSid=&From=&Body=%ff",
	} {
		f.Add(uint8(0), seed, true)
		f.Add(uint8(1), seed, true)
		f.Add(uint8(0), seed, false)
	}
	s := newServer(f, gateway.Config{})
	f.Fuzz(func(t *testing.T, which uint8, body string, sign bool) {
		path := paths[int(which)%len(paths)]
		sig := "bad"
		if params, err := url.ParseQuery(body); sign && err == nil {
			sig = twilio.Signature(token, publicURL+path, params)
		}
		before := snapshot(t, s.db)
		status, _, reply := s.do(t, path, form, body, sig)
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
