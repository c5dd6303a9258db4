package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/staff"
)

// The SMS channel, the outbox and the commands around them: registered workers, the officials
// each district alerts, the counsellor on duty, and the queue of outbound messages.

// smsConfig is the SMS side's configuration, read from the environment.
type smsConfig struct {
	AT africastalking.Config // ONESTOP_AT_*
	// Twilio is ONESTOP_TWILIO_*, and ONESTOP_PUBLIC_URL: the URL Twilio calls, for signatures.
	Twilio twilio.Config
	BDApps bdapps.Config // ONESTOP_BDAPPS_*

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
		BDApps: bdapps.Config{
			AppID: os.Getenv("ONESTOP_BDAPPS_APP_ID"), Password: os.Getenv("ONESTOP_BDAPPS_PASSWORD"),
			BaseURL: os.Getenv("ONESTOP_BDAPPS_BASE_URL"), SMSSource: os.Getenv("ONESTOP_BDAPPS_SMS_SOURCE"),
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
	return c, c.Twilio.Check()
}

// defaultProvider is the provider a message goes through when nothing else decides: Africa's
// Talking, else Twilio, else bdapps, else the log.
func (c smsConfig) defaultProvider() string {
	switch {
	case c.AT.Enabled():
		return africastalking.Provider
	case c.Twilio.Enabled():
		return twilio.Provider
	case c.BDApps.Enabled():
		return bdapps.Provider
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
		c.BDApps.AppID, c.BDApps.Password = "", ""
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
	if c.BDApps.Enabled() {
		senders = append(senders, bdapps.NewSender(c.BDApps, nil))
	}
	if m.call, err = m.openCalls(c, &senders); err != nil {
		return err
	}
	sms := flows.NewSMS(m.DB, m.Cases, m.Box, m.Dir, ob, flows.SMSConfig{
		RemindAfter: c.RemindAfter, DefaultCountry: strings.ToUpper(m.Config.Country), Log: m.Log,
		// Texts to workers and centres name a centre only when the operator allows naming.
		NameService: c.NameService,
		Via:         outbox.ReplyVia(c.defaultProvider(), senders...),
	})
	m.SMS = sms
	// An SMS route exists only for a provider whose credentials are configured: a deployment
	// using one provider's signatures must not be entered through another's route.
	if c.AT.Enabled() {
		africastalking.RegisterSMS(m.Gateway, sms, ob)
	}
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
