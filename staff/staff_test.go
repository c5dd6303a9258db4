package staff

// TestParseShift and TestOnDuty moved here from cmd/onestop/duty_test.go with the rota; so did
// TestDutySetBeforeTheRotaStillCounts, which now reads the rota and Known directly.

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

const dutyNumber = "+8801911000301"

func newService(t *testing.T) *Service {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, box, casebook.New(db, box), nil)
}

func onDutyNumbers(t *testing.T, s *Service, at time.Time) string {
	ctx := context.Background()
	t.Helper()
	var got []string
	err := s.db.View(ctx, func(tx onestop.Tx) error {
		rota, err := s.Rota(tx)
		for _, e := range OnDuty(rota, at) {
			got = append(got, e.Number+"/"+string(e.Lang))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, ",")
}

func known(ctx context.Context, s *Service, a outbox.Audience, number string) bool {
	k := false
	s.db.View(ctx, func(tx onestop.Tx) error { k = s.Known(tx, a, number); return nil })
	return k
}

func mustShift(t *testing.T, s string) Shift {
	t.Helper()
	sh, err := ParseShift(s)
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func TestParseShift(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"mon-fri/08:00-16:00", "mon,tue,wed,thu,fri/08:00-16:00"},
		{"sat,sun/20:00-08:00", "sun,sat/20:00-08:00"},
		{"fri-mon/22:30-06:15", "sun,mon,fri,sat/22:30-06:15"},
		{"daily/00:00-24:00", "daily/00:00-24:00"},
		{"Wed/9:05-17:00", "wed/09:05-17:00"},
	} {
		if got := mustShift(t, tt.in).String(); got != tt.want {
			t.Errorf("%s reads as %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "mon", "mon/08:00", "moon/08:00-09:00", "mon/08:00-08:00", "mon/25:00-26:00",
		"mon/08:60-09:00", "mon/24:00-08:00", "mon/8-9", "mon-/08:00-09:00"} {
		if sh, err := ParseShift(bad); err == nil {
			t.Errorf("%q read as %s", bad, sh)
		}
	}
}

// TestOnDuty: who is on duty, each in her own zone, across midnight and the week's end.
func TestOnDuty(t *testing.T) {
	day := &Counsellor{Masked: "day", TZ: "Asia/Dhaka", Shifts: []Shift{mustShift(t, "mon-fri/08:00-16:00")}}
	night := &Counsellor{Masked: "night", TZ: "Asia/Dhaka", Shifts: []Shift{mustShift(t, "fri,sat/20:00-08:00")}}
	delhi := &Counsellor{Masked: "delhi", TZ: "Asia/Kolkata", Shifts: []Shift{mustShift(t, "daily/09:00-21:00")}}
	hebron := &Counsellor{Masked: "hebron", TZ: "Asia/Hebron", Shifts: []Shift{mustShift(t, "sun-thu/08:00-15:00")}}
	always := &Counsellor{Masked: "always"}
	lost := &Counsellor{Masked: "lost", TZ: "Mars/Olympus", Shifts: []Shift{mustShift(t, "daily/00:00-24:00")}}
	rota := []*Counsellor{day, night, delhi, hebron, lost}
	utc := func(s string) time.Time {
		at, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	// 2026-11-27 is a Friday. Dhaka is UTC+6, Kolkata +5:30, Hebron +2 in November.
	for _, tt := range []struct {
		at   string
		want string
	}{
		{"2026-11-27 02:00", "day"},              // Fri 08:00 Dhaka: the day shift begins
		{"2026-11-27 01:59", ""},                 // Fri 07:59 Dhaka, 07:29 Delhi, 03:59 Hebron
		{"2026-11-27 03:30", "day,delhi"},        // Fri 09:30 Dhaka, 09:00 Delhi
		{"2026-11-27 06:00", "day,delhi"},        // Friday in Hebron: no shift there
		{"2026-11-27 10:00", "delhi"},            // Fri 16:00 Dhaka: the day shift has ended
		{"2026-11-27 14:00", "night,delhi"},      // Fri 20:00 Dhaka, 19:30 Delhi
		{"2026-11-27 18:00", "night"},            // Sat 00:00 Dhaka: past midnight, Friday's night
		{"2026-11-28 01:59", "night"},            // Sat 07:59 Dhaka, still Friday's night
		{"2026-11-28 02:00", ""},                 // Sat 08:00 Dhaka: Friday's night is over
		{"2026-11-29 01:00", "night"},            // Sun 07:00 Dhaka: Saturday's night
		{"2026-11-29 02:00", ""},                 // Sun 08:00 Dhaka: no day shift on Sunday; 04:00 Hebron
		{"2026-11-29 06:00", "hebron,delhi"},     // Sun 08:00 Hebron, 11:30 Delhi
		{"2026-11-29 20:00", ""},                 // Mon 02:00 Dhaka: Sunday has no night shift
		{"2026-11-30 06:00", "day,delhi,hebron"}, // Monday
	} {
		var got []string
		for _, e := range OnDuty(rota, utc(tt.at)) {
			got = append(got, e.Masked)
		}
		gotS, wantS := strings.Join(got, ","), tt.want
		if !sameSet(gotS, wantS) {
			t.Errorf("%s UTC: on duty %q, want %q", tt.at, gotS, wantS)
		}
	}
	if got := OnDuty([]*Counsellor{always}, utc("2026-11-29 20:00")); len(got) != 1 {
		t.Error("a counsellor set with no shift is not always on duty")
	}
}

func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	for _, x := range as {
		found := false
		for _, y := range bs {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// TestDutySetBeforeTheRotaStillCounts: the single counsellor kept before the rota is read as one
// on duty at all hours, until the next SetDuty with no shift replaces her.
func TestDutySetBeforeTheRotaStillCounts(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	err := s.db.Update(context.Background(), func(tx onestop.Tx) error {
		v, _ := json.Marshal(map[string]any{"number": s.box.SealString(dutyNumber), "masked": "+880 19** ***301", "lang": "bn", "since": s.db.Now()})
		return tx.Bucket(store.Duty).Put([]byte("on-duty"), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := onDutyNumbers(t, s, s.db.Now()); got != dutyNumber+"/bn" || !known(ctx, s, outbox.Counsellor, dutyNumber) {
		t.Fatalf("the earlier counsellor on duty: %q", got)
	}
	if err := s.SetDuty(context.Background(), &Counsellor{Number: "+8801911000302", Lang: onestop.English}); err != nil {
		t.Fatal(err)
	}
	if got := onDutyNumbers(t, s, s.db.Now()); got != "+8801911000302/en" || known(ctx, s, outbox.Counsellor, dutyNumber) {
		t.Fatalf("after SetDuty: %q", got)
	}
}

// TestRecordsWrittenBeforeAreRead: rota, fallback and officials' records as they have always lain
// on disk (JSON, the number sealed under "number") are read as they were, and the ones written now
// have the same fields.
func TestRecordsWrittenBeforeAreRead(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	const official, fallback = "+8801711000201", "+8801911000399"
	err := s.db.Update(context.Background(), func(tx onestop.Tx) error {
		d := tx.Bucket(store.Duty)
		v, _ := json.Marshal(map[string]any{"number": s.box.SealString(dutyNumber), "masked": "m", "lang": "hi", "tz": "Asia/Kolkata",
			"shifts": []map[string]int{{"days": 0x7f, "start": 0, "end": 1440}}, "since": s.db.Now()})
		if err := d.Put(s.numberKey(rotaPrefix, dutyNumber), v); err != nil {
			return err
		}
		v, _ = json.Marshal(map[string]any{"number": s.box.SealString(fallback), "masked": "f", "lang": "bn", "since": s.db.Now()})
		if err := d.Put(s.numberKey(fallbackPrefix, fallback), v); err != nil {
			return err
		}
		v, _ = json.Marshal(map[string]any{"district": "BD-13", "role": "SP", "lang": "bn", "masked": "o", "number": s.box.SealString(official)})
		return tx.Bucket(store.Officials).Put(store.U64(1), v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := onDutyNumbers(t, s, s.db.Now()); got != dutyNumber+"/hi" {
		t.Fatalf("rota read as %q", got)
	}
	r, err := s.Roster(ctx)
	if err != nil || len(r.Fallback) != 1 || r.Fallback[0].Number != fallback || r.Fallback[0].Lang != onestop.Bengali {
		t.Fatalf("fallback read as %+v, %v", r.Fallback, err)
	}
	os, err := s.Officials(ctx)
	if err != nil || len(os) != 1 || os[0].Number != official || os[0].District != "BD-13" || os[0].Role != "SP" {
		t.Fatalf("officials read as %+v, %v", os, err)
	}
	for _, a := range []struct {
		a      outbox.Audience
		number string
	}{{outbox.Counsellor, dutyNumber}, {outbox.Counsellor, fallback}, {outbox.Official, official}} {
		if !known(ctx, s, a.a, a.number) {
			t.Errorf("%s %s is not known", a.a, a.number)
		}
	}
	if known(ctx, s, outbox.Official, dutyNumber) || known(ctx, s, outbox.Worker, official) || known(ctx, s, outbox.Centre, official) {
		t.Error("a number is known for an audience it is not registered for")
	}
	// Written again now: the same fields, so the code before this one would read them too.
	if err := s.ImportOfficials(context.Background(), os); err != nil {
		t.Fatal(err)
	}
	s.db.View(ctx, func(tx onestop.Tx) error {
		var rec map[string]any
		json.Unmarshal(tx.Bucket(store.Officials).Get(store.U64(1)), &rec)
		for _, k := range []string{"district", "role", "lang", "masked", "number"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("an official written now has no %q", k)
			}
		}
		return nil
	})
}

// TestRotaReadAgainAfterAChange reads the rota, changes a counsellor's shift and language, and
// reads it again: what was decoded before must not stand in for the record now kept.
func TestRotaReadAgainAfterAChange(t *testing.T) {
	ctx := context.Background()
	s := newService(t)
	at := time.Date(2026, 11, 27, 3, 30, 0, 0, time.UTC) // Friday 09:30 in Dhaka
	set := func(shift string, lang onestop.Lang) {
		t.Helper()
		c := &Counsellor{Number: dutyNumber, Lang: lang, TZ: "Asia/Dhaka", Shifts: []Shift{mustShift(t, shift)}}
		if err := s.SetDuty(context.Background(), c); err != nil {
			t.Fatal(err)
		}
	}
	set("mon-fri/08:00-16:00", onestop.English)
	if got := onDutyNumbers(t, s, at); got != dutyNumber+"/en" || !s.OnDutyNow(ctx, at) {
		t.Fatalf("on duty: %q", got)
	}
	set("sat,sun/08:00-16:00", onestop.Bengali)
	if got := onDutyNumbers(t, s, at); got != "" || s.OnDutyNow(ctx, at) {
		t.Fatalf("on duty after the change: %q", got)
	}
	set("fri/09:00-10:00", onestop.Bengali)
	if got := onDutyNumbers(t, s, at); got != dutyNumber+"/bn" {
		t.Fatalf("on duty after the second change: %q", got)
	}
}

// JoinShifts and ValidZone once lived in cmd/onestop's duty command, which prints and checks the
// rota with them.
func TestJoinShiftsAndValidZone(t *testing.T) {
	var shifts []Shift
	for _, s := range []string{"mon-fri/08:00-16:00", "sat,sun/20:00-08:00"} {
		sh, err := ParseShift(s)
		if err != nil {
			t.Fatal(err)
		}
		shifts = append(shifts, sh)
	}
	if got, want := JoinShifts(shifts), "mon,tue,wed,thu,fri/08:00-16:00 sun,sat/20:00-08:00"; got != want {
		t.Errorf("JoinShifts = %q, want %q", got, want)
	}
	if JoinShifts(nil) != "" {
		t.Error("no shifts are not an empty string")
	}
	for zone, want := range map[string]bool{"Asia/Dhaka": true, "Asia/Hebron": true, "UTC": false, "Local": false, "Asia/Nowhere": false, "": false} {
		if ValidZone(zone) != want {
			t.Errorf("ValidZone(%q) = %v", zone, !want)
		}
	}
}
