package casebook_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

// forms returns s as it could lie in a file: as written, lower-cased, and in UTF-16 either way
// round, each case.
func forms(s string) [][]byte {
	var out [][]byte
	for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
		out = append(out, []byte(v))
		u := utf16.Encode([]rune(v))
		le, be := make([]byte, 2*len(u)), make([]byte, 2*len(u))
		for i, c := range u {
			binary.LittleEndian.PutUint16(le[2*i:], c)
			binary.BigEndian.PutUint16(be[2*i:], c)
		}
		out = append(out, le, be)
	}
	return out
}

// assertNotInFile closes db and fails for every word found in its file in any of its forms.
func assertNotInFile(t *testing.T, db *bolt.DB, words ...string) {
	t.Helper()
	path := db.Path()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range words {
		for _, f := range forms(w) {
			if bytes.Contains(raw, f) {
				t.Errorf("%q is in the database file (as %q)", w, f)
			}
		}
	}
}

// The words a worker and staff typed: a place, a need, notes, a name, numbers. None is a word
// the file could hold for another reason.
const (
	typedPlace  = "Kamrangirchar"
	typedNeed   = "Bilkis needs a lawyer urgently"
	typedNote   = "Spoke with Shahnaz at the clinic"
	workerName  = "Rokeya Begum"
	workerPhone = "+8801711000777"
	noteNumber  = "01999888777"
	typedReason = "Reason given: Farzana asked us"
)

func TestReferralWordsAreSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	r := &onestop.Referral{Time: now, Updated: now, Channel: onestop.SMS, Country: "BD", Place: typedPlace, Status: onestop.Received,
		Verified: true, WorkerName: workerName, Lang: onestop.Bengali, Worker: workerPhone, Need: typedNeed,
		History: []onestop.ReferralEvent{{Time: now, Status: onestop.Received, By: "worker", Note: workerName}}}
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		if err := cb.PutReferral(tx, r); err != nil {
			return err
		}
		if err := casebook.Advance(r, onestop.Assigned, "sara", typedNote+" "+noteNumber, now); err != nil {
			return err
		}
		return cb.PutReferral(tx, r)
	})
	if err != nil {
		t.Fatal(err)
	}
	if r.History[0].Note != workerName || r.Place != typedPlace {
		t.Fatal("writing a referral changed the caller's copy")
	}
	got, err := cb.ReferralByRef(ctx, r.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if got.Place != typedPlace || got.Need != typedNeed || got.WorkerName != workerName || got.Worker != workerPhone ||
		len(got.History) != 2 || got.History[0].Note != workerName || got.History[1].Note != typedNote+" "+noteNumber {
		t.Fatalf("read back %+v", got)
	}
	assertNotInFile(t, db, typedPlace, "Bilkis", "lawyer", "Shahnaz", "clinic", "Rokeya", "Begum", "1711000777", "1999888777")
}

func TestWorkerNameIsSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	w := &casebook.Worker{Number: workerPhone, Name: workerName, Lang: onestop.Bengali, Added: time.Now()}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.PutWorker(tx, w) }); err != nil {
		t.Fatal(err)
	}
	ws, err := cb.Workers(ctx)
	if err != nil || len(ws) != 1 || ws[0].Name != workerName || ws[0].Number != workerPhone {
		t.Fatalf("workers %+v %v", ws, err)
	}
	assertNotInFile(t, db, "Rokeya", "Begum", "1711000777")
}

func TestAuditNotesAndReasonsAreSealedOnDisk(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	c := &onestop.Contact{Time: now, Urgency: onestop.Urgent, Status: onestop.Open, Caller: "+8801711000001", Masked: "+880 17** ***001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Window: onestop.Now, Opens: now, Closes: now.Add(30 * time.Minute)}}
	put(t, cb, db, c)
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		for _, e := range []*casebook.AuditEntry{
			{Actor: "sara", Action: casebook.AuditCaseNote, Subject: casebook.Subject(c), Note: typedNote},
			{Actor: "sara", Action: casebook.AuditCaseReveal, Subject: casebook.Subject(c), Note: typedReason},
			{Actor: "sara", Action: casebook.AuditExport, Subject: "export", Detail: "identified", Note: "court order for " + noteNumber},
		} {
			if err := cb.Append(tx, e); err != nil {
				return err
			}
		}
		// An override's reason is sealed too.
		_, err := cb.RecordAttemptOverride(tx, c.ID, "sara", casebook.NoAnswer, "Farzana asked for a call at night", now.Add(2*time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	es, err := cb.AuditLog(ctx, casebook.AuditFilter{})
	if err != nil || len(es) != 5 || es[1].Action != casebook.AuditOverride || es[1].Note != "Farzana asked for a call at night" || es[1].Detail != "callback" {
		t.Fatalf("audit log %+v %v", es, err)
	}
	assertNotInFile(t, db, "Shahnaz", "clinic", "Farzana", "court order", "1999888777", "1711000001")
}

// A referral and a worker written before their words were sealed are still read.
func TestUnsealedReferralsAndWorkersStayReadable(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	box := newBox(t)
	old := map[string]any{
		"id": 1, "ref": "R" + casebook.DerivedRef(1), "time": now, "updated": now, "channel": "sms", "country": "BD", "place": "Mirpur",
		"status": "assigned", "verified": true, "workerName": "Old Name", "lang": "bn",
		"history":      []map[string]any{{"time": now, "status": "received", "by": "worker", "note": "Old Name"}},
		"workerSealed": box.SealString(workerPhone), "needSealed": box.SealString("old need"),
	}
	oldWorker := map[string]any{"name": "Old Worker", "lang": "en", "added": now, "number": box.SealString("+8801711000888")}
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		v, _ := json.Marshal(old)
		if err := tx.Bucket(store.Referrals).Put(store.U64(1), v); err != nil {
			return err
		}
		w, _ := json.Marshal(oldWorker)
		return tx.Bucket(store.Workers).Put(box.Hash("+8801711000888"), w)
	})
	if err != nil {
		t.Fatal(err)
	}
	got, err := cb.ReferralByRef(ctx, "R"+casebook.DerivedRef(1))
	if err != nil || got.Place != "Mirpur" || got.WorkerName != "Old Name" || got.Need != "old need" || got.Worker != workerPhone ||
		len(got.History) != 1 || got.History[0].Note != "Old Name" {
		t.Fatalf("old referral read as %+v %v", got, err)
	}
	ws, err := cb.Workers(ctx)
	if err != nil || len(ws) != 1 || ws[0].Name != "Old Worker" {
		t.Fatalf("old worker read as %+v %v", ws, err)
	}
}

func newBox(t *testing.T) *seal.Box {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize)) // newCasebook's key
	if err != nil {
		t.Fatal(err)
	}
	return box
}

func TestAttemptOutsideHerWindowNeedsAnOverride(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name     string
		at       time.Duration
		override string
		wantErr  string
	}{
		{"before it opens", -time.Minute, "", onestop.ECONFLICT},
		{"as it closes", 30 * time.Minute, "", onestop.ECONFLICT},
		{"after, with an empty reason", time.Hour, "  ", onestop.EINVALID},
		{"after, with a reason", time.Hour, "she asked for a late call", ""},
		{"inside", time.Minute, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, db := newCasebook(t)
			c := &onestop.Contact{Time: now, Urgency: onestop.Urgent, Status: onestop.Open, Caller: "+8801711000001",
				Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Window: onestop.Now, Opens: now, Closes: now.Add(30 * time.Minute)}}
			put(t, cb, db, c)
			err := db.Update(context.Background(), func(tx onestop.Tx) error {
				var err error
				if tt.override != "" {
					_, err = cb.RecordAttemptOverride(tx, c.ID, "sara", casebook.Reached, tt.override, now.Add(tt.at))
				} else {
					_, err = cb.RecordAttempt(tx, c.ID, "cara", casebook.Reached, now.Add(tt.at))
				}
				return err
			})
			if onestop.ErrorCode(err) != tt.wantErr {
				t.Fatalf("attempt: %v, want %q", err, tt.wantErr)
			}
			got, _ := cb.Contact(ctx, c.ID)
			es, _ := cb.AuditLog(ctx, casebook.AuditFilter{})
			if tt.wantErr != "" {
				if got.Status != onestop.Open || len(es) != 0 {
					t.Fatalf("a refused attempt changed something: %s %+v", got.Status, es)
				}
				return
			}
			overridden := tt.override != ""
			if got.Status != onestop.Done || len(es) != map[bool]int{false: 1, true: 2}[overridden] {
				t.Fatalf("after the attempt: %s %+v", got.Status, es)
			}
			if overridden && (es[1].Action != casebook.AuditOverride || es[1].Note != tt.override || es[1].Actor != "sara") {
				t.Fatalf("override entry %+v", es[1])
			}
		})
	}
}

// Reseal rewrites, once, every record that kept in the clear what is now sealed or hashed; after
// it and a compaction, the file holds none of it, and the records read as before.
func TestResealLeavesNothingOldInTheClear(t *testing.T) {
	cb, db := newCasebook(t)
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	box := newBox(t)
	ctx := context.Background()
	old := map[string]any{
		"id": 1, "ref": "R" + casebook.DerivedRef(1), "time": now, "updated": now, "channel": "sms", "country": "BD", "place": "Kamrangirchar",
		"status": "closed", "verified": true, "workerName": "Nasreen Akhter", "lang": "bn",
		"history":      []map[string]any{{"time": now, "status": "received", "by": "worker", "note": "sister-in-law"}},
		"workerSealed": box.SealString(workerPhone), "needSealed": box.SealString("old need"),
	}
	oldWorker := map[string]any{"name": "Shahnaz Parvin", "lang": "en", "added": now, "number": box.SealString("+8801711000888")}
	err := db.Update(ctx, func(tx onestop.Tx) error {
		v, _ := json.Marshal(old)
		if err := tx.Bucket(store.Referrals).Put(store.U64(1), v); err != nil {
			return err
		}
		w, _ := json.Marshal(oldWorker)
		return tx.Bucket(store.Workers).Put(box.Hash("+8801711000888"), w)
	})
	if err != nil {
		t.Fatal(err)
	}
	c := legacy{Contact: onestop.Contact{ID: 7, Ref: casebook.DerivedRef(7), Time: now, Updated: now, Channel: onestop.USSD,
		SessionID: "ATUid_oldsession91", Country: "BD", Lang: onestop.Bengali, Urgency: onestop.Information, Status: onestop.Done}}
	putLegacy(t, db, &c)
	if n, err := cb.Reseal(ctx); err != nil || n != 3 {
		t.Fatalf("Reseal = %d, %v; want 3", n, err)
	}
	if n, err := cb.Reseal(ctx); err != nil || n != 0 {
		t.Fatalf("Reseal again = %d, %v; want 0", n, err)
	}
	if err := db.Compact(ctx); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"Kamrangirchar", "Nasreen", "sister-in-law", "Shahnaz", "oldsession91"} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("%q is still in the file", s)
		}
	}
	got, err := cb.ReferralByRef(ctx, "R"+casebook.DerivedRef(1))
	if err != nil || got.Place != "Kamrangirchar" || got.WorkerName != "Nasreen Akhter" || got.History[0].Note != "sister-in-law" {
		t.Fatalf("the referral after Reseal: %+v %v", got, err)
	}
	if ct, err := cb.Contact(ctx, 7); err != nil || ct.SessionID != cb.SessionHash("ATUid_oldsession91") {
		t.Fatalf("the contact after Reseal: %+v %v", ct, err)
	}
}
