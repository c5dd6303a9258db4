package directory

import (
	"encoding/csv"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop"
)

const testHeader = "id,country,kind,area,name_en,name_bn,name_hi,name_ar,dial,phones,hours,services,lat,lon,address,address_confidential,source,as_of,verified"

// The phone numbers below are libphonenumber's example numbers for each plan, not anyone's line.
var baseRow = map[string]string{
	"id": "bd-occ-test", "country": "BD", "kind": "occ", "area": "BD-13",
	"name_en": "Test Centre", "name_bn": "পরীক্ষা কেন্দ্র", "name_hi": "परीक्षण केंद्र", "name_ar": "مركز الاختبار",
	"dial": "", "phones": "+8801812345678", "hours": "24/7", "services": "medical;police",
	"lat": "23.726", "lon": "90.397", "address": "Secretariat Road, Dhaka", "address_confidential": "false",
	"source": "test", "as_of": "2026-01-01", "verified": "true",
}

var helplineRow = map[string]string{"id": "bd-109", "kind": "helpline", "area": "BD", "dial": "109", "phones": "", "lat": "", "lon": "", "address": ""}

// row returns one CSV line: baseRow with the given columns replaced, quoted as a spreadsheet would.
func row(over map[string]string) string {
	cols := strings.Split(testHeader, ",")
	rec := make([]string, len(cols))
	for i, c := range cols {
		rec[i] = baseRow[c]
		if v, ok := over[c]; ok {
			rec[i] = v
		}
	}
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(rec)
	w.Flush()
	return b.String()
}

func mustParse(t *testing.T, s string) *Directory {
	t.Helper()
	d, err := Parse(strings.NewReader(s))
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return d
}

// validFile is a header, the helpline on line 2 and the given rows from line 3 on.
func validFile(rows ...string) string {
	return testHeader + "\n" + row(helplineRow) + strings.Join(rows, "")
}

func TestParseAccepts(t *testing.T) {
	reordered := func() string {
		// name_ar first and id last: columns are found by name.
		cols := strings.Split(testHeader, ",")
		cols = append([]string{"name_ar"}, slices.DeleteFunc(slices.Clone(cols), func(c string) bool { return c == "name_ar" || c == "id" })...)
		cols = append(cols, "id")
		var b strings.Builder
		w := csv.NewWriter(&b)
		_ = w.Write(cols)
		for _, m := range []map[string]string{helplineRow, {}} {
			rec := make([]string, len(cols))
			for i, c := range cols {
				rec[i] = baseRow[c]
				if v, ok := m[c]; ok {
					rec[i] = v
				}
			}
			_ = w.Write(rec)
		}
		w.Flush()
		return b.String()
	}
	tests := []struct {
		name  string
		file  string
		check func(t *testing.T, d *Directory)
	}{
		{"phones and no dial", validFile(row(map[string]string{"phones": "+8801812345678;+88027111234"})), func(t *testing.T, d *Directory) {
			c, _ := d.Centre("bd-occ-test")
			if !slices.Equal(c.Phones, []string{"+8801812345678", "+88027111234"}) || c.Number() != "+8801812345678" {
				t.Errorf("Phones %v Number %q", c.Phones, c.Number())
			}
		}},
		{"fields", validFile(row(nil)), func(t *testing.T, d *Directory) {
			c, _ := d.Centre("bd-occ-test")
			if c.Country != "BD" || c.Kind != KindOCC || c.Area != "BD-13" || c.Lat != 23.726 || c.Lon != 90.397 ||
				c.Hours != "24/7" || !slices.Equal(c.Services, []Service{Medical, Police}) || c.AsOf != "2026-01-01" ||
				!c.Verified || c.AddressConfidential || c.Name(onestop.Arabic) != "مركز الاختبار" {
				t.Errorf("parsed %+v", c)
			}
		}},
		{"Palestinian row with a +972 number", testHeader + "\n" +
			row(map[string]string{"id": "ps-121", "country": "PS", "kind": "helpline", "area": "PS", "dial": "121", "phones": "", "lat": "", "lon": ""}) +
			row(map[string]string{"id": "ps-onestop", "country": "PS", "kind": "onestop", "area": "PS-RBH", "phones": "+97221234567;+970599123456", "lat": "31.900", "lon": "35.200"}), nil},
		{"Indian row", testHeader + "\n" +
			row(map[string]string{"id": "in-181", "country": "IN", "kind": "helpline", "area": "IN", "dial": "181", "phones": "", "lat": "", "lon": ""}) +
			row(map[string]string{"id": "in-osc-x", "country": "IN", "kind": "osc", "area": "IN-DL", "phones": "+918123456789", "lat": "28.61", "lon": "77.21"}), nil},
		{"spreadsheet habits: BOM, TRUE, CRLF, spaces", "\uFEFF" + strings.ReplaceAll(validFile(row(map[string]string{"verified": "TRUE", "address_confidential": "False", "dial": " 1234 "})), "\n", "\r\n"), func(t *testing.T, d *Directory) {
			c, _ := d.Centre("bd-occ-test")
			if !c.Verified || c.Dial != "1234" {
				t.Errorf("Verified %v Dial %q", c.Verified, c.Dial)
			}
		}},
		{"columns in another order", reordered(), func(t *testing.T, d *Directory) {
			c, ok := d.Centre("bd-occ-test")
			if !ok || c.Name(onestop.Arabic) != "مركز الاختبار" {
				t.Errorf("Centre: %v %+v", ok, c)
			}
		}},
		{"no point, no services, no hours", validFile(row(map[string]string{"lat": "", "lon": "", "services": "", "hours": ""})), func(t *testing.T, d *Directory) {
			c, _ := d.Centre("bd-occ-test")
			if c.HasPoint() || c.Services != nil {
				t.Errorf("HasPoint %v Services %v", c.HasPoint(), c.Services)
			}
		}},
		{"shelter with a confidential address", validFile(row(map[string]string{"kind": "shelter", "address_confidential": "true"})), nil},
		{"shelter with no address", validFile(row(map[string]string{"kind": "shelter", "address": ""})), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustParse(t, tt.file)
			if tt.check != nil {
				tt.check(t, d)
			}
		})
	}
}

func TestParseRejects(t *testing.T) {
	tests := []struct {
		name     string
		file     string
		wantLine int
		wantCol  string
		wantMsg  string
	}{
		{"duplicate id", validFile(row(nil), row(nil)), 4, "id", "already used on line 3"},
		{"upper-case id", validFile(row(map[string]string{"id": "BD-OCC"})), 3, "id", "lower-case"},
		{"unknown country", validFile(row(map[string]string{"country": "NP"})), 3, "country", "BD, IN or PS"},
		{"lower-case country", validFile(row(map[string]string{"country": "bd"})), 3, "country", ""},
		{"unknown kind", validFile(row(map[string]string{"kind": "hospital"})), 3, "kind", "hospital"},
		{"area of another country", validFile(row(map[string]string{"area": "IN-DL"})), 3, "area", ""},
		{"area not ISO 3166-2", validFile(row(map[string]string{"area": "Dhaka"})), 3, "area", ""},
		{"missing Hindi name", validFile(row(map[string]string{"name_hi": ""})), 3, "name_hi", "every language"},
		{"missing English name", validFile(row(map[string]string{"name_en": " "})), 3, "name_en", "missing"},
		// ো typed as its two halves, as some keyboards do.
		{"Bengali name not NFC", validFile(row(map[string]string{"name_bn": "ক\u09C7\u09BEন"})), 3, "name_bn", "NFC"},
		{"control character in a name", validFile(row(map[string]string{"name_ar": "مركز\tالاختبار"})), 3, "name_ar", "control"},
		{"newline in an address", validFile(row(map[string]string{"address": "Road 1\nDhaka"})), 3, "address", "control"},
		{"invalid phone", validFile(row(map[string]string{"phones": "+880123"})), 3, "phones", "not a valid number"},
		{"phone without plus", validFile(row(map[string]string{"phones": "01812345678"})), 3, "phones", "E.164"},
		{"phone with spaces", validFile(row(map[string]string{"phones": "+880 1812-345678"})), 3, "phones", "+8801812345678"},
		{"phone of another country", validFile(row(map[string]string{"phones": "+918123456789"})), 3, "phones", "of IN, not BD"},
		{"Israeli number on a Bangladeshi row", validFile(row(map[string]string{"phones": "+97221234567"})), 3, "phones", "of IL, not BD"},
		{"phone listed twice", validFile(row(map[string]string{"phones": "+8801812345678;+8801812345678"})), 3, "phones", "twice"},
		{"empty phone between separators", validFile(row(map[string]string{"phones": "+8801812345678;;+88027111234"})), 3, "phones", ""},
		{"dial too long", validFile(row(map[string]string{"dial": "10921"})), 3, "dial", "3 or 4 digits"},
		{"dial too short", validFile(row(map[string]string{"dial": "99"})), 3, "dial", ""},
		{"dial with a star", validFile(row(map[string]string{"dial": "*109"})), 3, "dial", ""},
		{"helpline with no number", validFile(row(map[string]string{"id": "bd-hl-2", "kind": "helpline", "dial": "", "phones": ""})), 3, "dial", "needs a dial code or a phone"},
		{"emergency with no number", validFile(row(map[string]string{"id": "bd-em", "kind": "emergency", "dial": "", "phones": ""})), 3, "dial", ""},
		{"unknown service", validFile(row(map[string]string{"services": "medical;food"})), 3, "services", "food"},
		{"service twice", validFile(row(map[string]string{"services": "legal;legal"})), 3, "services", "twice"},
		{"latitude out of range", validFile(row(map[string]string{"lat": "123"})), 3, "lat", "between -90 and 90"},
		{"lat and lon swapped", validFile(row(map[string]string{"lat": "90.397", "lon": "23.726"})), 3, "lat", ""},
		{"point outside the country", validFile(row(map[string]string{"lat": "31.900", "lon": "35.200"})), 3, "lat", "outside BD"},
		{"zero point written out", validFile(row(map[string]string{"lat": "0", "lon": "0"})), 3, "lat", "outside BD"},
		{"only a latitude", validFile(row(map[string]string{"lon": ""})), 3, "lat", "both"},
		{"longitude not a number", validFile(row(map[string]string{"lon": "ninety"})), 3, "lon", ""},
		{"as_of not a date", validFile(row(map[string]string{"as_of": "23/11/2026"})), 3, "as_of", "YYYY-MM-DD"},
		{"verified not a bool", validFile(row(map[string]string{"verified": "yes"})), 3, "verified", "true or false"},
		{"address_confidential empty", validFile(row(map[string]string{"address_confidential": ""})), 3, "address_confidential", ""},
		{"shelter address not confidential", validFile(row(map[string]string{"kind": "shelter", "address_confidential": "false"})), 3, "address_confidential", "shelter"},
		{"no source", validFile(row(map[string]string{"source": ""})), 3, "source", ""},
		{"too few fields", validFile("bd-occ-short,BD,occ\n"), 3, "", "has 3 fields, want 19"},
		{"bare quote", validFile(`bd-occ-q,BD,occ,BD-13,Te"st` + "\n"), 3, "", "quote"},
		{"country without a helpline", testHeader + "\n" + row(nil), 0, "", "no helpline for BD"},
		{"second country without a helpline", validFile(row(map[string]string{"id": "ps-x", "country": "PS", "area": "PS", "phones": "", "lat": "", "lon": ""})), 0, "", "no helpline for PS"},
		{"header only", testHeader + "\n", 0, "", "no centres"},
		{"empty file", "", 0, "", "empty file"},
		{"column missing", strings.Replace(testHeader, ",verified", "", 1) + "\n", 1, "verified", "missing"},
		{"unknown column", testHeader + ",notes\n", 1, "notes", "unknown"},
		{"column repeated", testHeader + ",dial\n", 1, "dial", "repeated"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Parse(strings.NewReader(tt.file))
			if d != nil {
				t.Error("Parse returned a directory alongside an error")
			}
			var perr *ParseError
			if !errors.As(err, &perr) {
				t.Fatalf("Parse error %v, want a *ParseError", err)
			}
			found := false
			for _, le := range perr.Errors {
				if le.Line == tt.wantLine && le.Column == tt.wantCol && strings.Contains(le.Msg, tt.wantMsg) {
					found = true
				}
			}
			if !found {
				t.Errorf("want line %d column %q containing %q; got\n%v", tt.wantLine, tt.wantCol, tt.wantMsg, err)
			}
			if onestop.ErrorCode(err) != onestop.EINVALID || !strings.Contains(onestop.ErrorMessage(err), tt.wantMsg) {
				t.Errorf("ErrorCode %q, ErrorMessage %q: want an EINVALID that shows the problem", onestop.ErrorCode(err), onestop.ErrorMessage(err))
			}
		})
	}
}

// TestParseReportsEveryBadLine: an operator fixing an import needs every bad line at once, with
// line numbers that still match the file after a quoted field spanning two lines.
func TestParseReportsEveryBadLine(t *testing.T) {
	file := testHeader + "\n" + // 1
		row(helplineRow) + // 2
		row(map[string]string{"id": "bd-occ-1"}) + // 3
		row(map[string]string{"id": "bd-occ-2", "phones": "+880123"}) + // 4: bad phone
		row(map[string]string{"id": "bd-occ-3"}) + // 5
		row(map[string]string{"id": "bd-occ-4", "kind": "clinic", "as_of": "soon"}) + // 6: two problems
		row(map[string]string{"id": "bd-occ-5", "address": "House 4\nRoad 2"}) + // 7 and 8: newline in a quoted field
		row(map[string]string{"id": "bd-occ-6", "lat": "123"}) + // 9: bad latitude
		row(map[string]string{"id": "bd-occ-7"}) + // 10
		"bd-occ-8,BD,occ\n" + // 11: short row
		row(map[string]string{"id": "bd-occ-1"}) // 12: id again

	d, err := Parse(strings.NewReader(file))
	if d != nil {
		t.Fatal("Parse returned a directory for a file with bad lines")
	}
	var perr *ParseError
	if !errors.As(err, &perr) {
		t.Fatalf("Parse error %v, want a *ParseError", err)
	}
	if got, want := perr.Lines(), []int{4, 6, 7, 9, 11, 12}; !slices.Equal(got, want) {
		t.Errorf("bad lines %v, want %v\n%v", got, want, err)
	}
	msg := err.Error()
	for _, want := range []string{"line 4: phones", "line 6: kind", "line 6: as_of", "line 7: address", "line 9: lat", "line 11:", "line 12: id", "line 3"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not mention %q:\n%s", want, msg)
		}
	}
	for _, good := range []string{"line 2", "line 5", "line 8", "line 10"} {
		if strings.Contains(msg, good+":") {
			t.Errorf("error blames good %s:\n%s", good, msg)
		}
	}
}
