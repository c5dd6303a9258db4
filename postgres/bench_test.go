package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/store"
)

// benchStores runs bench on a bolt file and on a PostgreSQL database, each with 1000 sessions
// already stored.
func benchStores(b *testing.B, bench func(b *testing.B, s onestop.Store)) {
	for _, kind := range []string{"bolt", "postgres"} {
		b.Run(kind, func(b *testing.B) {
			var s onestop.Store
			if kind == "bolt" {
				db, err := bolt.Open(filepath.Join(b.TempDir(), "onestop.db"), time.Second)
				if err != nil {
					b.Fatal(err)
				}
				b.Cleanup(func() { db.Close() })
				s = db
			} else {
				s = open(b, pgtest.Database(b))
			}
			if err := s.Update(context.Background(), func(tx onestop.Tx) error {
				for i := range 1000 {
					if err := tx.Bucket(store.Sessions).Put(sessionKey(i), make([]byte, 300)); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			bench(b, s)
		})
	}
}

func sessionKey(i int) []byte { return fmt.Appendf(nil, "\x00\x00\x00\x00\x00\x00\x00\x00at:%08d", i) }

// hop is one USSD hop's write set: read the session, store it again, and queue one outbound
// message under the outbox's next sequence.
func hop(i int) func(tx onestop.Tx) error {
	return func(tx onestop.Tx) error {
		sessions := tx.Bucket(store.Sessions)
		k := sessionKey(i % 1000)
		v := sessions.Get(k)
		if err := sessions.Put(k, append(v[:0:0], v...)); err != nil {
			return err
		}
		outbox := tx.Bucket(store.Outbox)
		seq, err := outbox.NextSequence()
		if err != nil {
			return err
		}
		return outbox.Put(store.U64(seq), make([]byte, 200))
	}
}

// BenchmarkHop is one hop's Update at a time.
func BenchmarkHop(b *testing.B) {
	benchStores(b, func(b *testing.B, s onestop.Store) {
		for i := range b.N {
			if err := s.Update(context.Background(), hop(i)); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkHopParallel is many callers' hops at once: group commit shares one fsync.
func BenchmarkHopParallel(b *testing.B) {
	benchStores(b, func(b *testing.B, s onestop.Store) {
		var n atomic.Int64
		b.SetParallelism(16)
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := s.Update(context.Background(), hop(int(n.Add(1)))); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// BenchmarkView reads one session and walks ten sessions from a Seek.
func BenchmarkView(b *testing.B) {
	benchStores(b, func(b *testing.B, s onestop.Store) {
		for i := range b.N {
			if err := s.View(context.Background(), func(tx onestop.Tx) error {
				sessions := tx.Bucket(store.Sessions)
				if sessions.Get(sessionKey(i%1000)) == nil {
					return fmt.Errorf("no session %d", i%1000)
				}
				c := sessions.Cursor()
				n := 0
				for k, _ := c.Seek(sessionKey(i % 990)); k != nil && n < 10; k, _ = c.Next() {
					n++
				}
				if n != 10 {
					return fmt.Errorf("walked %d sessions, want 10", n)
				}
				return nil
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
