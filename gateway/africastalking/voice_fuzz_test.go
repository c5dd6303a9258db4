package africastalking_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
)

// FuzzVoiceWebhooks sends any body to the voice webhook and the bridged call's. Every answer is
// a 2xx or a 4xx with a reason, never a 5xx or a panic, and a 4xx leaves the store as it found
// it: no contact, no session, nothing queued to send.
func FuzzVoiceWebhooks(f *testing.F) {
	paths := []string{africastalking.VoicePath, africastalking.BridgePath + "/" + callToken,
		africastalking.BridgePath, africastalking.BridgePath + "/other"}
	answered := "isActive=1&sessionId=ATVId_1&direction=Outbound&callerNumber=%2B8809612000000&destinationNumber=%2B8801911000003&clientRequestId=bridge-1"
	final := "isActive=0&sessionId=ATVId_1&direction=Outbound&clientRequestId=bridge-1&durationInSeconds=95&currencyCode=BDT&amount=4.5&callSessionState=Completed&dialDestinationNumber=%2B8801711000001&dialDurationInSeconds=80&status=Success&hangupCause=NORMAL_CLEARING"
	for _, seed := range []string{
		atCall(), atCall("dtmfDigits", "1"), atCall("dtmfDigits", "2"), atCall("dtmfDigits", "0"),
		atCall("isActive", "0", "durationInSeconds", "12", "status", "Success"), atCall("sessionId", ""),
		atCall("callerNumber", ""), atCall("dtmfDigits", "%ff"),
		answered, answered + "&dtmfDigits=1", final, "isActive=1&sessionId=ATVId_9",
		"isActive=1&clientRequestId=bridge-99&dtmfDigits=1", "clientRequestId=bridge-x", "clientRequestId=bridge-18446744073709551616",
		"", "%zz", "isActive=%00", strings.Repeat("dtmfDigits=1&", 100),
	} {
		for i := range paths {
			f.Add(uint8(i), form, seed)
		}
	}
	f.Add(uint8(0), "application/json", `{"sessionId":"x"}`)
	f.Add(uint8(1), "", answered)
	s := newVoiceServer(f, []string{callCounsellor})
	box, _ := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	out := outbox.New(s.db, box, s.cases, outbox.Config{Log: quiet, DoNotContact: s.cases.Marked})
	africastalking.RegisterBridge(s.g, "https://gw.example.org", callToken, out, outbox.CallerIDs{"BD": callHelpline})
	f.Fuzz(func(t *testing.T, which uint8, contentType, body string) {
		path := paths[int(which)%len(paths)]
		before := snapshot(t, s.db)
		req := httptest.NewRequest("POST", path, strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		resp, err := s.g.App.Test(req, 5000)
		if err != nil {
			// fasthttp would not read the request at all (a control character in the content
			// type): a real client gets 400 and nothing reaches the handler.
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("%s: an unreadable request (%v) changed the store", path, err)
			}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		switch {
		case resp.StatusCode >= 200 && resp.StatusCode < 300:
		case resp.StatusCode >= 400 && resp.StatusCode < 500:
			if len(bytes.TrimSpace(b)) == 0 {
				t.Fatalf("%s: %d without a reason", path, resp.StatusCode)
			}
			if !bytes.Equal(before, snapshot(t, s.db)) {
				t.Fatalf("%s: a refused request (%d %q) changed the store", path, resp.StatusCode, b)
			}
		default:
			t.Fatalf("%s: status %d for %q: %q", path, resp.StatusCode, body, b)
		}
	})
}
