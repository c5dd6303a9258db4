package main

import (
	"context"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
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
func purge(ctx context.Context, db database, cases *casebook.Casebook, ob *outbox.Outbox, r casebook.Retention, always bool) (casebook.PurgeReport, error) {
	return cases.PurgeAll(ctx, db.Now(), r, casebook.Purges{
		Messages:  ob.Purge,
		Inbound:   func(ctx context.Context, t time.Time) (int, error) { return flows.PurgeInbound(ctx, db, t) },
		Languages: func(ctx context.Context, t time.Time) (int, error) { return session.PurgeLangs(ctx, db, t) },
		Logins:    staff.NewUsers(db, cases).PurgeLogins,
		Compact:   db.Compact,
	}, always)
}

// purgeEvery runs the retention purge now and then every interval until ctx ends.
func (m *Main) purgeEvery(ctx context.Context, r casebook.Retention, interval time.Duration) {
	for first := true; ; first = false {
		var rep *casebook.PurgeReport // nil when another gateway of the group holds the job
		_, err := store.Once(m.DB, "retention purge", interval, func(ctx context.Context) (int, error) {
			r, err := purge(ctx, m.DB, m.Cases, m.outbox(m.smsConfig), r, first)
			rep = &r
			return r.Contacts, err
		})(ctx)
		if err != nil && ctx.Err() == nil {
			m.Log.Error("retention purge failed", "err", err)
		} else if err == nil && rep != nil {
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
