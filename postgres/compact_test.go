package postgres_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/store"
)

// tableHolds checkpoints the server and reports whether the table file of onestop_kv holds b.
func tableHolds(t *testing.T, conn *pgx.Conn, b []byte) bool {
	t.Helper()
	ctx := context.Background()
	if _, err := conn.Exec(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	var rel string
	if err := conn.QueryRow(ctx, "SELECT pg_relation_filepath('onestop_kv')").Scan(&rel); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(pgtest.DataDir(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Contains(data, b)
}

// TestCompactLeavesNothingPurged deletes a record and compacts: its bytes are no longer in the
// table's file, where without Compact they stay.
func TestCompactLeavesNothingPurged(t *testing.T) {
	url := pgtest.Database(t)
	db := open(t, url)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	marker := []byte("purged-record-4f1c9a")
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Contacts).Put([]byte("c1"), marker)
	}); err != nil {
		t.Fatal(err)
	}
	if !tableHolds(t, conn, marker) {
		t.Fatal("the record is not in the table file: the check reads the wrong file")
	}
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Contacts).Delete([]byte("c1"))
	}); err != nil {
		t.Fatal(err)
	}
	if !tableHolds(t, conn, marker) {
		t.Log("the deleted record's bytes were gone before Compact")
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	if tableHolds(t, conn, marker) {
		t.Fatal("a deleted record's bytes are still in the table file after Compact")
	}
	db.Close()
	if err := db.Compact(ctx); !errors.Is(err, onestop.ErrStoreClosed) {
		t.Fatalf("Compact after Close = %v, want ErrStoreClosed", err)
	}
}
