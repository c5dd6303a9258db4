package directory

import (
	"math"
	"slices"
)

// earthKM is the mean Earth radius the distances use.
const earthKM = 6371.0

const rad = math.Pi / 180

// Distance returns the great-circle distance in km between two points given in degrees.
func Distance(lat1, lon1, lat2, lon2 float64) float64 {
	return hvToKM(haversine(lat1, lon1, math.Cos(lat1*rad), lat2, lon2, math.Cos(lat2*rad)))
}

// haversine returns the haversine of the central angle between two points, given the cosines of
// their latitudes: a monotone stand-in for the distance, so comparing needs no asin.
func haversine(lat1, lon1, cos1, lat2, lon2, cos2 float64) float64 {
	sLat := math.Sin((lat2 - lat1) * rad / 2)
	sLon := math.Sin((lon2 - lon1) * rad / 2)
	return sLat*sLat + cos1*cos2*sLon*sLon
}

func hvToKM(h float64) float64 {
	return 2 * earthKM * math.Asin(math.Sqrt(min(1, max(0, h))))
}

// Query narrows a nearest-centre search. The zero value asks for DefaultLimit centres of any
// service in any country.
type Query struct {
	// Service, when set, keeps only centres that provide it.
	Service Service
	// Country, when set, keeps only that country's centres.
	Country string
	// Limit is how many centres to return; 0 means DefaultLimit.
	Limit int
}

// DefaultLimit is how many centres an answer lists when the query does not say: what one USSD
// screen can carry.
const DefaultLimit = 3

func (q Query) limit() int {
	if q.Limit <= 0 {
		return DefaultLimit
	}
	return q.Limit
}

// Hit is one line of an answer: a centre, and how far it is when that is known.
type Hit struct {
	Centre Centre
	// KM is the great-circle distance from the point asked about; meaningful only when Located.
	KM float64
	// Located is false for a line without a distance: the national helpline that ends every
	// answer, or a centre of her area with no point.
	Located bool
	// InArea marks a centre of the area asked about (ForArea). Its distance is from the area's
	// headquarters, which says little about how far it is from her, so a caller is not told it.
	InArea bool
}

// gridPoint is a located centre in the index; cos is its latitude's cosine, computed once.
type gridPoint struct {
	lat, lon, cos float64
	i             int32
}

// grid is a uniform latitude/longitude grid over the located centres, stored compactly: the points
// sorted by cell, and each cell's first point. A query walks rings of cells outwards from its own
// and stops once no unvisited cell can hold anything nearer than the k-th best found.
type grid struct {
	minLat, minLon float64
	cell           float64 // degrees per cell side
	rows, cols     int
	start          []int32 // start[c] is the first point of cell c; start[rows*cols] = len(pts)
	pts            []gridPoint
	cosMin         float64 // the smallest latitude cosine in the grid: bounds longitude distances
}

// newGrid indexes points; ids[i] is what a query reports for points[i].
func newGrid(lats, lons []float64, ids []int32) *grid {
	g := &grid{cell: 1, rows: 1, cols: 1, cosMin: 1}
	n := len(lats)
	if n == 0 {
		g.start = []int32{0, 0}
		return g
	}
	minLat, maxLat := slices.Min(lats), slices.Max(lats)
	minLon, maxLon := slices.Min(lons), slices.Max(lons)
	h, w := maxLat-minLat, maxLon-minLon
	// About two points a cell on average, with at most 4n cells however the points cluster.
	cell := math.Sqrt(h * w / (float64(n) / 2))
	if cell < 0.01 || math.IsNaN(cell) {
		cell = 0.01
	}
	for {
		rows, cols := int(h/cell)+1, int(w/cell)+1
		if rows*cols <= 4*n+16 {
			g.rows, g.cols = rows, cols
			break
		}
		cell *= 1.5
	}
	g.minLat, g.minLon, g.cell = minLat, minLon, cell
	g.cosMin = min(math.Cos(minLat*rad), math.Cos(maxLat*rad))

	cellOf := make([]int32, n)
	counts := make([]int32, g.rows*g.cols+1)
	for i := range n {
		r, c := g.rc(lats[i], lons[i])
		cellOf[i] = int32(r*g.cols + c)
		counts[cellOf[i]+1]++
	}
	for c := 1; c < len(counts); c++ {
		counts[c] += counts[c-1]
	}
	g.start = slices.Clone(counts)
	g.pts = make([]gridPoint, n)
	for i := range n {
		c := cellOf[i]
		g.pts[counts[c]] = gridPoint{lat: lats[i], lon: lons[i], cos: math.Cos(lats[i] * rad), i: ids[i]}
		counts[c]++
	}
	return g
}

// rc is the cell of a point, which may lie outside the grid (a query point).
func (g *grid) rc(lat, lon float64) (int, int) {
	return int(math.Floor((lat - g.minLat) / g.cell)), int(math.Floor((lon - g.minLon) / g.cell))
}

// candidate is a point found by a query, with its haversine.
type candidate struct {
	hv float64
	i  int32
}

// nearest appends to out (which it reuses) the k nearest points that keep accepts, nearest
// first. It allocates nothing when out has room for k.
func (g *grid) nearest(lat, lon float64, k int, keep func(int32) bool, out []candidate) []candidate {
	out = out[:0]
	if k <= 0 || len(g.pts) == 0 {
		return out
	}
	qr, qc := g.rc(lat, lon)
	qcos := math.Cos(lat * rad)
	lonBound := math.Sqrt(qcos * g.cosMin)
	// The farthest ring that still touches the grid.
	last := max(abs(qr), abs(g.rows-1-qr), abs(qc), abs(g.cols-1-qc))
	for ring := 0; ring <= last; ring++ {
		if ring >= 2 && len(out) == k {
			// Every point in this ring is more than (ring-1) cells away in latitude or in
			// longitude; if even that is farther than the k-th best, nothing further can win.
			gap := float64(ring-1) * g.cell * rad / 2
			sLat, sLon := math.Sin(gap), lonBound*math.Sin(gap)
			if min(sLat*sLat, sLon*sLon) > out[k-1].hv {
				break
			}
		}
		for r := qr - ring; r <= qr+ring; r++ {
			if r < 0 || r >= g.rows {
				continue
			}
			edge := r == qr-ring || r == qr+ring
			step := 2 * ring
			if edge || ring == 0 {
				step = 1
			}
			for c := qc - ring; c <= qc+ring; c += step {
				if c < 0 || c >= g.cols {
					continue
				}
				cell := r*g.cols + c
				for _, p := range g.pts[g.start[cell]:g.start[cell+1]] {
					hv := haversine(lat, lon, qcos, p.lat, p.lon, p.cos)
					if len(out) == k && hv >= out[k-1].hv {
						continue
					}
					if keep != nil && !keep(p.i) {
						continue
					}
					out = insert(out, k, candidate{hv, p.i})
				}
			}
		}
	}
	return out
}

// insert puts c into the sorted out, keeping at most k.
func insert(out []candidate, k int, c candidate) []candidate {
	if len(out) < k {
		out = append(out, c)
	} else {
		out[k-1] = c
	}
	for j := len(out) - 1; j > 0 && (out[j].hv < out[j-1].hv || (out[j].hv == out[j-1].hv && out[j].i < out[j-1].i)); j-- {
		out[j], out[j-1] = out[j-1], out[j]
	}
	return out
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// buildIndex indexes every located centre, those of the file and the derived ones.
func (d *state) buildIndex() *grid {
	var lats, lons []float64
	var ids []int32
	for i := range len(d.centres) + len(d.derived) {
		if c := d.at(i); c.HasPoint() {
			lats, lons, ids = append(lats, c.Lat), append(lons, c.Lon), append(ids, int32(i))
		}
	}
	return newGrid(lats, lons, ids)
}

// keeper returns the filter a query applies, nil when it keeps everything.
func (d *state) keeper(q Query, skip func(int32) bool) func(int32) bool {
	if q.Service == "" && q.Country == "" && skip == nil {
		return nil
	}
	return func(i int32) bool {
		c := d.at(int(i))
		if q.Country != "" && c.Country != q.Country {
			return false
		}
		if q.Service != "" && !slices.Contains(c.Services, q.Service) {
			return false
		}
		return skip == nil || !skip(i)
	}
}

// Nearest returns the located centres nearest to lat, lon, nearest first, as many as q asks and
// of the service and country it names. It walks the spatial index, not the whole list. It does
// not add the helpline: see ForPoint for what a caller is told.
func (d *state) Nearest(lat, lon float64, q Query) []Hit {
	k := q.limit()
	cands := d.index.nearest(lat, lon, k, d.keeper(q, nil), make([]candidate, 0, k))
	hits := make([]Hit, len(cands))
	for j, c := range cands {
		hits[j] = Hit{Centre: d.at(int(c.i)).PhoneSafe(), KM: hvToKM(c.hv), Located: true}
	}
	return hits
}

// CountryAt returns the country whose area headquarters lies nearest to lat, lon: the country an
// answer for a point gives the helpline of. ok is false when the directory has no areas.
func (d *state) CountryAt(lat, lon float64) (string, bool) {
	best, country := math.Inf(1), ""
	for _, a := range d.areas {
		if km := Distance(lat, lon, a.Lat, a.Lon); km < best {
			best, country = km, a.Country
		}
	}
	return country, country != ""
}

// ForPoint answers "where can I get help near here": the nearest centres of the country the point
// is in (as q asks), then that country's national helpline, so that an answer never ends without
// a number to call. A point far from every area gets only what the index finds.
func (d *state) ForPoint(lat, lon float64, q Query) []Hit {
	if q.Country == "" {
		q.Country, _ = d.CountryAt(lat, lon)
	}
	return d.withHelpline(d.Nearest(lat, lon, q), q.Country)
}

// gazaStrip are the governorates of the Gaza Strip. A closed line separates them from the West
// Bank: no centre of one is ever an answer for the other.
var gazaStrip = map[string]bool{"PS-NGZ": true, "PS-GZA": true, "PS-DEB": true, "PS-KYS": true, "PS-RFH": true}

// Region returns the region of the country an area lies in, which is what a centre serves when
// its row names no areas: the division (Bangladesh), the state or union territory (India), or
// the Gaza Strip or the West Bank (Palestine). It is "" for an unknown code; a country code is
// its own region.
func (d *state) Region(code string) string {
	for range 4 {
		i, ok := d.byCode[code]
		if !ok {
			if _, country := countries[code]; country {
				return code
			}
			return ""
		}
		a := d.areas[i]
		if a.TopLevel() {
			if a.Country == "PS" {
				if gazaStrip[a.Code] {
					return "PS-GAZA"
				}
				return "PS-WESTBANK"
			}
			return a.Code
		}
		code = a.Parent
	}
	return ""
}

// within reports whether area code is area outer or lies in it.
func (d *state) inside(code, outer string) bool {
	for range 4 {
		if code == outer {
			return true
		}
		i, ok := d.byCode[code]
		if !ok {
			return false
		}
		code = d.areas[i].Parent
	}
	return false
}

// Serves reports whether centre c serves area code: an area its row names, or one inside such an
// area; without named areas, any area of its region (a national line: any area of its country).
// A centre never serves an area of another country.
func (d *state) Serves(c Centre, code string) bool {
	i, ok := d.byCode[code]
	if !ok || d.areas[i].Country != c.Country {
		return c.Country == code && len(c.Serves) == 0
	}
	if len(c.Serves) > 0 {
		return slices.ContainsFunc(c.Serves, func(s string) bool { return d.inside(code, s) })
	}
	if c.Area == c.Country {
		return true
	}
	return d.Region(c.Area) == d.Region(code)
}

// ForArea answers for an area she chose: the centres of the area itself (and of the areas in
// it) first, nearest its headquarters first, then the nearest other centres that serve it (never
// one across a border or a closed line), then the national helpline when it serves her area; at
// most q's limit of centres before the helpline. When no centre serves her area, or no helpline
// does, the emergency numbers end the answer. ok is false for an unknown area code.
func (d *state) ForArea(code string, q Query) ([]Hit, bool) {
	ai, ok := d.byCode[code]
	if !ok {
		return nil, false
	}
	a := d.areas[ai]
	q.Country = a.Country
	k := q.limit()
	// An upazila's point is its district's headquarters: its district's centres are its own, and
	// told without a distance that would mean nothing.
	scope := code
	if a.Level == LevelUpazila {
		scope = a.Parent
	}
	inArea := func(c *Centre) bool { return c.Area != c.Country && d.inside(c.Area, scope) }
	var own []Hit
	for i := range len(d.centres) + len(d.derived) {
		c := d.at(i)
		if c.Kind == KindHelpline || c.Kind == KindEmergency || !inArea(c) || !d.Serves(*c, code) {
			continue
		}
		if q.Service != "" && !slices.Contains(c.Services, q.Service) {
			continue
		}
		h := Hit{Centre: c.PhoneSafe(), InArea: true}
		if c.HasPoint() {
			h.KM, h.Located = Distance(a.Lat, a.Lon, c.Lat, c.Lon), true
		}
		own = append(own, h)
	}
	slices.SortStableFunc(own, func(x, y Hit) int {
		switch {
		case x.Located != y.Located:
			if x.Located {
				return -1
			}
			return 1
		case x.Centre.Verified != y.Centre.Verified:
			if x.Centre.Verified {
				return -1
			}
			return 1
		}
		return cmpFloat(x.KM, y.KM)
	})
	if len(own) > k {
		own = own[:k]
	}
	if more := k - len(own); more > 0 {
		skip := func(i int32) bool {
			c := d.at(int(i))
			return inArea(c) || c.Kind == KindHelpline || c.Kind == KindEmergency || !d.Serves(*c, code)
		}
		cands := d.index.nearest(a.Lat, a.Lon, more, d.keeper(q, skip), make([]candidate, 0, more))
		for _, c := range cands {
			own = append(own, Hit{Centre: d.at(int(c.i)).PhoneSafe(), KM: hvToKM(c.hv), Located: true})
		}
	}
	local := len(own) > 0
	helpline := false
	for _, c := range d.centres {
		if c.Country == a.Country && c.Kind == KindHelpline && d.Serves(c, code) {
			own = append(own, Hit{Centre: c.PhoneSafe()})
			helpline = true
			break
		}
	}
	if !local || !helpline {
		for _, c := range d.centres {
			if c.Country == a.Country && c.Kind == KindEmergency && d.Serves(c, code) {
				own = append(own, Hit{Centre: c.PhoneSafe()})
			}
		}
	}
	return own, true
}

// Local reports whether an answer holds a centre that serves her area, rather than only the
// helplines and emergency numbers.
func Local(hits []Hit) bool {
	return slices.ContainsFunc(hits, func(h Hit) bool {
		return h.Centre.Kind != KindHelpline && h.Centre.Kind != KindEmergency
	})
}

// withHelpline ends an answer with the country's national helpline.
func (d *state) withHelpline(hits []Hit, country string) []Hit {
	if h, ok := d.Helpline(country); ok {
		hits = append(hits, Hit{Centre: h.PhoneSafe()})
	}
	return hits
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
