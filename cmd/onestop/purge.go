package main

import (
	"context"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

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
