package outbox_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
)

// failingDialer refuses every call, and counts them.
type failingDialer struct{ n int }

func (d *failingDialer) Name() string { return "p-call" }
func (d *failingDialer) Dial(context.Context, outbox.CallRequest) (outbox.Receipt, error) {
	d.n++
	return outbox.Receipt{}, &outbox.SendError{Status: 503, Msg: "down"}
}

// TestBridgedCallIsPlacedAtMostOnce: a call the provider failed is never tried again, and the
// failure is on her case; the same press queues one call; a press for another contact's key is
// refused as malformed.
func TestBridgedCallIsPlacedAtMostOnce(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, outbox.Config{})
	id := f.contact(onestop.Open, callable())
	f.clock.Set(start.Add(2 * time.Hour))
	press := outbox.PressKey(id)
	a, err := f.ob.Bridge(ctx, id, "cara", staffNumber, "p", press)
	if err != nil {
		t.Fatal(err)
	}
	if b, err := f.ob.Bridge(ctx, id, "cara", staffNumber, "p", press); err != nil || b != a {
		t.Fatalf("same press: %d %v, first %d", b, err, a)
	}
	if _, err := f.ob.Bridge(ctx, id, "cara", staffNumber, "p", outbox.PressKey(id+1)); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("another contact's press: %v", err)
	}
	if _, err := f.ob.Bridge(ctx, id, "cara", herNumber, "p", outbox.PressKey(id)); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("her own number as the counsellor's: %v", err)
	}
	d := &failingDialer{}
	senders := map[string]outbox.Sender{d.Name(): outbox.DialSender(d)}
	for i := 0; i < 3; i++ {
		f.clock.Set(start.Add(2*time.Hour + time.Duration(i)*10*time.Minute))
		if _, err := f.ob.Flush(ctx, senders); err != nil {
			t.Fatal(err)
		}
	}
	if d.n != 1 {
		t.Fatalf("%d dials, want 1", d.n)
	}
	m, _ := f.ob.Message(ctx, a)
	if m.State != outbox.Dead || m.Leg != staffNumber || m.To != herNumber {
		t.Fatalf("call: %+v", m)
	}
	c, _ := f.cases.Contact(ctx, id)
	bs, _ := f.cases.Bridges(ctx, c)
	if len(bs) != 2 || bs[1].Outcome != "failed" || !strings.Contains(bs[1].Reason, "down") {
		t.Fatalf("on her case: %+v", bs)
	}
	// A text cannot be sent through a dialer.
	if _, err := outbox.DialSender(d).Send(ctx, &outbox.Message{Kind: outbox.SMS, To: staffNumber, Text: "x"}); err == nil {
		t.Fatal("a dialer sent a text")
	}
}

func TestCallConfig(t *testing.T) {
	ids, err := outbox.ParseCallerIDs("BD:+8809612000000, in:+918069000000")
	if err != nil || ids.For("bd") != "+8809612000000" || ids.For("IN") != "+918069000000" || ids.For("PS") != "" {
		t.Fatalf("caller ids: %v %v", ids, err)
	}
	for _, bad := range []string{"BD", "BD:8809612000000", "BGD:+8809612000000", "BD:+1"} {
		if _, err := outbox.ParseCallerIDs(bad); onestop.ErrorCode(err) != onestop.EINVALID {
			t.Errorf("%q: %v", bad, err)
		}
	}
	phones, err := outbox.ParseCounsellorPhones("cara:+8801911000003")
	if err != nil || phones["cara"] != "+8801911000003" {
		t.Fatalf("phones: %v %v", phones, err)
	}
	if _, err := outbox.ParseCounsellorPhones("cara"); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatal(err)
	}
	f := newFixture(t, outbox.Config{})
	id := f.contact(onestop.Open, callable())
	f.clock.Set(start.Add(2 * time.Hour))
	call := f.ob.BridgeFunc(phones, "p")
	if err := call(context.Background(), id, "sara", outbox.PressKey(id)); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("a user with no phone: %v", err)
	}
	if err := call(context.Background(), id, "cara", outbox.PressKey(id)); err != nil {
		t.Fatal(err)
	}
}
