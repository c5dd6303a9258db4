package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
)

// Config is the operator's configuration: flags, with defaults from the environment.
type Config struct {
	Addr string // ONESTOP_ADDR
	Data string // ONESTOP_DATA

	// SealKey is the sealing key itself in base64 (ONESTOP_SEAL_KEY); else SealKeyFile
	// (ONESTOP_SEAL_KEY_FILE, default DATA/seal.key) is read or created.
	SealKey     string
	SealKeyFile string

	Country string        // ONESTOP_COUNTRY: the country whose helplines callers from elsewhere hear
	TTL     time.Duration // ONESTOP_SESSION_TTL

	// PageLimits is the USSD page size per provider (ONESTOP_USSD_PAGE, e.g.
	// "africastalking=160/72": GSM-7 characters / UTF-16 units); others get 182/80.
	PageLimits map[string]locales.Limit

	WebhookToken    string // ONESTOP_WEBHOOK_TOKEN
	WebhookUser     string // ONESTOP_WEBHOOK_USER
	WebhookPassword string // ONESTOP_WEBHOOK_PASSWORD

	LogLevel string // ONESTOP_LOG_LEVEL: debug, info, warn, error

	// Simulate serves a simulation for onestop load (ONESTOP_SIMULATE, --simulate): only on a
	// data directory of its own, only on loopback, and every message is only logged.
	Simulate bool
	// ServiceCodes maps the service codes callers dial to the country of each service
	// (ONESTOP_SERVICE_CODES, e.g. "*109#=BD,*181#=IN,*121#=PS"): the service dialled decides
	// her helplines, emergency number, language and time zone.
	ServiceCodes map[string]string
	// DoNotContactDays is how long her number stays marked "do not contact" after she says so
	// (ONESTOP_DO_NOT_CONTACT_DAYS, default 90).
	DoNotContactDays int
}

// DBPath is the bbolt file inside the data directory.
func (c Config) DBPath() string { return filepath.Join(c.Data, "onestop.db") }

// KeyPath is where the sealing key is read from or created.
func (c Config) KeyPath() string {
	if c.SealKeyFile != "" {
		return c.SealKeyFile
	}
	return filepath.Join(c.Data, "seal.key")
}

// DefaultAddr is where serve listens with nothing configured: this machine only, so that the
// webhooks, unauthenticated until a token or basic auth is set, are not open to anyone.
const DefaultAddr = "127.0.0.1:8080"

// DefaultConfig reads the environment's configuration over the built-in defaults.
func DefaultConfig() Config {
	c := Config{
		Addr:            env("ONESTOP_ADDR", DefaultAddr),
		Data:            env("ONESTOP_DATA", "./onestop-data"),
		SealKey:         os.Getenv("ONESTOP_SEAL_KEY"),
		SealKeyFile:     os.Getenv("ONESTOP_SEAL_KEY_FILE"),
		Country:         env("ONESTOP_COUNTRY", "BD"),
		TTL:             flows.DefaultTTL,
		WebhookToken:    os.Getenv("ONESTOP_WEBHOOK_TOKEN"),
		WebhookUser:     os.Getenv("ONESTOP_WEBHOOK_USER"),
		WebhookPassword: os.Getenv("ONESTOP_WEBHOOK_PASSWORD"),
		LogLevel:        env("ONESTOP_LOG_LEVEL", "info"),
	}
	c.Simulate, _ = strconv.ParseBool(os.Getenv("ONESTOP_SIMULATE"))
	if d, err := time.ParseDuration(os.Getenv("ONESTOP_SESSION_TTL")); err == nil && d > 0 {
		c.TTL = d
	}
	return c
}

// parseServiceCodes reads "CODE=CC[,CODE=CC…]", a service code and the two-letter country
// whose service it is.
func parseServiceCodes(s string) (map[string]string, error) {
	codes := map[string]string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		code, country, ok := strings.Cut(item, "=")
		code, country = strings.TrimSpace(code), strings.ToUpper(strings.TrimSpace(country))
		if !ok || code == "" || strings.ContainsAny(code, " \t") || len(country) != 2 || strings.Trim(country, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return nil, fmt.Errorf("ONESTOP_SERVICE_CODES: %q is not CODE=CC (a service code and a two-letter country, e.g. *109#=BD)", item)
		}
		if prev, dup := codes[code]; dup && prev != country {
			return nil, fmt.Errorf("ONESTOP_SERVICE_CODES: %s is given to both %s and %s", code, prev, country)
		}
		codes[code] = country
	}
	return codes, nil
}

// doNotContactDays reads ONESTOP_DO_NOT_CONTACT_DAYS.
func doNotContactDays() (int, error) {
	v := os.Getenv("ONESTOP_DO_NOT_CONTACT_DAYS")
	if v == "" {
		return flows.DefaultDoNotContactDays, nil
	}
	d, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || d < 1 {
		return 0, fmt.Errorf("ONESTOP_DO_NOT_CONTACT_DAYS=%q: want a whole number of days, 1 or more", v)
	}
	return d, nil
}

// gateway is the webhooks' part of the configuration.
func (c Config) gateway() gateway.Config {
	return gateway.Config{WebhookToken: c.WebhookToken, WebhookUser: c.WebhookUser, WebhookPassword: c.WebhookPassword}
}

// checkListen refuses an address beyond this machine unless the webhooks are authenticated, and
// a simulation anywhere but on loopback: an aggregator pointed at one would have real callers
// recorded as made up, and alerted to nobody. Each refusal is one line saying what to do.
func (c Config) checkListen() error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port, e.g. %s", c.Addr, DefaultAddr)
	}
	if gateway.Loopback(host) {
		return nil
	}
	if c.Simulate {
		return fmt.Errorf("refusing to serve a simulation on %s: a simulation listens on loopback only (e.g. --addr 127.0.0.1:8080)", c.Addr)
	}
	if !c.gateway().Authenticated() {
		return fmt.Errorf("refusing to listen on %s with unauthenticated webhooks: set ONESTOP_WEBHOOK_TOKEN (or ONESTOP_WEBHOOK_USER and ONESTOP_WEBHOOK_PASSWORD), of %d characters or more, or listen on %s", c.Addr, gateway.MinSecret, DefaultAddr)
	}
	return nil
}
