// Package session keeps each caller's conversation between hops: which screen she is on, which
// hop was answered last and a keyed hash of what she sent up to it, the last reply (so a retried
// hop gets the same answer), the plan she is building, and the places she chose or was offered
// on the find-help screens. It also remembers a caller's chosen language under a keyed hash of
// her number, and nothing else: the next person to dial from a shared phone must not inherit her
// district or her picks.
//
// It never stores a caller's number: a session holds only the keyed hash, and a number she
// types for a callback is sealed.
package session

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"sync"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Session is one USSD conversation's state.
type Session struct {
	// Key names the session: the engine makes it from a keyed hash of the provider and the
	// aggregator's session id, so the record's key (see Index) never holds the id itself.
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

	// Hop is the number of the last hop answered (from 0, the first screen); -1 for a session
	// read from a record of a format before hops were numbered, which cannot be told a retry
	// from the next hop and is ended kindly. What she typed is never kept, since it can hold a
	// number: TypedHash is only a keyed hash of it, enough to tell a retried hop from another
	// and a resent history from one that is not this session's. Reply and End are what the last
	// hop answered, returned again for a retried hop.
	Hop       int    `json:"-"`
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

	// Area is the area she chose on the find-help screens, or when asked for her district, and
	// Offered the area codes the screen on show lists, comma-separated. They are kept in this
	// session only, never under her number: the next person on a shared phone must not
	// inherit them.
	Area    string `json:"ar,omitempty"`
	Offered string `json:"of,omitempty"`
	// NoCall says her number was marked "do not contact" when the session began: no plan may
	// use it.
	NoCall bool `json:"nc,omitempty"`
	// Asking says the find-help screens are asking for her district after her plan was
	// confirmed; Closing is the screen that ends the session then, with what was recorded.
	Asking  bool   `json:"as,omitempty"`
	Closing string `json:"cl,omitempty"`
	// Expires is when the session is swept; it is kept in front of the record so the sweep reads
	// it without decoding.
	Expires time.Time `json:"-"`
}

// Index finds where the store keeps each session, and is how sessions are read and written.
//
// A session is stored under the time it was first stored (8 bytes, big-endian nanoseconds) and
// then its key. An aggregator's session ids are random, so keyed by them alone, every write of a
// session landed on a page of its own, somewhere in the bucket, and the group commit wrote one
// page for each; in the order they began, the sessions a wave of callers is writing share the
// last few pages. The index maps a session's key to that time: it is built from the store when
// the engine starts (LoadIndex) and kept in step after every commit that adds or deletes one:
// every write of a session must go through it (Put, DeleteStored), or it no longer tells the
// truth about the store.
//
// It holds a 128-bit hash of each key, keyed afresh by every process, not the key: 24 bytes a
// session, and nothing for the garbage collector to trace. Two keys that share one are taken to
// be one key; among all the sessions a service will ever see, the chance of that is under one in
// 10^20.
type Index struct {
	mu    sync.Mutex
	seeds [2]maphash.Seed
	at    map[hashed]uint64 // session key → the time in its stored key; committed records only
	// last is the latest time given to a new session's stored key. A new session is stored
	// under its creation time or, when that is not past last, just after last: sessions that
	// begin in one tick of the clock would otherwise be ordered by their keys, which are keyed
	// hashes, and a group commit would write a page of the bucket for each of them.
	last uint64
	// shared says other processes write the store too (Share): where each session is kept is
	// then read from the store, not from memory.
	shared bool
}

type hashed [2]uint64

// LoadIndex reads where every stored session is.
func LoadIndex(tx onestop.Tx) (*Index, error) {
	ix := &Index{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}, at: map[hashed]uint64{}}
	c := tx.Bucket(store.Sessions).Cursor()
	for k, _ := c.First(); k != nil; k, _ = c.Next() {
		if len(k) < 8 {
			return nil, fmt.Errorf("session: stored key %q is too short", k)
		}
		at := binary.BigEndian.Uint64(k)
		ix.at[ix.hash(string(k[8:]))] = at
		ix.last = max(ix.last, at)
	}
	return ix, nil
}

func (ix *Index) hash(key string) hashed {
	return hashed{maphash.String(ix.seeds[0], key), maphash.String(ix.seeds[1], key)}
}

// Len returns how many sessions the index holds.
func (ix *Index) Len() int {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	return len(ix.at)
}

// after returns the time a new session created at is stored under: at, or the nanosecond after
// the latest one given, whichever is later.
func (ix *Index) after(at uint64) uint64 {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	ix.last = max(ix.last+1, at)
	return ix.last
}

func (ix *Index) find(h hashed) (uint64, bool) {
	ix.mu.Lock()
	defer ix.mu.Unlock()
	at, ok := ix.at[h]
	return at, ok
}

func storeKey(at uint64, key string) []byte {
	return append(binary.BigEndian.AppendUint64(make([]byte, 0, 8+len(key)), at), key...)
}

// Get returns the session at key, or nil if there is none.
func (ix *Index) Get(tx onestop.Tx, key string) (*Session, error) {
	v := ix.Record(tx, key)
	if v == nil {
		return nil, nil
	}
	return decode(key, v)
}

// Record returns the record stored for the session at key, as Encode made it, or nil if there
// is none. It is valid only inside tx.
func (ix *Index) Record(tx onestop.Tx, key string) []byte {
	at, ok := ix.where(tx, key)
	if !ok {
		return nil
	}
	return tx.Bucket(store.Sessions).Get(storeKey(at, key))
}

// Put writes s under its key: where it is stored already, or, the first time, under when it
// was created, and the index learns of it once tx commits. It is told even of a session it
// holds: commit handlers run in the order they were added, so a session deleted and written
// again in one transaction (the sweep and her hop in one group) stays in it.
func (ix *Index) Put(tx onestop.Tx, s *Session) error {
	if ix.shared {
		return ix.putShared(tx, s)
	}
	h := ix.hash(s.Key)
	at, ok := ix.find(h)
	if !ok {
		at = ix.after(uint64(s.Created.UnixNano()))
	}
	tx.OnCommit(func() {
		ix.mu.Lock()
		ix.at[h] = at
		ix.mu.Unlock()
	})
	return tx.Bucket(store.Sessions).Put(storeKey(at, s.Key), Encode(s))
}

// GetStored returns the session stored under stored, a key ExpiredFrom returned, or nil.
func (ix *Index) GetStored(tx onestop.Tx, stored string) (*Session, error) {
	v := tx.Bucket(store.Sessions).Get([]byte(stored))
	if v == nil || len(stored) < 8 {
		return nil, nil
	}
	return decode(stored[8:], v)
}

// DeleteStored removes the session stored under stored, and the index forgets it once tx
// commits.
func (ix *Index) DeleteStored(tx onestop.Tx, stored string) error {
	if len(stored) < 8 {
		return fmt.Errorf("session: stored key %q is too short", stored)
	}
	if ix.shared {
		if err := ix.forgetShared(tx, stored); err != nil {
			return err
		}
	}
	h := ix.hash(stored[8:])
	tx.OnCommit(func() {
		ix.mu.Lock()
		delete(ix.at, h)
		ix.mu.Unlock()
	})
	return tx.Bucket(store.Sessions).Delete([]byte(stored))
}

// A record is the expiry (8 bytes, big-endian nanoseconds) and then the session. The session is
// a compact binary encoding whose first byte is its version; records written before it are
// JSON, whose first byte is always '{', and are still read.
//
// Every hop reads its session and writes it back inside the group commit, where every other
// writer waits: JSON cost several times what this does, in time and in allocations.
const (
	formatBinary1 = 1
	formatBinary2 = 2 // Area, Offered, NoCall, Asking and Closing added at the end
	// formatBinary3 holds Hop where the length of everything she typed was: a channel that sends
	// one input per hop has no such length, and the hops are numbered by the adapters instead.
	formatBinary3 = 3
	formatJSON    = '{'
)

func decode(key string, v []byte) (*Session, error) {
	if len(v) < 9 {
		return nil, fmt.Errorf("session %q: short record", key)
	}
	s := &Session{Key: key, Expires: time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))}
	switch v[8] {
	case formatBinary1, formatBinary2, formatBinary3:
		if err := s.unmarshal(v[9:], v[8]); err != nil {
			return nil, fmt.Errorf("session %q: %w", key, err)
		}
	case formatJSON:
		if err := json.Unmarshal(v[8:], s); err != nil {
			return nil, fmt.Errorf("session %q: %w", key, err)
		}
		s.Hop = -1
	default:
		return nil, fmt.Errorf("session %q: unknown record format %d", key, v[8])
	}
	return s, nil
}

// Encode returns s as the record Put stores: compact, and holding no pointer but its own bytes,
// so it is also how a session is best kept in memory.
func Encode(s *Session) []byte {
	v := make([]byte, 9, 9+64+len(s.CallerHash)+len(s.TypedHash)+len(s.OtherNumber)+len(s.Reply)+len(s.Country)+
		len(s.Lang)+len(s.Provider)+len(s.Network)+len(s.State)+len(s.Hint)+len(s.Urgency)+len(s.Window)+
		len(s.Area)+len(s.Offered)+len(s.Closing))
	binary.BigEndian.PutUint64(v, uint64(s.Expires.UnixNano()))
	v[8] = formatBinary3
	return s.marshal(v)
}

// Decode returns the session key holds in record v, as Encode made it (or an earlier version).
func Decode(key string, v []byte) (*Session, error) { return decode(key, v) }

// ExpiresAt returns when the session in record v expires, without decoding the rest.
func ExpiresAt(v []byte) time.Time {
	if len(v) < 8 {
		return time.Time{}
	}
	return time.Unix(0, int64(binary.BigEndian.Uint64(v[:8])))
}

// marshal appends s in the binary format's field order (formatBinary3). A field added to Session
// must be added here and in unmarshal, at the end (TestEveryFieldSurvives fails until it is).
func (s *Session) marshal(b []byte) []byte {
	b = store.AppendBytes(b, s.CallerHash)
	b = store.AppendString(b, s.Country)
	b = store.AppendString(b, string(s.Lang))
	b = store.AppendString(b, s.Provider)
	b = store.AppendString(b, s.Network)
	b = store.AppendString(b, s.State)
	b = binary.AppendVarint(b, int64(s.Page))
	b = binary.AppendVarint(b, int64(s.Topic))
	b = binary.AppendVarint(b, int64(s.Invalid))
	b = store.AppendString(b, s.Hint)
	b = binary.AppendVarint(b, int64(s.Hop))
	b = store.AppendBytes(b, s.TypedHash)
	b = store.AppendString(b, s.Reply)
	b = store.AppendBool(b, s.End)
	b = binary.AppendUvarint(b, s.ContactID)
	b = store.AppendString(b, string(s.Urgency))
	b = store.AppendBool(b, s.MayCall)
	b = store.AppendBytes(b, s.OtherNumber)
	b = store.AppendString(b, string(s.Window))
	b = store.AppendTime(b, s.Created)
	b = store.AppendTime(b, s.Updated)
	b = store.AppendString(b, s.Area)
	b = store.AppendString(b, s.Offered)
	b = store.AppendBool(b, s.NoCall)
	b = store.AppendBool(b, s.Asking)
	b = store.AppendString(b, s.Closing)
	return b
}

func (s *Session) unmarshal(b []byte, version byte) error {
	r := store.NewReader(b)
	s.CallerHash = r.Bytes()
	s.Country = r.String()
	s.Lang = onestop.Lang(r.String())
	s.Provider = r.String()
	s.Network = r.String()
	s.State = r.String()
	s.Page = r.Int()
	s.Topic = r.Int()
	s.Invalid = r.Int()
	s.Hint = r.String()
	if s.Hop = r.Int(); version < formatBinary3 {
		s.Hop = -1 // the length of the whole text, from which no hop number follows
	}
	s.TypedHash = r.Bytes()
	s.Reply = r.String()
	s.End = r.Bool()
	s.ContactID = r.Uvarint()
	s.Urgency = onestop.Urgency(r.String())
	s.MayCall = r.Bool()
	s.OtherNumber = r.Bytes()
	s.Window = onestop.Window(r.String())
	s.Created = r.Time()
	s.Updated = r.Time()
	if version >= formatBinary2 {
		s.Area = r.String()
		s.Offered = r.String()
		s.NoCall = r.Bool()
		s.Asking = r.Bool()
		s.Closing = r.String()
	}
	return r.Err()
}

// Expired returns up to max stored keys of sessions that expired before now, reading only each
// record's expiry. The caller deletes them in its own write (Index.DeleteStored).
func Expired(tx onestop.Tx, now time.Time, max int) []string {
	keys, _ := ExpiredFrom(tx, "", now, max, -1)
	return keys
}

// ExpiredFrom is Expired for a sweep done in steps: it starts at from (the first session when
// ""), stops after max expired keys or scan records read (scan < 0: no limit), and returns
// where the next step starts, "" once the end of the bucket was reached. Each step is
// one short read, so a sweep through many sessions never holds a long transaction, and never
// reads the same records twice.
func ExpiredFrom(tx onestop.Tx, from string, now time.Time, max, scan int) (keys []string, next string) {
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
func Count(tx onestop.Tx) int { return tx.Bucket(store.Sessions).Len() }

// Lang returns the language a caller chose before, by the keyed hash of her number, or "".
func Lang(tx onestop.Tx, callerHash []byte) onestop.Lang {
	if v := tx.Bucket(store.Prefs).Get(callerHash); v != nil {
		if l, _ := readLang(v); l.Valid() {
			return l
		}
	}
	return ""
}

// PutLang remembers the language a caller chose, as chosen now.
func PutLang(tx onestop.Tx, callerHash []byte, lang onestop.Lang) error {
	return PutLangAt(tx, callerHash, lang, time.Now())
}
