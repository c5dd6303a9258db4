package directory

import (
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
)

// Fold reduces a place name to what search compares: NFC-normalised, lower-case, without Latin
// diacritics, Arabic harakat or tatweel, Indic nukta, spaces or punctuation, with the Arabic
// letters that are spelled either way made one (أ إ آ ٱ → ا, ة → ه, ى → ي) and candrabindu made
// anusvara. "Cox's Bazar", "coxs bazar" and "COXSBAZAR" fold alike, as do "رام الله" and "رام اللّه".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range norm.NFD.String(s) {
		switch {
		case r == 0x0640 || r == 0x093C || r == 0x09BC:
			// tatweel; Devanagari and Bengali nukta: spelled with and without
		case unicode.Is(unicode.Mn, r) && r < 0x0900:
			// Latin diacritics, Arabic harakat
		case r == 0x0901:
			b.WriteRune(0x0902) // candrabindu → anusvara
		case r == 0x0981:
			b.WriteRune(0x0982)
		case unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.M, r):
			b.WriteRune(foldArabic(unicode.ToLower(r)))
		}
	}
	return norm.NFC.String(b.String())
}

func foldArabic(r rune) rune {
	switch r {
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

// Search returns the areas of country whose name or alias, in any script, matches what she
// typed: exact matches first, then names starting with it, then names containing it; districts
// before divisions and states within each, then in file order. An empty country searches all.
// At most limit areas are returned (all when limit <= 0).
func (d *Directory) Search(country, typed string, limit int) []Area {
	q := Fold(typed)
	if len([]rune(q)) < minQuery {
		return nil
	}
	type match struct{ score, i int }
	var ms []match
	for i, a := range d.areas {
		if country != "" && a.Country != country {
			continue
		}
		best := 3
		for _, f := range d.folded[i] {
			switch {
			case f == q:
				best = 0
			case strings.HasPrefix(f, q):
				best = min(best, 1)
			case strings.Contains(f, q):
				best = min(best, 2)
			}
		}
		if best < 3 {
			ms = append(ms, match{best, i})
		}
	}
	slices.SortStableFunc(ms, func(x, y match) int {
		if x.score != y.score {
			return x.score - y.score
		}
		return levelRank(d.areas[x.i]) - levelRank(d.areas[y.i])
	})
	if limit > 0 && len(ms) > limit {
		ms = ms[:limit]
	}
	out := make([]Area, len(ms))
	for j, m := range ms {
		out[j] = d.areas[m.i].clone()
	}
	return out
}

// Best returns the one area a typed name means, when it means one: the single best match, or,
// when a district and the division of the same name tie (Dhaka, Khulna), the district, which
// gives the nearer answer. ok is false when nothing or several things match equally.
func (d *Directory) Best(country, typed string) (Area, bool) {
	ms := d.Search(country, typed, 0)
	if len(ms) == 0 {
		return Area{}, false
	}
	if len(ms) == 1 {
		return ms[0], true
	}
	q := Fold(typed)
	exact := func(a Area) bool { return slices.Contains(d.folded[d.byCode[a.Code]], q) }
	var tied []Area
	for _, a := range ms {
		if exact(a) {
			tied = append(tied, a)
		}
	}
	if len(tied) == 1 {
		return tied[0], true
	}
	var districts []Area
	for _, a := range tied {
		if !a.TopLevel() {
			districts = append(districts, a)
		}
	}
	if len(districts) == 1 {
		for _, a := range tied {
			if a.TopLevel() && a.Code != districts[0].Parent {
				return Area{}, false
			}
		}
		return districts[0], true
	}
	return Area{}, false
}

func levelRank(a Area) int {
	if a.TopLevel() {
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
func (d *Directory) Areas(country string, level Level) []Area {
	var out []Area
	for _, a := range d.areas {
		if (country == "" || a.Country == country) && (level == "" || a.Level == level) {
			out = append(out, a.clone())
		}
	}
	return out
}

// Area returns the area with code, and false when there is none.
func (d *Directory) Area(code string) (Area, bool) {
	i, ok := d.byCode[code]
	if !ok {
		return Area{}, false
	}
	return d.areas[i].clone(), true
}

// Top returns a country's first-level areas (divisions, states and union territories,
// governorates), in file order.
func (d *Directory) Top(country string) []Area {
	var out []Area
	for _, a := range d.areas {
		if a.Country == country && a.TopLevel() {
			out = append(out, a.clone())
		}
	}
	return out
}

// Children returns the areas inside code (a division's or a state's districts), in file order.
func (d *Directory) Children(code string) []Area {
	var out []Area
	for _, i := range d.children[code] {
		out = append(out, d.areas[i].clone())
	}
	return out
}

// Derived returns the centres that exist by design and have no row of their own, in area order:
// India's Sakhi One Stop Centre of each district, at the district headquarters, unverified.
func (d *Directory) Derived() []Centre {
	out := make([]Centre, len(d.derived))
	for i, c := range d.derived {
		out[i] = c.clone()
	}
	return out
}

// oscNames are the derived Sakhi centres' names; %s is the district's name in that language.
var oscNames = map[onestop.Lang]string{
	onestop.English: "Sakhi One Stop Centre, %s (call 181 for the address)",
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
			Source: scheme.Source + "; located at the district headquarters, unverified; district: " + a.Source,
			AsOf:   scheme.AsOf,
		}
		if a.LGD == 0 {
			c.ID = "in-osc-" + strings.ToLower(a.Code)
		}
		for l, f := range oscNames {
			c.Names[l] = strings.Replace(f, "%s", a.Name(l), 1)
		}
		out = append(out, c)
	}
	return out
}
