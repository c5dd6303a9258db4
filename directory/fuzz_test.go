package directory

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/store"
)

// FuzzParse: an operator's centres CSV either parses or is refused with line errors; nothing
// panics, and a refused file yields no directory.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "id,name\n", "\ufeffid\n1\n", "\"unterminated\n", strings.Repeat(",", 100)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := Parse(strings.NewReader(s))
		if err != nil && d != nil {
			t.Fatalf("a refused file gave a directory")
		}
	})
}

// FuzzImport: a CSV uploaded by an administrator that Import refuses leaves the store exactly
// as it was.
func FuzzImport(f *testing.F) {
	db, err := bolt.Open(filepath.Join(f.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	for _, s := range []string{"", "code,parent\n", "id,name_en\nx,y\n", "\"", "code\nBD-13\n"} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, dryRun bool) {
		before := dump(t, db)
		if _, err := Import(context.Background(), db, data, dryRun); err == nil {
			if !dryRun {
				// Accepted: put the store back for the next input.
				restore(t, db, before)
			}
			return
		}
		if after := dump(t, db); !bytes.Equal(before, after) {
			t.Fatalf("a refused import changed the store")
		}
	})
}

func dump(t *testing.T, db onestop.Store) []byte {
	t.Helper()
	var out []byte
	err := db.View(context.Background(), func(tx onestop.Tx) error {
		for _, name := range store.Buckets {
			if bytes.Equal(name, store.Meta) {
				continue
			}
			out = append(out, name...)
			err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				out = append(append(append(out, k...), 0), v...)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func restore(t *testing.T, db onestop.Store, _ []byte) {
	t.Helper()
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Areas)
		var keys [][]byte
		b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
		for _, k := range keys {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
