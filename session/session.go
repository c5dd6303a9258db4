// Package session keeps each caller's conversation between hops: which screen she is on, what
// she has typed so far, the last reply (so a retried hop gets the same answer), and the plan she
// is building. It also remembers a caller's chosen language under a keyed hash of her number.
//
// It never stores a caller's number: a session holds only the keyed hash, and a number she
// types for a callback is sealed.
package session

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Session is one USSD conversation's state.
type Session struct {
	// Key is the provider and the aggregator's session id; it is the record's key, not a field.
	Key string `json:"-"`

	CallerHash []byte       `json:"ch"`
	Country    string       `json:"co"`
	Lang       onestop.Lang `json:"la"`
	Provider   string       `json:"pr"`
	Network    string       `json:"nw,omitempty"`

	// State is the flow's state name; Page the page of a paginated screen; Topic the
	// information topic being read.
	State string `json:"st"`
	Page  int    `json:"pg,omitempty"`
	Topic int    `json:"tp,omitempty"`
	// Invalid counts invalid inputs in a row; Hint says the screen is shown again after one.
	Invalid int    `json:"iv,omitempty"`
	Hint    string `json:"hn,omitempty"`

	// What she typed this session is never kept, since it can hold a number: only its length
	// and keyed hash, enough to tell a retried hop from the next one. Reply and End are what the
	// last hop answered, returned again for a retried hop.
	TypedLen  int    `json:"tl,omitempty"`
	TypedHash []byte `json:"th"`
	Reply     string `json:"re"`
	End       bool   `json:"en,omitempty"`

	// ContactID is the contact this session recorded, 0 before she chose anything.
	ContactID uint64          `json:"ci,omitempty"`
	Urgency   onestop.Urgency `json:"ur,omitempty"`

	// The Safe Contact Plan as she builds it; it becomes the contact's only when she confirms.
	MayCall     bool           `json:"mc,omitempty"`
	OtherNumber []byte         `json:"on,omitempty"` // sealed
	Window      onestop.Window `json:"wi,omitempty"`

	Created time.Time `json:"cr"`
	Updated time.Time `json:"up"`
	// Expires is when the session is swept; it is kept in front of the record so the sweep reads
	// it without decoding.
	Expires time.Time `json:"-"`
}

// Get returns the session at key, or nil if there is none.
func Get(tx *bbolt.Tx, key string) (*Session, error) {
	v := tx.Bucket(store.Sessions).Get([]byte(key))
	if v == nil {
		return nil, nil
	}
	return decode(key, v)
}

func decode(key string, v []byte) (*Session, error) {
	if len(v) < 8 {
		return nil, fmt.Errorf("session %q: short record", key)
	}
	s := &Session{Key: key, Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))}
	if err := json.Unmarshal(v[8:], s); err != nil {
		return nil, fmt.Errorf("session %q: %w", key, err)
	}
	return s, nil
}

// Put writes s under its key.
func Put(tx *bbolt.Tx, s *Session) error {
	body, err := json.Marshal(s)
	if err != nil {
		return err
	}
	v := make([]byte, 8, 8+len(body))
	binary.BigEndian.PutUint64(v, uint64(s.Expires.UnixNano()))
	return tx.Bucket(store.Sessions).Put([]byte(s.Key), append(v, body...))
}

// Delete removes the session at key.
func Delete(tx *bbolt.Tx, key string) error {
	return tx.Bucket(store.Sessions).Delete([]byte(key))
}

// Expired returns up to max keys of sessions that expired before now, reading only each
// record's expiry. The caller deletes them in its own write.
func Expired(tx *bbolt.Tx, now time.Time, max int) []string {
	var keys []string
	limit := uint64(now.UnixNano())
	c := tx.Bucket(store.Sessions).Cursor()
	for k, v := c.First(); k != nil && len(keys) < max; k, v = c.Next() {
		if len(v) >= 8 && binary.BigEndian.Uint64(v[:8]) < limit {
			keys = append(keys, string(k))
		}
	}
	return keys
}

// Count returns the number of stored sessions.
func Count(tx *bbolt.Tx) int { return tx.Bucket(store.Sessions).Stats().KeyN }

// Lang returns the language a caller chose before, by the keyed hash of her number, or "".
func Lang(tx *bbolt.Tx, callerHash []byte) onestop.Lang {
	if v := tx.Bucket(store.Prefs).Get(callerHash); v != nil {
		if l := onestop.Lang(v); l.Valid() {
			return l
		}
	}
	return ""
}

// PutLang remembers the language a caller chose.
func PutLang(tx *bbolt.Tx, callerHash []byte, lang onestop.Lang) error {
	return tx.Bucket(store.Prefs).Put(callerHash, []byte(lang))
}
