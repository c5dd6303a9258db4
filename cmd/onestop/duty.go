package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/outbox"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// The duty rota: who the counsellor on duty is at a given moment, and who is told when nobody
// is. Alerts are addressed to the role "duty" and resolved here when they are sent, so a shift
// change or a counsellor taken off the rota never strands an alert queued for the one before.

// The roles a message may be addressed to.
const (
	roleDuty     = "duty"
	roleFallback = "fallback"
)

// shift is a weekly stretch of duty in the counsellor's zone: on each of Days, from Start to End
// minutes after midnight. A shift whose End is not after its Start runs past midnight into the
// next day.
type shift struct {
	Days  uint8 `json:"days"` // bit d is time.Weekday(d)
	Start int   `json:"start"`
	End   int   `json:"end"` // 1440 is midnight at the end of the day
}

// rotaEntry is one counsellor on the rota. No shifts means always on duty.
type rotaEntry struct {
	Number string       `json:"-"`
	Sealed []byte       `json:"number"`
	Masked string       `json:"masked"`
	Lang   onestop.Lang `json:"lang"`
	TZ     string       `json:"tz,omitempty"`
	Shifts []shift      `json:"shifts,omitempty"`
	Since  time.Time    `json:"since"`
}

// fallbackEntry is one number urgent alerts go to when nobody is on duty or nobody answers: a
// supervisor's phone or an escalation number the operator set.
type fallbackEntry struct {
	Number string       `json:"-"`
	Sealed []byte       `json:"number"`
	Masked string       `json:"masked"`
	Lang   onestop.Lang `json:"lang"`
	Since  time.Time    `json:"since"`
}

// Keys in the Duty bucket: "rota:" and "fallback:" then a keyed hash of the number; "on-duty"
// is the single counsellor kept before the rota, still read as one always on duty.
const rotaPrefix, fallbackPrefix = "rota:", "fallback:"

func numberKey(box *seal.Box, prefix, number string) []byte {
	return []byte(prefix + hex.EncodeToString(box.Hash(number)[:12]))
}

var weekdays = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// on reports whether the shift covers the wall-clock moment t.
func (s shift) on(t time.Time) bool {
	min := t.Hour()*60 + t.Minute()
	day := uint8(1) << t.Weekday()
	prev := uint8(1) << ((t.Weekday() + 6) % 7)
	if s.Start < s.End {
		return s.Days&day != 0 && s.Start <= min && min < s.End
	}
	// Past midnight: the evening of a listed day, or the early hours after one.
	return (s.Days&day != 0 && min >= s.Start) || (s.Days&prev != 0 && min < s.End)
}

func (s shift) String() string {
	var days []string
	for d := range 7 {
		if s.Days&(1<<d) != 0 {
			days = append(days, weekdays[d])
		}
	}
	ds := strings.Join(days, ",")
	if s.Days == 0x7f {
		ds = "daily"
	}
	return fmt.Sprintf("%s/%02d:%02d-%02d:%02d", ds, s.Start/60, s.Start%60, s.End/60, s.End%60)
}

// parseShift reads DAYS/HH:MM-HH:MM: DAYS is daily, a day (mon), a range (mon-fri, fri-mon) or a
// list of those (mon,wed,sat-sun); the hours are the counsellor's local time, and a shift whose
// end is not after its start ends the next day (sat/20:00-08:00).
func parseShift(s string) (shift, error) {
	bad := fmt.Errorf("--shift %q: want DAYS/HH:MM-HH:MM, such as mon-fri/08:00-16:00 or sat,sun/20:00-08:00", s)
	daysPart, hours, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok {
		return shift{}, bad
	}
	var sh shift
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
			return shift{}, bad
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
		return shift{}, bad
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
		return shift{}, bad
	}
	return sh, nil
}

// onDuty returns the entries of rota on duty at at, each in its own zone. An entry with no
// shifts is always on duty; one whose zone cannot be loaded is never, rather than on the wrong
// hours (duty set checks the zone, so that needs a zone database that lost it).
func onDuty(rota []*rotaEntry, at time.Time) []*rotaEntry {
	var out []*rotaEntry
	for _, e := range rota {
		if len(e.Shifts) == 0 {
			out = append(out, e)
			continue
		}
		loc, err := time.LoadLocation(e.TZ)
		if err != nil || e.TZ == "" {
			continue
		}
		t := at.In(loc)
		if slices.ContainsFunc(e.Shifts, func(s shift) bool { return s.on(t) }) {
			out = append(out, e)
		}
	}
	return out
}

// getRota reads the rota from tx, numbers opened, in the order of their keys.
func getRota(tx *bbolt.Tx, box *seal.Box) ([]*rotaEntry, error) {
	b := tx.Bucket(store.Duty)
	var out []*rotaEntry
	if d, err := getDuty(tx, box); err != nil {
		return nil, err
	} else if d != nil {
		out = append(out, &rotaEntry{Number: d.Number, Sealed: d.Sealed, Masked: d.Masked, Lang: d.Lang, Since: d.Since})
	}
	c := b.Cursor()
	for k, v := c.Seek([]byte(rotaPrefix)); k != nil && strings.HasPrefix(string(k), rotaPrefix); k, v = c.Next() {
		var e rotaEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("duty rota: %w", err)
		}
		n, err := box.OpenString(e.Sealed)
		if err != nil {
			return nil, fmt.Errorf("duty rota: %w", err)
		}
		e.Number = n
		out = append(out, &e)
	}
	return out, nil
}

// getFallback reads the fallback list from tx, numbers opened.
func getFallback(tx *bbolt.Tx, box *seal.Box) ([]*fallbackEntry, error) {
	var out []*fallbackEntry
	c := tx.Bucket(store.Duty).Cursor()
	for k, v := c.Seek([]byte(fallbackPrefix)); k != nil && strings.HasPrefix(string(k), fallbackPrefix); k, v = c.Next() {
		var e fallbackEntry
		if err := json.Unmarshal(v, &e); err != nil {
			return nil, fmt.Errorf("duty fallback: %w", err)
		}
		n, err := box.OpenString(e.Sealed)
		if err != nil {
			return nil, fmt.Errorf("duty fallback: %w", err)
		}
		e.Number = n
		out = append(out, &e)
	}
	return out, nil
}

// resolve names who holds role at at, for the outbox: "duty" is the counsellors on duty then,
// "fallback" the fallback list. Nobody is an empty list, not an error: the outbox then tries the
// fallback, and keeps the message queued while there is nobody at all.
func (m *Main) resolve(tx *bbolt.Tx, role string, at time.Time) ([]outbox.Recipient, error) {
	var out []outbox.Recipient
	switch role {
	case roleDuty:
		rota, err := getRota(tx, m.Box)
		if err != nil {
			return nil, err
		}
		for _, e := range onDuty(rota, at) {
			out = append(out, outbox.Recipient{Number: e.Number, Lang: e.Lang, Audience: outbox.Counsellor})
		}
	case roleFallback:
		list, err := getFallback(tx, m.Box)
		if err != nil {
			return nil, err
		}
		for _, e := range list {
			out = append(out, outbox.Recipient{Number: e.Number, Lang: e.Lang, Audience: outbox.Counsellor})
		}
	default:
		return nil, onestop.Errorf(onestop.EINVALID, "no role %q", role)
	}
	return out, nil
}

// The templates a role-addressed message may name.
const (
	tmplAlert      = "alert"      // args: ref, district
	tmplCallback   = "callback"   // args: ref, when her window closes, her time (15:04)
	tmplEscalation = "escalation" // args: ref, district
)

// escalationTexts go to the fallback list. Like every alert they carry the case reference and
// the district only, and read as routine.
var escalationTexts = map[onestop.Lang]string{
	onestop.English: "Urgent case %[1]s, %[2]s has no answer yet. Please check the console now.",
	onestop.Bengali: "জরুরি কেস %[1]s, %[2]s এখনও কেউ দেখেননি। এখনই কনসোল দেখুন।",
	onestop.Hindi:   "ज़रूरी केस %[1]s, %[2]s अभी तक किसी ने नहीं देखा। कृपया अभी कंसोल देखें।",
	onestop.Arabic:  "الحالة العاجلة %[1]s، %[2]s لم يردّ عليها أحد بعد. يرجى مراجعة لوحة التحكم الآن.",
}

// render gives the words of template in lang, for the outbox to send to each recipient in her
// own language. An unknown template or a missing argument gives "" rather than a garbled text,
// which the outbox refuses as empty.
func (m *Main) render(template string, lang onestop.Lang, args []string) string {
	if len(args) < 2 {
		return ""
	}
	texts := map[string]map[onestop.Lang]string{tmplAlert: alertTexts, tmplCallback: callbackTexts, tmplEscalation: escalationTexts}[template]
	if texts == nil {
		return ""
	}
	s, ok := texts[lang]
	if !ok {
		s = texts[onestop.English]
	}
	return fmt.Sprintf(s, args[0], args[1])
}

// onDutyNow reports whether any counsellor is on duty at at: the closing screen promises a call
// within minutes only then.
func (m *Main) onDutyNow(at time.Time) bool {
	on := false
	err := m.DB.View(func(tx *bbolt.Tx) error {
		rota, err := getRota(tx, m.Box)
		on = len(onDuty(rota, at)) > 0
		return err
	})
	return err == nil && on
}

// dutyNow returns the masked numbers of the counsellors on duty at at, for the console.
func (m *Main) dutyNow(at time.Time) ([]string, error) {
	var out []string
	err := m.DB.View(func(tx *bbolt.Tx) error {
		rota, err := getRota(tx, m.Box)
		for _, e := range onDuty(rota, at) {
			out = append(out, e.Masked)
		}
		return err
	})
	return out, err
}

// onRota reports whether number is on the rota (at any hour) or on the fallback list: a
// counsellor whose shift ended must still get the alert resolved to her a moment before.
func onRota(tx *bbolt.Tx, box *seal.Box, number string) bool {
	if rota, err := getRota(tx, box); err == nil {
		for _, e := range rota {
			if e.Number == number {
				return true
			}
		}
	}
	if list, err := getFallback(tx, box); err == nil {
		for _, e := range list {
			if e.Number == number {
				return true
			}
		}
	}
	return false
}

const dutyUsage = `usage:
  onestop duty set +880… [--lang bn|hi|ar|en] [--data DIR]
      this counsellor alone is on duty, at all hours (the rota becomes this one entry)
  onestop duty set +880… --tz ZONE --shift DAYS/HH:MM-HH:MM [--shift …] [--lang …] [--data DIR]
      add this counsellor to the rota, or replace her shifts, keeping everyone else's;
      ZONE is an IANA zone (Asia/Dhaka, Asia/Kolkata, Asia/Hebron) the hours are in;
      DAYS is daily, a day (mon), a range (mon-fri) or a list (mon,wed,sat-sun);
      a shift whose end is not after its start ends the next day: sat,sun/20:00-08:00
  onestop duty list [--data DIR]            the rota, who is on duty now, the fallback list
  onestop duty show [--data DIR]            the same as list
  onestop duty clear [+880…] [--data DIR]   take one counsellor off the rota, or clear it
  onestop duty fallback add +880… [--lang bn|hi|ar|en] [--data DIR]
  onestop duty fallback list [--data DIR]
  onestop duty fallback remove +880… [--data DIR]
      who urgent alerts go to when nobody is on duty or nobody acknowledges them in time`

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runDuty(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, dutyUsage)
		return &exitError{code: 2, err: errors.New("duty: set, list, clear or fallback")}
	}
	cmd := args[0]
	args = args[1:]
	if cmd == "fallback" {
		if len(args) == 0 || !slices.Contains([]string{"add", "list", "remove"}, args[0]) {
			fmt.Fprintln(stderr, dutyUsage)
			return &exitError{code: 2, err: errors.New("duty fallback: add, list or remove")}
		}
		cmd, args = "fallback "+args[0], args[1:]
	}
	switch cmd {
	case "set", "list", "show", "clear", "fallback add", "fallback list", "fallback remove":
	default:
		fmt.Fprintln(stderr, dutyUsage)
		return &exitError{code: 2, err: fmt.Errorf("unknown duty command %q", cmd)}
	}
	c := DefaultConfig()
	fs := flag.NewFlagSet("duty "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	lang := fs.String("lang", "en", "the language alerts to this number are in")
	tz := fs.String("tz", "", "the IANA time zone the shifts are in")
	var shiftFlags stringList
	fs.Var(&shiftFlags, "shift", "a shift, DAYS/HH:MM-HH:MM (repeatable)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	var num phonenum.Number
	switch cmd {
	case "set", "fallback add", "fallback remove":
		if len(pos) != 1 {
			return fmt.Errorf("duty %s takes one number\n%s", cmd, dutyUsage)
		}
	case "clear":
		if len(pos) > 1 {
			return fmt.Errorf("duty clear takes at most one number\n%s", dutyUsage)
		}
	default:
		if len(pos) != 0 {
			return fmt.Errorf("duty %s takes no arguments", cmd)
		}
	}
	if len(pos) == 1 {
		if num, err = e164(pos[0]); err != nil {
			return err
		}
	}
	if !onestop.Lang(*lang).Valid() {
		return fmt.Errorf("--lang %q is not bn, hi, ar or en", *lang)
	}
	var shifts []shift
	for _, s := range shiftFlags {
		sh, err := parseShift(s)
		if err != nil {
			return err
		}
		shifts = append(shifts, sh)
	}
	if cmd == "set" {
		switch {
		case len(shifts) > 0 && *tz == "":
			return errors.New("duty set: --shift needs --tz, the zone its hours are in (Asia/Dhaka, say)")
		case len(shifts) == 0 && *tz != "":
			return errors.New("duty set: --tz without --shift: give the shifts its hours are for")
		}
		if *tz != "" {
			if _, err := time.LoadLocation(*tz); err != nil || !strings.Contains(*tz, "/") {
				return fmt.Errorf("--tz %q is not an IANA time zone such as Asia/Dhaka", *tz)
			}
		}
	}
	db, box, err := openForCommand(c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	now := db.Now()
	switch cmd {
	case "list", "show":
		return db.View(func(tx *bbolt.Tx) error { return printRota(tx, box, now, stdout) })
	case "fallback list":
		return db.View(func(tx *bbolt.Tx) error {
			list, err := getFallback(tx, box)
			if err != nil {
				return err
			}
			if len(list) == 0 {
				fmt.Fprintln(stdout, "no fallback: with nobody on duty, urgent alerts wait until someone is")
			}
			for _, e := range list {
				fmt.Fprintf(stdout, "fallback: %s (%s) since %s\n", e.Masked, e.Lang, e.Since.Format(time.RFC3339))
			}
			return nil
		})
	case "set":
		e := rotaEntry{Sealed: box.SealString(num.E164), Masked: num.Mask(), Lang: onestop.Lang(*lang), TZ: *tz, Shifts: shifts, Since: now}
		v, err := json.Marshal(&e)
		if err != nil {
			return err
		}
		err = db.Update(ctx, func(tx *bbolt.Tx) error {
			b := tx.Bucket(store.Duty)
			if err := b.Delete(dutyKey); err != nil {
				return err
			}
			if len(shifts) == 0 {
				// As before the rota: this counsellor alone, at all hours.
				if err := clearPrefix(b, rotaPrefix); err != nil {
					return err
				}
			}
			return b.Put(numberKey(box, rotaPrefix, num.E164), v)
		})
		if err != nil {
			return err
		}
		if len(shifts) == 0 {
			fmt.Fprintf(stdout, "on duty: %s, at all hours\n", e.Masked)
		} else {
			var ss []string
			for _, s := range shifts {
				ss = append(ss, s.String())
			}
			fmt.Fprintf(stdout, "on the rota: %s, %s %s\n", e.Masked, strings.Join(ss, " "), e.TZ)
		}
		return nil
	case "clear":
		return db.Update(ctx, func(tx *bbolt.Tx) error {
			b := tx.Bucket(store.Duty)
			if len(pos) == 0 {
				if err := b.Delete(dutyKey); err != nil {
					return err
				}
				if err := clearPrefix(b, rotaPrefix); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "rota cleared: nobody is on duty; urgent alerts go to the fallback list")
				return nil
			}
			found := false
			if d, err := getDuty(tx, box); err == nil && d != nil && d.Number == num.E164 {
				found = true
				if err := b.Delete(dutyKey); err != nil {
					return err
				}
			}
			k := numberKey(box, rotaPrefix, num.E164)
			if b.Get(k) != nil {
				found = true
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			if !found {
				return fmt.Errorf("%s is not on the rota", num.Mask())
			}
			fmt.Fprintf(stdout, "%s taken off the rota\n", num.Mask())
			return nil
		})
	case "fallback add":
		e := fallbackEntry{Sealed: box.SealString(num.E164), Masked: num.Mask(), Lang: onestop.Lang(*lang), Since: now}
		v, err := json.Marshal(&e)
		if err != nil {
			return err
		}
		if err := db.Update(ctx, func(tx *bbolt.Tx) error {
			return tx.Bucket(store.Duty).Put(numberKey(box, fallbackPrefix, num.E164), v)
		}); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "fallback: %s added\n", e.Masked)
		return nil
	case "fallback remove":
		return db.Update(ctx, func(tx *bbolt.Tx) error {
			b := tx.Bucket(store.Duty)
			k := numberKey(box, fallbackPrefix, num.E164)
			if b.Get(k) == nil {
				return fmt.Errorf("%s is not on the fallback list", num.Mask())
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "fallback: %s removed\n", num.Mask())
			return nil
		})
	}
	return nil
}

func clearPrefix(b *bbolt.Bucket, prefix string) error {
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

func printRota(tx *bbolt.Tx, box *seal.Box, now time.Time, w io.Writer) error {
	rota, err := getRota(tx, box)
	if err != nil {
		return err
	}
	fallback, err := getFallback(tx, box)
	if err != nil {
		return err
	}
	on := onDuty(rota, now)
	if len(on) == 0 {
		fmt.Fprintln(w, "no counsellor on duty now: urgent alerts go to the fallback list")
	}
	for _, e := range on {
		fmt.Fprintf(w, "on duty now: %s (%s)\n", e.Masked, e.Lang)
	}
	if len(rota) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NUMBER\tLANG\tZONE\tSHIFTS\tNOW")
		for _, e := range rota {
			shifts, zone := "at all hours", e.TZ
			if len(e.Shifts) > 0 {
				var ss []string
				for _, s := range e.Shifts {
					ss = append(ss, s.String())
				}
				shifts = strings.Join(ss, " ")
			}
			state := "off"
			if slices.Contains(on, e) {
				state = "on duty"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Masked, e.Lang, zone, shifts, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(fallback) == 0 {
		fmt.Fprintln(w, "no fallback list: with nobody on duty, urgent alerts wait until someone is ('onestop duty fallback add')")
	}
	for _, e := range fallback {
		fmt.Fprintf(w, "fallback: %s (%s)\n", e.Masked, e.Lang)
	}
	return nil
}
