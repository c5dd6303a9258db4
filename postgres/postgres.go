// Package postgres is the helpline's store on a PostgreSQL database, for running two or more
// gateways on one set of data. It implements onestop.Store with the guarantees bolt gives in one
// process, across every process on the database:
//
//   - every Update takes one transaction-scoped advisory lock before its first statement, so
//     writes are serialised across all gateways exactly as bbolt serialises them in one
//     process, and a write set commits whole or not at all;
//   - every View runs in a REPEATABLE READ READ ONLY transaction: one consistent state;
//   - writes that arrive while another is committing share its transaction and its fsync (group
//     commit, as in bolt), and a failing one is taken out and the rest run again without it.
//
// The data is two tables: onestop_buckets (an id and a sequence per bucket) and onestop_kv
// (bucket, key, value or nested bucket; primary key (bucket, key)). Top-level buckets are rows
// of bucket 0. Keys are bytea, which PostgreSQL orders byte by byte, so cursors walk in the
// store's order; they fetch in batches by keyset and see the transaction's own writes.
//
// A key must be shorter than about 2,700 bytes, the most a PostgreSQL b-tree index entry holds
// (bbolt allows 32 KiB); the services' keys are IDs, times and keyed hashes of a few dozen.
//
// Like bolt it knows no record: it holds exactly the bytes it is given (ciphertext and keyed
// hashes where the services seal them), in the layout of package store.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Advisory lock keys. They are per database, so several helplines may share one server.
const (
	writeLock   int64 = 0x6f6e6573746f7001 // "onestop" 1: held by every Update's transaction
	migrateLock int64 = 0x6f6e6573746f7002 // "onestop" 2: held while the schema is brought up to date
)

// maxGroup bounds how many writes share one transaction, as in bolt.
const maxGroup = 256

// Errors a transaction returns for what the contract forbids.
var (
	ErrReadOnly      = errors.New("postgres: write in a read-only transaction")
	ErrKeyRequired   = errors.New("postgres: key required")
	ErrIncompatible  = errors.New("postgres: the key names a nested bucket, or a value where a bucket was asked for")
	ErrBucketExists  = errors.New("postgres: bucket already exists")
	ErrBucketMissing = errors.New("postgres: bucket not found")
	ErrNotEmpty      = errors.New("postgres: the destination database already holds data")
)

// DB is the helpline's store on one PostgreSQL database.
type DB struct {
	pool *pgxpool.Pool

	// Clock is the clock every service on this DB reads (Now); tests replace it.
	Clock func() time.Time

	queue   chan *write
	closing chan struct{}
	done    chan struct{}

	mu     sync.RWMutex
	closed bool

	commits, writes, commitNanos atomic.Uint64
}

// Stats counts the group commits since Open, as bolt.Stats does.
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

// Option changes how Open connects.
type Option func(*pgxpool.Config)

// MaxConns bounds the connections this process keeps to the database (default: pgx's, the
// larger of 4 and the number of CPUs; the URL's pool_max_conns also sets it).
func MaxConns(n int32) Option { return func(c *pgxpool.Config) { c.MaxConns = n } }

// Open connects to the database at url (postgres://user:password@host/dbname?sslmode=…, or any
// form pgx accepts), brings its schema up to date under an advisory lock, so that gateways
// starting together do not race, and creates every bucket of store.Buckets.
func Open(ctx context.Context, url string, opts ...Option) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	for _, o := range opts {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if _, err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	db := &DB{
		pool:    pool,
		Clock:   time.Now,
		queue:   make(chan *write, maxGroup),
		closing: make(chan struct{}),
		done:    make(chan struct{}),
	}
	go db.commitLoop()
	if err := db.Update(ctx, func(tx onestop.Tx) error {
		for _, name := range store.Buckets {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("postgres: bucket %s: %w", name, err)
			}
		}
		return nil
	}); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Now reads the DB's clock.
func (db *DB) Now() time.Time { return db.Clock() }

// View runs fn in a REPEATABLE READ READ ONLY transaction. Byte slices read inside fn are
// valid only inside it.
func (db *DB) View(ctx context.Context, fn func(onestop.Tx) error) (err error) {
	db.mu.RLock()
	closed := db.closed
	db.mu.RUnlock()
	if closed {
		return onestop.ErrStoreClosed
	}
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return db.storeErr(err)
	}
	// A connection left inside a transaction is destroyed by Release rather than reused.
	defer conn.Release()
	t := &tx{pg: conn, ctx: ctx}
	if err := t.begin("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"); err != nil {
		return db.storeErr(err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	if err := fn(t); err != nil {
		return err
	}
	if t.err != nil {
		return db.storeErr(t.err)
	}
	return nil
}

// storeErr turns a closed pool's error into the store's.
func (db *DB) storeErr(err error) error {
	db.mu.RLock()
	defer db.mu.RUnlock()
	if db.closed {
		return onestop.ErrStoreClosed
	}
	return fmt.Errorf("postgres: %w", err)
}

// Update runs fn in a write transaction shared with other writers of this process that arrived
// meanwhile, holding the advisory lock every writer of the database takes, and returns once the
// transaction has committed. fn may run more than once (when another write in its group fails,
// the rest are run again without it).
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

// commitLoop is this process's only writer: it takes every write waiting, runs them in one
// transaction and commits once. A lone write starts at once.
func (db *DB) commitLoop() {
	defer close(db.done)
	group := make([]*write, 0, maxGroup)
	for {
		select {
		case w := <-db.queue:
			group = append(group[:0], w)
		case <-db.closing:
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

// commit runs group in one transaction. A write whose fn fails (or panics, or meets a store
// error) is answered with its error and the rest run again in a fresh transaction.
func (db *DB) commit(group []*write) {
	start := time.Now()
	defer func() { db.commitNanos.Add(uint64(time.Since(start))) }()
	ctx := context.Background()
	for len(group) > 0 {
		failed, ferr := -1, error(nil)
		conn, err := db.pool.Acquire(ctx)
		t := &tx{pg: conn, ctx: ctx, writable: true}
		if err == nil {
			err = t.begin("BEGIN", "SELECT pg_advisory_xact_lock($1)", writeLock)
		}
		if err != nil {
			if conn != nil {
				conn.Release()
			}
			for _, w := range group {
				w.errc <- fmt.Errorf("postgres: %w", err)
			}
			return
		}
		for i, w := range group {
			if err := run(w.fn, t); err != nil {
				failed, ferr = i, err
				break
			}
			if t.err != nil {
				failed, ferr = i, fmt.Errorf("postgres: %w", t.err)
				break
			}
		}
		if failed >= 0 {
			conn.Exec(ctx, "ROLLBACK")
			conn.Release()
			group[failed].errc <- ferr
			group = append(group[:failed:failed], group[failed+1:]...)
			continue
		}
		_, err = conn.Exec(ctx, "COMMIT")
		conn.Release()
		if err != nil {
			for _, w := range group {
				w.errc <- fmt.Errorf("postgres: commit: %w", err)
			}
			return
		}
		db.commits.Add(1)
		db.writes.Add(uint64(len(group)))
		for _, fn := range t.onCommit {
			fn()
		}
		for _, w := range group {
			w.errc <- nil
		}
		return
	}
}

func run(fn func(onestop.Tx) error, t *tx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("postgres: write panicked: %v", r)
		}
	}()
	return fn(t)
}

// Close stops taking writes, finishes those already queued and closes the connections.
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
	db.pool.Close()
	return nil
}

// tx is one transaction. A statement that fails leaves PostgreSQL's transaction aborted, so the
// first such error is kept in err and every later call answers nothing; Update and View then
// return it.
type tx struct {
	pg       querier
	ctx      context.Context
	writable bool
	err      error
	gen      uint64           // counts writes, so cursors know their batch may be stale
	roots    map[string]int64 // top-level buckets by name, read once per transaction
	onCommit []func()
}

// querier is what a transaction sends its statements on: a pooled connection inside BEGIN, or
// Copy's pgx.Tx.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	SendBatch(ctx context.Context, b *pgx.Batch) pgx.BatchResults
	CopyFrom(ctx context.Context, table pgx.Identifier, columns []string, src pgx.CopyFromSource) (int64, error)
}

// begin opens the transaction with the statement begin (and lock, when given, with its
// argument) and reads the top-level buckets, all in one round trip.
func (t *tx) begin(begin string, lock ...any) error {
	var b pgx.Batch
	b.Queue(begin)
	if len(lock) > 0 {
		b.Queue(lock[0].(string), lock[1:]...)
	}
	roots := map[string]int64{}
	b.Queue("SELECT key, child FROM onestop_kv WHERE bucket = 0 AND child IS NOT NULL").Query(func(rows pgx.Rows) error {
		var k []byte
		var id int64
		_, err := pgx.ForEachRow(rows, []any{&k, &id}, func() error {
			roots[string(k)] = id
			return nil
		})
		return err
	})
	if err := t.pg.SendBatch(t.ctx, &b).Close(); err != nil {
		return err
	}
	t.roots = roots
	return nil
}

func (t *tx) fail(err error) {
	if t.err == nil && err != nil {
		t.err = err
	}
}

func (t *tx) Writable() bool     { return t.writable }
func (t *tx) OnCommit(fn func()) { t.onCommit = append(t.onCommit, fn) }

func (t *tx) root() *bucket { return &bucket{t: t, id: 0} }

// loadRoots reads every top-level bucket in one statement: a transaction touches several.
func (t *tx) loadRoots() {
	if t.roots != nil || t.err != nil {
		return
	}
	rows, err := t.pg.Query(t.ctx, "SELECT key, child FROM onestop_kv WHERE bucket = 0 AND child IS NOT NULL")
	if err != nil {
		t.fail(err)
		return
	}
	roots := map[string]int64{}
	var k []byte
	var id int64
	_, err = pgx.ForEachRow(rows, []any{&k, &id}, func() error {
		roots[string(k)] = id
		return nil
	})
	if err != nil {
		t.fail(err)
		return
	}
	t.roots = roots
}

func (t *tx) Bucket(name []byte) onestop.Bucket {
	t.loadRoots()
	if id, ok := t.roots[string(name)]; ok {
		return &bucket{t: t, id: id}
	}
	return nil
}

func (t *tx) CreateBucket(name []byte) (onestop.Bucket, error) {
	b, err := t.root().createBucket(name, false)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (t *tx) CreateBucketIfNotExists(name []byte) (onestop.Bucket, error) {
	b, err := t.root().createBucket(name, true)
	if err != nil {
		return nil, err
	}
	return b, nil
}

func (t *tx) DeleteBucket(name []byte) error { return t.root().DeleteBucket(name) }

// bucket is one bucket of a transaction; id 0 is the root, whose keys are the top-level buckets.
type bucket struct {
	t  *tx
	id int64
}

func (b *bucket) check(write bool, key []byte) error {
	if b.t.err != nil {
		return b.t.err
	}
	if write && !b.t.writable {
		return ErrReadOnly
	}
	if len(key) == 0 {
		return ErrKeyRequired
	}
	return nil
}

// lookup returns what key holds: its value, or the id of the nested bucket it names.
func (b *bucket) lookup(key []byte) (v []byte, child int64, found bool) {
	if b.t.err != nil {
		return nil, 0, false
	}
	var c *int64
	err := b.t.pg.QueryRow(b.t.ctx, "SELECT value, child FROM onestop_kv WHERE bucket = $1 AND key = $2", b.id, key).Scan(&v, &c)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, 0, false
	}
	if err != nil {
		b.t.fail(err)
		return nil, 0, false
	}
	if c != nil {
		return nil, *c, true
	}
	if v == nil {
		v = []byte{}
	}
	return v, 0, true
}

func (b *bucket) Get(key []byte) []byte {
	if len(key) == 0 {
		return nil
	}
	v, _, _ := b.lookup(key)
	return v
}

func (b *bucket) Put(key, value []byte) error {
	if err := b.check(true, key); err != nil {
		return err
	}
	if value == nil {
		value = []byte{}
	}
	tag, err := b.t.pg.Exec(b.t.ctx, `INSERT INTO onestop_kv (bucket, key, value) VALUES ($1, $2, $3)
		ON CONFLICT (bucket, key) DO UPDATE SET value = excluded.value WHERE onestop_kv.child IS NULL`, b.id, key, value)
	if err != nil {
		b.t.fail(err)
		return err
	}
	b.t.gen++
	if tag.RowsAffected() == 0 {
		return ErrIncompatible
	}
	return nil
}

func (b *bucket) Delete(key []byte) error {
	if err := b.check(true, key); err != nil {
		return err
	}
	b.t.gen++
	tag, err := b.t.pg.Exec(b.t.ctx, "DELETE FROM onestop_kv WHERE bucket = $1 AND key = $2 AND child IS NULL", b.id, key)
	if err != nil {
		b.t.fail(err)
		return err
	}
	if tag.RowsAffected() == 0 {
		if _, child, found := b.lookup(key); found && child != 0 {
			return ErrIncompatible
		}
	}
	return b.t.err
}

func (b *bucket) Cursor() onestop.Cursor { return &cursor{b: b} }

func (b *bucket) ForEach(fn func(k, v []byte) error) error {
	c := &cursor{b: b}
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return b.t.err
}

func (b *bucket) NextSequence() (uint64, error) {
	if b.t.err != nil {
		return 0, b.t.err
	}
	if !b.t.writable {
		return 0, ErrReadOnly
	}
	var seq int64
	if err := b.t.pg.QueryRow(b.t.ctx, "UPDATE onestop_buckets SET seq = seq + 1 WHERE id = $1 RETURNING seq", b.id).Scan(&seq); err != nil {
		b.t.fail(err)
		return 0, err
	}
	b.t.gen++
	return uint64(seq), nil
}

func (b *bucket) Sequence() uint64 {
	if b.t.err != nil {
		return 0
	}
	var seq int64
	if err := b.t.pg.QueryRow(b.t.ctx, "SELECT seq FROM onestop_buckets WHERE id = $1", b.id).Scan(&seq); err != nil {
		b.t.fail(err)
		return 0
	}
	return uint64(seq)
}

func (b *bucket) Len() int {
	if b.t.err != nil {
		return 0
	}
	var n int64
	if err := b.t.pg.QueryRow(b.t.ctx, "SELECT count(*) FROM onestop_kv WHERE bucket = $1", b.id).Scan(&n); err != nil {
		b.t.fail(err)
		return 0
	}
	return int(n)
}

func (b *bucket) Bucket(name []byte) onestop.Bucket {
	if len(name) == 0 {
		return nil
	}
	if _, child, found := b.lookup(name); found && child != 0 {
		return &bucket{t: b.t, id: child}
	}
	return nil
}

func (b *bucket) CreateBucket(name []byte) (onestop.Bucket, error) {
	n, err := b.createBucket(name, false)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (b *bucket) CreateBucketIfNotExists(name []byte) (onestop.Bucket, error) {
	n, err := b.createBucket(name, true)
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (b *bucket) createBucket(name []byte, existing bool) (*bucket, error) {
	if err := b.check(true, name); err != nil {
		return nil, err
	}
	if _, child, found := b.lookup(name); found {
		switch {
		case child == 0:
			return nil, ErrIncompatible
		case !existing:
			return nil, ErrBucketExists
		}
		return &bucket{t: b.t, id: child}, nil
	}
	if b.t.err != nil {
		return nil, b.t.err
	}
	var id int64
	err := b.t.pg.QueryRow(b.t.ctx, `WITH n AS (INSERT INTO onestop_buckets DEFAULT VALUES RETURNING id)
		INSERT INTO onestop_kv (bucket, key, child) SELECT $1, $2, id FROM n RETURNING child`, b.id, name).Scan(&id)
	if err != nil {
		b.t.fail(err)
		return nil, err
	}
	b.t.gen++
	if b.id == 0 && b.t.roots != nil {
		b.t.roots[string(name)] = id
	}
	return &bucket{t: b.t, id: id}, nil
}

func (b *bucket) DeleteBucket(name []byte) error {
	if err := b.check(true, name); err != nil {
		return err
	}
	_, child, found := b.lookup(name)
	if b.t.err != nil {
		return b.t.err
	}
	if !found {
		return ErrBucketMissing
	}
	if child == 0 {
		return ErrIncompatible
	}
	_, err := b.t.pg.Exec(b.t.ctx, `WITH RECURSIVE d(id) AS (
			SELECT $3::bigint
			UNION ALL SELECT k.child FROM onestop_kv k JOIN d ON k.bucket = d.id WHERE k.child IS NOT NULL
		), kv AS (DELETE FROM onestop_kv WHERE bucket IN (SELECT id FROM d)),
		bs AS (DELETE FROM onestop_buckets WHERE id IN (SELECT id FROM d))
		DELETE FROM onestop_kv WHERE bucket = $1 AND key = $2`, b.id, name, child)
	if err != nil {
		b.t.fail(err)
		return err
	}
	b.t.gen++
	if b.id == 0 && b.t.roots != nil {
		delete(b.t.roots, string(name))
	}
	return nil
}

// row is one key of a cursor's batch; v is nil for a nested bucket.
type row struct{ k, v []byte }

// cursor walks a bucket by keyset: each batch is the next keys after (or before) the one it is
// on, in order. A batch is dropped when the transaction has written since it was read.
type cursor struct {
	b    *bucket
	rows []row
	i    int    // the position in rows
	desc bool   // rows run backwards
	end  bool   // rows reach the end in their direction
	gen  uint64 // the transaction's write count when rows were read
	key  []byte // the key the cursor is on; nil when off either end
	n    int    // the next batch's size
}

const (
	firstBatch = 16
	maxBatch   = 1024
)

// fetch reads a batch: op is one of >=, >, < (desc), or "" for the last keys (desc). It lands
// on the batch's first key; when there is none it returns nil and leaves the cursor where it
// was, for its caller to place.
func (c *cursor) fetch(op string, key []byte) (k, v []byte) {
	c.rows, c.i = c.rows[:0], 0
	t := c.b.t
	if t.err != nil {
		return nil, nil
	}
	if c.n == 0 {
		c.n = firstBatch
	}
	var q string
	args := []any{c.b.id, c.n}
	switch op {
	case ">=", ">":
		q = "SELECT key, value, child IS NOT NULL FROM onestop_kv WHERE bucket = $1 AND key " + op + " $3 ORDER BY key LIMIT $2"
		args = append(args, key)
		c.desc = false
	case "<":
		q = "SELECT key, value, child IS NOT NULL FROM onestop_kv WHERE bucket = $1 AND key < $3 ORDER BY key DESC LIMIT $2"
		args = append(args, key)
		c.desc = true
	default:
		q = "SELECT key, value, child IS NOT NULL FROM onestop_kv WHERE bucket = $1 ORDER BY key DESC LIMIT $2"
		c.desc = true
	}
	rows, err := t.pg.Query(t.ctx, q, args...)
	if err != nil {
		t.fail(err)
		return nil, nil
	}
	var rk, rv []byte
	var nested bool
	_, err = pgx.ForEachRow(rows, []any{&rk, &rv, &nested}, func() error {
		r := row{k: rk, v: rv}
		if !nested && r.v == nil {
			r.v = []byte{}
		}
		if nested {
			r.v = nil
		}
		c.rows = append(c.rows, r)
		rk, rv = nil, nil
		return nil
	})
	if err != nil {
		t.fail(err)
		c.rows = c.rows[:0]
		return nil, nil
	}
	c.end = len(c.rows) < c.n
	c.gen = t.gen
	if c.n < maxBatch {
		c.n *= 4
	}
	if len(c.rows) == 0 {
		return nil, nil
	}
	c.key = c.rows[0].k
	return c.rows[0].k, c.rows[0].v
}

func (c *cursor) First() (k, v []byte) {
	c.n, c.key = 0, nil
	return c.fetch(">=", []byte{})
}

func (c *cursor) Last() (k, v []byte) {
	c.n, c.key = 0, nil
	return c.fetch("", nil)
}

// Seek lands on key or the first key after it. When there is none the cursor stays just before
// key, as bbolt's does: Prev then gives the last key below it.
func (c *cursor) Seek(key []byte) (k, v []byte) {
	c.n = 0
	c.key = append([]byte{}, key...)
	return c.fetch(">=", c.key)
}

// step moves one key on in the direction desc, from the batch when it is still good. Past
// either end it returns nil and stays on the key it was on, as bbolt's cursor does, so that a
// move back the other way starts from there.
func (c *cursor) step(desc bool) (k, v []byte) {
	if c.key == nil {
		return nil, nil
	}
	if c.desc == desc && c.gen == c.b.t.gen && len(c.rows) > 0 {
		if c.i+1 < len(c.rows) {
			c.i++
			r := c.rows[c.i]
			c.key = r.k
			return r.k, r.v
		}
		if c.end {
			return nil, nil
		}
	} else {
		c.n = 0
	}
	if desc {
		return c.fetch("<", c.key)
	}
	return c.fetch(">", c.key)
}

func (c *cursor) Next() (k, v []byte) { return c.step(false) }
func (c *cursor) Prev() (k, v []byte) { return c.step(true) }

// Delete removes the key the cursor is on; the next Next fetches after it.
func (c *cursor) Delete() error {
	if c.key == nil {
		return ErrKeyRequired
	}
	if err := c.b.Delete(c.key); err != nil {
		return err
	}
	c.b.t.gen++
	return nil
}
