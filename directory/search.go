package directory

import (
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
)

// Fold reduces a place name to what search compares: NFC-normalised, lower-case, without Latin
// diacritics, Arabic harakat or tatweel, Indic nukta, spaces or punctuation, with the letters
// that are spelled either way made one and common romanisations made one. Arabic: أ إ آ ٱ → ا,
// ة → ه, ى → ي. Bengali: ণ → ন, ী → ি, ূ → ু, ড় ঢ় → র, candrabindu → anusvara. Hindi: nukta
// dropped, ी → ि, ू → ु, candrabindu → anusvara. Latin: -gonj → -ganj, Chotto- → Chatto-,
// Moymon- → Mymen-. "Cox's Bazar", "coxs bazar" and "COXSBAZAR" fold alike, as do "رام الله"
// and "رام اللّه", and "ব্রাহ্মণবাড়িয়া" and "ব্রাহ্মনবারিয়া".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(norm.NFD.String(s))
	for i, r := range rs {
		nuktaNext := i+1 < len(rs) && rs[i+1] == 0x09BC
		switch {
		case (r == 'ড' || r == 'ঢ') && nuktaNext:
			b.WriteRune('র') // ড় ঢ় are written র as often as not
		case r == 0x0640 || r == 0x093C || r == 0x09BC:
			// tatweel; Devanagari and Bengali nukta: spelled with and without
		case unicode.Is(unicode.Mn, r) && r < 0x0900:
			// Latin diacritics, Arabic harakat
		case r == 0x0901:
			b.WriteRune(0x0902) // candrabindu → anusvara
		case r == 0x0981:
			b.WriteRune(0x0982)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			b.WriteRune(foldLetter(unicode.ToLower(r)))
		}
	}
	out := norm.NFC.String(b.String())
	if strings.ContainsFunc(out, func(r rune) bool { return r < 0x80 }) {
		out = romanisations.Replace(out)
	}
	return out
}

// romanisations are the spellings of one sound that Bangladeshi place names are written with.
var romanisations = strings.NewReplacer("gonj", "ganj", "chotto", "chatto", "moymon", "mymen", "comilla", "cumilla")

func foldLetter(r rune) rune {
	switch r {
	case 'ণ':
		return 'ন'
	case 'ী':
		return 'ি'
	case 'ূ':
		return 'ু'
	case 'ी':
		return 'ि'
	case 'ू':
		return 'ु'
	case 'أ', 'إ', 'آ', 'ٱ':
		return 'ا'
	case 'ة':
		return 'ه'
	case 'ى', 'ئ':
		return 'ي'
	case 'ؤ':
		return 'و'
	}
	return r
}

// foldAll folds every name and alias of an area, and its code, for search.
func foldAll(a Area) []string {
	out := []string{Fold(a.Code)}
	add := func(s string) {
		if f := Fold(s); f != "" && !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	for _, l := range onestop.Langs {
		add(a.Names[l])
	}
	for _, s := range a.Aliases {
		add(s)
	}
	return out
}

// minQuery is the shortest folded query that is searched: one letter would match half a country.
const minQuery = 2

// affixes are the words people type around a place name that are not part of it: "Dhaka
// district", "জেলা ঢাকা", "कटिहार जिला", "محافظة غزة". They are dropped before a name is folded,
// unless nothing else is left.
var affixes = map[string]bool{
	"district": true, "dist": true, "zila": true, "zilla": true, "jela": true, "jila": true, "division": true,
	"upazila": true, "upazilla": true, "thana": true, "state": true, "governorate": true,
	"জেলা": true, "জিলা": true, "উপজেলা": true, "বিভাগ": true, "থানা": true,
	"जिला": true, "ज़िला": true, "जनपद": true, "राज्य": true, "मंडल": true,
	"محافظة": true, "محافظه": true, "مدينة": true,
}

// FoldQuery folds what she typed as Fold does, first dropping the words around a place name
// that are not part of it (see affixes).
func FoldQuery(typed string) string {
	words := strings.FieldsFunc(norm.NFC.String(typed), func(r rune) bool {
		return unicode.IsSpace(r) || r == ',' || r == '.' || r == '-' || r == '،'
	})
	var kept []string
	for _, w := range words {
		if !affixes[strings.ToLower(w)] && !affixes[strings.ToLower(norm.NFC.String(strings.ReplaceAll(w, "\u093C", "")))] {
			kept = append(kept, w)
		}
	}
	if len(kept) == 0 {
		return Fold(typed)
	}
	return Fold(strings.Join(kept, " "))
}

// Match scores: how an area's name matched what she typed.
const (
	scoreExact  = iota // a name or alias, after folding
	scorePrefix        // a name starts with it
	scoreInside        // a name contains it
	scoreSlip          // a name one or two typing slips away
	scoreNone
)

// slips is how many typing slips a query of n letters may hold and still match: none under
// four letters, where one slip turns one place into another, one up to six, two beyond.
func slips(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 7:
		return 1
	}
	return 2
}

// score is how area i matches the folded query q.
func (d *state) score(i int, q string, qr []rune) int {
	best := scoreNone
	for _, f := range d.folded[i] {
		switch {
		case f == q:
			return scoreExact
		case strings.HasPrefix(f, q):
			best = min(best, scorePrefix)
		case strings.Contains(f, q):
			best = min(best, scoreInside)
		case best == scoreNone:
			if k := slips(len(qr)); k > 0 && within(qr, f, k) {
				best = scoreSlip
			}
		}
	}
	return best
}

// within reports whether a and b are at most k edits apart (Levenshtein, on runes).
func within(a []rune, s string, k int) bool {
	n := utf8.RuneCountInString(s)
	if abs(len(a)-n) > k || n > 64 {
		return false
	}
	var bb [64]rune
	b := bb[:0]
	for _, r := range s {
		b = append(b, r)
	}
	var pb, cb [65]int
	prev, cur := pb[:len(b)+1], cb[:len(b)+1]
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		low := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			low = min(low, cur[j])
		}
		if low > k {
			return false
		}
		prev, cur = cur, prev
	}
	return prev[len(b)] <= k
}

type match struct{ score, i int }

// matches returns every area of country matching what she typed, best first: exact names, then
// names starting with it, then names containing it, then names a slip or two away; within each,
// districts before upazilas before divisions and states, then in file order.
func (d *state) matches(country, typed string) []match {
	q := FoldQuery(typed)
	qr := []rune(q)
	if len(qr) < minQuery {
		return nil
	}
	var ms []match
	for i, a := range d.areas {
		if country != "" && a.Country != country {
			continue
		}
		if sc := d.score(i, q, qr); sc < scoreNone {
			ms = append(ms, match{sc, i})
		}
	}
	slices.SortStableFunc(ms, func(x, y match) int {
		if x.score != y.score {
			return x.score - y.score
		}
		return levelRank(d.areas[x.i]) - levelRank(d.areas[y.i])
	})
	return ms
}

// Search returns the areas of country whose name or alias, in any script, matches what she
// typed (see Lookup for the order). An empty country searches all. At most limit areas are
// returned (all when limit <= 0).
func (d *state) Search(country, typed string, limit int) []Area {
	ms := d.matches(country, typed)
	if limit > 0 && len(ms) > limit {
		ms = ms[:limit]
	}
	out := make([]Area, len(ms))
	for j, m := range ms {
		out[j] = d.areas[m.i].clone()
	}
	return out
}

// Outcome is what a typed place name comes to.
type Outcome string

// The outcomes of a lookup.
const (
	// Exact: a name or alias matched after folding, and it means one area: the answer.
	Exact Outcome = "exact"
	// Confirm: one area matched only in part or with a slip; she confirms it with one key.
	Confirm Outcome = "confirm"
	// List: several areas matched; she chooses one.
	List Outcome = "list"
	// NotFound: nothing matched.
	NotFound Outcome = "not found"
)

// Lookup is what a typed place name comes to: the area it means, the one to confirm, or the
// short list to choose from.
type Lookup struct {
	Outcome Outcome
	// Areas holds the area (Exact, Confirm) or the areas of the list, best first.
	Areas []Area
}

// Area returns the area of an Exact or Confirm lookup.
func (l Lookup) Area() (Area, bool) {
	if (l.Outcome == Exact || l.Outcome == Confirm) && len(l.Areas) == 1 {
		return l.Areas[0], true
	}
	return Area{}, false
}

// Lookup says what she typed means in country (all countries when ""): only an exact name or
// alias, after folding, is taken as the answer. When a district, its division and its upazila of
// the same name all match exactly (Dhaka, Khulna), the district is the answer, which gives the
// nearest help. A single partial match or a slip is for her to confirm; several matches are a
// list of at most limit (all when limit <= 0).
func (d *state) Lookup(country, typed string, limit int) Lookup {
	ms := d.matches(country, typed)
	if len(ms) == 0 {
		return Lookup{Outcome: NotFound}
	}
	var exact []int
	for _, m := range ms {
		if m.score == scoreExact {
			exact = append(exact, m.i)
		}
	}
	if i, ok := d.oneMeant(exact); ok {
		return Lookup{Outcome: Exact, Areas: []Area{d.areas[i].clone()}}
	}
	if len(exact) > 1 {
		ms = ms[:len(exact)] // a homonym: the namesakes only, each told apart by its parent
	}
	if len(ms) == 1 {
		return Lookup{Outcome: Confirm, Areas: []Area{d.areas[ms[0].i].clone()}}
	}
	if limit > 0 && len(ms) > limit {
		ms = ms[:limit]
	}
	out := Lookup{Outcome: List}
	for _, m := range ms {
		out.Areas = append(out.Areas, d.areas[m.i].clone())
	}
	return out
}

// oneMeant returns the one area that exact matches mean: the only one, or the one district that
// every other match contains or lies in.
func (d *state) oneMeant(exact []int) (int, bool) {
	switch len(exact) {
	case 0:
		return 0, false
	case 1:
		return exact[0], true
	}
	pick := -1
	for _, i := range exact {
		if d.areas[i].Level == LevelDistrict {
			if pick >= 0 {
				return 0, false
			}
			pick = i
		}
	}
	if pick < 0 {
		return 0, false
	}
	p := d.areas[pick]
	for _, i := range exact {
		if a := d.areas[i]; i != pick && a.Code != p.Parent && a.Parent != p.Code {
			return 0, false
		}
	}
	return pick, true
}

// Best returns the one area a typed name means, when it means one exactly (see Lookup): never
// a partial match, which she must confirm first.
func (d *state) Best(country, typed string) (Area, bool) {
	l := d.Lookup(country, typed, 0)
	if l.Outcome != Exact {
		return Area{}, false
	}
	return l.Areas[0], true
}

// Label is an area's name in lang as a list or an answer shows it: with the name of the area it
// lies in when another area of the country has the same name (Aurangabad (Bihar), Aurangabad
// (Maharashtra)), so that namesakes are always told apart.
func (d *state) Label(a Area, lang onestop.Lang) string {
	name := a.Name(lang)
	if a.TopLevel() || !d.homonym[a.Country+"|"+Fold(a.Names[onestop.English])] {
		return name
	}
	if p, ok := d.Area(a.Parent); ok {
		return name + " (" + p.Name(lang) + ")"
	}
	return name
}

func levelRank(a Area) int {
	switch {
	case a.TopLevel():
		return 2
	case a.Level == LevelUpazila:
		return 1
	}
	return 0
}

func (a Area) clone() Area {
	names := make(map[onestop.Lang]string, len(a.Names))
	for l, n := range a.Names {
		names[l] = n
	}
	a.Names = names
	a.Aliases = slices.Clone(a.Aliases)
	return a
}

// Areas returns the areas of country at level, in file order; an empty country or level matches
// every one.
func (d *state) Areas(country string, level Level) []Area {
	var out []Area
	for _, a := range d.areas {
		if (country == "" || a.Country == country) && (level == "" || a.Level == level) {
			out = append(out, a.clone())
		}
	}
	return out
}

// Area returns the area with code, and false when there is none.
func (d *state) Area(code string) (Area, bool) {
	i, ok := d.byCode[code]
	if !ok {
		return Area{}, false
	}
	return d.areas[i].clone(), true
}

// Top returns a country's first-level areas (divisions, states and union territories,
// governorates), in file order.
func (d *state) Top(country string) []Area {
	var out []Area
	for _, a := range d.areas {
		if a.Country == country && a.TopLevel() {
			out = append(out, a.clone())
		}
	}
	return out
}

// Children returns the areas inside code (a division's or a state's districts), in file order.
func (d *state) Children(code string) []Area {
	var out []Area
	for _, i := range d.children[code] {
		out = append(out, d.areas[i].clone())
	}
	return out
}

// Derived returns the centres that exist by design and have no row of their own, in area order:
// India's Sakhi One Stop Centre of each district, at the district headquarters, unverified.
func (d *state) Derived() []Centre {
	out := make([]Centre, len(d.derived))
	for i, c := range d.derived {
		out[i] = c.clone()
	}
	return out
}

// oscNames are the derived Sakhi centres' names; %s is the district's name in that language.
var oscNames = map[onestop.Lang]string{
	onestop.English: "Sakhi One Stop Centre, %s",
	onestop.Bengali: "সখী কেন্দ্র, %s",
	onestop.Hindi:   "सखी केंद्र, %s",
	onestop.Arabic:  "مركز سخي، %s",
}

// deriveOSCs places India's Sakhi One Stop Centre in every district that has no OSC row of its
// own. The scheme puts one in every district, but no public list gives an address, a phone or a
// point: each is placed at its district's headquarters, marked unverified, and named so that a
// caller knows 181 gives the address. It never invents an address or a number.
func deriveOSCs(centres []Centre, areas []Area) []Centre {
	var scheme *Centre
	for i := range centres {
		if centres[i].Country == "IN" && centres[i].Kind == KindOSC && centres[i].Area == "IN" {
			scheme = &centres[i]
			break
		}
	}
	if scheme == nil {
		return nil
	}
	byCode := map[string]Area{}
	for _, a := range areas {
		byCode[a.Code] = a
	}
	var helpline *Centre
	for i := range centres {
		if centres[i].Country == "IN" && centres[i].Kind == KindHelpline {
			helpline = &centres[i]
			break
		}
	}
	var out []Centre
	for _, a := range areas {
		if a.Country != "IN" || a.Level != LevelDistrict {
			continue
		}
		if slices.ContainsFunc(centres, func(c Centre) bool { return c.Kind == KindOSC && c.Area == a.Code }) {
			continue
		}
		c := Centre{
			ID: "in-osc-" + strconv.Itoa(a.LGD), Country: "IN", Kind: KindOSC, Area: a.Code,
			Names:    make(map[onestop.Lang]string, len(oscNames)),
			Hours:    scheme.Hours,
			Services: slices.Clone(scheme.Services),
			Lat:      a.Lat, Lon: a.Lon,
			Source: scheme.Source + "; located at the district's point, unverified; district: " + a.Source,
			AsOf:   scheme.AsOf,
		}
		if a.LGD == 0 {
			c.ID = "in-osc-" + strings.ToLower(a.Code)
		}
		// A district whose only point is its state's capital stands in for it: its centre is
		// not placed there, where it would be offered as "0 km away" to the capital's callers.
		if p, ok := byCode[a.Parent]; ok && p.Lat == a.Lat && p.Lon == a.Lon && !strings.Contains(a.Source, "headquarters town") {
			c.Lat, c.Lon = 0, 0
		}
		for l, f := range oscNames {
			c.Names[l] = strings.Replace(f, "%s", a.Name(l), 1)
		}
		// The English name says which line gives the address, where a helpline serves the
		// state: never 181 where 181 does not answer (West Bengal).
		if helpline != nil && (len(helpline.Serves) == 0 || slices.Contains(helpline.Serves, a.Parent)) {
			c.Names[onestop.English] += " (call " + helpline.Number() + " for the address)"
			c.Names[onestop.Hindi] += " (पता: " + helpline.Number() + " पर पूछें)"
		}
		out = append(out, c)
	}
	return out
}

// homonyms finds the names more than one area of a country has, counting a district's
// upazila of the district's own name and a division's district of its own name as one place.
func homonyms(areas []Area) map[string]bool {
	seen := map[string]Area{}
	out := map[string]bool{}
	for _, a := range areas {
		if a.TopLevel() {
			continue
		}
		k := a.Country + "|" + Fold(a.Names[onestop.English])
		if first, ok := seen[k]; ok && first.Code != a.Parent && first.Parent != a.Code {
			out[k] = true
		}
		if _, ok := seen[k]; !ok {
			seen[k] = a
		}
	}
	return out
}
