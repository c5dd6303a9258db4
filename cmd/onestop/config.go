package main

import (
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
)

// Config is the operator's configuration: flags, with defaults from the environment.
type Config struct {
	Addr string // ONESTOP_ADDR
	Data string // ONESTOP_DATA
	// DatabaseURL, when set, is the PostgreSQL database several gateways share
	// (ONESTOP_DATABASE_URL, postgres://…); without it the store is DATA/onestop.db.
	DatabaseURL string

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

	LogLevel  string // ONESTOP_LOG_LEVEL: debug, info, warn, error
	LogFormat string // ONESTOP_LOG_FORMAT: text or json

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

// DefaultAddr is where serve listens with nothing configured (gateway.DefaultAddr).
const DefaultAddr = gateway.DefaultAddr

// DefaultConfig reads the environment's configuration over the built-in defaults.
func DefaultConfig() Config {
	c := Config{
		Addr:            env("ONESTOP_ADDR", DefaultAddr),
		Data:            env("ONESTOP_DATA", "./onestop-data"),
		DatabaseURL:     os.Getenv("ONESTOP_DATABASE_URL"),
		SealKey:         os.Getenv("ONESTOP_SEAL_KEY"),
		SealKeyFile:     os.Getenv("ONESTOP_SEAL_KEY_FILE"),
		Country:         env("ONESTOP_COUNTRY", "BD"),
		TTL:             flows.DefaultTTL,
		WebhookToken:    os.Getenv("ONESTOP_WEBHOOK_TOKEN"),
		WebhookUser:     os.Getenv("ONESTOP_WEBHOOK_USER"),
		WebhookPassword: os.Getenv("ONESTOP_WEBHOOK_PASSWORD"),
		LogLevel:        env("ONESTOP_LOG_LEVEL", "info"),
		LogFormat:       env("ONESTOP_LOG_FORMAT", "text"),
	}
	c.Simulate, _ = strconv.ParseBool(os.Getenv("ONESTOP_SIMULATE"))
	if d, err := time.ParseDuration(os.Getenv("ONESTOP_SESSION_TTL")); err == nil && d > 0 {
		c.TTL = d
	}
	return c
}

// gateway is the webhooks' part of the configuration.
func (c Config) gateway() gateway.Config {
	return gateway.Config{WebhookToken: c.WebhookToken, WebhookUser: c.WebhookUser, WebhookPassword: c.WebhookPassword, Simulated: c.Simulate}
}
