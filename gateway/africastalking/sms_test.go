package africastalking_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
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
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

const (
	smsFormType = "application/x-www-form-urlencoded"
	smsWorker   = "+8801711000101"
)

type smsServer struct {
	g     *gateway.Gateway
	cases *casebook.Casebook
	out   *outbox.Outbox
}

func newSMSServer(t testing.TB, cfg gateway.Config) *smsServer {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, _ := seal.New(bytes.Repeat([]byte{6}, seal.KeySize))
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cases := casebook.New(db, box)
	out := outbox.New(db, box, cases, outbox.Config{Log: quiet})
	cfg.Log = quiet
	g := gateway.New(cfg, store.Health{Store: db})
	africastalking.RegisterSMS(g, flows.NewSMS(db, cases, box, dir, out, flows.SMSConfig{Log: quiet}), out)
	err = db.Update(context.Background(), func(tx onestop.Tx) error {
		return cases.PutWorker(tx, &casebook.Worker{Number: smsWorker, Name: "Rina", Lang: onestop.Bengali})
	})
	if err != nil {
		t.Fatal(err)
	}
	return &smsServer{g: g, cases: cases, out: out}
}

func (s *smsServer) post(t testing.TB, path, contentType, body string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("POST", path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := s.g.App.Test(req, 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// An inbound text as Africa's Talking posts it: the + of the numbers escaped, the text
// percent-encoded UTF-8.
const atInbound = "from=%2B8801711000101&to=21525&text=%E0%A6%B0%E0%A7%87%E0%A6%AB%E0%A6%BE%E0%A6%B0+%E0%A6%A2%E0%A6%BE%E0%A6%95%E0%A6%BE+%E0%A6%9A%E0%A6%BF%E0%A6%95%E0%A6%BF%E0%A7%8E%E0%A6%B8%E0%A6%BE+%E0%A6%A6%E0%A6%B0%E0%A6%95%E0%A6%BE%E0%A6%B0&date=2026-11-23+10%3A15%3A02&id=ATXid_8d0b1f3a&linkId=&networkCode=47001"

func TestATInboundSMS(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		contentType string
		body        string
		want        int
		referrals   int
		verified    bool
	}{
		{"a worker's referral", smsFormType, atInbound, 200, 1, true},
		{"plus sign sent unescaped", smsFormType, strings.Replace(atInbound, "%2B", "+", 1), 200, 1, true},
		{"an unregistered sender", smsFormType, strings.Replace(atInbound, "%2B8801711000101", "%2B8801911000999", 1), 200, 1, false},
		{"an empty text from a worker", smsFormType, "from=%2B8801711000101&to=21525&text=&date=2026-11-23&id=ATXid_2&networkCode=47001", 200, 0, false},
		{"no id", smsFormType, "from=%2B8801711000101&to=21525&text=HELP", 400, 0, false},
		{"no from", smsFormType, "to=21525&text=HELP&id=ATXid_3", 400, 0, false},
		{"from is not a number", smsFormType, "from=hello&to=21525&text=HELP&id=ATXid_4", 400, 0, false},
		{"not a form", "application/json", `{"from":"+8801711000101","id":"x"}`, 415, 0, false},
		{"too large", smsFormType, "from=%2B8801711000101&id=ATXid_5&text=" + strings.Repeat("a", africastalking.MaxSMSBody), 413, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newSMSServer(t, gateway.Config{})
			status, body := s.post(t, "/sms/africastalking", tc.contentType, tc.body)
			if status != tc.want {
				t.Fatalf("status %d %q, want %d", status, body, tc.want)
			}
			refs, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			if len(refs) != tc.referrals {
				t.Fatalf("%d referrals, want %d", len(refs), tc.referrals)
			}
			if tc.want != 200 {
				if msgs, _ := s.out.List(ctx, outbox.Filter{}); len(msgs) != 0 {
					t.Fatalf("a rejected request queued %d messages", len(msgs))
				}
				return
			}
			if body != "" {
				t.Fatalf("body %q: AT's SMS callback takes no reply", body)
			}
			if len(refs) == 1 && refs[0].Verified != tc.verified {
				t.Fatalf("referral %+v", refs[0])
			}
			// The retried callback records nothing new.
			msgs, _ := s.out.List(ctx, outbox.Filter{})
			if status, _ := s.post(t, "/sms/africastalking", tc.contentType, tc.body); status != 200 {
				t.Fatalf("retry answered %d", status)
			}
			refs2, _ := s.cases.Referrals(ctx, casebook.ReferralFilter{})
			msgs2, _ := s.out.List(ctx, outbox.Filter{})
			if len(refs2) != len(refs) || len(msgs2) != len(msgs) || len(msgs) == 0 {
				t.Fatalf("retry: %d→%d referrals, %d→%d messages", len(refs), len(refs2), len(msgs), len(msgs2))
			}
		})
	}
}

func TestATInboundSMSNeedsTheWebhookToken(t *testing.T) {
	s := newSMSServer(t, gateway.Config{WebhookToken: "s3cret"})
	if status, _ := s.post(t, "/sms/africastalking", smsFormType, atInbound); status != 404 {
		t.Fatalf("without the token: %d", status)
	}
	if status, _ := s.post(t, "/sms/africastalking/s3cret", smsFormType, atInbound); status != 200 {
		t.Fatalf("with the token: %d", status)
	}
	// The delivery route is not taken for a token by the inbound route.
	if status, body := s.post(t, "/sms/africastalking/delivery/s3cret", smsFormType, "id=ATXid_x&status=Success"); status != 200 {
		t.Fatalf("delivery with the token: %d %q", status, body)
	}
}

// atSender stands in for AT's API: it takes each message under the next id.
type atSender struct{ n int }

func (s *atSender) Name() string { return africastalking.Provider }
func (s *atSender) Send(context.Context, *outbox.Message) (outbox.Receipt, error) {
	s.n++
	return outbox.Receipt{ProviderID: fmt.Sprintf("ATXid_sent%d", s.n)}, nil
}

func TestATDeliveryReports(t *testing.T) {
	s := newSMSServer(t, gateway.Config{})
	ctx := context.Background()
	var ids []uint64
	for i := range 2 {
		m := &outbox.Message{Key: fmt.Sprint("k", i), Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: smsWorker, Text: "ok", Provider: africastalking.Provider}
		if _, err := s.out.Queue(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if n, _ := s.out.Flush(ctx, map[string]outbox.Sender{africastalking.Provider: &atSender{}}); n != 2 {
		t.Fatalf("flushed %d", n)
	}
	steps := []struct {
		body  string
		want  int
		id    uint64
		state outbox.State
		error string
	}{
		{"id=ATXid_sent1&status=Buffered&phoneNumber=%2B8801711000101&networkCode=47001", 200, ids[0], outbox.Sent, ""},
		{"id=ATXid_sent1&status=Success&phoneNumber=%2B8801711000101&networkCode=47001", 200, ids[0], outbox.Delivered, ""},
		{"id=ATXid_sent1&status=Success&phoneNumber=%2B8801711000101&networkCode=47001", 200, ids[0], outbox.Delivered, ""},
		{"id=ATXid_sent2&status=Failed&phoneNumber=%2B8801711000101&networkCode=47001&failureReason=UserInBlackList", 200, ids[1], outbox.Failed, "UserInBlackList"},
		{"id=ATXid_sent2&status=Exploded&phoneNumber=%2B8801711000101", 400, ids[1], outbox.Failed, ""},
		{"status=Success", 400, ids[1], outbox.Failed, ""},
		{"id=ATXid_unknown&status=Success", 200, ids[1], outbox.Failed, ""},
	}
	answered := map[string]float64{}
	for _, st := range steps {
		status, body := s.post(t, "/sms/africastalking/delivery", smsFormType, st.body)
		if status != st.want {
			t.Fatalf("%s: %d %q", st.body, status, body)
		}
		if status < 400 {
			answered["ok"]++
		} else {
			answered["rejected"]++
		}
		m, _ := s.out.Message(ctx, st.id)
		if m.State != st.state || !strings.Contains(m.Error, st.error) {
			t.Fatalf("%s: message %d is %s %q", st.body, st.id, m.State, m.Error)
		}
	}
	// Every report is counted in the gateway's hops, by what it was answered.
	for outcome, want := range answered {
		if n := testutil.ToFloat64(s.g.Metrics.Hops.WithLabelValues("africastalking-delivery", outcome)); n != want {
			t.Errorf("africastalking-delivery %s counted %v, want %v", outcome, n, want)
		}
	}
}
