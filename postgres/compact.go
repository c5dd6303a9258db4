package postgres

import (
	"context"

	"github.com/onestop-helpline/onestop"
)

// Compact rewrites the store's tables with only the rows they hold now (VACUUM FULL), as
// bolt's Compact rewrites its file: PostgreSQL keeps a deleted row's bytes in the table's pages
// until they are reused, and the rewrite drops the old pages' files. The server's write-ahead
// log keeps them until it recycles its segments, and backups keep what they copied; the store
// only ever holds sealed records, so what is left there is ciphertext and keyed hashes.
//
// It locks the tables for the rewrite, so every gateway's reads and writes wait for it: run it
// where purge runs, after a purge removed something.
func (db *DB) Compact(ctx context.Context) error {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return onestop.ErrStoreClosed
	}
	if _, err := db.pool.Exec(ctx, "VACUUM (FULL) onestop_kv, onestop_buckets"); err != nil {
		return db.storeErr(err)
	}
	return nil
}
