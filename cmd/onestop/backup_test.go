package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A backup taken through a running server while callers call opens, is checked, and restores
// into another data directory with the same key; another key, or a running server, is refused.
func TestBackupWhileServingAndRestore(t *testing.T) {
	noProviders(t)
	m := MustRunMain(t)
	allOnes(t, m.Addr(), "ATUid_backup", "+8801711000001")
	done := make(chan struct{})
	go func() { // a caller goes on calling while the copy is taken
		defer close(done)
		allOnes(t, m.Addr(), "ATUid_backup2", "+8801711000002")
	}()
	file := filepath.Join(t.TempDir(), "helpline.backup")
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"backup", "--data", m.Config.Data, file}, nil, &out, io.Discard); err != nil {
		t.Fatalf("backup: %v", err)
	}
	<-done
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 || !strings.Contains(out.String(), "backed up") {
		t.Fatalf("backup file %v %v; said %q", fi, err, out.String())
	}
	// Restoring over the running server's file is refused.
	if err := Run(context.Background(), []string{"restore", "--data", m.Config.Data, file}, nil, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "running onestop serve") {
		t.Fatalf("restore while serving: %v", err)
	}
	m.Close()

	// Into a new data directory, with another key: refused, nothing put in place.
	fresh := t.TempDir()
	t.Setenv("ONESTOP_SEAL_KEY_FILE", "")
	if err := Run(context.Background(), []string{"restore", "--data", fresh, file}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("restored without the key the backup was sealed with")
	}
	if _, err := os.Stat(filepath.Join(fresh, "onestop.db")); !os.IsNotExist(err) {
		t.Fatalf("a refused restore left a file: %v", err)
	}
	// With the key: the contacts are back.
	t.Setenv("ONESTOP_SEAL_KEY_FILE", filepath.Join(m.Config.Data, "seal.key"))
	out.Reset()
	if err := Run(context.Background(), []string{"restore", "--data", fresh, file}, nil, &out, io.Discard); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if rows := callsJSON(t, fresh); len(rows) < 1 {
		t.Fatalf("after restore: %+v", rows)
	}
}
