package bolt_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/storetest"
)

// TestStoreContract holds the bbolt store to the contract every store keeps.
func TestStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, buckets ...[]byte) (onestop.Store, func() onestop.Store) {
		path := filepath.Join(t.TempDir(), "onestop.db")
		db, err := bolt.Open(path, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
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
			if db, err = bolt.Open(path, time.Second); err != nil {
				t.Fatal(err)
			}
			return db
		}
		return db, reopen
	})
}
