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
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
	pager "github.com/onestop-helpline/onestop/ussd"
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

	DB      *bolt.DB
	Box     *seal.Box
	Cases   *casebook.Casebook
	Dir     *directory.Directory
	Engine  *flows.Engine
	Gateway *gateway.Gateway
	Outbox  *outbox.Outbox
	SMS     *flows.SMS
	Staff   *staff.Service
	Alerts  *alerts.Service

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
	fs.StringVar(&m.Config.Addr, "addr", m.Config.Addr, "listen address (env ONESTOP_ADDR); beyond loopback only with the webhooks authenticated")
	fs.BoolVar(&m.Config.Simulate, "simulate", m.Config.Simulate, "serve a simulation for onestop load: a data directory of its own, loopback only, nothing sent (env ONESTOP_SIMULATE)")
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
//
// The key must open the data: its check value must be the one the database keeps (written the
// first time), and once the database holds sealed data a missing key file is never replaced by a
// new key, which would seal what comes next under a key the old records do not open.
func openStore(ctx context.Context, c Config, lockWait time.Duration) (*bolt.DB, *seal.Box, error) {
	db, err := bolt.Open(c.DBPath(), lockWait)
	if err != nil {
		return nil, nil, err
	}
	box, err := openKey(ctx, db, c)
	if err != nil {
		db.Close()
		return nil, nil, err
	}
	return db, box, nil
}

// openKey reads the sealing key for db, creating one only for a database that holds nothing
// sealed yet, and checks that it opens the data.
func openKey(ctx context.Context, db *bolt.DB, c Config) (*seal.Box, error) {
	held, err := store.HoldsSealedData(ctx, db)
	if err != nil {
		return nil, err
	}
	read, source := seal.LoadKey, c.KeyPath()
	if held {
		read = seal.ReadKey
	}
	if c.SealKey != "" {
		source = "ONESTOP_SEAL_KEY"
	}
	key, err := read(c.SealKey, c.KeyPath())
	if errors.Is(err, seal.ErrNoKey) {
		return nil, fmt.Errorf("%s holds sealed data but there is no sealing key at %s: restore that file (or give it in ONESTOP_SEAL_KEY_FILE or ONESTOP_SEAL_KEY); a new key would not open the data, so none is made", c.DBPath(), c.KeyPath())
	} else if err != nil {
		return nil, err
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	if held && errors.Is(store.KeyFits(ctx, db, box.Check()), store.ErrNoKeyCheck) {
		// A file sealed before check values were kept: the first key to open it is written as
		// the right one, so it must first be shown to open what is sealed there.
		if err := keyOpensData(ctx, db, box); err != nil {
			return nil, fmt.Errorf("the sealing key from %s does not open %s (%v): give the key this data was sealed with; nothing was changed", source, c.DBPath(), err)
		}
	}
	if err := store.CheckKey(ctx, db, box.Check()); errors.Is(err, store.ErrWrongKey) {
		return nil, fmt.Errorf("the sealing key from %s does not open %s (its check value differs): give the key this data was sealed with; nothing was changed", source, c.DBPath())
	} else if err != nil {
		return nil, err
	}
	return box, nil
}

// keyOpensData shows that box opens what is sealed in db: the newest record of each kind that
// always holds a sealed number (an outbound message, a community worker, a referral),
// and the newest contacts until one that keeps a number. An empty sealed field opens under any
// key, so only a record with something sealed in it counts. A file with none of them holds
// nothing the key could be wrong for but keyed hashes.
func keyOpensData(ctx context.Context, db *bolt.DB, box *seal.Box) error {
	cases := casebook.New(db, box)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, err := outbox.New(db, box, cases, outbox.Config{Log: quiet}).List(ctx, outbox.Filter{Limit: 1}); err != nil {
		return fmt.Errorf("an outbound message: %w", err)
	}
	if _, err := cases.Workers(ctx); err != nil {
		return fmt.Errorf("a community worker: %w", err)
	}
	if _, err := cases.Referrals(ctx, casebook.ReferralFilter{Limit: 1}); err != nil {
		return fmt.Errorf("a referral: %w", err)
	}
	var before uint64
	for range 20 {
		page, err := cases.List(ctx, casebook.Filter{Before: before, Limit: 100})
		if err != nil {
			return fmt.Errorf("a contact: %w", err)
		}
		for _, c := range page {
			if casebook.KeptNumber(c) != "" {
				return nil // opened, with a number in it
			}
		}
		if len(page) < 100 {
			break
		}
		before = page[len(page)-1].ID
	}
	return nil
}

// lockedError says that serve holds the database, and what to do instead.
type lockedError struct{ msg string }

func (e *lockedError) Error() string { return e.msg }
func (e *lockedError) Unwrap() error { return bolt.ErrLocked }

// openForCommand opens the store for a command run beside the server: it waits a second for the
// file lock and, when serve holds it, says so plainly, with what to do instead when there is
// something (instead may be empty).
func openForCommand(ctx context.Context, c Config, instead string) (*bolt.DB, *seal.Box, error) {
	db, box, err := openStore(ctx, c, time.Second)
	if errors.Is(err, bolt.ErrLocked) {
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
	// Refused before the data is touched: an open door is no place to start from.
	if err := m.Config.checkListen(); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	if m.DB, m.Box, err = openStore(ctx, m.Config, 2*time.Second); err != nil {
		return err
	}
	if err := m.checkSimulation(ctx); err != nil {
		return err
	}
	if m.Dir, err = directory.Load(ctx, m.DB); err != nil {
		return err
	}
	if m.Config.PageLimits == nil {
		if m.Config.PageLimits, err = parsePageLimits(os.Getenv("ONESTOP_USSD_PAGE")); err != nil {
			return err
		}
	}
	if m.Config.ServiceCodes == nil {
		if m.Config.ServiceCodes, err = parseServiceCodes(os.Getenv("ONESTOP_SERVICE_CODES")); err != nil {
			return err
		}
	}
	if m.Config.DoNotContactDays == 0 {
		if m.Config.DoNotContactDays, err = doNotContactDays(); err != nil {
			return err
		}
	}
	m.Cases = casebook.New(m.DB, m.Box)
	m.Cases.DoNotContactFor = time.Duration(m.Config.DoNotContactDays) * 24 * time.Hour
	// Records from before everything typed was sealed are sealed now, once; the first purge
	// after a start compacts away what they leave behind.
	if n, err := m.Cases.Reseal(ctx); err != nil {
		return fmt.Errorf("sealing older records: %w", err)
	} else if n > 0 {
		m.Log.Info("older records sealed", "records", n)
	}
	m.Gateway = gateway.New(gateway.Config{
		WebhookToken: m.Config.WebhookToken, WebhookUser: m.Config.WebhookUser,
		WebhookPassword: m.Config.WebhookPassword, Log: m.Log,
		KeyFits: func() error { return store.KeyFits(context.Background(), m.DB, m.Box.Check()) }, Simulated: m.Config.Simulate,
	}, store.Health{Store: m.DB})
	// The SMS side comes first: the engine's Recorded hook queues its alerts and callbacks. Its
	// loops, like the sweep's, stop when Close cancels ctx.
	ctx, m.cancel = context.WithCancel(ctx)
	if err := m.openSMS(ctx); err != nil {
		return err
	}
	if m.Engine, err = flows.New(ctx, m.DB, m.Cases, m.Box, m.Dir, flows.Config{
		TTL: m.Config.TTL, DefaultCountry: strings.ToUpper(m.Config.Country), Pager: pager.Pager{Limits: m.Config.PageLimits}.Pages,
		Recorded: m.Alerts.Recorded, Log: m.Log,
		ServiceCodes: m.Config.ServiceCodes, DoNotContactDays: m.Config.DoNotContactDays, OnDuty: m.Staff.OnDutyNow,
	}); err != nil {
		if onestop.ErrorCode(err) == onestop.EINVALID {
			return fmt.Errorf("ONESTOP_SERVICE_CODES: %w", err)
		}
		return err
	}
	africastalking.Register(m.Gateway, m.Engine)
	m.Gateway.Metrics.Registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "onestop_sessions_in_memory",
		Help: "USSD sessions going on, held in memory between hops; past their bound, a session is written to the store and read from there.",
	}, func() float64 { return float64(m.Engine.Live()) }))
	m.Gateway.Metrics.Registry.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "onestop_sessions_unrecorded_total",
		Help: "USSD sessions that ended before she chose anything: counted here, never recorded.",
	}, func() float64 { return float64(m.Engine.Unrecorded()) }))
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
	m.Log.Info("onestop serving", "addr", m.ln.Addr().String(), "data", m.Config.Data, "simulated", m.Config.Simulate)
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

// minSecret is the shortest webhook token or password that counts as authentication beyond
// loopback: a short one is guessed by anyone who tries.
const minSecret = 16

// webhooksAuthenticated reports whether every webhook needs a secret: a token in its URL, or basic
// auth with a password. Twilio's routes are signed besides, but the USSD route is not, so
// signatures alone are not enough.
func (c Config) webhooksAuthenticated() bool {
	return len(c.WebhookToken) >= minSecret || (c.WebhookUser != "" && len(c.WebhookPassword) >= minSecret)
}

// checkListen refuses an address beyond this machine unless the webhooks are authenticated, and
// a simulation anywhere but on loopback: an aggregator pointed at one would have real callers
// recorded as made up, and alerted to nobody. Each refusal is one line saying what to do.
func (c Config) checkListen() error {
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		return fmt.Errorf("--addr %q is not host:port, e.g. %s", c.Addr, DefaultAddr)
	}
	if isLoopbackHost(host) {
		return nil
	}
	if c.Simulate {
		return fmt.Errorf("refusing to serve a simulation on %s: a simulation listens on loopback only (e.g. --addr 127.0.0.1:8080)", c.Addr)
	}
	if !c.webhooksAuthenticated() {
		return fmt.Errorf("refusing to listen on %s with unauthenticated webhooks: set ONESTOP_WEBHOOK_TOKEN (or ONESTOP_WEBHOOK_USER and ONESTOP_WEBHOOK_PASSWORD), of %d characters or more, or listen on %s", c.Addr, minSecret, DefaultAddr)
	}
	return nil
}

// isLoopbackHost reports whether host names this machine: localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkSimulation keeps simulated and real data apart, both ways: a simulation starts only on a
// data directory with no real contacts, and marks it so; a directory so marked is never served
// for real, where what it queued would go to people.
func (m *Main) checkSimulation(ctx context.Context) error {
	if m.Config.Simulate {
		if err := store.MarkSimulated(ctx, m.DB); errors.Is(err, store.ErrRealContacts) {
			return fmt.Errorf("refusing to simulate on %s: %v; give --data a new directory of the simulation's own", m.Config.Data, err)
		} else if err != nil {
			return err
		}
		m.Log.Warn("serving a simulation: every contact is made up, every message only logged", "data", m.Config.Data)
		return nil
	}
	sim, err := store.Simulated(ctx, m.DB)
	if err != nil {
		return err
	}
	if sim {
		return fmt.Errorf("%s holds a simulation's made-up contacts (serve --simulate): serve it only with --simulate, and give a real helpline a data directory of its own", m.Config.Data)
	}
	return nil
}
