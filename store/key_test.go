package store_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// OpenKey makes a key only for a file with nothing sealed, keeps to the check value after that,
// and writes a first check value only for a key shown to open the data. The command's refusals,
// end to end, are cmd/onestop's sealed_test.go.
func TestOpenKeyAdmitsOnlyTheKeyThatOpensTheData(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path, keyFile := filepath.Join(dir, "onestop.db"), filepath.Join(dir, "seal.key")
	db := open(t, path)
	defer db.Close()
	never := func(*seal.Box) error { t.Fatal("a new file asked for proof"); return nil }
	if _, err := store.OpenKey(ctx, db, "", keyFile, never); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("no key file made for a new database: %v", err)
	}
	other := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, seal.KeySize))
	if _, err := store.OpenKey(ctx, db, other, "", never); !errors.Is(err, store.ErrWrongKey) {
		t.Fatalf("another key: %v, want ErrWrongKey", err)
	}
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	if _, err := store.OpenKey(ctx, db, "", keyFile, never); !errors.Is(err, store.ErrKeyLost) {
		t.Fatalf("a lost key for a file with a check value: %v, want ErrKeyLost", err)
	}
	if _, err := os.Stat(keyFile); err == nil {
		t.Fatal("a new key was made for a file that holds sealed data")
	}

	// A file from before check values: a record and no check value.
	db2 := open(t, filepath.Join(dir, "old.db"))
	defer db2.Close()
	if err := db2.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Contacts).Put(store.U64(1), []byte("sealed")) }); err != nil {
		t.Fatal(err)
	}
	refused := errors.New("does not open")
	if _, err := store.OpenKey(ctx, db2, other, "", func(*seal.Box) error { return refused }); !errors.Is(err, refused) {
		t.Fatalf("a key that does not open the data: %v", err)
	} else if e := (*store.KeyDoesNotOpen)(nil); !errors.As(err, &e) {
		t.Fatalf("%v is not a KeyDoesNotOpen", err)
	}
	if _, err := store.OpenKey(ctx, db2, other, "", func(*seal.Box) error { return nil }); err != nil {
		t.Fatalf("the key that opens it: %v", err)
	}
	// Its check value is written now: from here on, only it is admitted, with no proof asked.
	if _, err := store.OpenKey(ctx, db2, other, "", never); err != nil {
		t.Fatalf("again: %v", err)
	}
}
