package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// callRow is one contact as calls shows it: never the whole number.
type callRow struct {
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

func runCalls(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := newCommand("calls", stderr)
	asJSON := cmd.Bool("json", false, "print JSON, one contact per line")
	limit := cmd.Int("n", 100, "how many contacts, newest first")
	if err := cmd.Parse(args); err != nil {
		return err
	}
	var contacts []*onestop.Contact
	if err := cmd.withStore(ctx, "read the contacts in its console", func(s *stores) (err error) {
		contacts, err = s.Cases.List(ctx, casebook.Filter{Limit: *limit})
		return err
	}); err != nil {
		return err
	}
	rows := make([]callRow, len(contacts))
	for i, ct := range contacts {
		rows[i] = callRow{
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
