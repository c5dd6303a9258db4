package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/exotel"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/voice"
)

// The voice channel: calls answered on the conversation (Twilio, Africa's Talking), the
// recorded prompts, and the bridged callbacks a counsellor places from the console.

// openVoice adds the voice webhooks of each provider whose credentials are configured, and the
// recorded prompts they play.
func (m *Main) openVoice() error {
	c := m.smsConfig
	cfg, err := voice.FromEnv(os.Getenv, c.Twilio.PublicURL)
	if err != nil {
		return err
	}
	cfg.OnDuty = m.Staff.DutyNow
	r := voice.NewRenderer(cfg)
	voice.RegisterPrompts(m.Gateway.App, cfg.Prompts)
	if c.Twilio.Enabled() {
		twilio.RegisterVoice(m.Gateway, c.Twilio, m.Engine, r, func(ctx context.Context, o twilio.DialOutcome) error {
			return m.Cases.RecordVoiceCall(ctx, o.Provider, o.CallID, o.Answered, o.Counsellor, o.Duration, o.Status)
		})
	}
	// Africa's Talking's voice format is the one dial --voice speaks: a simulation answers it,
	// with every provider's credentials cleared and nothing sent.
	// Exotel signs nothing: its routes exist for an operator whose Exotel account is configured.
	if os.Getenv("ONESTOP_EXOTEL_SID") != "" || m.Config.Simulate {
		exotel.RegisterVoice(m.Gateway, m.Engine, r, func(ctx context.Context, o exotel.DialOutcome) error {
			return m.Cases.RecordVoiceCall(ctx, o.Provider, o.CallID, o.Answered, o.Counsellor, o.Duration, o.Status)
		})
	}
	if c.AT.Enabled() || m.Config.Simulate {
		africastalking.RegisterVoice(m.Gateway, c.Twilio.PublicURL, m.Engine, r)
	}
	return nil
}

// callConfig is what bridged callbacks need: the helpline's number per country, each console
// user's own phone, and the provider that places them.
type callConfig struct {
	CallerIDs outbox.CallerIDs        // ONESTOP_VOICE_CALLER_ID, BD:+880…,IN:+91…
	Phones    outbox.CounsellorPhones // ONESTOP_COUNSELLOR_PHONE, name:+880…
	Provider  string                  // ONESTOP_CALL_PROVIDER: twilio, africastalking or exotel
	Exotel    exotel.CallDialer       // ONESTOP_EXOTEL_*
}

func readCallConfig(c smsConfig) (cc callConfig, err error) {
	if v := os.Getenv("ONESTOP_VOICE_CALLER_ID"); strings.Contains(v, ":") {
		if cc.CallerIDs, err = outbox.ParseCallerIDs(v); err != nil {
			return cc, fmt.Errorf("ONESTOP_VOICE_CALLER_ID: %w", err)
		}
	}
	if cc.Phones, err = outbox.ParseCounsellorPhones(os.Getenv("ONESTOP_COUNSELLOR_PHONE")); err != nil {
		return cc, fmt.Errorf("ONESTOP_COUNSELLOR_PHONE: %w", err)
	}
	cc.Exotel = exotel.CallDialer{
		BaseURL: os.Getenv("ONESTOP_EXOTEL_API_URL"), SID: os.Getenv("ONESTOP_EXOTEL_SID"),
		APIKey: os.Getenv("ONESTOP_EXOTEL_API_KEY"), APIToken: os.Getenv("ONESTOP_EXOTEL_API_TOKEN"),
		FlowURL: os.Getenv("ONESTOP_EXOTEL_BRIDGE_FLOW_URL"), CallerID: cc.CallerIDs,
	}
	exotelSet := cc.Exotel.SID != "" && cc.Exotel.APIKey != "" && cc.Exotel.APIToken != "" && cc.Exotel.FlowURL != ""
	switch cc.Provider = os.Getenv("ONESTOP_CALL_PROVIDER"); {
	case cc.Provider == "" && c.Twilio.Enabled():
		cc.Provider = twilio.Provider
	case cc.Provider == "" && c.AT.Enabled():
		cc.Provider = africastalking.Provider
	case cc.Provider == "" && exotelSet:
		cc.Provider = "exotel"
	case cc.Provider == twilio.Provider && !c.Twilio.Enabled(), cc.Provider == africastalking.Provider && !c.AT.Enabled(),
		cc.Provider == "exotel" && !exotelSet:
		return cc, fmt.Errorf("ONESTOP_CALL_PROVIDER=%s: that provider's credentials are not set", cc.Provider)
	case cc.Provider != "" && cc.Provider != twilio.Provider && cc.Provider != africastalking.Provider && cc.Provider != "exotel":
		return cc, fmt.Errorf("ONESTOP_CALL_PROVIDER=%q: want twilio, africastalking or exotel", cc.Provider)
	}
	if len(cc.CallerIDs) == 0 {
		cc.Provider = "" // no neutral number to call her from: no bridged calls at all
	}
	return cc, nil
}

// openCalls adds the bridged callbacks' dialler to senders and their status webhooks to the
// gateway, and returns what the console's Call button does; nil when calls are not configured.
func (m *Main) openCalls(c smsConfig, senders *[]outbox.Sender) (func(ctx context.Context, id uint64, by, press string) error, error) {
	cc, err := readCallConfig(c)
	if err != nil || cc.Provider == "" {
		return nil, err
	}
	token := m.Config.WebhookToken
	switch cc.Provider {
	case twilio.Provider:
		*senders = append(*senders, outbox.DialSender(twilio.NewDialer(c.Twilio, token, cc.CallerIDs)))
		twilio.RegisterBridge(m.Gateway, c.Twilio, token, m.Outbox, cc.CallerIDs)
	case africastalking.Provider:
		*senders = append(*senders, outbox.DialSender(africastalking.NewDialer(c.AT, os.Getenv("ONESTOP_AT_VOICE_URL"), cc.CallerIDs)))
		africastalking.RegisterBridge(m.Gateway, c.Twilio.PublicURL, token, m.Outbox, cc.CallerIDs)
	default:
		d := cc.Exotel
		d.StatusURL = c.Twilio.PublicURL + exotel.CallBridgePath + "/status"
		if token != "" {
			d.StatusURL += "/" + token
		}
		*senders = append(*senders, outbox.DialSender(&d))
		exotel.RegisterCallBridge(m.Gateway, m.Outbox, cc.CallerIDs)
	}
	m.Log.Info("bridged callbacks on", "provider", cc.Provider, "counsellors with a phone", len(cc.Phones))
	return m.Outbox.BridgeFunc(cc.Phones, cc.Provider), nil
}

// runVoice runs "onestop voice prompts": the recorded prompts still missing.
func runVoice(args []string, stdout, stderr io.Writer) error {
	if len(args) != 1 || args[0] != "prompts" {
		fmt.Fprintln(stderr, "Usage: onestop voice prompts   list the prompts with no recording in ONESTOP_VOICE_PROMPTS")
		return &admin.ExitError{Code: 2, Err: fmt.Errorf("voice: say prompts")}
	}
	return voice.PrintMissing(stdout, os.Getenv(voice.EnvPrompts))
}
