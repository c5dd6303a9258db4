package session

import (
	"bytes"
	"encoding/binary"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// The suffixes under which earlier versions kept, beside a caller's language (under the bare
// hash), the area she chose and the places a search of hers found. Her district and picks now
// live only in her session (Session.Area, Session.Offered): the next person to dial from a
// shared phone must not inherit them.
const (
	areaSuffix  = "/area"
	picksSuffix = "/picks"
)

// ForgetPlaces deletes every area and list of places an earlier version remembered under a
// caller's number, leaving only remembered languages, and returns how many it deleted. The
// engine runs it when it starts; nothing reads them any more.
func ForgetPlaces(tx onestop.Tx) (int, error) {
	b := tx.Bucket(store.Prefs)
	var doomed [][]byte
	c := b.Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if bytes.HasSuffix(k, []byte(areaSuffix)) || bytes.HasSuffix(k, []byte(picksSuffix)) {
			doomed = append(doomed, append([]byte(nil), k...))
		}
	}
	for _, k := range doomed {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(doomed), nil
}

// HashedKeyPrefix begins every session key the engine makes: what follows it is a keyed hash of
// the provider and the aggregator's session id. A stored key without it holds the id itself,
// as versions before kept it.
const HashedKeyPrefix = "\x00"

// RekeyRaw moves every session stored under a raw provider:sessionId key to the key hash gives
// for it (which must begin with HashedKeyPrefix), keeping when it was first stored, so the file
// no longer holds the aggregator's session ids and those sessions carry on. Run it before
// LoadIndex. Returns how many sessions it moved.
func RekeyRaw(tx onestop.Tx, hash func(raw string) string) (int, error) {
	b := tx.Bucket(store.Sessions)
	type move struct{ from, to, v []byte }
	var moves []move
	c := b.Cursor()
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) <= 8 || bytes.HasPrefix(k[8:], []byte(HashedKeyPrefix)) {
			continue
		}
		to := storeKey(binary.BigEndian.Uint64(k), hash(string(k[8:])))
		moves = append(moves, move{append([]byte(nil), k...), to, append([]byte(nil), v...)})
	}
	for _, m := range moves {
		if err := b.Delete(m.from); err != nil {
			return 0, err
		}
		if err := b.Put(m.to, m.v); err != nil {
			return 0, err
		}
	}
	return len(moves), nil
}
