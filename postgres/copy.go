package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// copyBatch is how many keys Copy sends in one COPY.
const copyBatch = 1000

// Copy copies every bucket of store.Buckets in src (a bolt file, say) into dst, with their
// keys, nested buckets and sequences, byte for byte, in one transaction of dst under the write
// lock and one View of src. It refuses (ErrNotEmpty) a dst that holds any key or sequence
// already: it moves a helpline's data, it never merges two.
func Copy(ctx context.Context, dst *DB, src onestop.Store) error {
	return CopyBuckets(ctx, dst, src, store.Buckets)
}

// CopyBuckets is Copy for the top-level buckets names; a name src lacks is skipped.
func CopyBuckets(ctx context.Context, dst *DB, src onestop.Store, names [][]byte) error {
	dst.mu.RLock()
	closed := dst.closed
	dst.mu.RUnlock()
	if closed {
		return onestop.ErrStoreClosed
	}
	return src.View(ctx, func(stx onestop.Tx) error {
		return pgx.BeginFunc(ctx, dst.pool, func(pt pgx.Tx) error {
			if _, err := pt.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", writeLock); err != nil {
				return fmt.Errorf("postgres: %w", err)
			}
			var empty bool
			if err := pt.QueryRow(ctx, `SELECT NOT EXISTS (SELECT 1 FROM onestop_kv WHERE bucket <> 0 OR child IS NULL)
				AND NOT EXISTS (SELECT 1 FROM onestop_buckets WHERE seq <> 0)`).Scan(&empty); err != nil {
				return fmt.Errorf("postgres: %w", err)
			}
			if !empty {
				return ErrNotEmpty
			}
			c := &copier{ctx: ctx, t: &tx{pg: pt, ctx: ctx, writable: true}}
			for _, name := range names {
				sb := stx.Bucket(name)
				if sb == nil {
					continue
				}
				db, err := c.t.CreateBucketIfNotExists(name)
				if err != nil {
					return err
				}
				if err := c.bucket(sb, db.(*bucket)); err != nil {
					return err
				}
			}
			if err := c.flush(); err != nil {
				return err
			}
			if c.t.err != nil {
				return fmt.Errorf("postgres: %w", c.t.err)
			}
			return nil
		})
	})
}

type copier struct {
	ctx  context.Context
	t    *tx
	rows [][]any
}

// bucket copies src's sequence, keys and nested buckets into dst.
func (c *copier) bucket(src onestop.Bucket, dst *bucket) error {
	if seq := src.Sequence(); seq != 0 {
		if _, err := c.t.pg.Exec(c.ctx, "UPDATE onestop_buckets SET seq = $2 WHERE id = $1", dst.id, int64(seq)); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
	}
	return src.ForEach(func(k, v []byte) error {
		sn := src.Bucket(k)
		if v != nil || sn == nil {
			if v == nil {
				v = []byte{}
			}
			c.rows = append(c.rows, []any{dst.id, k, v})
			if len(c.rows) >= copyBatch {
				return c.flush()
			}
			return nil
		}
		dn, err := dst.createBucket(k, false)
		if err != nil {
			return err
		}
		return c.bucket(sn, dn)
	})
}

func (c *copier) flush() error {
	if len(c.rows) == 0 {
		return nil
	}
	_, err := c.t.pg.CopyFrom(c.ctx, pgx.Identifier{"onestop_kv"}, []string{"bucket", "key", "value"}, pgx.CopyFromRows(c.rows))
	c.rows = c.rows[:0]
	if err != nil {
		return fmt.Errorf("postgres: %w", err)
	}
	return nil
}
