package directory

import (
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
)

// TestLookupTypedNames: what a survivor types, in every script, with old names, suffixes and
// slips, and what she gets: her district at once only for an exact name or alias, else a place to
// confirm or a short list, never a wrong district taken as hers.
func TestLookupTypedNames(t *testing.T) {
	d := mustEmbedded(t)
	const confirm, list, none = "confirm", "list", "none"
	tests := []struct {
		country, typed string
		want           string // an area code (exact), or confirm:<code>, list, none
	}{
		// Bangladesh, Latin: current, old and romanised names, suffixes.
		{"BD", "Dhaka", "BD-13"},
		{"BD", "Dhaka district", "BD-13"},
		{"BD", "dhaka zila", "BD-13"},
		{"BD", "Chittagong", "BD-10"},
		{"BD", "Chottogram", "BD-10"},
		{"BD", "Narayangonj", "BD-40"},
		{"BD", "Moymonsingh", "BD-34"},
		{"BD", "Comilla", "BD-08"},
		{"BD", "Jessore", "BD-22"},
		{"BD", "BOGRA", "BD-03"},
		{"BD", "Cox's Bazar", "BD-11"},
		// Bangladesh, Bengali: suffixes, the letters spelled either way.
		{"BD", "ঢাকা জেলা", "BD-13"},
		{"BD", "নারায়নগঞ্জ", "BD-40"},
		{"BD", "নারায়ণগঞ্জ", "BD-40"},
		{"BD", "নীলফামারি", "BD-46"},
		{"BD", "ব্রাহ্মনবারিয়া", "BD-04"},
		{"BD", "বরিশাল বিভাগ", "BD-06"},
		// Upazilas find their own row, and so their district.
		{"BD", "Debidwar", "BD-08-1"},
		{"BD", "দেবিদ্বার উপজেলা", "BD-08-1"},
		// Slips and parts are for her to confirm.
		{"BD", "Debidwr", confirm + ":BD-08-1"},
		{"BD", "Thakurgaon Sadr", confirm + ":"},
		{"BD", "pur", list},
		{"BD", "Xqzvbw", none},
		// India: the partial matches that used to be taken as the answer.
		{"IN", "Hapur", "IN-UP-661"},
		{"IN", "हापुड़", "IN-UP-661"},
		{"IN", "हापुड जिला", "IN-UP-661"},
		{"IN", "Patan", "IN-GJ-455"},
		{"IN", "Doda", "IN-JK-4"},
		{"IN", "Hapu", confirm + ":IN-UP-661"},
		{"IN", "Vadodra", confirm + ":"},
		// Homonyms: a list, each told apart by its state.
		{"IN", "Aurangabad", list},
		{"IN", "Bilaspur", list},
		{"IN", "Hamirpur", list},
		{"IN", "Pratapgarh", list},
		{"IN", "Balrampur", list},
		{"IN", "कलकत्ता", "IN-WB-315"},
		{"IN", "Bombay", "IN-MH-482"},
		{"IN", "Gulbarga", "IN-KA-538"},
		{"IN", "North 24 Parganas", "IN-WB-303"},
		{"IN", "উত্তর ২৪ পরগনা", "IN-WB-303"},
		{"IN", "बिहार राज्य", "IN-BR"},
		// Palestine, Arabic spelled either way, with and without محافظة.
		{"PS", "غزة", "PS-GZA"},
		{"PS", "غزه", "PS-GZA"},
		{"PS", "محافظة غزة", "PS-GZA"},
		{"PS", "اريحا", "PS-JRH"},
		{"PS", "رام الله", "PS-RBH"},
		{"PS", "Khan Younis", "PS-KYS"},
		{"PS", "Khan Yunus", confirm + ":PS-KYS"},
	}
	for _, tt := range tests {
		l := d.Lookup(tt.country, tt.typed, 8)
		got := string(l.Outcome)
		switch {
		case tt.want == list:
			if l.Outcome != List {
				t.Errorf("Lookup(%q) = %s %v, want a list", tt.typed, got, codes(l.Areas))
			}
		case tt.want == none:
			if l.Outcome != NotFound {
				t.Errorf("Lookup(%q) = %s %v, want not found", tt.typed, got, codes(l.Areas))
			}
		case strings.HasPrefix(tt.want, confirm):
			code := strings.TrimPrefix(tt.want, confirm+":")
			if l.Outcome == Exact || (l.Outcome == Confirm && code != "" && l.Areas[0].Code != code) ||
				(l.Outcome == List && code != "" && (len(l.Areas) == 0 || l.Areas[0].Code != code)) || l.Outcome == NotFound {
				t.Errorf("Lookup(%q) = %s %v, want %s to confirm", tt.typed, got, codes(l.Areas), code)
			}
		default:
			if a, ok := l.Area(); l.Outcome != Exact || !ok || a.Code != tt.want {
				t.Errorf("Lookup(%q) = %s %v, want %s exactly", tt.typed, got, codes(l.Areas), tt.want)
			}
		}
	}
}

// TestHomonymsToldApart: every screen that names a namesake names its state too.
func TestHomonymsToldApart(t *testing.T) {
	d := mustEmbedded(t)
	for _, name := range []string{"Aurangabad", "Bilaspur", "Hamirpur", "Pratapgarh", "Balrampur"} {
		l := d.Lookup("IN", name, 0)
		seen := map[string]bool{}
		for _, a := range l.Areas {
			for _, lang := range []onestop.Lang{onestop.English, onestop.Hindi} {
				label := d.Label(a, lang)
				if !strings.Contains(label, "(") || seen[label] {
					t.Errorf("%s: label %q does not tell it apart", name, label)
				}
				seen[label] = true
			}
		}
		if len(l.Areas) < 2 {
			t.Errorf("%s: %d areas, want its namesakes", name, len(l.Areas))
		}
	}
	if a, _ := d.Area("IN-UP-162"); d.Label(a, onestop.English) != a.Names[onestop.English] {
		t.Errorf("Lucknow labelled %q", d.Label(a, onestop.English))
	}
}

// TestNoAnswerAcrossABorder: for every area, every centre an answer offers is of her country
// and serves her region; Gaza never gets a West Bank unit, West Bengal never 181, and an answer
// always ends with a number that serves her.
func TestNoAnswerAcrossABorder(t *testing.T) {
	d := mustEmbedded(t)
	for _, a := range d.Areas("", "") {
		hits, ok := d.ForArea(a.Code, Query{})
		if !ok || len(hits) == 0 {
			t.Fatalf("ForArea(%s): %v %v", a.Code, hits, ok)
		}
		for _, h := range hits {
			c := h.Centre
			if c.Country != a.Country || !d.Serves(c, a.Code) {
				t.Errorf("%s offered %s (%s, area %s)", a.Code, c.ID, c.Country, c.Area)
			}
			if d.Region(a.Code) == "PS-GAZA" && c.Area != "PS" && !gazaStrip[c.Area] {
				t.Errorf("Gaza's %s offered %s across the closed line", a.Code, c.ID)
			}
			if strings.HasPrefix(a.Code, "IN-WB") && c.Number() == "181" {
				t.Errorf("West Bengal's %s offered 181", a.Code)
			}
			if c.Kind != KindHelpline && c.Kind != KindEmergency && c.Area != c.Country && d.Region(c.Area) != d.Region(a.Code) && len(c.Serves) == 0 {
				t.Errorf("%s offered %s of another region", a.Code, c.ID)
			}
		}
		if lastHit := hits[len(hits)-1].Centre; lastHit.Number() == "" {
			t.Errorf("%s: the answer ends with %s, which has no number", a.Code, lastHit.ID)
		}
	}
}

// BenchmarkLookup looks up a name of every area, and a slip of it, over all areas.
func BenchmarkLookup(b *testing.B) {
	d, err := Embedded()
	if err != nil {
		b.Fatal(err)
	}
	var typed []string
	for _, a := range d.Areas("", "") {
		n := a.Names[onestop.English]
		typed = append(typed, n)
		if len(n) > 5 {
			typed = append(typed, n[:2]+n[3:])
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		_ = d.Lookup("", typed[i%len(typed)], 8)
	}
	b.ReportMetric(float64(len(d.Areas("", ""))), "areas")
}

func TestCheckAndFindPrint(t *testing.T) {
	d := mustEmbedded(t)
	r := d.Check()
	if len(r.Countries) != 3 {
		t.Fatalf("%d countries", len(r.Countries))
	}
	for _, c := range r.Countries {
		if c.AreasTotal == 0 || c.WithCentreServing > c.AreasTotal || c.WithPhone > c.Centres || c.WithSource != c.Centres {
			t.Errorf("%+v", c)
		}
	}
	var b strings.Builder
	if err := r.Print(&b); err != nil || !strings.Contains(b.String(), "494 upazilas") {
		t.Errorf("Print: %v\n%s", err, b.String())
	}
	for _, tt := range []struct{ country, typed, want string }{
		{"PS", "Gaza", "no centre is known to serve it"},
		{"BD", "Debidwr", "asked to confirm Debidwar"},
		{"IN", "Aurangabad", "Aurangabad (Bihar)"},
		{"BD", "Xqzvbw", "National Helpline"},
	} {
		b.Reset()
		if err := d.Find(tt.country, tt.typed).Print(&b); err != nil || !strings.Contains(b.String(), tt.want) {
			t.Errorf("Find(%q): %v\n%s", tt.typed, err, b.String())
		}
	}
}
