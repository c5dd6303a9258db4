package outbox_test

import (
	"context"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
)

func TestPurgeDeletesOnlyFinishedMessagesPastRetention(t *testing.T) {
	f := newFixture(t, outbox.Config{})
	ctx := context.Background()
	queue := func(key string) uint64 {
		m := outbox.Message{Key: key, Kind: outbox.SMS, Audience: outbox.Worker, Cause: outbox.CauseReply, To: staffNumber, Text: "ok", Provider: "at"}
		if _, err := f.ob.Queue(ctx, &m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	sent, dropped := queue("sent"), queue("dropped")
	if err := f.ob.Drop(ctx, dropped); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ob.Flush(ctx, map[string]outbox.Sender{"at": &recorder{name: "at"}}); n != 1 || err != nil {
		t.Fatalf("flushed %d, %v", n, err)
	}
	f.clock.Set(start.AddDate(0, 0, 100))
	waiting := queue("waiting") // still owed: kept however old the others are
	n, err := f.ob.Purge(ctx, f.clock.Now().AddDate(0, 0, -90))
	if err != nil || n != 2 {
		t.Fatalf("Purge = %d, %v; want 2", n, err)
	}
	for id, gone := range map[uint64]bool{sent: true, dropped: true, waiting: false} {
		_, err := f.ob.Message(ctx, id)
		if gone != (onestop.ErrorCode(err) == onestop.ENOTFOUND) {
			t.Errorf("message %d: err %v, want gone=%v", id, err, gone)
		}
	}
	// The idempotency key went with the message; a delivery report for it finds nothing.
	if err := f.ob.Report(ctx, "at", "at-1", outbox.Delivered, ""); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Errorf("report for a purged message: %v", err)
	}
	if id := queue("sent"); id == sent {
		t.Errorf("the purged message's key still pointed at it")
	}
	if n, _ := f.ob.Purge(ctx, f.clock.Now().AddDate(0, 0, -90)); n != 0 {
		t.Errorf("a second purge deleted %d", n)
	}
}
