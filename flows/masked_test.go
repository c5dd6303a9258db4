package flows_test

import (
	"context"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/locales"
)

// maskedHop is hop n of a session whose aggregator hid her number behind an opaque id, on a
// channel that sends one input per hop (hSenid's platforms).
func maskedHop(session, code string, hop int, input string) flows.Turn {
	return flows.Turn{Channel: onestop.USSD, Provider: "bdapps", SessionID: session, Caller: "tel:B%3C4Dx9Qm",
		Masked: true, ServiceCode: code, Hop: hop, Input: input}
}

// TestAMaskedCallerIsNeverOfferedHerOwnNumber: with her number hidden, her session speaks the
// language of the service she dialled, the plan asks for another number or gives her the
// helpline, and nothing on record holds the opaque id.
func TestAMaskedCallerIsNeverOfferedHerOwnNumber(t *testing.T) {
	ctx := context.Background()
	f := newFixtureWith(t, flows.Config{ServiceCodes: serviceCodes, OnDuty: onDuty})

	// Palestine's service: Arabic, and "not to be called" gives Sawa's 121.
	first := f.step(f.engine, maskedHop("M1", "*121#", 0, ""))
	if !strings.Contains(first.Text, locales.Text(onestop.Arabic, locales.MenuTalk)) {
		t.Fatalf("first screen %q is not the Arabic menu", first.Text)
	}
	may := f.step(f.engine, maskedHop("M1", "*121#", 1, "1"))
	if !strings.Contains(may.Text, locales.Text(onestop.Arabic, locales.AskMayCallOther)) ||
		strings.Contains(may.Text, locales.Text(onestop.Arabic, locales.CallThis)) {
		t.Fatalf("may-we-call screen %q offers her own number", may.Text)
	}
	end := f.step(f.engine, maskedHop("M1", "*121#", 2, "2"))
	if !end.End || !strings.Contains(end.Text, "121") {
		t.Fatalf("not to be called: %+v, want an ending with the helpline", end)
	}

	// Bangladesh's service: another number she types is the plan's.
	inputs := []string{"", "1", "1", "01711000002", "1", "1"}
	var last reply
	for hop, in := range inputs {
		last = f.step(f.engine, maskedHop("M2", "*109#", hop, in))
	}
	if last.End {
		t.Fatalf("after her plan: %+v, want the question for her district", last)
	}
	cs := f.contacts(ctx)
	if len(cs) != 2 {
		t.Fatalf("%d contacts, want 2", len(cs))
	}
	for _, c := range cs {
		if c.Masked != "" || c.Caller != "" {
			t.Errorf("contact %d holds %q / %q for a hidden number", c.ID, c.Masked, c.Caller)
		}
		switch {
		case c.Country == "PS":
			if c.Status != onestop.DoNotContact || c.Plan == nil || c.Plan.MayCall {
				t.Errorf("the refusal is recorded as %+v plan %+v", c, c.Plan)
			}
		case c.Plan == nil || c.Plan.Number != "+8801711000002" || !c.Plan.OtherNumber || c.Urgency != onestop.Urgent:
			t.Errorf("the plan is %+v for %+v", c.Plan, c)
		}
	}
	if snap := f.snapshot(ctx); strings.Contains(snap, "B%3C4Dx9Qm") {
		t.Fatal("the store holds the opaque id in clear")
	}
}
