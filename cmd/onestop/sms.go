package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	phonenum "github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/staff"
)

// The SMS channel, the outbox and the commands around them: registered workers, the officials
// each district alerts, the counsellor on duty, and the queue of outbound messages.

// smsConfig is the SMS side's configuration, read from the environment.
type smsConfig struct {
	AT africastalking.Config // ONESTOP_AT_*
	// Twilio is ONESTOP_TWILIO_*, and ONESTOP_PUBLIC_URL: the URL Twilio calls, for signatures.
	Twilio twilio.Config

	// RemindAfter is how long a referral goes without news before a reminder
	// (ONESTOP_REFERRAL_REMIND_DAYS, default 3).
	RemindAfter time.Duration
	// NameService lets texts to survivors and unregistered senders name the service
	// (ONESTOP_SMS_NAME_SERVICE=1). Off by default.
	NameService bool
	// EscalateAfter is how long an urgent contact may go unacknowledged before it is escalated
	// to the fallback list (ONESTOP_ALERT_ESCALATE, a Go duration; 0 here means the default).
	EscalateAfter time.Duration
}

func readSMSConfig() (c smsConfig, err error) {
	c = smsConfig{
		AT: africastalking.Config{
			Username: os.Getenv("ONESTOP_AT_USERNAME"), APIKey: os.Getenv("ONESTOP_AT_API_KEY"),
			BaseURL: os.Getenv("ONESTOP_AT_BASE_URL"), Sender: os.Getenv("ONESTOP_AT_SENDER"),
		},
		Twilio: twilio.Config{
			AccountSID: os.Getenv("ONESTOP_TWILIO_ACCOUNT_SID"), AuthToken: os.Getenv("ONESTOP_TWILIO_AUTH_TOKEN"),
			BaseURL: os.Getenv("ONESTOP_TWILIO_BASE_URL"), From: os.Getenv("ONESTOP_TWILIO_FROM"),
			PublicURL: strings.TrimRight(os.Getenv("ONESTOP_PUBLIC_URL"), "/"),
		},
		EscalateAfter: alerts.DefaultEscalateAfter,
	}
	c.NameService, _ = strconv.ParseBool(os.Getenv("ONESTOP_SMS_NAME_SERVICE"))
	remind, err := envDays("ONESTOP_REFERRAL_REMIND_DAYS", 3, 365)
	if err != nil {
		return c, err
	}
	c.RemindAfter = time.Duration(remind) * 24 * time.Hour
	if v := os.Getenv("ONESTOP_ALERT_ESCALATE"); v != "" {
		if c.EscalateAfter, err = time.ParseDuration(v); err != nil || c.EscalateAfter < time.Minute || c.EscalateAfter > 24*time.Hour {
			return c, fmt.Errorf("ONESTOP_ALERT_ESCALATE: %q is not a duration from 1m to 24h, such as 10m", v)
		}
	}
	switch {
	case c.Twilio.Enabled() && c.Twilio.PublicURL == "":
		return c, errors.New("ONESTOP_PUBLIC_URL must be set with Twilio: its signatures cover the URL it calls")
	case c.Twilio.Enabled() && c.Twilio.From == "":
		return c, errors.New("ONESTOP_TWILIO_FROM must be set with Twilio: the number messages are sent from")
	}
	return c, nil
}

// defaultProvider is the provider a message goes through when nothing else decides: Africa's
// Talking, else Twilio, else the log.
func (c smsConfig) defaultProvider() string {
	switch {
	case c.AT.Enabled():
		return africastalking.Provider
	case c.Twilio.Enabled():
		return twilio.Provider
	}
	return outbox.LogName
}

// outbox returns the outbox on m's store, building it once with the staff and alerts services
// it is wired to: staff says who is registered for a staff audience, alerts who holds a role
// when a message is sent, what it says, and what a dead alert sets off.
func (m *Main) outbox(c smsConfig) *outbox.Outbox {
	if m.Outbox != nil {
		return m.Outbox
	}
	var betraying []string
	if m.Dir != nil {
		betraying = m.Dir.CentreNames()
	}
	if m.Staff == nil {
		m.Staff = staff.New(m.DB, m.Box, m.Cases, m.Dir)
	}
	if m.Alerts == nil {
		m.Alerts = alerts.New(alerts.Config{DB: m.DB, Box: m.Box, Cases: m.Cases, Staff: m.Staff, Log: m.Log, EscalateAfter: c.EscalateAfter})
	}
	m.Outbox = outbox.New(m.DB, m.Box, m.Cases, outbox.Config{
		Default: c.defaultProvider(), NameService: c.NameService, Betraying: betraying,
		Known: m.Staff.Known, Resolve: m.Alerts.Resolve, Render: alerts.Render, OnDead: m.Alerts.OnDead, OnRetry: m.Alerts.OnDead, OnSent: m.Alerts.OnSent, OnReassigned: m.Alerts.OnReassigned, DoNotContact: m.Cases.Marked, Log: m.Log,
	})
	m.Alerts.UseOutbox(m.Outbox)
	return m.Outbox
}

// openSMS builds the outbox and starts its sending loop and the referral reminders, and adds
// the SMS webhooks to the gateway.
func (m *Main) openSMS(ctx context.Context) error {
	c, err := readSMSConfig()
	if err != nil {
		return err
	}
	if m.Config.Simulate {
		// A simulation's messages reach nobody: whatever providers are configured, only the log.
		c.AT.Username, c.AT.APIKey, c.Twilio.AccountSID, c.Twilio.AuthToken = "", "", "", ""
	}
	m.smsConfig = c
	// Built once: the Recorded hook and the sweeps run on every contact and must not rebuild it.
	ob := m.outbox(c)
	senders := []outbox.Sender{&outbox.LogSender{Log: m.Log}}
	if c.AT.Enabled() {
		senders = append(senders, africastalking.NewSender(c.AT))
	}
	if c.Twilio.Enabled() {
		senders = append(senders, twilio.NewSender(c.Twilio, m.Config.WebhookToken))
	}
	sms := flows.NewSMS(m.DB, m.Cases, m.Box, m.Dir, ob, flows.SMSConfig{
		RemindAfter: c.RemindAfter, DefaultCountry: strings.ToUpper(m.Config.Country), Log: m.Log,
		// Texts to workers and centres name a centre only when the operator allows naming.
		NameService: c.NameService,
		Via:         outbox.ReplyVia(c.defaultProvider(), senders...),
	})
	m.SMS = sms
	africastalking.RegisterSMS(m.Gateway, sms, ob)
	if c.Twilio.Enabled() {
		twilio.Register(m.Gateway, c.Twilio, sms, ob)
	}
	go func() {
		if err := ob.Run(ctx, senders...); err != nil {
			m.Log.Error("outbox stopped", "err", err)
		}
	}()
	go sms.RemindEvery(ctx, time.Hour)
	go m.Alerts.CallbacksEvery(ctx, time.Minute)
	go m.Alerts.EscalateEvery(ctx, time.Minute)
	m.Alerts.WarnNoRota(ctx)
	m.Log.Info("outbox sending", "default", c.defaultProvider())
	return nil
}

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var name, lang, area *string
	// number reads the worker's number, runs check, if any, on the rest of the command line, and
	// opens the store for what is done with the number.
	number := func(cmd *command, arg string, check func() error, fn func(*stores, phonenum.Number) error) error {
		num, err := staff.ParseNumber(arg)
		if err != nil {
			return plain(err)
		}
		if check != nil {
			if err := check(); err != nil {
				return err
			}
		}
		return cmd.withStore(ctx, "", func(s *stores) error { return fn(s, num) })
	}
	return group{name: "worker", countExit: 1, flags: func(cmd *command) {
		name = cmd.String("name", "", "the worker's name")
		lang = cmd.String("lang", "", "the language replies are in: bn, hi, ar or en")
		area = cmd.String("area", "", "the area code the worker covers, as 'onestop directory areas' prints it")
	}, subs: []sub{
		{name: "add", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			*area = strings.ToUpper(strings.TrimSpace(*area))
			check := func() error {
				if strings.TrimSpace(*name) == "" || !onestop.Lang(*lang).Valid() {
					return fmt.Errorf("worker add needs --name and --lang (bn, hi, ar or en)")
				}
				if *area != "" && !staff.ValidAreaCode(*area) {
					return fmt.Errorf("--area %q is not an area code such as BD-13", *area)
				}
				return nil
			}
			return number(cmd, pos[0], check, func(s *stores, num phonenum.Number) error {
				w := &casebook.Worker{Number: num.E164, Name: strings.TrimSpace(*name), Lang: onestop.Lang(*lang), Area: *area, Added: s.DB.Now(), Masked: num.Mask()}
				if err := s.Staff.AddWorker(ctx, w); err != nil {
					return plain(err)
				}
				fmt.Fprintf(stdout, "worker %s (%s) added\n", w.Name, w.Masked)
				return nil
			})
		}},
		{name: "remove", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			return number(cmd, pos[0], nil, func(s *stores, num phonenum.Number) error {
				if err := s.Staff.RemoveWorker(ctx, num.E164); err != nil {
					return errors.New(onestop.ErrorMessage(err))
				}
				fmt.Fprintf(stdout, "worker %s removed\n", num.Mask())
				return nil
			})
		}},
		{name: "list", run: func(cmd *command, _ []string) error {
			return cmd.withStore(ctx, "", func(s *stores) error {
				ws, err := s.Staff.Workers(ctx)
				if err != nil {
					return err
				}
				tw := table(stdout)
				fmt.Fprintln(tw, "NAME\tNUMBER\tLANG\tAREA\tADDED")
				for _, w := range ws {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", w.Name, w.Masked, w.Lang, w.Area, w.Added.Format("2006-01-02"))
				}
				return tw.Flush()
			})
		}},
	}}.run(args, stdout, stderr)
}

func runOfficials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return group{name: "officials", missing: "officials: import or list", countExit: 1, subs: []sub{
		{name: "list", run: func(cmd *command, _ []string) error {
			return cmd.withStore(ctx, "", func(s *stores) error {
				list, err := s.Staff.Officials(ctx)
				if err != nil {
					return err
				}
				tw := table(stdout)
				fmt.Fprintln(tw, "DISTRICT\tROLE\tNUMBER\tLANG")
				for _, o := range list {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", o.District, o.Role, o.Masked, o.Lang)
				}
				return tw.Flush()
			})
		}},
		{name: "import", min: 1, max: 1, run: func(cmd *command, pos []string) error {
			data, err := os.ReadFile(pos[0])
			if err != nil {
				return err
			}
			officials, err := staff.ParseOfficials(data)
			if err != nil {
				return plain(err)
			}
			return cmd.withStore(ctx, "", func(s *stores) error {
				// The file replaces the list: an official taken off it is alerted no more.
				if err := s.Staff.ImportOfficials(ctx, officials); err != nil {
					return plain(err)
				}
				var districts []string
				for _, o := range officials {
					districts = append(districts, o.District)
				}
				slices.Sort(districts)
				fmt.Fprintf(stdout, "%d officials in %d districts imported\n", len(officials), len(slices.Compact(districts)))
				return nil
			})
		}},
	}}.run(args, stdout, stderr)
}

func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var state *string
	var limit *int
	// withOutbox opens the outbox on the store, wired as serve wires it, but sending nothing.
	withOutbox := func(cmd *command, fn func(*outbox.Outbox) error) error {
		return cmd.withStore(ctx, "", func(s *stores) error {
			m := &Main{Config: cmd.Config, DB: s.DB, Box: s.Box, Cases: s.Cases, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			var err error
			if m.Dir, err = directory.Load(ctx, s.DB); err != nil {
				return err
			}
			return fn(m.outbox(smsConfig{}))
		})
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
				return nil
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
	}}.run(args, stdout, stderr)
}
