package postgres_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/store"
)

// Size counts the tables' bytes, and grows as records are written.
func TestSizeGrowsWithWhatIsStored(t *testing.T) {
	ctx := context.Background()
	db := open(t, pgtest.Database(t))
	before, err := db.Size(ctx)
	if err != nil || before <= 0 {
		t.Fatalf("size of a new store: %d, %v", before, err)
	}
	noise := rand.New(rand.NewPCG(1, 2))
	for i := range 4 {
		if err := db.Update(ctx, func(tx onestop.Tx) error {
			b := tx.Bucket(store.Audit)
			for j := range 256 {
				// Noise, as sealed records are, so that TOAST's compression does not hide it.
				v := make([]byte, 4096)
				for k := range v {
					v[k] = byte(noise.Uint32())
				}
				if err := b.Put(store.U64(uint64(i*256+j+1)), v); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	after, err := db.Size(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after-before < 2<<20 {
		t.Fatalf("size went from %d to %d after writing 4 MiB", before, after)
	}
	ended, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Size(ended); err == nil {
		t.Fatal("Size answered on an ended context")
	}
}
