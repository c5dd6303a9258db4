// Package admin holds the operator's commands that read or change a helpline's records: the
// workers, officials, duty rota, console users, outbox, contacts, audit log, directory and purge.
//
// The same commands run in two places with the same output: in the command-line process, on a
// store it opened because no server holds it, and inside a running server, which takes them
// over a unix socket in its data directory (Serve and Forward), so that nothing routine needs the
// helpline stopped. Each change made inside a server is written to the audit log with the command
// that made it.
//
// It must never print a whole phone number, a password it was given or anything sealed.
package admin

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
)

// Services are what the commands act on: a running server's own, or those built on a store
// opened for one command.
type Services struct {
	Store  onestop.Store
	Box    *seal.Box
	Cases  *casebook.Casebook
	Staff  *staff.Service
	Users  *staff.Users
	Outbox *outbox.Outbox
	// Purge deletes what is past retention r (the purge command).
	Purge func(ctx context.Context, r casebook.Retention) (casebook.PurgeReport, error)
	// Backup, when set, writes a consistent copy of the store, taken while it serves, to w; a
	// store without one (PostgreSQL) is backed up with the database's own tools.
	Backup func(ctx context.Context, w io.Writer) (int64, error)
	// Imported, when set, is told of a directory import that changed something, so that a
	// running server uses it at once. Without it (no server runs) the import takes effect when one starts.
	Imported func(ctx context.Context) error
}

// Env is where a command runs.
type Env struct {
	// Open returns the services on the data directory data and what releases them.
	Open func(ctx context.Context, data string) (*Services, func() error, error)
	// Directory returns the directory in force for data, without creating anything.
	Directory func(ctx context.Context, data string) (*directory.Directory, error)
	// Retention is every kind's retention with general days standing in where a kind's own
	// setting is unset; GeneralDays is the general default.
	Retention   func(general int) (casebook.Retention, error)
	GeneralDays func() (int, error)

	// Data is the data directory when --data is not given.
	Data string
	// WorkDir is where relative file names are read from; empty for the process's own.
	WorkDir string

	Stdin          io.Reader
	Stdout, Stderr io.Writer

	// Changed, when set, is told of each command that changed something, once it has.
	Changed func(ctx context.Context, command string) error
}

// ExitError is a failure with an exit code other than 1.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// ExitCode is the process exit code for err: 0 for none, 2 for a bad command line.
func ExitCode(err error) int {
	var e *ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &e):
		return e.Code
	case errors.Is(err, flag.ErrHelp):
		return 2
	}
	return 1
}

// Names are the commands this package runs.
var Names = []string{"calls", "directory", "worker", "officials", "duty", "outbox", "user", "audit", "purge", "backup"}

// Is reports whether name is one of this package's commands.
func Is(name string) bool {
	for _, n := range Names {
		if n == name {
			return true
		}
	}
	return false
}

// Run runs the command args[0] with the rest of args.
func Run(ctx context.Context, env *Env, args []string) error {
	if len(args) == 0 || !Is(args[0]) {
		return &ExitError{Code: 2, Err: fmt.Errorf("not an operator's command: %q", args)}
	}
	r := &runner{ctx: ctx, env: env}
	switch name, rest := args[0], args[1:]; name {
	case "calls":
		return r.calls(rest)
	case "directory":
		return r.directory(rest)
	case "worker":
		return r.worker(rest)
	case "officials":
		return r.officials(rest)
	case "duty":
		return r.duty(rest)
	case "outbox":
		return r.outbox(rest)
	case "user":
		return r.user(rest)
	case "audit":
		return r.audit(rest)
	case "backup":
		return r.backup(rest)
	default:
		return r.purge(rest)
	}
}

// runner is one command's run: its context and where it runs.
type runner struct {
	ctx context.Context
	env *Env
}

// command is a subcommand's flag set, with --data.
type command struct {
	*flag.FlagSet
	r    *runner
	data string
	name string // "worker add", for the audit log
}

func (r *runner) newCommand(name string, data bool) *command {
	c := &command{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), r: r, data: r.env.Data, name: name}
	c.SetOutput(r.env.Stderr)
	if data {
		c.StringVar(&c.data, "data", c.data, "data directory (env ONESTOP_DATA)")
	}
	return c
}

// withStore opens the services for the command, runs fn on them and releases them. A command
// marked as changing something is reported to Env.Changed once fn succeeds.
func (c *command) withStore(fn func(*Services) error) error {
	s, release, err := c.r.env.Open(c.r.ctx, c.data)
	if err != nil {
		return err
	}
	err = fn(s)
	if rerr := release(); err == nil {
		err = rerr
	}
	return err
}

// changed tells Env.Changed that the command, with the arguments shown, changed something.
func (c *command) changed(shown ...string) error {
	if c.r.env.Changed == nil {
		return nil
	}
	return c.r.env.Changed(c.r.ctx, strings.Join(append([]string{c.name}, shown...), " "))
}

// directory returns the directory in force for the command's data directory.
func (c *command) directory() (*directory.Directory, error) {
	return c.r.env.Directory(c.r.ctx, c.data)
}

// readInput reads the file name, or standard input for "-".
func (c *command) readInput(name string) ([]byte, error) {
	if name == "-" {
		return io.ReadAll(io.LimitReader(c.r.env.Stdin, 64<<20))
	}
	if !filepath.IsAbs(name) && c.r.env.WorkDir != "" {
		name = filepath.Join(c.r.env.WorkDir, name)
	}
	return os.ReadFile(name)
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
	return &ExitError{Code: 2, Err: fmt.Errorf(format, a...)}
}

// plain is err as the operator reads it: a domain error's message alone, without its code.
func plain(err error) error {
	var e *onestop.Error
	if errors.As(err, &e) {
		return errors.New(e.Message)
	}
	return err
}

// ParseArgs parses fs over args as the operator's commands do: flags and positional arguments in
// any order.
func ParseArgs(fs *flag.FlagSet, args []string) ([]string, error) { return parseArgs(fs, args) }

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

// Usage is the help text of a command, usage/NAME.txt, printed as it is: kept as text so that
// it reads, and is edited, as the operator sees it.
func Usage(name string) string {
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

// run runs the subcommand args names with the rest of args parsed over its flags.
func (g group) run(r *runner, args []string) error {
	usage, stdout, stderr := Usage(g.name), r.env.Stdout, r.env.Stderr
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
	cmd := r.newCommand(g.name+" "+name, !s.noData)
	if g.flags != nil {
		g.flags(cmd)
	}
	run := s.run
	if s.setup != nil {
		do := s.setup(cmd)
		run = func(_ *command, pos []string) error { return do(pos) }
	}
	pos, err := parseArgs(cmd.FlagSet, rest)
	if err != nil {
		return err
	}
	if len(pos) < s.min || len(pos) > s.max {
		fmt.Fprint(stderr, usage)
		return &ExitError{Code: g.countExit, Err: fmt.Errorf("%s: wrong arguments %q", cmd.Name(), pos)}
	}
	return run(cmd, pos)
}
