package flows_test

import (
	"bytes"
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// langKey is the language menu's key for lang.
func langKey(lang onestop.Lang) string {
	return strconv.Itoa(slices.Index(onestop.Langs, lang) + 1)
}

// key is the menu key of code in codes.
// askTop is the prompt over each country's first list.
var askTop = map[string]locales.AreaKey{"BD": locales.AreaAskDivision, "IN": locales.AreaAskState, "PS": locales.AreaAskGovernorate}

func key(t *testing.T, areas []directory.Area, code string) string {
	t.Helper()
	for i, a := range areas {
		if a.Code == code {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("%s is not in the list", code)
	return ""
}

// readAll pages through an answer with 98 until its last page, and returns all its text.
func (f *fixture) readAll(session, caller string, inputs []string, first reply) string {
	f.t.Helper()
	text, all := strings.Join(inputs, "*"), first.Text
	r := first
	for i := 0; strings.Contains(r.Text, "\n98 ") && i < 20; i++ {
		text += "*98"
		r = f.hop(session, caller, text)
		all += "\n" + r.Text
	}
	return all
}

// remembered returns what is kept under her number's keyed hash besides her language: nothing,
// or the next person on her phone would inherit it.
func (f *fixture) remembered(ctx context.Context, caller string) string {
	f.t.Helper()
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	h := box.Hash(caller)
	var kept string
	f.db.View(ctx, func(tx onestop.Tx) error {
		c := tx.Bucket(store.Prefs).Cursor()
		for k, v := c.Seek(h); k != nil && bytes.HasPrefix(k, h); k, v = c.Next() {
			if len(k) > len(h) {
				kept += string(k[len(h):]) + "=" + string(v) + " "
			}
		}
		return nil
	})
	return kept
}

// TestFindHelpByMenusInEveryLanguage chooses a division, state or governorate, then a district,
// in each language, and checks the answer: her area's centres, the helpline last, her area on
// her contact and remembered for her.
func TestFindHelpByMenusInEveryLanguage(t *testing.T) {
	ctx := context.Background()
	dir, _ := directory.Embedded()
	tests := []struct {
		caller, top, area string
		centre            string // a centre the answer must name
		helpline          string
	}{
		{bdCaller, "BD-C", "BD-13", "bd-occ-dhaka", "bd-109"},
		{bdCaller, "BD-F", "BD-64", "bd-occ-rangpur", "bd-109"},
		{inCaller, "IN-UP", "IN-UP-187", "in-osc-187", "in-181"},
		{psCaller, "PS-RBH", "", "ps-onestop-ramallah", "ps-121"},
		// Gaza: no West Bank unit across the closed line; the helpline, police and ambulance.
		{psCaller, "PS-GZA", "", "ps-101", "ps-121"},
	}
	for _, tt := range tests {
		for _, lang := range onestop.Langs {
			f := newFixture(t)
			country := tt.top[:2]
			inputs := []string{"5", langKey(lang), "2", key(t, flows.TopAreas(dir, country), tt.top)}
			want := tt.top
			if tt.area != "" {
				inputs = append(inputs, key(t, dir.Children(tt.top), tt.area))
				want = tt.area
			}
			rs := f.walk("s", tt.caller, inputs...)
			help, _ := dir.Helpline(country)
			if first := rs[3].Text; !strings.Contains(first, locales.Text(lang, locales.HelplineShort, help.Number())) || !strings.Contains(first, locales.AreaText(lang, askTop[country])) {
				t.Errorf("%s %s: the first find-help page does not give the helpline and the question:\n%s", lang, country, first)
			}
			area, _ := dir.Area(want)
			end := last(rs)
			if end.End || !strings.Contains(end.Text, area.Name(lang)) {
				t.Fatalf("%s %s: answer page 1 = %+v, want it to name %q", lang, want, end, area.Name(lang))
			}
			all := f.readAll("s", tt.caller, inputs, end)
			c, _ := dir.Centre(tt.centre)
			if !strings.Contains(all, c.Name(lang)) {
				t.Errorf("%s %s: the answer does not name %s:\n%s", lang, want, tt.centre, all)
			}
			lines := strings.Split(all, "\n")
			var content []string
			for _, l := range lines {
				if !isNav(l) {
					content = append(content, l)
				}
			}
			if lastLine := content[len(content)-1]; !strings.HasPrefix(lastLine, help.Name(lang)+": "+locales.Isolate(lang, help.Number())) && !strings.HasPrefix(lastLine, c.Name(lang)) {
				t.Errorf("%s %s: the answer ends with %q, want the helpline", lang, want, lastLine)
			}
			if lang != onestop.English {
				for _, l := range content {
					if strings.ContainsAny(l, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
						t.Errorf("%s %s: Latin letters in %q", lang, want, l)
					}
				}
			}
			cs := f.contacts(ctx)
			if len(cs) != 1 || cs[0].Area != want || cs[0].Urgency != onestop.Information {
				t.Errorf("%s %s: contact %+v", lang, want, cs)
			}
			if got := f.remembered(ctx, tt.caller); got != "" {
				t.Errorf("%s: kept under her number: %q", lang, got)
			}
			// 99 goes back to the first find-help screen.
			back := last(f.walk("s2", tt.caller, append(inputs, "99")...))
			if back.Text != rs[3].Text {
				t.Errorf("%s %s: 99 from the answer = %q, want the first find-help screen", lang, want, back.Text)
			}
		}
	}
}

func isNav(l string) bool {
	return strings.HasPrefix(l, "98 ") || strings.HasPrefix(l, "99 ") || strings.HasPrefix(l, "0 ") || l == "98" || l == "99" || l == "0"
}

// TestTypedSearchInEveryScript types a place in each script and spelling, from each language.
func TestTypedSearchInEveryScript(t *testing.T) {
	ctx := context.Background()
	dir, _ := directory.Embedded()
	tests := []struct {
		caller, typed, want string
	}{
		{bdCaller, "Barisal", "BD-06"},
		{bdCaller, "barishal", "BD-06"},
		{bdCaller, "বরিশাল", "BD-06"},
		{bdCaller, "Chittagong", "BD-10"},
		{bdCaller, "Comilla", "BD-08"},
		{bdCaller, "jessore", "BD-22"},
		{bdCaller, "BOGRA", "BD-03"},
		{bdCaller, "Cox's Bazar", "BD-11"},
		{inCaller, "लखनऊ", "IN-UP-162"},
		{inCaller, "Bombay", "IN-MH-482"},
		{inCaller, "कलकत्ता", "IN-WB-315"},
		{inCaller, "Bihar", "IN-BR"}, // a state: its districts come next
		{psCaller, "رام الله", "PS-RBH"},
		{psCaller, "اريحا", "PS-JRH"},
		{psCaller, "Hebron", "PS-HBN"},
	}
	for _, tt := range tests {
		for _, lang := range onestop.Langs {
			f := newFixture(t)
			r := last(f.walk("s", tt.caller, "5", langKey(lang), "2", tt.typed))
			a, _ := dir.Area(tt.want)
			top := a.TopLevel() && len(dir.Children(tt.want)) > 0
			if r.End || (!top && !strings.Contains(r.Text, a.Name(lang))) {
				t.Errorf("%s typed %q: %q, want %s", lang, tt.typed, r.Text, tt.want)
				continue
			}
			if top {
				// A state: its districts are listed, and choosing one answers.
				child := dir.Children(tt.want)[0]
				if !strings.Contains(r.Text, child.Name(lang)) {
					t.Errorf("%s typed %q: districts screen %q lacks %s", lang, tt.typed, r.Text, child.Code)
				}
				r = last(f.walk("s2", tt.caller, "5", langKey(lang), "2", tt.typed, "1"))
				if !strings.Contains(r.Text, child.Name(lang)) {
					t.Errorf("%s: after choosing %s: %q", lang, child.Code, r.Text)
				}
				continue
			}
			if cs := f.contacts(ctx); len(cs) != 1 || cs[0].Area != tt.want {
				t.Errorf("%s typed %q: contact area %+v, want %s", lang, tt.typed, cs, tt.want)
			}
		}
	}
}

func TestTypedSearchWithManyOrNoMatches(t *testing.T) {
	ctx := context.Background()
	dir, _ := directory.Embedded()
	for _, lang := range onestop.Langs {
		f := newFixture(t)
		// Several places match: a list to choose from.
		rs := f.walk("s", bdCaller, "5", langKey(lang), "2", "pur")
		list := last(rs).Text
		found := dir.Search("BD", "pur", 8)
		if !strings.Contains(list, "1 "+found[0].Name(lang)) {
			t.Fatalf("%s: matches screen %q, want 1 %s", lang, list, found[0].Name(lang))
		}
		r := f.hop("s", bdCaller, "5*"+langKey(lang)+"*2*pur*2")
		if !strings.Contains(r.Text, found[1].Name(lang)) {
			t.Errorf("%s: choosing 2 from the matches = %q, want %s", lang, r.Text, found[1].Code)
		}
		if c := f.contacts(ctx)[0]; c.Area != found[1].Code {
			t.Errorf("%s: contact area %q, want %s", lang, c.Area, found[1].Code)
		}

		// Nothing matches: say so, offer the list again; a number still works from there.
		f = newFixture(t)
		rs = f.walk("s", bdCaller, "5", langKey(lang), "2", "Xqzvbw")
		help, _ := dir.Helpline("BD")
		if r := last(rs); r.End || !strings.Contains(r.Text, help.Number()) || !strings.Contains(r.Text, "\n") {
			t.Errorf("%s: no match = %+v", lang, r)
		}
		if r := f.hop("s", bdCaller, "5*"+langKey(lang)+"*2*Xqzvbw*3"); !strings.Contains(r.Text, dir.Children("BD-C")[0].Name(lang)) {
			t.Errorf("%s: a number after no match = %q, want Dhaka's districts", lang, r.Text)
		}
		// Unknown names again and again end kindly with the helpline, as invalid keys do.
		f = newFixture(t)
		r = last(f.walk("s", bdCaller, "5", langKey(lang), "2", "Xqzvbw", "Qqjjkk", "Zzxxvv", "Wqwqwq"))
		if !r.End || r.Text != locales.Text(lang, locales.TooManyInvalid, "109") {
			t.Errorf("%s: repeated unknown names end with %+v", lang, r)
		}
	}
}

// TestHerAreaIsNotShownOnHerPhone: someone else dialling from her phone must not see that she
// asked before; the area is on her contact, for the people who call her back, and nowhere else.
func TestHerAreaIsNotShownOnHerPhone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	first := f.walk("a", bdCaller, "2", "Thakurgaon")
	if got := f.remembered(ctx, bdCaller); got != "" {
		t.Fatalf("kept under her number: %q", got)
	}
	if c := f.contacts(ctx)[0]; c.Area != "BD-64" {
		t.Fatalf("Thakurgaon not on her contact: %q", c.Area)
	}
	again := f.walk("b", bdCaller, "2")
	if again[1].Text != first[1].Text {
		t.Errorf("the find-help screen changed after she chose an area:\n%s\n---\n%s", first[1].Text, again[1].Text)
	}
	if strings.Contains(f.hop("b", bdCaller, "2*98").Text, "ঠাকুরগাঁও") && !strings.Contains(first[1].Text, "ঠাকুরগাঁও") {
		t.Error("her district shows on the find-help screens")
	}
}

func TestZeroAndBackFromEveryFindHelpScreen(t *testing.T) {
	paths := map[string][]string{
		"help": {"2"}, "districts": {"2", "3"}, "matches": {"2", "pur"}, "no match": {"2", "Atlantis"},
		"answer": {"2", "Thakurgaon"}, "answer page 2": {"2", "Thakurgaon", "98"},
	}
	for name, inputs := range paths {
		f := newFixture(t)
		r := last(f.walk("s", bdCaller, append(inputs, "0")...))
		if !r.End || r.Text != locales.Text(onestop.Bengali, locales.Goodbye) {
			t.Errorf("%s: 0 gave %+v", name, r)
		}
		f = newFixture(t)
		rs := f.walk("s", bdCaller, inputs...)
		text := strings.Join(inputs, "*")
		r = last(rs)
		for i := 0; i < 4 && r.Text != rs[0].Text; i++ {
			text += "*99"
			if r = f.hop("s", bdCaller, text); r.End {
				break
			}
		}
		if r.End || r.Text != rs[0].Text {
			t.Errorf("%s: 99 does not lead back to the menu: %+v", name, r)
		}
	}
}

// TestTheNextCallerOnASharedPhoneInheritsNoDistrict: a district chosen in one session is on
// that session's contact only; the next session from the same phone starts with none, and a
// district chosen earlier in the same session is on its urgent contact.
func TestTheNextCallerOnASharedPhoneInheritsNoDistrict(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("earlier", bdCaller, "2", "Barisal")
	f.walk("now", bdCaller, "1")
	cs := f.contacts(ctx)
	if len(cs) != 2 || cs[0].Urgency != onestop.Urgent || cs[0].Area != "" {
		t.Fatalf("urgent contact after someone chose Barisal on the phone before: %+v", cs[0])
	}
	if cs[1].Area != "BD-06" {
		t.Fatalf("the earlier contact lost its district: %+v", cs[1])
	}
	f.walk("same", bdCaller, "2", "Barisal", "99", "99", "1")
	if c := f.contacts(ctx)[0]; c.Urgency != onestop.Urgent || c.Area != "BD-06" {
		t.Fatalf("urgent contact after choosing Barisal in the same session: %+v", c)
	}
	f.walk("other", "+8801811000002", "1")
	if c := f.contacts(ctx)[0]; c.Area != "" {
		t.Fatalf("another caller's contact took her area: %q", c.Area)
	}
}

// TestAPartialMatchIsConfirmedFirst: a name she typed that matches one place only in part or with
// a slip is shown for her to confirm with one key; nothing is filed under it until she does, and
// an upazila files her contact under its district.
func TestAPartialMatchIsConfirmedFirst(t *testing.T) {
	ctx := context.Background()
	dir, _ := directory.Embedded()
	upazila, _ := dir.Area("BD-08-1") // Debidwar, in Cumilla
	for _, lang := range onestop.Langs {
		f := newFixture(t)
		r := last(f.walk("s", bdCaller, "5", langKey(lang), "2", "Debidwr"))
		if r.End || !strings.Contains(r.Text, locales.AreaText(lang, locales.AreaConfirm)) || !strings.Contains(r.Text, "1 "+upazila.Name(lang)) {
			t.Fatalf("%s: typed a slip: %q, want Debidwar to confirm", lang, r.Text)
		}
		if cs := f.contacts(ctx); len(cs) == 1 && cs[0].Area != "" {
			t.Errorf("%s: filed under %s before she confirmed", lang, cs[0].Area)
		}
		r = last(f.walk("s2", bdCaller, "5", langKey(lang), "2", "Debidwr", "1"))
		if !strings.Contains(r.Text, upazila.Name(lang)) {
			t.Errorf("%s: after confirming: %q", lang, r.Text)
		}
		var areas []string
		for _, c := range f.contacts(ctx) {
			areas = append(areas, c.Area)
		}
		if !slices.Contains(areas, "BD-08") || slices.Contains(areas, "BD-08-1") {
			t.Errorf("%s: contacts filed under %q, want the confirmed one under BD-08", lang, areas)
		}
	}
	// Hapur is answered as itself, never as a district it is part of the name of.
	f := newFixture(t)
	r := last(f.walk("s", inCaller, "5", langKey(onestop.English), "2", "Hapur"))
	if !strings.Contains(r.Text, "Hapur") || strings.Contains(r.Text, "Thiruvananthapuram") {
		t.Errorf("Hapur: %q", r.Text)
	}
}
