package flows_test

import (
	"context"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/store"
)

// voiceHop is hop n of a session on a channel that sends one input per hop and numbers its hops
// itself: no history, nothing to play again after a crash. (A USSD gateway that does not resend;
// a voice call asks its own first question, voice_test.go.)
func voiceHop(session string, hop int, input string) flows.Turn {
	return flows.Turn{Channel: onestop.USSD, Provider: "twilio", SessionID: session, Caller: bdCaller,
		ServiceCode: "*109#", Network: "47001", Hop: hop, Input: input}
}

func (f *fixture) step(e *flows.Engine, t flows.Turn) reply {
	f.t.Helper()
	r, err := shown(e.Step(context.Background(), t))
	if err != nil {
		f.t.Fatalf("hop %d %q: %v", t.Hop, t.Input, err)
	}
	return r
}

// TestAHopOfAChannelThatDoesNotResendIsOnDiskWhenAnswered: a hop that records nothing may be
// answered from memory only when the channel resends every input, since only then can a crash
// be made good by playing them again. On a channel that does not, every hop is in the store when
// Step returns, and a process started after a crash carries the session on where it was.
func TestAHopOfAChannelThatDoesNotResendIsOnDiskWhenAnswered(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	want := f.walk("reference", bdCaller, "5", "99", "5") // none of them records anything
	if n := sessionCount(ctx, f); n != 0 {
		t.Fatalf("%d sessions stored for hops that recorded nothing on a channel that resends", n)
	}
	for hop, input := range []string{"", "5"} { // the first screen, then the language menu
		if r := f.step(f.engine, voiceHop("CA1", hop, input)); r != want[hop] {
			t.Fatalf("hop %d: %+v, want %+v", hop, r, want[hop])
		}
		if n := sessionCount(ctx, f); n != 1 {
			t.Fatalf("hop %d: %d sessions in the store when it was answered, want 1", hop, n)
		}
	}
	if n := len(f.contacts(ctx)); n != 0 {
		t.Fatalf("%d contacts recorded for hops that record nothing", n)
	}
	// A crash: the memory goes, nothing is flushed.
	f.engine = f.restart(flows.Config{})
	if r := f.step(f.engine, voiceHop("CA1", 2, "99")); r != want[2] {
		t.Fatalf("after a crash: %+v, want %+v", r, want[2])
	}
	if r := f.step(f.engine, voiceHop("CA1", 3, "5")); r != want[3] {
		t.Fatalf("after a crash, the hop after: %+v, want %+v", r, want[3])
	}
}

// TestARetryIsTheSameHopNumberAndInput: on a channel that numbers its own hops, a retry is a
// turn with the number and the input of the last hop answered. It gets the page she was shown,
// byte for byte, and records nothing; the same number with another input, an earlier number or
// a number skipped end kindly and change nothing.
func TestARetryIsTheSameHopNumberAndInput(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.step(f.engine, voiceHop("CA2", 0, ""))
	first := f.step(f.engine, voiceHop("CA2", 1, "1")) // talk now: an urgent contact
	before := f.snapshot(ctx)
	if again := f.step(f.engine, voiceHop("CA2", 1, "1")); again != first {
		t.Fatalf("retry = %+v, first = %+v", again, first)
	}
	if f.snapshot(ctx) != before {
		t.Fatal("a retried hop changed the store")
	}
	over := reply{Text: locales.Text(onestop.Bengali, locales.SessionOver, "109"), End: true}
	for _, tc := range []struct {
		name string
		turn flows.Turn
	}{
		{"same number, another input", voiceHop("CA2", 1, "2")},
		{"an earlier number", voiceHop("CA2", 0, "")},
		{"a number skipped", voiceHop("CA2", 3, "1")},
		{"an unknown session's later hop", voiceHop("CA-nobody", 2, "1")},
	} {
		if r := f.step(f.engine, tc.turn); r != over {
			t.Errorf("%s: %+v, want the kind ending", tc.name, r)
		}
	}
	if f.snapshot(ctx) != before {
		t.Fatal("a hop that could not continue changed the store")
	}
	if n := len(f.contacts(ctx)); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}

// TestASessionOfTheFormatBeforeHopsWereNumberedEndsKindly: a session in flight at the upgrade
// holds the length of everything she typed, not a hop number. Its next hop, or a retry, cannot
// be told apart, so either gets the kind ending, changes nothing, and is no error.
func TestASessionOfTheFormatBeforeHopsWereNumberedEndsKindly(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("old", bdCaller, "1") // urgent: the session is in the store
	// The record as the format before wrote it: the same bytes, where the hop is now, its
	// length of the text (here the same varint), under version 2.
	if err := f.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Sessions)
		var k, v []byte
		b.ForEach(func(key, val []byte) error {
			k, v = append([]byte(nil), key...), append([]byte(nil), val...)
			return nil
		})
		if v == nil || v[8] != 3 {
			t.Fatalf("stored record %x", v)
		}
		v[8] = 2
		return b.Put(k, v)
	}); err != nil {
		t.Fatal(err)
	}
	f.engine = f.restart(flows.Config{})
	before := f.snapshot(ctx)
	over := reply{Text: locales.Text(onestop.Bengali, locales.SessionOver, "109"), End: true}
	for _, text := range []string{"1*1", "1"} {
		if r := f.hop("old", bdCaller, text); r != over {
			t.Fatalf("%q on a session of the earlier format: %+v, want the kind ending", text, r)
		}
	}
	if f.snapshot(ctx) != before {
		t.Fatal("a hop on a session of the earlier format changed the store")
	}
}
