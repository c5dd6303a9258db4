package locales

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/onestop-helpline/onestop"
)

func TestMenu(t *testing.T) {
	five := []Option{{"1", "One"}, {"2", "Two"}, {"3", "Three"}, {"4", "Four"}, {"5", "Five"}}
	tests := []struct {
		name    string
		lang    onestop.Lang
		lim     Limit
		header  string
		options []Option
		nav     Nav
		want    []string
	}{
		{"one page", onestop.English, DefaultLimit, "Hi", five[:2], Nav{Exit: true},
			[]string{"Hi\n1 One\n2 Two\n0 Exit"}},
		{"no header, no nav", onestop.English, DefaultLimit, "", five[:1], Nav{},
			[]string{"1 One"}},
		{"back on first page", onestop.English, DefaultLimit, "", five[:1], Nav{Back: true, Exit: true},
			[]string{"1 One\n99 Back\n0 Exit"}},
		{"nothing at all", onestop.English, DefaultLimit, "", nil, Nav{Exit: true},
			[]string{"0 Exit"}},
		{"paged", onestop.English, Limit{GSM7: 35, UCS2: 20}, "", five, Nav{Exit: true}, []string{
			"1 One\n2 Two\n3 Three\n98 More\n0 Exit",
			"4 Four\n5 Five\n99 Back\n0 Exit",
		}},
		{"paged with back", onestop.English, Limit{GSM7: 40, UCS2: 20}, "", five, Nav{Back: true, Exit: true}, []string{
			"1 One\n2 Two\n98 More\n99 Back\n0 Exit",
			"3 Three\n4 Four\n5 Five\n99 Back\n0 Exit",
		}},
		{"three pages", onestop.English, Limit{GSM7: 30, UCS2: 15}, "Pick:", five, Nav{Back: true}, []string{
			"Pick:\n1 One\n98 More\n99 Back",
			"2 Two\n3 Three\n98 More\n99 Back",
			"4 Four\n5 Five\n99 Back",
		}},
		{"native navigation", onestop.Bengali, DefaultLimit, "", five[:1], Nav{Back: true, Exit: true},
			[]string{"1 One\n99 ফিরুন\n0 বন্ধ"}},
		{"unknown language navigates in English", "fr", DefaultLimit, "", five[:1], Nav{Exit: true},
			[]string{"1 One\n0 Exit"}},
		{"long option truncated, gsm", onestop.English, Limit{GSM7: 30, UCS2: 15}, "",
			[]Option{{"1", "A very long label that cannot fit"}}, Nav{},
			[]string{"1 A very long label that ca..."}},
		{"long option truncated, ucs2", onestop.Bengali, Limit{GSM7: 40, UCS2: 10}, "",
			[]Option{{"1", "এখন কথা বলুন"}}, Nav{},
			[]string{"1 এখন কথা…"}},
		{"truncation keeps vowel sign with its letter", onestop.Bengali, Limit{GSM7: 40, UCS2: 6}, "",
			[]Option{{"1", "কথাবলুন"}}, Nav{},
			[]string{"1 কথা…"}},
		{"truncation keeps conjunct whole", onestop.Bengali, Limit{GSM7: 40, UCS2: 6}, "",
			[]Option{{"1", "অন্যরা"}}, Nav{},
			[]string{"1 অ…"}},
		{"header that does not fit beside an option gets a page of its own", onestop.English, Limit{GSM7: 30, UCS2: 15},
			"Choose one of these", five[:2], Nav{}, []string{
				"Choose one of these\n98 More",
				"1 One\n2 Two\n99 Back",
			}},
		{"bare keys rather than no room or a truncated option", onestop.English, Limit{GSM7: 20, UCS2: 12}, "", five[:3], Nav{Back: true, Exit: true},
			[]string{"1 One\n2 Two\n98\n99\n0", "3 Three\n99\n0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Menu(tt.lang, tt.lim, tt.header, tt.options, tt.nav)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Menu() =\n%q\nwant\n%q", got, tt.want)
			}
			for _, p := range got {
				if !tt.lim.Fits(p) {
					t.Errorf("page over %v: %q", tt.lim, p)
				}
			}
		})
	}
}

func TestProse(t *testing.T) {
	tests := []struct {
		name string
		lang onestop.Lang
		lim  Limit
		body string
		nav  Nav
		want []string
	}{
		{"one page", onestop.English, DefaultLimit, "Call 109 free.", Nav{Exit: true},
			[]string{"Call 109 free.\n0 Exit"}},
		{"empty", onestop.English, DefaultLimit, " \n ", Nav{Exit: true},
			[]string{"0 Exit"}},
		{"breaks at spaces", onestop.English, Limit{GSM7: 30, UCS2: 15}, "one two three four five six seven", Nav{}, []string{
			"one two three four\n98 More",
			"five six seven\n99 Back",
		}},
		{"keeps a line whole when it fits a page", onestop.English, Limit{GSM7: 50, UCS2: 25},
			"Help you can reach:\nDhaka OSC: 01713000000\nCTG: 109", Nav{Exit: true}, []string{
				"Help you can reach:\n98 More\n0 Exit",
				"Dhaka OSC: 01713000000\nCTG: 109\n99 Back\n0 Exit",
			}},
		{"breaks a line too long for any page, never a number", onestop.English, Limit{GSM7: 30, UCS2: 15},
			"Dhaka OSC: 01713000000\nCTG: 109", Nav{Exit: true}, []string{
				"Dhaka OSC:\n98 More\n0 Exit",
				"01713000000\nCTG: 109\n99\n0",
			}},
		{"drops blank lines and edge space", onestop.English, DefaultLimit, "\n  a  \n\n b\n", Nav{},
			[]string{"a\nb"}},
		{"cuts a word longer than a page", onestop.English, Limit{GSM7: 20, UCS2: 12}, strings.Repeat("x", 30), Nav{}, []string{
			strings.Repeat("x", 12) + "\n98 More",
			strings.Repeat("x", 4) + "\n98 More\n99 Back",
			strings.Repeat("x", 14) + "\n99",
		}},
		{"native breaks at spaces", onestop.Hindi, Limit{GSM7: 40, UCS2: 20}, "घर में हिंसा अपराध है।", Nav{}, []string{
			"घर में हिंसा\n98 और",
			"अपराध है।\n99 पीछे",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Prose(tt.lang, tt.lim, tt.body, tt.nav)
			if !slices.Equal(got, tt.want) {
				t.Errorf("Prose() =\n%q\nwant\n%q", got, tt.want)
			}
			for _, p := range got {
				if !tt.lim.Fits(p) {
					t.Errorf("page over %v: %q", tt.lim, p)
				}
			}
		})
	}
}

// A word cut between pages is not cut inside a syllable when the page has room for a whole one:
// here from 21 units, the navigation (15) and its newline plus the longest syllable (স্থ্য, 5).
func TestProseCutsBetweenSyllables(t *testing.T) {
	word := strings.Repeat("স্বাস্থ্য", 6)
	for ucs2 := 21; ucs2 <= 40; ucs2++ {
		lim := Limit{GSM7: 40, UCS2: ucs2}
		pages := Prose(onestop.Bengali, lim, word, Nav{})
		var content []string
		for _, p := range pages {
			line, _, _ := strings.Cut(p, "\n")
			content = append(content, line)
		}
		if got := strings.Join(content, ""); got != word {
			t.Fatalf("UCS2 %d: pages %q do not rebuild the word", ucs2, pages)
		}
		for i, c := range content[1:] {
			r, _ := utf8.DecodeRuneInString(c)
			last, _ := utf8.DecodeLastRuneInString(content[i])
			if unicode.In(r, unicode.M) || last == '\u09CD' {
				t.Errorf("UCS2 %d: page %d is cut inside a syllable: %q | %q", ucs2, i+1, content[i], c)
			}
		}
	}
}

// The properties every layout must keep, for random text in every script, random options and
// every limit down to the smallest honoured.
func TestLayoutProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	limits := []Limit{DefaultLimit, safeLimit, {GSM7: 40, UCS2: 20}, {GSM7: minGSM7, UCS2: minUCS2}, {GSM7: 60, UCS2: 30}}
	for range 20 {
		limits = append(limits, Limit{GSM7: minGSM7 + rng.IntN(180), UCS2: minUCS2 + rng.IntN(80)})
	}
	navs := []Nav{{}, {Back: true}, {Exit: true}, {Back: true, Exit: true}}
	for i := range 3000 {
		lang := onestop.Langs[rng.IntN(len(onestop.Langs))]
		lim := limits[rng.IntN(len(limits))]
		nav := navs[rng.IntN(len(navs))]
		header := randomText(rng, rng.IntN(3), true)
		options := make([]Option, rng.IntN(12))
		for j := range options {
			options[j] = Option{Key: fmt.Sprint(j + 1), Label: randomText(rng, 1+rng.IntN(2), false)}
		}
		name := fmt.Sprintf("case %d %s %v %+v", i, lang, lim, nav)

		pages := Menu(lang, lim, header, options, nav)
		content := checkPages(t, name+" menu", lang, lim, nav, pages)
		if len(content) < len(options) {
			t.Fatalf("%s: %d options, %d content lines: %q", name, len(options), len(content), pages)
		}
		head, lines := content[:len(content)-len(options)], content[len(content)-len(options):]
		if got, want := squeezeLines(head), squeeze(header); got != want {
			t.Fatalf("%s: header %q laid out as %q", name, header, pages)
		}
		for j, o := range options {
			checkOption(t, name, o, lines[j])
		}

		body := randomText(rng, rng.IntN(6), true)
		pages = Prose(lang, lim, body, nav)
		content = checkPages(t, name+" prose", lang, lim, nav, pages)
		if got, want := squeezeLines(content), squeeze(body); got != want {
			t.Fatalf("%s: body %q laid out as %q", name, body, pages)
		}
	}
}

// contentLine is one line of a page other than its navigation.
type contentLine struct {
	text  string
	alone bool // the only one on its page
}

// squeezeLines is the lines' text without white space. Each line is squeezed on its own: two
// halves of invalid UTF-8 could join into a character that was never there.
func squeezeLines(ls []contentLine) string {
	var b strings.Builder
	for _, l := range ls {
		b.WriteString(squeeze(l.text))
	}
	return b.String()
}

// checkPages checks what every page list must be and returns the content lines, in order.
func checkPages(t *testing.T, name string, lang onestop.Lang, lim Limit, nav Nav, pages []string) []contentLine {
	t.Helper()
	if len(pages) == 0 {
		t.Fatalf("%s: no page", name)
	}
	words := [3]string{"98 " + Text(lang, More), "99 " + Text(lang, Back), "0 " + Text(lang, Exit)}
	keys := [3]string{"98", "99", "0"}
	var content []contentLine
	for i, p := range pages {
		if !lim.Fits(p) {
			n, _ := Length(p)
			t.Fatalf("%s: page %d is %d units, over %v: %q", name, i, n, lim, p)
		}
		var wantFull, wantBare []string
		for j, on := range [3]bool{i < len(pages)-1, i > 0 || nav.Back, nav.Exit} {
			if on {
				wantFull, wantBare = append(wantFull, words[j]), append(wantBare, keys[j])
			}
		}
		lines := strings.Split(p, "\n")
		if len(lines) < len(wantFull) {
			t.Fatalf("%s: page %d lacks navigation %q: %q", name, i, wantFull, p)
		}
		tail := lines[len(lines)-len(wantFull):]
		if !slices.Equal(tail, wantFull) && !slices.Equal(tail, wantBare) {
			t.Fatalf("%s: page %d ends %q, want %q: %q", name, i, tail, wantFull, pages)
		}
		body := lines[:len(lines)-len(wantFull)]
		if len(body) == 0 && len(pages) > 1 {
			t.Fatalf("%s: page %d carries nothing but navigation: %q", name, i, pages)
		}
		for _, l := range body {
			content = append(content, contentLine{text: l, alone: len(body) == 1})
		}
	}
	return content
}

// checkOption checks that line is option o, whole or, alone on a page, truncated.
func checkOption(t *testing.T, name string, o Option, line contentLine) {
	t.Helper()
	want := o.Key + " " + o.Label
	if line.text == want {
		return
	}
	for _, ellipsis := range []string{"…", "..."} {
		if head, ok := strings.CutSuffix(line.text, ellipsis); ok && line.alone &&
			strings.HasPrefix(head, o.Key+" ") && strings.HasPrefix(want, head) {
			return
		}
	}
	t.Fatalf("%s: option %q shown as %q (alone on its page: %v)", name, want, line.text, line.alone)
}

// squeeze drops all white space: what layout may change is only where lines break.
func squeeze(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}

// randomText makes n lines (or one line of n words when lines is false) from every script the
// helpline meets, GSM-7 extension characters, emoji and words longer than any page.
func randomText(rng *rand.Rand, n int, lines bool) string {
	pieces := []string{
		"a", "Dhaka", "OSC", "109", "{", "€", "ç", "😀", "-", ":",
		"ক", "্", "ষ", "া", "ি", "ং", "নম্বর", "স্বাস্থ্য",
		"क", "्", "ष", "ा", "ि", "ं", "मदद",
		"ا", "ل", "ً", "مساعدة",
	}
	var b strings.Builder
	for i := range n {
		if i > 0 {
			if lines {
				b.WriteString("\n")
			} else {
				b.WriteString(" ")
			}
		}
		for w := range 1 + rng.IntN(8) {
			if w > 0 {
				b.WriteString(strings.Repeat(" ", 1+rng.IntN(2)))
			}
			for range 1 + int(rng.ExpFloat64()*4) {
				b.WriteString(pieces[rng.IntN(len(pieces))])
			}
		}
	}
	return b.String()
}

// FuzzProse checks Prose's properties for any text and any honoured limit.
func FuzzProse(f *testing.F) {
	f.Add("Dhaka OSC: 01713000000\nCTG: 109", uint8(10), uint8(10), true)
	f.Add(Text(onestop.Bengali, InfoRightsBody, "109"), uint8(100), uint8(0), false)
	f.Add(strings.Repeat("স্বাস্থ্য", 9), uint8(0), uint8(3), true)
	f.Add("a\xff\u0301 {€} 😀😀😀", uint8(1), uint8(1), false)
	f.Fuzz(func(t *testing.T, body string, gsm7, ucs2 uint8, back bool) {
		lim := Limit{GSM7: minGSM7 + int(gsm7), UCS2: minUCS2 + int(ucs2)}
		nav := Nav{Back: back, Exit: true}
		for _, lang := range onestop.Langs {
			pages := Prose(lang, lim, body, nav)
			content := checkPages(t, fmt.Sprintf("%s %v", lang, lim), lang, lim, nav, pages)
			if got, want := squeezeLines(content), squeeze(body); got != want {
				t.Fatalf("%s %v: body %q laid out as %q", lang, lim, body, pages)
			}
		}
	})
}

func BenchmarkMenu(b *testing.B) {
	for _, bm := range []struct {
		name    string
		lang    onestop.Lang
		header  string
		options []Option
	}{
		{"first screen en", onestop.English, "", firstScreen(onestop.English)},
		{"first screen bn", onestop.Bengali, "", firstScreen(onestop.Bengali)},
		{"info bn paged", onestop.Bengali, Text(onestop.Bengali, InfoHeader),
			numbered(onestop.Bengali, InfoMedical, InfoPolice, InfoLegal, InfoCounselling, InfoShelter, InfoRights)},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Menu(bm.lang, DefaultLimit, bm.header, bm.options, Nav{Back: true, Exit: true})
			}
		})
	}
}

func BenchmarkProse(b *testing.B) {
	body := Text(onestop.Bengali, InfoRightsBody, "109")
	b.ReportAllocs()
	for b.Loop() {
		Prose(onestop.Bengali, DefaultLimit, body, Nav{Back: true, Exit: true})
	}
}
