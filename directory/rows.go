package directory

import (
	"fmt"
	"math"
	"strings"

	"github.com/onestop-helpline/onestop"
)

// AreaRow is an area as the operator's tools print it in JSON, names keyed by language code.
type AreaRow struct {
	Code     string            `json:"code"`
	Country  string            `json:"country"`
	Level    Level             `json:"level"`
	Parent   string            `json:"parent"`
	LGD      int               `json:"lgd,omitempty"`
	Names    map[string]string `json:"names"`
	Aliases  []string          `json:"aliases,omitempty"`
	Lat      float64           `json:"lat"`
	Lon      float64           `json:"lon"`
	Verified bool              `json:"verified"`
	Source   string            `json:"source"`
	AsOf     string            `json:"asOf"`
}

// Row is a as AreaRow.
func (a Area) Row() AreaRow {
	return AreaRow{
		Code: a.Code, Country: a.Country, Level: a.Level, Parent: a.Parent, LGD: a.LGD,
		Names: names(a.Names), Aliases: a.Aliases, Lat: a.Lat, Lon: a.Lon,
		Verified: a.Verified, Source: a.Source, AsOf: a.AsOf,
	}
}

// LocalName is the area's name in its country's own language (bn, hi or ar).
func (a Area) LocalName() string { return a.Name(localLang[a.Country]) }

// HitRow is one line of an answer as the operator's tools print it in JSON: a centre with its
// distance, or the closing helpline. It carries no address: what it prints is what a phone may
// be told.
type HitRow struct {
	Rank     int               `json:"rank"`
	ID       string            `json:"id"`
	Kind     Kind              `json:"kind"`
	Area     string            `json:"area"`
	Names    map[string]string `json:"names"`
	Number   string            `json:"number,omitempty"`
	Hours    string            `json:"hours,omitempty"`
	Services []Service         `json:"services,omitempty"`
	KM       *float64          `json:"km,omitempty"`
	Verified bool              `json:"verified"`
	Helpline bool              `json:"helpline,omitempty"`
}

// Row is h as HitRow, at rank (from 1); its distance is rounded to a tenth of a kilometre.
func (h Hit) Row(rank int) HitRow {
	ct := h.Centre
	row := HitRow{
		Rank: rank, ID: ct.ID, Kind: ct.Kind, Area: ct.Area, Names: names(ct.Names), Number: ct.Number(),
		Hours: ct.Hours, Services: ct.Services, Verified: ct.Verified, Helpline: ct.Kind == KindHelpline && !h.Located,
	}
	if h.Located {
		km := math.Round(h.KM*10) / 10
		row.KM = &km
	}
	return row
}

// Summary says what d holds, as directory check prints it: the centres, those placed at their
// district's headquarters, the areas, and each country's areas by level.
func (d *state) Summary() []string {
	lines := []string{fmt.Sprintf("%d centres (and %d Sakhi One Stop Centres placed at their district headquarters), %d areas",
		len(d.Centres()), len(d.Derived()), len(d.Areas("", "")))}
	for _, country := range []string{"BD", "IN", "PS"} {
		var parts []string
		for _, l := range []Level{LevelDivision, LevelState, LevelGovernorate, LevelDistrict} {
			if n := len(d.Areas(country, l)); n > 0 {
				parts = append(parts, fmt.Sprintf("%d %ss", n, l))
			}
		}
		if len(parts) > 0 {
			lines = append(lines, fmt.Sprintf("  %s: %s", country, strings.Join(parts, ", ")))
		}
	}
	return lines
}

// CentreNames is every name of every centre, in every language: the words that would betray the
// service in a text to a phone someone else may read.
func (d *state) CentreNames() []string {
	var all []string
	for _, ct := range d.Centres() {
		for _, n := range ct.Names {
			all = append(all, n)
		}
	}
	return all
}

func names(m map[onestop.Lang]string) map[string]string {
	out := make(map[string]string, len(m))
	for l, n := range m {
		out[string(l)] = n
	}
	return out
}
