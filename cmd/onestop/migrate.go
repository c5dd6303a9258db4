package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/postgres"
)

// runMigrate runs "onestop migrate [--from DATA_DIR]": it brings the PostgreSQL database of
// ONESTOP_DATABASE_URL to the current schema and, with --from, copies a bbolt data directory's
// store into it, once, while no serve holds that directory.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "a bbolt data directory to copy into the empty database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &admin.ExitError{Code: 2, Err: fmt.Errorf("migrate takes no arguments, got %q", fs.Args())}
	}
	if c.DatabaseURL == "" {
		return &admin.ExitError{Code: 2, Err: errors.New("migrate needs ONESTOP_DATABASE_URL=postgres://… : the database to bring up to date")}
	}
	was, err := postgres.Migrate(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "database schema %d (was %d)\n", postgres.SchemaVersion, was)
	if *from == "" {
		return nil
	}
	src, err := bolt.Open(filepath.Join(*from, "onestop.db"), time.Second)
	if errors.Is(err, bolt.ErrLocked) {
		return fmt.Errorf("%s is held by a running onestop serve: stop it, then copy", *from)
	} else if err != nil {
		return err
	}
	defer src.Close()
	dst, err := postgres.Open(ctx, c.DatabaseURL)
	if err != nil {
		return err
	}
	defer dst.Close()
	if err := postgres.Copy(ctx, dst, src); errors.Is(err, postgres.ErrNotEmpty) {
		return fmt.Errorf("the database already holds a helpline's records; nothing was copied: give migrate --from an empty database")
	} else if err != nil {
		return fmt.Errorf("nothing was copied: %w", err)
	}
	fmt.Fprintf(stdout, "copied %s into the database; start every gateway with ONESTOP_DATABASE_URL and the sealing key this data was sealed with (%s)\n",
		*from, filepath.Join(*from, "seal.key"))
	return nil
}
