package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
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
	db, box, err := openForCommand(ctx, c, "")
	if err != nil {
		return err
	}
	defer db.Close()
	st := staff.New(db, box, casebook.New(db, box), nil)
	now := db.Now()
	switch cmd {
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
		return nil
	case "set":
		e := &staff.Counsellor{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), TZ: *tz, Shifts: shifts, Since: now}
		if err := st.SetDuty(ctx, e); err != nil {
			return plain(err)
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
		return nil
	case "fallback add":
		e := &staff.Fallback{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), Since: now}
		if err := st.AddFallback(ctx, e); err != nil {
			return plain(err)
		}
		fmt.Fprintf(stdout, "fallback: %s added\n", e.Masked)
		return nil
	case "fallback remove":
		if err := st.RemoveFallback(ctx, num.E164); err != nil {
			return plain(err)
		}
		fmt.Fprintf(stdout, "fallback: %s removed\n", num.Mask())
		return nil
	}
	return nil
}

// plain is err as the operator reads it: a domain error's message alone, without its code.
func plain(err error) error {
	var e *onestop.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

func printRota(r *staff.Roster, now time.Time, w io.Writer) error {
	rota, fallback := r.Rota, r.Fallback
	on := staff.OnDuty(rota, now)
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
