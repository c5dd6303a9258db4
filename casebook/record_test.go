package casebook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// fill sets every field of the struct v points to something other than its zero value, and the
// plan's too: a field added to Contact or SafeContactPlan but not to the record fails below.
func fill(t *testing.T, v reflect.Value, zone *time.Location) {
	t.Helper()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.String:
			f.SetString(fmt.Sprintf("v%d", i))
		case reflect.Uint64:
			f.SetUint(uint64(i) + 7_000_000)
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Struct:
			f.Set(reflect.ValueOf(time.Unix(0, int64(i)*1e15+123).In(zone)))
		case reflect.Pointer:
			f.Set(reflect.New(f.Type().Elem()))
			fill(t, f.Elem(), zone)
		default:
			t.Fatalf("field %s: kind %s not covered by this test", v.Type().Field(i).Name, f.Kind())
		}
	}
}

func TestEveryContactFieldSurvives(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	c := &onestop.Contact{}
	fill(t, reflect.ValueOf(c).Elem(), time.Local)
	// The window's times keep the offset she was told them in.
	dhaka := time.FixedZone("", 6*3600)
	c.Plan.Opens, c.Plan.Closes = c.Plan.Opens.In(dhaka), c.Plan.Closes.In(dhaka)
	put(t, cb, db, c)
	got, err := cb.Contact(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, c) {
		t.Fatalf("read back\n%+v\n%+v\nwrote\n%+v\n%+v", got, got.Plan, c, c.Plan)
	}
	if got.Plan.Opens.String() != c.Plan.Opens.String() {
		t.Errorf("opens reads %s, was %s", got.Plan.Opens, c.Plan.Opens)
	}
	// Without a plan, and with nothing but what a first hop records.
	bare := &onestop.Contact{Time: time.Unix(1_800_000_000, 0), Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open}
	put(t, cb, db, bare)
	if got, err := cb.Contact(ctx, bare.ID); err != nil || !reflect.DeepEqual(got, bare) {
		t.Fatalf("read back %+v, %v; wrote %+v", got, err, bare)
	}
}

// legacy is how a contact was stored before the binary format: JSON, numbers sealed apart.
type legacy struct {
	onestop.Contact
	CallerSealed []byte `json:"callerSealed,omitempty"`
	NumberSealed []byte `json:"numberSealed,omitempty"`
}

// putLegacy stores rec as it was stored before the binary format, and returns the record.
func putLegacy(t *testing.T, db *bolt.DB, rec *legacy) []byte {
	t.Helper()
	v, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket(store.Contacts).Put(store.U64(rec.ID), v)
	}); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestJSONContactsAreStillRead(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize)) // newCasebook's key
	if err != nil {
		t.Fatal(err)
	}
	dhaka := time.FixedZone("", 6*3600)
	old := onestop.Contact{
		ID: 41, Ref: casebook.DerivedRef(41), Time: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC),
		Updated: time.Date(2025, 3, 1, 10, 1, 0, 0, time.UTC), Channel: onestop.USSD,
		Provider: "africastalking", SessionID: "ATUid_1", Country: "BD", Network: "47001",
		Lang: onestop.Bengali, Urgency: onestop.NonUrgent, Status: onestop.Open,
		Caller: "+8801711000001", Masked: "+880 17** ***001",
		Plan: &onestop.SafeContactPlan{
			MayCall: true, Number: "+8801711000001", Window: onestop.Morning,
			Opens:  time.Date(2025, 3, 2, 8, 0, 0, 0, dhaka),
			Closes: time.Date(2025, 3, 2, 12, 0, 0, 0, dhaka),
			TZ:     "Asia/Dhaka", Cover: "cover_health_check",
			AgreedAt: time.Date(2025, 3, 1, 10, 1, 0, 0, time.UTC),
		},
	}
	rec := legacy{Contact: old, CallerSealed: box.SealString(old.Caller), NumberSealed: box.SealString(old.Plan.Number)}
	plan := *old.Plan
	plan.Number = ""
	rec.Caller, rec.Plan = "", &plan
	v := putLegacy(t, db, &rec)
	old.SessionID = cb.SessionHash(old.SessionID) // its raw session id is read as its keyed hash
	got, err := cb.ByRef(ctx, old.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, old) || !reflect.DeepEqual(*got.Plan, *old.Plan) {
		t.Fatalf("read back\n%+v\n%+v\nwant\n%+v\n%+v", got, got.Plan, old, old.Plan)
	}
	// Written again, it is in the binary format and still the same.
	put(t, cb, db, got)
	again, err := cb.Contact(ctx, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The record keeps instants, read in the local zone, and the window's offset.
	if !again.Time.Equal(old.Time) || !again.Updated.Equal(old.Updated) || !again.Plan.AgreedAt.Equal(old.Plan.AgreedAt) {
		t.Errorf("rewritten times: %v %v %v", again.Time, again.Updated, again.Plan.AgreedAt)
	}
	again.Time, again.Updated, again.Plan.AgreedAt = old.Time, old.Updated, old.Plan.AgreedAt
	if !reflect.DeepEqual(*again, old) || !reflect.DeepEqual(*again.Plan, *old.Plan) {
		t.Fatalf("rewritten:\n%+v\n%+v", again, again.Plan)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if b := tx.Bucket(store.Contacts).Get(store.U64(old.ID)); b[0] != 2 || len(b) > len(v)/2 {
			t.Errorf("rewritten record starts %q and takes %d bytes (JSON: %d)", b[:1], len(b), len(v))
		}
		return nil
	})
}

// TestLegacyContactsArePurged checks retention reads a JSON record's dates as it reads a binary one's.
func TestLegacyContactsArePurged(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	old := legacy{Contact: onestop.Contact{ID: 3, Ref: casebook.DerivedRef(3), Time: time.Unix(1_700_000_000, 0),
		Updated: time.Unix(1_700_000_000, 0), Channel: onestop.USSD, Status: onestop.Dropped}}
	putLegacy(t, db, &old)
	fresh := &onestop.Contact{Time: time.Unix(1_800_000_000, 0), Updated: time.Unix(1_800_000_000, 0), Channel: onestop.USSD, Status: onestop.Dropped}
	put(t, cb, db, fresh)
	n, err := cb.Purge(context.Background(), time.Unix(1_750_000_000, 0))
	if err != nil || n.Contacts != 1 {
		t.Fatalf("purged %+v, %v; want the legacy contact alone", n, err)
	}
	if _, err := cb.Contact(ctx, old.ID); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Errorf("the legacy contact is still there: %v", err)
	}
	if _, err := cb.Contact(ctx, fresh.ID); err != nil {
		t.Errorf("the fresh contact is gone: %v", err)
	}
}

func TestBrokenContactRecordsAreErrorsNotPanics(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	good := &onestop.Contact{Time: time.Now(), Channel: onestop.USSD, Caller: "+8801711000001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Opens: time.Now(), TZ: "Asia/Dhaka"}}
	put(t, cb, db, good)
	var whole []byte
	db.View(ctx, func(tx onestop.Tx) error {
		whole = bytes.Clone(tx.Bucket(store.Contacts).Get(store.U64(good.ID)))
		return nil
	})
	tests := map[string][]byte{
		"empty":          {},
		"unknown format": {9, 1, 2},
		"truncated":      whole[:len(whole)-3],
		"cut in a field": whole[:12],
		"bad json":       []byte(`{"id":`),
		"huge length":    append(bytes.Clone(whole[:3]), 0xff, 0xff, 0xff, 0xff, 0x0f),
	}
	for name, rec := range tests {
		t.Run(name, func(t *testing.T) {
			if err := db.Update(context.Background(), func(tx onestop.Tx) error {
				return tx.Bucket(store.Contacts).Put(store.U64(good.ID), rec)
			}); err != nil {
				t.Fatal(err)
			}
			if c, err := cb.Contact(ctx, good.ID); err == nil {
				t.Fatalf("read %+v from a broken record", c)
			}
			if _, err := cb.List(ctx, casebook.Filter{}); err == nil {
				t.Fatal("listed a broken record")
			}
			// Retention keeps what it cannot read.
			if n, err := cb.Purge(context.Background(), time.Now().Add(24*time.Hour)); err != nil || n.Contacts != 0 {
				t.Fatalf("purge: %+v, %v", n, err)
			}
		})
	}
}
