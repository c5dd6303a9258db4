package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/postgres/pgtest"
)

// A helpline moves from its bbolt file to PostgreSQL: what it recorded is there after the copy,
// opened with the same key, and a second copy into the now full database is refused.
func TestMigrateFromABoltDataDirectory(t *testing.T) {
	url := pgtest.Database(t)
	noProviders(t)
	m := MustRunMain(t)
	allOnes(t, m.Addr(), "ATUid_migrate", "+8801711000001")
	data := m.Config.Data
	before := callsJSON(t, data) // through the server's socket
	m.Close()

	t.Setenv("ONESTOP_DATABASE_URL", url)
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"migrate", "--from", data}, nil, &out, io.Discard); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "copied "+data) {
		t.Fatalf("migrate said %q", out.String())
	}
	err := Run(context.Background(), []string{"migrate", "--from", data}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Fatalf("a second copy: %v", err)
	}

	// A gateway on PostgreSQL, with the key the data was sealed with, serves what was recorded.
	pg := NewMain()
	pg.Config = DefaultConfig()
	pg.Config.Addr, pg.Config.Data = "127.0.0.1:0", filepath.Join(t.TempDir(), "new") // made by serve
	pg.Config.SealKeyFile = filepath.Join(data, "seal.key")
	pg.Config.LogLevel = "error"
	if err := pg.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer pg.Close()
	after := callsJSON(t, pg.Config.Data)
	if len(after) != 1 || after[0] != before[0] {
		t.Fatalf("after the move: %+v, before: %+v", after, before)
	}
	// Another key is refused: the database keeps the key's check value.
	other := NewMain()
	other.Config = pg.Config
	other.Config.Data, other.Config.SealKeyFile = t.TempDir(), ""
	if err := other.Open(context.Background()); err == nil {
		other.Close()
		t.Fatal("a gateway with another sealing key started on the database")
	}
}
