package bolt

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/onestop-helpline/onestop"
	"go.etcd.io/bbolt"
)

// compactTxSize bounds one transaction of the copy Compact makes, so a large file is copied in
// pieces rather than held in memory whole.
const compactTxSize = 64 << 20

// Compact rewrites the file with only what it holds now, and puts the copy in its place.
//
// bbolt never overwrites a freed page until it needs one: a deleted record's bytes stay in the
// file, readable by anyone who reads the file, for as long as nothing else is written over them.
// A purge that must leave nothing purged behind therefore ends with Compact. The copy is made by
// the commit loop, the only writer, so no write is lost between the copy and the swap: writes
// that arrive meanwhile wait in the queue and go to the new file. Reads run on while the copy is
// made and wait only for the swap itself.
//
// The copy is written beside the file (path + ".compact") and renamed over it, so a crash at any
// point leaves either the old file or the whole new one. It needs as much free disk as the live
// data takes. The old file is removed from the directory once renamed over; what the filesystem
// does with its blocks is beyond the file.
func (db *DB) Compact(ctx context.Context) error {
	errc := make(chan error, 1)
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return onestop.ErrStoreClosed
	}
	select {
	case db.compacts <- errc:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	return <-errc
}

// compact runs in the commit loop; see Compact.
func (db *DB) compact() error {
	tmp := db.path + ".compact"
	// A copy left by a crash is incomplete, or complete but never put in place: either way it is
	// not the data.
	if err := os.Remove(tmp); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("bolt: compact: %w", err)
	}
	dst, err := bbolt.Open(tmp, 0o600, &bbolt.Options{Timeout: time.Second, FreelistType: bbolt.FreelistMapType})
	if err != nil {
		return fmt.Errorf("bolt: compact: %w", err)
	}
	fail := func(err error) error {
		dst.Close()
		os.Remove(tmp)
		return fmt.Errorf("bolt: compact: %w", err)
	}
	if err := bbolt.Compact(dst, db.bolt, compactTxSize); err != nil {
		return fail(err)
	}
	db.swap.Lock()
	defer db.swap.Unlock()
	// Renamed while the old file is still open and locked, so that no other process can open
	// the old file in between and write to what is about to be unlinked: from the rename on,
	// the name is the new file, which dst holds locked.
	if err := os.Rename(tmp, db.path); err != nil {
		return fail(err)
	}
	if d, err := os.Open(filepath.Dir(db.path)); err == nil {
		d.Sync() // the rename is durable before anything is written to the new file
		d.Close()
	}
	old := db.bolt
	db.bolt = dst
	if err := old.Close(); err != nil {
		return fmt.Errorf("bolt: compact: closing the old file: %w", err)
	}
	return nil
}

// openLocked opens path with bbolt, waiting at most timeout for its lock, and makes sure the file
// it locked is still the one at path. An opener that waited on the lock while the holder
// compacted (Compact renames a new file over the old one, then lets go of the old one) would
// otherwise get the lock of the old file, unlinked, and write where nobody will ever read: it
// opens the new file instead, and waits for its lock in turn.
func openLocked(path string, timeout time.Duration) (*bbolt.DB, error) {
	deadline := time.Now().Add(timeout)
	for {
		wait := timeout // 0 is bbolt's "wait as long as it takes"
		if timeout > 0 {
			wait = max(time.Until(deadline), time.Millisecond)
		}
		before, _ := os.Stat(path)
		b, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: wait, FreelistType: bbolt.FreelistMapType})
		if errors.Is(err, bbolt.ErrTimeout) {
			return nil, ErrLocked
		} else if err != nil {
			return nil, fmt.Errorf("bolt: open %s: %w", path, err)
		}
		after, err := os.Stat(path)
		if err == nil && (before == nil || os.SameFile(before, after)) {
			return b, nil
		}
		b.Close()
		if err != nil {
			return nil, fmt.Errorf("bolt: open %s: %w", path, err)
		}
		if timeout > 0 && time.Now().After(deadline) {
			return nil, ErrLocked
		}
	}
}
