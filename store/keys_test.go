package store_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

func TestKeyCheckIsWrittenOnceThenCompared(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db := open(t, path)
	ctx := context.Background()
	mine, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	if err := store.KeyFits(ctx, db, mine); !errors.Is(err, store.ErrNoKeyCheck) {
		t.Fatalf("KeyFits on a new file: %v, want ErrNoKeyCheck", err)
	}
	if err := store.CheckKey(ctx, db, mine); err != nil {
		t.Fatal(err)
	}
	if err := store.CheckKey(ctx, db, other); !errors.Is(err, store.ErrWrongKey) {
		t.Fatalf("another key's check value: %v, want ErrWrongKey", err)
	}
	if err := store.KeyFits(ctx, db, other); !errors.Is(err, store.ErrWrongKey) {
		t.Fatalf("KeyFits with another key: %v, want ErrWrongKey", err)
	}
	db.Close()
	// The refused key wrote nothing: the file still opens with the first key only.
	db = open(t, path)
	defer db.Close()
	if err := store.KeyFits(ctx, db, mine); err != nil {
		t.Fatalf("after reopening, the first key: %v", err)
	}
	if err := store.CheckKey(ctx, db, other); !errors.Is(err, store.ErrWrongKey) {
		t.Fatalf("after reopening, another key: %v, want ErrWrongKey", err)
	}
	if err := store.CheckKey(ctx, db, nil); err == nil {
		t.Fatal("accepted an empty check value")
	}
}

func TestHoldsSealedData(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		fill func(tx onestop.Tx) error
		want bool
	}{
		{"a new file", func(onestop.Tx) error { return nil }, false},
		{"only the operator's directory", func(tx onestop.Tx) error { return tx.Bucket(store.Areas).Put([]byte("BD-10"), []byte("x")) }, false},
		{"a console user", func(tx onestop.Tx) error { return tx.Bucket(store.Users).Put([]byte("admin"), []byte("x")) }, true},
		{"a contact", func(tx onestop.Tx) error { return tx.Bucket(store.Contacts).Put(store.U64(1), []byte("x")) }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
			defer db.Close()
			if err := db.Update(ctx, tt.fill); err != nil {
				t.Fatal(err)
			}
			if got, err := store.HoldsSealedData(ctx, db); err != nil || got != tt.want {
				t.Fatalf("HoldsSealedData = %v, %v; want %v", got, err, tt.want)
			}
		})
	}
	// A check value alone says a key was used.
	db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	defer db.Close()
	if err := store.CheckKey(ctx, db, bytes.Repeat([]byte{1}, 32)); err != nil {
		t.Fatal(err)
	}
	if got, _ := store.HoldsSealedData(ctx, db); !got {
		t.Fatal("a file with a key check value does not hold sealed data")
	}
}

func TestMarkSimulatedRefusesRealContacts(t *testing.T) {
	ctx := context.Background()
	db := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	defer db.Close()
	if err := db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Contacts).Put(store.U64(1), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkSimulated(ctx, db); !errors.Is(err, store.ErrRealContacts) {
		t.Fatalf("MarkSimulated over a real contact: %v, want ErrRealContacts", err)
	}
	if sim, _ := store.Simulated(ctx, db); sim {
		t.Fatal("the refused mark was written")
	}
	// Nor a file a real helpline has started on, with only its console user so far.
	dbu := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	defer dbu.Close()
	if err := dbu.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Users).Put([]byte("admin"), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkSimulated(ctx, dbu); !errors.Is(err, store.ErrRealContacts) {
		t.Fatalf("MarkSimulated over a console user: %v, want ErrRealContacts", err)
	}

	db2 := open(t, filepath.Join(t.TempDir(), "onestop.db"))
	defer db2.Close()
	if err := store.MarkSimulated(ctx, db2); err != nil {
		t.Fatal(err)
	}
	// Contacts made after the mark are the simulation's own; marking again is no change.
	if err := db2.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Contacts).Put(store.U64(1), []byte("x")) }); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkSimulated(ctx, db2); err != nil {
		t.Fatalf("marking a simulated file again: %v", err)
	}
	if sim, err := store.Simulated(ctx, db2); err != nil || !sim {
		t.Fatalf("Simulated = %v, %v", sim, err)
	}
}

func open(t *testing.T, path string) *bolt.DB {
	t.Helper()
	db, err := bolt.Open(path, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	return db
}
