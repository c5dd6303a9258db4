package casebook

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
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
// The chain is keyed: each link is an HMAC-SHA-256 under a key derived from the sealing key
// with a fixed label, so that whoever can write the file but does not hold the key cannot
// rewrite the log and its chain after it. The newest entry's place and hash are kept beside it
// as the head, also under the key, so that cutting off the newest entries is told apart from a
// log that ended there. Chains written before the key was used are plain SHA-256; they are
// checked as before up to the entry at which the keyed chain begins (the keyed mark, itself
// under the key), and every entry from there on must be keyed. Free text typed by staff (a
// reveal's reason, a note) can name people, so it is sealed like every other free text; the
// hash covers the sealed bytes, which is what lets VerifyAudit run without opening them.

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

// chainHash is SHA-256 over the previous hash (hex) and the entry's bytes: the link of a chain
// written before links were keyed.
func chainHash(prev string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(prev))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// auditKeyLabel is what the audit chain's key is derived from: the sealing key's keyed hash of
// a label no phone number, session id or lookup ever is (it holds NUL bytes).
const auditKeyLabel = "\x00onestop audit chain v1\x00"

// auditMAC is HMAC-SHA-256, under the audit key, over parts joined by newlines.
func (cb *Casebook) auditMAC(parts ...[]byte) string {
	m := hmac.New(sha256.New, cb.box.Hash(auditKeyLabel))
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{'\n'})
		}
		m.Write(p)
	}
	return hex.EncodeToString(m.Sum(nil))
}

// keyedHash is a keyed chain's link: the previous hash and the entry's bytes, under the key.
func (cb *Casebook) keyedHash(prev string, body []byte) string {
	return cb.auditMAC([]byte("link"), []byte(prev), body)
}

// In the meta bucket: where the keyed chain begins, and its newest entry.
var (
	keyAuditKeyed = []byte("audit.keyed")
	keyAuditHead  = []byte("audit.head")
)

// auditMark is a sequence number and a hash under the audit key: the keyed chain's first entry
// (Hash empty), or the head.
type auditMark struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash,omitempty"`
	MAC  string `json:"mac"`
}

func (cb *Casebook) markMAC(kind string, seq uint64, hash string) string {
	return cb.auditMAC([]byte(kind), []byte(strconv.FormatUint(seq, 10)), []byte(hash))
}

// readMark returns the mark under key and whether there is one; a mark whose MAC is not the
// key's is an error naming what it is.
func (cb *Casebook) readMark(tx onestop.Tx, key []byte, kind string) (auditMark, bool, error) {
	var m auditMark
	v := tx.Bucket(store.Meta).Get(key)
	if v == nil {
		return m, false, nil
	}
	if err := json.Unmarshal(v, &m); err != nil {
		return m, true, &ChainError{Seq: m.Seq, Reason: "the " + kind + " mark is unreadable"}
	}
	if !hmac.Equal([]byte(m.MAC), []byte(cb.markMAC(kind, m.Seq, m.Hash))) {
		return m, true, &ChainError{Seq: m.Seq, Reason: "the " + kind + " mark was not made with this key"}
	}
	return m, true, nil
}

func (cb *Casebook) putMark(tx onestop.Tx, key []byte, kind string, seq uint64, hash string) error {
	v, err := json.Marshal(&auditMark{Seq: seq, Hash: hash, MAC: cb.markMAC(kind, seq, hash)})
	if err != nil {
		return err
	}
	return tx.Bucket(store.Meta).Put(key, v)
}

// linkFor returns the link function of entry seq: keyed from the keyed mark on, plain before.
func (cb *Casebook) linkFor(keyed auditMark, isKeyed bool, seq uint64) func(string, []byte) string {
	if isKeyed && seq >= keyed.Seq {
		return cb.keyedHash
	}
	return chainHash
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
	// The first entry appended with a key begins the keyed chain: every one after it is keyed.
	keyed, isKeyed, err := cb.readMark(tx, keyAuditKeyed, "keyed")
	if err != nil {
		return fmt.Errorf("casebook: audit: %w", err)
	}
	if !isKeyed {
		if err := cb.putMark(tx, keyAuditKeyed, "keyed", seq, ""); err != nil {
			return err
		}
		keyed, isKeyed = auditMark{Seq: seq}, true
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
	e.Hash = cb.linkFor(keyed, isKeyed, seq)(prev, raw)
	v, err := json.Marshal(&auditRecord{Hash: e.Hash, Entry: raw})
	if err != nil {
		return err
	}
	if err := b.Put(store.U64(seq), v); err != nil {
		return err
	}
	return cb.putMark(tx, keyAuditHead, "head", seq, e.Hash)
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

// AuditReport is what VerifyAuditReport found.
type AuditReport struct {
	// Entries is how many entries were checked and found intact.
	Entries int
	// KeyedFrom is the first entry of the keyed chain; 0 when the chain has no keyed part (a
	// file no entry has been appended to since the key began to be used).
	KeyedFrom uint64
	// Head is the newest entry's place as the keyed head records it; 0 with no head.
	Head uint64
}

// VerifyAudit checks the whole chain: sequence numbers from 1 without gaps, each entry's Prev the
// hash before it, each hash the link of its bytes (keyed from the keyed mark on), and the head
// naming the newest entry. It returns how many entries it checked and, if the chain is broken, a
// *ChainError naming the first broken entry.
func (cb *Casebook) VerifyAudit(ctx context.Context) (n int, err error) {
	r, err := cb.VerifyAuditReport(ctx)
	return r.Entries, err
}

// VerifyAuditReport is VerifyAudit, saying also where the keyed chain begins and where its head
// is. Returns a *ChainError if the chain is broken.
func (cb *Casebook) VerifyAuditReport(ctx context.Context) (r AuditReport, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		r, err = cb.verifyAudit(tx)
		return err
	})
	return r, err
}

// UpgradeAudit begins the keyed chain now, if it has not begun, by appending an entry that says
// so: a file written before links were keyed is then keyed from that entry on, and everything
// before it is checked as before. Call it at start. It appends nothing once the chain is keyed.
func (cb *Casebook) UpgradeAudit(ctx context.Context) (began bool, err error) {
	err = cb.db.Update(ctx, func(tx onestop.Tx) error {
		began = false
		if _, ok, err := cb.readMark(tx, keyAuditKeyed, "keyed"); err != nil || ok {
			return err
		}
		began = true
		return cb.Append(tx, &AuditEntry{Actor: "system", Action: AuditKeyed, Subject: "audit"})
	})
	return began, err
}

// AuditKeyed is the entry UpgradeAudit appends where the keyed chain begins.
const AuditKeyed = "audit.keyed"

// verifyAudit checks the audit log's chain in tx; see VerifyAudit. Once entries have been
// purged, the chain is checked from the checkpoint PurgeAudit left: the first entry kept must
// follow the last one purged.
func (cb *Casebook) verifyAudit(tx onestop.Tx) (AuditReport, error) {
	var r AuditReport
	keyed, isKeyed, err := cb.readMark(tx, keyAuditKeyed, "keyed")
	if err != nil {
		return r, err
	}
	head, hasHead, err := cb.readMark(tx, keyAuditHead, "head")
	if err != nil {
		return r, err
	}
	if isKeyed {
		r.KeyedFrom = keyed.Seq
	}
	if hasHead {
		r.Head = head.Seq
		if !isKeyed {
			return r, &ChainError{Seq: head.Seq, Reason: "the mark where the keyed chain begins is gone"}
		}
	}
	c := tx.Bucket(store.Audit).Cursor()
	cp := auditCheckpoint(tx)
	prev, want, n := cp.Hash, cp.Seq+1, 0
	for k, v := c.First(); k != nil; k, v = c.Next() {
		r.Entries = n
		if len(k) != 8 {
			return r, &ChainError{Seq: want, Reason: fmt.Sprintf("a key %x that is not an entry's", k)}
		}
		seq := binary.BigEndian.Uint64(k)
		if seq != want {
			return r, &ChainError{Seq: want, Reason: fmt.Sprintf("missing (the next entry is %d)", seq)}
		}
		var rec auditRecord
		if err := json.Unmarshal(v, &rec); err != nil {
			return r, &ChainError{Seq: seq, Reason: "unreadable: " + err.Error()}
		}
		var body auditBody
		if err := json.Unmarshal(rec.Entry, &body); err != nil {
			return r, &ChainError{Seq: seq, Reason: "unreadable: " + err.Error()}
		}
		switch {
		case body.Seq != seq:
			return r, &ChainError{Seq: seq, Reason: fmt.Sprintf("says it is entry %d", body.Seq)}
		case body.Prev != prev:
			return r, &ChainError{Seq: seq, Reason: "does not follow the entry before it"}
		case !hmac.Equal([]byte(cb.linkFor(keyed, isKeyed, seq)(prev, rec.Entry)), []byte(rec.Hash)):
			return r, &ChainError{Seq: seq, Reason: "its contents do not match its hash"}
		}
		prev, want = rec.Hash, want+1
		n++
	}
	r.Entries = n
	// The bucket's sequence counts every entry ever appended; fewer entries on file means the
	// newest were cut off, which leaves no broken link behind. The bucket's counter is not
	// under the key; the head is.
	if seq := tx.Bucket(store.Audit).Sequence(); seq >= want {
		return r, &ChainError{Seq: want, Reason: fmt.Sprintf("missing: %d entries were appended, %d are on file", seq, n)}
	}
	if isKeyed {
		switch {
		case !hasHead:
			return r, &ChainError{Seq: want, Reason: "the head of the keyed chain is gone"}
		case head.Seq != want-1:
			return r, &ChainError{Seq: min(head.Seq, want-1) + 1, Reason: fmt.Sprintf("the head names entry %d, the newest on file is %d", head.Seq, want-1)}
		case head.Hash != prev:
			return r, &ChainError{Seq: head.Seq, Reason: "the newest entry is not the one the head names"}
		}
	}
	return r, nil
}
