package ussd_test

import (
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/ussd"
)

var opts = []onestop.Option{{Key: "1", Label: "Talk now"}, {Key: "2", Label: "Find help"}}

// An ending is sent as it is, whatever its length: it is one text, never paged.
func TestEndIsOnePage(t *testing.T) {
	long := strings.Repeat("word ", 100)
	s := onestop.Screen{Lang: onestop.English, Prompt: long, End: true}
	if p := ussd.Pages(s, locales.DefaultLimit); len(p) != 1 || p[0] != long {
		t.Fatalf("pages = %q", p)
	}
	if got := ussd.Reply(s, locales.DefaultLimit); got != "END "+long {
		t.Fatalf("reply = %q", got)
	}
}

// A menu is laid out by locales.Menu with the hint above its question.
func TestMenuWithHint(t *testing.T) {
	s := onestop.Screen{Lang: onestop.English, Hint: "Invalid choice.", Prompt: "May we call you?", Options: opts, Back: true, Exit: true}
	want := locales.Menu(onestop.English, locales.DefaultLimit, "Invalid choice.\nMay we call you?",
		[]locales.Option{{Key: "1", Label: "Talk now"}, {Key: "2", Label: "Find help"}}, locales.Nav{Back: true, Exit: true})
	got := ussd.Pages(s, locales.DefaultLimit)
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("pages = %q, want %q", got, want)
	}
	if r := ussd.Reply(s, locales.DefaultLimit); r != "CON "+want[0] {
		t.Fatalf("reply = %q", r)
	}
}

// When the hint and the question push the options to a second page, a HintAlone screen drops
// the question, so that the options stay on the first page; any other screen keeps it.
func TestHintStandsInForQuestion(t *testing.T) {
	lim := locales.Limit{GSM7: 60, UCS2: 30}
	s := onestop.Screen{Lang: onestop.English, Hint: "Invalid choice.", Prompt: strings.Repeat("Is it safe ", 3) + "?",
		Options: opts, Back: true, Exit: true}
	if p := ussd.Pages(s, lim); len(p) < 2 {
		t.Fatalf("the test's screen fits one page: %q", p)
	}
	s.HintAlone = true
	p := ussd.Pages(s, lim)
	if len(p) != 1 || strings.Contains(p[0], "safe") || !strings.HasPrefix(p[0], "Invalid choice.\n1 Talk now") {
		t.Fatalf("pages = %q", p)
	}
}

// The page laid out when the screen was first shown is sent as it is: a retried hop gets the
// same bytes even if the screen would be laid out differently now.
func TestTextIsSentAsLaidOut(t *testing.T) {
	s := onestop.Screen{Lang: onestop.English, Prompt: "Question", Options: opts, Text: "as first shown"}
	if r := ussd.Reply(s, locales.DefaultLimit); r != "CON as first shown" {
		t.Fatalf("reply = %q", r)
	}
	s.Text = ""
	s.Page = 7 // past the last page: the last
	p := ussd.Pages(s, locales.DefaultLimit)
	if r := ussd.Reply(s, locales.DefaultLimit); r != "CON "+p[len(p)-1] {
		t.Fatalf("reply = %q", r)
	}
}

func TestPagerLaysOutAtEachProvidersLimit(t *testing.T) {
	small := locales.Limit{GSM7: 60, UCS2: 30}
	p := ussd.Pager{Limits: map[string]locales.Limit{"small": small}}
	if p.Limit("small") != small || p.Limit("other") != locales.DefaultLimit {
		t.Fatalf("limits %v %v", p.Limit("small"), p.Limit("other"))
	}
	if d := (ussd.Pager{Default: small}); d.Limit("other") != small {
		t.Fatalf("default %v", d.Limit("other"))
	}
	s := onestop.Screen{Lang: onestop.English, Prompt: strings.Repeat("word ", 40), Prose: true}
	if got, want := len(p.Pages("small", s)), len(ussd.Pages(s, small)); got != want || got < 2 {
		t.Fatalf("%d pages at the small limit, want %d", got, want)
	}
	if got, want := len(p.Pages("other", s)), len(ussd.Pages(s, locales.DefaultLimit)); got != want {
		t.Fatalf("%d pages at the default limit, want %d", got, want)
	}
}
