package casebook

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// Worker is a registered community worker: someone whose texted referrals are trusted. The
// number is sealed at rest and the record is found by its keyed hash.
type Worker struct {
	Number string       `json:"-"`
	Name   string       `json:"name,omitempty"`
	Lang   onestop.Lang `json:"lang"`
	// Area is the area code the worker covers, "" when not given.
	Area  string    `json:"area,omitempty"`
	Added time.Time `json:"added"`
	// Masked is the number as staff may see it.
	Masked string `json:"masked,omitempty"`
}

// workerRecord is a worker as it lies on disk: the number and the name sealed. A record written
// before names were sealed has the name in the clear and no nameSealed, and is read as it is.
type workerRecord struct {
	Worker
	NumberSealed []byte `json:"number"`
	NameSealed   []byte `json:"nameSealed,omitempty"`
}

// PutWorker registers w in tx, replacing any worker with the same number. Returns EINVALID
// without a number, a name or a helpline language.
func (cb *Casebook) PutWorker(tx onestop.Tx, w *Worker) error {
	if w.Number == "" || w.Name == "" || !w.Lang.Valid() {
		return onestop.Errorf(onestop.EINVALID, "a worker needs a number, a name and a language (bn, hi, ar, en)")
	}
	rec := workerRecord{Worker: *w, NumberSealed: cb.box.SealString(w.Number), NameSealed: cb.box.SealString(w.Name)}
	rec.Name = ""
	v, err := json.Marshal(&rec)
	if err != nil {
		return err
	}
	return tx.Bucket(store.Workers).Put(cb.box.Hash(w.Number), v)
}

// GetWorker returns the worker registered with the E.164 number, or ENOTFOUND.
func (cb *Casebook) GetWorker(tx onestop.Tx, number string) (*Worker, error) {
	v := tx.Bucket(store.Workers).Get(cb.box.Hash(number))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no worker with that number")
	}
	return cb.decodeWorker(v)
}

func (cb *Casebook) decodeWorker(v []byte) (*Worker, error) {
	var r workerRecord
	if err := json.Unmarshal(v, &r); err != nil {
		return nil, fmt.Errorf("casebook: worker: %w", err)
	}
	w := r.Worker
	var err error
	if w.Number, err = cb.box.OpenString(r.NumberSealed); err != nil {
		return nil, fmt.Errorf("casebook: worker: %w", err)
	}
	if r.NameSealed != nil {
		if w.Name, err = cb.box.OpenString(r.NameSealed); err != nil {
			return nil, fmt.Errorf("casebook: worker: %w", err)
		}
	}
	return &w, nil
}

// RemoveWorker removes the worker with number. Returns ENOTFOUND if none.
func (cb *Casebook) RemoveWorker(tx onestop.Tx, number string) error {
	b := tx.Bucket(store.Workers)
	k := cb.box.Hash(number)
	if b.Get(k) == nil {
		return onestop.Errorf(onestop.ENOTFOUND, "no worker with that number")
	}
	return b.Delete(k)
}

// Workers returns every registered worker, by name.
func (cb *Casebook) Workers(ctx context.Context) ([]*Worker, error) {
	var out []*Worker
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Workers).ForEach(func(_, v []byte) error {
			w, err := cb.decodeWorker(v)
			if err == nil {
				out = append(out, w)
			}
			return err
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// referralNext says where a referral may go from each status.
var referralNext = map[onestop.ReferralStatus][]onestop.ReferralStatus{
	onestop.Received:  {onestop.Assigned, onestop.Declined},
	onestop.Assigned:  {onestop.Assigned, onestop.Contacted, onestop.Declined},
	onestop.Contacted: {onestop.Closed, onestop.Declined},
}

// Advance moves r to status, recording who did it, when, and why. A referral goes received →
// assigned → contacted → closed, may be declined from any open status, and may be assigned again
// to another centre. Returns ECONFLICT for any other move (a closed referral stays closed).
func Advance(r *onestop.Referral, status onestop.ReferralStatus, by, note string, now time.Time) error {
	ok := false
	for _, s := range referralNext[r.Status] {
		ok = ok || s == status
	}
	if !ok {
		return onestop.Errorf(onestop.ECONFLICT, "a %s referral cannot become %s", r.Status, status)
	}
	r.Status, r.Updated = status, now
	r.History = append(r.History, onestop.ReferralEvent{Time: now, Status: status, By: by, Note: note})
	return nil
}

// NextStatuses returns the statuses a referral in status may move to by Advance, none for a
// closed or declined one.
func NextStatuses(status onestop.ReferralStatus) []onestop.ReferralStatus {
	return slices.Clone(referralNext[status])
}

// ReferralOpen reports whether a referral still waits for something to happen.
func ReferralOpen(r *onestop.Referral) bool {
	return r.Status != onestop.Closed && r.Status != onestop.Declined
}

// ReferralByRefTx is ReferralByRef inside tx: found in the index of references, or, for a
// referral made before references were drawn, by the ID its reference computes to. A
// referral opens only by the reference it was given. Returns ENOTFOUND if none.
func (cb *Casebook) ReferralByRefTx(tx onestop.Tx, ref string) (*onestop.Referral, error) {
	notFound := onestop.Errorf(onestop.ENOTFOUND, "no referral %s", ref)
	if len(ref) < 2 || ref[:1] != referralRefPrefix {
		return nil, notFound
	}
	id, ok := findRef(tx, referralRefs, ref)
	if !ok {
		return nil, notFound
	}
	r, err := cb.GetReferral(tx, id)
	if onestop.ErrorCode(err) == onestop.ENOTFOUND || err == nil && r.Ref != ref {
		return nil, notFound
	}
	return r, err
}

// ForEachReferral calls fn with every referral in tx, oldest first, opened.
func (cb *Casebook) ForEachReferral(tx onestop.Tx, fn func(*onestop.Referral) error) error {
	return tx.Bucket(store.Referrals).ForEach(func(_, v []byte) error {
		r, err := cb.decodeReferral(v)
		if err != nil {
			return err
		}
		return fn(r)
	})
}
