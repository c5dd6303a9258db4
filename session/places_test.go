package session_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"reflect"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
)

// TestForgetPlacesLeavesOnlyLanguages: areas and picks remembered under callers' numbers by an
// earlier version are deleted; remembered languages stay.
func TestForgetPlacesLeavesOnlyLanguages(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	a, b := bytes.Repeat([]byte{1}, 16), bytes.Repeat([]byte{2}, 16)
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		p := tx.Bucket(store.Prefs)
		for k, v := range map[string]string{
			string(a): "en", string(a) + "/area": "BD-06", string(a) + "/picks": `{"s":"k","c":["BD-06"]}`,
			string(b): "hi", string(b) + "/area": "IN-DL",
		} {
			if err := p.Put([]byte(k), []byte(v)); err != nil {
				return err
			}
		}
		n, err := session.ForgetPlaces(tx)
		if n != 3 {
			t.Errorf("ForgetPlaces = %d, want 3", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if n := tx.Bucket(store.Prefs).Len(); n != 2 {
			t.Errorf("%d prefs left, want the 2 languages", n)
		}
		if session.Lang(tx, a) != onestop.English || session.Lang(tx, b) != onestop.Hindi {
			t.Error("a remembered language was lost")
		}
		return nil
	})
}

// TestRekeyRawMovesSessionsOffTheAggregatorsID: a session stored under provider:sessionId is
// moved under its hashed key, in the same place in time order, and reads back the same.
func TestRekeyRawMovesSessionsOffTheAggregatorsID(t *testing.T) {
	ctx := context.Background()
	db := openDB(t)
	old := typical("africastalking:ATUid_raw1")
	put(t, db, old)
	hashed := session.HashedKeyPrefix + "h-of-raw1"
	put(t, db, typical(hashed)) // already hashed: left alone
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		n, err := session.RekeyRaw(tx, func(raw string) string {
			if raw != "africastalking:ATUid_raw1" {
				t.Errorf("asked to hash %q", raw)
			}
			return hashed + "-2"
		})
		if n != 1 {
			t.Errorf("RekeyRaw = %d, want 1", n)
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(k, _ []byte) error {
			if bytes.Contains(k, []byte("ATUid_raw1")) {
				t.Errorf("the raw id is still a key: %q", k)
			}
			return nil
		})
	})
	got, err := get(t, db, hashed+"-2")
	if err != nil || got == nil {
		t.Fatalf("moved session: %+v, %v", got, err)
	}
	if got.Reply != old.Reply || got.ContactID != old.ContactID || !got.Created.Equal(old.Created) {
		t.Fatalf("moved session changed: %+v", got)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(store.Sessions).Get(rawKey(uint64(old.Created.UnixNano()), hashed+"-2")) == nil {
			t.Error("the moved session is not where it was in time order")
		}
		return nil
	})
}

// TestRecordsOfTheFirstBinaryFormatAreStillRead: a session written before the fields kept in the
// session alone were added reads back with them empty.
func TestRecordsOfTheFirstBinaryFormatAreStillRead(t *testing.T) {
	s := typical("africastalking:v1")
	s.Area, s.Offered, s.NoCall, s.Asking, s.Closing = "BD-06", "BD-06,BD-07", true, true, "x"
	v := session.Encode(s)
	if v[8] != 3 {
		t.Fatalf("format %d", v[8])
	}
	// The version-1 record is the same bytes up to Updated, with version 1 (where version 3
	// keeps Hop, version 1 kept a length: the same varint).
	base := *s
	base.Area, base.Offered, base.NoCall, base.Asking, base.Closing = "", "", false, false, ""
	v1 := session.Encode(&base)
	v1 = v1[:len(v1)-5] // the five new fields, each one empty byte
	v1[8] = 1
	got, err := session.Decode(s.Key, v1)
	if err != nil {
		t.Fatal(err)
	}
	if got.Area != "" || got.Hop != -1 || got.Reply != s.Reply || got.ContactID != s.ContactID || !got.Updated.Equal(s.Updated) {
		t.Fatalf("version 1 read as %+v", got)
	}
	if got, err := session.Decode(s.Key, v); err != nil || got.Area != "BD-06" || got.Offered != "BD-06,BD-07" || !got.NoCall || !got.Asking || got.Closing != "x" || got.Hop != s.Hop {
		t.Fatalf("version 3: %+v, %v", got, err)
	}
}

// TestRecordsOfTheSecondBinaryFormatAreStillRead decodes a record as the second format wrote it,
// byte for byte: sessions in flight at an upgrade are in it. It held the length of everything
// she typed where Hop is now; no hop number follows from it, so the session reads as hop -1,
// which the engine ends kindly.
func TestRecordsOfTheSecondBinaryFormatAreStillRead(t *testing.T) {
	v, err := hex.DecodeString("18ea90e194db3800020301020302424402626e0e6166726963617374616c6b696e67053437303031086d61795f63616c6c000000000203090909073120610a322062000706757267656e740000008080b4b7f7a6c8ea3180a88af1fea6c8ea310542442d303600000000")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)
	got, err := session.Decode("k", v)
	if err != nil {
		t.Fatal(err)
	}
	want := &session.Session{Key: "k", CallerHash: []byte{1, 2, 3}, Country: "BD", Lang: onestop.Bengali,
		Provider: "africastalking", Network: "47001", State: "may_call", Hop: -1, TypedHash: []byte{9, 9, 9},
		Reply: "1 a\n2 b", ContactID: 7, Urgency: onestop.Urgent, Created: at, Updated: at.Add(time.Second),
		Expires: at.Add(5 * time.Minute), Area: "BD-06"}
	if !got.Created.Equal(want.Created) || !got.Updated.Equal(want.Updated) || !got.Expires.Equal(want.Expires) {
		t.Fatalf("times: %v %v %v", got.Created, got.Updated, got.Expires)
	}
	got.Created, got.Updated, got.Expires = want.Created, want.Updated, want.Expires
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("read as\n%+v\nwant\n%+v", got, want)
	}
	// Written again, it is in the current format and keeps what it knew.
	again, err := session.Decode("k", session.Encode(got))
	if err != nil || again.Hop != -1 || again.ContactID != 7 || again.Area != "BD-06" {
		t.Fatalf("rewritten: %+v, %v", again, err)
	}
}
