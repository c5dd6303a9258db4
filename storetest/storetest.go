// Package storetest holds every implementation of onestop.Store, Tx, Bucket and Cursor to the
// contract written in their doc comments, so that the services above the store behave the same
// whichever one they run on. An implementation's own tests call Run with an Opener that makes a
// fresh store; a store that passes is one the services may be put on.
//
// The package owns the contract's tests and nothing else. It must never import an
// implementation, never reach past the interfaces (no type assertions on what a store returns,
// no knowledge of its files or tables), and never test more than the doc comments promise: an
// implementation is free in everything the contract leaves open, such as whether an Update
// with an already cancelled context is still queued, or when OnCommit's function runs.
//
// Run takes an Opener rather than a ready store because most checks need a store nobody else
// has written to, and the durability checks need to close a store and open the same data again,
// which only the implementation knows how to do.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
)

// Opener opens a fresh, empty store for one test, with the given top-level buckets already
// created, and arranges with t.Cleanup for it to be closed. reopen, when not nil, closes the
// store and opens it again on the same data, returning the new store; the old one must then
// answer ErrStoreClosed. An implementation that cannot reopen returns nil and the checks that
// need it are skipped.
type Opener func(t *testing.T, buckets ...[]byte) (s onestop.Store, reopen func() onestop.Store)

// wait bounds how long a check waits for something the contract says will happen, so that a
// store that never does it fails instead of hanging the run.
const wait = 10 * time.Second

// Run runs the whole suite against the stores open makes, one fresh store per subtest.
func Run(t *testing.T, open Opener) {
	t.Run("put get and delete round trip", func(t *testing.T) { testRoundTrip(t, open) })
	t.Run("get of an absent key is nil", func(t *testing.T) { testGetAbsent(t, open) })
	t.Run("delete of an absent key is no error", func(t *testing.T) { testDeleteAbsent(t, open) })
	t.Run("an empty value is not an absent one", func(t *testing.T) { testEmptyValue(t, open) })
	t.Run("get of a nested bucket's name is nil", func(t *testing.T) { testGetNested(t, open) })
	t.Run("an empty bucket has no keys", func(t *testing.T) { testEmptyBucket(t, open) })
	t.Run("cursor walks forward in byte order", func(t *testing.T) { testCursorForward(t, open) })
	t.Run("cursor walks backward in byte order", func(t *testing.T) { testCursorBackward(t, open) })
	t.Run("seek lands on the key or the one after it", func(t *testing.T) { testSeek(t, open) })
	t.Run("foreach visits keys in order and stops at the first error", func(t *testing.T) { testForEach(t, open) })
	t.Run("cursor delete during a forward walk", func(t *testing.T) { testCursorDelete(t, open) })
	t.Run("nested buckets", func(t *testing.T) { testNestedBuckets(t, open) })
	t.Run("top-level buckets", func(t *testing.T) { testTopLevelBuckets(t, open) })
	t.Run("next sequence starts at one and goes up per bucket", func(t *testing.T) { testNextSequence(t, open) })
	t.Run("len counts keys and nested buckets", func(t *testing.T) { testLen(t, open) })
	t.Run("a failed update writes nothing and returns its error", func(t *testing.T) { testFailedUpdate(t, open) })
	t.Run("a panicking update writes nothing and the store goes on", func(t *testing.T) { testPanickingUpdate(t, open) })
	t.Run("concurrent updates each land once", func(t *testing.T) { testConcurrentUpdates(t, open, false) })
	t.Run("concurrent updates land beside failing ones", func(t *testing.T) { testConcurrentUpdates(t, open, true) })
	t.Run("view sees only committed state", func(t *testing.T) { testViewCommitted(t, open) })
	t.Run("view sees one state throughout", func(t *testing.T) { testViewConsistent(t, open) })
	t.Run("view returns its function's error unchanged", func(t *testing.T) { testViewError(t, open) })
	t.Run("writes fail inside view", func(t *testing.T) { testViewReadOnly(t, open) })
	t.Run("on commit runs after the data is visible", func(t *testing.T) { testOnCommit(t, open) })
	t.Run("on commit never runs for a failed update", func(t *testing.T) { testOnCommitFailed(t, open) })
	t.Run("committed data survives reopen", func(t *testing.T) { testDurable(t, open) })
	t.Run("a closed store answers store closed", func(t *testing.T) { testClosed(t, open) })
	t.Run("a cancelled context writes all or nothing", func(t *testing.T) { testCancelled(t, open) })
	t.Run("put's slices may be reused after the transaction", func(t *testing.T) { testPutReuse(t, open) })
	t.Run("now returns a time", func(t *testing.T) { testNow(t, open) })
}

// update runs fn in an Update and fails the test when it does not commit.
func update(t *testing.T, s onestop.Store, fn func(onestop.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in a View and fails the test when it returns an error.
func view(t *testing.T, s onestop.Store, fn func(onestop.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// bucket returns the top-level bucket name, as an error rather than a nil interface that would
// panic on the next call, so a missing bucket reads as a failure.
func bucket(tx onestop.Tx, name []byte) (onestop.Bucket, error) {
	b := tx.Bucket(name)
	if b == nil {
		return nil, fmt.Errorf("top-level bucket %q is missing", name)
	}
	return b, nil
}

// put writes pairs of keys and values to the top-level bucket name.
func put(t *testing.T, s onestop.Store, name []byte, kv ...[]byte) {
	t.Helper()
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if err := b.Put(kv[i], kv[i+1]); err != nil {
				return err
			}
		}
		return nil
	})
}

// get reads key from the top-level bucket name in a View, copying the value out because a
// value is valid only inside the transaction it was read in.
func get(t *testing.T, s onestop.Store, name, key []byte) []byte {
	t.Helper()
	var v []byte
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if got := b.Get(key); got != nil {
			v = append([]byte{}, got...)
		}
		return nil
	})
	return v
}

// pair is one key and value seen by a walk, copied out of the transaction.
type pair struct {
	k, v []byte
	// nested is true when v was nil, which the contract uses for a nested bucket's key.
	nested bool
}

func seen(k, v []byte) pair {
	return pair{k: append([]byte{}, k...), v: append([]byte{}, v...), nested: v == nil}
}

func (p pair) String() string {
	if p.nested {
		return fmt.Sprintf("%q=<bucket>", p.k)
	}
	return fmt.Sprintf("%q=%q", p.k, p.v)
}

// sameWalk reports whether two walks saw the same keys, values and nested buckets in order.
func sameWalk(a, b []pair) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i].k, b[i].k) || !bytes.Equal(a[i].v, b[i].v) || a[i].nested != b[i].nested {
			return false
		}
	}
	return true
}

// ordered returns keys chosen to be misordered by anything but a byte-wise comparison: a
// prefix before its extensions, a zero byte, and bytes above 0x7f, which a signed comparison
// or a text collation would put first. They are returned in byte order.
func ordered() [][]byte {
	return [][]byte{
		{0x00},
		{0x00, 0x00},
		{0x01},
		[]byte("A"),
		[]byte("B"),
		[]byte("a"),
		[]byte("ab"),
		[]byte("b"),
		{0x7f},
		{0x80},
		{0xc3, 0xa9}, // é in UTF-8
		{0xff},
		{0xff, 0x00},
	}
}

// shuffled returns the same keys in an order unlike byte order, so that a store that kept
// insertion order fails.
func shuffled(keys [][]byte) [][]byte {
	out := make([][]byte, 0, len(keys))
	for i := len(keys) - 1; i >= 0; i -= 2 {
		out = append(out, keys[i])
	}
	for i := len(keys) - 2; i >= 0; i -= 2 {
		out = append(out, keys[i])
	}
	return out
}

// fill opens a store with one bucket holding the ordered keys (each with value "v" + key) and a
// nested bucket named "n" among them, and returns the store and the walk it must give.
func fill(t *testing.T, open Opener) (onestop.Store, []byte, []pair) {
	t.Helper()
	name := []byte("walk")
	s, _ := open(t, name)
	keys := ordered()
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		for _, k := range shuffled(keys) {
			if err := b.Put(k, append([]byte("v"), k...)); err != nil {
				return err
			}
		}
		n, err := b.CreateBucket([]byte("n"))
		if err != nil {
			return err
		}
		return n.Put([]byte("inside"), []byte("x"))
	})
	var want []pair
	for _, k := range keys {
		if bytes.Equal(k, []byte("b")) {
			// "n" sorts between "b" and 0x7f.
			want = append(want, pair{k: k, v: append([]byte("v"), k...)}, pair{k: []byte("n"), v: []byte{}, nested: true})
			continue
		}
		want = append(want, pair{k: k, v: append([]byte("v"), k...)})
	}
	return s, name, want
}

func testRoundTrip(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	put(t, s, name, []byte("k"), []byte("one"))
	if v := get(t, s, name, []byte("k")); string(v) != "one" {
		t.Fatalf("Get after Put = %q, want %q", v, "one")
	}
	put(t, s, name, []byte("k"), []byte("two"))
	if v := get(t, s, name, []byte("k")); string(v) != "two" {
		t.Fatalf("Get after a second Put = %q, want %q", v, "two")
	}
	// A write is visible to reads later in its own transaction.
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k2"), []byte("three")); err != nil {
			return err
		}
		if v := b.Get([]byte("k2")); string(v) != "three" {
			return fmt.Errorf("Get inside the writing transaction = %q, want %q", v, "three")
		}
		if err := b.Delete([]byte("k")); err != nil {
			return err
		}
		if v := b.Get([]byte("k")); v != nil {
			return fmt.Errorf("Get after Delete inside the transaction = %q, want nil", v)
		}
		return nil
	})
	if v := get(t, s, name, []byte("k")); v != nil {
		t.Fatalf("Get after Delete = %q, want nil", v)
	}
	if v := get(t, s, name, []byte("k2")); string(v) != "three" {
		t.Fatalf("Get of the key written beside the Delete = %q, want %q", v, "three")
	}
}

func testGetAbsent(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	if v := get(t, s, name, []byte("never")); v != nil {
		t.Fatalf("Get of a key never written = %q, want nil", v)
	}
	put(t, s, name, []byte("a"), []byte("1"), []byte("c"), []byte("3"))
	for _, k := range []string{"b", "", "a\x00", "0", "d"} {
		if v := get(t, s, name, []byte(k)); v != nil {
			t.Errorf("Get(%q) beside keys a and c = %q, want nil", k, v)
		}
	}
}

func testDeleteAbsent(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	put(t, s, name, []byte("kept"), []byte("1"))
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte("never")); err != nil {
			return fmt.Errorf("Delete of an absent key: %w", err)
		}
		return nil
	})
	if v := get(t, s, name, []byte("kept")); string(v) != "1" {
		t.Fatalf("Delete of an absent key changed another: Get = %q, want %q", v, "1")
	}
}

func testEmptyValue(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	put(t, s, name, []byte("empty"), []byte{})
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		// Get's nil means "none", so a key that is there must not read as nil.
		if v := b.Get([]byte("empty")); v == nil || len(v) != 0 {
			return fmt.Errorf("Get of a key with an empty value = %#v, want a non-nil empty slice", v)
		}
		return nil
	})
}

func testGetNested(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		n, err := b.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		if err := n.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		if v := b.Get([]byte("nested")); v != nil {
			return fmt.Errorf("Get of a nested bucket's name inside the creating transaction = %q, want nil", v)
		}
		return nil
	})
	if v := get(t, s, name, []byte("nested")); v != nil {
		t.Fatalf("Get of a nested bucket's name = %q, want nil", v)
	}
}

func testEmptyBucket(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if n := b.Len(); n != 0 {
			return fmt.Errorf("Len of a new bucket = %d, want 0", n)
		}
		c := b.Cursor()
		if k, v := c.First(); k != nil || v != nil {
			return fmt.Errorf("First on an empty bucket = %q, %q, want nil", k, v)
		}
		if k, v := c.Last(); k != nil || v != nil {
			return fmt.Errorf("Last on an empty bucket = %q, %q, want nil", k, v)
		}
		if k, _ := c.Seek([]byte("a")); k != nil {
			return fmt.Errorf("Seek on an empty bucket = %q, want nil", k)
		}
		calls := 0
		if err := b.ForEach(func(k, v []byte) error { calls++; return nil }); err != nil {
			return err
		}
		if calls != 0 {
			return fmt.Errorf("ForEach on an empty bucket called fn %d times", calls)
		}
		return nil
	})
}

func testCursorForward(t *testing.T, open Opener) {
	s, name, want := fill(t, open)
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		c := b.Cursor()
		var got []pair
		for k, v := c.First(); k != nil; k, v = c.Next() {
			got = append(got, seen(k, v))
		}
		if !sameWalk(got, want) {
			return fmt.Errorf("First/Next walk:\n got %v\nwant %v", got, want)
		}
		if k, v := c.Next(); k != nil {
			return fmt.Errorf("Next past the last key = %q, %q, want nil", k, v)
		}
		return nil
	})
}

func testCursorBackward(t *testing.T, open Opener) {
	s, name, fwd := fill(t, open)
	want := make([]pair, len(fwd))
	for i, p := range fwd {
		want[len(fwd)-1-i] = p
	}
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		c := b.Cursor()
		var got []pair
		for k, v := c.Last(); k != nil; k, v = c.Prev() {
			got = append(got, seen(k, v))
		}
		if !sameWalk(got, want) {
			return fmt.Errorf("Last/Prev walk:\n got %v\nwant %v", got, want)
		}
		if k, v := c.Prev(); k != nil {
			return fmt.Errorf("Prev before the first key = %q, %q, want nil", k, v)
		}
		// Turning round in the middle lands on the neighbours.
		c.First()
		c.Next()
		k, _ := c.Next()
		if !bytes.Equal(k, fwd[2].k) {
			return fmt.Errorf("First, Next, Next = %q, want %q", k, fwd[2].k)
		}
		if k, _ := c.Prev(); !bytes.Equal(k, fwd[1].k) {
			return fmt.Errorf("Prev after First, Next, Next = %q, want %q", k, fwd[1].k)
		}
		return nil
	})
}

func testSeek(t *testing.T, open Opener) {
	s, name, want := fill(t, open)
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		c := b.Cursor()
		cases := []struct {
			seek, want []byte
		}{
			{[]byte("a"), []byte("a")},               // exact
			{[]byte("aa"), []byte("ab")},             // between
			{[]byte{}, []byte{0x00}},                 // before the first
			{[]byte{0x00, 0x00, 0x00}, []byte{0x01}}, // an extension of a key sorts after it
			{[]byte{0x7f, 0xff}, []byte{0x80}},       // across the sign bit
			{[]byte("c"), []byte("n")},               // onto a nested bucket
			{[]byte{0xff, 0x00, 0x00}, nil},          // past the end
			{[]byte{0xff, 0xff}, nil},                // past the end
			{[]byte{0xff, 0x00}, []byte{0xff, 0x00}}, // the last, exact
			{[]byte("b\x00"), []byte("n")},           // just after a key
			{[]byte("B"), []byte("B")},               // upper case before lower
			{[]byte{0xc3, 0xa8}, []byte{0xc3, 0xa9}}, // between multi-byte runes
			{[]byte{0x01, 0xff}, []byte("A")},        // between, high byte in second place
			{[]byte{0x00, 0x00, 0x01}, []byte{0x01}}, // between, shared prefix
			{[]byte{0x80, 0x00}, []byte{0xc3, 0xa9}}, // between, above the sign bit
			{[]byte{0xfe, 0xff, 0xff}, []byte{0xff}}, // just before a high key
			{[]byte{0x00, 0x00}, []byte{0x00, 0x00}}, // exact, zero bytes
			{[]byte("ab\xff"), []byte("b")},          // after a key, high byte
			{[]byte("n"), []byte("n")},               // exact, a nested bucket
			{[]byte{0x00, 0x00, 0x00, 0x00}, []byte{0x01}},
		}
		for _, tc := range cases {
			k, v := c.Seek(tc.seek)
			if !bytes.Equal(k, tc.want) || (k == nil) != (tc.want == nil) {
				return fmt.Errorf("Seek(%q) = %q, want %q", tc.seek, k, tc.want)
			}
			if k == nil {
				if v != nil {
					return fmt.Errorf("Seek(%q) past the end gave value %q, want nil", tc.seek, v)
				}
				continue
			}
			for _, p := range want {
				if bytes.Equal(p.k, k) {
					if p.nested && v != nil {
						return fmt.Errorf("Seek(%q) onto a nested bucket gave value %q, want nil", tc.seek, v)
					}
					if !p.nested && !bytes.Equal(v, p.v) {
						return fmt.Errorf("Seek(%q) gave value %q, want %q", tc.seek, v, p.v)
					}
				}
			}
		}
		// A walk goes on from where Seek landed.
		c.Seek([]byte("aa"))
		if k, _ := c.Next(); !bytes.Equal(k, []byte("b")) {
			return fmt.Errorf("Next after Seek(\"aa\") = %q, want \"b\"", k)
		}
		c.Seek([]byte("aa"))
		if k, _ := c.Prev(); !bytes.Equal(k, []byte("a")) {
			return fmt.Errorf("Prev after Seek(\"aa\") = %q, want \"a\"", k)
		}
		return nil
	})
}

func testForEach(t *testing.T, open Opener) {
	s, name, want := fill(t, open)
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		var got []pair
		if err := b.ForEach(func(k, v []byte) error { got = append(got, seen(k, v)); return nil }); err != nil {
			return err
		}
		if !sameWalk(got, want) {
			return fmt.Errorf("ForEach:\n got %v\nwant %v", got, want)
		}
		stop := errors.New("stop here")
		calls := 0
		err = b.ForEach(func(k, v []byte) error {
			calls++
			if calls == 3 {
				return stop
			}
			return nil
		})
		if err != stop {
			return fmt.Errorf("ForEach returned %v, want fn's own error %v", err, stop)
		}
		if calls != 3 {
			return fmt.Errorf("ForEach called fn %d times after it failed on the 3rd, want 3", calls)
		}
		return nil
	})
}

func testCursorDelete(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	var keys [][]byte
	for i := 0; i < 40; i++ {
		keys = append(keys, []byte(fmt.Sprintf("k%02d", i)))
	}
	var kv [][]byte
	for _, k := range shuffled(keys) {
		kv = append(kv, k, k)
	}
	put(t, s, name, kv...)
	var walked [][]byte
	update(t, s, func(tx onestop.Tx) error {
		walked = walked[:0] // fn may run more than once
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		c := b.Cursor()
		i := 0
		for k, _ := c.First(); k != nil; k, _ = c.Next() {
			walked = append(walked, append([]byte{}, k...))
			if i%2 == 0 {
				if err := c.Delete(); err != nil {
					return fmt.Errorf("Cursor.Delete on %q: %w", k, err)
				}
			}
			i++
		}
		return nil
	})
	if len(walked) != len(keys) {
		t.Errorf("the walk that deleted every other key saw %d keys, want all %d: %q", len(walked), len(keys), walked)
	}
	for i := range walked {
		if i < len(keys) && !bytes.Equal(walked[i], keys[i]) {
			t.Errorf("the walk that deleted every other key saw %q at step %d, want %q", walked[i], i, keys[i])
			break
		}
	}
	var left [][]byte
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		return b.ForEach(func(k, v []byte) error { left = append(left, append([]byte{}, k...)); return nil })
	})
	var want [][]byte
	for i := 1; i < len(keys); i += 2 {
		want = append(want, keys[i])
	}
	if fmt.Sprintf("%q", left) != fmt.Sprintf("%q", want) {
		t.Errorf("after deleting every other key:\n left %q\n want %q", left, want)
	}
}

// bucketOps is what Tx and Bucket share for making and dropping buckets, so one check serves
// both levels.
type bucketOps interface {
	Bucket(name []byte) onestop.Bucket
	CreateBucket(name []byte) (onestop.Bucket, error)
	CreateBucketIfNotExists(name []byte) (onestop.Bucket, error)
	DeleteBucket(name []byte) error
}

// checkBuckets runs the bucket checks on the parent that at returns inside each transaction.
func checkBuckets(t *testing.T, s onestop.Store, at func(onestop.Tx) (bucketOps, error)) {
	t.Helper()
	name, other := []byte("child"), []byte("other")
	view(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		// A typed nil in the interface would pass b != nil checks in every caller and panic.
		if b := p.Bucket(name); b != nil {
			return fmt.Errorf("Bucket of an absent name = %#v, want a nil interface", b)
		}
		return nil
	})
	update(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		b, err := p.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("CreateBucket: %w", err)
		}
		if b == nil {
			return errors.New("CreateBucket returned a nil bucket and no error")
		}
		if err := b.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		if _, err := b.CreateBucket([]byte("grandchild")); err != nil {
			return fmt.Errorf("CreateBucket inside a new bucket: %w", err)
		}
		if err := b.Bucket([]byte("grandchild")).Put([]byte("deep"), []byte("d")); err != nil {
			return err
		}
		if _, err := p.CreateBucket(other); err != nil {
			return err
		}
		return p.Bucket(other).Put([]byte("k"), []byte("other"))
	})
	err := s.Update(context.Background(), func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		_, err = p.CreateBucket(name)
		return err
	})
	if err == nil {
		t.Errorf("CreateBucket of an existing name did not fail")
	}
	update(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		b, err := p.CreateBucketIfNotExists(name)
		if err != nil {
			return fmt.Errorf("CreateBucketIfNotExists of an existing name: %w", err)
		}
		if v := b.Get([]byte("k")); string(v) != "v" {
			return fmt.Errorf("CreateBucketIfNotExists of an existing name gave a bucket where k = %q, want %q", v, "v")
		}
		if g := b.Bucket([]byte("grandchild")); g == nil || string(g.Get([]byte("deep"))) != "d" {
			return errors.New("CreateBucketIfNotExists of an existing name lost its nested bucket")
		}
		fresh, err := p.CreateBucketIfNotExists([]byte("fresh"))
		if err != nil {
			return fmt.Errorf("CreateBucketIfNotExists of an absent name: %w", err)
		}
		if fresh == nil || fresh.Len() != 0 {
			return errors.New("CreateBucketIfNotExists of an absent name did not give an empty bucket")
		}
		return fresh.Put([]byte("f"), []byte("1"))
	})
	view(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		if b := p.Bucket([]byte("fresh")); b == nil || string(b.Get([]byte("f"))) != "1" {
			return errors.New("the bucket CreateBucketIfNotExists made was not committed with its key")
		}
		return nil
	})
	update(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		if err := p.DeleteBucket(name); err != nil {
			return fmt.Errorf("DeleteBucket: %w", err)
		}
		if b := p.Bucket(name); b != nil {
			return errors.New("Bucket after DeleteBucket in the same transaction is not nil")
		}
		return nil
	})
	view(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		if b := p.Bucket(name); b != nil {
			return fmt.Errorf("Bucket after DeleteBucket = %#v, want a nil interface", b)
		}
		if b := p.Bucket(other); b == nil || string(b.Get([]byte("k"))) != "other" {
			return errors.New("DeleteBucket took a sibling bucket's data with it")
		}
		return nil
	})
	// A bucket made again under the deleted name starts empty: its keys and nested buckets went
	// with it.
	update(t, s, func(tx onestop.Tx) error {
		p, err := at(tx)
		if err != nil {
			return err
		}
		b, err := p.CreateBucket(name)
		if err != nil {
			return fmt.Errorf("CreateBucket after DeleteBucket: %w", err)
		}
		if v := b.Get([]byte("k")); v != nil {
			return fmt.Errorf("a bucket made again after DeleteBucket still holds k = %q", v)
		}
		if g := b.Bucket([]byte("grandchild")); g != nil {
			return errors.New("a bucket made again after DeleteBucket still holds its nested bucket")
		}
		if n := b.Len(); n != 0 {
			return fmt.Errorf("a bucket made again after DeleteBucket has Len %d, want 0", n)
		}
		return nil
	})
}

func testNestedBuckets(t *testing.T, open Opener) {
	top := []byte("top")
	s, _ := open(t, top)
	checkBuckets(t, s, func(tx onestop.Tx) (bucketOps, error) { return bucket(tx, top) })
	// Nested buckets nest further the same way.
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		_, err = b.CreateBucketIfNotExists([]byte("middle"))
		return err
	})
	checkBuckets(t, s, func(tx onestop.Tx) (bucketOps, error) {
		b, err := bucket(tx, top)
		if err != nil {
			return nil, err
		}
		m := b.Bucket([]byte("middle"))
		if m == nil {
			return nil, errors.New("nested bucket middle is missing")
		}
		return m, nil
	})
}

func testTopLevelBuckets(t *testing.T, open Opener) {
	s, _ := open(t, []byte("given one"), []byte("given two"))
	view(t, s, func(tx onestop.Tx) error {
		for _, name := range []string{"given one", "given two"} {
			if b := tx.Bucket([]byte(name)); b == nil {
				return fmt.Errorf("the bucket %q the Opener was asked for is missing", name)
			}
		}
		return nil
	})
	checkBuckets(t, s, func(tx onestop.Tx) (bucketOps, error) { return tx, nil })
}

func testNextSequence(t *testing.T, open Opener) {
	a, b := []byte("a"), []byte("b")
	s, reopen := open(t, a, b)
	next := func(name []byte, nested bool) uint64 {
		t.Helper()
		var n uint64
		update(t, s, func(tx onestop.Tx) error {
			bk, err := bucket(tx, name)
			if err != nil {
				return err
			}
			if nested {
				if bk, err = bk.CreateBucketIfNotExists([]byte("nested")); err != nil {
					return err
				}
			}
			n, err = bk.NextSequence()
			return err
		})
		return n
	}
	if n := next(a, false); n != 1 {
		t.Fatalf("the first NextSequence = %d, want 1", n)
	}
	if n := next(a, false); n != 2 {
		t.Fatalf("NextSequence in the next commit = %d, want 2", n)
	}
	if n := next(b, false); n != 1 {
		t.Fatalf("the first NextSequence of another bucket = %d, want 1", n)
	}
	if n := next(a, true); n != 1 {
		t.Fatalf("the first NextSequence of a nested bucket = %d, want 1", n)
	}
	// Within one transaction too.
	var got []uint64
	update(t, s, func(tx onestop.Tx) error {
		got = got[:0]
		bk, err := bucket(tx, a)
		if err != nil {
			return err
		}
		for i := 0; i < 3; i++ {
			n, err := bk.NextSequence()
			if err != nil {
				return err
			}
			got = append(got, n)
		}
		return nil
	})
	if fmt.Sprint(got) != "[3 4 5]" {
		t.Fatalf("three NextSequence calls in one transaction = %v, want [3 4 5]", got)
	}
	if n := next(b, false); n != 2 {
		t.Fatalf("NextSequence of the other bucket = %d, want 2", n)
	}
	if reopen == nil {
		t.Log("the store cannot reopen; not checking that sequences survive it")
		return
	}
	s = reopen()
	if n := next(a, false); n != 6 {
		t.Fatalf("NextSequence after reopen = %d, want 6", n)
	}
	if n := next(a, true); n != 2 {
		t.Fatalf("NextSequence of the nested bucket after reopen = %d, want 2", n)
	}
}

func testLen(t *testing.T, open Opener) {
	name := []byte("b")
	s, _ := open(t, name)
	put(t, s, name, []byte("a"), []byte("1"), []byte("b"), []byte("2"), []byte("c"), []byte{})
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		n, err := b.CreateBucket([]byte("n"))
		if err != nil {
			return err
		}
		// Keys inside a nested bucket are its own, not its parent's.
		return n.Put([]byte("inside"), []byte("x"))
	})
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if n := b.Len(); n != 4 {
			return fmt.Errorf("Len of a bucket with 3 keys and 1 nested bucket = %d, want 4", n)
		}
		if n := b.Bucket([]byte("n")).Len(); n != 1 {
			return fmt.Errorf("Len of the nested bucket = %d, want 1", n)
		}
		return nil
	})
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, name)
		if err != nil {
			return err
		}
		if err := b.Delete([]byte("a")); err != nil {
			return err
		}
		if err := b.Put([]byte("d"), []byte("4")); err != nil {
			return err
		}
		if err := b.Put([]byte("b"), []byte("again")); err != nil {
			return err
		}
		if n := b.Len(); n != 4 {
			return fmt.Errorf("Len inside the transaction after a delete, a new key and an overwrite = %d, want 4", n)
		}
		return nil
	})
}

// failing writes to the store, creates a bucket and then fails with its own error, so that
// anything of it that was kept shows.
func failing(top []byte, fail func() error) func(onestop.Tx) error {
	return func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), []byte("changed")); err != nil {
			return err
		}
		if err := b.Put([]byte("new"), []byte("new")); err != nil {
			return err
		}
		if err := b.Delete([]byte("gone")); err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		if _, err := b.CreateBucket([]byte("made")); err != nil {
			return err
		}
		if _, err := tx.CreateBucket([]byte("made at top")); err != nil {
			return err
		}
		return fail()
	}
}

// untouched checks that nothing of failing's writes was kept.
func untouched(t *testing.T, s onestop.Store, top []byte, how string) {
	t.Helper()
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if v := b.Get([]byte("k")); string(v) != "original" {
			return fmt.Errorf("%s: k = %q, want %q", how, v, "original")
		}
		if v := b.Get([]byte("new")); v != nil {
			return fmt.Errorf("%s: the key it added is there", how)
		}
		if v := b.Get([]byte("gone")); string(v) != "kept" {
			return fmt.Errorf("%s: the key it deleted is gone", how)
		}
		if b.Bucket([]byte("made")) != nil || tx.Bucket([]byte("made at top")) != nil {
			return fmt.Errorf("%s: the buckets it made are there", how)
		}
		return nil
	})
	// The sequence it drew was not kept either: the next one is the one after the last
	// committed.
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		n, err := b.NextSequence()
		if err != nil {
			return err
		}
		if n != 2 {
			return fmt.Errorf("%s: NextSequence after = %d, want 2", how, n)
		}
		return nil
	})
}

func prepare(t *testing.T, s onestop.Store, top []byte) {
	t.Helper()
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if _, err := b.NextSequence(); err != nil {
			return err
		}
		if err := b.Put([]byte("gone"), []byte("kept")); err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("original"))
	})
}

// refusal is fn's own error, of a type of its own so that only that very value matches.
type refusal struct{ n int }

func (r *refusal) Error() string { return fmt.Sprintf("refused %d", r.n) }

func testFailedUpdate(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	prepare(t, s, top)
	want := &refusal{1}
	err := s.Update(context.Background(), failing(top, func() error { return want }))
	if !errors.Is(err, want) {
		t.Fatalf("Update returned %v, want fn's own error %v", err, want)
	}
	if err != want {
		t.Errorf("Update returned %#v, want fn's own error unchanged (%#v), not wrapped", err, want)
	}
	untouched(t, s, top, "after fn failed")
}

func testPanickingUpdate(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	prepare(t, s, top)
	var err error
	func() {
		defer func() {
			if r := recover(); r != nil {
				t.Errorf("a panic in fn came out of Update: %v", r)
			}
		}()
		err = s.Update(context.Background(), failing(top, func() error { panic("fn panicked") }))
	}()
	if err == nil {
		t.Fatal("Update returned nil after fn panicked")
	}
	untouched(t, s, top, "after fn panicked")
	put(t, s, top, []byte("after"), []byte("yes"))
	if v := get(t, s, top, []byte("after")); string(v) != "yes" {
		t.Fatalf("a write after the panic: Get = %q, want %q", v, "yes")
	}
}

func u64(v uint64) []byte {
	b := make([]byte, 8)
	for i := 7; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

func readU64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

func testConcurrentUpdates(t *testing.T, open Opener, withFailures bool) {
	const writers, writes = 64, 20
	top := []byte("counters")
	s, _ := open(t, top)
	shared := []byte("shared")
	var (
		wg        sync.WaitGroup
		landed    [writers]int          // successful Updates per writer, as the writer saw them
		committed [writers]atomic.Int64 // OnCommit runs per writer
		refused   atomic.Int64
	)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := []byte(fmt.Sprintf("writer %02d", w))
			for i := range writes {
				// Odd writers fail every third write after writing, so that failures fall in the
				// middle of whatever groups the store forms.
				fail := withFailures && w%2 == 1 && i%3 == 1
				want := &refusal{w*writes + i}
				err := s.Update(context.Background(), func(tx onestop.Tx) error {
					b, err := bucket(tx, top)
					if err != nil {
						return err
					}
					if err := b.Put(shared, u64(readU64(b.Get(shared))+1)); err != nil {
						return err
					}
					if err := b.Put(own, u64(readU64(b.Get(own))+1)); err != nil {
						return err
					}
					tx.OnCommit(func() { committed[w].Add(1) })
					if fail {
						if err := b.Put([]byte(fmt.Sprintf("refused %d", want.n)), []byte("x")); err != nil {
							return err
						}
						return want
					}
					return nil
				})
				switch {
				case fail && err != want:
					t.Errorf("writer %d write %d: Update returned %v, want fn's own error", w, i, err)
				case fail:
					refused.Add(1)
				case err != nil:
					t.Errorf("writer %d write %d: Update: %v", w, i, err)
				default:
					landed[w]++
				}
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range landed {
		total += n
	}
	if withFailures && refused.Load() == 0 {
		t.Fatal("no write failed; this check shows nothing")
	}
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if got := readU64(b.Get(shared)); got != uint64(total) {
			t.Errorf("the shared counter = %d, want %d, the number of Updates that returned nil", got, total)
		}
		for w, n := range landed {
			if got := readU64(b.Get([]byte(fmt.Sprintf("writer %02d", w)))); got != uint64(n) {
				t.Errorf("writer %d's counter = %d, want %d", w, got, n)
			}
		}
		c := b.Cursor()
		for k, _ := c.Seek([]byte("refused ")); k != nil && bytes.HasPrefix(k, []byte("refused ")); k, _ = c.Next() {
			t.Errorf("a failed Update's write %q was kept", k)
		}
		return nil
	})
	// OnCommit may run after Update returns; give it time, then count exactly.
	deadline := time.Now().Add(wait)
	for w := range writers {
		for committed[w].Load() < int64(landed[w]) && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		if got := committed[w].Load(); got != int64(landed[w]) {
			t.Errorf("writer %d's OnCommit ran %d times, want once per committed Update, %d", w, got, landed[w])
		}
	}
}

func testViewCommitted(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	put(t, s, top, []byte("k"), []byte("committed"))
	written, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		var once sync.Once
		done <- s.Update(context.Background(), func(tx onestop.Tx) error {
			b, err := bucket(tx, top)
			if err != nil {
				return err
			}
			if err := b.Put([]byte("k"), []byte("uncommitted")); err != nil {
				return err
			}
			if err := b.Put([]byte("new"), []byte("uncommitted")); err != nil {
				return err
			}
			once.Do(func() { close(written) })
			<-release
			return nil
		})
	}()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	select {
	case <-written:
	case err := <-done:
		t.Fatalf("Update ended before fn wrote: %v", err)
	case <-time.After(wait):
		t.Fatal("Update did not run fn")
	}
	viewed := make(chan error, 1)
	go func() {
		viewed <- s.View(context.Background(), func(tx onestop.Tx) error {
			b, err := bucket(tx, top)
			if err != nil {
				return err
			}
			if v := b.Get([]byte("k")); string(v) != "committed" {
				return fmt.Errorf("a View during an Update saw k = %q, want the committed %q", v, "committed")
			}
			if v := b.Get([]byte("new")); v != nil {
				return fmt.Errorf("a View during an Update saw its uncommitted key = %q", v)
			}
			return nil
		})
	}()
	select {
	case err := <-viewed:
		if err != nil {
			t.Error(err)
		}
	case <-time.After(wait):
		t.Fatal("a View waited for an Update that had not committed")
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Update: %v", err)
	}
	if v := get(t, s, top, []byte("k")); string(v) != "uncommitted" {
		t.Fatalf("a View after Update returned saw k = %q, want %q", v, "uncommitted")
	}
}

func testViewConsistent(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	put(t, s, top, []byte("k"), []byte("before"))
	// Write and delete some bulk first, so that a store that must grow its file to take a
	// write (and wait for readers to do so) has room already and the check below is not
	// skipped for a reason that has nothing to do with consistency.
	var bulk [][]byte
	for i := range 256 {
		bulk = append(bulk, []byte(fmt.Sprintf("bulk %03d", i)), bytes.Repeat([]byte{'x'}, 512))
	}
	put(t, s, top, bulk...)
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		for i := 0; i < len(bulk); i += 2 {
			if err := b.Delete(bulk[i]); err != nil {
				return err
			}
		}
		return nil
	})
	done := make(chan error, 1)
	pending := false // the Update had not returned when the View ended
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if v := b.Get([]byte("k")); string(v) != "before" {
			return fmt.Errorf("k = %q, want %q", v, "before")
		}
		go func() {
			done <- s.Update(context.Background(), func(tx onestop.Tx) error {
				b, err := bucket(tx, top)
				if err != nil {
					return err
				}
				if err := b.Put([]byte("k"), []byte("after")); err != nil {
					return err
				}
				return b.Put([]byte("new"), []byte("after"))
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				return fmt.Errorf("Update beside a View: %w", err)
			}
		case <-time.After(time.Second):
			// A store may make writers wait for readers; then there is nothing to see here.
			t.Log("Update waits for an open View; not checking that the View keeps its state")
			pending = true
			return nil
		}
		if v := b.Get([]byte("k")); string(v) != "before" {
			return fmt.Errorf("a View saw k change to %q under it when an Update committed", v)
		}
		if v := b.Get([]byte("new")); v != nil {
			return fmt.Errorf("a View saw a key %q appear under it when an Update committed", v)
		}
		return nil
	})
	if pending {
		if err := <-done; err != nil {
			t.Fatalf("Update after the View it waited for: %v", err)
		}
	}
}

func testViewError(t *testing.T, open Opener) {
	s, _ := open(t, []byte("b"))
	want := &refusal{7}
	err := s.View(context.Background(), func(tx onestop.Tx) error { return want })
	if err != want {
		t.Fatalf("View returned %#v, want fn's own error unchanged (%#v)", err, want)
	}
}

func testViewReadOnly(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	put(t, s, top, []byte("k"), []byte("v"))
	update(t, s, func(tx onestop.Tx) error {
		if !tx.Writable() {
			return errors.New("Writable is false in an Update")
		}
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		_, err = b.CreateBucket([]byte("n"))
		return err
	})
	view(t, s, func(tx onestop.Tx) error {
		if tx.Writable() {
			t.Error("Writable is true in a View")
		}
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), []byte("changed")); err == nil {
			t.Error("Put in a View returned no error")
		}
		if c := b.Cursor(); c != nil {
			c.First()
			if err := c.Delete(); err == nil {
				t.Error("Cursor.Delete in a View returned no error")
			}
		}
		if err := b.Put([]byte("new"), []byte("new")); err == nil {
			t.Error("Put of a new key in a View returned no error")
		}
		if err := b.Delete([]byte("k")); err == nil {
			t.Error("Delete in a View returned no error")
		}
		if _, err := b.NextSequence(); err == nil {
			t.Error("NextSequence in a View returned no error")
		}
		if _, err := b.CreateBucket([]byte("m")); err == nil {
			t.Error("CreateBucket in a View returned no error")
		}
		if err := b.DeleteBucket([]byte("n")); err == nil {
			t.Error("DeleteBucket in a View returned no error")
		}
		if _, err := tx.CreateBucket([]byte("top")); err == nil {
			t.Error("Tx.CreateBucket in a View returned no error")
		}
		// Last, so that a store that lets it through leaves no other check working on a
		// deleted bucket.
		if err := tx.DeleteBucket(top); err == nil {
			t.Error("Tx.DeleteBucket in a View returned no error")
		}
		return nil
	})
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if v := b.Get([]byte("k")); string(v) != "v" {
			t.Errorf("after writes in a View, k = %q, want %q", v, "v")
		}
		if b.Get([]byte("new")) != nil || b.Bucket([]byte("m")) != nil || b.Bucket([]byte("n")) == nil || tx.Bucket([]byte("top")) != nil {
			t.Error("a write in a View was kept")
		}
		return nil
	})
}

func testOnCommit(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	ran := make(chan error, 2)
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		tx.OnCommit(func() {
			// Read in a goroutine of its own: the contract does not say which goroutine OnCommit
			// runs in, and a View there must not be able to hang the suite.
			viewed := make(chan error, 1)
			go func() {
				viewed <- s.View(context.Background(), func(tx onestop.Tx) error {
					b, err := bucket(tx, top)
					if err != nil {
						return err
					}
					if v := b.Get([]byte("k")); string(v) != "v" {
						return fmt.Errorf("inside OnCommit a View saw k = %q, want the committed %q", v, "v")
					}
					return nil
				})
			}()
			select {
			case err := <-viewed:
				ran <- err
			case <-time.After(wait):
				ran <- errors.New("a View started from OnCommit did not finish")
			}
		})
		return nil
	})
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(2 * wait):
		t.Fatal("OnCommit did not run after a successful Update")
	}
	select {
	case <-ran:
		t.Fatal("OnCommit ran twice for one Update")
	case <-time.After(50 * time.Millisecond):
	}
}

func testOnCommitFailed(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	var failed atomic.Int64
	want := &refusal{1}
	err := s.Update(context.Background(), func(tx onestop.Tx) error {
		tx.OnCommit(func() { failed.Add(1) })
		return want
	})
	if err != want {
		t.Fatalf("Update returned %v, want fn's own error", err)
	}
	func() {
		defer func() { recover() }()
		_ = s.Update(context.Background(), func(tx onestop.Tx) error {
			tx.OnCommit(func() { failed.Add(1) })
			panic("fn panicked")
		})
	}()
	// A later successful Update's OnCommit gives the failed ones time to show, if they would.
	later := make(chan struct{})
	update(t, s, func(tx onestop.Tx) error {
		tx.OnCommit(func() { close(later) })
		return nil
	})
	select {
	case <-later:
	case <-time.After(wait):
		t.Fatal("OnCommit did not run after a successful Update")
	}
	time.Sleep(20 * time.Millisecond)
	if n := failed.Load(); n != 0 {
		t.Fatalf("OnCommit ran %d times for Updates whose fn failed", n)
	}
}

func testDurable(t *testing.T, open Opener) {
	top := []byte("b")
	s, reopen := open(t, top)
	if reopen == nil {
		t.Skip("the store cannot reopen")
	}
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if err := b.Put([]byte("k"), []byte("v")); err != nil {
			return err
		}
		n, err := b.CreateBucket([]byte("nested"))
		if err != nil {
			return err
		}
		if err := n.Put([]byte("deep"), []byte("d")); err != nil {
			return err
		}
		t2, err := tx.CreateBucket([]byte("made at top"))
		if err != nil {
			return err
		}
		return t2.Put([]byte("t"), []byte("2"))
	})
	put(t, s, top, []byte("k2"), []byte("v2"))
	s = reopen()
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if v := b.Get([]byte("k")); string(v) != "v" {
			return fmt.Errorf("after reopen k = %q, want %q", v, "v")
		}
		if v := b.Get([]byte("k2")); string(v) != "v2" {
			return fmt.Errorf("after reopen k2 = %q, want %q", v, "v2")
		}
		if n := b.Bucket([]byte("nested")); n == nil || string(n.Get([]byte("deep"))) != "d" {
			return errors.New("after reopen the nested bucket or its key is missing")
		}
		if t2 := tx.Bucket([]byte("made at top")); t2 == nil || string(t2.Get([]byte("t"))) != "2" {
			return errors.New("after reopen the top-level bucket made in an Update or its key is missing")
		}
		return nil
	})
	// And it goes on taking writes.
	put(t, s, top, []byte("k3"), []byte("v3"))
	if v := get(t, s, top, []byte("k3")); string(v) != "v3" {
		t.Fatalf("a write after reopen: k3 = %q, want %q", v, "v3")
	}
}

func testClosed(t *testing.T, open Opener) {
	top := []byte("b")
	old, reopen := open(t, top)
	if reopen == nil {
		t.Skip("the store cannot reopen, which is the only way this suite can close one")
	}
	s := reopen()
	ran := false
	err := old.Update(context.Background(), func(tx onestop.Tx) error {
		ran = true
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		return b.Put([]byte("k"), []byte("written to a closed store"))
	})
	if !errors.Is(err, onestop.ErrStoreClosed) {
		t.Errorf("Update on a closed store returned %v, want ErrStoreClosed", err)
	}
	if ran {
		t.Error("Update on a closed store ran fn")
	}
	if err := old.View(context.Background(), func(tx onestop.Tx) error { return nil }); !errors.Is(err, onestop.ErrStoreClosed) {
		t.Errorf("View on a closed store returned %v, want ErrStoreClosed", err)
	}
	if v := get(t, s, top, []byte("k")); v != nil {
		t.Errorf("an Update on the closed store was written: k = %q", v)
	}
}

func testCancelled(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The contract leaves open whether an Update whose ctx has already ended is still queued,
	// so each try may go either way; what it promises is that the answer tells which.
	refused, written := 0, 0
	for i := range 20 {
		key := []byte(fmt.Sprintf("k%02d", i))
		err := s.Update(ctx, func(tx onestop.Tx) error {
			b, err := bucket(tx, top)
			if err != nil {
				return err
			}
			return b.Put(key, []byte("v"))
		})
		v := get(t, s, top, key)
		switch {
		case err == nil:
			written++
			if v == nil {
				t.Errorf("try %d: Update returned nil but nothing was written", i)
			}
		case errors.Is(err, context.Canceled), errors.Is(err, onestop.ErrStoreClosed), onestop.ErrorCode(err) == onestop.EUNAVAILABLE:
			refused++
			if v != nil {
				t.Errorf("try %d: Update returned %v but the write was kept", i, err)
			}
		default:
			t.Errorf("try %d: Update with a cancelled context returned %v, want nil, ctx's error or an unavailable error", i, err)
		}
	}
	t.Logf("with a cancelled context: %d refused, %d written", refused, written)
}

func testPutReuse(t *testing.T, open Opener) {
	top := []byte("b")
	s, _ := open(t, top)
	key, value := []byte("key"), []byte("value")
	update(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		return b.Put(key, value)
	})
	copy(key, "XXX")
	copy(value, "YYYYY")
	view(t, s, func(tx onestop.Tx) error {
		b, err := bucket(tx, top)
		if err != nil {
			return err
		}
		if v := b.Get([]byte("key")); string(v) != "value" {
			return fmt.Errorf("after the caller reused Put's slices, key = %q, want %q", v, "value")
		}
		if v := b.Get([]byte("XXX")); v != nil {
			return fmt.Errorf("after the caller reused Put's key slice, its new bytes name a key: %q", v)
		}
		return nil
	})
}

func testNow(t *testing.T, open Opener) {
	s, _ := open(t)
	if now := s.Now(); now.IsZero() {
		t.Fatal("Now returned the zero time")
	}
}
