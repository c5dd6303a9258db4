package directory

import (
	"math"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/unicode/norm"

	"github.com/onestop-helpline/onestop"
)

func mustEmbedded(t *testing.T) *Directory {
	t.Helper()
	d, err := Embedded()
	if err != nil {
		t.Fatalf("Embedded: %v", err)
	}
	return d
}

func ids(cs []Centre) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.ID
	}
	return out
}

func TestEmbeddedParses(t *testing.T) {
	d := mustEmbedded(t)
	if n := len(d.Centres()); n < 19 {
		t.Fatalf("Centres: %d rows, want at least 19", n)
	}
	again := mustEmbedded(t)
	if again.cur.Load() != d.cur.Load() {
		t.Error("Embedded parsed twice; want one shared set")
	}
	if again == d {
		t.Error("Embedded gave the same Directory twice: replacing one would replace the other's")
	}
	for _, c := range d.Centres() {
		if got, ok := d.Centre(c.ID); !ok || got.ID != c.ID {
			t.Errorf("Centre(%q) = %q, %v", c.ID, got.ID, ok)
		}
		if c.Source == "" || c.AsOf == "" {
			t.Errorf("%s: source %q, as_of %q: every row says where and when", c.ID, c.Source, c.AsOf)
		}
	}
	if _, ok := d.Centre("no-such-centre"); ok {
		t.Error("Centre of an unknown id: ok, want false")
	}
}

func TestEmbeddedCounts(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country  string
		kind     Kind
		verified bool
		want     int
	}{
		{"BD", KindOCC, true, 8},
		{"BD", KindOCC, false, 2},
		{"BD", KindHelpline, true, 1},
		{"BD", KindEmergency, true, 1},
		{"IN", KindHelpline, true, 1},
		{"IN", KindEmergency, true, 1},
		{"IN", KindOSC, false, 1},
		{"PS", KindHelpline, true, 1},
		{"PS", KindEmergency, true, 2},
		{"PS", KindOneStop, true, 1},
		{"BD", KindShelter, true, 0},
		{"PS", KindShelter, true, 0},
	}
	for _, tt := range tests {
		n := 0
		for _, c := range d.Centres() {
			if c.Country == tt.country && c.Kind == tt.kind && c.Verified == tt.verified {
				n++
			}
		}
		if n != tt.want {
			t.Errorf("%s %s verified=%v: %d rows, want %d", tt.country, tt.kind, tt.verified, n, tt.want)
		}
	}
}

func TestHelpline(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country string
		wantOK  bool
		wantID  string
		wantNum string
	}{
		{"BD", true, "bd-109", "109"},
		{"IN", true, "in-181", "181"},
		{"PS", true, "ps-121", "121"},
		{"bd", false, "", ""},
		{"NP", false, "", ""},
		{"", false, "", ""},
	}
	for _, tt := range tests {
		c, ok := d.Helpline(tt.country)
		if ok != tt.wantOK || c.ID != tt.wantID || c.Number() != tt.wantNum {
			t.Errorf("Helpline(%q) = %q %q %v, want %q %q %v", tt.country, c.ID, c.Number(), ok, tt.wantID, tt.wantNum, tt.wantOK)
		}
		if ok && (c.Kind != KindHelpline || c.Country != tt.country || !c.Verified) {
			t.Errorf("Helpline(%q): kind %s country %s verified %v", tt.country, c.Kind, c.Country, c.Verified)
		}
	}
}

func TestEmergency(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country string
		want    []string // numbers, the one to name on a screen first
	}{
		{"BD", []string{"999"}},
		{"IN", []string{"112"}},
		{"PS", []string{"100", "101"}},
		{"NP", nil},
	}
	for _, tt := range tests {
		var got []string
		for _, c := range d.Emergency(tt.country) {
			got = append(got, c.Number())
			if c.Kind != KindEmergency || c.Country != tt.country {
				t.Errorf("Emergency(%q) holds %s (%s, %s)", tt.country, c.ID, c.Kind, c.Country)
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Emergency(%q) = %v, want %v", tt.country, got, tt.want)
		}
	}
}

func TestHelpEmbedded(t *testing.T) {
	d := mustEmbedded(t)
	tests := []struct {
		country string
		want    []string
	}{
		{"BD", []string{
			"bd-109", "bd-999",
			"bd-occ-dhaka", "bd-occ-rajshahi", "bd-occ-chattogram", "bd-occ-sylhet",
			"bd-occ-barishal", "bd-occ-khulna", "bd-occ-rangpur", "bd-occ-faridpur",
			"bd-occ-coxsbazar", "bd-occ-cumilla",
		}},
		{"IN", []string{"in-181", "in-112", "in-osc"}},
		{"PS", []string{"ps-121", "ps-100", "ps-101", "ps-onestop-ramallah",
			"ps-fjpu-bethlehem", "ps-fjpu-hebron", "ps-fjpu-jenin", "ps-fjpu-jericho", "ps-fjpu-jerusalem",
			"ps-fjpu-nablus", "ps-fjpu-qalqilya", "ps-fjpu-ramallah", "ps-fjpu-salfit", "ps-fjpu-tubas", "ps-fjpu-tulkarm",
		}},
		{"NP", nil},
	}
	for _, tt := range tests {
		got := ids(d.Help(tt.country))
		if !slices.Equal(got, tt.want) {
			t.Errorf("Help(%q) =\n %v\nwant\n %v", tt.country, got, tt.want)
		}
	}
}

// TestHelpOrder uses a file whose order differs from the order Help must give, so the ordering
// is Help's doing and not the file's.
func TestHelpOrder(t *testing.T) {
	csv := testHeader + "\n" +
		row(map[string]string{"id": "bd-cell-a", "kind": "cell", "verified": "false"}) +
		row(map[string]string{"id": "bd-999", "kind": "emergency", "area": "BD", "dial": "999", "phones": ""}) +
		row(map[string]string{"id": "bd-occ-b", "verified": "true"}) +
		row(map[string]string{"id": "bd-109", "kind": "helpline", "area": "BD", "dial": "109", "phones": ""}) +
		row(map[string]string{"id": "bd-occ-c", "verified": "false"}) +
		row(map[string]string{"id": "bd-112", "kind": "emergency", "area": "BD", "dial": "112", "phones": ""}) +
		row(map[string]string{"id": "bd-occ-d", "verified": "true"}) +
		row(map[string]string{"id": "bd-helpline-2", "kind": "helpline", "area": "BD", "dial": "1098", "phones": "", "verified": "false"})
	d := mustParse(t, csv)
	want := []string{"bd-109", "bd-999", "bd-112", "bd-occ-b", "bd-occ-d", "bd-cell-a", "bd-occ-c", "bd-helpline-2"}
	if got := ids(d.Help("BD")); !slices.Equal(got, want) {
		t.Errorf("Help(BD) =\n %v\nwant\n %v", got, want)
	}
	if got := ids(d.Help("IN")); len(got) != 0 {
		t.Errorf("Help(IN) = %v, want nothing", got)
	}
}

func TestNamesInEveryLanguage(t *testing.T) {
	scripts := map[onestop.Lang]*unicode.RangeTable{
		onestop.Bengali: unicode.Bengali,
		onestop.Hindi:   unicode.Devanagari,
		onestop.Arabic:  unicode.Arabic,
	}
	for _, c := range mustEmbedded(t).Centres() {
		if len(c.Names) != len(onestop.Langs) {
			t.Errorf("%s: %d names, want %d", c.ID, len(c.Names), len(onestop.Langs))
		}
		for _, lang := range onestop.Langs {
			name := c.Names[lang]
			if name == "" {
				t.Errorf("%s: no %s name", c.ID, lang)
				continue
			}
			if !norm.NFC.IsNormalString(name) {
				t.Errorf("%s: %s name %q is not NFC", c.ID, lang, name)
			}
			script, ok := scripts[lang]
			if !ok {
				continue
			}
			if strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(unicode.Latin, r) }) {
				t.Errorf("%s: %s name %q has Latin letters", c.ID, lang, name)
			}
			if !strings.ContainsFunc(name, func(r rune) bool { return unicode.Is(script, r) }) {
				t.Errorf("%s: %s name %q is not in the language's script", c.ID, lang, name)
			}
			// A USSD page holds 80 UCS-2 units; a name has to share it with a number and a key.
			if n := len(utf16.Encode([]rune(name))); n > 28 {
				t.Errorf("%s: %s name %q is %d UTF-16 units, want at most 28", c.ID, lang, name, n)
			}
		}
	}
}

func TestName(t *testing.T) {
	c := Centre{Names: map[onestop.Lang]string{onestop.English: "Women Helpline", onestop.Hindi: "महिला हेल्पलाइन"}}
	tests := []struct {
		lang onestop.Lang
		want string
	}{
		{onestop.Hindi, "महिला हेल्पलाइन"},
		{onestop.English, "Women Helpline"},
		{onestop.Bengali, "Women Helpline"},
		{onestop.Lang("fr"), "Women Helpline"},
	}
	for _, tt := range tests {
		if got := c.Name(tt.lang); got != tt.want {
			t.Errorf("Name(%s) = %q, want %q", tt.lang, got, tt.want)
		}
	}
}

func TestNumberAndPoint(t *testing.T) {
	tests := []struct {
		name      string
		c         Centre
		wantNum   string
		wantPoint bool
	}{
		{"dial before phones", Centre{Dial: "109", Phones: []string{"+8801812345678"}}, "109", false},
		{"first phone", Centre{Phones: []string{"+8801812345678", "+88027111234"}}, "+8801812345678", false},
		{"nothing", Centre{Lat: 23.7, Lon: 90.4}, "", true},
		{"point on the equator", Centre{Lon: 90.4}, "", true},
	}
	for _, tt := range tests {
		if got := tt.c.Number(); got != tt.wantNum {
			t.Errorf("%s: Number = %q, want %q", tt.name, got, tt.wantNum)
		}
		if got := tt.c.HasPoint(); got != tt.wantPoint {
			t.Errorf("%s: HasPoint = %v, want %v", tt.name, got, tt.wantPoint)
		}
	}
	d := mustEmbedded(t)
	for id, want := range map[string]bool{"bd-occ-dhaka": true, "ps-onestop-ramallah": true, "in-osc": false, "bd-109": false} {
		c, _ := d.Centre(id)
		if c.HasPoint() != want {
			t.Errorf("%s: HasPoint = %v, want %v", id, c.HasPoint(), want)
		}
	}
}

func TestPhoneSafe(t *testing.T) {
	tests := []struct {
		name        string
		c           Centre
		wantAddress string
	}{
		{"confidential address blanked", Centre{Kind: KindOneStop, Address: "Upstairs, 4 Hidden Lane", AddressConfidential: true}, ""},
		{"public address kept", Centre{Kind: KindOCC, Address: "Secretariat Road, Dhaka"}, "Secretariat Road, Dhaka"},
		{"shelter blanked even unflagged", Centre{Kind: KindShelter, Address: "Upstairs, 4 Hidden Lane"}, ""},
		{"shelter flagged", Centre{Kind: KindShelter, Address: "Upstairs, 4 Hidden Lane", AddressConfidential: true}, ""},
	}
	for _, tt := range tests {
		safe := tt.c.PhoneSafe()
		if safe.Address != tt.wantAddress {
			t.Errorf("%s: Address = %q, want %q", tt.name, safe.Address, tt.wantAddress)
		}
		if tt.c.Address == "" {
			t.Errorf("%s: PhoneSafe changed the original", tt.name)
		}
	}

	d := mustParse(t, validFile(
		row(map[string]string{"id": "bd-shelter", "kind": "shelter", "address": "Upstairs, 4 Hidden Lane", "address_confidential": "true", "services": "shelter"})))
	c, _ := d.Centre("bd-shelter")
	if c.Address == "" {
		t.Fatal("the directory itself lost the address staff need")
	}
	safe := c.PhoneSafe()
	if safe.Address != "" {
		t.Errorf("PhoneSafe of a parsed shelter: Address = %q, want blank", safe.Address)
	}
	if safe.Name(onestop.Bengali) != c.Name(onestop.Bengali) || safe.Number() != c.Number() || !slices.Equal(safe.Services, c.Services) {
		t.Error("PhoneSafe dropped a field a phone may be told")
	}
}

// TestCopiesDoNotAlias: the embedded directory is shared by every caller, so what one caller is
// handed must not be a window into it.
func TestCopiesDoNotAlias(t *testing.T) {
	d := mustParse(t, validFile(row(map[string]string{"id": "bd-occ-x"})))
	c, _ := d.Centre("bd-occ-x")
	c.Names[onestop.Bengali] = "changed"
	c.Phones[0] = "changed"
	c.Services[0] = "changed"
	d.Centres()[1].Names[onestop.Bengali] = "changed"
	d.Centres()[1].PhoneSafe().Phones[0] = "changed"
	again, _ := d.Centre("bd-occ-x")
	if again.Names[onestop.Bengali] == "changed" || again.Phones[0] == "changed" || again.Services[0] == "changed" {
		t.Errorf("a caller changed the directory: %+v", again)
	}
}

func km(lat1, lon1, lat2, lon2 float64) float64 {
	const r = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * r * math.Asin(math.Sqrt(a))
}

// TestOCCsNearTheirCity checks each OCC's point against the city it names, so a point geocoded to
// a namesake place or with swapped digits fails.
func TestOCCsNearTheirCity(t *testing.T) {
	cities := []struct {
		id       string
		spelling string // as the English name writes the city
		lat, lon float64
	}{
		{"bd-occ-dhaka", "Dhaka", 23.8103, 90.4125},
		{"bd-occ-rajshahi", "Rajshahi", 24.3745, 88.6042},
		{"bd-occ-chattogram", "Chittagong", 22.3569, 91.7832},
		{"bd-occ-sylhet", "Sylhet", 24.8949, 91.8687},
		{"bd-occ-barishal", "Barishal", 22.7010, 90.3535},
		{"bd-occ-khulna", "Khulna", 22.8456, 89.5403},
		{"bd-occ-rangpur", "Rangpur", 25.7439, 89.2752},
		{"bd-occ-faridpur", "Faridpur", 23.6071, 89.8429},
		{"bd-occ-coxsbazar", "Cox's Bazar", 21.4272, 92.0058},
		{"bd-occ-cumilla", "Cumilla", 23.4607, 91.1809},
	}
	d := mustEmbedded(t)
	var want []string
	for _, city := range cities {
		want = append(want, city.id)
		c, ok := d.Centre(city.id)
		if !ok {
			t.Errorf("%s: missing", city.id)
			continue
		}
		if !strings.Contains(c.Name(onestop.English), city.spelling) {
			t.Errorf("%s: name %q does not name %s", city.id, c.Name(onestop.English), city.spelling)
		}
		if !c.HasPoint() {
			t.Errorf("%s: no point", city.id)
			continue
		}
		if dist := km(c.Lat, c.Lon, city.lat, city.lon); dist > 60 {
			t.Errorf("%s: %.3f,%.3f is %.0f km from %s, want within 60", city.id, c.Lat, c.Lon, dist, city.spelling)
		}
	}
	var got []string
	for _, c := range d.Centres() {
		if c.Kind == KindOCC {
			got = append(got, c.ID)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("OCCs %v, want a city for each: %v", got, want)
	}
}

func TestKmOracle(t *testing.T) {
	// Dhaka to Chattogram is about 215 km as the crow flies.
	if d := km(23.8103, 90.4125, 22.3569, 91.7832); d < 205 || d > 225 {
		t.Errorf("km(Dhaka, Chattogram) = %.0f, want about 215", d)
	}
}
