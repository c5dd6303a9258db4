package bolt_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

func TestCompactLeavesNoDeletedBytesInTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	ctx := context.Background()
	secret := bytes.Repeat([]byte("deleted-record-bytes "), 20)
	kept := []byte("a record still kept")
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Contacts)
		for i := 0; i < 50; i++ {
			if _, err := b.NextSequence(); err != nil {
				return err
			}
		}
		if err := b.Put(store.U64(1), secret); err != nil {
			return err
		}
		return tx.Bucket(store.Referrals).Put(store.U64(2), kept)
	}); err != nil {
		t.Fatal(err)
	}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Contacts).Delete(store.U64(1)) }); err != nil {
		t.Fatal(err)
	}
	// The reason for Compact: a delete alone leaves the bytes in a freed page.
	if raw, _ := os.ReadFile(path); !bytes.Contains(raw, secret) {
		t.Fatal("the deleted bytes are already gone before Compact; this test shows nothing")
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if raw, _ := os.ReadFile(path); bytes.Contains(raw, secret[:40]) {
		t.Fatal("the deleted record's bytes are still in the file after Compact")
	}
	if _, err := os.Stat(path + ".compact"); !os.IsNotExist(err) {
		t.Errorf("the copy was left beside the file: %v", err)
	}
	// What is kept is kept, sequences go on, and the new file takes writes and survives reopen.
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		if n, _ := tx.Bucket(store.Contacts).NextSequence(); n != 51 {
			return fmt.Errorf("the contacts sequence went on from %d, want 51", n-1)
		}
		return tx.Bucket(store.Contacts).Put(store.U64(51), []byte("after"))
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db = open(t, path)
	defer db.Close()
	db.View(context.Background(), func(tx onestop.Tx) error {
		if !bytes.Equal(tx.Bucket(store.Referrals).Get(store.U64(2)), kept) || tx.Bucket(store.Contacts).Get(store.U64(51)) == nil {
			t.Error("a kept record or a write after Compact is missing")
		}
		return nil
	})
}

func TestCompactLosesNoWriteMadeMeanwhile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	ctx := context.Background()
	const writers, each = 8, 40
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				k := []byte(fmt.Sprintf("w%d-%03d", w, i))
				if err := db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Outbox).Put(k, k) }); err != nil {
					t.Error(err)
				}
				db.View(context.Background(), func(tx onestop.Tx) error { tx.Bucket(store.Outbox).Get(k); return nil })
			}
		}(w)
	}
	for i := 0; i < 5; i++ {
		if err := db.Compact(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	db.Close()
	db = open(t, path)
	defer db.Close()
	db.View(context.Background(), func(tx onestop.Tx) error {
		if n := tx.Bucket(store.Outbox).Len(); n != writers*each {
			t.Errorf("%d writes on file after compacting meanwhile, want %d", n, writers*each)
		}
		return nil
	})
}

func TestCompactAfterCloseIsRefused(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	db.Close()
	if err := db.Compact(context.Background()); err != onestop.ErrStoreClosed {
		t.Fatalf("Compact after Close: %v", err)
	}
}

func TestAnOpenerWaitingThroughACompactGetsTheNewFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	ctx := context.Background()
	opened := make(chan *bolt.DB)
	go func() {
		other, err := bolt.Open(path, 30*time.Second)
		if err != nil {
			t.Error(err)
		}
		opened <- other
	}()
	// Give the second opener time to open the file and wait on its lock (if it is slower, it
	// opens the new file directly, and the test passes without showing anything).
	time.Sleep(300 * time.Millisecond)
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	db.Close()
	other := <-opened
	if other == nil {
		t.FailNow()
	}
	if err := other.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Duty).Put([]byte("k"), []byte("written by the waiter"))
	}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	db = open(t, path)
	defer db.Close()
	db.View(context.Background(), func(tx onestop.Tx) error {
		if tx.Bucket(store.Duty).Get([]byte("k")) == nil {
			t.Error("the waiting opener wrote to the file Compact replaced: its write is lost")
		}
		return nil
	})
}
