// Package store owns the bbolt file: opening it without hanging on a second opener's lock,
// creating every bucket, and committing writes in groups so that many callers' hops share one
// fsync. The session, casebook and outbox services keep their records in it.
//
// It must never acknowledge a write before bbolt has committed it to disk, and it never runs in a
// no-sync mode.
package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/bbolt"
)

// Bucket names, one place for all of them so Open can create every one in a single transaction.
var (
	Meta     = []byte("meta")
	Sessions = []byte("sessions") // USSD session state, by when first stored and provider:sessionId
	Prefs    = []byte("prefs")    // a caller's remembered choices, by keyed hash of her number
	Contacts = []byte("contacts") // contacts, by 8-byte ID

	Areas     = []byte("areas")     // the operator's imported directory, replacing the embedded one
	Referrals = []byte("referrals") // community workers' referrals, by 8-byte ID
	Workers   = []byte("workers")   // registered community workers, by keyed hash of their number
	Officials = []byte("officials") // officials to alert per district
	Duty      = []byte("duty")      // the on-duty counsellor
	Inbound   = []byte("inbound")   // aggregator message ids already handled, for idempotency
	Outbox    = []byte("outbox")    // outbound messages and calls, by 8-byte sequence
	Callbacks = []byte("callbacks") // callback tasks from Safe Contact Plans
	Users     = []byte("users")     // console users
	Logins    = []byte("logins")    // console login sessions
	Audit     = []byte("audit")     // the append-only, hash-chained audit log

	DoNotContact = []byte("donotcontact") // numbers not to be contacted, by keyed hash, until when
	Urgent       = []byte("urgent")       // urgent contacts' follow-ups: acknowledgement, escalation, problems
)

var buckets = [][]byte{Meta, Sessions, Prefs, Contacts, Areas, Referrals, Workers, Officials, Duty,
	Inbound, Outbox, Callbacks, Users, Logins, Audit, DoNotContact, Urgent}

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

// ErrClosed is returned by Update once Close has begun.
var ErrClosed = errors.New("store: closed")

// ErrLocked is returned by Open when another process holds the file.
var ErrLocked = errors.New("store: the database is in use by another process (is onestop serve running?)")

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

	// Now is the clock every service on this DB uses; tests replace it.
	Now func() time.Time

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
	fn   func(*bbolt.Tx) error
	errc chan error
}

// Open opens or creates the database at path, waiting at most timeout for another opener to let
// go of the file lock (ErrLocked then), creates every bucket and checks the schema version.
func Open(path string, timeout time.Duration) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("store: %w", err)
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
		Now:      time.Now,
		queue:    make(chan *write, maxGroup),
		compacts: make(chan chan error),
		closing:  make(chan struct{}),
		done:     make(chan struct{}),
	}
	go db.commitLoop()
	return db, nil
}

func initialise(tx *bbolt.Tx) error {
	for _, name := range buckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("store: bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(Meta)
	got := uint64(0) // a new file, or one from before the schema was written
	if v := meta.Get(keySchema); v != nil {
		got = binary.BigEndian.Uint64(v)
		if got > SchemaVersion {
			return fmt.Errorf("store: database schema %d is newer than this binary's %d", got, SchemaVersion)
		}
		if got == SchemaVersion {
			return nil
		}
	}
	if tx.Bucket(refsV1) != nil {
		if err := tx.DeleteBucket(refsV1); err != nil {
			return fmt.Errorf("store: upgrading to schema 2: %w", err)
		}
	}
	if got < 3 {
		if err := timeSessions(tx); err != nil {
			return fmt.Errorf("store: upgrading to schema 3: %w", err)
		}
	}
	return meta.Put(keySchema, U64(SchemaVersion))
}

// timeSessions moves the sessions stored before schema 3 under time zero: ahead of every later
// one, and in their order among themselves. Sessions live minutes, so there are few.
func timeSessions(tx *bbolt.Tx) error {
	type record struct{ k, v []byte }
	var old []record
	if err := tx.Bucket(Sessions).ForEach(func(k, v []byte) error {
		old = append(old, record{append(make([]byte, 8, 8+len(k)), k...), bytes.Clone(v)})
		return nil
	}); err != nil {
		return err
	}
	if err := tx.DeleteBucket(Sessions); err != nil {
		return err
	}
	b, err := tx.CreateBucket(Sessions)
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

// Bolt exposes the bbolt handle for hot backups (Tx.WriteTo) and for reads. It is valid only
// until the next Compact, which replaces it; View is the way to read that outlives one.
func (db *DB) Bolt() *bbolt.DB {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt
}

// View runs fn in a read-only transaction. Byte slices read inside fn are valid only inside it.
// Like bbolt's own, a View must not wait for an Update or open another View inside fn.
func (db *DB) View(fn func(*bbolt.Tx) error) error {
	db.swap.RLock()
	defer db.swap.RUnlock()
	return db.bolt.View(fn)
}

// Update runs fn in a write transaction shared with other writers that arrived meanwhile, and
// returns once that transaction is on disk. fn may run more than once (when another write in
// its group fails, the rest are run again without it), so it must only write to tx and to
// variables it overwrites; act on what it produced only after Update returns nil.
//
// A write already queued is waited for even if ctx is cancelled: the caller must know whether
// it was committed.
func (db *DB) Update(ctx context.Context, fn func(*bbolt.Tx) error) error {
	w := &write{fn: fn, errc: make(chan error, 1)}
	db.mu.RLock()
	if db.closed {
		db.mu.RUnlock()
		return ErrClosed
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
		err := db.bolt.Update(func(tx *bbolt.Tx) error {
			for i, w := range group {
				if err := run(w.fn, tx); err != nil {
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

func run(fn func(*bbolt.Tx) error, tx *bbolt.Tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: write panicked: %v", r)
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

// U64 encodes v as 8 big-endian bytes, so that keys sort in numeric order.
func U64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// Writable reports whether a write can be committed now: the health check's question.
func (db *DB) Writable(ctx context.Context) error {
	return db.Update(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(Meta).Put([]byte("health"), U64(uint64(db.Now().UnixNano())))
	})
}

// The meta entries that say whose data this file holds.
var (
	// keyKeyCheck is the sealing key's check value (seal.Box.Check), written when first absent.
	keyKeyCheck = []byte("keycheck")
	// keySimulated marks a file made by a simulation (onestop serve --simulate).
	keySimulated = []byte("simulated")
)

// ErrWrongKey is returned when the sealing key's check value is not the one the file keeps: the
// key would not open the data, and anything sealed under it could never be read with the rest.
var ErrWrongKey = errors.New("store: the sealing key does not open this database (its check value differs)")

// ErrNoKeyCheck is returned by KeyFits when the file keeps no check value to compare with.
var ErrNoKeyCheck = errors.New("store: the database keeps no check value for its sealing key")

// ErrRealContacts is returned by MarkSimulated when the file already holds records a simulation
// did not make.
var ErrRealContacts = errors.New("store: the database holds a real helpline's records")

// CheckKey compares check, the sealing key's check value, with the one the file keeps, and
// writes it when the file keeps none yet (a new file, or one from before check values). It
// returns ErrWrongKey when they differ, and then changes nothing.
func (db *DB) CheckKey(ctx context.Context, check []byte) error {
	if len(check) == 0 {
		return errors.New("store: an empty key check value")
	}
	if err := db.KeyFits(check); !errors.Is(err, ErrNoKeyCheck) {
		return err
	}
	return db.Update(ctx, func(tx *bbolt.Tx) error {
		meta := tx.Bucket(Meta)
		if v := meta.Get(keyKeyCheck); v != nil {
			if !hmac.Equal(v, check) {
				return ErrWrongKey
			}
			return nil
		}
		return meta.Put(keyKeyCheck, bytes.Clone(check))
	})
}

// KeyFits reports whether check is the check value the file keeps, without writing: the health
// check's question. ErrWrongKey when it differs, ErrNoKeyCheck when there is none.
func (db *DB) KeyFits(check []byte) error {
	return db.View(func(tx *bbolt.Tx) error {
		v := tx.Bucket(Meta).Get(keyKeyCheck)
		switch {
		case v == nil:
			return ErrNoKeyCheck
		case !hmac.Equal(v, check):
			return ErrWrongKey
		}
		return nil
	})
}

// HoldsSealedData reports whether the file holds anything a sealing key was used for: a key
// check value, or any record outside the meta entries and the operator's directory. With such a
// file, a missing key is lost, not new, and must never be replaced by a new one.
func (db *DB) HoldsSealedData() (bool, error) {
	held := false
	err := db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket(Meta).Get(keyKeyCheck) != nil {
			held = true
			return nil
		}
		for _, name := range buckets {
			if bytes.Equal(name, Meta) || bytes.Equal(name, Areas) {
				continue
			}
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				held = true
				return nil
			}
		}
		return nil
	})
	return held, err
}

// Simulated reports whether the file was made by a simulation: every contact in it is made up,
// and nothing queued in it may ever go to a person.
func (db *DB) Simulated() (bool, error) {
	sim := false
	err := db.View(func(tx *bbolt.Tx) error {
		sim = tx.Bucket(Meta).Get(keySimulated) != nil
		return nil
	})
	return sim, err
}

// MarkSimulated marks the file as a simulation's. It returns ErrRealContacts, changing nothing,
// when the file is not marked yet and already holds any record outside the meta entries and the
// operator's directory (a contact, a referral, a message, a console user, an official…): a
// simulation starts only on a file of its own, so real records can never be passed off as
// simulated ones, and a real helpline's file never becomes a simulation's.
func (db *DB) MarkSimulated(ctx context.Context) error {
	return db.Update(ctx, func(tx *bbolt.Tx) error {
		meta := tx.Bucket(Meta)
		if meta.Get(keySimulated) != nil {
			return nil
		}
		for _, name := range buckets {
			if bytes.Equal(name, Meta) || bytes.Equal(name, Areas) {
				continue
			}
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				return fmt.Errorf("%w (%s)", ErrRealContacts, name)
			}
		}
		return meta.Put(keySimulated, U64(uint64(db.Now().Unix())))
	})
}
