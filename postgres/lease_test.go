package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/postgres"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
)

func lease(t *testing.T, l onestop.Leaser, name, holder string, ttl time.Duration) bool {
	t.Helper()
	held, err := l.Lease(context.Background(), name, holder, ttl)
	if err != nil {
		t.Fatal(err)
	}
	return held
}

// TestLease hands a job to one gateway, keeps it there while it renews, and lets another take
// it once it lapses.
func TestLease(t *testing.T) {
	url := pgtest.Database(t)
	a, b := open(t, url), open(t, url)
	const ttl = 500 * time.Millisecond
	if !lease(t, a, "sweep", "a", ttl) {
		t.Fatal("a free lease was refused")
	}
	if lease(t, b, "sweep", "b", ttl) {
		t.Fatal("b got a lease a holds")
	}
	if !lease(t, b, "remind", "b", ttl) {
		t.Fatal("a lease of another job was refused")
	}
	for range 3 {
		time.Sleep(ttl / 2)
		if !lease(t, a, "sweep", "a", ttl) {
			t.Fatal("a could not renew its lease")
		}
		if lease(t, b, "sweep", "b", ttl) {
			t.Fatal("b got a lease a keeps renewing")
		}
	}
	time.Sleep(ttl + 100*time.Millisecond)
	if !lease(t, b, "sweep", "b", ttl) {
		t.Fatal("b could not take over a lapsed lease")
	}
	if lease(t, a, "sweep", "a", ttl) {
		t.Fatal("a got its lease back while b holds it")
	}
}

// TestLeaseOnce asks for one lease from many holders at once: exactly one gets it.
func TestLeaseOnce(t *testing.T) {
	url := pgtest.Database(t)
	dbs := []*postgres.DB{open(t, url), open(t, url)}
	var held atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ok, err := dbs[i%2].Lease(context.Background(), "escalate", fmt.Sprint("holder", i), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				held.Add(1)
			}
		})
	}
	wg.Wait()
	if n := held.Load(); n != 1 {
		t.Fatalf("%d holders got one lease", n)
	}
}

func TestLeaseRefusesBadArguments(t *testing.T) {
	db := open(t, pgtest.Database(t))
	for _, c := range []struct {
		name, holder string
		ttl          time.Duration
	}{{"", "a", time.Second}, {"j", "", time.Second}, {"j", "a", 0}} {
		if held, err := db.Lease(context.Background(), c.name, c.holder, c.ttl); err == nil || held {
			t.Errorf("Lease(%q, %q, %v) = %v, %v; want an error", c.name, c.holder, c.ttl, held, err)
		}
	}
	db.Close()
	if _, err := db.Lease(context.Background(), "j", "a", time.Second); !errors.Is(err, onestop.ErrStoreClosed) {
		t.Errorf("Lease after Close = %v, want ErrStoreClosed", err)
	}
}

// TestMigrateFromOlder brings a database of schema 1 up to date, keeping its data, and refuses
// one written by a newer binary.
func TestMigrateFromOlder(t *testing.T) {
	url := pgtest.Database(t)
	db := open(t, url)
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("kept"), []byte("yes"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP TABLE onestop_leases; UPDATE onestop_schema SET version = 1"); err != nil {
		t.Fatal(err)
	}
	from, err := postgres.Migrate(ctx, url)
	if err != nil || from != 1 {
		t.Fatalf("Migrate = %d, %v; want 1, nil", from, err)
	}
	db = open(t, url)
	if !lease(t, db, "sweep", "a", time.Second) {
		t.Fatal("no lease after migrating")
	}
	if err := db.View(ctx, func(tx onestop.Tx) error {
		if v := tx.Bucket([]byte("meta")).Get([]byte("kept")); string(v) != "yes" {
			return fmt.Errorf("kept = %q after migrating", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := conn.Exec(ctx, "UPDATE onestop_schema SET version = 99"); err != nil {
		t.Fatal(err)
	}
	if db, err := postgres.Open(ctx, url); err == nil {
		db.Close()
		t.Fatal("Open of a database with a newer schema did not fail")
	}
}
