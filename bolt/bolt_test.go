package bolt_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

func open(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func TestSecondOpenerIsToldTheFileIsLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	defer db.Close()
	start := time.Now()
	_, err := bolt.Open(path, 200*time.Millisecond)
	if !errors.Is(err, bolt.ErrLocked) {
		t.Fatalf("second open: err = %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("second open took %v; it must give up at its timeout", d)
	}
}

func TestConcurrentWritesAreAllCommittedAndSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	const writers, each = 16, 50
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				k := []byte(fmt.Sprintf("w%02d-%03d", w, i))
				if err := db.Update(context.Background(), func(tx onestop.Tx) error {
					return tx.Bucket(store.Sessions).Put(k, []byte("v"))
				}); err != nil {
					t.Error(err)
				}
			}
		}(w)
	}
	wg.Wait()
	// Every write was counted once, and no commit carried none.
	if st := db.Stats(); st.Writes != writers*each || st.Commits == 0 || st.Commits > st.Writes || st.CommitTime <= 0 {
		t.Errorf("stats %+v after %d writes", st, writers*each)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = open(t, path)
	defer db.Close()
	n := 0
	db.View(context.Background(), func(tx onestop.Tx) error {
		n = tx.Bucket(store.Sessions).Len()
		return nil
	})
	if n != writers*each {
		t.Fatalf("after reopen: %d records, want %d", n, writers*each)
	}
}

func TestAFailingWriteDoesNotTakeItsGroupDown(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	defer db.Close()
	boom := errors.New("boom")
	var wg sync.WaitGroup
	errs := make([]error, 40)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = db.Update(context.Background(), func(tx onestop.Tx) error {
				if err := tx.Bucket(store.Sessions).Put([]byte(fmt.Sprint(i)), []byte("v")); err != nil {
					return err
				}
				switch i % 10 {
				case 3:
					return boom
				case 7:
					panic("a write that panics")
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	db.View(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Sessions)
		for i, err := range errs {
			got := b.Get([]byte(fmt.Sprint(i))) != nil
			switch i % 10 {
			case 3:
				if !errors.Is(err, boom) || got {
					t.Errorf("write %d: err=%v written=%v; want boom and nothing written", i, err, got)
				}
			case 7:
				if err == nil || got {
					t.Errorf("write %d: err=%v written=%v; want a panic error and nothing written", i, err, got)
				}
			default:
				if err != nil || !got {
					t.Errorf("write %d: err=%v written=%v; want committed", i, err, got)
				}
			}
		}
		return nil
	})
}

func TestUpdateAfterCloseIsRefused(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err := db.Update(context.Background(), func(onestop.Tx) error { return nil })
	if !errors.Is(err, onestop.ErrStoreClosed) {
		t.Fatalf("err = %v, want ErrClosed", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestNewerSchemaIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	db.Update(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket(store.Meta).Put([]byte("schema"), store.U64(bolt.SchemaVersion+1))
	})
	db.Close()
	if _, err := bolt.Open(path, time.Second); err == nil {
		t.Fatal("opened a database written by a newer schema")
	}
}

// TestSchemaOneIsUpgraded opens a file as the first schema left it, with its index of references,
// and finds it brought up to date: the index gone, the records kept, the version written.
func TestSchemaOneIsUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	old, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = old.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"meta", "contacts", "refs"} {
			if _, err := tx.CreateBucket([]byte(name)); err != nil {
				return err
			}
		}
		if err := tx.Bucket([]byte("refs")).Put([]byte("4829114"), store.U64(1)); err != nil {
			return err
		}
		if err := tx.Bucket(store.Contacts).Put(store.U64(1), []byte(`{"id":1}`)); err != nil {
			return err
		}
		return tx.Bucket(store.Meta).Put([]byte("schema"), store.U64(1))
	})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := open(t, path)
	db.View(context.Background(), func(tx onestop.Tx) error {
		if tx.Bucket([]byte("refs")) != nil {
			t.Error("the index of references is still there")
		}
		if tx.Bucket(store.Contacts).Get(store.U64(1)) == nil {
			t.Error("a contact was lost in the upgrade")
		}
		if v := tx.Bucket(store.Meta).Get([]byte("schema")); v == nil || binary.BigEndian.Uint64(v) != bolt.SchemaVersion {
			t.Errorf("schema is %x, want %d", v, bolt.SchemaVersion)
		}
		return nil
	})
}

// TestSchemaTwoIsUpgraded opens a file whose sessions are keyed by their id alone and finds each
// moved under time zero, ahead of any stored later, with its record as it was.
func TestSchemaTwoIsUpgraded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	old, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"africastalking:ATUid_b", "africastalking:ATUid_a", "twilio:CA9"}
	err = old.Update(func(tx *bbolt.Tx) error {
		for _, name := range [][]byte{store.Meta, store.Sessions} {
			if _, err := tx.CreateBucket(name); err != nil {
				return err
			}
		}
		for _, id := range ids {
			if err := tx.Bucket(store.Sessions).Put([]byte(id), []byte("record of "+id)); err != nil {
				return err
			}
		}
		return tx.Bucket(store.Meta).Put([]byte("schema"), store.U64(2))
	})
	if err != nil {
		t.Fatal(err)
	}
	old.Close()

	db := open(t, path)
	db.View(context.Background(), func(tx onestop.Tx) error {
		got := map[string]string{}
		tx.Bucket(store.Sessions).ForEach(func(k, v []byte) error {
			if len(k) < 8 || binary.BigEndian.Uint64(k) != 0 {
				t.Errorf("key %q is not under time zero", k)
				return nil
			}
			got[string(k[8:])] = string(v)
			return nil
		})
		if len(got) != len(ids) {
			t.Errorf("%d sessions after the upgrade, want %d", len(got), len(ids))
		}
		for _, id := range ids {
			if got[id] != "record of "+id {
				t.Errorf("session %s: %q", id, got[id])
			}
		}
		if v := tx.Bucket(store.Meta).Get([]byte("schema")); v == nil || binary.BigEndian.Uint64(v) != bolt.SchemaVersion {
			t.Errorf("schema is %x, want %d", v, bolt.SchemaVersion)
		}
		return nil
	})
}

// cpuPerOp reports the process's CPU time (user and system) per operation: on a shared machine
// whose disk latency swings, it is steadier than ns/op, which an fsync-bound benchmark is.
func cpuPerOp(b *testing.B) func() {
	var before syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	return func() {
		var after syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &after)
		ns := func(r syscall.Rusage) int64 { return r.Utime.Nano() + r.Stime.Nano() }
		b.ReportMetric(float64(ns(after)-ns(before))/float64(b.N), "cpu-ns/op")
	}
}

func BenchmarkUpdateParallel(b *testing.B) {
	db, err := bolt.Open(filepath.Join(b.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.SetParallelism(16)
	defer cpuPerOp(b)()
	var n uint64
	var mu sync.Mutex
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			mu.Lock()
			n++
			k := store.U64(n)
			mu.Unlock()
			if err := db.Update(context.Background(), func(tx onestop.Tx) error {
				return tx.Bucket(store.Sessions).Put(k, make([]byte, 300))
			}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Every runs its work on each tick and stops by itself once the store is closed.
func TestEveryStopsWhenTheStoreCloses(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	runs := 0
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		store.Every(context.Background(), time.Millisecond, func(ctx context.Context) (int, error) {
			runs++
			if runs == 3 {
				db.Close()
			}
			return 0, db.Update(ctx, func(onestop.Tx) error { return nil })
		}, func(int, error) {})
	}()
	select {
	case <-stopped:
	case <-time.After(10 * time.Second):
		t.Fatal("Every went on after the store was closed")
	}
	if runs != 3 {
		t.Fatalf("%d runs, want 3", runs)
	}
}
