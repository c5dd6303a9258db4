package main

import (
	"context"
	"embed"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/postgres"
	"github.com/onestop-helpline/onestop/seal"
)

// What the commands share: --data, the environment's numbers, the store opened beside a server
// that may hold it, and the help texts.

// dataFlag adds --data, which every command that touches the store takes.
func dataFlag(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env ONESTOP_DATA)")
}

func env(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// envDays reads a whole number of days from the variable key, def when it is unset: from 1 to
// max, or 1 or more when max is 0.
func envDays(key string, def, max int) (int, error) {
	v := os.Getenv(key)
	if v == "" {
		return def, nil
	}
	d, err := parseDays(v, max)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: %w", key, v, err)
	}
	return d, nil
}

// parseDays reads a whole number of days from 1 to max, or 1 or more when max is 0.
func parseDays(v string, max int) (int, error) {
	d, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case max == 0 && (err != nil || d < 1):
		return 0, errors.New("want a whole number of days, 1 or more")
	case err != nil || d < 1 || d > max:
		return 0, fmt.Errorf("want a whole number of days, from 1 to %d", max)
	}
	return d, nil
}

// openStore opens the database and the sealing key: what every command touching the store does.
// lockWait is how long to wait for another process holding the file.
//
// The key must open the data: its check value must be the one the database keeps (written the
// first time), and once the database holds sealed data a missing key file is never replaced by a
// new key, which would seal what comes next under a key the old records do not open.
func openStore(ctx context.Context, c Config, lockWait time.Duration) (database, *seal.Box, error) {
	db, err := openDatabase(ctx, c, lockWait)
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

// database is the store the gateway runs on: the bbolt file in the data directory, or the
// PostgreSQL database several gateways share (ONESTOP_DATABASE_URL).
type database interface {
	onestop.Store
	// Compact gives the space of what a purge deleted back, so nothing deleted stays readable.
	Compact(context.Context) error
	Close() error
}

// openDatabase opens c's database; lockWait is how long to wait for another process holding
// the bbolt file.
func openDatabase(ctx context.Context, c Config, lockWait time.Duration) (database, error) {
	if c.DatabaseURL != "" {
		return postgres.Open(ctx, c.DatabaseURL)
	}
	return bolt.Open(c.DBPath(), lockWait)
}

// openForCommand opens the store for a command when no server answers on the admin socket: it
// waits a second for the file lock and, when a server holds it all the same, says so plainly.
func openForCommand(ctx context.Context, c Config) (database, *seal.Box, error) {
	db, box, err := openStore(ctx, c, time.Second)
	if errors.Is(err, bolt.ErrLocked) {
		return nil, nil, fmt.Errorf("%s is held by a running onestop serve whose admin socket does not answer; stop it first", c.DBPath())
	}
	return db, box, err
}

//go:embed usage/*.txt
var usageFiles embed.FS

// usageText is the help text of a command, usage/NAME.txt, printed as it is: kept as text so
// that it reads, and is edited, as the operator sees it.
func usageText(name string) string {
	b, err := usageFiles.ReadFile("usage/" + name + ".txt")
	if err != nil {
		panic(err) // the files are built in: one missing is a broken build, not a bad command line
	}
	return string(b)
}
