package bdapps_test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/gateway"
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

// FuzzSMSWebhook sends any body, as any content type, to the inbound text webhook. Every answer
// is a 200 or a 4xx with a reason, never a 5xx or a panic, and a 4xx leaves the store as it
// found it: no contact, no referral, nothing queued to send.
func FuzzSMSWebhook(f *testing.F) {
	for _, seed := range []string{
		smsRef,
		strings.Replace(smsRef, "রেফার ঢাকা চিকিৎসা দরকার", "REF Dhaka needs medical care", 1),
		strings.Replace(smsRef, "রেফার ঢাকা চিকিৎসা দরকার", "STATUS R1", 1),
		strings.Replace(smsRef, "8801711000101", "8801911000999", 1),
		strings.Replace(smsRef, "tel:8801711000101", "tel:B%3C4Dx9Qm", 1),
		strings.Replace(smsRef, "APP_009876", "APP_1", 1),
		strings.Replace(smsRef, `"requestId":"MO_0000000017",`, "", 1),
		strings.Replace(smsRef, `"sourceAddress":"tel:8801711000101",`, "", 1),
		strings.Replace(smsRef, `"encoding":"0"`, `"encoding":"245"`, 1),
		strings.Replace(smsRef, `"message":"রেফার ঢাকা চিকিৎসা দরকার"`, `"message":null`, 1),
		strings.Replace(smsRef, `"sourceAddress":"tel:8801711000101"`, `"sourceAddress":"tel:"`, 1),
		strings.Replace(smsRef, `"sourceAddress":"tel:8801711000101"`, `"sourceAddress":1`, 1),
		smsRef[:30], "", "{}", "null", "[]", `{"message":"\ud800"}`,
	} {
		f.Add(jsonType, seed)
	}
	f.Add("text/plain", smsRef)
	f.Add("application/json; charset=utf-8", smsRef)
	s := newServer(context.Background(), f, gateway.Config{}, time.Second)
	f.Fuzz(func(t *testing.T, contentType, body string) {
		before := snapshot(t, s.db)
		req := httptest.NewRequest("POST", "/sms/bdapps", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := s.g.App.Test(req, 5000)
		if err != nil {
			// fasthttp would not read the request at all (a control character in the content
			// type): a real client gets 400 and nothing reaches the handler.
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("an unreadable request (%v) changed the store", err)
			}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode == 200:
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if len(bytes.TrimSpace(b)) == 0 {
				t.Fatalf("%d without a reason", resp.StatusCode)
			}
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("a refused request (%d %q) changed the store", resp.StatusCode, b)
			}
		default:
			t.Fatalf("status %d for %q: %q", resp.StatusCode, body, b)
		}
	})
}
