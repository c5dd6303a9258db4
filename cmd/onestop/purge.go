package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/staff"
)

// retentionEnv is the variable that sets kind k's retention.
func retentionEnv(k casebook.RetentionKind) string {
	return "ONESTOP_RETENTION_" + strings.ToUpper(k.Name) + "_DAYS"
}

// readRetention reads every kind's retention from the environment, general days standing in for
// the kinds whose own variable is unset and whose default is the general one.
func readRetention(general int) (r casebook.Retention, err error) {
	for _, k := range casebook.RetentionKinds {
		def := k.Default
		if def == 0 {
			def = general
		}
		if *k.Days(&r), err = envDays(retentionEnv(k), def, casebook.MaxRetentionDays); err != nil {
			return r, err
		}
	}
	return r, nil
}

// loadRetention reads the general default (ONESTOP_RETENTION_DAYS) and then every kind's.
func loadRetention() (casebook.Retention, error) {
	general, err := envDays("ONESTOP_RETENTION_DAYS", casebook.DefaultRetentionDays, casebook.MaxRetentionDays)
	if err != nil {
		return casebook.Retention{}, err
	}
	return readRetention(general)
}

// purge runs the casebook's purge across every kind on db, with the purges of the kinds other
// packages own. Compacting runs in the store's commit loop, so it is as safe while serve runs as
// from the command line.
func purge(ctx context.Context, db *bolt.DB, cases *casebook.Casebook, ob *outbox.Outbox, r casebook.Retention, always bool) (casebook.PurgeReport, error) {
	return cases.PurgeAll(ctx, db.Now(), r, casebook.Purges{
		Messages:  ob.Purge,
		Inbound:   func(ctx context.Context, t time.Time) (int, error) { return flows.PurgeInbound(ctx, db, t) },
		Languages: func(ctx context.Context, t time.Time) (int, error) { return session.PurgeLangs(ctx, db, t) },
		Logins:    staff.NewUsers(db, cases).PurgeLogins,
		Compact:   db.Compact,
	}, always)
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	general, err := envDays("ONESTOP_RETENTION_DAYS", casebook.DefaultRetentionDays, casebook.MaxRetentionDays)
	if err != nil {
		return err
	}
	cmd := newCommand("purge", stderr)
	cmd.IntVar(&general, "days", general, "the general retention: days a closed contact, referral or message is kept when its own variable is unset (env ONESTOP_RETENTION_DAYS)")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	if general < 1 || general > casebook.MaxRetentionDays {
		return &exitError{code: 2, err: fmt.Errorf("--days must be from 1 to %d", casebook.MaxRetentionDays)}
	}
	r, err := readRetention(general)
	if err != nil {
		return err
	}
	return cmd.withStore(ctx, "leave it to serve, which purges by itself every day", func(s *stores) error {
		rep, err := purge(ctx, s.DB, s.Cases, outbox.New(s.DB, s.Box, s.Cases, outbox.Config{}), r, true)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "purged %d contacts (kept %d days), %d referrals (%d days), %d messages (%d days), %d inbound message ids (%d days), %d audit entries (%d days), %d remembered languages (%d days), %d console logins (%d days); the file is compacted\n",
			rep.Contacts, r.Contacts, rep.Referrals, r.Referrals, rep.Messages, r.Messages, rep.Inbound, r.Inbound,
			rep.Audit, r.Audit, rep.Languages, r.Languages, rep.Logins, r.Logins)
		return nil
	})
}

// purgeEvery runs the retention purge now and then every interval until ctx ends.
func (m *Main) purgeEvery(ctx context.Context, r casebook.Retention, interval time.Duration) {
	for first := true; ; first = false {
		if rep, err := purge(ctx, m.DB, m.Cases, m.outbox(m.smsConfig), r, first); err != nil && ctx.Err() == nil {
			m.Log.Error("retention purge failed", "err", err)
		} else if err == nil {
			m.Log.Info("retention purge", "contacts", rep.Contacts, "referrals", rep.Referrals, "messages", rep.Messages,
				"inbound", rep.Inbound, "audit", rep.Audit, "languages", rep.Languages, "logins", rep.Logins, "do-not-contact", rep.DoNotContact)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
