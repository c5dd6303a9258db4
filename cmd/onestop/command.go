package main

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
)

// What every operator's command shares: its flags over the configuration, the store opened beside
// a server that may hold it, and the way it prints.

// command is a subcommand's flag set over the environment's configuration, with --data.
type command struct {
	*flag.FlagSet
	Config
}

func newCommand(name string, stderr io.Writer) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), Config: DefaultConfig()}
	c.SetOutput(stderr)
	dataFlag(c.FlagSet, &c.Config)
	return c
}

// args parses args, flags and positional arguments in any order, and returns the positional ones.
func (c *command) args(args []string) ([]string, error) { return parseArgs(c.FlagSet, args) }

// stores is the store a command opened and the services on it.
type stores struct {
	DB    *bolt.DB
	Box   *seal.Box
	Cases *casebook.Casebook
	Staff *staff.Service
}

// withStore opens the store for the command (see openForCommand), runs fn on it and closes it.
func (c *command) withStore(ctx context.Context, instead string, fn func(*stores) error) error {
	db, box, err := openForCommand(ctx, c.Config, instead)
	if err != nil {
		return err
	}
	defer db.Close()
	cases := casebook.New(db, box)
	return fn(&stores{DB: db, Box: box, Cases: cases, Staff: staff.New(db, box, cases, nil)})
}

// dataFlag adds --data, which every command that touches the store takes.
func dataFlag(fs *flag.FlagSet, c *Config) {
	fs.StringVar(&c.Data, "data", c.Data, "data directory (env ONESTOP_DATA)")
}

// table is the commands' tabular output.
func table(w io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(w, 0, 4, 2, ' ', 0) }

// printJSON prints each row as one line of JSON.
func printJSON[T any](w io.Writer, rows []T) error {
	enc := json.NewEncoder(w)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return err
		}
	}
	return nil
}

// usageError is a bad command line: exit code 2.
func usageError(format string, a ...any) error {
	return &exitError{code: 2, err: fmt.Errorf(format, a...)}
}

// plain is err as the operator reads it: a domain error's message alone, without its code.
func plain(err error) error {
	var e *onestop.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
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
	d, err := strconv.Atoi(strings.TrimSpace(v))
	switch {
	case max == 0 && (err != nil || d < 1):
		return 0, fmt.Errorf("%s=%q: want a whole number of days, 1 or more", key, v)
	case err != nil || d < 1 || d > max:
		return 0, fmt.Errorf("%s=%q: want a whole number of days, from 1 to %d", key, v, max)
	}
	return d, nil
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

// sub is one subcommand of a group: how many positional arguments it takes and what it does.
type sub struct {
	name     string
	min, max int
	run      func(cmd *command, pos []string) error
	// setup, instead of run, adds the subcommand's own flags and returns what it does.
	setup  func(cmd *command) func(pos []string) error
	noData bool // takes no --data: it never opens the store
}

// group is a command whose first argument (or first two, as in "duty fallback add") names a
// subcommand: every subcommand's flags, argument count and usage error are handled alike here.
type group struct {
	name string
	// missing is the error with no subcommand; without one, the usage alone is printed, as for -h.
	missing string
	// countExit is the exit code for a subcommand given the wrong number of arguments.
	countExit int
	// help lets "help", -h and --help print the usage to standard output.
	help  bool
	flags func(cmd *command)
	subs  []sub
}

func (g group) find(name string) *sub {
	for i := range g.subs {
		if g.subs[i].name == name {
			return &g.subs[i]
		}
	}
	return nil
}

// run runs the subcommand args name with the rest of args parsed over its flags.
func (g group) run(args []string, stdout, stderr io.Writer) error {
	usage := usageText(g.name)
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		if g.missing == "" {
			return flag.ErrHelp
		}
		return usageError("%s", g.missing)
	}
	if g.help && (args[0] == "help" || args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, usage)
		return nil
	}
	name, rest := args[0], args[1:]
	if len(rest) > 0 && g.find(name+" "+rest[0]) != nil {
		name, rest = name+" "+rest[0], rest[1:]
	}
	s := g.find(name)
	if s == nil {
		fmt.Fprint(stderr, usage)
		return usageError("%s %s: wrong arguments", g.name, name)
	}
	cmd := newCommand(g.name+" "+name, stderr)
	if s.noData {
		cmd.FlagSet = flag.NewFlagSet(cmd.Name(), flag.ContinueOnError)
		cmd.SetOutput(stderr)
	}
	if g.flags != nil {
		g.flags(cmd)
	}
	run := s.run
	if s.setup != nil {
		do := s.setup(cmd)
		run = func(_ *command, pos []string) error { return do(pos) }
	}
	pos, err := cmd.args(rest)
	if err != nil {
		return err
	}
	if len(pos) < s.min || len(pos) > s.max {
		fmt.Fprint(stderr, usage)
		return &exitError{code: g.countExit, err: fmt.Errorf("%s: wrong arguments %q", cmd.Name(), pos)}
	}
	return run(cmd, pos)
}
