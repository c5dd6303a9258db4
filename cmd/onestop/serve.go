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
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/gateway/comviva"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/metrics"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/postgres"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
	pager "github.com/onestop-helpline/onestop/ussd"
)

// Main is the running gateway: what serve starts and tests start on a temporary directory.
type Main struct {
	Config Config
	Log    *slog.Logger

	DB      database
	Box     *seal.Box
	Cases   *casebook.Casebook
	Dir     *directory.Directory
	Engine  *flows.Engine
	Gateway *gateway.Gateway
	Outbox  *outbox.Outbox
	SMS     *flows.SMS
	Staff   *staff.Service
	Alerts  *alerts.Service
	Users   *staff.Users // the console's

	smsConfig smsConfig
	// call is what the console's Call button does: nil without bridged callbacks.
	call   func(ctx context.Context, id uint64, by, press string) error
	bdapps *bdapps.Handler

	ln     net.Listener
	cancel context.CancelFunc
	// admin is the admin socket's listener; adminDone closes when its commands have finished.
	admin     net.Listener
	adminDone chan struct{}
	served    chan error
}

// NewMain returns a Main with the environment's configuration.
func NewMain() *Main {
	return &Main{Config: DefaultConfig(), Log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
}

// ParseFlags reads serve's flags over the configuration.
func (m *Main) ParseFlags(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: onestop serve [--addr ADDR] [--data DIR] [--simulate]")
		fs.PrintDefaults()
		fmt.Fprint(stderr, "\n"+usageText("env"))
	}
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

// openKey reads the sealing key for db, creating one only for a database that holds nothing
// sealed yet, and checks that it opens the data (store.OpenKey); each refusal says what to do.
func openKey(ctx context.Context, db database, c Config) (*seal.Box, error) {
	source := c.KeyPath()
	if c.SealKey != "" {
		source = "ONESTOP_SEAL_KEY"
	}
	box, err := store.OpenKey(ctx, db, c.SealKey, c.KeyPath(), func(box *seal.Box) error {
		cases := casebook.New(db, box)
		quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
		return cases.OpensSealed(ctx, func(ctx context.Context) error {
			_, err := outbox.New(db, box, cases, outbox.Config{Log: quiet}).List(ctx, outbox.Filter{Limit: 1})
			return err
		})
	})
	var opens *store.KeyDoesNotOpen
	switch {
	case errors.Is(err, store.ErrKeyLost):
		return nil, fmt.Errorf("%s holds sealed data but there is no sealing key at %s: restore that file (or give it in ONESTOP_SEAL_KEY_FILE or ONESTOP_SEAL_KEY); a new key would not open the data, so none is made", c.DBPath(), c.KeyPath())
	case errors.As(err, &opens):
		return nil, fmt.Errorf("the sealing key from %s does not open %s (%v): give the key this data was sealed with; nothing was changed", source, c.DBPath(), opens.Err)
	case errors.Is(err, store.ErrWrongKey):
		return nil, fmt.Errorf("the sealing key from %s does not open %s (its check value differs): give the key this data was sealed with; nothing was changed", source, c.DBPath())
	}
	return box, err
}

// Open opens the store, builds the gateway and starts serving. It listens before returning, so
// a taken port is reported here and an address of ":0" can be read back with Addr.
func (m *Main) Open(ctx context.Context) (err error) {
	if err := checkEnv(os.Environ()); err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(m.Config.LogLevel)); err == nil {
		opts := &slog.HandlerOptions{Level: level}
		if m.Config.LogFormat == "json" {
			m.Log = slog.New(slog.NewJSONHandler(os.Stderr, opts))
		} else {
			m.Log = slog.New(slog.NewTextHandler(os.Stderr, opts))
		}
	}
	// Refused before the data is touched: an open door is no place to start from.
	if err := m.Config.gateway().CheckListen(m.Config.Addr); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			m.Close()
		}
	}()
	// The data directory holds the admin socket and the first administrator's password even
	// when the records are in PostgreSQL.
	if err := os.MkdirAll(m.Config.Data, 0o700); err != nil {
		return err
	}
	if m.DB, m.Box, err = openStore(ctx, m.Config, 2*time.Second); err != nil {
		return err
	}
	if err := store.CheckSimulation(ctx, m.DB, m.Config.Simulate, m.Config.Data); err != nil {
		return err
	} else if m.Config.Simulate {
		m.Log.Warn("serving a simulation: every contact is made up, every message only logged", "data", m.Config.Data)
	}
	if m.Dir, err = directory.Load(ctx, m.DB); err != nil {
		return err
	}
	if m.Config.PageLimits == nil {
		if m.Config.PageLimits, err = locales.ParseLimits(os.Getenv("ONESTOP_USSD_PAGE")); err != nil {
			return fmt.Errorf("ONESTOP_USSD_PAGE: %w", err)
		}
	}
	if m.Config.ServiceCodes == nil {
		if m.Config.ServiceCodes, err = flows.ParseServiceCodes(os.Getenv("ONESTOP_SERVICE_CODES")); err != nil {
			return fmt.Errorf("ONESTOP_SERVICE_CODES: %w", err)
		}
	}
	if m.Config.DoNotContactDays == 0 {
		if m.Config.DoNotContactDays, err = envDays("ONESTOP_DO_NOT_CONTACT_DAYS", flows.DefaultDoNotContactDays, 0); err != nil {
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
	if began, err := m.Cases.UpgradeAudit(ctx); err != nil {
		return fmt.Errorf("audit log: %w", err)
	} else if began {
		m.Log.Info("audit log: the keyed chain begins here")
	}
	gc := m.Config.gateway()
	gc.Log = m.Log
	gc.KeyFits = func() error { return store.KeyFits(context.Background(), m.DB, m.Box.Check()) }
	m.Gateway = gateway.New(gc, store.Health{Store: m.DB})
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
		Shared: m.Config.DatabaseURL != "", // other gateways may take any hop of any session
	}); err != nil {
		if onestop.ErrorCode(err) == onestop.EINVALID {
			return fmt.Errorf("ONESTOP_SERVICE_CODES: %w", err)
		}
		return err
	}
	africastalking.Register(m.Gateway, m.Engine)
	if err := m.registerUSSD(); err != nil {
		return err
	}
	if err := m.openVoice(); err != nil {
		return err
	}
	if err := m.registerMetrics(); err != nil {
		return err
	}
	if err := m.openConsole(ctx); err != nil {
		return err
	}
	m.serveAdmin(ctx)

	if m.ln, err = net.Listen("tcp", m.Config.Addr); err != nil {
		return err
	}
	ret, err := casebook.ReadRetention(os.Getenv, 0)
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

// registerUSSD adds the operators' USSD webhooks: bdapps when its application is configured,
// and the Comviva-style pull with the operator's parameter names (ONESTOP_COMVIVA_PARAMS).
func (m *Main) registerUSSD() error {
	if c := m.smsConfig.BDApps; c.Enabled() {
		m.bdapps = bdapps.Register(m.Gateway, m.Engine, m.SMS, c, nil)
	}
	p, err := comviva.ParseParams(os.Getenv("ONESTOP_COMVIVA_PARAMS"))
	if err != nil {
		return fmt.Errorf("ONESTOP_COMVIVA_PARAMS: %w", err)
	}
	comviva.Register(m.Gateway, m.Engine, p)
	return nil
}

// registerMetrics adds what an operator watches to /metrics: the sessions, and the counts of
// the queue, the contacts and the urgent follow-ups.
func (m *Main) registerMetrics() error {
	cfg := metrics.Config{Outbox: m.Outbox, Cases: m.Cases, Alerts: m.Alerts, Sessions: m.Engine, Now: m.DB.Now, Log: m.Log}
	switch db := m.DB.(type) {
	case *bolt.DB:
		cfg.Size = metrics.FileSize(db.Path())
	case *postgres.DB:
		cfg.Size = db.Size
	}
	_, err := metrics.Register(m.Gateway.Metrics.Registry, cfg)
	return err
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
	if m.admin != nil {
		m.admin.Close()
		<-m.adminDone
	}
	if m.bdapps != nil {
		m.bdapps.Wait() // screens being posted to the platform
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
