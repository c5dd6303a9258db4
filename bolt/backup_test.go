package bolt

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
)

func TestBackupIsAConsistentCopyTakenWhileWriting(t *testing.T) {
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	put := func(k string) {
		if err := db.Update(ctx, func(tx onestop.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("b"))
			if err != nil {
				return err
			}
			return b.Put([]byte(k), []byte("v"+k))
		}); err != nil {
			t.Fatal(err)
		}
	}
	put("1")
	done := make(chan struct{})
	go func() { // writes go on while the copy is taken
		defer close(done)
		for i := 0; i < 50; i++ {
			put("w" + string(rune('a'+i%26)))
		}
	}()
	var buf bytes.Buffer
	n, err := db.Backup(ctx, &buf)
	<-done
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("backup: %d bytes, %v", n, err)
	}
	path := filepath.Join(t.TempDir(), "copy.db")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	cp, err := Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if errs := cp.Check(); len(errs) != 0 {
		t.Fatalf("the copy fails bbolt's check: %v", errs)
	}
	if err := cp.View(ctx, func(tx onestop.Tx) error {
		if got := tx.Bucket([]byte("b")).Get([]byte("1")); string(got) != "v1" {
			t.Errorf("the copy holds %q for 1", got)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := db.Backup(cancelled, io.Discard); err == nil {
		t.Fatal("a cancelled backup finished")
	}
}
