package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/staff"
)

// DefaultRetentionDays is how long a closed record is kept: three months, as the services this
// one learns from keep theirs, and no longer than a follow-up needs. ONESTOP_RETENTION_DAYS
// changes it for contacts, referrals and messages, the kinds each of which has its own variable
// too.
const DefaultRetentionDays = 90

// maxRetentionDays bounds every retention: past a century a number is a mistake, not a policy.
const maxRetentionDays = 36500

// retention is how many days each kind of record is kept once it is due to go.
type retention struct {
	Contacts  int // finished contacts, from their last change; open ones are never purged
	Referrals int // closed and declined referrals; referrals still worked are never purged
	Messages  int // sent, delivered and dead messages; those still owed are never purged
	Inbound   int // aggregator message ids, kept so that a retry is answered the same
	Audit     int // audit entries; the chain stays verifiable from a checkpoint
	Languages int // a caller's remembered language, from when she last chose it
	Logins    int // console login sessions, from when they were last used
}

// retentionKinds names each kind's variable, its default and where its value goes. A default of
// 0 is the general one (ONESTOP_RETENTION_DAYS, else DefaultRetentionDays). The README's
// retention table says the same; keep them together.
var retentionKinds = []struct {
	env  string
	def  int
	days func(*retention) *int
}{
	{"ONESTOP_RETENTION_CONTACTS_DAYS", 0, func(r *retention) *int { return &r.Contacts }},
	{"ONESTOP_RETENTION_REFERRALS_DAYS", 0, func(r *retention) *int { return &r.Referrals }},
	{"ONESTOP_RETENTION_MESSAGES_DAYS", 0, func(r *retention) *int { return &r.Messages }},
	// Africa's Talking retries for up to 12 hours; two days is well past that.
	{"ONESTOP_RETENTION_INBOUND_DAYS", 2, func(r *retention) *int { return &r.Inbound }},
	// Who saw or changed a case is asked about long after the case is gone.
	{"ONESTOP_RETENTION_AUDIT_DAYS", 365, func(r *retention) *int { return &r.Audit }},
	{"ONESTOP_RETENTION_LANGUAGES_DAYS", 0, func(r *retention) *int { return &r.Languages }},
	// A login lasts 30 idle minutes; a week on, its record is only a trace of who logged in.
	{"ONESTOP_RETENTION_LOGINS_DAYS", 7, func(r *retention) *int { return &r.Logins }},
}

// days reads a number of days from the variable env, def when it is unset.
func days(env string, def int) (int, error) {
	v := os.Getenv(env)
	if v == "" {
		return def, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 1 || d > maxRetentionDays {
		return 0, fmt.Errorf("%s=%q: want a whole number of days, from 1 to %d", env, v, maxRetentionDays)
	}
	return d, nil
}

// retentionDays reads ONESTOP_RETENTION_DAYS, the general default.
func retentionDays() (int, error) { return days("ONESTOP_RETENTION_DAYS", DefaultRetentionDays) }

// readRetention reads every kind's retention from the environment, general days standing in for
// the kinds whose own variable is unset and whose default is the general one.
func readRetention(general int) (retention, error) {
	var r retention
	for _, k := range retentionKinds {
		def := k.def
		if def == 0 {
			def = general
		}
		d, err := days(k.env, def)
		if err != nil {
			return r, err
		}
		*k.days(&r) = d
	}
	return r, nil
}

// loadRetention reads the general default and then every kind's retention.
func loadRetention() (retention, error) {
	general, err := retentionDays()
	if err != nil {
		return retention{}, err
	}
	return readRetention(general)
}

// purgeReport is what one purge deleted.
type purgeReport struct {
	casebook.PurgeCounts
	Messages  int `json:"messages"`
	Inbound   int `json:"inbound"`
	Audit     int `json:"audit"`
	Languages int `json:"languages"`
	Logins    int `json:"logins"`
	// DoNotContact counts the do-not-contact marks whose period had ended.
	DoNotContact int `json:"doNotContact"`
}

// deleted is how many records the purge deleted, of every kind.
func (r purgeReport) deleted() int {
	return r.Contacts + r.Referrals + r.Messages + r.Inbound + r.Audit + r.Languages + r.Logins + r.DoNotContact
}

// purge deletes, on db, what each kind's retention says is due, then compacts the file so that
// nothing deleted (by this purge, or since the last one: a forgotten number, a swept session)
// can still be read from it. Compacting runs in the store's commit loop, so it is as safe while
// serve runs as from the command line; but every write waits while the file is copied, so a
// purge that deleted nothing compacts only when always says so (the command, and serve's first
// purge after a start, which follows the start's own clean-ups).
func purge(ctx context.Context, db *bolt.DB, cases *casebook.Casebook, ob *outbox.Outbox, r retention, always bool) (purgeReport, error) {
	now := db.Now()
	before := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	var rep purgeReport
	var err error
	if rep.Contacts, err = cases.PurgeContacts(ctx, before(r.Contacts)); err != nil {
		return rep, err
	}
	if rep.Referrals, err = cases.PurgeReferrals(ctx, before(r.Referrals)); err != nil {
		return rep, err
	}
	if rep.Messages, err = ob.Purge(ctx, before(r.Messages)); err != nil {
		return rep, err
	}
	if rep.Inbound, err = flows.PurgeInbound(ctx, db, before(r.Inbound)); err != nil {
		return rep, err
	}
	if rep.Languages, err = session.PurgeLangs(ctx, db, before(r.Languages)); err != nil {
		return rep, err
	}
	if rep.Logins, err = staff.NewUsers(db, cases).PurgeLogins(ctx, before(r.Logins)); err != nil {
		return rep, err
	}
	if rep.DoNotContact, err = cases.PurgeDoNotContact(ctx, now); err != nil {
		return rep, err
	}
	// Last of the deletions, so that the purge's own entry, and those of any failure above, are
	// never what it removes.
	if rep.Audit, err = cases.PurgeAudit(ctx, before(r.Audit)); err != nil {
		return rep, err
	}
	if !always && rep.deleted() == 0 {
		return rep, nil
	}
	return rep, db.Compact(ctx)
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	general, err := retentionDays()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	fs.IntVar(&general, "days", general, "the general retention: days a closed contact, referral or message is kept when its own variable is unset (env ONESTOP_RETENTION_DAYS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if general < 1 || general > maxRetentionDays {
		return &exitError{code: 2, err: fmt.Errorf("--days must be from 1 to %d", maxRetentionDays)}
	}
	r, err := readRetention(general)
	if err != nil {
		return err
	}
	db, box, err := openForCommand(ctx, c, "leave it to serve, which purges by itself every day")
	if err != nil {
		return err
	}
	defer db.Close()
	cases := casebook.New(db, box)
	rep, err := purge(ctx, db, cases, outbox.New(db, box, cases, outbox.Config{}), r, true)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "purged %d contacts (kept %d days), %d referrals (%d days), %d messages (%d days), %d inbound message ids (%d days), %d audit entries (%d days), %d remembered languages (%d days), %d console logins (%d days); the file is compacted\n",
		rep.Contacts, r.Contacts, rep.Referrals, r.Referrals, rep.Messages, r.Messages, rep.Inbound, r.Inbound,
		rep.Audit, r.Audit, rep.Languages, r.Languages, rep.Logins, r.Logins)
	return nil
}

// purgeEvery runs the retention purge now and then every interval until ctx ends.
func (m *Main) purgeEvery(ctx context.Context, r retention, interval time.Duration) {
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
