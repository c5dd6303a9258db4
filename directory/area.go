package directory

import (
	"encoding/csv"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
)

// Level is where an area sits in its country's administration.
type Level string

// The levels the directory knows. India's union territories are at LevelState with the states,
// as ISO 3166-2 lists them together.
const (
	LevelDivision    Level = "division"    // Bangladesh: 8 divisions
	LevelDistrict    Level = "district"    // Bangladesh: 64 districts; India: districts by LGD code
	LevelState       Level = "state"       // India: 28 states and 8 union territories
	LevelGovernorate Level = "governorate" // Palestine: 16 governorates
	LevelUpazila     Level = "upazila"     // Bangladesh: about 494 upazilas, each in its district
)

// Valid reports whether l is one of the known levels.
func (l Level) Valid() bool {
	switch l {
	case LevelDivision, LevelDistrict, LevelState, LevelGovernorate, LevelUpazila:
		return true
	}
	return false
}

// reach is how far from its area's headquarters point a centre of that area may lie, in km. The
// directory holds a point per area, not its boundary, so "inside its area" is checked as "within
// the area's reach": wide enough for the largest area of the level, narrow enough to catch a
// centre geocoded to a namesake town in another district or state.
var reach = map[Level]float64{
	LevelDistrict:    90,
	LevelGovernorate: 40,
	LevelDivision:    300,
	LevelUpazila:     90,
	LevelState:       1000,
}

// Area is one administrative area: a Bangladeshi division, district or upazila, an Indian state, union
// territory or district, or a Palestinian governorate.
type Area struct {
	// Code is the ISO 3166-2 code (BD-13, IN-UP, PS-RBH); an Indian district, which has none, is
	// its state's code and its LGD code (IN-UP-162).
	Code    string
	Country string
	Level   Level
	// Parent is the code of the area it lies in, or the country code for a top-level area.
	Parent string
	// LGD is India's Local Government Directory code of a state or district; 0 elsewhere.
	LGD int
	// Names holds the English name and the name in the country's language (bn, hi or ar), and
	// any other language's name that is known; all NFC-normalised.
	Names map[onestop.Lang]string
	// Aliases are other spellings a caller may type, in any script (Barisal, Chittagong, رام الله).
	Aliases []string
	// Lat and Lon are the headquarters point: the district town, the capital, the governorate
	// seat.
	Lat, Lon float64
	Source   string
	AsOf     string
	Verified bool
}

// localLang is the language of each country's own names.
var localLang = map[string]onestop.Lang{"BD": onestop.Bengali, "IN": onestop.Hindi, "PS": onestop.Arabic}

// Name returns the area's name in lang. Without a name in lang it gives the name in the country's
// own language, which a caller who chose Bengali, Hindi or Arabic reads more easily than a Latin
// one, and English only to an English reader or when nothing else is known.
func (a Area) Name(lang onestop.Lang) string {
	if s := a.Names[lang]; s != "" {
		return s
	}
	if lang != onestop.English {
		if s := a.Names[localLang[a.Country]]; s != "" {
			return s
		}
	}
	return a.Names[onestop.English]
}

// TopLevel reports whether the area is a country's first level (division, state, governorate).
func (a Area) TopLevel() bool { return a.Parent == a.Country }

// areaColumns are the areas CSV's columns, in the order the embedded file writes them.
var areaColumns = []string{
	"code", "country", "level", "parent", "lgd",
	"name_en", "name_bn", "name_hi", "name_ar", "aliases",
	"lat", "lon", "source", "as_of", "verified",
}

var (
	isoPattern      = regexp.MustCompile(`^[A-Z]{2}-[A-Z0-9]{1,3}$`)
	districtPattern = regexp.MustCompile(`^IN-[A-Z]{2}-[0-9]{1,4}$`)
	upazilaPattern  = regexp.MustCompile(`^BD-[0-9]{2}-[0-9]{1,4}$`)
)

// isAreaCode reports whether code has the shape of an area code of country.
func isAreaCode(code, country string) bool {
	if !strings.HasPrefix(code, country+"-") {
		return false
	}
	return isoPattern.MatchString(code) || (country == "IN" && districtPattern.MatchString(code)) ||
		(country == "BD" && upazilaPattern.MatchString(code))
}

// ParseAreas reads an areas CSV and validates every row and the tree they form: codes unique,
// every parent known and of the same country, names in English and in the country's language,
// points inside the country. On any problem it returns nil and a *ParseError listing every bad
// line.
func ParseAreas(r io.Reader) ([]Area, error) {
	perr := &ParseError{File: "areas"}
	add := perr.adder()
	var areas []Area
	lines := map[string]int{}
	ok := readCSV(r, areaColumns, add, func(line int, get func(string) string) {
		a, errs := parseAreaRow(get)
		for _, e := range errs {
			add(line, e.Column, "%s", e.Msg)
		}
		if a.Code != "" {
			if first, dup := lines[a.Code]; dup {
				add(line, "code", "%q already used on line %d", a.Code, first)
				return
			}
			lines[a.Code] = line
		}
		if len(errs) == 0 {
			areas = append(areas, a)
		}
	})
	if !ok {
		return nil, perr
	}
	// The tree: a parent must exist, be of the same country and not be a district.
	byCode := make(map[string]Area, len(areas))
	for _, a := range areas {
		byCode[a.Code] = a
	}
	for _, a := range areas {
		if a.TopLevel() {
			continue
		}
		p, ok := byCode[a.Parent]
		switch {
		case !ok:
			if _, bad := lines[a.Parent]; !bad {
				add(lines[a.Code], "parent", "%q is not an area in this file", a.Parent)
			}
		case p.Country != a.Country:
			add(lines[a.Code], "parent", "%q is in %s, not %s", a.Parent, p.Country, a.Country)
		case a.Level == LevelUpazila && p.Level != LevelDistrict:
			add(lines[a.Code], "parent", "%q is not a district: an upazila lies in a district", a.Parent)
		case a.Level != LevelUpazila && p.Level == LevelDistrict:
			add(lines[a.Code], "parent", "%q is a district: only upazilas lie in a district", a.Parent)
		case p.Level == LevelUpazila:
			add(lines[a.Code], "parent", "%q is an upazila: upazilas have no sub-areas here", a.Parent)
		}
	}
	if len(perr.Errors) == 0 && len(areas) == 0 {
		add(0, "", "no areas")
	}
	if len(perr.Errors) > 0 {
		slices.SortStableFunc(perr.Errors, func(a, b LineError) int { return a.Line - b.Line })
		return nil, perr
	}
	return areas, nil
}

// parseAreaRow builds an Area from one row and lists every problem in it.
func parseAreaRow(get func(string) string) (Area, []LineError) {
	var errs []LineError
	bad := func(col, format string, args ...any) {
		errs = append(errs, LineError{Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	a := Area{
		Code:    get("code"),
		Country: get("country"),
		Level:   Level(get("level")),
		Parent:  get("parent"),
		Names:   make(map[onestop.Lang]string, len(onestop.Langs)),
		Source:  get("source"),
		AsOf:    get("as_of"),
	}
	_, countryOK := countries[a.Country]
	if !countryOK {
		bad("country", "%q: want BD, IN or PS", a.Country)
	} else {
		if !isAreaCode(a.Code, a.Country) {
			bad("code", "%q: want an ISO 3166-2 code %s-… (an Indian district: IN-<state>-<LGD code>)", a.Code, a.Country)
		}
		if a.Parent != a.Country && !isAreaCode(a.Parent, a.Country) {
			bad("parent", "%q: want %s or an area code of %s", a.Parent, a.Country, a.Country)
		}
	}
	if !a.Level.Valid() {
		bad("level", "%q: want division, district, state or governorate", a.Level)
	} else if countryOK && !levelFits(a.Country, a.Level, a.Parent == a.Country) {
		bad("level", "%q is not a level of %s here (a top level: %v)", a.Level, a.Country, a.Parent == a.Country)
	}
	if v := get("lgd"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n <= 0 {
			bad("lgd", "%q: want a positive LGD code", v)
		}
		a.LGD = n
		if a.Country != "IN" {
			bad("lgd", "only Indian areas have LGD codes")
		}
	}
	for _, lang := range onestop.Langs {
		name := "name_" + string(lang)
		v := get(name)
		switch {
		case v == "":
			// An Indian district may lack its Hindi name: the sources give none for some of
			// the newer ones, and its English name is shown instead (Check counts them).
			if lang == onestop.English || (lang == localLang[a.Country] && !(a.Country == "IN" && a.Level == LevelDistrict)) {
				bad(name, "missing: every area needs its English name and its name in %s", localLang[a.Country])
			}
			continue
		case !norm.NFC.IsNormalString(v):
			bad(name, "%q is not NFC-normalised", v)
		case hasControl(v):
			bad(name, "contains a control character")
		case lang != onestop.English && hasLatin(v):
			bad(name, "%q has Latin letters: give the name in its own script", v)
		}
		a.Names[lang] = v
	}
	if v := get("aliases"); v != "" {
		for _, s := range strings.Split(v, ";") {
			s = strings.TrimSpace(s)
			switch {
			case s == "":
				bad("aliases", "an empty alias")
			case !norm.NFC.IsNormalString(s):
				bad("aliases", "%q is not NFC-normalised", s)
			case hasControl(s):
				bad("aliases", "contains a control character")
			default:
				a.Aliases = append(a.Aliases, s)
			}
		}
	}
	if get("lat") == "" && get("lon") == "" {
		bad("lat", "missing: every area needs its headquarters point")
	} else {
		a.Lat, a.Lon = parsePoint(get("lat"), get("lon"), a.Country, countryOK, bad)
	}
	if a.Source == "" {
		bad("source", "missing: say where the facts came from")
	}
	if _, err := time.Parse(time.DateOnly, a.AsOf); err != nil {
		bad("as_of", "%q: want a date YYYY-MM-DD", a.AsOf)
	}
	a.Verified, _ = parseBool(get("verified"), "verified", bad)
	return a, errs
}

// levelFits says which levels each country has, and which of them is its top level.
func levelFits(country string, l Level, top bool) bool {
	switch country {
	case "BD":
		return (l == LevelDivision && top) || ((l == LevelDistrict || l == LevelUpazila) && !top)
	case "IN":
		return (l == LevelState && top) || (l == LevelDistrict && !top)
	case "PS":
		return l == LevelGovernorate && top
	}
	return false
}

func hasLatin(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) })
}

// writeAreas writes areas as the CSV ParseAreas reads.
func writeAreas(w io.Writer, areas []Area) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(areaColumns); err != nil {
		return err
	}
	for _, a := range areas {
		if err := cw.Write(areaRecord(a)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func formatCoord(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
