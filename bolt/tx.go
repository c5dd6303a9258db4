package bolt

import (
	"bytes"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// tx, bucket and cursor give bbolt's own types the store's interfaces. Each holds one pointer,
// so that turning it into an interface value allocates nothing on a hop's path.
type tx struct{ t *bbolt.Tx }

func (t tx) Bucket(name []byte) onestop.Bucket { return wrap(t.t.Bucket(name), name) }

func (t tx) CreateBucket(name []byte) (onestop.Bucket, error) {
	b, err := t.t.CreateBucket(name)
	return wrap(b, name), err
}

func (t tx) CreateBucketIfNotExists(name []byte) (onestop.Bucket, error) {
	b, err := t.t.CreateBucketIfNotExists(name)
	return wrap(b, name), err
}

func (t tx) DeleteBucket(name []byte) error { return t.t.DeleteBucket(name) }
func (t tx) Writable() bool                 { return t.t.Writable() }
func (t tx) OnCommit(fn func())             { t.t.OnCommit(fn) }

// appendFill is the fill of a page in the buckets whose new keys mostly come after every key
// they hold (sessions by when first stored, the outbox by sequence): bbolt's default of a half
// leaves such pages half empty for good, doubling the file and each commit's writes.
const appendFill = 0.9

// wrap returns b as a store bucket, nil when b is (an interface holding a nil pointer would not
// be nil to its caller).
func wrap(b *bbolt.Bucket, name []byte) onestop.Bucket {
	if b == nil {
		return nil
	}
	if bytes.Equal(name, store.Sessions) {
		b.FillPercent = appendFill
	}
	return bucket{b}
}

type bucket struct{ b *bbolt.Bucket }

func (b bucket) Get(key []byte) []byte                    { return b.b.Get(key) }
func (b bucket) Put(key, value []byte) error              { return b.b.Put(key, value) }
func (b bucket) Delete(key []byte) error                  { return b.b.Delete(key) }
func (b bucket) Cursor() onestop.Cursor                   { return cursor{b.b.Cursor()} }
func (b bucket) ForEach(fn func(k, v []byte) error) error { return b.b.ForEach(fn) }
func (b bucket) NextSequence() (uint64, error)            { return b.b.NextSequence() }
func (b bucket) Sequence() uint64                         { return b.b.Sequence() }
func (b bucket) Bucket(name []byte) onestop.Bucket        { return wrap(b.b.Bucket(name), name) }
func (b bucket) DeleteBucket(name []byte) error           { return b.b.DeleteBucket(name) }

func (b bucket) CreateBucket(name []byte) (onestop.Bucket, error) {
	n, err := b.b.CreateBucket(name)
	return wrap(n, name), err
}

func (b bucket) CreateBucketIfNotExists(name []byte) (onestop.Bucket, error) {
	n, err := b.b.CreateBucketIfNotExists(name)
	return wrap(n, name), err
}

type cursor struct{ c *bbolt.Cursor }

func (c cursor) First() (k, v []byte)          { return c.c.First() }
func (c cursor) Last() (k, v []byte)           { return c.c.Last() }
func (c cursor) Next() (k, v []byte)           { return c.c.Next() }
func (c cursor) Prev() (k, v []byte)           { return c.c.Prev() }
func (c cursor) Seek(key []byte) (k, v []byte) { return c.c.Seek(key) }
func (c cursor) Delete() error                 { return c.c.Delete() }

// Len counts the keys of b itself: bbolt's own count (Stats().KeyN) adds those of every nested
// bucket.
func (b bucket) Len() int {
	n := 0
	c := b.b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		n++
	}
	return n
}
