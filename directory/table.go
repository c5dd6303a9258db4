package directory

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Table names one of the directory's two files.
type Table string

// The directory's tables.
const (
	TableCentres Table = "centres"
	TableAreas   Table = "areas"
)

// key is the table's key in the store.Areas bucket, where an operator's import is kept.
func (t Table) key() []byte { return []byte(string(t) + ".csv") }

// DetectTable tells from a CSV's header which table it is: a centres file starts with "id", an
// areas file with "code". Returns EINVALID for anything else.
func DetectTable(data []byte) (Table, error) {
	first, err := csv.NewReader(bytes.NewReader(data)).Read()
	if err != nil || len(first) == 0 {
		return "", onestop.Errorf(onestop.EINVALID, "not a directory CSV: no header row")
	}
	switch strings.TrimSpace(strings.TrimPrefix(first[0], "\uFEFF")) {
	case "id":
		return TableCentres, nil
	case "code":
		return TableAreas, nil
	}
	return "", onestop.Errorf(onestop.EINVALID, "not a directory CSV: the header starts with %q, want id (centres) or code (areas)", first[0])
}

// texts reads the tables in force from tx: the operator's import of each where there is one, else
// the embedded file. The slices are copies, valid after tx.
func texts(tx onestop.Tx) (centres, areas []byte) {
	centres, areas = centresCSV, areasCSV
	if b := tx.Bucket(store.Areas); b != nil {
		if v := b.Get(TableCentres.key()); v != nil {
			centres = slices.Clone(v)
		}
		if v := b.Get(TableAreas.key()); v != nil {
			areas = slices.Clone(v)
		}
	}
	return centres, areas
}

// fromTexts builds a Directory from both tables' CSV.
func fromTexts(centres, areas []byte) (*state, error) {
	as, err := ParseAreas(bytes.NewReader(areas))
	if err != nil {
		return nil, err
	}
	return build(bytes.NewReader(centres), as)
}

// loadState returns the directory in force in db: the operator's imported tables where there are any,
// the embedded ones otherwise. An import was validated when it was stored, so an error here means
// the stored file was damaged or this binary validates more strictly than the one that imported.
func loadState(ctx context.Context, db onestop.Store) (*state, error) {
	var centres, areas []byte
	if err := db.View(ctx, func(tx onestop.Tx) error {
		centres, areas = texts(tx)
		return nil
	}); err != nil {
		return nil, err
	}
	if bytes.Equal(centres, centresCSV) && bytes.Equal(areas, areasCSV) {
		return embeddedState()
	}
	d, err := fromTexts(centres, areas)
	if err != nil {
		return nil, fmt.Errorf("directory: the imported directory no longer validates: %w", err)
	}
	return d, nil
}

// Change is what an import does to one table: the ids (centres) or codes (areas) added, changed
// and removed, each sorted.
type Change struct {
	Table                   Table
	Added, Changed, Removed []string
}

// Empty reports whether the import changes nothing.
func (c Change) Empty() bool { return len(c.Added)+len(c.Changed)+len(c.Removed) == 0 }

// Import validates data, an operator's centres or areas CSV, against the other table in force,
// and unless dryRun stores it in db so that it wins over the embedded table from the next Load.
// It is all or nothing: on any problem it returns the *ParseError listing every bad line (an
// EINVALID) and db is unchanged. The Change says what the import does, or would do.
func Import(ctx context.Context, db onestop.Store, data []byte, dryRun bool) (Change, error) {
	table, err := DetectTable(data)
	if err != nil {
		return Change{}, err
	}
	var centres, areas []byte
	if err := db.View(ctx, func(tx onestop.Tx) error {
		centres, areas = texts(tx)
		return nil
	}); err != nil {
		return Change{}, err
	}
	before, err := fromTexts(centres, areas)
	if err != nil {
		return Change{}, fmt.Errorf("directory: the directory in force does not validate: %w", err)
	}
	if table == TableCentres {
		centres = data
	} else {
		areas = data
	}
	after, err := fromTexts(centres, areas)
	if err != nil {
		return Change{}, err
	}
	change := diff(table, before, after)
	if dryRun || change.Empty() {
		return change, nil
	}
	stored := slices.Clone(data)
	err = db.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Areas).Put(table.key(), stored)
	})
	return change, err
}

// Reset removes the operator's import of table, so the embedded one is in force again. It refuses
// (EINVALID) when the other table in force would not validate against the embedded one.
func Reset(ctx context.Context, db onestop.Store, table Table) error {
	var centres, areas []byte
	if err := db.View(ctx, func(tx onestop.Tx) error {
		centres, areas = texts(tx)
		return nil
	}); err != nil {
		return err
	}
	if table == TableCentres {
		centres = centresCSV
	} else {
		areas = areasCSV
	}
	if _, err := fromTexts(centres, areas); err != nil {
		return err
	}
	return db.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Areas).Delete(table.key())
	})
}

// diff compares a table of two directories row by row.
func diff(t Table, before, after *state) Change {
	rows := func(d *state) map[string]string {
		m := map[string]string{}
		if t == TableCentres {
			for _, c := range d.centres {
				m[c.ID] = strings.Join(centreRecord(c), "\x1f")
			}
		} else {
			for _, a := range d.areas {
				m[a.Code] = strings.Join(areaRecord(a), "\x1f")
			}
		}
		return m
	}
	b, a := rows(before), rows(after)
	ch := Change{Table: t}
	for k, v := range a {
		if old, ok := b[k]; !ok {
			ch.Added = append(ch.Added, k)
		} else if old != v {
			ch.Changed = append(ch.Changed, k)
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			ch.Removed = append(ch.Removed, k)
		}
	}
	slices.Sort(ch.Added)
	slices.Sort(ch.Changed)
	slices.Sort(ch.Removed)
	return ch
}

// Export writes table as the CSV Import reads, every row of the directory's file in file order
// (the derived centres are not written: they follow from the areas). It is for operators: a
// confidential address is written, as staff may see it.
func (d *state) Export(w io.Writer, t Table) error {
	bw := bufio.NewWriter(w)
	var err error
	switch t {
	case TableCentres:
		err = writeCentres(bw, d.centres)
	case TableAreas:
		err = writeAreas(bw, d.areas)
	default:
		return onestop.Errorf(onestop.EINVALID, "unknown table %q: want centres or areas", t)
	}
	if err != nil {
		return err
	}
	return bw.Flush()
}

func writeCentres(w io.Writer, centres []Centre) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(columns); err != nil {
		return err
	}
	for _, c := range centres {
		if err := cw.Write(centreRecord(c)); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// centreRecord is a centre as a row in the order of columns.
func centreRecord(c Centre) []string {
	services := make([]string, len(c.Services))
	for i, s := range c.Services {
		services[i] = string(s)
	}
	lat, lon := "", ""
	if c.HasPoint() {
		lat, lon = formatCoord(c.Lat), formatCoord(c.Lon)
	}
	return []string{
		c.ID, c.Country, string(c.Kind), c.Area,
		c.Names[onestop.English], c.Names[onestop.Bengali], c.Names[onestop.Hindi], c.Names[onestop.Arabic],
		c.Dial, strings.Join(c.Phones, ";"), c.Hours, strings.Join(services, ";"), lat, lon,
		c.Address, strconv.FormatBool(c.AddressConfidential), c.Source, c.AsOf, strconv.FormatBool(c.Verified),
		strings.Join(c.Serves, ";"),
	}
}

// areaRecord is an area as a row in the order of areaColumns.
func areaRecord(a Area) []string {
	lgd := ""
	if a.LGD > 0 {
		lgd = strconv.Itoa(a.LGD)
	}
	return []string{
		a.Code, a.Country, string(a.Level), a.Parent, lgd,
		a.Names[onestop.English], a.Names[onestop.Bengali], a.Names[onestop.Hindi], a.Names[onestop.Arabic],
		strings.Join(a.Aliases, ";"),
		formatCoord(a.Lat), formatCoord(a.Lon), a.Source, a.AsOf, strconv.FormatBool(a.Verified),
	}
}

// checkFile validates data, a centres or areas CSV, against the embedded other table, and returns
// the directory it would make. On any problem it returns the *ParseError listing every bad line.
func checkFile(data []byte) (*state, error) {
	table, err := DetectTable(data)
	if err != nil {
		return nil, err
	}
	if table == TableCentres {
		return fromTexts(data, areasCSV)
	}
	return fromTexts(centresCSV, data)
}
