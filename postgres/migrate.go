package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// migrations are the schema's steps; migrations[i] brings version i to version i+1. A step is
// never changed once released: a change is a new step.
var migrations = []string{
	// 1: buckets and their keys. Bucket 0 is the root: its keys are the top-level buckets. A key
	// holds a value or names a nested bucket (child), never both.
	`CREATE TABLE onestop_buckets (
		id  bigserial PRIMARY KEY,
		seq bigint NOT NULL DEFAULT 0
	);
	INSERT INTO onestop_buckets (id) VALUES (0);
	CREATE TABLE onestop_kv (
		bucket bigint NOT NULL REFERENCES onestop_buckets (id),
		key    bytea  NOT NULL,
		value  bytea,
		child  bigint UNIQUE REFERENCES onestop_buckets (id) DEFERRABLE INITIALLY DEFERRED,
		PRIMARY KEY (bucket, key),
		CHECK ((value IS NULL) <> (child IS NULL))
	);`,
	// 2: leases of periodic jobs (Lease), by the server's clock.
	`CREATE TABLE onestop_leases (
		name   text PRIMARY KEY,
		holder text NOT NULL,
		until  timestamptz NOT NULL
	);`,
}

// SchemaVersion is the version of the tables this binary reads and writes; Open refuses a
// database written by a newer one.
var SchemaVersion = len(migrations)

// Migrate brings the database at url up to SchemaVersion and returns the version it found
// before, without opening a store: for a migrate command. Open does the same by itself.
func Migrate(ctx context.Context, url string) (from int, err error) {
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		return 0, fmt.Errorf("postgres: %w", err)
	}
	defer pool.Close()
	return migrate(ctx, pool)
}

// Migrate brings db's schema up to date; Open already has, so this only matters to a database
// another binary changed meanwhile.
func (db *DB) Migrate(ctx context.Context) error {
	_, err := migrate(ctx, db.pool)
	return err
}

// migrate applies the missing steps in one transaction under an advisory lock, so that two
// gateways starting at once on an empty database apply them once: the second waits for the
// first and then finds nothing to do.
func migrate(ctx context.Context, pool *pgxpool.Pool) (from int, err error) {
	err = pgx.BeginFunc(ctx, pool, func(t pgx.Tx) error {
		if _, err := t.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", migrateLock); err != nil {
			return err
		}
		if _, err := t.Exec(ctx, "CREATE TABLE IF NOT EXISTS onestop_schema (version integer NOT NULL)"); err != nil {
			return err
		}
		var v *int32
		if err := t.QueryRow(ctx, "SELECT max(version) FROM onestop_schema").Scan(&v); err != nil {
			return err
		}
		if v != nil {
			from = int(*v)
		}
		if from > SchemaVersion {
			return fmt.Errorf("database schema %d is newer than this binary's %d", from, SchemaVersion)
		}
		if from == SchemaVersion {
			return nil
		}
		for i := from; i < SchemaVersion; i++ {
			if _, err := t.Exec(ctx, migrations[i]); err != nil {
				return fmt.Errorf("upgrading to schema %d: %w", i+1, err)
			}
		}
		if _, err := t.Exec(ctx, "DELETE FROM onestop_schema"); err != nil {
			return err
		}
		_, err := t.Exec(ctx, "INSERT INTO onestop_schema (version) VALUES ($1)", SchemaVersion)
		return err
	})
	if err != nil {
		return from, fmt.Errorf("postgres: %w", err)
	}
	return from, nil
}
