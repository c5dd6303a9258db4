package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onestop-helpline/onestop"
)

var _ onestop.Leaser = (*DB)(nil)

// Lease implements onestop.Leaser on the table onestop_leases, by the database server's clock,
// so that the gateways' own clocks need not agree. One statement takes, renews or refuses the
// lease, so two gateways asking at once cannot both get it.
func (db *DB) Lease(ctx context.Context, name, holder string, ttl time.Duration) (bool, error) {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return false, onestop.ErrStoreClosed
	}
	if name == "" || holder == "" || ttl <= 0 {
		return false, errors.New("postgres: a lease needs a name, a holder and a positive ttl")
	}
	var got string
	err := db.pool.QueryRow(ctx, `INSERT INTO onestop_leases (name, holder, until)
		VALUES ($1, $2, clock_timestamp() + $3 * interval '1 microsecond')
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
		WHERE onestop_leases.holder = excluded.holder OR onestop_leases.until < clock_timestamp()
		RETURNING holder`, name, holder, ttl.Microseconds()).Scan(&got)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, db.storeErr(err)
	}
	return got == holder, nil
}
