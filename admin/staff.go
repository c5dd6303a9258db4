package admin

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	phonenum "github.com/onestop-helpline/onestop/phone"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/staff"
)

func (r *runner) worker(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	var name, lang, area *string
	// number reads the worker's number, runs check, if any, on the rest of the command line, and
	// opens the store for what is done with the number.
	number := func(cmd *command, arg string, check func() error, fn func(*Services, phonenum.Number) error) error {
		num, err := staff.ParseNumber(arg)
		if err != nil {
			return plain(err)
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		return cmd.withStore(func(s *Services) error { return fn(s, num) })
	}
	return group{name: "worker", countExit: 1, flags: func(cmd *command) {
		name = cmd.String("name", "", "the worker's name")
		lang = cmd.String("lang", "", "the language replies are in: bn, hi, ar or en")
		area = cmd.String("area", "", "the area code the worker covers, as 'onestop directory areas' prints it")
	}, subs: []sub{
		{name: "add", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			*area = strings.ToUpper(strings.TrimSpace(*area))
			check := func() error {
				if strings.TrimSpace(*name) == "" || !onestop.Lang(*lang).Valid() {
					return fmt.Errorf("worker add needs --name and --lang (bn, hi, ar or en)")
				}
				if *area != "" && !staff.ValidAreaCode(*area) {
					return fmt.Errorf("--area %q is not an area code such as BD-13", *area)
				}
				return nil
			}
			return number(cmd, pos[0], check, func(s *Services, num phonenum.Number) error {
				w := &casebook.Worker{Number: num.E164, Name: strings.TrimSpace(*name), Lang: onestop.Lang(*lang), Area: *area, Added: s.Store.Now(), Masked: num.Mask()}
				if err := s.Staff.AddWorker(ctx, w); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "worker %s (%s) added\n", w.Name, w.Masked)
				return cmd.changed(w.Masked)
			})
		}},
		{name: "remove", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			return number(cmd, pos[0], nil, func(s *Services, num phonenum.Number) error {
				if err := s.Staff.RemoveWorker(ctx, num.E164); err != nil {
					return errors.New(onestop.ErrorMessage(err))
				}
				fmt.Fprintf(stdout, "worker %s removed\n", num.Mask())
				return cmd.changed(num.Mask())
			})
		}},
		{name: "list", run: func(cmd *command, _ []string) error {
			return cmd.withStore(func(s *Services) error {
				ws, err := s.Staff.Workers(ctx)
				if err != nil {
					return err
				}
				tw := table(stdout)
				fmt.Fprintln(tw, "NAME\tNUMBER\tLANG\tAREA\tADDED")
				for _, w := range ws {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.Name, w.Masked, w.Lang, w.Area, w.Added.Format("2006-01-02"))
				}
				return tw.Flush()
			})
		}},
	}}.run(r, args)
}

func (r *runner) officials(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	return group{name: "officials", missing: "officials: import or list", countExit: 1, subs: []sub{
		{name: "list", run: func(cmd *command, _ []string) error {
			return cmd.withStore(func(s *Services) error {
				list, err := s.Staff.Officials(ctx)
				if err != nil {
					return err
				}
				tw := table(stdout)
				fmt.Fprintln(tw, "DISTRICT\tROLE\tNUMBER\tLANG")
				for _, o := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.District, o.Role, o.Masked, o.Lang)
				}
				return tw.Flush()
			})
		}},
		{name: "import", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			data, err := os.ReadFile(pos[0])
			if err != nil {
				return err
			}
			officials, err := staff.ParseOfficials(data)
			if err != nil {
				return plain(err)
			}
			return cmd.withStore(func(s *Services) error {
				// The file replaces the list: an official taken off it is alerted no more.
				if err := s.Staff.ImportOfficials(ctx, officials); err != nil {
					return plain(err)
				}
				var districts []string
				for _, o := range officials {
					districts = append(districts, o.District)
				}
				slices.Sort(districts)
				fmt.Fprintf(stdout, "%d officials in %d districts imported\n", len(officials), len(slices.Compact(districts)))
				return cmd.changed()
			})
		}},
	}}.run(r, args)
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, " ") }
func (l *stringList) Set(s string) error { *l = append(*l, s); return nil }

func (r *runner) duty(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
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
		return cmd.withStore(func(s *Services) error { return fn(s.Staff, num, s.Store.Now()) })
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
				return cmd.changed(e.Masked)
			})
		}},
		{name: "clear", max: 1, run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, num phonenum.Number, _ time.Time) error {
				if len(pos) == 0 {
					if err := st.ClearRota(ctx); err != nil {
						return err
					}
					fmt.Fprintln(stdout, "rota cleared: nobody is on duty; urgent alerts go to the fallback list")
					return cmd.changed()
				}
				if err := st.TakeOffDuty(ctx, num.E164); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "%s taken off the rota\n", num.Mask())
				return cmd.changed(num.Mask())
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
				return cmd.changed(e.Masked)
			})
		}},
		{name: "fallback remove", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			return withNumber(cmd, pos, nil, func(st *staff.Service, num phonenum.Number, _ time.Time) error {
				if err := st.RemoveFallback(ctx, num.E164); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "fallback: %s removed\n", num.Mask())
				return cmd.changed(num.Mask())
			})
		}},
	}}.run(r, args)
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

func (r *runner) user(args []string) error {
	ctx, stdin, stdout := r.ctx, r.env.Stdin, r.env.Stdout
	var role *string
	var fromStdin *bool
	users := func(do func(*command, *staff.Users, []string) error) func(*command, []string) error {
		return func(cmd *command, pos []string) error {
			return cmd.withStore(func(s *Services) error { return do(cmd, s.Users, pos) })
		}
	}
	return group{name: "user", missing: "user: say add, list or disable", countExit: 2, flags: func(cmd *command) {
		role = cmd.String("role", "", "counsellor, supervisor or admin (add)")
		fromStdin = cmd.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one (add)")
	}, subs: []sub{
		{name: "add", min: 1, max: 1, run: users(func(cmd *command, users *staff.Users, pos []string) error {
			password, generated := staff.RandomToken(15), true // 20 characters
			if *fromStdin {
				line, err := bufio.NewReader(stdin).ReadString('\n')
				if err != nil && !errors.Is(err, io.EOF) {
					return err
				}
				password, generated = strings.TrimRight(line, "\r\n"), false
			}
			if err := users.Add(ctx, "cli", pos[0], staff.Role(*role), password, true); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "added %s (%s); they must change the password at first login\n", pos[0], *role)
			if generated {
				fmt.Fprintf(stdout, "one-time password: %s\n", password)
			}
			return cmd.changed(pos[0], *role)
		})},
		{name: "disable", min: 1, max: 1, run: users(func(cmd *command, users *staff.Users, pos []string) error {
			if err := users.Disable(ctx, "cli", pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "disabled %s; their sessions have ended\n", pos[0])
			return cmd.changed(pos[0])
		})},
		{name: "list", run: users(func(_ *command, users *staff.Users, _ []string) error {
			list, err := users.List(ctx)
			if err != nil {
				return err
			}
			tw := table(stdout)
			fmt.Fprintln(tw, "NAME\tROLE\tSTATUS\tCREATED (UTC)")
			for _, u := range list {
				status := "active"
				switch {
				case u.Disabled:
					status = "disabled"
				case u.MustChange:
					status = "must change password"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Name, u.Role, status, u.Created.UTC().Format("2006-01-02 15:04"))
			}
			if len(list) == 0 {
				fmt.Fprintln(tw, "(no users: serve creates the first administrator)")
			}
			return tw.Flush()
		})},
	}}.run(r, args)
}
