package session_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
)

func openDB(tb testing.TB) *bolt.DB {
	tb.Helper()
	db, err := bolt.Open(filepath.Join(tb.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

// typical is a session midway through a Safe Contact Plan.
func typical(key string) *session.Session {
	now := time.Unix(0, 1_795_000_000_123_456_789)
	return &session.Session{
		Key: key, CallerHash: bytes.Repeat([]byte{7}, 32), Country: "BD", Lang: onestop.Bengali,
		Provider: "africastalking", Network: "47001", State: "when", Hop: 3,
		TypedHash: bytes.Repeat([]byte{9}, 32), Reply: "কখন নিরাপদ?\n1 এখন\n2 সকাল 8-12\n3 দুপুর 12-5\n4 সন্ধ্যা 5-9\n99 পিছনে\n0 বের হোন",
		ContactID: 42, Urgency: onestop.Urgent, MayCall: true, Created: now, Updated: now, Expires: now.Add(5 * time.Minute),
	}
}

// put writes s as the engine does, with an index read from the store as the engine reads it at
// start, so every test also checks what LoadIndex finds.
func put(t *testing.T, db *bolt.DB, s *session.Session) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		ix, err := session.LoadIndex(tx)
		if err != nil {
			return err
		}
		return ix.Put(tx, s)
	}); err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, db *bolt.DB, key string) (s *session.Session, err error) {
	ctx := context.Background()
	t.Helper()
	if verr := db.View(ctx, func(tx onestop.Tx) error {
		ix, lerr := session.LoadIndex(tx)
		if lerr != nil {
			return lerr
		}
		s, err = ix.Get(tx, key)
		return nil
	}); verr != nil {
		t.Fatal(verr)
	}
	return s, err
}

// loadIndex reads the index as an engine does when it starts.
func loadIndex(t *testing.T, db *bolt.DB) (ix *session.Index) {
	ctx := context.Background()
	t.Helper()
	if err := db.View(ctx, func(tx onestop.Tx) (err error) { ix, err = session.LoadIndex(tx); return err }); err != nil {
		t.Fatal(err)
	}
	return ix
}

// rawKey is where a session is stored: the time it was first stored, then its key.
func rawKey(at uint64, key string) []byte {
	return append(binary.BigEndian.AppendUint64(nil, at), key...)
}

func TestSessionsSurviveTheirRecord(t *testing.T) {
	db := openDB(t)
	withNumber := typical("africastalking:b")
	withNumber.OtherNumber, withNumber.Window, withNumber.End = []byte("sealed"), onestop.Evening, true
	hinted := typical("africastalking:c")
	hinted.Hint, hinted.Invalid, hinted.Page, hinted.Topic = "invalid", 2, 3, 6
	tests := []struct {
		name string
		s    *session.Session
	}{
		{"typical", typical("africastalking:a")},
		{"another number and a window", withNumber},
		{"a hint on a later page", hinted},
		{"first screen", &session.Session{Key: "africastalking:d", CallerHash: []byte{1}, Lang: onestop.English, State: "menu", Expires: time.Unix(0, 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			put(t, db, tt.s)
			got, err := get(t, db, tt.s.Key)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.s) {
				t.Fatalf("read back\n%+v\nwant\n%+v", got, tt.s)
			}
		})
	}
	if s, err := get(t, db, "africastalking:none"); s != nil || err != nil {
		t.Fatalf("missing session: %v, %v", s, err)
	}
}

// TestEveryFieldSurvives sets every field of a Session to something other than its zero value
// and reads it back: a field added to Session but not to the record's encoding fails here.
func TestEveryFieldSurvives(t *testing.T) {
	db := openDB(t)
	s := &session.Session{}
	v := reflect.ValueOf(s).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("v%d", i))
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(-i - 1000))
		case reflect.Uint64:
			f.SetUint(uint64(i) << 40)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Slice:
			f.SetBytes([]byte{byte(i), 0, 255})
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Unix(0, int64(i)*1e15+123)))
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
	}
	put(t, db, s)
	got, err := get(t, db, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	// The same record kept in memory, as a live session is between hops.
	rec := session.Encode(s)
	kept, err := session.Decode(s.Key, rec)
	if err != nil {
		t.Fatal(err)
	}
	if !session.ExpiresAt(rec).Equal(s.Expires) {
		t.Errorf("ExpiresAt = %v, want %v", session.ExpiresAt(rec), s.Expires)
	}
	for _, got := range []*session.Session{got, kept} {
		gv := reflect.ValueOf(got).Elem()
		for i := 0; i < v.NumField(); i++ {
			if !reflect.DeepEqual(gv.Field(i).Interface(), v.Field(i).Interface()) {
				t.Errorf("field %s: read back %v, wrote %v", v.Type().Field(i).Name, gv.Field(i), v.Field(i))
			}
		}
	}
}

// TestJSONRecordsAreStillRead reads sessions written before the binary format, as they were
// written: the expiry, then the session as JSON.
func TestJSONRecordsAreStillRead(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	old := typical("africastalking:old")
	old.OtherNumber, old.Window = []byte("sealed"), onestop.Morning
	body, err := json.Marshal(old)
	if err != nil {
		t.Fatal(err)
	}
	v := binary.BigEndian.AppendUint64(nil, uint64(old.Expires.UnixNano()))
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).Put(rawKey(0, old.Key), append(v, body...)) // as the upgrade left it
	}); err != nil {
		t.Fatal(err)
	}
	got, err := get(t, db, old.Key)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Created.Equal(old.Created) || !got.Updated.Equal(old.Updated) || !got.Expires.Equal(old.Expires) {
		t.Fatalf("times: %v %v %v", got.Created, got.Updated, got.Expires)
	}
	got.Created, got.Updated = old.Created, old.Updated
	if got.Hop != -1 {
		t.Fatalf("a session of before hops were numbered read as hop %d", got.Hop)
	}
	old.Hop = -1 // kept as unknown, so that its next hop ends it kindly
	if !reflect.DeepEqual(got, old) {
		t.Fatalf("read back\n%+v\nwant\n%+v", got, old)
	}
	// Written again, it is in the binary format and still the same.
	put(t, db, got)
	again, err := get(t, db, old.Key)
	if err != nil || !reflect.DeepEqual(again, old) {
		t.Fatalf("rewritten: %+v, %v", again, err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if rec := tx.Bucket(store.Sessions).Get(rawKey(0, old.Key)); rec == nil || rec[8] != 3 {
			t.Errorf("rewritten record starts %q, where it was", rec[min(8, len(rec)):min(9, len(rec))])
		}
		if n := session.Count(tx); n != 1 {
			t.Errorf("%d records for one session", n)
		}
		return nil
	})
}

func TestBrokenRecordsAreErrorsNotPanics(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	good := typical("k")
	var whole []byte
	put(t, db, good)
	db.View(ctx, func(tx onestop.Tx) error {
		whole = bytes.Clone(tx.Bucket(store.Sessions).Get(rawKey(uint64(good.Created.UnixNano()), "k")))
		return nil
	})
	tests := map[string][]byte{
		"empty":          {},
		"expiry only":    whole[:8],
		"unknown format": append(bytes.Clone(whole[:8]), 9, 1, 2),
		"truncated":      whole[:len(whole)-3],
		"cut in a field": whole[:20],
		"bad json":       append(bytes.Clone(whole[:8]), []byte("{\"ch\":")...),
		"huge length":    append(bytes.Clone(whole[:9]), 0xff, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, rec := range tests {
		t.Run(name, func(t *testing.T) {
			if err := db.Update(context.Background(), func(tx onestop.Tx) error {
				return tx.Bucket(store.Sessions).Put(rawKey(0, "bad"), rec)
			}); err != nil {
				t.Fatal(err)
			}
			if s, err := get(t, db, "bad"); err == nil {
				t.Fatalf("read %+v from a broken record", s)
			}
		})
	}
}

func TestExpiredReadsOnlyTheExpiry(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := time.Unix(0, 1_795_000_000_000_000_000)
	for i, d := range []time.Duration{-time.Minute, -time.Second, time.Second, time.Hour} {
		s := typical(fmt.Sprintf("k%d", i))
		s.Expires = now.Add(d)
		put(t, db, s)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		got := session.Expired(tx, now, 10)
		for i := range got {
			got[i] = got[i][8:] // after the time it was first stored
		}
		if !reflect.DeepEqual(got, []string{"k0", "k1"}) {
			t.Errorf("expired: %q", got)
		}
		if got := session.Expired(tx, now, 1); len(got) != 1 {
			t.Errorf("at most one: %q", got)
		}
		if n := session.Count(tx); n != 4 {
			t.Errorf("count %d", n)
		}
		return nil
	})
}

// TestExpiredFromWalksInSteps sweeps in steps of every size and finds each expired session once.
func TestExpiredFromWalksInSteps(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	now := time.Unix(0, 1_795_000_000_000_000_000)
	want := map[string]bool{}
	for i := 0; i < 50; i++ {
		s := typical(fmt.Sprintf("k%03d", i))
		s.Expires = now.Add(time.Minute)
		if i%3 != 0 {
			s.Expires = now.Add(-time.Minute)
			want[s.Key] = true
		}
		put(t, db, s)
	}
	tests := []struct{ max, scan int }{{1, -1}, {5, 7}, {100, 1}, {100, 3}, {7, 100}, {1000, -1}}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("max %d scan %d", tt.max, tt.scan), func(t *testing.T) {
			got := map[string]bool{}
			from, steps := "", 0
			db.View(ctx, func(tx onestop.Tx) error {
				for {
					keys, next := session.ExpiredFrom(tx, from, now, tt.max, tt.scan)
					if len(keys) > tt.max {
						t.Fatalf("%d keys, max %d", len(keys), tt.max)
					}
					for _, k := range keys {
						k = k[8:]
						if got[k] {
							t.Fatalf("%s found twice", k)
						}
						got[k] = true
					}
					if steps++; next == "" || steps > 1000 {
						return nil
					}
					from = next
				}
			})
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("found %d expired sessions, want %d", len(got), len(want))
			}
		})
	}
}

// TestSessionsAreStoredInTheOrderTheyBegan: random ids, as an aggregator's are, are stored in
// the order their sessions began, so a wave's writes share pages; a session written again stays
// where it is, and a deleted one is gone from the store and the index alike.
func TestSessionsAreStoredInTheOrderTheyBegan(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	start := time.Unix(0, 1_795_000_000_000_000_000)
	ids := []string{"africastalking:ATUid_f3", "africastalking:ATUid_07", "africastalking:ATUid_c1", "africastalking:ATUid_5a"}
	ix := loadIndex(t, db)
	write := func(fn func(tx onestop.Tx) error) {
		t.Helper()
		if err := db.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	for i, id := range ids {
		s := typical(id)
		s.Created = start.Add(time.Duration(i) * time.Second)
		write(func(tx onestop.Tx) error { return ix.Put(tx, s) })
	}
	// The first goes on a minute later: written again, where it was.
	first := typical(ids[0])
	first.Created, first.State = start, "confirm"
	write(func(tx onestop.Tx) error { return ix.Put(tx, first) })
	write(func(tx onestop.Tx) error {
		return ix.DeleteStored(tx, string(rawKey(uint64(start.Add(2*time.Second).UnixNano()), ids[2])))
	})

	var order []string
	db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(k, _ []byte) error {
			order = append(order, string(k[8:]))
			return nil
		})
	})
	if want := []string{ids[0], ids[1], ids[3]}; !reflect.DeepEqual(order, want) {
		t.Fatalf("stored in the order %q, want %q", order, want)
	}
	if ix.Len() != 3 {
		t.Fatalf("the index holds %d sessions, the store 3", ix.Len())
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if s, err := ix.Get(tx, ids[0]); err != nil || s == nil || s.State != "confirm" {
			t.Errorf("the session written again: %+v, %v", s, err)
		}
		if s, err := ix.Get(tx, ids[2]); s != nil || err != nil {
			t.Errorf("the deleted session: %+v, %v", s, err)
		}
		return nil
	})
	// A process started later finds the same.
	if got, err := get(t, db, ids[3]); err != nil || got == nil || !got.Created.Equal(start.Add(3*time.Second)) {
		t.Fatalf("after a restart: %+v, %v", got, err)
	}
}

// TestTheIndexLearnsOnlyWhatCommits: a write that fails leaves neither a record nor an entry,
// so a later write of the same session is its first.
func TestTheIndexLearnsOnlyWhatCommits(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ix := loadIndex(t, db)
	s := typical("africastalking:ATUid_x")
	refused := fmt.Errorf("refused")
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		if err := ix.Put(tx, s); err != nil {
			return err
		}
		return refused
	})
	if err != refused {
		t.Fatalf("write: %v", err)
	}
	if ix.Len() != 0 {
		t.Fatal("the index learned of a write that did not commit")
	}
	s.Created = s.Created.Add(time.Hour) // stored, this time, under the later time
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return ix.Put(tx, s) }); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(store.Sessions).Get(rawKey(uint64(s.Created.UnixNano()), s.Key)) == nil || session.Count(tx) != 1 {
			t.Error("the session is not stored once, under when it was first stored")
		}
		return nil
	})
}

// TestASessionSweptAndWrittenInOneCommitStays: the sweep's delete and her hop's write can share a
// group commit; whichever runs last decides, in the store and the index alike.
func TestASessionSweptAndWrittenInOneCommitStays(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	ix := loadIndex(t, db)
	s := typical("africastalking:ATUid_edge")
	stored := string(rawKey(uint64(s.Created.UnixNano()), s.Key))
	for _, fn := range []func(tx onestop.Tx) error{
		func(tx onestop.Tx) error { return ix.Put(tx, s) },
		func(tx onestop.Tx) error {
			if err := ix.DeleteStored(tx, stored); err != nil {
				return err
			}
			return ix.Put(tx, s)
		},
	} {
		if err := db.Update(context.Background(), fn); err != nil {
			t.Fatal(err)
		}
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if got, err := ix.Get(tx, s.Key); err != nil || got == nil {
			t.Errorf("written after its delete in one commit, it is lost to the index: %v, %v", got, err)
		}
		return nil
	})
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return ix.DeleteStored(tx, stored) }); err != nil {
		t.Fatal(err)
	}
	if ix.Len() != 0 {
		t.Fatal("a deleted session is still in the index")
	}
}

// BenchmarkPut is one session write inside a transaction: the part of a hop that runs in the
// group commit, where every writer waits for it.
func BenchmarkPut(b *testing.B) {
	db := openDB(b)
	s := typical("")
	b.ReportAllocs()
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		ix, err := session.LoadIndex(tx)
		if err != nil {
			return err
		}
		for i := 0; i < b.N; i++ {
			s.Key = fmt.Sprintf("africastalking:ATUid_%d", i%1000)
			if err := ix.Put(tx, s); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// BenchmarkGet is one session read: what a hop does whose session is not in memory.
func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	db := openDB(b)
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("africastalking:ATUid_%d", i)
	}
	var ix *session.Index
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		var err error
		if ix, err = session.LoadIndex(tx); err != nil {
			return err
		}
		for _, k := range keys {
			if err := ix.Put(tx, typical(k)); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	err := db.View(ctx, func(tx onestop.Tx) error {
		for i := 0; i < b.N; i++ {
			s, err := ix.Get(tx, keys[i%len(keys)])
			if err != nil || s == nil {
				return fmt.Errorf("get: %v %v", s, err)
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
}

// TestSessionsOfOneTickAreStoredInTheOrderTheyBegan stores sessions created at one instant, under
// keys that sort the other way: they go after one another in the bucket, as sessions that began
// one after another do, not in the order of their keys.
func TestSessionsOfOneTickAreStoredInTheOrderTheyBegan(t *testing.T) {
	db := openDB(t)
	ix := loadIndex(t, db)
	keys := []string{"\x00c", "\x00b", "\x00a"}
	for _, k := range keys {
		s := typical(k)
		if err := db.Update(context.Background(), func(tx onestop.Tx) error { return ix.Put(tx, s) }); err != nil {
			t.Fatal(err)
		}
	}
	var order []string
	db.View(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(k, _ []byte) error {
			order = append(order, string(k[8:]))
			return nil
		})
	})
	if !reflect.DeepEqual(order, keys) {
		t.Fatalf("stored in the order %q, want %q", order, keys)
	}
	for _, k := range keys {
		if got, err := get(t, db, k); err != nil || got == nil || !got.Created.Equal(typical(k).Created) {
			t.Fatalf("session %q read back as %+v, %v", k, got, err)
		}
	}
	// A session written again stays where it is.
	s := typical(keys[0])
	s.State = "done"
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return ix.Put(tx, s) }); err != nil {
		t.Fatal(err)
	}
	if n := func() (n int) {
		db.View(context.Background(), func(tx onestop.Tx) error { n = session.Count(tx); return nil })
		return
	}(); n != len(keys) {
		t.Fatalf("%d sessions stored, want %d", n, len(keys))
	}
}
