package flows

import (
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
func (st *step) choose(code string) {
	st.area.chosen, st.s.Area = code, code
	st.change(func(c *onestop.Contact) { c.Area = code })
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

// topCodes are the choices of the first find-help screen: the country's divisions, states and
// union territories, or governorates, in the directory's order. Her remembered area is not shown
// first: anyone else dialling from her phone would see that she had asked before.
func (st *step) topCodes() []string {
	var codes []string
	for _, a := range st.e.dir.Top(st.s.Country) {
		codes = append(codes, a.Code)
	}
	return codes
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
	if a, ok := st.e.dir.Best(s.Country, in); ok {
		return st.pick(a.Code)
	}
	found := st.e.dir.Search(s.Country, in, maxMatches)
	if len(found) == 0 {
		if s.State == stNoMatch {
			return "", nil, false // the same screen again, as an invalid key: the third ends kindly
		}
		return "nomatch", nil, true
	}
	codes := make([]string, len(found))
	for i, a := range found {
		codes[i] = a.Code
	}
	if s.State == stMatches {
		return "", nil, false // a search from the list of matches: choose from it or go back
	}
	return "matches", codes, true
}

// pick is the event for choosing area code: its districts when it has any, else its answer.
func (st *step) pick(code string) (string, any, bool) {
	if len(st.e.dir.Children(code)) > 0 && st.s.State != stDistricts {
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
		head := st.helplineLine() + "\n" + locales.Text(lang, locales.AskArea)
		if s.State == stNoMatch {
			head = st.helplineLine() + "\n" + areaText(lang, areaNotFound)
		}
		if s.Asking { // asked for her district after her plan: she has the numbers already
			head = locales.Text(lang, locales.AskArea)
			if s.State == stNoMatch {
				head = areaText(lang, areaNotFound)
			}
		}
		scr.Prompt, scr.Options = head, st.areaOptions(st.topCodes())
	case stDistricts, stMatches:
		head := locales.Text(lang, locales.AskArea)
		if s.State == stMatches {
			head = areaText(lang, areaChoose)
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

func (st *step) areaOptions(codes []string) []onestop.Option {
	opts := make([]onestop.Option, 0, len(codes))
	for i, code := range codes {
		a, ok := st.e.dir.Area(code)
		if !ok {
			continue
		}
		opts = append(opts, onestop.Option{Key: strconv.Itoa(i + 1), Label: a.Name(st.s.Lang)})
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
		b.WriteString(areaText(lang, areaNear, a.Name(lang)))
	} else {
		b.WriteString(locales.Text(lang, locales.HelpHeader))
	}
	for _, h := range hits {
		c := h.Centre.PhoneSafe()
		b.WriteByte('\n')
		parts := []string{}
		if n := c.Number(); n != "" {
			parts = append(parts, n)
		}
		if c.Hours != "" && (lang == onestop.English || !hasLatin(c.Hours)) {
			parts = append(parts, c.Hours)
		}
		if h.Located && !h.InArea {
			parts = append(parts, areaText(lang, areaKM, km(h.KM)))
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
