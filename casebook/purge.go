package casebook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// PurgeCounts says how many records a purge deleted.
type PurgeCounts struct {
	Contacts  int `json:"contacts"`
	Referrals int `json:"referrals"`
}

// purgeChunk bounds one purge write, so a large purge never holds the writer for long.
const purgeChunk = 500

// Purge deletes what retention says is due, with one cutoff for contacts and referrals: see
// PurgeContacts and PurgeReferrals. The audit log is left to PurgeAudit.
func (cb *Casebook) Purge(ctx context.Context, cutoff time.Time) (PurgeCounts, error) {
	var n PurgeCounts
	var err error
	if n.Contacts, err = cb.PurgeContacts(ctx, cutoff); err != nil {
		return n, err
	}
	n.Referrals, err = cb.PurgeReferrals(ctx, cutoff)
	return n, err
}

// PurgeContacts deletes the contacts last changed before cutoff that are no longer open, with
// their callback tasks, and returns how many. An open contact is never purged, whatever its age:
// the conversation is going on, or she asked for a callback nobody has finished (reached her, or
// heard it is not safe), and that callback is owed however long ago her window closed. A contact
// whose window closes after cutoff is kept too.
func (cb *Casebook) PurgeContacts(ctx context.Context, cutoff time.Time) (int, error) {
	return cb.purge(ctx, store.Contacts, func(v []byte) bool {
		r, err := unmarshal(v)
		if err != nil {
			return false
		}
		return ContactPurgeable(&r.Contact, cutoff)
	})
}

// ContactPurgeable reports whether retention lets c go at cutoff: it is finished (done, dropped
// or do-not-contact; open, or a status this binary does not know, is kept), it was last changed
// before cutoff, and any callback window it had closed before cutoff.
func ContactPurgeable(c *onestop.Contact, cutoff time.Time) bool {
	switch c.Status {
	case onestop.Done, onestop.Dropped, onestop.DoNotContact:
	default:
		return false
	}
	return c.Updated.Before(cutoff) && (c.Plan == nil || !c.Plan.Closes.After(cutoff))
}

// PurgeReferrals deletes the referrals that are closed or declined and were last changed before
// cutoff, and returns how many. A referral still being worked (received, assigned, contacted, or
// any status this binary does not know) is kept whatever its age.
func (cb *Casebook) PurgeReferrals(ctx context.Context, cutoff time.Time) (int, error) {
	return cb.purge(ctx, store.Referrals, func(v []byte) bool {
		r, err := cb.decodeReferral(v)
		if err != nil {
			return false
		}
		return ReferralPurgeable(r, cutoff)
	})
}

// ReferralPurgeable reports whether retention lets r go at cutoff: it is closed or declined and
// was last changed before cutoff.
func ReferralPurgeable(r *onestop.Referral, cutoff time.Time) bool {
	return (r.Status == onestop.Closed || r.Status == onestop.Declined) && r.Updated.Before(cutoff)
}

// purge deletes the records of bucket that due says are due and, for contacts, their callback
// tasks, and the entry of its reference in the index of references. A record that cannot be
// read is kept: purging must never be the way a damaged record disappears unseen.
func (cb *Casebook) purge(ctx context.Context, bucket []byte, due func(v []byte) bool) (int, error) {
	contacts := bytes.Equal(bucket, store.Contacts)
	total := 0
	var after uint64
	for {
		var ids []uint64
		last := after // the last key read; unchanged when nothing is left to read
		if err := cb.db.View(ctx, func(tx onestop.Tx) error {
			c := tx.Bucket(bucket).Cursor()
			for k, v := c.Seek(store.U64(after + 1)); k != nil && len(ids) < purgeChunk; k, v = c.Next() {
				last = binary.BigEndian.Uint64(k)
				if due(v) {
					ids = append(ids, last)
				}
			}
			return nil
		}); err != nil {
			return total, err
		}
		if len(ids) > 0 {
			done := 0
			err := cb.db.Update(ctx, func(tx onestop.Tx) error {
				done = 0
				for _, id := range ids {
					// Checked again inside the write: it may have changed since it was read.
					v := tx.Bucket(bucket).Get(store.U64(id))
					if v == nil || !due(v) {
						continue
					}
					kind, ref, err := referralRefs, "", error(nil)
					if contacts {
						kind = contactRefs
						ref, err = storedRef(v)
					} else {
						ref, err = storedReferralRef(v, id)
					}
					if err != nil {
						return err
					}
					if err := unindexRef(tx, kind, ref, id); err != nil {
						return err
					}
					if err := tx.Bucket(bucket).Delete(store.U64(id)); err != nil {
						return err
					}
					if contacts {
						if err := tx.Bucket(store.Callbacks).Delete(store.U64(id)); err != nil {
							return err
						}
						// An urgent contact's follow-up goes with her contact.
						if err := tx.Bucket(store.Urgent).Delete(store.U64(id)); err != nil {
							return err
						}
					}
					done++
				}
				return nil
			})
			if err != nil {
				return total, err
			}
			total += done
		}
		if last == after || ctx.Err() != nil {
			return total, ctx.Err()
		}
		after = last
	}
}

// AuditPurge is the audit action PurgeAudit records: Detail names the entries purged.
const AuditPurge = "audit.purge"

// keyAuditCheckpoint is where, in the meta bucket, the last purged audit entry is remembered.
var keyAuditCheckpoint = []byte("audit.checkpoint")

// AuditCheckpoint is the last audit entry purged: its place and its hash, from which the chain
// of the entries kept goes on.
type AuditCheckpoint struct {
	Seq  uint64    `json:"seq"`
	Hash string    `json:"hash"`
	Time time.Time `json:"time"` // when that entry was written
}

// auditCheckpoint returns tx's checkpoint, the zero one (the chain starts at entry 1, after "")
// when nothing was ever purged. An unreadable checkpoint is read as none, which VerifyAudit
// then reports as the first entry kept not following.
func auditCheckpoint(tx onestop.Tx) AuditCheckpoint {
	var cp AuditCheckpoint
	if v := tx.Bucket(store.Meta).Get(keyAuditCheckpoint); v != nil {
		if json.Unmarshal(v, &cp) != nil {
			return AuditCheckpoint{}
		}
	}
	return cp
}

// PurgeAudit deletes the audit entries written before cutoff and returns how many. The chain is
// cut only at its start: entries go oldest first, up to the first one that is not due, so what
// is left is one unbroken chain. The last purged entry's place and hash are kept as a
// checkpoint, from which VerifyAudit checks the rest; and the purge itself is appended as an
// entry, so that it is in the chain it shortened.
//
// Each entry is checked against the chain before it goes: a purge must never be the way a
// tampered entry disappears unseen. A broken chain stops the purge with its *ChainError, and
// nothing past the last good entry is deleted.
func (cb *Casebook) PurgeAudit(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	var first, last uint64
	var stop error // the chain error met, if any
	for {
		done := 0
		var chainErr error
		err := cb.db.Update(ctx, func(tx onestop.Tx) error {
			done, chainErr = 0, nil
			b := tx.Bucket(store.Audit)
			cp := auditCheckpoint(tx)
			keyed, isKeyed, err := cb.readMark(tx, keyAuditKeyed, "keyed")
			if err != nil {
				chainErr = err
				return nil
			}
			c := b.Cursor()
			var keys [][]byte
			for k, v := c.First(); k != nil && len(keys) < purgeChunk; k, v = c.Next() {
				if len(k) != 8 {
					chainErr = &ChainError{Seq: cp.Seq + 1, Reason: fmt.Sprintf("a key %x that is not an entry's", k)}
					break
				}
				seq := binary.BigEndian.Uint64(k)
				var rec auditRecord
				var body auditBody
				if json.Unmarshal(v, &rec) != nil || json.Unmarshal(rec.Entry, &body) != nil {
					chainErr = &ChainError{Seq: seq, Reason: "unreadable"}
					break
				}
				if !body.Time.Before(cutoff) {
					break
				}
				switch {
				case seq != cp.Seq+1:
					chainErr = &ChainError{Seq: cp.Seq + 1, Reason: fmt.Sprintf("missing (the next entry is %d)", seq)}
				case body.Seq != seq || body.Prev != cp.Hash || cb.linkFor(keyed, isKeyed, seq)(cp.Hash, rec.Entry) != rec.Hash:
					chainErr = &ChainError{Seq: seq, Reason: "does not follow the entry before it, or does not match its hash"}
				}
				if chainErr != nil {
					break
				}
				keys = append(keys, bytes.Clone(k))
				cp = AuditCheckpoint{Seq: seq, Hash: rec.Hash, Time: body.Time}
			}
			if len(keys) == 0 {
				return nil
			}
			for _, k := range keys {
				if err := b.Delete(k); err != nil {
					return err
				}
			}
			v, err := json.Marshal(&cp)
			if err != nil {
				return err
			}
			if err := tx.Bucket(store.Meta).Put(keyAuditCheckpoint, v); err != nil {
				return err
			}
			if first == 0 {
				first = binary.BigEndian.Uint64(keys[0])
			}
			last, done = cp.Seq, len(keys)
			return nil
		})
		if err != nil {
			return total, err
		}
		total += done
		if chainErr != nil {
			stop = chainErr
			break
		}
		if done < purgeChunk || ctx.Err() != nil {
			break
		}
	}
	if total == 0 {
		return 0, errors.Join(stop, ctx.Err())
	}
	err := cb.db.Update(context.WithoutCancel(ctx), func(tx onestop.Tx) error {
		return cb.Append(tx, &AuditEntry{Actor: "system", Action: AuditPurge, Subject: "audit", Detail: fmt.Sprintf("entries %d-%d", first, last)})
	})
	if stop != nil {
		return total, stop
	}
	return total, err
}

// AuditCheckpoint returns the last audit entry purged, the zero checkpoint when none ever was.
func (cb *Casebook) AuditCheckpoint(ctx context.Context) (cp AuditCheckpoint, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		cp = auditCheckpoint(tx)
		return nil
	})
	return cp, err
}

// PurgeDoNotContact deletes the do-not-contact marks whose period ended by now, and returns how
// many: a mark that has run out protects nobody and only says that a number once called. A mark
// that cannot be read is kept, as DoNotContact keeps honouring it.
func (cb *Casebook) PurgeDoNotContact(ctx context.Context, now time.Time) (int, error) {
	ended := func(v []byte) bool { return len(v) == 8 && int64(binary.BigEndian.Uint64(v)) <= now.UnixNano() }
	total := 0
	for {
		n := 0
		err := cb.db.Update(ctx, func(tx onestop.Tx) error {
			n = 0
			var keys [][]byte
			c := tx.Bucket(store.DoNotContact).Cursor()
			for k, v := c.First(); k != nil && len(keys) < purgeChunk; k, v = c.Next() {
				if ended(v) {
					keys = append(keys, bytes.Clone(k))
				}
			}
			for _, k := range keys {
				if err := tx.Bucket(store.DoNotContact).Delete(k); err != nil {
					return err
				}
			}
			n = len(keys)
			return nil
		})
		total += n
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}
