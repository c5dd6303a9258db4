package flows

import (
	"slices"
	"strconv"
	"strings"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/locales"
)

// The find-help screens after the first (stHelp: the helpline, then her division, state or
// governorate to choose, or a place name to type).
const (
	stDistricts = "area_districts" // the districts of the division or state she chose
	stMatches   = "area_matches"   // the places her typed name matched
	stNoMatch   = "area_no_match"  // nothing matched: type again or choose
	stCentres   = "area_centres"   // the answer: up to three centres, then the helpline
)

// maxMatches is how many places a typed search offers; more means she should type more.
const maxMatches = 8

// areaHop carries the find-help choices made in one hop to its render: the places offered on
// the next screen and the area she chose. Both are kept in her session (Session.Offered, Area)
// and nowhere else: never under her number, where the next person to dial from a shared phone
// would inherit them.
type areaHop struct {
	offered    []string
	hasOffered bool
	chosen     string
}

// offer records the places the next screen lists.
func (st *step) offer(codes []string) {
	st.area.offered, st.area.hasOffered = codes, true
	st.s.Offered = strings.Join(codes, ",")
}

// choose records the area she chose: on her contact, so whoever calls her back knows her
// district, and in this session, for the answer on screen.
//
// An upazila is answered as itself, but her contact records its district: whoever calls her back,
// and the officials' alerts, are organised by district.
func (st *step) choose(code string) {
	st.area.chosen, st.s.Area = code, code
	contact := code
	if a, ok := st.e.dir.Area(code); ok && a.Level == directory.LevelUpazila {
		contact = a.Parent
	}
	st.change(func(c *onestop.Contact) { c.Area = contact })
}

// offered returns the places the current screen lists: this hop's, or those kept in the session
// when the screen was first shown.
func (st *step) offered() []string {
	if st.area.hasOffered {
		return st.area.offered
	}
	if st.s.Offered == "" {
		return nil
	}
	return strings.Split(st.s.Offered, ",")
}

// chosenArea returns the area whose answer is on screen.
func (st *step) chosenArea() string {
	if st.area.chosen != "" {
		return st.area.chosen
	}
	return st.s.Area
}

// firstStates are the Indian states and union territories the first find-help screen lists
// first, in this order: the Hindi-speaking states, where most callers are, so that Uttar Pradesh
// is on page one and not nine pages in.
var firstStates = []string{"IN-UP", "IN-BR", "IN-MP", "IN-RJ", "IN-JH", "IN-CG", "IN-HR", "IN-DL", "IN-UK", "IN-HP"}

// topCodes are the choices of the first find-help screen: the country's divisions, states and
// union territories, or governorates, in the directory's order, except that India's Hindi-speaking
// states come first and Palestine's West Bank governorates are listed before Gaza's, each region
// together. Her remembered area is not shown first: anyone else dialling from her phone would see
// that she had asked before.
func (st *step) topCodes() []string {
	var codes []string
	for _, a := range TopAreas(st.e.dir, st.s.Country) {
		codes = append(codes, a.Code)
	}
	return codes
}

// TopAreas are the first find-help screen's choices for country, in the order it lists them.
func TopAreas(dir *directory.Directory, country string) []directory.Area {
	var first, rest, later []directory.Area
	for _, a := range dir.Top(country) {
		switch {
		case slices.Contains(firstStates, a.Code):
		case dir.Region(a.Code) == "PS-GAZA":
			later = append(later, a)
		default:
			rest = append(rest, a)
		}
	}
	for _, c := range firstStates {
		if a, ok := dir.Area(c); ok && a.Country == country {
			first = append(first, a)
		}
	}
	return append(append(first, rest...), later...)
}

// parseArea maps an input on a find-help screen to an event: a number picks from the list on
// screen, anything else is a place name to search for.
func (st *step) parseArea(in string) (event string, arg any, ok bool) {
	s := st.s
	var list []string
	switch s.State {
	case stHelp, stNoMatch:
		list = st.topCodes()
	case stDistricts, stMatches:
		list = st.offered()
	case stWhere: // a name typed at the question for her district; its keys are parse's
	default:
		return "", nil, false
	}
	if isDigits(in) {
		i := choice(in, len(list))
		if i == 0 {
			return "", nil, false
		}
		return st.pick(list[i-1])
	}
	// Only an exact name or alias is taken as her answer; a single partial match or a slip is
	// offered alone, for her to confirm with one key, and several as a short list.
	found := st.e.dir.Lookup(s.Country, in, maxMatches)
	if found.Outcome == directory.Exact {
		return st.pick(found.Areas[0].Code)
	}
	if found.Outcome == directory.NotFound {
		if s.State == stNoMatch {
			return "", nil, false // the same screen again, as an invalid key: the third ends kindly
		}
		return "nomatch", nil, true
	}
	codes := make([]string, len(found.Areas))
	for i, a := range found.Areas {
		codes[i] = a.Code
	}
	if s.State == stMatches {
		return "", nil, false // a search from the list of matches: choose from it or go back
	}
	return "matches", codes, true
}

// pick is the event for choosing area code: its districts when it has any, else its answer.
func (st *step) pick(code string) (string, any, bool) {
	a, _ := st.e.dir.Area(code)
	if a.TopLevel() && len(st.e.dir.Children(code)) > 0 && st.s.State != stDistricts {
		return "division", code, true
	}
	if st.s.Asking {
		return "district", code, true // recorded on her contact, and the session ends
	}
	return "area", code, true
}

func isDigits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}

// areaScreen is the current find-help screen, with hint (already in her language) shown above
// it after an invalid key.
func (st *step) areaScreen(hint string) onestop.Screen {
	s := st.s
	lang := s.Lang
	scr := onestop.Screen{Lang: lang, Hint: hint, Back: true, Exit: true}
	switch s.State {
	case stHelp, stNoMatch:
		// The prompt names what the list holds: divisions, states or governorates.
		ask := areaText(lang, st.askTop())
		head := st.helplineLine() + "\n" + ask
		if s.State == stNoMatch {
			head = st.helplineLine() + "\n" + areaText(lang, areaNotFound)
		}
		if s.Asking { // asked for her district after her plan: she has the numbers already
			head = ask
			if s.State == stNoMatch {
				head = areaText(lang, areaNotFound)
			}
		}
		scr.Prompt, scr.Options = head, st.areaOptions(st.topCodes())
	case stDistricts, stMatches:
		head := areaText(lang, locales.AreaAskDistrict)
		if s.State == stMatches {
			head = areaText(lang, areaChoose)
			if len(st.offered()) == 1 {
				head = areaText(lang, locales.AreaConfirm)
			}
		}
		scr.Prompt, scr.Options = head, st.areaOptions(st.offered())
	case stCentres:
		scr.Prompt, scr.Prose = st.answerText(), true
	}
	return scr
}

// helplineLine is the national helpline, which heads the first find-help screen so that she has
// a number to call before choosing anything.
func (st *step) helplineLine() string {
	h, ok := st.e.dir.Helpline(st.s.Country)
	if !ok {
		return locales.Text(st.s.Lang, locales.HelpHeader)
	}
	// The short form: the full name would push the question off the first page in Bengali.
	return locales.Text(st.s.Lang, locales.HelplineShort, h.Number())
}

// askTop is the prompt over the first list: it names the country's first level.
func (st *step) askTop() locales.AreaKey {
	switch st.s.Country {
	case "BD":
		return locales.AreaAskDivision
	case "IN":
		return locales.AreaAskState
	case "PS":
		return locales.AreaAskGovernorate
	}
	return locales.AreaAskDistrict
}

func (st *step) areaOptions(codes []string) []onestop.Option {
	opts := make([]onestop.Option, 0, len(codes))
	for i, code := range codes {
		a, ok := st.e.dir.Area(code)
		if !ok {
			continue
		}
		opts = append(opts, onestop.Option{Key: strconv.Itoa(i + 1), Label: st.e.dir.Label(a, st.s.Lang)})
	}
	return opts
}

// answerText lists up to three centres for her area (her area's own first, then the nearest),
// each with its number when it has one, its hours and how far it is, and ends with the national
// helpline: she never reaches a dead end. Only phone-safe fields are used.
func (st *step) answerText() string {
	lang := st.s.Lang
	code := st.chosenArea()
	hits, ok := st.e.dir.ForArea(code, directory.Query{})
	if !ok {
		hits = nil
		if h, ok := st.e.dir.Helpline(st.s.Country); ok {
			hits = []directory.Hit{{Centre: h}}
		}
	}
	var b strings.Builder
	if a, ok := st.e.dir.Area(code); ok {
		if directory.Local(hits) {
			b.WriteString(areaText(lang, areaNear, st.e.dir.Label(a, lang)))
		} else {
			// Nothing local is known: she is told so plainly, then the lines that serve her.
			b.WriteString(areaText(lang, locales.AreaNoneNear, st.e.dir.Label(a, lang)))
		}
	} else {
		b.WriteString(locales.Text(lang, locales.HelpHeader))
	}
	for _, h := range hits {
		c := h.Centre.PhoneSafe()
		b.WriteByte('\n')
		parts := []string{}
		if n := c.Number(); n != "" {
			parts = append(parts, locales.Isolate(lang, n))
		}
		switch {
		case c.Hours == "24/7":
			parts = append(parts, areaText(lang, locales.AreaDayNight))
		case c.Hours != "" && (lang == onestop.English || !hasLatin(c.Hours)):
			parts = append(parts, c.Hours)
		}
		if h.Located && !h.InArea {
			parts = append(parts, locales.Distance(lang, km(h.KM)))
		}
		if len(parts) == 0 {
			b.WriteString(c.Name(lang))
			continue
		}
		b.WriteString(locales.Text(lang, locales.HelpEntry, c.Name(lang), strings.Join(parts, ", ")))
	}
	return b.String()
}

// km formats a distance as a caller reads it: whole kilometres, or one decimal under ten.
func km(v float64) string {
	if v < 10 {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 0, 64)
}

func hasLatin(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x80 && (r|0x20 >= 'a' && r|0x20 <= 'z') })
}

// The find-help screens' own texts live in locales with every other word.
const (
	areaNotFound = locales.AreaNotFound
	areaChoose   = locales.AreaChoose
	areaNear     = locales.AreaNear
	areaKM       = locales.AreaKM
)

// areaText returns a find-help text in lang (English when lang has none) with its argument.
func areaText(lang onestop.Lang, k locales.AreaKey, args ...string) string {
	return locales.AreaText(lang, k, args...)
}
