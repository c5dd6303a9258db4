package admin

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
)

func (r *runner) audit(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	return group{name: "audit", missing: "audit: say verify", countExit: 2, subs: []sub{
		{name: "verify", run: func(cmd *command, _ []string) error {
			return cmd.withStore(func(s *Services) error { return verifyAudit(ctx, s.Cases, stdout) })
		}},
	}}.run(r, args)
}

// verifyAudit checks the audit log's keyed hash chain and its count against the stored head,
// and says where it breaks, if it does. A log with entries but no keyed part fails: it was
// written before chains were keyed, or rewritten by someone without the key.
func verifyAudit(ctx context.Context, cases *casebook.Casebook, stdout io.Writer) error {
	r, err := cases.VerifyAuditReport(ctx)
	var ce *casebook.ChainError
	if errors.As(err, &ce) {
		fmt.Fprintf(stdout, "audit log BROKEN at entry %d: %s (%d entries before it are intact)\n", ce.Seq, ce.Reason, r.Entries)
		return ce
	} else if err != nil {
		return err
	}
	if r.KeyedFrom == 0 && r.Entries > 0 {
		fmt.Fprintf(stdout, "audit log NOT KEYED: %d entries written before keyed chains, or rewritten without the key\n", r.Entries)
		return &ExitError{Code: 2, Err: errors.New("the audit log has no keyed part")}
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries (keyed from entry %d, head %d)\n", r.Entries, r.KeyedFrom, r.Head)
	if cp, err := cases.AuditCheckpoint(ctx); err == nil && cp.Seq > 0 {
		fmt.Fprintf(stdout, "entries 1-%d were purged by retention; the chain is checked from the last of them\n", cp.Seq)
	}
	return nil
}

// CallRow is one contact as calls shows it: never the whole number.
type CallRow struct {
	Time    time.Time             `json:"time"`
	Ref     string                `json:"ref"`
	Channel onestop.Channel       `json:"channel"`
	Lang    onestop.Lang          `json:"lang"`
	Urgency onestop.Urgency       `json:"urgency"`
	Status  onestop.ContactStatus `json:"status"`
	Plan    string                `json:"callback"`
	Country string                `json:"country"`
	Masked  string                `json:"number"`
}

func (r *runner) calls(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	cmd := r.newCommand("calls", true)
	asJSON := cmd.Bool("json", false, "print JSON, one contact per line")
	limit := cmd.Int("n", 100, "how many contacts, newest first")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	var contacts []*onestop.Contact
	if err := cmd.withStore(func(s *Services) (err error) {
		contacts, err = s.Cases.List(ctx, casebook.Filter{Limit: *limit})
		return err
	}); err != nil {
		return err
	}
	rows := make([]CallRow, len(contacts))
	for i, ct := range contacts {
		rows[i] = CallRow{
			Time: ct.Time, Ref: ct.Ref, Channel: ct.Channel, Lang: ct.Lang, Urgency: ct.Urgency,
			Status: ct.Status, Plan: casebook.PlanSummary(ct.Plan), Country: ct.Country, Masked: ct.Masked,
		}
	}
	if *asJSON {
		return printJSON(stdout, rows)
	}
	tw := table(stdout)
	fmt.Fprintln(tw, "TIME (UTC)\tREF\tCHANNEL\tLANG\tURGENCY\tSTATUS\tCALLBACK\tNUMBER")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format("2006-01-02 15:04:05"),
			r.Ref, r.Channel, r.Lang, r.Urgency, r.Status, r.Plan, r.Masked)
	}
	if len(rows) == 0 {
		fmt.Fprintln(tw, "(no contacts recorded)")
	}
	return tw.Flush()
}

func (r *runner) purge(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	general, err := r.env.GeneralDays()
	if err != nil {
		return err
	}
	cmd := r.newCommand("purge", true)
	cmd.IntVar(&general, "days", general, "the general retention: days a closed contact, referral or message is kept when its own variable is unset (env ONESTOP_RETENTION_DAYS)")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	if general < 1 || general > casebook.MaxRetentionDays {
		return usageError("--days must be from 1 to %d", casebook.MaxRetentionDays)
	}
	ret, err := r.env.Retention(general)
	if err != nil {
		return err
	}
	return cmd.withStore(func(s *Services) error {
		rep, err := s.Purge(ctx, ret)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "purged %d contacts (kept %d days), %d referrals (%d days), %d messages (%d days), %d inbound message ids (%d days), %d audit entries (%d days), %d remembered languages (%d days), %d console logins (%d days); the file is compacted\n",
			rep.Contacts, ret.Contacts, rep.Referrals, ret.Referrals, rep.Messages, ret.Messages, rep.Inbound, ret.Inbound,
			rep.Audit, ret.Audit, rep.Languages, ret.Languages, rep.Logins, ret.Logins)
		return cmd.changed()
	})
}

func (r *runner) outbox(args []string) error {
	ctx, stdout := r.ctx, r.env.Stdout
	var state *string
	var limit *int
	// withOutbox runs fn on the outbox, wired as serve wires it.
	withOutbox := func(cmd *command, fn func(*outbox.Outbox) error) error {
		return cmd.withStore(func(s *Services) error { return fn(s.Outbox) })
	}
	// byID runs do on the message pos[0] names and says what became of it.
	byID := func(do func(*outbox.Outbox) func(context.Context, uint64) error, done string) func(*command, []string) error {
		return func(cmd *command, pos []string) error {
			id, err := strconv.ParseUint(pos[0], 10, 64)
			if err != nil || id == 0 {
				return fmt.Errorf("%q is not a message id", pos[0])
			}
			return withOutbox(cmd, func(ob *outbox.Outbox) error {
				if err := do(ob)(ctx, id); err != nil {
					return errors.New(onestop.ErrorMessage(err))
				}
				fmt.Fprintf(stdout, done, id)
				return cmd.changed(pos[0])
			})
		}
	}
	return group{name: "outbox", countExit: 1, flags: func(cmd *command) {
		state = cmd.String("state", "", "only messages in this state")
		limit = cmd.Int("n", 100, "how many messages, newest first")
	}, subs: []sub{
		{name: "retry", min: 1, max: 1, run: byID(func(ob *outbox.Outbox) func(context.Context, uint64) error { return ob.Retry },
			"message %d queued again; it is sent when onestop serve runs\n")},
		{name: "drop", min: 1, max: 1, run: byID(func(ob *outbox.Outbox) func(context.Context, uint64) error { return ob.Drop },
			"message %d dropped\n")},
		{name: "list", run: func(cmd *command, _ []string) error {
			return withOutbox(cmd, func(ob *outbox.Outbox) error {
				list, err := ob.List(ctx, outbox.Filter{State: outbox.State(*state), Limit: *limit})
				if err != nil {
					return err
				}
				tw := table(stdout)
				fmt.Fprintln(tw, "ID\tSTATE\tKIND\tAUDIENCE\tTO\tPROVIDER\tATTEMPTS\tNEXT\tSEGMENTS\tERROR")
				for _, msg := range list {
					next := ""
					if !msg.NextAttempt.IsZero() && (msg.State == outbox.Queued || msg.State == outbox.Failed) {
						next = msg.NextAttempt.Format(time.RFC3339)
					}
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%d %s\t%s\n", msg.ID, msg.State, msg.Kind, msg.Audience, msg.Masked,
						msg.Provider, msg.Attempts, next, msg.Segments, msg.Encoding, msg.Error)
				}
				return tw.Flush()
			})
		}},
	}}.run(r, args)
}

// backup writes a consistent copy of the store to FILE, taken while the helpline serves:
// written beside it first and moved into place whole, readable by its owner only. Sealed data
// stays sealed; the copy opens only with the same key.
func (r *runner) backup(args []string) error {
	cmd := r.newCommand("backup", true)
	pos, err := parseArgs(cmd.FlagSet, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		fmt.Fprintln(r.env.Stderr, "Usage: onestop backup FILE [--data DIR]")
		return usageError("backup: give the file to write")
	}
	name := pos[0]
	if !filepath.IsAbs(name) && r.env.WorkDir != "" {
		name = filepath.Join(r.env.WorkDir, name)
	}
	return cmd.withStore(func(s *Services) error {
		if s.Backup == nil {
			return errors.New("backup: this store is PostgreSQL; back it up with the database's own tools (pg_dump), and keep the sealing key apart")
		}
		tmp := name + ".partial"
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer os.Remove(tmp)
		n, err := s.Backup(r.ctx, f)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(tmp, name)
		}
		if err != nil {
			return fmt.Errorf("backup: nothing written to %s: %w", pos[0], err)
		}
		fmt.Fprintf(r.env.Stdout, "backed up %d bytes to %s; it opens only with this helpline's sealing key, so keep the key somewhere else\n", n, pos[0])
		return nil
	})
}
