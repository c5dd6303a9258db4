package postgres_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
)

// walk runs the same random cursor program on s: moves of every kind, past either end and back,
// seeks between, before and after the keys, and deletes. It returns what
// each move returned.
func walk(t *testing.T, s onestop.Store, seed uint64) []string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 1))
	alphabet := []byte{0x00, 0x01, 'a', 'b', 0xfe, 0xff}
	key := func() []byte {
		k := make([]byte, 1+r.IntN(3))
		for i := range k {
			k[i] = alphabet[r.IntN(len(alphabet))]
		}
		return k
	}
	var out []string
	err := s.Update(context.Background(), func(tx onestop.Tx) error {
		b, err := tx.CreateBucket([]byte("walk"))
		if err != nil {
			return err
		}
		for range 60 {
			k := key()
			if r.IntN(8) == 0 {
				if b.Bucket(k) == nil && b.Get(k) == nil {
					if _, err := b.CreateBucket(k); err != nil {
						return err
					}
				}
				continue
			}
			if b.Bucket(k) == nil {
				if err := b.Put(k, []byte(fmt.Sprintf("v%x", k))); err != nil {
					return err
				}
			}
		}
		c := b.Cursor()
		var lastK, lastV []byte
		note := func(op string, k, v []byte) {
			out = append(out, fmt.Sprintf("%s -> %x %q nil=%v", op, k, v, v == nil))
			lastK, lastV = k, v
		}
		for range 400 {
			switch n := r.IntN(20); {
			case n < 6:
				k, v := c.Next()
				note("next", k, v)
			case n < 12:
				k, v := c.Prev()
				note("prev", k, v)
			case n < 14:
				k, v := c.First()
				note("first", k, v)
			case n < 16:
				k, v := c.Last()
				note("last", k, v)
			case n < 19:
				sk := key()
				k, v := c.Seek(sk)
				note(fmt.Sprintf("seek %x", sk), k, v)
			default:
				if lastK == nil || lastV == nil {
					continue
				}
				if err := c.Delete(); err != nil {
					return err
				}
				// bbolt's own Next after a Delete can skip a key (the contract's next
				// key after it is what this store gives), so the walk goes on from a Seek.
				k, v := c.Seek(lastK)
				note(fmt.Sprintf("delete %x, seek it", lastK), k, v)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCursorAsBolt runs random cursor programs on bolt and on postgres and wants the same
// answers from both, move by move: services rely on bbolt's cursor in places the contract's
// words leave open, such as a Prev after a Seek past the last key.
func TestCursorAsBolt(t *testing.T) {
	for seed := range uint64(8) {
		src, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
		if err != nil {
			t.Fatal(err)
		}
		want := walk(t, src, seed)
		src.Close()
		got := walk(t, open(t, pgtest.Database(t)), seed)
		for i := range min(len(want), len(got)) {
			if want[i] != got[i] {
				t.Fatalf("seed %d, move %d: bolt %s, postgres %s\nbefore:\n%s", seed, i, want[i], got[i], strings.Join(want[max(0, i-5):i], "\n"))
			}
		}
		if len(want) != len(got) {
			t.Fatalf("seed %d: bolt made %d moves, postgres %d", seed, len(want), len(got))
		}
	}
}
