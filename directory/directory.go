// Package directory owns where a survivor can be sent: the national helplines, the emergency
// numbers and the centres (Bangladesh's One-Stop Crisis Centres and Cells, India's Sakhi One Stop
// Centres, the Palestinian One-Stop Center and protection units, shelters), the administrative
// areas they serve (Bangladesh's divisions and districts, India's states, union territories and
// districts, Palestine's governorates), the search of an area by any spelling of its name, and the
// nearest centres to a point or an area through a spatial index. It reads two curated,
// source-cited CSV files embedded in the binary, or the operator's imported versions of them.
//
// Every row says where its facts came from, when they were checked, and whether they were
// verified, because no authoritative machine-readable list exists for any of the three countries;
// the national helpline is the fallback that is always right, so every country's list starts
// with it.
//
// The package must never let a confidential field reach a phone: a shelter's address is known to
// staff, never told to a caller. Anything that renders a centre to a caller takes it through
// Centre.PhoneSafe.
package directory

import (
	"bytes"
	_ "embed"
	"slices"
	"sync"

	"github.com/onestop-helpline/onestop"
)

// Service is something a centre provides.
type Service string

// The services a centre can provide.
const (
	Medical     Service = "medical"
	Police      Service = "police"
	Legal       Service = "legal"
	Counselling Service = "counselling"
	Shelter     Service = "shelter"
)

// Valid reports whether s is one of the known services.
func (s Service) Valid() bool {
	switch s {
	case Medical, Police, Legal, Counselling, Shelter:
		return true
	}
	return false
}

// Kind is what sort of place or line a centre is.
type Kind string

// The kinds of centre.
const (
	// KindHelpline is a national helpline (BD 109, IN 181, PS 121).
	KindHelpline Kind = "helpline"
	// KindEmergency is an emergency number (BD 999, IN 112, PS 100 and 101).
	KindEmergency Kind = "emergency"
	// KindOCC is a One-Stop Crisis Centre in a Bangladeshi medical college hospital.
	KindOCC Kind = "occ"
	// KindOSC is an Indian Sakhi One Stop Centre.
	KindOSC Kind = "osc"
	// KindCell is a Bangladeshi One-Stop Crisis Cell in a district or upazila hospital.
	KindCell Kind = "cell"
	// KindOneStop is the Palestinian One-Stop Center.
	KindOneStop Kind = "onestop"
	// KindFJPU is a Palestinian police Family and Juvenile Protection Unit.
	KindFJPU Kind = "fjpu"
	// KindShelter is a shelter; its address is always confidential.
	KindShelter Kind = "shelter"
)

// Valid reports whether k is one of the known kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindHelpline, KindEmergency, KindOCC, KindOSC, KindCell, KindOneStop, KindFJPU, KindShelter:
		return true
	}
	return false
}

// Centre is one row of the directory: a helpline, an emergency number or a place.
type Centre struct {
	ID string
	// Country is the ISO 3166-1 alpha-2 code: "BD", "IN" or "PS".
	Country string
	Kind    Kind
	// Area is the ISO 3166-2 code of the district, governorate or state when known (BD-13 is
	// Dhaka district), else the country code.
	Area string
	// Names holds a name in every helpline language, NFC-normalised; the bn, hi and ar names are
	// short enough for a USSD line, the English one may be the full name.
	Names map[onestop.Lang]string
	// Dial is a short code to dial ("109"), or "".
	Dial string
	// Phones are E.164 numbers; empty when none has been sourced, never guessed.
	Phones   []string
	Hours    string
	Services []Service
	// Lat and Lon are 0,0 when no point is known; HasPoint tells.
	Lat, Lon float64
	Address  string
	// AddressConfidential marks an address staff may see but a phone must never be told.
	AddressConfidential bool
	// Source is where the row's facts came from (a URL or a document name); AsOf is the
	// YYYY-MM-DD they were checked; Verified is false for a row an authority has not confirmed.
	Source   string
	AsOf     string
	Verified bool
	// Serves are the codes of the areas the centre serves, when its row names them; a centre
	// whose row names none serves the region it sits in (see Directory.Serves).
	Serves []string
}

// Name returns the centre's name in lang, or its English name when it has none in lang.
func (c Centre) Name(lang onestop.Lang) string {
	if s := c.Names[lang]; s != "" {
		return s
	}
	return c.Names[onestop.English]
}

// HasPoint reports whether the centre has a known location.
func (c Centre) HasPoint() bool {
	return c.Lat != 0 || c.Lon != 0
}

// Number returns what a caller should dial: the short code if there is one, since it is free and
// easy to remember, else the first phone, else "".
func (c Centre) Number() string {
	if c.Dial != "" {
		return c.Dial
	}
	if len(c.Phones) > 0 {
		return c.Phones[0]
	}
	return ""
}

// PhoneSafe returns a copy with every field a phone may be told; a confidential address is
// blanked. Everything that renders a centre to a caller goes through it. A shelter's address is
// blanked even when the flag was left unset, because a shelter's location told to the wrong phone
// can cost a life.
func (c Centre) PhoneSafe() Centre {
	safe := c.clone()
	if safe.AddressConfidential || safe.Kind == KindShelter {
		safe.Address = ""
	}
	return safe
}

// clone returns a copy that shares no map or slice with c, so a caller changing what it was given
// cannot change the directory everyone else reads.
func (c Centre) clone() Centre {
	if c.Names != nil {
		names := make(map[onestop.Lang]string, len(c.Names))
		for l, n := range c.Names {
			names[l] = n
		}
		c.Names = names
	}
	c.Phones = slices.Clone(c.Phones)
	c.Services = slices.Clone(c.Services)
	c.Serves = slices.Clone(c.Serves)
	return c
}

// state is one validated set of centres and areas. It never changes once built, so one state
// is safe for concurrent use; a Directory holds the one in force.
type state struct {
	centres []Centre
	// derived are the centres that exist by design but have no row of their own: India's Sakhi
	// One Stop Centre in every district, placed at the district's headquarters and unverified.
	derived []Centre
	byID    map[string]int // index into centres, or len(centres)+index into derived

	areas    []Area
	byCode   map[string]int
	children map[string][]int
	folded   [][]string      // per area: its names and aliases folded for search
	homonym  map[string]bool // country|folded English name → more than one area has it

	index *grid // every centre with a point, centres then derived
}

//go:generate go run ./gen -src ../../shared/data

var (
	//go:embed data/centres.csv
	centresCSV []byte
	//go:embed data/areas.csv
	areasCSV []byte
)

var embeddedAreas = sync.OnceValues(func() ([]Area, error) {
	return ParseAreas(bytes.NewReader(areasCSV))
})

var embedded = sync.OnceValues(func() (*state, error) {
	areas, err := embeddedAreas()
	if err != nil {
		return nil, err
	}
	return build(bytes.NewReader(centresCSV), areas)
})

// embeddedState parses the embedded CSV files; they are validated by tests, so an error here is a
// build defect. It parses once and returns the same Directory to every caller.
func embeddedState() (*state, error) {
	return embedded()
}

func newDirectory(centres []Centre, areas []Area) *state {
	d := &state{
		centres: centres, byID: make(map[string]int, len(centres)),
		areas: areas, byCode: make(map[string]int, len(areas)), children: map[string][]int{},
	}
	for i, c := range centres {
		d.byID[c.ID] = i
	}
	for i, a := range areas {
		d.byCode[a.Code] = i
		if !a.TopLevel() {
			d.children[a.Parent] = append(d.children[a.Parent], i)
		}
		d.folded = append(d.folded, foldAll(a))
	}
	d.homonym = homonyms(areas)
	d.derived = deriveOSCs(centres, areas)
	for i, c := range d.derived {
		if _, dup := d.byID[c.ID]; !dup {
			d.byID[c.ID] = len(centres) + i
		}
	}
	d.index = d.buildIndex()
	return d
}

// at returns the centre at an index of byID or of the spatial index.
func (d *state) at(i int) *Centre {
	if i < len(d.centres) {
		return &d.centres[i]
	}
	return &d.derived[i-len(d.centres)]
}

// Centres returns every centre of the file, in file order; the centres derived from the areas
// (see Derived) are not among them.
func (d *state) Centres() []Centre {
	out := make([]Centre, len(d.centres))
	for i, c := range d.centres {
		out[i] = c.clone()
	}
	return out
}

// Centre returns the centre with id, and false when there is none.
func (d *state) Centre(id string) (Centre, bool) {
	i, ok := d.byID[id]
	if !ok {
		return Centre{}, false
	}
	return d.at(i).clone(), true
}

// Helpline returns the country's national helpline (BD 109, IN 181, PS 121): the first helpline
// row of that country. ok is false for a country the directory does not cover.
func (d *state) Helpline(country string) (Centre, bool) {
	for _, c := range d.centres {
		if c.Country == country && c.Kind == KindHelpline {
			return c.clone(), true
		}
	}
	return Centre{}, false
}

// Emergency returns the country's emergency numbers in file order, which puts first the one to
// name on a screen (BD 999, IN 112, PS 100 then 101). It is empty for a country the directory
// does not cover.
func (d *state) Emergency(country string) []Centre {
	var out []Centre
	for _, c := range d.centres {
		if c.Country == country && c.Kind == KindEmergency {
			out = append(out, c.clone())
		}
	}
	return out
}

// Help returns what menu "find help" lists for a country: the national helpline first, so a
// survivor never reaches a dead end even on page one, then the emergency numbers, then the
// country's other centres, verified before unverified and otherwise in file order. It is empty
// for a country the directory does not cover.
func (d *state) Help(country string) []Centre {
	helpline, ok := d.Helpline(country)
	if !ok {
		return nil
	}
	out := []Centre{helpline}
	out = append(out, d.Emergency(country)...)
	var unverified []Centre
	for _, c := range d.centres {
		if c.Country != country || c.Kind == KindEmergency || c.ID == helpline.ID {
			continue
		}
		if c.Verified {
			out = append(out, c.clone())
		} else {
			unverified = append(unverified, c.clone())
		}
	}
	return append(out, unverified...)
}
