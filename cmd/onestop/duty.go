package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/staff"
)

// The duty rota's commands: the rota itself, its shifts and the fallback list are the staff
// package's.

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
		return usageError("duty: set, list, clear or fallback")
	}
	sub, args := args[0], args[1:]
	if sub == "fallback" {
		if len(args) == 0 || !slices.Contains([]string{"add", "list", "remove"}, args[0]) {
			fmt.Fprintln(stderr, dutyUsage)
			return usageError("duty fallback: add, list or remove")
		}
		sub, args = "fallback "+args[0], args[1:]
	}
	// How many numbers each command takes, at least and at most.
	takes := map[string][2]int{"set": {1, 1}, "list": {0, 0}, "show": {0, 0}, "clear": {0, 1},
		"fallback add": {1, 1}, "fallback list": {0, 0}, "fallback remove": {1, 1}}
	n, ok := takes[sub]
	if !ok {
		fmt.Fprintln(stderr, dutyUsage)
		return usageError("unknown duty command %q", sub)
	}
	cmd := newCommand("duty "+sub, stderr)
	lang := cmd.String("lang", "en", "the language alerts to this number are in")
	tz := cmd.String("tz", "", "the IANA time zone the shifts are in")
	var shiftFlags stringList
	cmd.Var(&shiftFlags, "shift", "a shift, DAYS/HH:MM-HH:MM (repeatable)")
	pos, err := cmd.args(args)
	if err != nil {
		return err
	}
	switch {
	case n == [2]int{1, 1} && len(pos) != 1:
		return fmt.Errorf("duty %s takes one number\n%s", sub, dutyUsage)
	case n == [2]int{0, 1} && len(pos) > 1:
		return fmt.Errorf("duty clear takes at most one number\n%s", dutyUsage)
	case n == [2]int{0, 0} && len(pos) != 0:
		return fmt.Errorf("duty %s takes no arguments", sub)
	}
	var num phonenum.Number
	if len(pos) == 1 {
		if num, err = staff.ParseNumber(pos[0]); err != nil {
			return plain(err)
		}
	}
	if !onestop.Lang(*lang).Valid() {
		return fmt.Errorf("--lang %q is not bn, hi, ar or en", *lang)
	}
	var shifts []staff.Shift
	for _, s := range shiftFlags {
		sh, err := staff.ParseShift(s)
		if err != nil {
			return plain(err)
		}
		shifts = append(shifts, sh)
	}
	if sub == "set" {
		switch {
		case len(shifts) > 0 && *tz == "":
			return errors.New("duty set: --shift needs --tz, the zone its hours are in (Asia/Dhaka, say)")
		case len(shifts) == 0 && *tz != "":
			return errors.New("duty set: --tz without --shift: give the shifts its hours are for")
		case *tz != "" && !staff.ValidZone(*tz):
			return fmt.Errorf("--tz %q is not an IANA time zone such as Asia/Dhaka", *tz)
		}
	}
	return cmd.withStore(ctx, "", func(s *stores) error {
		st, now := s.Staff, s.DB.Now()
		switch sub {
		case "list", "show":
			r, err := st.Roster(ctx)
			if err != nil {
				return err
			}
			return printRota(r, now, stdout)
		case "fallback list":
			r, err := st.Roster(ctx)
			if err != nil {
				return err
			}
			if len(r.Fallback) == 0 {
				fmt.Fprintln(stdout, "no fallback: with nobody on duty, urgent alerts wait until someone is")
			}
			for _, e := range r.Fallback {
				fmt.Fprintf(stdout, "fallback: %s (%s) since %s\n", e.Masked, e.Lang, e.Since.Format(time.RFC3339))
			}
		case "set":
			e := &staff.Counsellor{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), TZ: *tz, Shifts: shifts, Since: now}
			if err := st.SetDuty(ctx, e); err != nil {
				return plain(err)
			}
			if len(shifts) == 0 {
				fmt.Fprintf(stdout, "on duty: %s, at all hours\n", e.Masked)
			} else {
				fmt.Fprintf(stdout, "on the rota: %s, %s %s\n", e.Masked, staff.JoinShifts(shifts), e.TZ)
			}
		case "clear":
			if len(pos) == 0 {
				if err := st.ClearRota(ctx); err != nil {
					return err
				}
				fmt.Fprintln(stdout, "rota cleared: nobody is on duty; urgent alerts go to the fallback list")
				return nil
			}
			if err := st.TakeOffDuty(ctx, num.E164); err != nil {
				return plain(err)
			}
			fmt.Fprintf(stdout, "%s taken off the rota\n", num.Mask())
		case "fallback add":
			e := &staff.Fallback{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), Since: now}
			if err := st.AddFallback(ctx, e); err != nil {
				return plain(err)
			}
			fmt.Fprintf(stdout, "fallback: %s added\n", e.Masked)
		case "fallback remove":
			if err := st.RemoveFallback(ctx, num.E164); err != nil {
				return plain(err)
			}
			fmt.Fprintf(stdout, "fallback: %s removed\n", num.Mask())
		}
		return nil
	})
}

func printRota(r *staff.Roster, now time.Time, w io.Writer) error {
	on := staff.OnDuty(r.Rota, now)
	if len(on) == 0 {
		fmt.Fprintln(w, "no counsellor on duty now: urgent alerts go to the fallback list")
	}
	for _, e := range on {
		fmt.Fprintf(w, "on duty now: %s (%s)\n", e.Masked, e.Lang)
	}
	if len(r.Rota) > 0 {
		tw := table(w)
		fmt.Fprintln(tw, "NUMBER\tLANG\tZONE\tSHIFTS\tNOW")
		for _, e := range r.Rota {
			shifts, state := "at all hours", "off"
			if len(e.Shifts) > 0 {
				shifts = staff.JoinShifts(e.Shifts)
			}
			if slices.Contains(on, e) {
				state = "on duty"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", e.Masked, e.Lang, e.TZ, shifts, state)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if len(r.Fallback) == 0 {
		fmt.Fprintln(w, "no fallback list: with nobody on duty, urgent alerts wait until someone is ('onestop duty fallback add')")
	}
	for _, e := range r.Fallback {
		fmt.Fprintf(w, "fallback: %s (%s)\n", e.Masked, e.Lang)
	}
	return nil
}
