package postgres

import (
	"context"
	"fmt"
)

// Size returns the bytes the store's tables take on the server, with their indexes and TOAST
// (pg_total_relation_size): what the operator's disk holds for this helpline, as a bolt
// file's size is for bolt. It reads only the catalogue, takes no lock a write waits for, and
// returns ctx's error when ctx ends first.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var n int64
	err := db.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(t)), 0)::bigint
		FROM unnest($1::text[]) AS name, to_regclass(name) AS t WHERE t IS NOT NULL`, tables).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("postgres: size: %w", err)
	}
	return n, nil
}

// tables are the store's tables.
var tables = []string{"onestop_buckets", "onestop_kv", "onestop_leases", "onestop_schema"}
