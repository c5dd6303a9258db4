package directory

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
)

// columns are the directory CSV's columns, in the order the embedded file writes them. Parse
// finds them by header name, so an operator's file may order them differently.
var columns = []string{
	"id", "country", "kind", "area",
	"name_en", "name_bn", "name_hi", "name_ar",
	"dial", "phones", "hours", "services", "lat", "lon",
	"address", "address_confidential", "source", "as_of", "verified", "serves",
}

// optionalColumns may be left out of a file: a file written before they existed still reads.
var optionalColumns = []string{"serves"}

// box is a rough latitude/longitude rectangle around a country: enough to catch a swapped lat/lon,
// a dropped minus sign or a point geocoded to a namesake town abroad, not a border test.
type box struct{ minLat, maxLat, minLon, maxLon float64 }

// countries are the countries the helpline serves, with their boxes.
var countries = map[string]box{
	"BD": {20.5, 26.7, 88.0, 92.7},
	"IN": {6.5, 35.7, 68.0, 97.5},
	"PS": {31.2, 32.6, 34.2, 35.6},
}

// phoneRegions are the numbering plans a country's centres may use. Palestinian centres in
// Jerusalem and lines on Israeli networks have +972 numbers, so PS accepts IL numbers too.
var phoneRegions = map[string][]string{
	"BD": {"BD"},
	"IN": {"IN"},
	"PS": {"PS", "IL"},
}

var (
	idPattern   = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	dialPattern = regexp.MustCompile(`^[0-9]{3,4}$`)
)

// LineError is one problem on one line of a directory CSV.
type LineError struct {
	// Line is the 1-based line of the file the row starts on; 0 for a problem with the file as a
	// whole.
	Line int
	// Column names the field at fault, or is "" when the whole row is.
	Column string
	Msg    string
}

func (e LineError) String() string {
	where := "file"
	if e.Line > 0 {
		where = "line " + strconv.Itoa(e.Line)
	}
	if e.Column != "" {
		where += ": " + e.Column
	}
	return where + ": " + e.Msg
}

// ParseError lists every problem Parse found, in line order, so an operator fixes a file in one
// pass rather than one error at a time.
type ParseError struct {
	// File names the table at fault, "centres" or "areas"; "" is read as "centres".
	File   string
	Errors []LineError
}

func (e *ParseError) Error() string {
	var b strings.Builder
	file := e.File
	if file == "" {
		file = "centres"
	}
	fmt.Fprintf(&b, "directory %s: %d problem(s)", file, len(e.Errors))
	for _, le := range e.Errors {
		b.WriteString("\n")
		b.WriteString(le.String())
	}
	return b.String()
}

// Lines returns the distinct lines with a problem, in order; 0 stands for the file as a whole.
func (e *ParseError) Lines() []int {
	var lines []int
	for _, le := range e.Errors {
		if !slices.Contains(lines, le.Line) {
			lines = append(lines, le.Line)
		}
	}
	slices.Sort(lines)
	return lines
}

// Unwrap makes a ParseError an EINVALID onestop.Error whose message is the whole list, so the
// command line and the console show an operator every problem.
func (e *ParseError) Unwrap() error {
	return &onestop.Error{Code: onestop.EINVALID, Message: e.Error()}
}

// parseTable reads a directory CSV (a header row naming the columns, then one row per centre) and
// validates every row against the embedded areas. On any problem it returns no directory and a
// *ParseError that lists every bad line with its line number, not just the first.
func parseTable(r io.Reader) (*state, error) {
	areas, err := embeddedAreas()
	if err != nil {
		return nil, err
	}
	return build(r, areas)
}

// build parses a centres CSV and checks every centre against areas: its area must be known and of
// its country, and its point within its area's reach.
func build(r io.Reader, areas []Area) (*state, error) {
	byCode := make(map[string]*Area, len(areas))
	for i := range areas {
		byCode[areas[i].Code] = &areas[i]
	}
	centres, err := parseCentres(r, byCode)
	if err != nil {
		return nil, err
	}
	return newDirectory(centres, areas), nil
}

// parseCentres reads and validates a centres CSV; byCode holds the areas a centre may name.
func parseCentres(r io.Reader, byCode map[string]*Area) ([]Centre, error) {
	perr := &ParseError{}
	add := perr.adder()
	var centres []Centre
	firstLine := map[string]int{} // id → line it was first seen on
	ok := readCSV(r, columns, add, func(line int, get func(string) string) {
		c, errs := parseRow(get)
		if len(errs) == 0 {
			errs = checkArea(c, byCode)
		}
		for _, e := range errs {
			add(line, e.Column, "%s", e.Msg)
		}
		if c.ID != "" {
			if first, dup := firstLine[c.ID]; dup {
				add(line, "id", "%q already used on line %d", c.ID, first)
			} else {
				firstLine[c.ID] = line
			}
		}
		if len(errs) == 0 {
			centres = append(centres, c)
		}
	})
	if !ok {
		return nil, perr
	}
	if len(perr.Errors) == 0 {
		checkCoverage(centres, add)
	}
	if len(perr.Errors) > 0 {
		slices.SortStableFunc(perr.Errors, func(a, b LineError) int { return a.Line - b.Line })
		return nil, perr
	}
	return centres, nil
}

// checkArea checks a centre against the areas: its area must be known, and its point, when it
// has one, within its area's reach of the area's headquarters.
func checkArea(c Centre, byCode map[string]*Area) []LineError {
	for _, code := range c.Serves {
		if _, ok := byCode[code]; !ok {
			return []LineError{{Column: "serves", Msg: fmt.Sprintf("%q is not a known area of %s", code, c.Country)}}
		}
	}
	if c.Area == c.Country {
		return nil
	}
	a, ok := byCode[c.Area]
	if !ok {
		return []LineError{{Column: "area", Msg: fmt.Sprintf("%q is not a known area of %s", c.Area, c.Country)}}
	}
	if c.HasPoint() {
		if km := Distance(c.Lat, c.Lon, a.Lat, a.Lon); km > reach[a.Level] {
			return []LineError{{Column: "lat", Msg: fmt.Sprintf("%g,%g is %.0f km from %s (%s), farther than a %s reaches (%.0f km)",
				c.Lat, c.Lon, km, a.Code, a.Names[onestop.English], a.Level, reach[a.Level])}}
		}
	}
	return nil
}

// adder returns the function that records a problem on a line.
func (perr *ParseError) adder() func(line int, col, format string, args ...any) {
	return func(line int, col, format string, args ...any) {
		perr.Errors = append(perr.Errors, LineError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)})
	}
}

// readCSV reads a CSV whose header names the columns in want (in any order), and calls row with
// each well-formed record's line number and a getter by column name. Problems with the header,
// a record's quoting or its field count are added with their line numbers and reading goes on,
// so that every bad line is reported at once. ok is false when nothing more can be read: a bad
// header or a failing reader.
func readCSV(r io.Reader, want []string, add func(int, string, string, ...any), row func(line int, get func(string) string)) (ok bool) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // counted here, so a short row is reported with the others
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			add(0, "", "empty file: want a header row naming %s", strings.Join(want, ","))
		} else {
			add(1, "", "header: %v", err)
		}
		return false
	}
	col, ok := readColumns(header, want, add)
	if !ok {
		return false
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return true
		}
		if err != nil {
			var ce *csv.ParseError
			if !errors.As(err, &ce) {
				add(0, "", "reading: %v", err)
				return false
			}
			add(ce.StartLine, "", "%v", ce.Err)
			continue
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(header) {
			add(line, "", "has %d fields, want %d", len(rec), len(header))
			continue
		}
		row(line, func(name string) string {
			if i, ok := col[name]; ok {
				return strings.TrimSpace(rec[i])
			}
			return ""
		})
	}
}

// readColumns maps column names to their positions, reporting missing, unknown and repeated
// columns against want.
func readColumns(header, want []string, add func(int, string, string, ...any)) (map[string]int, bool) {
	if len(header) > 0 {
		// Spreadsheets save UTF-8 CSV with a byte-order mark.
		header[0] = strings.TrimPrefix(header[0], "\uFEFF")
	}
	col := make(map[string]int, len(header))
	ok := true
	for i, h := range header {
		h = strings.TrimSpace(h)
		switch {
		case !slices.Contains(want, h):
			add(1, h, "unknown column")
			ok = false
		case hasKey(col, h):
			add(1, h, "column repeated")
			ok = false
		default:
			col[h] = i
		}
	}
	for _, w := range want {
		if !hasKey(col, w) && !slices.Contains(optionalColumns, w) {
			add(1, w, "column missing")
			ok = false
		}
	}
	return col, ok
}

func hasKey(m map[string]int, k string) bool {
	_, ok := m[k]
	return ok
}

// parseRow builds a Centre from one row and lists every problem in it.
func parseRow(get func(string) string) (Centre, []LineError) {
	var errs []LineError
	bad := func(col, format string, args ...any) {
		errs = append(errs, LineError{Column: col, Msg: fmt.Sprintf(format, args...)})
	}
	c := Centre{
		ID:      get("id"),
		Country: get("country"),
		Kind:    Kind(get("kind")),
		Area:    get("area"),
		Names:   make(map[onestop.Lang]string, len(onestop.Langs)),
		Dial:    get("dial"),
		Hours:   get("hours"),
		Address: get("address"),
		Source:  get("source"),
		AsOf:    get("as_of"),
	}

	if !idPattern.MatchString(c.ID) {
		bad("id", "%q: want lower-case letters, digits and single hyphens", c.ID)
	}
	_, countryOK := countries[c.Country]
	if !countryOK {
		bad("country", "%q: want BD, IN or PS", c.Country)
	}
	if !c.Kind.Valid() {
		bad("kind", "%q: want helpline, emergency, occ, osc, cell, onestop, fjpu or shelter", c.Kind)
	}
	if countryOK && c.Area != c.Country && !isAreaCode(c.Area, c.Country) {
		bad("area", "%q: want %s or an ISO 3166-2 code %s-…", c.Area, c.Country, c.Country)
	}

	for _, lang := range onestop.Langs {
		name := "name_" + string(lang)
		v := get(name)
		switch {
		case v == "":
			bad(name, "missing: every centre needs a name in every language")
		case !norm.NFC.IsNormalString(v):
			bad(name, "%q is not NFC-normalised", v)
		case hasControl(v):
			bad(name, "contains a control character")
		}
		c.Names[lang] = v
	}
	if hasControl(c.Hours) {
		bad("hours", "contains a control character")
	}
	if hasControl(c.Address) {
		bad("address", "contains a control character")
	}

	if c.Dial != "" && !dialPattern.MatchString(c.Dial) {
		bad("dial", "%q: want a short code of 3 or 4 digits", c.Dial)
	}
	if v := get("phones"); v != "" {
		for _, p := range strings.Split(v, ";") {
			p = strings.TrimSpace(p)
			if msg := checkPhone(p, c.Country, countryOK); msg != "" {
				bad("phones", "%s", msg)
			} else if slices.Contains(c.Phones, p) {
				bad("phones", "%q listed twice", p)
			} else {
				c.Phones = append(c.Phones, p)
			}
		}
	}
	if (c.Kind == KindHelpline || c.Kind == KindEmergency) && c.Dial == "" && get("phones") == "" {
		bad("dial", "a %s needs a dial code or a phone", c.Kind)
	}

	if v := get("services"); v != "" {
		for _, s := range strings.Split(v, ";") {
			svc := Service(strings.TrimSpace(s))
			switch {
			case !svc.Valid():
				bad("services", "%q: want medical, police, legal, counselling or shelter", svc)
			case slices.Contains(c.Services, svc):
				bad("services", "%q listed twice", svc)
			default:
				c.Services = append(c.Services, svc)
			}
		}
	}

	c.Lat, c.Lon = parsePoint(get("lat"), get("lon"), c.Country, countryOK, bad)

	var confOK bool
	c.AddressConfidential, confOK = parseBool(get("address_confidential"), "address_confidential", bad)
	if confOK && c.Kind == KindShelter && c.Address != "" && !c.AddressConfidential {
		bad("address_confidential", "a shelter's address must be confidential")
	}

	if c.Source == "" {
		bad("source", "missing: say where the facts came from")
	}
	if _, err := time.Parse(time.DateOnly, c.AsOf); err != nil {
		bad("as_of", "%q: want a date YYYY-MM-DD", c.AsOf)
	}
	c.Verified, _ = parseBool(get("verified"), "verified", bad)
	if v := get("serves"); v != "" {
		for _, code := range strings.Split(v, ";") {
			if code = strings.TrimSpace(code); code == "" || !isAreaCode(code, c.Country) {
				bad("serves", "%q: want area codes of %s, separated by ;", code, c.Country)
				continue
			}
			c.Serves = append(c.Serves, code)
		}
	}
	return c, errs
}

// checkPhone returns why p is not a valid E.164 number for country, or "".
func checkPhone(p, country string, countryOK bool) string {
	if !strings.HasPrefix(p, "+") {
		return fmt.Sprintf("%q: want E.164, +country code and number", p)
	}
	num, err := phonenumbers.Parse(p, country)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return fmt.Sprintf("%q is not a valid number", p)
	}
	if e164 := phonenumbers.Format(num, phonenumbers.E164); e164 != p {
		return fmt.Sprintf("%q: want E.164 without spaces, %s", p, e164)
	}
	if countryOK && !slices.Contains(phoneRegions[country], phonenumbers.GetRegionCodeForNumber(num)) {
		return fmt.Sprintf("%q is a number of %s, not %s", p, phonenumbers.GetRegionCodeForNumber(num), country)
	}
	return ""
}

// parsePoint reads a location: both empty means none is known; otherwise both must be numbers in
// range and inside the country's box.
func parsePoint(latS, lonS, country string, countryOK bool, bad func(string, string, ...any)) (float64, float64) {
	if latS == "" && lonS == "" {
		return 0, 0
	}
	if latS == "" || lonS == "" {
		bad("lat", "give both lat and lon, or neither")
		return 0, 0
	}
	lat, errLat := strconv.ParseFloat(latS, 64)
	lon, errLon := strconv.ParseFloat(lonS, 64)
	ok := true
	if errLat != nil || math.IsNaN(lat) || lat < -90 || lat > 90 {
		bad("lat", "%q: want a latitude between -90 and 90", latS)
		ok = false
	}
	if errLon != nil || math.IsNaN(lon) || lon < -180 || lon > 180 {
		bad("lon", "%q: want a longitude between -180 and 180", lonS)
		ok = false
	}
	if !ok {
		return 0, 0
	}
	if b := countries[country]; countryOK && (lat < b.minLat || lat > b.maxLat || lon < b.minLon || lon > b.maxLon) {
		bad("lat", "%s,%s is outside %s (lat %g–%g, lon %g–%g)", latS, lonS, country, b.minLat, b.maxLat, b.minLon, b.maxLon)
		return 0, 0
	}
	return lat, lon
}

// parseBool accepts true or false in any case, as spreadsheets write TRUE; an empty or other
// value is an error because the two flags it reads decide what a caller is told.
func parseBool(v, col string, bad func(string, string, ...any)) (bool, bool) {
	switch strings.ToLower(v) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	bad(col, "%q: want true or false", v)
	return false, false
}

func hasControl(s string) bool {
	return strings.ContainsFunc(s, unicode.IsControl)
}

// checkCoverage refuses a directory in which a country it lists has no helpline with a number:
// the helpline is where every list starts and the fallback when nothing else fits.
func checkCoverage(centres []Centre, add func(int, string, string, ...any)) {
	if len(centres) == 0 {
		add(0, "", "no centres")
		return
	}
	var seen []string
	for _, c := range centres {
		if !slices.Contains(seen, c.Country) {
			seen = append(seen, c.Country)
		}
	}
	for _, country := range seen {
		ok := slices.ContainsFunc(centres, func(c Centre) bool {
			return c.Country == country && c.Kind == KindHelpline && c.Number() != ""
		})
		if !ok {
			add(0, "", "no helpline for %s: every country needs one, it is the fallback that is always right", country)
		}
	}
}
