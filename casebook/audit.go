package casebook

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// The audit log answers "who saw or changed what, when": every view of a survivor's case in the
// console, every reveal of a number, every export and every change. It is append-only and
// hash-chained: each entry's hash covers the previous entry's hash and its own bytes as stored,
// so an entry edited, removed or reordered in the file breaks the chain from that entry on, and
// VerifyAudit names the first one.
//
// The chain uses plain SHA-256 rather than a keyed hash so that anyone holding a copy of the
// file can check it without the sealing key. Free text typed by staff (a reveal's reason, a
// note) can name people, so it is sealed like every other free text; the hash covers the sealed
// bytes, which is what lets VerifyAudit run without opening them.

// Audit actions. Subjects name what was acted on: "contact:<ref>", "referral:<ref>",
// "user:<name>", "directory", "export".
const (
	AuditCaseView     = "case.view"
	AuditCaseReveal   = "case.reveal"
	AuditCaseNote     = "case.note"
	AuditCallback     = "callback.attempt"
	AuditReferral     = "referral.update"
	AuditExport       = "export"
	AuditDirectory    = "directory.import"
	AuditUserAdd      = "user.add"
	AuditUserDisable  = "user.disable"
	AuditUserPassword = "user.password"
	// AuditUserReset is an administrator giving a user a new password to change at login.
	AuditUserReset = "user.reset"
	// AuditUserEnable is an administrator letting a disabled user log in again.
	AuditUserEnable = "user.enable"
	// AuditCaseOpen is a counsellor opening by its reference a case no list of hers showed;
	// Note holds her reason, sealed.
	AuditCaseOpen = "case.open"
	AuditLogin    = "login"
	AuditLockout  = "login.lockout"
	// AuditReferralView is a view of the referrals page: it shows what workers wrote.
	AuditReferralView = "referral.view"
	// AuditOverride is a supervisor acting on a case outside her window (a callback attempt
	// or a reveal); Detail says which, Note holds the reason, sealed.
	AuditOverride = "window.override"
)

// AuditEntry is one line of the audit log.
type AuditEntry struct {
	// Seq is the entry's place in the chain, from 1, with no gaps.
	Seq  uint64    `json:"seq"`
	Time time.Time `json:"time"`
	// Actor is the console user's name, or "system" and "cli" for what no person did in the
	// console.
	Actor   string `json:"actor"`
	Action  string `json:"action"`
	Subject string `json:"subject,omitempty"`
	// Detail is a short, non-identifying fact about the action: an outcome, a status, a count.
	Detail string `json:"detail,omitempty"`
	// Note is free text typed by staff: a reveal's reason, a case note. Sealed at rest.
	Note string `json:"-"`
	// Prev is the hex hash of the entry before (empty for the first); Hash is this entry's.
	Prev string `json:"prev"`
	Hash string `json:"-"`
}

// auditBody is an entry's hashed bytes: the entry with its note sealed.
type auditBody struct {
	AuditEntry
	NoteSealed []byte `json:"noteSealed,omitempty"`
}

// auditRecord is what lies on disk under the entry's sequence number. Entry is kept as the exact
// bytes that were hashed, so verifying never depends on re-encoding them the same way.
type auditRecord struct {
	Hash  string          `json:"hash"`
	Entry json.RawMessage `json:"entry"`
}

// chainHash is SHA-256 over the previous hash (hex) and the entry's bytes.
func chainHash(prev string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Append adds e to the audit log in tx, setting its Seq, Prev and Hash (final once tx commits).
// It writes in the same transaction as the change it records, so a change is never on disk
// without its entry. Returns EINVALID without an actor or an action.
func (cb *Casebook) Append(tx onestop.Tx, e *AuditEntry) error {
	if e.Actor == "" || e.Action == "" {
		return onestop.Errorf(onestop.EINVALID, "an audit entry needs an actor and an action")
	}
	b := tx.Bucket(store.Audit)
	prev := auditCheckpoint(tx).Hash // the chain goes on from the last purged entry
	if k, v := b.Cursor().Last(); k != nil {
		var last auditRecord
		if err := json.Unmarshal(v, &last); err != nil {
			return fmt.Errorf("casebook: audit: last entry: %w", err)
		}
		prev = last.Hash
	}
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	e.Seq, e.Prev = seq, prev
	if e.Time.IsZero() {
		e.Time = cb.db.Now()
	}
	e.Time = e.Time.UTC()
	body := auditBody{AuditEntry: *e}
	if e.Note != "" {
		body.NoteSealed = cb.box.SealString(e.Note)
	}
	raw, err := json.Marshal(&body)
	if err != nil {
		return err
	}
	e.Hash = chainHash(prev, raw)
	v, err := json.Marshal(&auditRecord{Hash: e.Hash, Entry: raw})
	if err != nil {
		return err
	}
	return b.Put(store.U64(seq), v)
}

// AuditFilter narrows AuditLog.
type AuditFilter struct {
	// Before, when set, lists only entries with a Seq below it: the next page.
	Before uint64
	// Limit caps the result; 0 means 100.
	Limit int
	// Subject, when set, keeps only entries about it; Actions, when set, only those actions.
	Subject string
	Actions []string
}

// AuditLog returns entries newest first, their notes opened.
func (cb *Casebook) AuditLog(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []AuditEntry
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		c := tx.Bucket(store.Audit).Cursor()
		var k, v []byte
		if f.Before > 0 {
			c.Seek(store.U64(f.Before))
			k, v = c.Prev()
		} else {
			k, v = c.Last()
		}
		for ; k != nil && len(out) < f.Limit; k, v = c.Prev() {
			e, sealed, err := decodeAudit(v)
			if err != nil {
				return err
			}
			if f.Subject != "" && e.Subject != f.Subject {
				continue
			}
			if len(f.Actions) > 0 && !slices.Contains(f.Actions, e.Action) {
				continue
			}
			if len(sealed) > 0 {
				if e.Note, err = cb.box.OpenString(sealed); err != nil {
					return fmt.Errorf("casebook: audit entry %d: %w", e.Seq, err)
				}
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}

// decodeAudit reads a stored entry and returns it with its note still sealed.
func decodeAudit(v []byte) (AuditEntry, []byte, error) {
	var rec auditRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return AuditEntry{}, nil, fmt.Errorf("casebook: audit: %w", err)
	}
	var body auditBody
	if err := json.Unmarshal(rec.Entry, &body); err != nil {
		return AuditEntry{}, nil, fmt.Errorf("casebook: audit: %w", err)
	}
	e := body.AuditEntry
	e.Hash = rec.Hash
	return e, body.NoteSealed, nil
}

// ChainError names the first entry at which the audit log's chain is broken.
type ChainError struct {
	// Seq is the first broken entry's sequence number (the one expected there, when an entry
	// is missing).
	Seq    uint64
	Reason string
}

func (e *ChainError) Error() string {
	return fmt.Sprintf("audit log broken at entry %d: %s", e.Seq, e.Reason)
}

// VerifyAudit checks the whole chain: sequence numbers from 1 without gaps, each entry's Prev the
// hash before it, each hash the hash of its bytes. It returns how many entries it checked and,
// if the chain is broken, a *ChainError naming the first broken entry.
func (cb *Casebook) VerifyAudit(ctx context.Context) (n int, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		n, err = VerifyAudit(tx)
		return err
	})
	return n, err
}

// VerifyAudit checks the audit log's chain in tx; see (*Casebook).VerifyAudit. It needs no key.
// Once entries have been purged, the chain is checked from the checkpoint PurgeAudit left: the
// first entry kept must follow the last one purged.
func VerifyAudit(tx onestop.Tx) (int, error) {
	c := tx.Bucket(store.Audit).Cursor()
	cp := auditCheckpoint(tx)
	prev, want, n := cp.Hash, cp.Seq+1, 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if len(k) != 8 {
			return n, &ChainError{Seq: want, Reason: fmt.Sprintf("a key %x that is not an entry's", k)}
		}
		seq := binary.BigEndian.Uint64(k)
		if seq != want {
			return n, &ChainError{Seq: want, Reason: fmt.Sprintf("missing (the next entry is %d)", seq)}
		}
		var rec auditRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return n, &ChainError{Seq: seq, Reason: "unreadable: " + err.Error()}
		}
		var body auditBody
		if err := json.Unmarshal(rec.Entry, &body); err != nil {
			return n, &ChainError{Seq: seq, Reason: "unreadable: " + err.Error()}
		}
		switch {
		case body.Seq != seq:
			return n, &ChainError{Seq: seq, Reason: fmt.Sprintf("says it is entry %d", body.Seq)}
		case body.Prev != prev:
			return n, &ChainError{Seq: seq, Reason: "does not follow the entry before it"}
		case chainHash(prev, rec.Entry) != rec.Hash:
			return n, &ChainError{Seq: seq, Reason: "its contents do not match its hash"}
		}
		prev, want = rec.Hash, want+1
		n++
	}
	// The bucket's sequence counts every entry ever appended; fewer entries on file means the
	// newest were cut off, which leaves no broken link behind.
	if seq := tx.Bucket(store.Audit).Sequence(); seq >= want {
		return n, &ChainError{Seq: want, Reason: fmt.Sprintf("missing: %d entries were appended, %d are on file", seq, n)}
	}
	return n, nil
}
