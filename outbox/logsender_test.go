package outbox_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/outbox"
)

// TestLogSenderLogsNoText: the log-only provider's line names the masked recipient and the
// template (or the cause when there is none), never the text or the whole number, whether or not
// the message came through the queue (which masks the number).
func TestLogSenderLogsNoText(t *testing.T) {
	var buf bytes.Buffer
	s := &outbox.LogSender{Log: slog.New(slog.NewTextHandler(&buf, nil))}
	for _, m := range []*outbox.Message{
		{ID: 1, Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, Template: "alert", To: staffNumber, Masked: "+880 19** ***003", Text: "Urgent case 1234567, BD-DH. Please check the console now."},
		{ID: 2, Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: staffNumber, Text: "No case Amina Begum for this number."},
	} {
		if _, err := s.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	out := buf.String()
	for _, leak := range []string{"1911000003", "Urgent case", "Amina", "console now"} {
		if strings.Contains(out, leak) {
			t.Fatalf("the log carries %q:\n%s", leak, out)
		}
	}
	if !strings.Contains(out, "template=alert") || !strings.Contains(out, "template=reply") || strings.Count(out, `to="+880 19** ***003"`) != 2 {
		t.Fatalf("the log does not name the masked recipient and the template:\n%s", out)
	}
}
