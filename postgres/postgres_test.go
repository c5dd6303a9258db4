package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/postgres"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/storetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func open(t testing.TB, url string) *postgres.DB {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestStoreContract holds the PostgreSQL store to the contract every store keeps.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, buckets ...[]byte) (onestop.Store, func() onestop.Store) {
		url := pgtest.Database(t)
		db := open(t, url)
		if err := db.Update(context.Background(), func(tx onestop.Tx) error {
			for _, name := range buckets {
				if _, err := tx.CreateBucketIfNotExists(name); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		reopen := func() onestop.Store {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = open(t, url)
			return db
		}
		return db, reopen
	})
}

// TestOpenTogether starts two Opens at once on an empty database: the migration runs once and
// both stores work.
func TestOpenTogether(t *testing.T) {
	url := pgtest.Database(t)
	var wg sync.WaitGroup
	dbs := make([]*postgres.DB, 4)
	errs := make([]error, len(dbs))
	for i := range dbs {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(context.Background(), url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	for i, db := range dbs {
		if err := db.Update(context.Background(), func(tx onestop.Tx) error {
			return tx.Bucket(store.Meta).Put(fmt.Appendf(nil, "k%d", i), []byte("v"))
		}); err != nil {
			t.Fatal(err)
		}
	}
	if err := dbs[0].View(context.Background(), func(tx onestop.Tx) error {
		if n := tx.Bucket(store.Meta).Len(); n != len(dbs) {
			return fmt.Errorf("meta has %d keys, want %d", n, len(dbs))
		}
		for _, name := range store.Buckets {
			if tx.Bucket(name) == nil {
				return fmt.Errorf("no bucket %s", name)
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	from, err := postgres.Migrate(context.Background(), url)
	if err != nil || from != postgres.SchemaVersion {
		t.Fatalf("Migrate of an up-to-date database = %d, %v; want %d, nil", from, err, postgres.SchemaVersion)
	}
}

// TestProcessesSerialise runs read-modify-write counters from several stores on one database,
// as several gateways would: the advisory lock makes every increment land once.
func TestProcessesSerialise(t *testing.T) {
	url := pgtest.Database(t)
	const stores, each = 3, 40
	dbs := make([]*postgres.DB, stores)
	for i := range dbs {
		dbs[i] = open(t, url)
	}
	key := []byte("counter")
	var wg sync.WaitGroup
	for _, db := range dbs {
		for range 4 {
			wg.Go(func() {
				for range each / 4 {
					err := db.Update(context.Background(), func(tx onestop.Tx) error {
						b := tx.Bucket(store.Meta)
						n := uint64(0)
						if v := b.Get(key); v != nil {
							n = bytesToU64(v)
						}
						return b.Put(key, store.U64(n+1))
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	dbs[0].View(context.Background(), func(tx onestop.Tx) error {
		if got := bytesToU64(tx.Bucket(store.Meta).Get(key)); got != stores*each {
			t.Errorf("counter = %d, want %d", got, stores*each)
		}
		return nil
	})
}

func bytesToU64(b []byte) uint64 {
	var n uint64
	for _, c := range b {
		n = n<<8 | uint64(c)
	}
	return n
}

// fillBolt writes a bolt file with values, empty values, nested buckets two deep and sequences.
func fillBolt(t *testing.T) *bolt.DB {
	t.Helper()
	src, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	if err := src.Update(context.Background(), func(tx onestop.Tx) error {
		for i, name := range store.Buckets {
			b := tx.Bucket(name)
			for j := range i * 7 {
				if err := b.Put(fmt.Appendf(nil, "%s-%04d", name, j), bytes.Repeat([]byte{byte(j), 0, 0xff}, j)); err != nil {
					return err
				}
			}
			for range i {
				if _, err := b.NextSequence(); err != nil {
					return err
				}
			}
		}
		c := tx.Bucket(store.Contacts)
		if err := c.Put([]byte("empty"), []byte{}); err != nil {
			return err
		}
		n, err := c.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		n.NextSequence()
		n.NextSequence()
		n.Put([]byte{0}, []byte("zero"))
		n.Put([]byte{0xff, 0xff}, []byte("high"))
		d, err := n.CreateBucket([]byte("deeper"))
		if err != nil {
			return err
		}
		d.NextSequence()
		return d.Put([]byte("k"), []byte("v"))
	}); err != nil {
		t.Fatal(err)
	}
	return src
}

// dump lists every bucket, key, value and sequence of s, nested buckets included, in order.
func dump(t *testing.T, s onestop.Store) []string {
	t.Helper()
	var out []string
	var walk func(path string, b onestop.Bucket) error
	walk = func(path string, b onestop.Bucket) error {
		out = append(out, fmt.Sprintf("%s seq=%d len=%d", path, b.Sequence(), b.Len()))
		return b.ForEach(func(k, v []byte) error {
			if v == nil {
				if n := b.Bucket(k); n != nil {
					return walk(fmt.Sprintf("%s/%x", path, k), n)
				}
			}
			out = append(out, fmt.Sprintf("%s %x=%x (nil %v)", path, k, v, v == nil))
			return nil
		})
	}
	if err := s.View(context.Background(), func(tx onestop.Tx) error {
		for _, name := range store.Buckets {
			if err := walk(string(name), tx.Bucket(name)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCopyFromBolt copies a bolt file into an empty database and compares every byte, then
// refuses to copy into the database again.
func TestCopyFromBolt(t *testing.T) {
	src := fillBolt(t)
	dst := open(t, pgtest.Database(t))
	if err := postgres.Copy(context.Background(), dst, src); err != nil {
		t.Fatal(err)
	}
	want, got := dump(t, src), dump(t, dst)
	if len(want) < 100 {
		t.Fatalf("the bolt file holds only %d entries", len(want))
	}
	if fmt.Sprint(want) != fmt.Sprint(got) {
		for i := range max(len(want), len(got)) {
			var w, g string
			if i < len(want) {
				w = want[i]
			}
			if i < len(got) {
				g = got[i]
			}
			if w != g {
				t.Fatalf("entry %d: bolt %q, postgres %q", i, w, g)
			}
		}
	}
	if err := postgres.Copy(context.Background(), dst, src); !errors.Is(err, postgres.ErrNotEmpty) {
		t.Fatalf("second Copy = %v, want ErrNotEmpty", err)
	}
	if fmt.Sprint(dump(t, dst)) != fmt.Sprint(want) {
		t.Fatal("a refused Copy changed the destination")
	}
	// The copied sequences go on from where bolt left them.
	if err := dst.Update(context.Background(), func(tx onestop.Tx) error {
		seq, err := tx.Bucket(store.Contacts).Bucket([]byte("nested")).NextSequence()
		if seq != 3 {
			return fmt.Errorf("NextSequence after copy = %d, %v; want 3", seq, err)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
}

// TestCopyRefusesAnyData refuses a destination that holds only a sequence, or only one key.
func TestCopyRefusesAnyData(t *testing.T) {
	src := fillBolt(t)
	for _, write := range []func(tx onestop.Tx) error{
		func(tx onestop.Tx) error { _, err := tx.Bucket(store.Outbox).NextSequence(); return err },
		func(tx onestop.Tx) error { return tx.Bucket(store.Meta).Put([]byte("k"), nil) },
		func(tx onestop.Tx) error { _, err := tx.Bucket(store.Users).CreateBucket([]byte("n")); return err },
	} {
		dst := open(t, pgtest.Database(t))
		if err := dst.Update(context.Background(), write); err != nil {
			t.Fatal(err)
		}
		if err := postgres.Copy(context.Background(), dst, src); !errors.Is(err, postgres.ErrNotEmpty) {
			t.Fatalf("Copy into a used database = %v, want ErrNotEmpty", err)
		}
	}
}
