package session

import (
	"bytes"
	"encoding/binary"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Share makes ix find sessions through the store rather than its memory, for a store that other
// processes write too (several gateways on one database). Another gateway's index never learns of
// the sessions this one stores, so where each session is kept is written beside it, in
// store.SessionKeys (its key → the 8-byte time in its stored key), by the same write that stores
// it, and read inside the transaction that reads it. The sessions LoadIndex found are still found
// through memory: those a single gateway stored before the store was shared. Call it before the
// index is used, and on every index of a shared store: a session written without its entry is
// one the other gateways cannot find.
func (ix *Index) Share() { ix.shared = true }

// Shared reports whether ix finds sessions through the store (Share).
func (ix *Index) Shared() bool { return ix.shared }

// where returns the time in key's stored key, if the session is stored.
func (ix *Index) where(tx onestop.Tx, key string) (uint64, bool) {
	if ix.shared {
		if b := tx.Bucket(store.SessionKeys); b != nil {
			if v := b.Get([]byte(key)); len(v) == 8 {
				return binary.BigEndian.Uint64(v), true
			}
		}
	}
	return ix.find(ix.hash(key))
}

// putShared is Put on a shared store: the entry saying where the session is goes into the same
// write as the session. Memory learns nothing, so it holds no session another gateway may have
// swept since.
func (ix *Index) putShared(tx onestop.Tx, s *Session) error {
	keys, err := tx.CreateBucketIfNotExists(store.SessionKeys)
	if err != nil {
		return err
	}
	at, ok := ix.where(tx, s.Key)
	if !ok {
		at = ix.after(uint64(s.Created.UnixNano()))
	}
	if v := keys.Get([]byte(s.Key)); len(v) != 8 || binary.BigEndian.Uint64(v) != at {
		if err := keys.Put([]byte(s.Key), store.U64(at)); err != nil {
			return err
		}
	}
	return tx.Bucket(store.Sessions).Put(storeKey(at, s.Key), Encode(s))
}

// forgetShared deletes the entry saying where the session stored under stored is, when it says
// so: the entry of a session stored again since, elsewhere, stays.
func (ix *Index) forgetShared(tx onestop.Tx, stored string) error {
	keys := tx.Bucket(store.SessionKeys)
	if keys == nil {
		return nil
	}
	if v := keys.Get([]byte(stored[8:])); v != nil && bytes.Equal(v, []byte(stored[:8])) {
		return keys.Delete([]byte(stored[8:]))
	}
	return nil
}
