package outbox_test

import (
	"context"
	"errors"
	"testing"

	"github.com/onestop-helpline/onestop/outbox"
)

// Count tallies the queue by state, audience and cause, from what every message says in clear.
func TestCountTalliesTheQueue(t *testing.T) {
	f := newFixture(t, outbox.Config{})
	ctx := context.Background()
	var ids []uint64
	for i, c := range []outbox.Cause{outbox.CauseAlert, outbox.CauseNotice, outbox.CauseNotice} {
		m := &outbox.Message{Key: "k" + string(rune('a'+i)), Kind: outbox.SMS, Audience: outbox.Worker, Cause: c, To: staffNumber, Text: "Please call the office."}
		if _, err := f.ob.Queue(ctx, m); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if err := f.ob.Drop(ctx, ids[2]); err != nil {
		t.Fatal(err)
	}
	got, err := f.ob.Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	want := map[outbox.Tally]int{
		{State: outbox.Queued, Audience: outbox.Worker, Cause: outbox.CauseAlert}:  1,
		{State: outbox.Queued, Audience: outbox.Worker, Cause: outbox.CauseNotice}: 1,
		{State: outbox.Dead, Audience: outbox.Worker, Cause: outbox.CauseNotice}:   1,
	}
	if len(got.Messages) != len(want) || got.Unreadable != 0 {
		t.Fatalf("counted %+v, want %v", got, want)
	}
	for k, n := range want {
		if got.Messages[k] != n {
			t.Errorf("%v: %d, want %d", k, got.Messages[k], n)
		}
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := f.ob.Count(ended); !errors.Is(err, context.Canceled) {
		t.Errorf("count on an ended context: %v", err)
	}
}
