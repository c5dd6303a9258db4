package outbox_test

import (
	"context"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
)

// shared is the fixture's store as several gateways see one they share.
type shared struct{ onestop.Store }

func (shared) Lease(context.Context, string, string, time.Duration) (bool, error) { return true, nil }

// On a store several gateways share, a message another gateway is sending right now is not
// taken from it when this one starts; once it has been sending for longer than any send takes,
// its gateway is gone, and the message is settled as after a crash.
func TestReconcileLeavesALiveGatewaysSendsAlone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{})
	m := outbox.Message{Key: "k", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: staffNumber, Text: "Case 1234567: urgent.", Provider: "p"}
	if _, err := f.ob.Queue(ctx, &m); err != nil {
		t.Fatal(err)
	}
	b := &blocker{name: "p", entered: make(chan struct{}), release: make(chan struct{})}
	done := make(chan struct{})
	go func() { // the other gateway, sending
		f.ob.Flush(ctx, map[string]outbox.Sender{"p": b})
		close(done)
	}()
	<-b.entered
	defer func() { close(b.release); <-done }()

	other := outbox.New(shared{f.db}, f.box, f.cases, f.cfg)
	rec := &recorder{name: "p"}
	if err := other.Reconcile(ctx, map[string]outbox.Sender{"p": rec}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Sending {
		t.Fatalf("a send under way in another gateway was taken from it: %s", got.State)
	}
	f.clock.Set(f.clock.Now().Add(outbox.SendingLease + time.Second))
	if err := other.Reconcile(ctx, map[string]outbox.Sender{"p": rec}); err != nil {
		t.Fatal(err)
	}
	if got, _ := f.ob.Message(ctx, m.ID); got.State != outbox.Queued {
		t.Fatalf("a send left by a gateway long gone: %s, want queued again", got.State)
	}
}
