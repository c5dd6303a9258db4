// Package session keeps each caller's conversation between hops: which screen she is on, what
// she has typed so far, the last reply (so a retried hop gets the same answer), and the plan she
// is building. It also remembers a caller's chosen language under a keyed hash of her number.
//
// It never stores a caller's number: a session holds only the keyed hash, and a number she
// types for a callback is sealed.
package session

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
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

// A record is the expiry (8 bytes, big-endian nanoseconds) and then the session. The session is
// a compact binary encoding whose first byte is its version; records written before it are
// JSON, whose first byte is always '{', and are still read.
//
// Every hop reads its session and writes it back inside the group commit, where every other
// writer waits: JSON cost several times what this does, in time and in allocations.
const (
	formatBinary1 = 1
	formatJSON    = '{'
)

func decode(key string, v []byte) (*Session, error) {
	if len(v) < 9 {
		return nil, fmt.Errorf("session %q: short record", key)
	}
	s := &Session{Key: key, Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))}
	switch v[8] {
	case formatBinary1:
		if err := s.unmarshal(v[9:]); err != nil {
			return nil, fmt.Errorf("session %q: %w", key, err)
		}
	case formatJSON:
		if err := json.Unmarshal(v[8:], s); err != nil {
			return nil, fmt.Errorf("session %q: %w", key, err)
		}
	default:
		return nil, fmt.Errorf("session %q: unknown record format %d", key, v[8])
	}
	return s, nil
}

// Put writes s under its key.
func Put(tx *bbolt.Tx, s *Session) error {
	return tx.Bucket(store.Sessions).Put([]byte(s.Key), Encode(s))
}

// Encode returns s as the record Put stores: compact, and holding no pointer but its own bytes,
// so it is also how a session is best kept in memory.
func Encode(s *Session) []byte {
	v := make([]byte, 9, 9+64+len(s.CallerHash)+len(s.TypedHash)+len(s.OtherNumber)+len(s.Reply)+len(s.Country)+
		len(s.Lang)+len(s.Provider)+len(s.Network)+len(s.State)+len(s.Hint)+len(s.Urgency)+len(s.Window))
	binary.BigEndian.PutUint64(v, uint64(s.Expires.UnixNano()))
	v[8] = formatBinary1
	return s.marshal(v)
}

// Decode returns the session key holds in record v, as Encode made it.
func Decode(key string, v []byte) (*Session, error) { return decode(key, v) }

// ExpiresAt returns when the session in record v expires, without decoding the rest.
func ExpiresAt(v []byte) time.Time {
	if len(v) < 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))
}

// marshal appends s in the binary format's field order. A field added to Session must be added
// here and in unmarshal, at the end (TestEveryFieldSurvives fails until it is).
func (s *Session) marshal(b []byte) []byte {
	b = appendBytes(b, s.CallerHash)
	b = appendString(b, s.Country)
	b = appendString(b, string(s.Lang))
	b = appendString(b, s.Provider)
	b = appendString(b, s.Network)
	b = appendString(b, s.State)
	b = binary.AppendVarint(b, int64(s.Page))
	b = binary.AppendVarint(b, int64(s.Topic))
	b = binary.AppendVarint(b, int64(s.Invalid))
	b = appendString(b, s.Hint)
	b = binary.AppendVarint(b, int64(s.TypedLen))
	b = appendBytes(b, s.TypedHash)
	b = appendString(b, s.Reply)
	b = appendBool(b, s.End)
	b = binary.AppendUvarint(b, s.ContactID)
	b = appendString(b, string(s.Urgency))
	b = appendBool(b, s.MayCall)
	b = appendBytes(b, s.OtherNumber)
	b = appendString(b, string(s.Window))
	b = appendTime(b, s.Created)
	b = appendTime(b, s.Updated)
	return b
}

func (s *Session) unmarshal(b []byte) error {
	r := reader{b: b}
	s.CallerHash = r.bytes()
	s.Country = r.string()
	s.Lang = onestop.Lang(r.string())
	s.Provider = r.string()
	s.Network = r.string()
	s.State = r.string()
	s.Page = r.int()
	s.Topic = r.int()
	s.Invalid = r.int()
	s.Hint = r.string()
	s.TypedLen = r.int()
	s.TypedHash = r.bytes()
	s.Reply = r.string()
	s.End = r.bool()
	s.ContactID = r.uvarint()
	s.Urgency = onestop.Urgency(r.string())
	s.MayCall = r.bool()
	s.OtherNumber = r.bytes()
	s.Window = onestop.Window(r.string())
	s.Created = r.time()
	s.Updated = r.time()
	return r.err
}

func appendBytes(b, v []byte) []byte { return append(binary.AppendUvarint(b, uint64(len(v))), v...) }

func appendString(b []byte, v string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(v))), v...)
}

func appendBool(b []byte, v bool) []byte {
	if v {
		return append(b, 1)
	}
	return append(b, 0)
}

// appendTime keeps the instant; zero stays zero.
func appendTime(b []byte, t time.Time) []byte {
	if t.IsZero() {
		return binary.AppendVarint(b, 0)
	}
	return binary.AppendVarint(b, t.UnixNano())
}

// reader reads the binary format; the first error sticks and every later read returns zero.
type reader struct {
	b   []byte
	err error
}

var errTruncated = errors.New("truncated record")

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) int() int {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return int(v)
}

// raw returns the next length-prefixed field, still inside the database's memory.
func (r *reader) raw() []byte {
	n := r.uvarint()
	if r.err != nil {
		return nil
	}
	if n > uint64(len(r.b)) {
		r.err = errTruncated
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

// bytes copies the field out: bbolt's memory is valid only inside the transaction.
func (r *reader) bytes() []byte {
	if v := r.raw(); len(v) > 0 {
		return bytes.Clone(v)
	}
	return nil
}

func (r *reader) string() string { return string(r.raw()) }

func (r *reader) bool() bool {
	if r.err != nil {
		return false
	}
	if len(r.b) == 0 {
		r.err = errTruncated
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *reader) time() time.Time {
	n := r.int()
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, int64(n))
}

// Delete removes the session at key.
func Delete(tx *bbolt.Tx, key string) error {
	return tx.Bucket(store.Sessions).Delete([]byte(key))
}

// Expired returns up to max keys of sessions that expired before now, reading only each
// record's expiry. The caller deletes them in its own write.
func Expired(tx *bbolt.Tx, now time.Time, max int) []string {
	keys, _ := ExpiredFrom(tx, "", now, max, -1)
	return keys
}

// ExpiredFrom is Expired for a sweep done in steps: it starts at the key from (the first key
// when ""), stops after max expired keys or scan records read (scan < 0: no limit), and
// returns where the next step starts, "" once the end of the bucket was reached. Each step is
// one short read, so a sweep through many sessions never holds a long transaction, and never
// reads the same records twice.
func ExpiredFrom(tx *bbolt.Tx, from string, now time.Time, max, scan int) (keys []string, next string) {
	limit := uint64(now.UnixNano())
	c := tx.Bucket(store.Sessions).Cursor()
	var k, v []byte
	if from == "" {
		k, v = c.First()
	} else {
		k, v = c.Seek([]byte(from))
	}
	for ; k != nil; k, v = c.Next() {
		if len(keys) >= max || scan == 0 {
			return keys, string(k)
		}
		scan--
		if len(v) >= 8 && binary.BigEndian.Uint64(v[:8]) < limit {
			keys = append(keys, string(k))
		}
	}
	return keys, ""
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
