package directory

import (
	"fmt"
	"io"
	"strings"

	"github.com/onestop-helpline/onestop"
)

// CountryReport is what the directory holds for one country.
type CountryReport struct {
	Country string
	// Areas counts the country's areas by level.
	Areas map[Level]int
	// AreasTotal is every area of the country; WithCentreInside those with a centre in the area
	// itself (for an upazila: in its district); WithCentreServing those whose answer holds a
	// centre that serves them, not only helplines and emergency numbers.
	AreasTotal, WithCentreInside, WithCentreServing int
	// Centres counts the country's rows (helplines and emergency numbers included); Derived the
	// centres that exist by design without a row (India's Sakhi centres, one per district).
	Centres, Derived int
	// WithPhone counts the rows with a number to call, WithSource those citing a source, and
	// Verified those an authority has confirmed.
	WithPhone, WithSource, Verified int
}

// Report is what directory check prints: per country, the areas and the centres, how many areas
// have a local centre, how many centres have a phone and a source.
type Report struct {
	Countries []CountryReport
}

// Check counts what d holds, per country.
func (d *state) Check() Report {
	var r Report
	for _, country := range []string{"BD", "IN", "PS"} {
		cr := CountryReport{Country: country, Areas: map[Level]int{}}
		for _, a := range d.areas {
			if a.Country != country {
				continue
			}
			cr.Areas[a.Level]++
			cr.AreasTotal++
			hits, _ := d.ForArea(a.Code, Query{})
			if Local(hits) {
				cr.WithCentreServing++
			}
			code := a.Code
			if a.Level == LevelUpazila {
				code = a.Parent
			}
			if d.hasCentreInside(code) {
				cr.WithCentreInside++
			}
		}
		for _, c := range d.centres {
			if c.Country != country {
				continue
			}
			cr.Centres++
			if c.Number() != "" {
				cr.WithPhone++
			}
			if c.Source != "" {
				cr.WithSource++
			}
			if c.Verified {
				cr.Verified++
			}
		}
		for _, c := range d.derived {
			if c.Country == country {
				cr.Derived++
			}
		}
		if cr.AreasTotal > 0 || cr.Centres > 0 {
			r.Countries = append(r.Countries, cr)
		}
	}
	return r
}

func (d *state) hasCentreInside(code string) bool {
	for i := range len(d.centres) + len(d.derived) {
		c := d.at(i)
		if c.Kind != KindHelpline && c.Kind != KindEmergency && c.Area != c.Country && d.inside(c.Area, code) {
			return true
		}
	}
	return false
}

// Print writes the report, one block per country.
func (r Report) Print(w io.Writer) error {
	var b strings.Builder
	for _, c := range r.Countries {
		var levels []string
		for _, l := range []Level{LevelDivision, LevelState, LevelGovernorate, LevelDistrict, LevelUpazila} {
			if n := c.Areas[l]; n > 0 {
				levels = append(levels, fmt.Sprintf("%d %ss", n, l))
			}
		}
		fmt.Fprintf(&b, "%s: %d areas (%s)\n", c.Country, c.AreasTotal, strings.Join(levels, ", "))
		fmt.Fprintf(&b, "  areas with a centre inside: %d of %d; with a centre serving them: %d of %d\n",
			c.WithCentreInside, c.AreasTotal, c.WithCentreServing, c.AreasTotal)
		fmt.Fprintf(&b, "  centres: %d rows (%d with a number, %d with a source, %d verified)", c.Centres, c.WithPhone, c.WithSource, c.Verified)
		if c.Derived > 0 {
			fmt.Fprintf(&b, " and %d placed one per district, unverified, with no number", c.Derived)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Found is what a survivor typing a place name would get: the answer at once (Exact), a place
// to confirm, a short list, or nothing; with the centres and lines of the answer for an exact or
// a confirmed place, and the country's lines when nothing is found.
type Found struct {
	Typed   string
	Country string
	Lookup
	// Hits is the answer for the area (after she confirms it, for Confirm); for NotFound, the
	// country's helpline and emergency numbers when a country was given.
	Hits []Hit
	// Labels are the names the screens show for Areas, in English, namesakes told apart.
	Labels []string
}

// Find says what typing text would give a survivor in country ("" for all countries), as the
// find-help screens and REF <place> see it.
func (d *state) Find(country, text string) Found {
	f := Found{Typed: text, Country: country, Lookup: d.Lookup(country, text, 8)}
	for _, a := range f.Areas {
		f.Labels = append(f.Labels, d.Label(a, onestop.English))
	}
	switch f.Outcome {
	case Exact, Confirm:
		f.Hits, _ = d.ForArea(f.Areas[0].Code, Query{})
	case NotFound:
		if h, ok := d.Helpline(country); ok {
			f.Hits = append(f.Hits, Hit{Centre: h.PhoneSafe()})
		}
		for _, e := range d.Emergency(country) {
			f.Hits = append(f.Hits, Hit{Centre: e.PhoneSafe()})
		}
	}
	return f
}

// Print writes what she would get, in English.
func (f Found) Print(w io.Writer) error {
	var b strings.Builder
	switch f.Outcome {
	case Exact:
		fmt.Fprintf(&b, "%q: the answer for %s (%s)\n", f.Typed, f.Labels[0], f.Areas[0].Code)
	case Confirm:
		fmt.Fprintf(&b, "%q: asked to confirm %s (%s); once confirmed:\n", f.Typed, f.Labels[0], f.Areas[0].Code)
	case List:
		fmt.Fprintf(&b, "%q: a list to choose from\n", f.Typed)
		for i, a := range f.Areas {
			fmt.Fprintf(&b, "  %d %s (%s)\n", i+1, f.Labels[i], a.Code)
		}
	case NotFound:
		fmt.Fprintf(&b, "%q: not found\n", f.Typed)
	}
	if len(f.Hits) > 0 && !Local(f.Hits) && f.Outcome != List {
		b.WriteString("  no centre is known to serve it; the lines that do:\n")
	}
	for _, h := range f.Hits {
		c := h.Centre
		line := "  " + c.Name(onestop.English)
		if n := c.Number(); n != "" {
			line += ": " + n
		}
		if c.Hours != "" {
			line += ", " + c.Hours
		}
		if h.Located && !h.InArea {
			line += fmt.Sprintf(", %.0f km", h.KM)
		}
		if !c.Verified {
			line += " [unverified]"
		}
		b.WriteString(line + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
