package casebook

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Records written before everything typed was sealed keep it in the clear until they are next
// written, and a closed referral is never written again: Reseal rewrites them all at once.

// keyResealed marks, in the meta bucket, a file whose older records Reseal has rewritten.
var keyResealed = []byte("resealed-v1")

// Reseal rewrites, once per file, every record that still keeps in the clear what the current
// encodings seal or hash: a contact's aggregator session id (kept only as a keyed hash now), a
// referral's place, need, worker's name or history notes, a worker's name. Their meaning is
// unchanged; only how they lie on disk. The bytes they leave behind go at the next compaction.
// It returns how many records it rewrote. A record that cannot be read is left as it is.
func (cb *Casebook) Reseal(ctx context.Context) (int, error) {
	done := false
	if err := cb.db.View(ctx, func(tx onestop.Tx) error {
		done = tx.Bucket(store.Meta).Get(keyResealed) != nil
		return nil
	}); err != nil || done {
		return 0, err
	}
	n := 0
	err := cb.db.Update(ctx, func(tx onestop.Tx) error {
		n = 0
		var contacts, referrals, workers [][]byte
		tx.Bucket(store.Contacts).ForEach(func(k, v []byte) error {
			if r, err := unmarshal(v); err == nil && (v[0] == formatJSON ||
				(r.SessionID != "" && !strings.HasPrefix(r.SessionID, sessionHashPrefix))) {
				contacts = append(contacts, bytes.Clone(k))
			}
			return nil
		})
		tx.Bucket(store.Referrals).ForEach(func(k, v []byte) error {
			var rec referralRecord
			if v != nil && json.Unmarshal(v, &rec) == nil && clearReferral(&rec) {
				referrals = append(referrals, bytes.Clone(k))
			}
			return nil
		})
		tx.Bucket(store.Workers).ForEach(func(k, v []byte) error {
			var rec workerRecord
			if v != nil && json.Unmarshal(v, &rec) == nil && rec.Name != "" {
				workers = append(workers, bytes.Clone(k))
			}
			return nil
		})
		for _, k := range contacts {
			c, err := cb.decode(tx.Bucket(store.Contacts).Get(k))
			if err != nil {
				continue
			}
			if err := cb.Put(tx, c); err != nil {
				return err
			}
			n++
		}
		for _, k := range referrals {
			r, err := cb.decodeReferral(tx.Bucket(store.Referrals).Get(k))
			if err != nil {
				continue
			}
			if err := cb.PutReferral(tx, r); err != nil {
				return err
			}
			n++
		}
		for _, k := range workers {
			w, err := cb.decodeWorker(tx.Bucket(store.Workers).Get(k))
			if err != nil {
				continue
			}
			if err := cb.PutWorker(tx, w); err != nil {
				return err
			}
			n++
		}
		return tx.Bucket(store.Meta).Put(keyResealed, []byte{1})
	})
	return n, err
}

// clearReferral reports whether a stored referral keeps anything typed in the clear.
func clearReferral(rec *referralRecord) bool {
	if rec.Place != "" || rec.Need != "" || rec.Worker != "" || rec.WorkerName != "" {
		return true
	}
	for _, e := range rec.History {
		if e.Note != "" {
			return true
		}
	}
	return false
}
