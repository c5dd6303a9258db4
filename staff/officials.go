package staff

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Official is one person a district's urgent cases alert. A country code as District makes her
// one of the country's fallback officials, alerted for urgent contacts with no district.
type Official struct {
	District string
	Role     string
	Lang     onestop.Lang
	Number   string
	Masked   string
}

// officialRecord is an official as she lies in the Officials bucket, her number sealed. The
// fields are in the order they have always been written.
type officialRecord struct {
	District string       `json:"district"`
	Role     string       `json:"role"`
	Lang     onestop.Lang `json:"lang"`
	Masked   string       `json:"masked"`
	Sealed   []byte       `json:"number"`
}

// ForEachOfficial calls fn with every official in tx, numbers opened, in the order of the file
// they were imported from. A record that cannot be read or opened is skipped.
func (s *Service) ForEachOfficial(tx onestop.Tx, fn func(*Official)) {
	tx.Bucket(store.Officials).ForEach(func(_, v []byte) error {
		var r officialRecord
		if json.Unmarshal(v, &r) != nil {
			return nil
		}
		n, err := s.box.OpenString(r.Sealed)
		if err != nil {
			return nil
		}
		fn(&Official{District: r.District, Role: r.Role, Lang: r.Lang, Number: n, Masked: r.Masked})
		return nil
	})
}

// Officials returns every official, in the order of the file they were imported from.
func (s *Service) Officials(ctx context.Context) ([]*Official, error) {
	var out []*Official
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		s.ForEachOfficial(tx, func(o *Official) { out = append(out, o) })
		return nil
	})
	return out, err
}

// ImportOfficials replaces the list of officials with list: an official taken off it is alerted
// no more. Returns EINVALID, importing nothing, for a district that is neither an area of the
// directory in force nor a country it serves.
func (s *Service) ImportOfficials(ctx context.Context, list []*Official) error {
	var districts []string
	for _, o := range list {
		districts = append(districts, o.District)
	}
	if err := s.knownAreas(ctx, districts...); err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		if err := tx.DeleteBucket(store.Officials); err != nil {
			return err
		}
		b, err := tx.CreateBucket(store.Officials)
		if err != nil {
			return err
		}
		for i, o := range list {
			v, err := json.Marshal(&officialRecord{District: o.District, Role: o.Role, Lang: o.Lang, Masked: o.Masked, Sealed: s.box.SealString(o.Number)})
			if err != nil {
				return err
			}
			if err := b.Put(store.U64(uint64(i+1)), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// ParseOfficials reads the officials CSV: district,role,number,language, with or without that
// header. Every bad line is reported, and nothing is returned if there is one. Returns EINVALID
// for a bad file or one that lists nobody.
func ParseOfficials(data []byte) ([]*Official, error) {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	rows, err := r.ReadAll()
	if err != nil {
		return nil, onestop.Errorf(onestop.EINVALID, "officials: %v", err)
	}
	var out []*Official
	var bad []string
	for i, row := range rows {
		line := i + 1
		if i == 0 && len(row) > 0 && strings.EqualFold(strings.TrimSpace(strings.TrimPrefix(row[0], "\ufeff")), "district") {
			continue
		}
		if len(row) != 4 {
			bad = append(bad, fmt.Sprintf("line %d: want 4 fields (district,role,number,language), got %d", line, len(row)))
			continue
		}
		d := strings.ToUpper(strings.TrimSpace(row[0]))
		role := strings.TrimSpace(row[1])
		lang := onestop.Lang(strings.ToLower(strings.TrimSpace(row[3])))
		n, err := ParseNumber(row[2])
		switch {
		case !ValidAreaCode(d):
			bad = append(bad, fmt.Sprintf("line %d: district %q is not an area code such as BD-13", line, row[0]))
		case role == "":
			bad = append(bad, fmt.Sprintf("line %d: no role", line))
		case err != nil:
			bad = append(bad, fmt.Sprintf("line %d: %s", line, onestop.ErrorMessage(err)))
		case !lang.Valid():
			bad = append(bad, fmt.Sprintf("line %d: language %q is not bn, hi, ar or en", line, row[3]))
		default:
			out = append(out, &Official{District: d, Role: role, Lang: lang, Number: n.E164, Masked: n.Mask()})
		}
	}
	if len(bad) > 0 {
		return nil, onestop.Errorf(onestop.EINVALID, "officials: nothing imported:\n  %s", strings.Join(bad, "\n  "))
	}
	if len(out) == 0 {
		return nil, onestop.Errorf(onestop.EINVALID, "officials: the file lists no official")
	}
	return out, nil
}
