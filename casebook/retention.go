package casebook

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// DefaultRetentionDays is how long a closed record is kept: three months, as the services this
// one learns from keep theirs, and no longer than a follow-up needs. The general retention
// (ONESTOP_RETENTION_DAYS in the command) changes it for the kinds whose default it is.
const DefaultRetentionDays = 90

// MaxRetentionDays bounds every retention: past a century a number is a mistake, not a policy.
const MaxRetentionDays = 36500

// Retention is how many days each kind of record is kept once it is due to go.
type Retention struct {
	Contacts  int // finished contacts, from their last change; open ones are never purged
	Referrals int // closed and declined referrals; referrals still worked are never purged
	Messages  int // sent, delivered and dead messages; those still owed are never purged
	Inbound   int // aggregator message ids, kept so that a retry is answered the same
	Audit     int // audit entries; the chain stays verifiable from a checkpoint
	Languages int // a caller's remembered language, from when she last chose it
	Logins    int // console login sessions, from when they were last used
}

// RetentionKind is one kind of record's retention: its name (the command reads it from
// ONESTOP_RETENTION_<NAME>_DAYS), its default, and where its value goes. A default of 0 is the
// general one. The README's retention table says the same; keep them together.
type RetentionKind struct {
	Name    string
	Default int
	Days    func(*Retention) *int
}

// RetentionKinds is every kind of record a purge deletes by age.
var RetentionKinds = []RetentionKind{
	{"contacts", 0, func(r *Retention) *int { return &r.Contacts }},
	{"referrals", 0, func(r *Retention) *int { return &r.Referrals }},
	{"messages", 0, func(r *Retention) *int { return &r.Messages }},
	// Africa's Talking retries for up to 12 hours; two days is well past that.
	{"inbound", 2, func(r *Retention) *int { return &r.Inbound }},
	// Who saw or changed a case is asked about long after the case is gone.
	{"audit", 365, func(r *Retention) *int { return &r.Audit }},
	{"languages", 0, func(r *Retention) *int { return &r.Languages }},
	// A login lasts 30 idle minutes; a week on, its record is only a trace of who logged in.
	{"logins", 7, func(r *Retention) *int { return &r.Logins }},
}

// PurgeFunc deletes the records of one kind that are due at cutoff and returns how many.
type PurgeFunc func(ctx context.Context, cutoff time.Time) (int, error)

// Purges are the purges of the kinds kept outside the casebook (outbound messages, inbound ids,
// remembered languages, console logins) and the store's compaction, which the casebook runs in
// its order without importing their owners. A nil one is not run.
type Purges struct {
	Messages, Inbound, Languages, Logins PurgeFunc
	Compact                              func(context.Context) error
}

// PurgeReport is what one purge deleted.
type PurgeReport struct {
	PurgeCounts
	Messages  int `json:"messages"`
	Inbound   int `json:"inbound"`
	Audit     int `json:"audit"`
	Languages int `json:"languages"`
	Logins    int `json:"logins"`
	// DoNotContact counts the do-not-contact marks whose period had ended.
	DoNotContact int `json:"doNotContact"`
}

// Deleted is how many records the purge deleted, of every kind.
func (r PurgeReport) Deleted() int {
	return r.Contacts + r.Referrals + r.Messages + r.Inbound + r.Audit + r.Languages + r.Logins + r.DoNotContact
}

// PurgeAll deletes what each kind's retention says is due at now, then compacts the file so that
// nothing deleted (by this purge, or since the last one: a forgotten number, a swept session)
// can still be read from it. Compacting holds every write while the file is copied, so a purge
// that deleted nothing compacts only when always says so (the command, and serve's first purge
// after a start, which follows the start's own clean-ups). The audit log goes last, so that the
// purge's own entry, and those of any failure before it, are never what it removes.
func (cb *Casebook) PurgeAll(ctx context.Context, now time.Time, r Retention, p Purges, always bool) (PurgeReport, error) {
	before := func(days int) time.Time { return now.AddDate(0, 0, -days) }
	var rep PurgeReport
	steps := []struct {
		n    *int
		days int
		run  PurgeFunc
	}{
		{&rep.Contacts, r.Contacts, cb.PurgeContacts},
		{&rep.Referrals, r.Referrals, cb.PurgeReferrals},
		{&rep.Messages, r.Messages, p.Messages},
		{&rep.Inbound, r.Inbound, p.Inbound},
		{&rep.Languages, r.Languages, p.Languages},
		{&rep.Logins, r.Logins, p.Logins},
		// Marks end at their own time, whatever the retention.
		{&rep.DoNotContact, 0, func(ctx context.Context, now time.Time) (int, error) { return cb.PurgeDoNotContact(ctx, now) }},
		{&rep.Audit, r.Audit, cb.PurgeAudit},
	}
	for _, s := range steps {
		if s.run == nil {
			continue
		}
		var err error
		if *s.n, err = s.run(ctx, before(s.days)); err != nil {
			return rep, err
		}
	}
	if (!always && rep.Deleted() == 0) || p.Compact == nil {
		return rep, nil
	}
	return rep, p.Compact(ctx)
}

// Env is the environment variable that sets the kind's retention.
func (k RetentionKind) Env() string { return "ONESTOP_RETENTION_" + strings.ToUpper(k.Name) + "_DAYS" }

// GeneralRetentionEnv sets the general retention, in days, that stands in for every kind whose
// own variable is unset and whose default is the general one.
const GeneralRetentionEnv = "ONESTOP_RETENTION_DAYS"

// ReadRetention reads every kind's retention through getenv (os.Getenv), general days standing
// in where a kind's own variable is unset and its default is the general one; general 0 reads it
// from GeneralRetentionEnv. An error names the variable that does not parse.
func ReadRetention(getenv func(string) string, general int) (r Retention, err error) {
	if general == 0 {
		if general, err = retentionDays(getenv, GeneralRetentionEnv, DefaultRetentionDays); err != nil {
			return r, err
		}
	}
	for _, k := range RetentionKinds {
		def := k.Default
		if def == 0 {
			def = general
		}
		if *k.Days(&r), err = retentionDays(getenv, k.Env(), def); err != nil {
			return r, err
		}
	}
	return r, nil
}

// GeneralRetention reads GeneralRetentionEnv through getenv.
func GeneralRetention(getenv func(string) string) (int, error) {
	return retentionDays(getenv, GeneralRetentionEnv, DefaultRetentionDays)
}

func retentionDays(getenv func(string) string, key string, def int) (int, error) {
	v := strings.TrimSpace(getenv(key))
	if v == "" {
		return def, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 1 || d > MaxRetentionDays {
		return 0, fmt.Errorf("%s=%q: want a whole number of days, from 1 to %d", key, v, MaxRetentionDays)
	}
	return d, nil
}
