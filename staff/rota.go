package staff

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// The duty rota: who the counsellor on duty is at a given moment, and who is told when nobody
// is. Alerts are addressed to the role on duty and resolved when they are sent, so a shift
// change or a counsellor taken off the rota never strands an alert queued for the one before.

// Shift is a weekly stretch of duty in the counsellor's zone: on each of Days, from Start to End
// minutes after midnight. A shift whose End is not after its Start runs past midnight into the
// next day.
type Shift struct {
	Days  uint8 `json:"days"` // bit d is time.Weekday(d)
	Start int   `json:"start"`
	End   int   `json:"end"` // 1440 is midnight at the end of the day
}

// Counsellor is one counsellor on the rota. No shifts means always on duty.
type Counsellor struct {
	Number string
	Masked string
	Lang   onestop.Lang
	// TZ is the IANA zone her shifts are in.
	TZ     string
	Shifts []Shift
	Since  time.Time
}

// Fallback is one number urgent alerts go to when nobody is on duty or nobody answers: a
// supervisor's phone or an escalation number the operator set.
type Fallback struct {
	Number string
	Masked string
	Lang   onestop.Lang
	Since  time.Time
}

// rotaRecord is a counsellor as she lies in the Duty bucket, her number sealed.
type rotaRecord struct {
	Sealed []byte       `json:"number"`
	Masked string       `json:"masked"`
	Lang   onestop.Lang `json:"lang"`
	TZ     string       `json:"tz,omitempty"`
	Shifts []Shift      `json:"shifts,omitempty"`
	Since  time.Time    `json:"since"`
}

// fallbackRecord is a fallback number as it lies in the Duty bucket, sealed; the single
// counsellor on duty kept before the rota ("on-duty") has the same fields.
type fallbackRecord struct {
	Sealed []byte       `json:"number"`
	Masked string       `json:"masked"`
	Lang   onestop.Lang `json:"lang"`
	Since  time.Time    `json:"since"`
}

// Keys in the Duty bucket: "rota:" and "fallback:" then a keyed hash of the number; "on-duty"
// is the single counsellor kept before the rota, still read as one always on duty.
const rotaPrefix, fallbackPrefix = "rota:", "fallback:"

var dutyKey = []byte("on-duty")

func (s *Service) numberKey(prefix, number string) []byte {
	return []byte(prefix + hex.EncodeToString(s.box.Hash(number)[:12]))
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// On reports whether the shift covers the wall-clock moment t.
func (sh Shift) On(t time.Time) bool {
	min := t.Hour()*60 + t.Minute()
	day := uint8(1) << t.Weekday()
	prev := uint8(1) << ((t.Weekday() + 6) % 7)
	if sh.Start < sh.End {
		return sh.Days&day != 0 && sh.Start <= min && min < sh.End
	}
	// Past midnight: the evening of a listed day, or the early hours after one.
	return (sh.Days&day != 0 && min >= sh.Start) || (sh.Days&prev != 0 && min < sh.End)
}

// String writes the shift as ParseShift reads it.
func (sh Shift) String() string {
	var days []string
	for d := range 7 {
		if sh.Days&(1<<d) != 0 {
			days = append(days, weekdays[d])
		}
	}
	ds := strings.Join(days, ",")
	if sh.Days == 0x7f {
		ds = "daily"
	}
	return fmt.Sprintf("%s/%02d:%02d-%02d:%02d", ds, sh.Start/60, sh.Start%60, sh.End/60, sh.End%60)
}

// JoinShifts writes shifts as ParseShift reads each of them, a space between.
func JoinShifts(shifts []Shift) string {
	ss := make([]string, len(shifts))
	for i, s := range shifts {
		ss[i] = s.String()
	}
	return strings.Join(ss, " ")
}

// ValidZone reports whether name is a zone a counsellor's hours can be in: an IANA zone such as
// Asia/Dhaka. "UTC" and "Local" load too, but name no place whose hours she keeps.
func ValidZone(name string) bool {
	_, err := time.LoadLocation(name)
	return err == nil && strings.Contains(name, "/")
}

// ParseShift reads DAYS/HH:MM-HH:MM: DAYS is daily, a day (mon), a range (mon-fri, fri-mon) or a
// list of those (mon,wed,sat-sun); the hours are the counsellor's local time, and a shift whose
// end is not after its start ends the next day (sat/20:00-08:00). Returns EINVALID for anything
// else.
func ParseShift(s string) (Shift, error) {
	bad := onestop.Errorf(onestop.EINVALID, "--shift %q: want DAYS/HH:MM-HH:MM, such as mon-fri/08:00-16:00 or sat,sun/20:00-08:00", s)
	daysPart, hours, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok {
		return Shift{}, bad
	}
	var sh Shift
	day := func(d string) (int, bool) {
		i := slices.Index(weekdays, d)
		return i, i >= 0
	}
	for _, part := range strings.Split(daysPart, ",") {
		switch part {
		case "daily", "all":
			sh.Days = 0x7f
			continue
		}
		from, to, isRange := strings.Cut(part, "-")
		a, ok1 := day(from)
		b, ok2 := a, true
		if isRange {
			b, ok2 = day(to)
		}
		if !ok1 || !ok2 {
			return Shift{}, bad
		}
		for d := a; ; d = (d + 1) % 7 {
			sh.Days |= 1 << d
			if d == b {
				break
			}
		}
	}
	start, end, ok := strings.Cut(hours, "-")
	if !ok {
		return Shift{}, bad
	}
	clock := func(c string) (int, bool) {
		h, m, ok := strings.Cut(c, ":")
		hh, err1 := strconv.Atoi(h)
		mm, err2 := strconv.Atoi(m)
		if !ok || err1 != nil || err2 != nil || len(m) != 2 || hh < 0 || mm < 0 || mm > 59 || hh > 24 || (hh == 24 && mm != 0) {
			return 0, false
		}
		return hh*60 + mm, true
	}
	var ok1, ok2 bool
	sh.Start, ok1 = clock(start)
	sh.End, ok2 = clock(end)
	if !ok1 || !ok2 || sh.Start == 1440 || sh.Start == sh.End {
		return Shift{}, bad
	}
	return sh, nil
}

// OnDuty returns the counsellors of rota on duty at at, each in her own zone. One with no
// shifts is always on duty; one whose zone cannot be loaded is never, rather than on the wrong
// hours (SetDuty checks the zone, so that needs a zone database that lost it).
func OnDuty(rota []*Counsellor, at time.Time) []*Counsellor {
	var out []*Counsellor
	for _, e := range rota {
		if len(e.Shifts) == 0 {
			out = append(out, e)
			continue
		}
		loc, err := onestop.LoadZone(e.TZ)
		if err != nil || e.TZ == "" {
			continue
		}
		t := at.In(loc)
		if slices.ContainsFunc(e.Shifts, func(sh Shift) bool { return sh.On(t) }) {
			out = append(out, e)
		}
	}
	return out
}

// Rota reads the rota from tx, numbers opened, in the order of their keys (the counsellor kept
// before the rota first). Returns an error for a record that cannot be read or opened.
func (s *Service) Rota(tx onestop.Tx) ([]*Counsellor, error) {
	b := tx.Bucket(store.Duty)
	var out []*Counsellor
	if v := b.Get(dutyKey); v != nil {
		f, err := s.openFallback(v)
		if err != nil {
			return nil, fmt.Errorf("duty: %w", err)
		}
		out = append(out, &Counsellor{Number: f.Number, Masked: f.Masked, Lang: f.Lang, Since: f.Since})
	}
	c := b.Cursor()
	for k, v := c.Seek([]byte(rotaPrefix)); k != nil && strings.HasPrefix(string(k), rotaPrefix); k, v = c.Next() {
		r, err := s.decodeRota(v)
		if err != nil {
			return nil, fmt.Errorf("duty rota: %w", err)
		}
		n, err := s.box.OpenString(r.Sealed)
		if err != nil {
			return nil, fmt.Errorf("duty rota: %w", err)
		}
		out = append(out, &Counsellor{Number: n, Masked: r.Masked, Lang: r.Lang, TZ: r.TZ, Shifts: r.Shifts, Since: r.Since})
	}
	return out, nil
}

// decodeRota decodes a rota record, from the records already decoded when v is one of them:
// the rota is read on every closing screen that offers a call now, and decoding its JSON was
// most of what that cost once its zones were kept. The same bytes always decode the same.
func (s *Service) decodeRota(v []byte) (rotaRecord, error) {
	s.rotaMu.Lock()
	r, ok := s.rotaDecoded[string(v)]
	s.rotaMu.Unlock()
	if ok {
		r.Shifts = slices.Clone(r.Shifts) // the caller's own, as a fresh decode's would be
		return r, nil
	}
	if err := json.Unmarshal(v, &r); err != nil {
		return rotaRecord{}, err
	}
	kept := r
	kept.Sealed, kept.Shifts = bytes.Clone(r.Sealed), slices.Clone(r.Shifts)
	s.rotaMu.Lock()
	if s.rotaDecoded == nil || len(s.rotaDecoded) >= maxRotaDecoded {
		s.rotaDecoded = map[string]rotaRecord{} // records replaced long ago are forgotten
	}
	s.rotaDecoded[string(v)] = kept
	s.rotaMu.Unlock()
	return r, nil
}

// maxRotaDecoded bounds the rota records kept decoded: far more than a rota has.
const maxRotaDecoded = 1024

func (s *Service) openFallback(v []byte) (*Fallback, error) {
	var r fallbackRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, err
	}
	n, err := s.box.OpenString(r.Sealed)
	if err != nil {
		return nil, err
	}
	return &Fallback{Number: n, Masked: r.Masked, Lang: r.Lang, Since: r.Since}, nil
}

// FallbackList reads the fallback list from tx, numbers opened. Returns an error for a record
// that cannot be read or opened.
func (s *Service) FallbackList(tx onestop.Tx) ([]*Fallback, error) {
	var out []*Fallback
	c := tx.Bucket(store.Duty).Cursor()
	for k, v := c.Seek([]byte(fallbackPrefix)); k != nil && strings.HasPrefix(string(k), fallbackPrefix); k, v = c.Next() {
		f, err := s.openFallback(v)
		if err != nil {
			return nil, fmt.Errorf("duty fallback: %w", err)
		}
		out = append(out, f)
	}
	return out, nil
}

// Roster is the rota and the fallback list, read together.
type Roster struct {
	Rota     []*Counsellor
	Fallback []*Fallback
}

// Roster reads the rota and the fallback list in one read.
func (s *Service) Roster(ctx context.Context) (*Roster, error) {
	var r Roster
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		var err error
		if r.Rota, err = s.Rota(tx); err != nil {
			return err
		}
		r.Fallback, err = s.FallbackList(tx)
		return err
	})
	return &r, err
}

// OnDutyNow reports whether any counsellor is on duty at at: the closing screen promises a call
// within minutes only then. A rota that cannot be read counts as nobody.
func (s *Service) OnDutyNow(ctx context.Context, at time.Time) bool {
	on := false
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		rota, err := s.Rota(tx)
		on = len(OnDuty(rota, at)) > 0
		return err
	})
	return err == nil && on
}

// DutyNow returns the masked numbers of the counsellors on duty at at, for the console.
func (s *Service) DutyNow(ctx context.Context, at time.Time) ([]string, error) {
	var out []string
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		rota, err := s.Rota(tx)
		for _, e := range OnDuty(rota, at) {
			out = append(out, e.Masked)
		}
		return err
	})
	return out, err
}

// onRota reports whether number is on the rota (at any hour) or on the fallback list.
func (s *Service) onRota(tx onestop.Tx, number string) bool {
	if rota, err := s.Rota(tx); err == nil {
		for _, e := range rota {
			if e.Number == number {
				return true
			}
		}
	}
	if list, err := s.FallbackList(tx); err == nil {
		for _, e := range list {
			if e.Number == number {
				return true
			}
		}
	}
	return false
}

// SetDuty puts c on the rota, replacing her shifts if she is on it. With no shifts she alone is
// on duty, at all hours: everyone else is taken off the rota. Returns EINVALID without a number
// or a helpline language, or for shifts without a zone that loads (an IANA zone such as
// Asia/Dhaka).
func (s *Service) SetDuty(ctx context.Context, c *Counsellor) error {
	if c.Number == "" || !c.Lang.Valid() {
		return onestop.Errorf(onestop.EINVALID, "a counsellor needs a number and a language (bn, hi, ar, en)")
	}
	if len(c.Shifts) > 0 {
		if _, err := time.LoadLocation(c.TZ); err != nil || !strings.Contains(c.TZ, "/") {
			return onestop.Errorf(onestop.EINVALID, "%q is not an IANA time zone such as Asia/Dhaka", c.TZ)
		}
	}
	if c.Since.IsZero() {
		c.Since = s.db.Now()
	}
	v, err := json.Marshal(&rotaRecord{Sealed: s.box.SealString(c.Number), Masked: c.Masked, Lang: c.Lang, TZ: c.TZ, Shifts: c.Shifts, Since: c.Since})
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Duty)
		if err := b.Delete(dutyKey); err != nil {
			return err
		}
		if len(c.Shifts) == 0 {
			// As before the rota: this counsellor alone, at all hours.
			if err := clearPrefix(b, rotaPrefix); err != nil {
				return err
			}
		}
		return b.Put(s.numberKey(rotaPrefix, c.Number), v)
	})
}

// ClearRota takes everyone off the rota; the fallback list stays.
func (s *Service) ClearRota(ctx context.Context) error {
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Duty)
		if err := b.Delete(dutyKey); err != nil {
			return err
		}
		return clearPrefix(b, rotaPrefix)
	})
}

// TakeOffDuty takes the counsellor with number off the rota. Returns ENOTFOUND if she is not on
// it.
func (s *Service) TakeOffDuty(ctx context.Context, number string) error {
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Duty)
		found := false
		if v := b.Get(dutyKey); v != nil {
			if f, err := s.openFallback(v); err == nil && f.Number == number {
				found = true
				if err := b.Delete(dutyKey); err != nil {
					return err
				}
			}
		}
		k := s.numberKey(rotaPrefix, number)
		if b.Get(k) != nil {
			found = true
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if !found {
			return onestop.Errorf(onestop.ENOTFOUND, "%s is not on the rota", masked(number))
		}
		return nil
	})
}

// AddFallback puts f on the fallback list, replacing the entry with the same number. Returns
// EINVALID without a number or a helpline language.
func (s *Service) AddFallback(ctx context.Context, f *Fallback) error {
	if f.Number == "" || !f.Lang.Valid() {
		return onestop.Errorf(onestop.EINVALID, "a fallback number needs a number and a language (bn, hi, ar, en)")
	}
	if f.Since.IsZero() {
		f.Since = s.db.Now()
	}
	v, err := json.Marshal(&fallbackRecord{Sealed: s.box.SealString(f.Number), Masked: f.Masked, Lang: f.Lang, Since: f.Since})
	if err != nil {
		return err
	}
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Duty).Put(s.numberKey(fallbackPrefix, f.Number), v)
	})
}

// RemoveFallback takes number off the fallback list. Returns ENOTFOUND if it is not on it.
func (s *Service) RemoveFallback(ctx context.Context, number string) error {
	return s.db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Duty)
		k := s.numberKey(fallbackPrefix, number)
		if b.Get(k) == nil {
			return onestop.Errorf(onestop.ENOTFOUND, "%s is not on the fallback list", masked(number))
		}
		return b.Delete(k)
	})
}

// clearPrefix deletes every key of b with prefix: collected first, since deleting under a
// cursor skips keys.
func clearPrefix(b onestop.Bucket, prefix string) error {
	var keys [][]byte
	c := b.Cursor()
	for k, _ := c.Seek([]byte(prefix)); k != nil && strings.HasPrefix(string(k), prefix); k, _ = c.Next() {
		keys = append(keys, slices.Clone(k))
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}
