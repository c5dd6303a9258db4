package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

// DefaultRetentionDays is how long a closed record is kept: three months, as the services this
// one learns from keep theirs, and no longer than a follow-up needs.
const DefaultRetentionDays = 90

// inboundKeep is how long an inbound message's id is kept for idempotency: Africa's Talking
// retries for up to 12 hours.
const inboundKeep = 48 * time.Hour

// retentionDays reads ONESTOP_RETENTION_DAYS.
func retentionDays() (int, error) {
	v := os.Getenv("ONESTOP_RETENTION_DAYS")
	if v == "" {
		return DefaultRetentionDays, nil
	}
	d, err := strconv.Atoi(v)
	if err != nil || d < 1 {
		return 0, fmt.Errorf("ONESTOP_RETENTION_DAYS=%q: want a whole number of days, 1 or more", v)
	}
	return d, nil
}

// purgeReport is what one purge deleted.
type purgeReport struct {
	casebook.PurgeCounts
	Messages int `json:"messages"`
	Inbound  int `json:"inbound"`
}

// purge deletes what retention says is due on db: closed contacts and referrals and finished
// messages older than days, and inbound ids older than inboundKeep.
func purge(ctx context.Context, db *store.DB, cases *casebook.Casebook, ob *outbox.Outbox, days int) (purgeReport, error) {
	now := db.Now()
	cutoff := now.AddDate(0, 0, -days)
	var r purgeReport
	var err error
	if r.PurgeCounts, err = cases.Purge(ctx, cutoff); err != nil {
		return r, err
	}
	if r.Messages, err = ob.Purge(ctx, cutoff); err != nil {
		return r, err
	}
	r.Inbound, err = flows.PurgeInbound(ctx, db, now.Add(-inboundKeep))
	return r, err
}

func runPurge(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	days, err := retentionDays()
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("purge", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	fs.IntVar(&days, "days", days, "delete closed records last changed more than this many days ago (env ONESTOP_RETENTION_DAYS)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if days < 1 {
		return &exitError{code: 2, err: errors.New("--days must be 1 or more")}
	}
	db, box, err := openForCommand(c, "leave it to serve, which purges by itself every day")
	if err != nil {
		return err
	}
	defer db.Close()
	cases := casebook.New(db, box)
	r, err := purge(ctx, db, cases, outbox.New(db, box, cases, outbox.Config{}), days)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "purged records closed more than %d days ago: %d contacts, %d referrals, %d messages; %d inbound message ids\n",
		days, r.Contacts, r.Referrals, r.Messages, r.Inbound)
	return nil
}

// purgeEvery runs the retention purge now and then every interval until ctx ends.
func (m *Main) purgeEvery(ctx context.Context, days int, interval time.Duration) {
	for {
		if r, err := purge(ctx, m.DB, m.Cases, m.outbox(m.smsConfig), days); err != nil && ctx.Err() == nil {
			m.Log.Error("retention purge failed", "err", err)
		} else if err == nil {
			m.Log.Info("retention purge", "days", days, "contacts", r.Contacts, "referrals", r.Referrals, "messages", r.Messages, "inbound", r.Inbound)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}
