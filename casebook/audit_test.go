package casebook_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

func appendN(t *testing.T, cb *casebook.Casebook, db *bolt.DB, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		e := &casebook.AuditEntry{Actor: "asha", Action: casebook.AuditCaseView, Subject: "contact:1234567", Note: "secret reason " + string(rune('a'+i))}
		if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.Append(tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditChainVerifiesAndNotesAreSealed(t *testing.T) {
	ctx := context.Background()
	cb, db := newCasebook(t)
	appendN(t, cb, db, 5)
	n, err := cb.VerifyAudit(ctx)
	if err != nil || n != 5 {
		t.Fatalf("VerifyAudit = %d, %v", n, err)
	}
	got, err := cb.AuditLog(ctx, casebook.AuditFilter{Limit: 2})
	if err != nil || len(got) != 2 || got[0].Seq != 5 || got[1].Seq != 4 || got[0].Note != "secret reason e" || got[0].Prev != got[1].Hash {
		t.Fatalf("newest two: %+v, %v", got, err)
	}
	next, err := cb.AuditLog(ctx, casebook.AuditFilter{Before: got[1].Seq})
	if err != nil || len(next) != 3 || next[0].Seq != 3 {
		t.Fatalf("next page: %+v, %v", next, err)
	}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		return cb.Append(tx, &casebook.AuditEntry{Action: casebook.AuditCaseView})
	}); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("entry without actor: %v", err)
	}
	path := db.Path()
	db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(raw), "secret reason") {
		t.Fatal("a note is in the clear on disk")
	}
}

// tamper changes the stored entry seq with f, bypassing the log's API as an intruder would.
func tamper(t *testing.T, db *bolt.DB, seq uint64, f func(b onestop.Bucket, v []byte) error) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Audit)
		v := append([]byte(nil), b.Get(store.U64(seq))...)
		return f(b, v)
	}); err != nil {
		t.Fatal(err)
	}
}

func TestAuditVerifyNamesTheFirstBrokenEntry(t *testing.T) {
	ctx := context.Background()
	rewrite := func(seq uint64, edit func(map[string]any)) func(onestop.Bucket, []byte) error {
		return func(b onestop.Bucket, v []byte) error {
			var rec struct {
				Hash  string          `json:"hash"`
				Entry json.RawMessage `json:"entry"`
			}
			if err := json.Unmarshal(v, &rec); err != nil {
				return err
			}
			var m map[string]any
			if err := json.Unmarshal(rec.Entry, &m); err != nil {
				return err
			}
			edit(m)
			rec.Entry, _ = json.Marshal(m)
			out, _ := json.Marshal(rec)
			return b.Put(store.U64(seq), out)
		}
	}
	tests := []struct {
		name    string
		seq     uint64
		f       func(onestop.Bucket, []byte) error
		wantSeq uint64
		reason  string
	}{
		{"actor changed", 3, rewrite(3, func(m map[string]any) { m["actor"] = "mallory" }), 3, "do not match"},
		{"entry removed", 2, func(b onestop.Bucket, _ []byte) error { return b.Delete(store.U64(2)) }, 2, "missing"},
		{"newest removed", 5, func(b onestop.Bucket, _ []byte) error { return b.Delete(store.U64(5)) }, 5, "missing"},
		{"garbage", 4, func(b onestop.Bucket, _ []byte) error { return b.Put(store.U64(4), []byte("{")) }, 4, "unreadable"},
		{"entries swapped", 1, func(b onestop.Bucket, v []byte) error {
			two := append([]byte(nil), b.Get(store.U64(2))...)
			if err := b.Put(store.U64(2), v); err != nil {
				return err
			}
			return b.Put(store.U64(1), two)
		}, 1, "says it is entry 2"},
		{"relinked", 3, rewrite(3, func(m map[string]any) { m["prev"] = "" }), 3, "does not follow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb, db := newCasebook(t)
			appendN(t, cb, db, 5)
			tamper(t, db, tt.seq, tt.f)
			_, err := cb.VerifyAudit(ctx)
			var ce *casebook.ChainError
			if !errors.As(err, &ce) || ce.Seq != tt.wantSeq || !strings.Contains(ce.Reason, tt.reason) {
				t.Fatalf("VerifyAudit = %v, want entry %d (%s)", err, tt.wantSeq, tt.reason)
			}
		})
	}
}

func TestCallbackAttempts(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		outcome    casebook.Outcome
		wantStatus onestop.ContactStatus
		wantNumber string
		wantErr    string
	}{
		{casebook.Reached, onestop.Done, "+8801711000001", ""},
		{casebook.NotSafe, onestop.DoNotContact, "", ""},
		{casebook.NoAnswer, onestop.Open, "+8801711000001", ""},
		{"maybe", onestop.Open, "+8801711000001", onestop.EINVALID},
	}
	for _, tt := range tests {
		t.Run(string(tt.outcome), func(t *testing.T) {
			cb, db := newCasebook(t)
			c := &onestop.Contact{Time: now, Urgency: onestop.Urgent, Status: onestop.Open, Caller: "+8801711000001", Masked: "+880 17** ***001",
				Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Window: onestop.Now, Opens: now, Closes: now.Add(30 * time.Minute)}}
			put(t, cb, db, c)
			if !casebook.Due(c, now.Add(time.Minute)) || casebook.Due(c, now.Add(time.Hour)) {
				t.Fatal("Due ignores the window")
			}
			err := db.Update(context.Background(), func(tx onestop.Tx) error {
				_, err := cb.RecordAttempt(tx, c.ID, "asha", tt.outcome, now.Add(time.Minute))
				return err
			})
			if onestop.ErrorCode(err) != tt.wantErr {
				t.Fatalf("RecordAttempt: %v", err)
			}
			got, _ := cb.Contact(ctx, c.ID)
			if got.Status != tt.wantStatus || got.Plan.Number != tt.wantNumber || got.Caller != tt.wantNumber || got.Masked != c.Masked {
				t.Fatalf("after %s: %+v %+v", tt.outcome, got, got.Plan)
			}
			attempts, err := cb.Attempts(ctx, got)
			if err != nil {
				t.Fatal(err)
			}
			if tt.wantErr != "" {
				if len(attempts) != 0 {
					t.Fatalf("a refused attempt was recorded: %+v", attempts)
				}
				return
			}
			if len(attempts) != 1 || attempts[0].Outcome != tt.outcome || attempts[0].By != "asha" {
				t.Fatalf("attempts %+v", attempts)
			}
			if tt.outcome != casebook.NoAnswer {
				err := db.Update(context.Background(), func(tx onestop.Tx) error {
					_, err := cb.RecordAttempt(tx, c.ID, "asha", casebook.NoAnswer, now)
					return err
				})
				if onestop.ErrorCode(err) != onestop.ECONFLICT {
					t.Fatalf("attempt on a closed callback: %v", err)
				}
			}
			if _, err := cb.VerifyAudit(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPurgedAuditLogStillVerifies(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	now := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	db.Clock = func() time.Time { return now }
	for i := 0; i < 10; i++ {
		e := &casebook.AuditEntry{Time: now.AddDate(0, 0, -400+30*i), Actor: "asha", Action: casebook.AuditCaseView, Subject: "contact:1234567", Note: "why " + string(rune('a'+i))}
		if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.Append(tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	// Entries are 400, 370, 340, 310, 280, ... days old; with the cutoff 300 days ago, 1-4 go.
	n, err := cb.PurgeAudit(ctx, now.AddDate(0, 0, -300))
	if err != nil || n != 4 {
		t.Fatalf("PurgeAudit = %d, %v; want 4", n, err)
	}
	if got, err := cb.VerifyAudit(ctx); err != nil || got != 7 {
		t.Fatalf("VerifyAudit after purge = %d, %v; want the 6 kept and the purge's own entry", got, err)
	}
	newest, err := cb.AuditLog(ctx, casebook.AuditFilter{Limit: 1})
	if err != nil || len(newest) != 1 || newest[0].Action != casebook.AuditPurge || newest[0].Detail != "entries 1-4" {
		t.Fatalf("the purge is not in the log: %+v, %v", newest, err)
	}
	// The chain goes on, and a second purge of everything up to now leaves it verifiable too,
	// even with no entry left from before.
	appendN(t, cb, db, 2)
	if got, err := cb.VerifyAudit(ctx); err != nil || got != 9 {
		t.Fatalf("VerifyAudit after more entries = %d, %v", got, err)
	}
	if n, err := cb.PurgeAudit(ctx, now.Add(time.Second)); err != nil || n != 9 {
		t.Fatalf("second PurgeAudit = %d, %v; want 9", n, err)
	}
	if got, err := cb.VerifyAudit(ctx); err != nil || got != 1 {
		t.Fatalf("VerifyAudit after purging all = %d, %v", got, err)
	}
	appendN(t, cb, db, 1)
	if got, err := cb.VerifyAudit(ctx); err != nil || got != 2 {
		t.Fatalf("VerifyAudit after an entry on a purged log = %d, %v", got, err)
	}
	// Cutting the oldest kept entry is still caught: the checkpoint says where the chain starts.
	tamper(t, db, 14, func(b onestop.Bucket, v []byte) error { return b.Delete(store.U64(14)) })
	var ce *casebook.ChainError
	if _, err := cb.VerifyAudit(ctx); !errors.As(err, &ce) || ce.Seq != 14 {
		t.Fatalf("VerifyAudit after cutting the first kept entry: %v", err)
	}
}

func TestPurgeAuditStopsAtATamperedEntry(t *testing.T) {
	cb, db := newCasebook(t)
	ctx := context.Background()
	appendN(t, cb, db, 5)
	tamper(t, db, 3, func(b onestop.Bucket, v []byte) error {
		return b.Put(store.U64(3), []byte(strings.Replace(string(v), "asha", "anon", 1)))
	})
	n, err := cb.PurgeAudit(ctx, db.Now().Add(time.Hour))
	var ce *casebook.ChainError
	if !errors.As(err, &ce) || ce.Seq != 3 || n != 2 {
		t.Fatalf("PurgeAudit over a tampered entry = %d, %v; want 2 purged and entry 3 named", n, err)
	}
	// The tampered entry is still there to be seen, and the purge of what came before it is in
	// the log.
	if _, err := cb.VerifyAudit(ctx); !errors.As(err, &ce) || ce.Seq != 3 {
		t.Fatalf("VerifyAudit: %v", err)
	}
	if newest, err := cb.AuditLog(ctx, casebook.AuditFilter{Limit: 1}); err != nil || len(newest) != 1 || newest[0].Detail != "entries 1-2" {
		t.Fatalf("the purge is not in the log: %+v, %v", newest, err)
	}
}
