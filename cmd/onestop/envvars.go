package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/gateway/comviva"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/locales"
)

// envVar is one ONESTOP_ variable serve reads: its default as help shows it, what it means, and
// the check its value must pass (nil: any value).
type envVar struct {
	name, def, meaning string
	check              func(string) error
}

// envVars lists every ONESTOP_ variable. serve --help prints them, and serve refuses to start
// with one whose value does not parse or with an ONESTOP_ variable not listed here: a misspelt
// name would otherwise be a setting silently not made.
var envVars = append([]envVar{
	{"ONESTOP_ADDR", DefaultAddr, "listen address (--addr); beyond loopback only with the webhooks authenticated", nil},
	{"ONESTOP_DATA", "./onestop-data", "data directory (--data)", nil},
	{"ONESTOP_DATABASE_URL", "", "postgres://… : the PostgreSQL database several gateways share; without it, DATA/onestop.db", checkDatabaseURL},
	{"ONESTOP_SEAL_KEY", "", "the sealing key itself, 32 bytes in base64", checkKey},
	{"ONESTOP_SEAL_KEY_FILE", "DATA/seal.key", "file holding the sealing key", nil},
	{"ONESTOP_COUNTRY", "BD", "whose helplines a caller from another country is told: BD, IN or PS", oneOf("BD", "IN", "PS", "bd", "in", "ps")},
	{"ONESTOP_SERVICE_CODES", "", "the country of each service code, *109#=BD,*181#=IN,*121#=PS", func(v string) error { _, err := parseServiceCodes(v); return err }},
	{"ONESTOP_DO_NOT_CONTACT_DAYS", "90", "days \"do not call\" holds for her number", days(0)},
	{"ONESTOP_SESSION_TTL", "5m", "how long an idle USSD session is kept (a Go duration)", duration(time.Second, 24*time.Hour)},
	{"ONESTOP_USSD_PAGE", "182/80", "USSD page size per provider, africastalking=160/72[,…]", checkPages},
	{"ONESTOP_WEBHOOK_TOKEN", "", "secret last path segment (or ?token=) of every webhook", nil},
	{"ONESTOP_WEBHOOK_USER", "", "HTTP basic auth user for every webhook", nil},
	{"ONESTOP_WEBHOOK_PASSWORD", "", "HTTP basic auth password for every webhook", nil},
	{"ONESTOP_LOG_LEVEL", "info", "debug, info, warn or error", func(v string) error { var l slog.Level; return l.UnmarshalText([]byte(v)) }},
	{"ONESTOP_LOG_FORMAT", "text", "text or json: one structured line per event", oneOf("text", "json")},
	{"ONESTOP_SIMULATE", "false", "serve a simulation for onestop load (--simulate)", boolean},
	{"ONESTOP_PUBLIC_URL", "", "the URL the aggregators call, for Twilio's signatures", checkURL},
	{"ONESTOP_AT_USERNAME", "", "Africa's Talking account; its SMS are used with the API key", nil},
	{"ONESTOP_AT_API_KEY", "", "Africa's Talking API key", nil},
	{"ONESTOP_AT_BASE_URL", "the live API", "Africa's Talking's API (the sandbox, a test server)", checkURL},
	{"ONESTOP_AT_SENDER", "", "Africa's Talking sender id or short code", nil},
	{"ONESTOP_TWILIO_ACCOUNT_SID", "", "Twilio account; its messages are used with the auth token", nil},
	{"ONESTOP_TWILIO_AUTH_TOKEN", "", "Twilio auth token", nil},
	{"ONESTOP_TWILIO_BASE_URL", "the live API", "Twilio's API (a test server)", checkURL},
	{"ONESTOP_TWILIO_FROM", "", "the number or messaging service Twilio sends from", nil},
	{"ONESTOP_BDAPPS_APP_ID", "", "bdapps / Applink application id (APP_…)", nil},
	{"ONESTOP_BDAPPS_PASSWORD", "", "bdapps / Applink application password", nil},
	{"ONESTOP_BDAPPS_BASE_URL", bdapps.DefaultBaseURL, "the TAP platform's API host", checkURL},
	{"ONESTOP_BDAPPS_SMS_SOURCE", "", "the application's alias or short code SMS are sent from", nil},
	{"ONESTOP_COMVIVA_PARAMS", "Banglalink's", "the Comviva pull's parameter names, session=…,msisdn=…,input=…,new=…", func(v string) error { _, err := comviva.ParseParams(v); return err }},
	{"ONESTOP_VOICE_RING", "30s", "how long the counsellors' phones ring before she hears the helpline", duration(5*time.Second, 2*time.Minute)},
	{"ONESTOP_VOICE_PROMPTS", "", "directory of recorded prompts, LANG/KEY.mp3 or .wav (onestop voice prompts)", nil},
	{"ONESTOP_VOICE_CALLER_ID", "", "the helpline's number per country, BD:+880…,IN:+91…: shown on every phone a call is put through to", nil},
	{"ONESTOP_VOICE_VOICE_BN", "Google.bn-IN-Standard-A", "text-to-speech voice for Bengali (name[,language])", nil},
	{"ONESTOP_VOICE_VOICE_HI", "Google.hi-IN-Standard-A", "text-to-speech voice for Hindi", nil},
	{"ONESTOP_VOICE_VOICE_AR", "Google.ar-XA-Standard-A", "text-to-speech voice for Arabic", nil},
	{"ONESTOP_VOICE_VOICE_EN", "Google.en-IN-Standard-A", "text-to-speech voice for English", nil},
	{"ONESTOP_COUNSELLOR_PHONE", "", "each console user's own phone, name:+880…, called first for a bridged callback", nil},
	{"ONESTOP_CALL_PROVIDER", "the first configured", "who places bridged callbacks: twilio, africastalking or exotel", oneOf("twilio", "africastalking", "exotel")},
	{"ONESTOP_AT_VOICE_URL", "https://voice.africastalking.com", "Africa's Talking's voice API", checkURL},
	{"ONESTOP_EXOTEL_SID", "", "Exotel account SID, for bridged callbacks in India", nil},
	{"ONESTOP_EXOTEL_API_KEY", "", "Exotel API key", nil},
	{"ONESTOP_EXOTEL_API_TOKEN", "", "Exotel API token", nil},
	{"ONESTOP_EXOTEL_API_URL", "https://api.exotel.com", "Exotel's API (Mumbai: https://api.in.exotel.com)", checkURL},
	{"ONESTOP_EXOTEL_BRIDGE_FLOW_URL", "", "the start URL of the Exotel flow a bridged callback runs", checkURL},
	{"ONESTOP_REFERRAL_REMIND_DAYS", "3", "days without news before a referral's reminder", days(365)},
	{"ONESTOP_ALERT_ESCALATE", "10m", "how long an urgent contact may go unacknowledged before escalation", duration(time.Minute, 24*time.Hour)},
	{"ONESTOP_SMS_NAME_SERVICE", "false", "allow the service's name in texts to workers and officials", boolean},
	{"ONESTOP_RETENTION_DAYS", strconv.Itoa(casebook.DefaultRetentionDays), "the general retention in days (purge --days)", days(casebook.MaxRetentionDays)},
	{"ONESTOP_DIAL_URL", "http://127.0.0.1:8080", "the gateway onestop dial calls", nil},
	{"ONESTOP_SCREENSHOTS", "", "a directory the console's browser tests save their screenshots in", nil},
}, retentionVars()...)

// retentionVars are the per-kind retention variables.
func retentionVars() []envVar {
	var vs []envVar
	for _, k := range casebook.RetentionKinds {
		def := "general"
		if k.Default != 0 {
			def = strconv.Itoa(k.Default)
		}
		vs = append(vs, envVar{retentionEnv(k), def, "days " + k.Name + " records are kept past their end", days(casebook.MaxRetentionDays)})
	}
	return vs
}

// checkEnv checks every ONESTOP_ variable in environ (os.Environ's form) and returns every
// problem, each naming its variable.
func checkEnv(environ []string) error {
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ONESTOP_") {
			continue
		}
		i := slices.IndexFunc(envVars, func(v envVar) bool { return v.name == name })
		switch {
		case i < 0:
			errs = append(errs, fmt.Errorf("%s is not a setting of onestop (serve --help lists them)", name))
		case envVars[i].check != nil && value != "":
			if err := envVars[i].check(value); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// printEnv lists the variables, for serve --help.
func printEnv(w io.Writer) {
	fmt.Fprintln(w, "\nEnvironment (flags win):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, v := range envVars {
		def := v.def
		if def == "" {
			def = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", v.name, def, v.meaning)
	}
	tw.Flush()
}

func oneOf(values ...string) func(string) error {
	return func(v string) error {
		if !slices.Contains(values, v) {
			return fmt.Errorf("%q: want one of %s", v, strings.Join(values, ", "))
		}
		return nil
	}
}

func boolean(v string) error {
	if _, err := strconv.ParseBool(v); err != nil {
		return fmt.Errorf("%q: want true or false", v)
	}
	return nil
}

func days(max int) func(string) error {
	return func(v string) error {
		_, err := parseDays(v, max)
		return err
	}
}

func duration(min, max time.Duration) func(string) error {
	return func(v string) error {
		if d, err := time.ParseDuration(v); err != nil || d < min || d > max {
			return fmt.Errorf("%q: want a duration from %v to %v, such as 10m", v, min, max)
		}
		return nil
	}
}

func checkURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http or https URL", v)
	}
	return nil
}

func checkKey(v string) error {
	if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err != nil || len(b) != 32 {
		return errors.New("want 32 bytes in base64")
	}
	return nil
}

// providers are the names a per-provider setting may give.
var providers = []string{africastalking.Provider, bdapps.Provider, comviva.Provider, twilio.Provider}

func checkPages(v string) error {
	limits, err := locales.ParseLimits(v)
	if err != nil {
		return err
	}
	for name := range limits {
		if !slices.Contains(providers, name) {
			return fmt.Errorf("%q is not a provider: want one of %s", name, strings.Join(providers, ", "))
		}
	}
	return nil
}

func checkDatabaseURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return fmt.Errorf("want a postgres:// URL")
	}
	return nil
}
