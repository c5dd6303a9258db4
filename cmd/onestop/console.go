package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/console"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/staff"
)

// The console and the commands around it.

// openConsole mounts the staff console on the gateway and, on a store with no users yet, creates
// the first administrator with a one-time password in a 0600 file of the data directory.
func (m *Main) openConsole(ctx context.Context) error {
	cs, err := console.New(m.DB, m.Cases, m.Dir, console.Config{Log: m.Log, CentreCode: flows.CentreCode, OnDuty: m.Staff.DutyNow})
	if err != nil {
		return err
	}
	path, err := cs.Users.Bootstrap(ctx, m.Config.Data)
	if err != nil {
		return err
	}
	if path != "" {
		m.Log.Warn("console: created the first administrator; log in at /console as admin with the one-time password in the file, then delete it",
			"user", "admin", "file", path)
	}
	cs.Register(m.Gateway.App)
	return nil
}

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	var role *string
	var fromStdin *bool
	users := func(do func(*staff.Users, []string) error) func(*command, []string) error {
		return func(cmd *command, pos []string) error {
			return cmd.withStore(ctx, "use the console", func(s *stores) error { return do(staff.NewUsers(s.DB, s.Cases), pos) })
		}
	}
	return group{name: "user", missing: "user: say add, list or disable", countExit: 2, flags: func(cmd *command) {
		role = cmd.String("role", "", "counsellor, supervisor or admin (add)")
		fromStdin = cmd.Bool("password-stdin", false, "read the password from the first line of standard input instead of generating one (add)")
	}, subs: []sub{
		{name: "add", min: 1, max: 1, run: users(func(users *staff.Users, pos []string) error {
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
			return nil
		})},
		{name: "disable", min: 1, max: 1, run: users(func(users *staff.Users, pos []string) error {
			if err := users.Disable(ctx, "cli", pos[0]); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "disabled %s; their sessions have ended\n", pos[0])
			return nil
		})},
		{name: "list", run: users(func(users *staff.Users, _ []string) error {
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
	}}.run(args, stdout, stderr)
}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return group{name: "audit", missing: "audit: say verify", countExit: 2, subs: []sub{
		{name: "verify", run: func(cmd *command, _ []string) error {
			return cmd.withStore(ctx, "use the console", func(s *stores) error { return verifyAudit(ctx, s.Cases, stdout) })
		}},
	}}.run(args, stdout, stderr)
}

// verifyAudit checks the audit log's hash chain and says where it breaks, if it does.
func verifyAudit(ctx context.Context, cases *casebook.Casebook, stdout io.Writer) error {
	n, err := cases.VerifyAudit(ctx)
	var ce *casebook.ChainError
	if errors.As(err, &ce) {
		fmt.Fprintf(stdout, "audit log BROKEN at entry %d: %s (%d entries before it are intact)\n", ce.Seq, ce.Reason, n)
		return ce
	} else if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries\n", n)
	if cp, err := cases.AuditCheckpoint(ctx); err == nil && cp.Seq > 0 {
		fmt.Fprintf(stdout, "entries 1-%d were purged by retention; the chain is checked from the last of them\n", cp.Seq)
	}
	return nil
}
