package flows_test

import (
	"context"
	"regexp"
	"testing"

	"github.com/onestop-helpline/onestop"
)

// refOnScreen is a case reference as a screen shows it: seven digits or more.
var refOnScreen = regexp.MustCompile(`[0-9]{7,}`)

// The reference a caller is told at the end of her session is the one her case is kept under:
// read off the screen and typed into the console, it opens her case and no other.
func TestTheReferenceOnTheLastScreenOpensHerCase(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, caller string
		inputs       []string
	}{
		{"callback now", bdCaller, []string{"1", "1", "1", "1", "2"}},
		{"do not call", inCaller, []string{"3", "3"}},
	} {
		f := newFixture(t)
		// Someone else's contact first, so that hers is not the first one.
		f.walk("other", "+8801711000099", "1", "1", "1", "1", "2")
		end := last(f.walk("s", tc.caller, tc.inputs...))
		if !end.End {
			t.Fatalf("%s: the session did not end: %q", tc.name, end.Text)
		}
		refs := refOnScreen.FindAllString(end.Text, -1)
		if len(refs) != 1 {
			t.Fatalf("%s: %d references on %q", tc.name, len(refs), end.Text)
		}
		c, err := f.cases.ByRef(ctx, refs[0])
		if err != nil {
			t.Fatalf("%s: opening %s: %v", tc.name, refs[0], err)
		}
		newest := f.contacts(ctx)[0]
		if c.ID != newest.ID || c.Ref != refs[0] || c.ID < 2 {
			t.Fatalf("%s: %s opened contact %d (%s), hers is %d", tc.name, refs[0], c.ID, c.Ref, newest.ID)
		}
		if tc.name == "do not call" && c.Status != onestop.DoNotContact {
			t.Fatalf("%s: opened a contact with status %s", tc.name, c.Status)
		}
	}
}
