package casebook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

func keyedCasebook(t *testing.T, keyByte byte) (*Casebook, *bolt.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "onestop.db")
	db, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{keyByte}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, box), db, path
}

// appendLegacy writes n entries the way they were written before links were keyed: plain
// SHA-256 links, no keyed mark, no head.
func appendLegacy(t *testing.T, db *bolt.DB, n int) {
	t.Helper()
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Audit)
		prev := ""
		if k, v := b.Cursor().Last(); k != nil {
			var last auditRecord
			json.Unmarshal(v, &last)
			prev = last.Hash
		}
		for range n {
			seq, _ := b.NextSequence()
			raw, _ := json.Marshal(&auditBody{AuditEntry: AuditEntry{Seq: seq, Time: time.Unix(1_790_000_000, 0).UTC(), Actor: "asha", Action: AuditCaseView, Subject: "contact:1234567", Prev: prev}})
			h := chainHash(prev, raw)
			v, _ := json.Marshal(&auditRecord{Hash: h, Entry: raw})
			if err := b.Put(store.U64(seq), v); err != nil {
				return err
			}
			prev = h
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func appendKeyed(t *testing.T, cb *Casebook, db *bolt.DB, n int) {
	t.Helper()
	for range n {
		if err := db.Update(context.Background(), func(tx onestop.Tx) error {
			return cb.Append(tx, &AuditEntry{Actor: "asha", Action: AuditCaseView, Subject: "contact:1234567", Detail: "seen"})
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// relinkPlain rewrites every entry from seq on as someone without the key would: the detail
// of entry seq changed, and every link after it recomputed with plain SHA-256 so that the chain
// holds together as an unkeyed one would.
func relinkPlain(t *testing.T, db *bolt.DB, seq uint64) {
	t.Helper()
	err := db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Audit)
		prev := ""
		if v := b.Get(store.U64(seq - 1)); v != nil {
			var rec auditRecord
			json.Unmarshal(v, &rec)
			prev = rec.Hash
		}
		for s := seq; b.Get(store.U64(s)) != nil; s++ {
			var rec auditRecord
			json.Unmarshal(b.Get(store.U64(s)), &rec)
			var body auditBody
			json.Unmarshal(rec.Entry, &body)
			if s == seq {
				body.Detail = "never happened"
			}
			body.Prev = prev
			raw, _ := json.Marshal(&body)
			rec = auditRecord{Hash: chainHash(prev, raw), Entry: raw}
			v, _ := json.Marshal(&rec)
			if err := b.Put(store.U64(s), v); err != nil {
				return err
			}
			prev = rec.Hash
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func wantBroken(t *testing.T, cb *Casebook, seq uint64, reason string) {
	t.Helper()
	_, err := cb.VerifyAuditReport(context.Background())
	var ce *ChainError
	if !errors.As(err, &ce) || ce.Seq != seq || !strings.Contains(ce.Reason, reason) {
		t.Fatalf("VerifyAudit = %v, want entry %d (%s)", err, seq, reason)
	}
}

// Rewriting the log and relinking it without the key is caught, however consistent the chain
// is made; so is deleting the marks the keyed chain keeps beside it.
func TestKeyedChainNeedsTheKeyToRewrite(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		f      func(t *testing.T, db *bolt.DB)
		seq    uint64
		reason string
	}{
		{"relinked without the key", func(t *testing.T, db *bolt.DB) { relinkPlain(t, db, 3) }, 3, "do not match"},
		{"relinked from 3 and marks deleted", func(t *testing.T, db *bolt.DB) {
			relinkPlain(t, db, 3)
			deleteMeta(t, db, keyAuditHead)
			deleteMeta(t, db, keyAuditKeyed)
		}, 1, "do not match"},
		{"every entry relinked and marks deleted", func(t *testing.T, db *bolt.DB) {
			relinkPlain(t, db, 1)
			deleteMeta(t, db, keyAuditHead)
			deleteMeta(t, db, keyAuditKeyed)
		}, 0, ""},
		{"keyed mark deleted", func(t *testing.T, db *bolt.DB) { deleteMeta(t, db, keyAuditKeyed) }, 5, "keyed chain begins is gone"},
		{"head deleted", func(t *testing.T, db *bolt.DB) { deleteMeta(t, db, keyAuditHead) }, 6, "head of the keyed chain is gone"},
		{"head forged", func(t *testing.T, db *bolt.DB) { putMeta(t, db, keyAuditHead, `{"seq":4,"hash":"00","mac":"00"}`) }, 4, "not made with this key"},
		{"keyed mark moved", func(t *testing.T, db *bolt.DB) { putMeta(t, db, keyAuditKeyed, `{"seq":9,"mac":"00"}`) }, 9, "not made with this key"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cb, db, _ := keyedCasebook(t, 9)
			appendKeyed(t, cb, db, 5)
			if r, err := cb.VerifyAuditReport(ctx); err != nil || r.Entries != 5 || r.KeyedFrom != 1 || r.Head != 5 {
				t.Fatalf("before: %+v %v", r, err)
			}
			tt.f(t, db)
			if tt.seq == 0 {
				// Every link rewritten without the key and both marks gone: the log now reads
				// as one written before links were keyed, and says so (KeyedFrom 0), which a
				// file that UpgradeAudit ran on must never say.
				r, err := cb.VerifyAuditReport(ctx)
				if err != nil || r.KeyedFrom != 0 {
					t.Fatalf("downgraded: %+v %v", r, err)
				}
				return
			}
			wantBroken(t, cb, tt.seq, tt.reason)
		})
	}
	// Another key does not verify the chain at all.
	cb, db, path := keyedCasebook(t, 9)
	appendKeyed(t, cb, db, 2)
	db.Close()
	db2, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	box, _ := seal.New(bytes.Repeat([]byte{8}, seal.KeySize))
	wantBroken(t, New(db2, box), 1, "not made with this key")
}

func deleteMeta(t *testing.T, db *bolt.DB, key []byte) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return tx.Bucket(store.Meta).Delete(key) }); err != nil {
		t.Fatal(err)
	}
}

func putMeta(t *testing.T, db *bolt.DB, key []byte, v string) {
	t.Helper()
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return tx.Bucket(store.Meta).Put(key, []byte(v)) }); err != nil {
		t.Fatal(err)
	}
}

// A chain written before links were keyed verifies as before; UpgradeAudit begins the keyed
// chain after it, once; a change to an old entry is still caught by its plain link.
func TestUnkeyedChainUpgrades(t *testing.T) {
	ctx := context.Background()
	cb, db, _ := keyedCasebook(t, 9)
	appendLegacy(t, db, 4)
	if r, err := cb.VerifyAuditReport(ctx); err != nil || r.Entries != 4 || r.KeyedFrom != 0 || r.Head != 0 {
		t.Fatalf("legacy chain: %+v %v", r, err)
	}
	if began, err := cb.UpgradeAudit(ctx); err != nil || !began {
		t.Fatalf("upgrade: %v %v", began, err)
	}
	if began, err := cb.UpgradeAudit(ctx); err != nil || began {
		t.Fatalf("second upgrade: %v %v", began, err)
	}
	appendKeyed(t, cb, db, 2)
	r, err := cb.VerifyAuditReport(ctx)
	if err != nil || r.Entries != 7 || r.KeyedFrom != 5 || r.Head != 7 {
		t.Fatalf("upgraded chain: %+v %v", r, err)
	}
	if es, _ := cb.AuditLog(ctx, AuditFilter{Actions: []string{AuditKeyed}}); len(es) != 1 || es[0].Seq != 5 {
		t.Fatalf("upgrade entry: %+v", es)
	}
	// An old entry rewritten with its plain link recomputed breaks the link into the keyed part.
	relinkPlain(t, db, 2)
	wantBroken(t, cb, 5, "do not match")
}

// A purge keeps the keyed chain verifiable from its checkpoint.
func TestKeyedChainSurvivesAPurge(t *testing.T) {
	ctx := context.Background()
	cb, db, _ := keyedCasebook(t, 9)
	appendLegacy(t, db, 3)
	appendKeyed(t, cb, db, 3)
	if _, err := cb.PurgeAudit(ctx, time.Unix(1_790_000_001, 0)); err != nil {
		t.Fatal(err)
	}
	r, err := cb.VerifyAuditReport(ctx)
	if err != nil || r.Entries != 4 || r.KeyedFrom != 4 || r.Head != 7 {
		t.Fatalf("after the purge: %+v %v", r, err)
	}
}
