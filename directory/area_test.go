package directory

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

func TestAreaCounts(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country string
		level   Level
		min     int
		max     int
	}{
		{"BD", LevelDivision, 8, 8},
		{"BD", LevelDistrict, 64, 64},
		{"IN", LevelState, 36, 36},
		{"IN", LevelDistrict, 36, 800},
		{"PS", LevelGovernorate, 16, 16},
	}
	for _, tt := range tests {
		if n := len(d.Areas(tt.country, tt.level)); n < tt.min || n > tt.max {
			t.Errorf("%s %s: %d areas, want %d–%d", tt.country, tt.level, n, tt.min, tt.max)
		}
	}
	// Every Bangladeshi division holds districts, and the 64 districts are BD-01 … BD-64.
	for _, div := range d.Top("BD") {
		if len(d.Children(div.Code)) == 0 {
			t.Errorf("division %s has no districts", div.Code)
		}
	}
	for i := 1; i <= 64; i++ {
		if _, ok := d.Area(fmt.Sprintf("BD-%02d", i)); !ok {
			t.Errorf("BD-%02d missing", i)
		}
	}
	// Every Indian state and union territory has at least one district placed.
	for _, st := range d.Top("IN") {
		if len(d.Children(st.Code)) == 0 {
			t.Errorf("state %s has no districts", st.Code)
		}
	}
}

// TestEveryAreaNamedInBothItsLanguages: English, and the country's language in its own script.
func TestEveryAreaNamedInBothItsLanguages(t *testing.T) {
	d := mustEmbedded(t)
	script := map[string]*unicode.RangeTable{"BD": unicode.Bengali, "IN": unicode.Devanagari, "PS": unicode.Arabic}
	for _, a := range d.Areas("", "") {
		en, local := a.Names[onestop.English], a.Names[localLang[a.Country]]
		if en == "" || local == "" {
			t.Errorf("%s: en %q, %s %q", a.Code, en, localLang[a.Country], local)
			continue
		}
		for l, n := range a.Names {
			if !norm.NFC.IsNormalString(n) {
				t.Errorf("%s %s name %q is not NFC", a.Code, l, n)
			}
			if l != onestop.English && hasLatin(n) {
				t.Errorf("%s %s name %q has Latin letters", a.Code, l, n)
			}
		}
		if !strings.ContainsFunc(local, func(r rune) bool { return unicode.Is(script[a.Country], r) }) {
			t.Errorf("%s: %q is not in the country's script", a.Code, local)
		}
		if a.Source == "" || a.AsOf == "" {
			t.Errorf("%s: no source or date", a.Code)
		}
		if a.Country == "IN" && a.LGD == 0 {
			t.Errorf("%s: no LGD code", a.Code)
		}
		// A Bengali, Hindi or Arabic reader never gets a Latin name.
		for _, l := range onestop.Langs {
			if l != onestop.English && hasLatin(a.Name(l)) {
				t.Errorf("%s: Name(%s) = %q", a.Code, l, a.Name(l))
			}
		}
	}
}

func TestEmbeddedCentresLieInTheirAreas(t *testing.T) {
	d := mustEmbedded(t)
	for _, c := range append(d.Centres(), d.Derived()...) {
		if c.Area == c.Country {
			continue
		}
		a, ok := d.Area(c.Area)
		if !ok {
			t.Errorf("%s: unknown area %s", c.ID, c.Area)
			continue
		}
		if c.HasPoint() && Distance(c.Lat, c.Lon, a.Lat, a.Lon) > reach[a.Level] {
			t.Errorf("%s lies %.0f km from %s", c.ID, Distance(c.Lat, c.Lon, a.Lat, a.Lon), a.Code)
		}
	}
	// India: one Sakhi centre per district, honestly unverified, with no invented address or number.
	n := 0
	for _, c := range d.Derived() {
		n++
		if c.Kind != KindOSC || c.Verified || c.Address != "" || c.Number() != "" || strings.Contains(c.Names[onestop.English], "181") != (!strings.HasPrefix(c.Area, "IN-WB-")) {
			t.Errorf("derived %+v", c)
		}
	}
	if want := len(d.Areas("IN", LevelDistrict)); n != want {
		t.Errorf("%d derived Sakhi centres, want one per district (%d)", n, want)
	}
}

func TestDistance(t *testing.T) {
	// Dhaka to Chattogram is about 215 km as the crow flies; Ramallah to Gaza City about 80.
	for _, tt := range []struct {
		a, b     [2]float64
		min, max float64
	}{
		{[2]float64{23.727, 90.407}, [2]float64{22.336, 91.832}, 205, 220},
		{[2]float64{31.903, 35.204}, [2]float64{31.502, 34.467}, 75, 85},
		{[2]float64{1, 2}, [2]float64{1, 2}, 0, 0},
	} {
		if km := Distance(tt.a[0], tt.a[1], tt.b[0], tt.b[1]); km < tt.min || km > tt.max {
			t.Errorf("Distance(%v, %v) = %.1f, want %g–%g", tt.a, tt.b, km, tt.min, tt.max)
		}
	}
}

func TestNearestKnownPoints(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		name     string
		lat, lon float64
		q        Query
		first    string
		helpline string
		n        int // centres before the helpline, when fewer than the limit exist
	}{
		{"Dhaka, Shahbag", 23.72, 90.40, Query{}, "bd-occ-dhaka", "bd-109", 0},
		{"Sylhet town", 24.90, 91.87, Query{}, "bd-occ-sylhet", "bd-109", 0},
		{"Cox's Bazar beach", 21.43, 91.98, Query{}, "bd-occ-coxsbazar", "bd-109", 0},
		{"Lucknow", 26.85, 80.95, Query{}, "in-osc-162", "in-181", 0},
		{"Varanasi ghats", 25.31, 83.01, Query{}, "in-osc-187", "in-181", 0},
		{"Ramallah", 31.90, 35.20, Query{}, "ps-onestop-ramallah", "ps-121", 0},
		{"Ramallah, medical: the only one", 31.90, 35.20, Query{Service: Medical}, "ps-onestop-ramallah", "ps-121", 1},
		{"Gaza, medical: still the only one", 31.50, 34.46, Query{Service: Medical}, "ps-onestop-ramallah", "ps-121", 1},
		{"Nablus", 32.22, 35.26, Query{}, "ps-fjpu-nablus", "ps-121", 0},
		{"Dhaka, shelter", 23.72, 90.40, Query{Service: Shelter, Limit: 5}, "bd-occ-dhaka", "bd-109", 0},
	}
	for _, tt := range tests {
		hits := d.ForPoint(tt.lat, tt.lon, tt.q)
		if len(hits) < 2 {
			t.Fatalf("%s: %d hits", tt.name, len(hits))
		}
		if hits[0].Centre.ID != tt.first {
			t.Errorf("%s: first %s, want %s", tt.name, hits[0].Centre.ID, tt.first)
		}
		last := hits[len(hits)-1]
		if last.Centre.ID != tt.helpline || last.Located {
			t.Errorf("%s: ends with %s, want the helpline %s", tt.name, last.Centre.ID, tt.helpline)
		}
		want := tt.q.Limit
		if want == 0 {
			want = DefaultLimit
		}
		if tt.n > 0 {
			want = tt.n
		}
		if len(hits) != want+1 {
			t.Errorf("%s: %d hits, want %d and the helpline", tt.name, len(hits), want)
		}
		for i, h := range hits[:len(hits)-1] {
			if i > 0 && h.KM < hits[i-1].KM {
				t.Errorf("%s: not nearest first: %v", tt.name, hits)
			}
			if tt.q.Service != "" && !slices.Contains(h.Centre.Services, tt.q.Service) {
				t.Errorf("%s: %s lacks %s", tt.name, h.Centre.ID, tt.q.Service)
			}
			if h.Centre.Country != last.Centre.Country {
				t.Errorf("%s: %s is in another country", tt.name, h.Centre.ID)
			}
		}
	}
}

func TestForAreaOwnCentresFirstThenNearestThenHelpline(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		code  string
		first []string
		help  string
	}{
		// A centre serves its own region: Dhaka division's two OCCs, never Chattogram's.
		{"BD-13", []string{"bd-occ-dhaka", "bd-occ-faridpur"}, "bd-109"},
		{"BD-C", []string{"bd-occ-dhaka", "bd-occ-faridpur"}, "bd-109"},
		{"BD-64", []string{"bd-occ-rangpur"}, "bd-109"}, // Thakurgaon: Rangpur division's OCC, then 109
		{"IN-UP", []string{"in-osc-162"}, "in-181"},
		{"IN-MH-483", []string{"in-osc-483"}, "in-181"},
		// West Bengal has no 181: its district's centre, then 112.
		{"IN-WB-315", []string{"in-osc-315"}, "in-112"},
		// Gaza: nothing local is known, and no West Bank unit across the closed line; the
		// helpline, then police and ambulance.
		{"PS-GZA", nil, "ps-101"},
		{"PS-RBH", []string{"ps-onestop-ramallah", "ps-fjpu-ramallah"}, "ps-121"},
	}
	for _, tt := range tests {
		hits, ok := d.ForArea(tt.code, Query{})
		if !ok {
			t.Fatalf("ForArea(%s): unknown", tt.code)
		}
		got := ids(centresOf(hits))
		if got[len(got)-1] != tt.help || (len(tt.first) > 0 && len(got) != len(tt.first)+1 && len(got) != DefaultLimit+1) {
			t.Errorf("ForArea(%s) = %v, want %v and %s", tt.code, got, tt.first, tt.help)
			continue
		}
		for _, id := range tt.first {
			if i := slices.Index(got, id); i < 0 || i >= len(tt.first) {
				t.Errorf("ForArea(%s) = %v, want %v first", tt.code, got, tt.first)
			}
		}
	}
	if _, ok := d.ForArea("BD-99", Query{}); ok {
		t.Error("ForArea of an unknown code: ok")
	}
}

func centresOf(hits []Hit) []Centre {
	out := make([]Centre, len(hits))
	for i, h := range hits {
		out[i] = h.Centre
	}
	return out
}

func TestSearchAliasesScriptsAndFolding(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country, typed, want string
	}{
		{"BD", "Barisal", "BD-06"},
		{"BD", "barishal", "BD-06"},
		{"BD", "Chittagong", "BD-10"},
		{"BD", "CHATTOGRAM", "BD-10"},
		{"BD", "Comilla", "BD-08"},
		{"BD", "Jessore", "BD-22"},
		{"BD", "Bogra", "BD-03"},
		{"BD", "Coxsbazar", "BD-11"},
		{"BD", "cox's bazar", "BD-11"},
		{"BD", "ঢাকা", "BD-13"},
		{"BD", "Dhaka", "BD-13"},
		{"BD", "বগুড়া", "BD-03"},
		{"BD", "বগুড়া", "BD-03"}, // ড় composed, as some keyboards type it
		{"BD", "Thakurgaon", "BD-64"},
		{"IN", "Bangalore", "IN-KA-525"},
		{"IN", "लखनऊ", "IN-UP-162"},
		{"IN", "Calcutta", "IN-WB-315"},
		{"IN", "कलकत्ता", "IN-WB-315"},
		{"IN", "बनारस", "IN-UP-187"},
		{"IN", "रांची", "IN-JH-339"},
		{"IN", "राँची", "IN-JH-339"},
		{"IN", "Orissa", "IN-OD"},
		{"PS", "رام الله", "PS-RBH"},
		{"PS", "رام الله والبيرة", "PS-RBH"},
		{"PS", "Ramallah", "PS-RBH"},
		{"PS", "الخليل", "PS-HBN"},
		{"PS", "اريحا", "PS-JRH"},       // without the hamza
		{"PS", "أريحا", "PS-JRH"},       // with it
		{"PS", "قلقيليه", "PS-QQA"},     // taa marbuta typed as haa
		{"PS", "Khan Younis", "PS-KYS"}, // common spelling
		{"PS", "Gaza", "PS-GZA"},
	}
	for _, tt := range tests {
		a, ok := d.Best(tt.country, tt.typed)
		if !ok || a.Code != tt.want {
			t.Errorf("Best(%s, %q) = %s, %v; want %s (matches: %v)", tt.country, tt.typed, a.Code, ok, tt.want, codes(d.Search(tt.country, tt.typed, 0)))
		}
	}
	// Several matches, no single best: a list.
	if _, ok := d.Best("BD", "pur"); ok {
		t.Error(`Best("pur") chose one of many`)
	}
	if got := d.Search("BD", "pur", 0); len(got) < 10 {
		t.Errorf(`Search("pur") = %v`, codes(got))
	}
	// Exact before prefix before contains.
	if got := codes(d.Search("PS", "Gaza", 0)); !slices.Equal(got, []string{"PS-GZA", "PS-NGZ"}) {
		t.Errorf(`Search("Gaza") = %v`, got)
	}
	for _, q := range []string{"", "a", " ", "'", "Atlantis"} {
		if got := d.Search("BD", q, 0); len(got) != 0 {
			t.Errorf("Search(%q) = %v, want none", q, codes(got))
		}
	}
	// Another country's place is not found.
	if _, ok := d.Best("BD", "Lucknow"); ok {
		t.Error("a BD caller found Lucknow")
	}
}

func codes(as []Area) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.Code
	}
	return out
}

func TestFold(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"Cox's Bazar", "coxsbazar"},
		{"Barishāl", "barishal"},
		{"رامَ الله", "رامالله"},
		{"أريحا", "اريحا"},
		{"قلقيلية", "قلقيليه"},
		{"क़लक़ीलिया", "कलकिलिया"},
		{"ब्रह्मपुरी", "ब्रह्मपुरि"},
		{"ব্রাহ্মণবাড়িয়া", Fold("ব্রাহ্মনবারিয়া")},
		{"নীলফামারী", Fold("নিলফামারি")},
		{"মুন্সীগঞ্জ", Fold("মুন্সিগঞ্জ")},
		{"Narayangonj", "narayanganj"},
		{"Chottogram", "chattogram"},
		{"Moymonsingh", "mymensingh"},
		{"غزة", Fold("غزه")},
		{"إربد", Fold("اربد")},
		{"مستشفى", Fold("مستشفي")},
	} {
		if got := Fold(tt.in); got != tt.want {
			t.Errorf("Fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseAreasReportsEveryBadLine(t *testing.T) {
	good := "BD-A,BD,division,BD,,Barishal,বরিশাল,,,,22.7,90.35,src,2026-11-23,true\n" +
		"BD-06,BD,district,BD-A,,Barishal,বরিশাল,,,Barisal,22.7,90.35,src,2026-11-23,true\n"
	header := strings.Join(areaColumns, ",") + "\n"
	if _, err := ParseAreas(strings.NewReader(header + good)); err != nil {
		t.Fatalf("good file: %v", err)
	}
	bad := header + good +
		"BD-07,BD,district,BD-Z,,Bhola,ভোলা,,,,22.68,90.64,src,2026-11-23,true\n" + // line 4: unknown parent
		"BD-08,BD,district,BD-A,,Cumilla,Cumilla,,,,23.46,91.18,src,2026-11-23,true\n" + // 5: Latin bn name
		"BD-09,BD,district,BD-A,,Chandpur,চাঁদপুর,,,,48.1,11.5,src,2026-11-23,true\n" + // 6: point in Germany
		"BD-06,BD,district,BD-A,,Barishal,বরিশাল,,,,22.7,90.35,src,2026-11-23,true\n" + // 7: repeated code
		"PS-XXX,PS,governorate,PS,,Nowhere,,,,,31.9,35.2,,yesterday,maybe\n" + // 8: no ar name, source, date, flag
		"BD-10,BD,district,BD-A\n" // 9: short row
	_, err := ParseAreas(strings.NewReader(bad))
	var perr *ParseError
	if !errors.As(err, &perr) {
		t.Fatalf("err = %v", err)
	}
	if got := perr.Lines(); !slices.Equal(got, []int{4, 5, 6, 7, 8, 9}) {
		t.Errorf("lines %v, want 4–9:\n%v", got, err)
	}
	if !strings.Contains(err.Error(), "directory areas:") {
		t.Errorf("error does not name the file: %v", err)
	}
}

func openTestStore(t *testing.T) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func snapshot(t *testing.T, db *bolt.DB) string {
	ctx := context.Background()
	t.Helper()
	var b strings.Builder
	db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Areas).ForEach(func(k, v []byte) error {
			fmt.Fprintf(&b, "%s=%x\n", k, v)
			return nil
		})
	})
	return b.String()
}

func TestImportIsAtomicAndWinsOverTheEmbedded(t *testing.T) {
	ctx := context.Background()
	db := openTestStore(t)
	d, err := Load(ctx, db)
	if err != nil || d.cur.Load() != mustEmbedded(t).cur.Load() {
		t.Fatalf("Load of an empty store = %p, %v; want the embedded directory", d, err)
	}
	var centres bytes.Buffer
	if err := d.Export(&centres, TableCentres); err != nil {
		t.Fatal(err)
	}
	// Exported as is, the import changes nothing.
	if ch, err := Import(ctx, db, centres.Bytes(), false); err != nil || !ch.Empty() {
		t.Fatalf("re-import of the export: %+v, %v", ch, err)
	}

	// A bad file: every bad line reported, nothing stored.
	lines := strings.Split(strings.TrimSuffix(centres.String(), "\n"), "\n")
	bad := slices.Clone(lines)
	bad[3] = strings.Replace(bad[3], "BD-13", "BD-99", 1)       // unknown area
	bad[5] = strings.Replace(bad[5], ",BD,occ,", ",XX,occ,", 1) // unknown country
	bad = append(bad, bad[2])                                   // repeated id
	before := snapshot(t, db)
	_, err = Import(ctx, db, []byte(strings.Join(bad, "\n")+"\n"), false)
	var perr *ParseError
	if !errors.As(err, &perr) || onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("bad import: %v", err)
	}
	if got := perr.Lines(); !slices.Equal(got, []int{4, 6, len(bad)}) {
		t.Errorf("bad lines %v, want [4 6 %d]:\n%v", got, len(bad), err)
	}
	if snapshot(t, db) != before {
		t.Fatal("a bad import changed the store")
	}

	// A good file: dry run shows the change and stores nothing; the real one wins from then on.
	good := slices.Clone(lines[:len(lines)-1]) // remove the last centre
	good[3] = strings.Replace(good[3], "24/7", "24 hours", 1)
	good = append(good, strings.Replace(strings.Replace(lines[3], "bd-occ-dhaka", "bd-cell-dhaka-test", 1), ",occ,", ",cell,", 1))
	file := []byte(strings.Join(good, "\n") + "\n")
	ch, err := Import(ctx, db, file, true)
	removed := d.Centres()[len(d.Centres())-1].ID
	want := Change{Table: TableCentres, Added: []string{"bd-cell-dhaka-test"}, Changed: []string{"bd-occ-dhaka"}, Removed: []string{removed}}
	if err != nil || fmt.Sprint(ch) != fmt.Sprint(want) {
		t.Fatalf("dry run = %+v, %v; want %+v", ch, err, want)
	}
	if snapshot(t, db) != before {
		t.Fatal("a dry run changed the store")
	}
	if _, err := Import(ctx, db, file, false); err != nil {
		t.Fatal(err)
	}
	d2, err := Load(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := d2.Centre("bd-occ-dhaka"); !ok || c.Hours != "24 hours" {
		t.Errorf("imported row: %+v", c)
	}
	if _, ok := d2.Centre(removed); ok {
		t.Errorf("%s still there after its removal was imported", removed)
	}

	// An areas import that strands a centre is refused, and changes nothing.
	var areas bytes.Buffer
	d2.Export(&areas, TableAreas)
	noDhaka := strings.ReplaceAll(areas.String(), "\nBD-13,", "\nBD-13X,")
	before = snapshot(t, db)
	if _, err := Import(ctx, db, []byte(noDhaka), false); err == nil || !strings.Contains(err.Error(), "BD-13") {
		t.Errorf("areas import without Dhaka: %v", err)
	}
	if snapshot(t, db) != before {
		t.Fatal("a refused areas import changed the store")
	}
	if err := Reset(ctx, db, TableCentres); err != nil {
		t.Fatal(err)
	}
	if d3, _ := Load(ctx, db); d3.cur.Load() != mustEmbedded(t).cur.Load() {
		t.Error("after Reset, Load is not the embedded directory")
	}
}

func TestDetectTable(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Table
	}{
		{"id,country\n", TableCentres},
		{"\uFEFFcode,country\n", TableAreas},
		{"name,phone\n", ""},
		{"", ""},
	} {
		got, err := DetectTable([]byte(tt.in))
		if got != tt.want || (tt.want == "") != (err != nil) {
			t.Errorf("DetectTable(%q) = %q, %v", tt.in, got, err)
		}
	}
}

// syntheticCentres spreads n located centres over Bangladesh and India with random services.
func syntheticCentres(n int) []Centre {
	r := rand.New(rand.NewPCG(1, 2))
	all := []Service{Medical, Police, Legal, Counselling, Shelter}
	cs := make([]Centre, n)
	for i := range cs {
		cs[i] = Centre{
			ID: fmt.Sprintf("c%d", i), Country: "IN", Kind: KindOSC, Area: "IN",
			Names: map[onestop.Lang]string{onestop.English: "x"},
			Lat:   8 + r.Float64()*26, Lon: 70 + r.Float64()*22,
			Services: []Service{all[r.IntN(len(all))]},
		}
	}
	return cs
}

// TestIndexAgreesWithAScan checks the grid against a plain scan, with and without a filter, at
// points inside and outside the indexed area.
func TestIndexAgreesWithAScan(t *testing.T) {
	cs := syntheticCentres(5000)
	d := newDirectory(cs, nil)
	r := rand.New(rand.NewPCG(3, 4))
	for range 300 {
		lat, lon := 0+r.Float64()*45, 60+r.Float64()*40
		for _, q := range []Query{{Limit: 5}, {Limit: 3, Service: Shelter}, {Limit: 1}} {
			got := ids(centresOf(d.Nearest(lat, lon, q)))
			type pd struct {
				id string
				km float64
				i  int
			}
			var all []pd
			for i, c := range cs {
				if q.Service == "" || slices.Contains(c.Services, q.Service) {
					all = append(all, pd{c.ID, Distance(lat, lon, c.Lat, c.Lon), i})
				}
			}
			slices.SortFunc(all, func(a, b pd) int {
				if c := cmpFloat(a.km, b.km); c != 0 {
					return c
				}
				return a.i - b.i
			})
			var want []string
			for _, p := range all[:q.Limit] {
				want = append(want, p.id)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("at %.3f,%.3f %+v: index %v, scan %v", lat, lon, q, got, want)
			}
		}
	}
	if got := newDirectory(nil, nil).Nearest(23, 90, Query{}); len(got) != 0 {
		t.Errorf("empty directory: %v", got)
	}
}

// BenchmarkNearest finds the 5 nearest of 100,000 synthetic centres: through the index alone
// (what a query costs) and through Nearest (which also copies each centre out).
func BenchmarkNearest(b *testing.B) {
	d := newDirectory(syntheticCentres(100_000), nil)
	r := rand.New(rand.NewPCG(5, 6))
	pts := make([][2]float64, 1024)
	for i := range pts {
		pts[i] = [2]float64{8 + r.Float64()*26, 70 + r.Float64()*22}
	}
	b.Run("index-5", func(b *testing.B) {
		buf := make([]candidate, 0, 5)
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i%len(pts)]
			buf = d.index.nearest(p[0], p[1], 5, nil, buf)
		}
	})
	b.Run("Nearest-5", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i%len(pts)]
			if len(d.Nearest(p[0], p[1], Query{Limit: 5})) != 5 {
				b.Fatal("short answer")
			}
		}
	})
	b.Run("Nearest-5-shelter", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i%len(pts)]
			d.Nearest(p[0], p[1], Query{Limit: 5, Service: Shelter})
		}
	})
	b.Run("scan-5", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; b.Loop(); i++ {
			p := pts[i%len(pts)]
			best := make([]candidate, 0, 5)
			for j := range d.centres {
				c := &d.centres[j]
				best = insertIfBetter(best, 5, candidate{haversine(p[0], p[1], math.Cos(p[0]*rad), c.Lat, c.Lon, math.Cos(c.Lat*rad)), int32(j)})
			}
		}
	})
}

func insertIfBetter(out []candidate, k int, c candidate) []candidate {
	if len(out) == k && c.hv >= out[k-1].hv {
		return out
	}
	return insert(out, k, c)
}
