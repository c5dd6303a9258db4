package casebook

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// referralRecord is a referral as it lies on disk: the worker's number and name and everything
// a person wrote (the place, the need, each note of its history) sealed, their clear fields
// emptied. A record written before the place, the name and the notes were sealed has them in
// the clear and no sealed field, and is read as it is; it is sealed when it next changes.
type referralRecord struct {
	onestop.Referral
	WorkerSealed     []byte `json:"workerSealed,omitempty"`
	NeedSealed       []byte `json:"needSealed,omitempty"`
	PlaceSealed      []byte `json:"placeSealed,omitempty"`
	WorkerNameSealed []byte `json:"workerNameSealed,omitempty"`
	// NotesSealed holds the sealed note of each history event, in the history's order; nil
	// for an event without a note. Its presence says the history's notes are sealed.
	NotesSealed [][]byte `json:"notesSealed,omitempty"`
}

// referralRefPrefix marks a referral's reference for the eye; its digits alone are kept apart
// from contacts' references too (see derivedReferralRef).
const referralRefPrefix = "R"

// PutReferral writes r in tx. A new referral (ID 0) gets the next ID and a reference drawn at
// random that no other referral has or had ("R", seven digits and a check digit), set on r;
// final only once the transaction has committed. A referral already written keeps the
// reference it has, whatever r.Ref says.
func (cb *Casebook) PutReferral(tx onestop.Tx, r *onestop.Referral) error {
	b := tx.Bucket(store.Referrals)
	if r.ID == 0 {
		id, err := b.NextSequence()
		if err != nil {
			return err
		}
		ref, err := cb.drawRef(tx, referralRefs, id)
		if err != nil {
			return err
		}
		r.ID, r.Ref = id, ref
	} else if v := b.Get(store.U64(r.ID)); v != nil {
		ref, err := storedReferralRef(v, r.ID)
		if err != nil {
			return err
		}
		r.Ref = ref
	} else if r.Ref == "" {
		ref, err := cb.drawRef(tx, referralRefs, r.ID)
		if err != nil {
			return err
		}
		r.Ref = ref
	} else if err := claimRef(tx, referralRefs, r.Ref, r.ID); err != nil {
		return err
	}
	rec := referralRecord{Referral: *r, WorkerSealed: cb.box.SealString(r.Worker), NeedSealed: cb.box.SealString(r.Need),
		PlaceSealed: cb.box.SealString(r.Place), WorkerNameSealed: cb.box.SealString(r.WorkerName)}
	rec.Worker, rec.Need, rec.Place, rec.WorkerName = "", "", "", ""
	if len(r.History) > 0 {
		// A copy: the caller's history keeps its notes.
		rec.History = make([]onestop.ReferralEvent, len(r.History))
		rec.NotesSealed = make([][]byte, len(r.History))
		for i, e := range r.History {
			rec.NotesSealed[i] = cb.box.SealString(e.Note)
			e.Note = ""
			rec.History[i] = e
		}
	}
	v, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	return b.Put(store.U64(r.ID), v)
}

// GetReferral returns the referral with id from tx, opened. Returns ENOTFOUND if none.
func (cb *Casebook) GetReferral(tx onestop.Tx, id uint64) (*onestop.Referral, error) {
	v := tx.Bucket(store.Referrals).Get(store.U64(id))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no referral %d", id)
	}
	return cb.decodeReferral(v)
}

// storedReferralRef returns the reference of the stored referral v, whose ID is id, without
// opening it.
func storedReferralRef(v []byte, id uint64) (string, error) {
	var rec struct {
		Ref string `json:"ref"`
	}
	if err := json.Unmarshal(v, &rec); err != nil {
		return "", fmt.Errorf("casebook: referral %d: %w", id, err)
	}
	if rec.Ref == "" {
		return derivedReferralRef(id), nil
	}
	return rec.Ref, nil
}

func (cb *Casebook) decodeReferral(v []byte) (*onestop.Referral, error) {
	var rec referralRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, fmt.Errorf("casebook: %w", err)
	}
	r := rec.Referral
	var err error
	if r.Worker, err = cb.box.OpenString(rec.WorkerSealed); err != nil {
		return nil, fmt.Errorf("casebook: referral %d: %w", r.ID, err)
	}
	if r.Need, err = cb.box.OpenString(rec.NeedSealed); err != nil {
		return nil, fmt.Errorf("casebook: referral %d: %w", r.ID, err)
	}
	// Older records kept these in the clear; a sealed one, when there, is the truth.
	if rec.PlaceSealed != nil {
		if r.Place, err = cb.box.OpenString(rec.PlaceSealed); err != nil {
			return nil, fmt.Errorf("casebook: referral %d: %w", r.ID, err)
		}
	}
	if rec.WorkerNameSealed != nil {
		if r.WorkerName, err = cb.box.OpenString(rec.WorkerNameSealed); err != nil {
			return nil, fmt.Errorf("casebook: referral %d: %w", r.ID, err)
		}
	}
	if rec.NotesSealed != nil {
		if len(rec.NotesSealed) != len(r.History) {
			return nil, fmt.Errorf("casebook: referral %d: %d sealed notes for %d events", r.ID, len(rec.NotesSealed), len(r.History))
		}
		for i := range r.History {
			if r.History[i].Note, err = cb.box.OpenString(rec.NotesSealed[i]); err != nil {
				return nil, fmt.Errorf("casebook: referral %d: %w", r.ID, err)
			}
		}
	}
	return &r, nil
}

// ReferralByRef returns the referral with a reference a worker was given ("R…"). Returns
// ENOTFOUND if none.
func (cb *Casebook) ReferralByRef(ctx context.Context, ref string) (r *onestop.Referral, err error) {
	err = cb.db.View(ctx, func(tx onestop.Tx) error {
		r, err = cb.ReferralByRefTx(tx, ref)
		return err
	})
	return r, err
}

// ReferralFilter narrows Referrals.
type ReferralFilter struct {
	Before uint64 // only IDs below this; 0 for the newest
	Limit  int    // 0 means 100
	Status onestop.ReferralStatus
}

// Referrals returns referrals newest first.
func (cb *Casebook) Referrals(ctx context.Context, f ReferralFilter) ([]*onestop.Referral, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []*onestop.Referral
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		return newestFirst(tx.Bucket(store.Referrals), f.Before, func(v []byte) (bool, error) {
			r, err := cb.decodeReferral(v)
			if err != nil {
				return false, err
			}
			if f.Status == "" || r.Status == f.Status {
				out = append(out, r)
			}
			return len(out) < f.Limit, nil
		})
	})
	return out, err
}
