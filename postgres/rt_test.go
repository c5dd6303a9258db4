package postgres_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
)

// BenchmarkRoundTrip is one statement on one connection: the unit a transaction's cost is
// counted in, since every Get, Put and cursor batch is one.
func BenchmarkRoundTrip(b *testing.B) {
	conn, err := pgx.Connect(context.Background(), pgtest.Database(b))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		var n int
		if err := conn.QueryRow(context.Background(), "SELECT 1").Scan(&n); err != nil {
			b.Fatal(err)
		}
	}
}
