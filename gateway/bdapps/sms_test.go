package bdapps_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
)

// An inbound text as the platform posts it: a worker's referral in Bengali.
const smsRef = `{"version":"1.0","applicationId":"APP_009876","sourceAddress":"tel:8801711000101","message":"রেফার ঢাকা চিকিৎসা দরকার","requestId":"MO_0000000017","encoding":"0"}`

func TestInboundSMS(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, contentType, body string
		want                    int
		wantBody                string
		referrals               int
	}{
		{"a worker's referral in Bengali", jsonType, smsRef, 200, ack, 1},
		{"a worker's referral in English", jsonType, strings.Replace(smsRef, "রেফার ঢাকা চিকিৎসা দরকার", "REF Dhaka needs medical care", 1), 200, ack, 1},
		{"an unregistered sender", jsonType, strings.Replace(smsRef, "8801711000101", "8801911000999", 1), 200, ack, 1},
		{"a masked sender", jsonType, strings.Replace(smsRef, "tel:8801711000101", "tel:B%3C4Dx9Qm", 1), 400, "sourceAddress is not a number", 0},
		{"wrong applicationId", jsonType, strings.Replace(smsRef, "APP_009876", "APP_1", 1), 403, "applicationId is not this gateway's application", 0},
		{"no requestId", jsonType, strings.Replace(smsRef, `"requestId":"MO_0000000017",`, "", 1), 400, "missing requestId or sourceAddress", 0},
		{"no sourceAddress", jsonType, strings.Replace(smsRef, `"sourceAddress":"tel:8801711000101",`, "", 1), 400, "missing requestId or sourceAddress", 0},
		{"malformed JSON", jsonType, smsRef[:30], 400, "body is not a TAP request's JSON", 0},
		{"not JSON", "text/plain", smsRef, 415, "content type must be application/json", 0},
		{"too large", jsonType, strings.Replace(smsRef, "রেফার", strings.Repeat("a", 17<<10), 1), 413, "body is larger than a TAP request", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(ctx, t, gateway.Config{}, time.Second)
			status, body := s.do(t, "/sms/bdapps", tc.contentType, tc.body)
			if status != tc.want || body != tc.wantBody {
				t.Fatalf("got %d %q, want %d %q", status, body, tc.want, tc.wantBody)
			}
			refs, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			msgs, _ := s.out.List(ctx, outbox.Filter{})
			if len(refs) != tc.referrals {
				t.Fatalf("%d referrals, want %d", len(refs), tc.referrals)
			}
			if tc.want != 200 {
				if len(msgs) != 0 {
					t.Fatalf("a refused text queued %d messages", len(msgs))
				}
				return
			}
			// The platform's retry records nothing new.
			if status, body := s.do(t, "/sms/bdapps", tc.contentType, tc.body); status != 200 || body != ack {
				t.Fatalf("retry: %d %q", status, body)
			}
			refs2, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			msgs2, _ := s.out.List(ctx, outbox.Filter{})
			if len(refs2) != len(refs) || len(msgs2) != len(msgs) || len(msgs) == 0 {
				t.Fatalf("retry: %d→%d referrals, %d→%d messages", len(refs), len(refs2), len(msgs), len(msgs2))
			}
		})
	}
}
