package directory

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/onestop-helpline/onestop"
)

// Directory is the directory in force: a validated set of centres and areas, replaced whole and
// at once by Replace when the operator imports a table, so that every hop, text and page reads
// either the old set or the new one, never a mixture. It is safe for concurrent use.
type Directory struct{ cur atomic.Pointer[state] }

func wrap(s *state, err error) (*Directory, error) {
	if err != nil {
		return nil, err
	}
	d := &Directory{}
	d.cur.Store(s)
	return d, nil
}

// Replace puts n's centres and areas in force in d, at once.
func (d *Directory) Replace(n *Directory) { d.cur.Store(n.cur.Load()) }

// The methods below read the set in force once and ask it; each is documented on state.

func (d *Directory) Centres() []Centre { return d.cur.Load().Centres() }

func (d *Directory) Centre(id string) (Centre, bool) { return d.cur.Load().Centre(id) }

func (d *Directory) Helpline(country string) (Centre, bool) { return d.cur.Load().Helpline(country) }

func (d *Directory) Emergency(country string) []Centre { return d.cur.Load().Emergency(country) }

func (d *Directory) Help(country string) []Centre { return d.cur.Load().Help(country) }

func (d *Directory) Nearest(lat, lon float64, q Query) []Hit {
	return d.cur.Load().Nearest(lat, lon, q)
}

func (d *Directory) CountryAt(lat, lon float64) (string, bool) {
	return d.cur.Load().CountryAt(lat, lon)
}

func (d *Directory) ForPoint(lat, lon float64, q Query) []Hit {
	return d.cur.Load().ForPoint(lat, lon, q)
}

func (d *Directory) Region(code string) string { return d.cur.Load().Region(code) }

func (d *Directory) Serves(c Centre, code string) bool { return d.cur.Load().Serves(c, code) }

func (d *Directory) ForArea(code string, q Query) ([]Hit, bool) { return d.cur.Load().ForArea(code, q) }

func (d *Directory) Check() Report { return d.cur.Load().Check() }

func (d *Directory) Find(country, text string) Found { return d.cur.Load().Find(country, text) }

func (d *Directory) Summary() []string { return d.cur.Load().Summary() }

func (d *Directory) CentreNames() []string { return d.cur.Load().CentreNames() }

func (d *Directory) Search(country, typed string, limit int) []Area {
	return d.cur.Load().Search(country, typed, limit)
}

func (d *Directory) Lookup(country, typed string, limit int) Lookup {
	return d.cur.Load().Lookup(country, typed, limit)
}

func (d *Directory) Best(country, typed string) (Area, bool) {
	return d.cur.Load().Best(country, typed)
}

func (d *Directory) Label(a Area, lang onestop.Lang) string { return d.cur.Load().Label(a, lang) }

func (d *Directory) Areas(country string, level Level) []Area {
	return d.cur.Load().Areas(country, level)
}

func (d *Directory) Area(code string) (Area, bool) { return d.cur.Load().Area(code) }

func (d *Directory) Top(country string) []Area { return d.cur.Load().Top(country) }

func (d *Directory) Children(code string) []Area { return d.cur.Load().Children(code) }

func (d *Directory) Derived() []Centre { return d.cur.Load().Derived() }

func (d *Directory) Export(w io.Writer, t Table) error { return d.cur.Load().Export(w, t) }

// Embedded returns the directory built into the binary.
func Embedded() (*Directory, error) { return wrap(embeddedState()) }

// Parse reads a centres CSV against the embedded areas.
func Parse(r io.Reader) (*Directory, error) { return wrap(parseTable(r)) }

// Load returns the directory in force on db: the operator's imported tables over the embedded
// ones.
func Load(ctx context.Context, db onestop.Store) (*Directory, error) { return wrap(loadState(ctx, db)) }

// CheckFile validates an exported or edited centres or areas CSV against the rest of the
// embedded directory, and returns the directory it would make.
func CheckFile(data []byte) (*Directory, error) { return wrap(checkFile(data)) }

// Reload puts in force in d the directory db now holds: what an import or reset wrote takes
// effect at once for everyone reading d.
func (d *Directory) Reload(ctx context.Context, db onestop.Store) error {
	s, err := loadState(ctx, db)
	if err != nil {
		return err
	}
	d.cur.Store(s)
	return nil
}
