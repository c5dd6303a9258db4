// Package staff owns the people the helpline's messages may go to besides a survivor: the
// counsellors and their duty rota (shifts in each one's zone), the fallback list urgent alerts
// go to when nobody is on duty, the officials each district alerts, and the community workers
// whose texted referrals are trusted (their records are the casebook's; staff checks and lists
// them). It answers "is this number staff for this audience", so that nothing queued for staff
// can reach anyone else.
//
// Every number is sealed at rest and found by its keyed hash. staff must never decide what an
// alert says or when it is sent (that is alerts'), never send anything itself, and never hand
// a whole number to a log or a listing: staff see masked numbers.
package staff

import (
	"context"
	"regexp"
	"strings"
	"sync"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
)

// Service reads and writes the staff records on a store. It is safe for concurrent use.
type Service struct {
	db    onestop.Store
	box   *seal.Box
	cases *casebook.Casebook
	dir   *directory.Directory

	// rotaDecoded holds rota records already decoded, by their bytes (see decodeRota).
	rotaMu      sync.Mutex
	rotaDecoded map[string]rotaRecord
}

// New returns the staff service on db, sealing with box. cases holds the community workers;
// dir, the directory in force, names the centres' phones (nil: no centre is known).
func New(db onestop.Store, box *seal.Box, cases *casebook.Casebook, dir *directory.Directory) *Service {
	return &Service{db: db, box: box, cases: cases, dir: dir}
}

// Known reports whether number is registered, in tx, for the staff audience a: a worker, anyone
// on the rota or the fallback list (a counsellor), a district's or a country's official, or a
// centre's phone. Anything else, and any record that cannot be read, is not known.
func (s *Service) Known(tx onestop.Tx, a outbox.Audience, number string) bool {
	switch a {
	case outbox.Worker:
		w, err := s.cases.GetWorker(tx, number)
		return err == nil && w != nil
	case outbox.Counsellor:
		// Anyone on the rota or the fallback list, not only whoever is on duty this second: an
		// alert resolved to her just before her shift ended is still hers to receive.
		return s.onRota(tx, number)
	case outbox.Official:
		found := false
		s.ForEachOfficial(tx, func(o *Official) { found = found || o.Number == number })
		return found
	case outbox.Centre:
		if s.dir == nil {
			return false
		}
		for _, c := range s.dir.Centres() {
			for _, p := range c.Phones {
				if p == number {
					return true
				}
			}
		}
	}
	return false
}

// ParseNumber reads a number an operator typed: it must be a valid number in international
// form. Returns EINVALID otherwise.
func ParseNumber(s string) (phonenum.Number, error) {
	if !strings.HasPrefix(strings.TrimSpace(s), "+") {
		return phonenum.Number{}, onestop.Errorf(onestop.EINVALID, "%q: give the number in international form, +880…", s)
	}
	n, err := phonenum.ParseValid(s, "")
	if err != nil {
		return phonenum.Number{}, onestop.Errorf(onestop.EINVALID, "%q is not a valid phone number", s)
	}
	return n, nil
}

var areaCode = regexp.MustCompile(`^[A-Z]{2}(-[A-Z0-9]{1,8}){0,3}$`)

// ValidAreaCode reports whether code is written as an area code (BD-13, IN-MH, PS), whether or
// not the directory has it.
func ValidAreaCode(code string) bool { return areaCode.MatchString(code) }

// knownAreas checks that every code is an area of the directory in force, as 'onestop directory
// areas' prints them, or a country it serves: an alert for a district nobody's contact can be in
// would never be sent. Returns EINVALID for one that is neither.
func (s *Service) knownAreas(ctx context.Context, codes ...string) error {
	if len(codes) == 0 || (len(codes) == 1 && codes[0] == "") {
		return nil
	}
	dir, err := directory.Load(ctx, s.db)
	if err != nil {
		return err
	}
	for _, code := range codes {
		if len(code) == 2 && len(dir.Top(code)) > 0 {
			continue // a served country: its fallback officials, for contacts with no district
		}
		if _, ok := dir.Area(code); !ok {
			return onestop.Errorf(onestop.EINVALID, "%s is not an area of the directory; 'onestop directory areas' lists them", code)
		}
	}
	return nil
}

// masked is number as staff may see it, for an error message.
func masked(number string) string {
	if n, err := phonenum.Parse(number, ""); err == nil {
		return n.Mask()
	}
	return "that number"
}
