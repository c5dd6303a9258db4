package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
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
	c := DefaultConfig()
	fs := flag.NewFlagSet("calls", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	asJSON := fs.Bool("json", false, "print JSON, one contact per line")
	limit := fs.Int("n", 100, "how many contacts, newest first")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db, box, err := openForCommand(ctx, c, "read the contacts in its console")
	if err != nil {
		return err
	}
	defer db.Close()
	contacts, err := casebook.New(db, box).List(ctx, casebook.Filter{Limit: *limit})
	if err != nil {
		return err
	}
	rows := make([]callRow, len(contacts))
	for i, ct := range contacts {
		rows[i] = callRow{
			Time: ct.Time, Ref: ct.Ref, Channel: ct.Channel, Lang: ct.Lang, Urgency: ct.Urgency,
			Status: ct.Status, Plan: planSummary(ct.Plan), Country: ct.Country, Masked: ct.Masked,
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range rows {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
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

// planSummary says in a few words what she agreed to, never the number itself.
func planSummary(p *onestop.SafeContactPlan) string {
	switch {
	case p == nil:
		return "-"
	case !p.MayCall:
		return "do not call"
	}
	who := "this number"
	if p.OtherNumber {
		who = "another number"
	}
	// Her window in her own time: that is what a counsellor must keep to.
	loc, err := time.LoadLocation(p.TZ)
	if err != nil {
		loc = time.UTC
	}
	return fmt.Sprintf("call %s, %s %s–%s %s", who, p.Window,
		p.Opens.In(loc).Format("01-02 15:04"), p.Closes.In(loc).Format("15:04"), loc)
}
