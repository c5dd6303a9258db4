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

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func runDuty(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var lang, tz *string
	var shiftFlags stringList
	// withNumber checks the number in pos, if any, --lang, and the rest with check, if any, and
	// opens the store for fn.
	withNumber := func(cmd *command, pos []string, check func() error, fn func(st *staff.Service, num phonenum.Number, now time.Time) error) error {
		var num phonenum.Number
		if len(pos) == 1 {
			var err error
			if num, err = staff.ParseNumber(pos[0]); err != nil {
				return plain(err)
			}
		}
		if !onestop.Lang(*lang).Valid() {
			return fmt.Errorf("--lang %q is not bn, hi, ar or en", *lang)
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		return cmd.withStore(ctx, "", func(s *stores) error { return fn(s.Staff, num, s.DB.Now()) })
	}
	list := func(cmd *command, pos []string) error {
		return withNumber(cmd, pos, nil, func(st *staff.Service, _ phonenum.Number, now time.Time) error {
			r, err := st.Roster(ctx)
			if err != nil {
				return err
			}
			return printRota(r, now, stdout)
		})
	}
	return group{name: "duty", missing: "duty: set, list, clear or fallback", countExit: 1, flags: func(cmd *command) {
		lang = cmd.String("lang", "en", "the language alerts to this number are in")
		tz = cmd.String("tz", "", "the IANA time zone the shifts are in")
		cmd.Var(&shiftFlags, "shift", "a shift, DAYS/HH:MM-HH:MM (repeatable)")
	}, subs: []sub{
		{name: "list", run: list},
		{name: "show", run: list},
		{name: "set", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			var shifts []staff.Shift
			check := func() error {
				for _, s := range shiftFlags {
					sh, err := staff.ParseShift(s)
					if err != nil {
						return plain(err)
					}
					shifts = append(shifts, sh)
				}
				switch {
				case len(shifts) > 0 && *tz == "":
					return errors.New("duty set: --shift needs --tz, the zone its hours are in (Asia/Dhaka, say)")
				case len(shifts) == 0 && *tz != "":
					return errors.New("duty set: --tz without --shift: give the shifts its hours are for")
				case *tz != "" && !staff.ValidZone(*tz):
					return fmt.Errorf("--tz %q is not an IANA time zone such as Asia/Dhaka", *tz)
				}
				return nil
			}
			return withNumber(cmd, pos, check, func(st *staff.Service, num phonenum.Number, now time.Time) error {
				e := &staff.Counsellor{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), TZ: *tz, Shifts: shifts, Since: now}
				if err := st.SetDuty(ctx, e); err != nil {
					return plain(err)
				}
				if len(shifts) == 0 {
					fmt.Fprintf(stdout, "on duty: %s, at all hours\n", e.Masked)
				} else {
					fmt.Fprintf(stdout, "on the rota: %s, %s %s\n", e.Masked, staff.JoinShifts(shifts), e.TZ)
				}
				return nil
			})
		}},
		{name: "clear", max: 1, run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, num phonenum.Number, _ time.Time) error {
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
			})
		}},
		{name: "fallback list", run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, _ phonenum.Number, _ time.Time) error {
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
			})
		}},
		{name: "fallback add", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, num phonenum.Number, now time.Time) error {
				e := &staff.Fallback{Number: num.E164, Masked: num.Mask(), Lang: onestop.Lang(*lang), Since: now}
				if err := st.AddFallback(ctx, e); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "fallback: %s added\n", e.Masked)
				return nil
			})
		}},
		{name: "fallback remove", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, num phonenum.Number, _ time.Time) error {
				if err := st.RemoveFallback(ctx, num.E164); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "fallback: %s removed\n", num.Mask())
				return nil
			})
		}},
	}}.run(args, stdout, stderr)
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
