package onestop

import (
	"context"
	"time"
)

// Store is the helpline's durable storage: named buckets of keys and values kept in key order,
// read and changed only inside transactions. The session, casebook, outbox, staff and directory
// services keep their records in it, each in buckets of its own and in encodings of its own, so
// that a store implementation knows no record and every implementation holds the same bytes.
//
// bolt implements it on one bbolt file; any other implementation must pass storetest.
type Store interface {
	// View runs fn in a read-only transaction that sees one consistent state. Byte slices read
	// inside fn are valid only inside it. fn must not call Update or View.
	//
	// Returns ErrStoreClosed once the store is closed, fn's own error unchanged, or the
	// store's error when it cannot be read.
	View(ctx context.Context, fn func(Tx) error) error

	// Update runs fn in a read-write transaction and returns only once its writes are durable.
	// Either all of fn's writes are committed or none is. fn may run more than once (an
	// implementation may share a transaction among writers and run the others again without one
	// that failed), so it must only write to the transaction and to variables it overwrites;
	// act on what it produced only after Update returns nil.
	//
	// Returns ErrStoreClosed once the store is closed, ctx's error when ctx ends before the
	// write was queued (nothing was written), fn's own error unchanged (nothing was written), or
	// the store's error when the commit failed (nothing was written).
	Update(ctx context.Context, fn func(Tx) error) error

	// Now is the clock every service on this store reads, so that tests can move time.
	Now() time.Time
}

// ErrStoreClosed is returned by a Store once it is closed.
var ErrStoreClosed = &Error{Code: EUNAVAILABLE, Message: "The store is closed."}

// Tx is one transaction of a Store. It is valid only inside the function it was given to.
type Tx interface {
	// Bucket returns the top-level bucket name, or nil when there is none.
	Bucket(name []byte) Bucket
	// CreateBucket creates the top-level bucket name; it fails when one exists.
	CreateBucket(name []byte) (Bucket, error)
	// CreateBucketIfNotExists returns the top-level bucket name, creating it when absent.
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket deletes the top-level bucket name and everything in it.
	DeleteBucket(name []byte) error
	// Writable reports whether this is an Update's transaction.
	Writable() bool
	// OnCommit runs fn after the transaction has committed durably, and never if it did not.
	OnCommit(fn func())
}

// Bucket is a set of keys and values kept in byte order of the keys; a key may instead name a
// nested bucket. Writes fail in a read-only transaction.
type Bucket interface {
	// Get returns the value of key, or nil when there is none or key names a nested bucket.
	Get(key []byte) []byte
	// Put sets key's value. Neither may be changed by the caller until the transaction ends.
	Put(key, value []byte) error
	// Delete removes key; removing an absent key is not an error.
	Delete(key []byte) error
	// Cursor returns a cursor over the bucket's keys in byte order.
	Cursor() Cursor
	// ForEach calls fn for every key in order (v is nil for a nested bucket), stopping at fn's
	// first error, which it returns. fn must not change the bucket.
	ForEach(fn func(k, v []byte) error) error
	// NextSequence returns the bucket's next value of a counter that starts at 1 and never
	// repeats within the bucket's life.
	NextSequence() (uint64, error)
	// Sequence returns the counter's latest value: 0 before the first NextSequence.
	Sequence() uint64
	// Len counts the bucket's keys, nested buckets included.
	Len() int

	// Bucket returns the nested bucket name, or nil when there is none.
	Bucket(name []byte) Bucket
	// CreateBucket creates the nested bucket name; it fails when one exists.
	CreateBucket(name []byte) (Bucket, error)
	// CreateBucketIfNotExists returns the nested bucket name, creating it when absent.
	CreateBucketIfNotExists(name []byte) (Bucket, error)
	// DeleteBucket deletes the nested bucket name and everything in it.
	DeleteBucket(name []byte) error
}

// Cursor walks a bucket's keys in byte order. Each move returns the key and value it lands on,
// or nil keys past either end; the value is nil when the key names a nested bucket.
type Cursor interface {
	First() (k, v []byte)
	Last() (k, v []byte)
	Next() (k, v []byte)
	Prev() (k, v []byte)
	// Seek moves to key, or to the first key after it when it is absent.
	Seek(key []byte) (k, v []byte)
	// Delete removes the key the cursor is on; the next Next moves to the key after it.
	Delete() error
}
