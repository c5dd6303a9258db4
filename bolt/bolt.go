// Package bolt is the helpline's store on one bbolt file, and the only package that imports
// bbolt: opening the file without hanging on a second opener's lock, creating every bucket and
// bringing an older schema up to date, committing writes in groups so that many callers' hops
// share one fsync, and compacting the file so that nothing purged stays in it.
//
// It implements onestop.Store and knows no record: the services keep their records in it in the
// layout and encodings of package store. It must never acknowledge a write before bbolt has
// committed it to disk, and it never runs in a no-sync mode.
package bolt

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// SchemaVersion is written to the meta bucket; Open refuses a file written by a newer schema and
// brings an older one up to date.
//
//	1  the first
//	2  no "refs" bucket: a reference is turned back into its ID by arithmetic (casebook.Ref)
//	3  sessions keyed by when they were first stored, then provider:sessionId (session.Index)
const SchemaVersion = 3

// refsV1 is the index of references that schema 1 kept.
var refsV1 = []byte("refs")

var keySchema = []byte("schema")

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("bolt: the database is in use by another process (is onestop serve running?)")

// maxGroup bounds how many writes share one commit, so a burst cannot make one transaction, and
// the wait of everyone in it, arbitrarily long.
const maxGroup = 256

// DB is the helpline's bbolt file with a group committer in front of it.
type DB struct {
	// bolt is replaced by Compact; swap guards it against the readers (the commit loop, its only
	// writer, is the goroutine that replaces it).
	bolt *bbolt.DB
	swap sync.RWMutex
	path string

	// Clock is the clock every service on this DB reads (Now); tests replace it.
	Clock func() time.Time

	queue    chan *write
	compacts chan chan error
	closing  chan struct{}
	done     chan struct{}

	// mu orders enqueues before Close: a write that got into the queue is always answered.
	mu     sync.RWMutex
	closed bool

	commits, writes, commitNanos atomic.Uint64
}

// Stats counts the group commits since Open: how many transactions were committed, how many
// writes they carried, and the time spent committing them (running the writes, bbolt's commit
// and its fsyncs). Writes/Commits is the mean group size.
type Stats struct {
	Commits, Writes uint64
	CommitTime      time.Duration
}

// Stats returns the group commit counters.
func (db *DB) Stats() Stats {
	return Stats{Commits: db.commits.Load(), Writes: db.writes.Load(), CommitTime: time.Duration(db.commitNanos.Load())}
}

type write struct {
	fn   func(onestop.Tx) error
	errc chan error
}

// Open opens or creates the database at path, waiting at most timeout for another opener to let
// go of the file lock (ErrLocked then), creates every bucket and checks the schema version.
func Open(path string, timeout time.Duration) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("bolt: %w", err)
	}
	b, err := openLocked(path, timeout)
	if err != nil {
		return nil, err
	}
	if err := b.Update(initialise); err != nil {
		b.Close()
		return nil, err
	}
	db := &DB{
		bolt:     b,
		path:     path,
		Clock:    time.Now,
		queue:    make(chan *write, maxGroup),
		compacts: make(chan chan error),
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	go db.commitLoop()
	return db, nil
}

func initialise(tx *bbolt.Tx) error {
	for _, name := range store.Buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("bolt: bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(store.Meta)
	got := uint64(0) // a new file, or one from before the schema was written
	if v := meta.Get(keySchema); v != nil {
		got = binary.BigEndian.Uint64(v)
		if got > SchemaVersion {
			return fmt.Errorf("bolt: database schema %d is newer than this binary's %d", got, SchemaVersion)
		}
		if got == SchemaVersion {
			return nil
		}
	}
	if tx.Bucket(refsV1) != nil {
		if err := tx.DeleteBucket(refsV1); err != nil {
			return fmt.Errorf("bolt: upgrading to schema 2: %w", err)
		}
	}
	if got < 3 {
		if err := timeSessions(tx); err != nil {
			return fmt.Errorf("bolt: upgrading to schema 3: %w", err)
		}
	}
	return meta.Put(keySchema, store.U64(SchemaVersion))
}

// timeSessions moves the sessions stored before schema 3 under time zero: ahead of every later
// one, and in their order among themselves. Sessions live minutes, so there are few.
func timeSessions(tx *bbolt.Tx) error {
	type record struct{ k, v []byte }
	var old []record
	if err := tx.Bucket(store.Sessions).ForEach(func(k, v []byte) error {
		old = append(old, record{append(make([]byte, 8, 8+len(k)), k...), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	if err := tx.DeleteBucket(store.Sessions); err != nil {
		return err
	}
	b, err := tx.CreateBucket(store.Sessions)
	if err != nil {
		return err
	}
	for _, r := range old {
		if err := b.Put(r.k, r.v); err != nil {
			return err
		}
	}
	return nil
}

// Path is the file's path.
func (db *DB) Path() string { return db.path }

// Now reads the DB's clock.
func (db *DB) Now() time.Time { return db.Clock() }

// View runs fn in a read-only transaction. Byte slices read inside fn are valid only inside it.
// Like bbolt's own, a View must not wait for an Update or open another View inside fn.
func (db *DB) View(ctx context.Context, fn func(onestop.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return closed(db.bolt.View(func(t *bbolt.Tx) error { return fn(tx{t}) }))
}

// closed turns bbolt's word for a closed file into the store's.
func closed(err error) error {
	if errors.Is(err, bbolt.ErrDatabaseNotOpen) {
		return onestop.ErrStoreClosed
	}
	return err
}

// Update runs fn in a write transaction shared with other writers that arrived meanwhile, and
// returns once that transaction is on disk. fn may run more than once (when another write in
// its group fails, the rest are run again without it), so it must only write to tx and to
// variables it overwrites; act on what it produced only after Update returns nil.
//
// A write already queued is waited for even if ctx is cancelled: the caller must know whether
// it was committed.
func (db *DB) Update(ctx context.Context, fn func(onestop.Tx) error) error {
	w := &write{fn: fn, errc: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return onestop.ErrStoreClosed
	}
	select {
	case db.queue <- w:
		db.mu.RUnlock()
	case <-ctx.Done():
		db.mu.RUnlock()
		return ctx.Err()
	}
	return <-w.errc
}

// commitLoop is the only writer. It takes every write that is waiting, runs them in one
// transaction, commits once, and answers each. A lone write starts at once: there is no batch
// delay, because the writes that arrive during one fsync form the next group by themselves.
func (db *DB) commitLoop() {
	defer close(db.done)
	group := make([]*write, 0, maxGroup)
	for {
		select {
		case w := <-db.queue:
			group = append(group[:0], w)
		case errc := <-db.compacts:
			errc <- db.compact()
			continue
		case <-db.closing:
			// Answer anything still queued, then stop.
			for {
				select {
				case w := <-db.queue:
					db.commit([]*write{w})
				default:
					return
				}
			}
		}
	more:
		for len(group) < maxGroup {
			select {
			case w := <-db.queue:
				group = append(group, w)
			default:
				break more
			}
		}
		db.commit(group)
	}
}

// commit runs group in one transaction. A write whose fn fails (or panics) is answered with its
// error and the rest are run again in a fresh transaction, so one bad write never takes others
// down and never leaves half of itself behind.
func (db *DB) commit(group []*write) {
	start := time.Now()
	defer func() { db.commitNanos.Add(uint64(time.Since(start))) }()
	for len(group) > 0 {
		failed, ferr := -1, error(nil)
		err := db.bolt.Update(func(t *bbolt.Tx) error {
			for i, w := range group {
				if err := run(w.fn, tx{t}); err != nil {
					failed, ferr = i, err
					return err
				}
			}
			return nil
		})
		if failed >= 0 {
			group[failed].errc <- ferr
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		db.commits.Add(1)
		db.writes.Add(uint64(len(group)))
		for _, w := range group {
			w.errc <- err
		}
		return
	}
}

func run(fn func(onestop.Tx) error, tx onestop.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("bolt: write panicked: %v", r)
		}
	}()
	return fn(tx)
}

// Close stops taking writes, finishes those already queued and closes the file.
func (db *DB) Close() error {
	db.mu.Lock()
	if db.closed {
		db.mu.Unlock()
		return nil
	}
	db.closed = true
	db.mu.Unlock()
	close(db.closing)
	<-db.done
	return db.bolt.Close()
}

// Check runs bbolt's consistency check over the whole file and returns what it found, nil when
// the file is sound: the kill test's last word on a file that lived through many crashes.
func (db *DB) Check() []error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	var found []error
	err := db.bolt.View(func(t *bbolt.Tx) error {
		for err := range t.Check() {
			found = append(found, err)
		}
		return nil
	})
	if err != nil {
		found = append(found, err)
	}
	return found
}

// Backup writes a consistent copy of the whole file to w, taken in one read transaction while
// writers carry on (bbolt's hot copy), and returns its size. What was sealed stays sealed: the
// copy is the file's bytes, opened only with the same key.
func (db *DB) Backup(ctx context.Context, w io.Writer) (int64, error) {
	db.swap.RLock()
	defer db.swap.RUnlock()
	var n int64
	err := db.bolt.View(func(t *bbolt.Tx) (err error) {
		n, err = t.WriteTo(ctxWriter{ctx, w})
		return err
	})
	return n, closed(err)
}

// ctxWriter stops a copy when its context ends.
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
}

func (c ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.w.Write(p)
}
