package bdapps_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/outbox"
)

// The Sender's tests: an httptest server stands in for the platform's sms/send.

func TestSenderPostsTheExactJSON(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, text, answer string
		want               string // the body posted
		wantID             string
		fails, permanent   bool
	}{
		{"English goes as text", "Your referral R-0042 is with the centre.",
			`{"statusCode":"S1000","statusDetail":"Success","requestId":"101911211420000","destinationResponses":[{"address":"tel:8801911000003","timeStamp":"20261203164500","messageId":"101911211420001","statusCode":"S1000","statusDetail":"Request was Successfully processed"}],"version":"1.0"}`,
			`{"applicationId":"APP_009876","password":"b1e6f0c2a7d94e3f","message":"Your referral R-0042 is with the centre.","destinationAddresses":["tel:8801911000003"],"sourceAddress":"21213","deliveryStatusRequest":"0","encoding":"0","version":"1.0"}`,
			"101911211420001", false, false},
		{"Bengali goes as UCS-2", "আপনার রেফারেল R-0042 গ্রহণ করা হয়েছে।",
			`{"statusCode":"S1000","statusDetail":"Success","requestId":"101911211420002","version":"1.0"}`,
			`{"applicationId":"APP_009876","password":"b1e6f0c2a7d94e3f","message":"আপনার রেফারেল R-0042 গ্রহণ করা হয়েছে।","destinationAddresses":["tel:8801911000003"],"sourceAddress":"21213","deliveryStatusRequest":"0","encoding":"8","version":"1.0"}`,
			"101911211420002", false, false},
		{"a refusal is retried", "ok", `{"statusCode":"E1325","statusDetail":"Format of the address is invalid"}`, "", "", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got, path string
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				got, path = string(b), r.URL.Path
				w.Header().Set("Content-Type", "application/json")
				io.WriteString(w, tc.answer)
			}))
			defer srv.Close()
			s := bdapps.NewSender(bdapps.Config{AppID: appID, Password: password, BaseURL: srv.URL, SMSSource: "21213"}, srv.Client())
			rc, err := s.Send(ctx, &outbox.Message{ID: 1, Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: "+8801911000003", Text: tc.text})
			if tc.fails {
				var se *outbox.SendError
				if !errors.As(err, &se) || se.Permanent != tc.permanent || se.Code != "E1325" {
					t.Fatalf("err %v, want a retried refusal", err)
				}
				return
			}
			if err != nil || rc.ProviderID != tc.wantID {
				t.Fatalf("receipt %+v, %v", rc, err)
			}
			if path != "/sms/send" || got != tc.want {
				t.Fatalf("posted to %s:\n%s\nwant\n%s", path, got, tc.want)
			}
		})
	}
}

func TestSenderFailures(t *testing.T) {
	ctx := context.Background()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusBadGateway)
	}))
	defer srv.Close()
	s := bdapps.NewSender(bdapps.Config{AppID: appID, Password: password, BaseURL: srv.URL}, srv.Client())
	if s.Name() != bdapps.Provider {
		t.Fatalf("name %q", s.Name())
	}
	msg := &outbox.Message{ID: 1, Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: "+8801911000003", Text: "ok"}
	var se *outbox.SendError
	if _, err := s.Send(ctx, msg); !errors.As(err, &se) || se.Permanent || se.Status != http.StatusBadGateway {
		t.Fatalf("a server error: %v, want one retried", err)
	}
	call := *msg
	call.Kind = outbox.Call
	if _, err := s.Send(ctx, &call); !errors.As(err, &se) || !se.Permanent {
		t.Fatalf("a call: %v, want a permanent refusal", err)
	}
	srv.Close()
	if _, err := s.Send(ctx, msg); err == nil {
		t.Fatal("an unreachable platform sent the message")
	}
}

// TestARefusalKeepsNoNumber: what the platform says of a refused message is kept without the
// number it may quote.
func TestARefusalKeepsNoNumber(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"statusCode":"E1325","statusDetail":"Invalid destination tel:8801911000003 (code 42)"}`)
	}))
	defer srv.Close()
	s := bdapps.NewSender(bdapps.Config{AppID: appID, Password: password, BaseURL: srv.URL}, srv.Client())
	_, err := s.Send(context.Background(), &outbox.Message{ID: 1, Key: "k", Kind: outbox.SMS, Audience: outbox.Worker, To: "+8801911000003", Text: "ok"})
	var se *outbox.SendError
	if !errors.As(err, &se) || se.Msg != "Invalid destination tel:*** (code 42)" {
		t.Fatalf("err %v", err)
	}
}
