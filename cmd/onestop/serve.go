package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
	"github.com/prometheus/client_golang/prometheus"
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

// DefaultConfig reads the environment's configuration over the built-in defaults.
func DefaultConfig() Config {
	c := Config{
		Addr:            env("ONESTOP_ADDR", ":8080"),
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
	if d, err := time.ParseDuration(os.Getenv("ONESTOP_SESSION_TTL")); err == nil && d > 0 {
		c.TTL = d
	}
	return c
}

// parsePageLimits reads "provider=GSM7/UCS2[,provider=GSM7/UCS2…]".
func parsePageLimits(s string) (map[string]locales.Limit, error) {
	limits := map[string]locales.Limit{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		var l locales.Limit
		name, sizes, ok := strings.Cut(item, "=")
		if _, err := fmt.Sscanf(sizes, "%d/%d", &l.GSM7, &l.UCS2); !ok || err != nil || l.GSM7 < 60 || l.UCS2 < 30 || l.GSM7 > 182 || l.UCS2 > 80 {
			return nil, fmt.Errorf("ONESTOP_USSD_PAGE: %q is not provider=GSM7/UCS2 within 60–182 / 30–80", item)
		}
		limits[strings.TrimSpace(name)] = l
	}
	return limits, nil
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// dataFlag adds --data, which every command that touches the store takes.
func dataFlag(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env ONESTOP_DATA)")
}

// Main is the running gateway: what serve starts and tests start on a temporary directory.
type Main struct {
	Config Config
	Log    *slog.Logger

	DB      *store.DB
	Box     *seal.Box
	Cases   *casebook.Casebook
	Dir     *directory.Directory
	Engine  *flows.Engine
	Gateway *gateway.Gateway
	Outbox  *outbox.Outbox
	SMS     *flows.SMS

	smsConfig smsConfig

	ln     net.Listener
	cancel context.CancelFunc
	served chan error
}

// NewMain returns a Main with the environment's configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
}

// ParseFlags reads serve's flags over the configuration.
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&m.Config.Addr, "addr", m.Config.Addr, "listen address (env ONESTOP_ADDR)")
	dataFlag(fs, &m.Config)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", fs.Args())
	}
	return nil
}

// openStore opens the database and the sealing key: what every command touching the store does.
// lockWait is how long to wait for another process holding the file.
func openStore(c Config, lockWait time.Duration) (*store.DB, *seal.Box, error) {
	key, err := seal.LoadKey(c.SealKey, c.KeyPath())
	if err != nil {
		return nil, nil, err
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(c.DBPath(), lockWait)
	if err != nil {
		return nil, nil, err
	}
	return db, box, nil
}

// lockedError says that serve holds the database, and what to do instead.
type lockedError struct{ msg string }

func (e *lockedError) Error() string { return e.msg }
func (e *lockedError) Unwrap() error { return store.ErrLocked }

// openForCommand opens the store for a command run beside the server: it waits a second for the
// file lock and, when serve holds it, says so plainly, with what to do instead when there is
// something (instead may be empty).
func openForCommand(c Config, instead string) (*store.DB, *seal.Box, error) {
	db, box, err := openStore(c, time.Second)
	if errors.Is(err, store.ErrLocked) {
		msg := c.DBPath() + " is held by a running onestop serve; stop it first"
		if instead != "" {
			msg += ", or " + instead
		}
		return nil, nil, &lockedError{msg}
	}
	return db, box, err
}

// parseArgs parses fs over args with flags and positional arguments in any order, as people
// write them ("worker add +8801… --name …", "import FILE --dry-run"), and returns the positional
// ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// Open opens the store, builds the gateway and starts serving. It listens before returning, so
// a taken port is reported here and an address of ":0" can be read back with Addr.
func (m *Main) Open(ctx context.Context) (err error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.LogLevel)); err == nil {
		m.Log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.DB, m.Box, err = openStore(m.Config, 2*time.Second); err != nil {
		return err
	}
	if m.Dir, err = directory.Load(m.DB); err != nil {
		return err
	}
	if m.Config.PageLimits == nil {
		if m.Config.PageLimits, err = parsePageLimits(os.Getenv("ONESTOP_USSD_PAGE")); err != nil {
			return err
		}
	}
	m.Cases = casebook.New(m.DB, m.Box)
	m.Gateway = gateway.New(gateway.Config{
		WebhookToken: m.Config.WebhookToken, WebhookUser: m.Config.WebhookUser,
		WebhookPassword: m.Config.WebhookPassword, Log: m.Log,
	}, m.DB)
	// The SMS side comes first: the engine's Recorded hook queues its alerts and callbacks. Its
	// loops, like the sweep's, stop when Close cancels ctx.
	ctx, m.cancel = context.WithCancel(ctx)
	if err := m.openSMS(ctx); err != nil {
		return err
	}
	if m.Engine, err = flows.New(m.DB, m.Cases, m.Box, m.Dir, flows.Config{
		TTL: m.Config.TTL, DefaultCountry: strings.ToUpper(m.Config.Country), Limits: m.Config.PageLimits,
		Recorded: m.onRecorded, Log: m.Log,
	}); err != nil {
		return err
	}
	africastalking.Register(m.Gateway, m.Engine)
	m.Gateway.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onestop_sessions_in_memory",
		Help: "USSD sessions going on, held in memory between hops; past their bound, a session is written to the store and read from there.",
	}, func() float64 { return float64(m.Engine.Live()) }))
	if err := m.openConsole(ctx); err != nil {
		return err
	}

	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	ret, err := loadRetention()
	if err != nil {
		return err
	}
	go m.Engine.SweepEvery(ctx, 30*time.Second)
	go m.purgeEvery(ctx, ret, 24*time.Hour)
	m.served = make(chan error, 1)
	go func() { m.served <- m.Gateway.App.Listener(m.ln) }()
	m.Log.Info("onestop serving", "addr", m.ln.Addr().String(), "data", m.Config.Data)
	return nil
}

// Addr is the address the gateway listens on.
func (m *Main) Addr() string { return m.ln.Addr().String() }

// Served reports the server's end: nil after a Close, the error if it stopped by itself.
func (m *Main) Served() <-chan error { return m.served }

// Close stops taking requests, lets those in flight finish, then closes the store.
func (m *Main) Close() error {
	var errs []error
	if m.cancel != nil {
		m.cancel()
	}
	if m.Gateway != nil && m.ln != nil {
		errs = append(errs, m.Gateway.App.ShutdownWithTimeout(10*time.Second))
	}
	if m.Engine != nil {
		// Sessions mid-menu live in memory; written now, they carry on after a restart.
		if _, err := m.Engine.Flush(context.Background()); err != nil {
			errs = append(errs, err)
		}
	}
	if m.DB != nil {
		errs = append(errs, m.DB.Close())
	}
	return errors.Join(errs...)
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	m := NewMain()
	if err := m.ParseFlags(args, stderr); err != nil {
		return err
	}
	if err := m.Open(ctx); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		m.Log.Info("shutting down")
	case err := <-m.Served():
		m.Close()
		return err
	}
	return m.Close()
}
