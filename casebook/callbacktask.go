package casebook

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// CallbackTask is a callback a survivor agreed to: due when her window opens. Her number is not
// in it; the counsellor finds it on her contact. It is kept beside the contact, keyed by the
// contact's ID, so that a note the outbox did not take when she confirmed her plan can be
// queued again later.
type CallbackTask struct {
	ContactID uint64         `json:"contactId"`
	Ref       string         `json:"ref"`
	Due       time.Time      `json:"due"`
	Closes    time.Time      `json:"closes"`
	Window    onestop.Window `json:"window"`
	TZ        string         `json:"tz"`
	Created   time.Time      `json:"created"`
	// OutboxID is the counsellor's note queued for it, 0 while none is.
	OutboxID uint64 `json:"outboxId,omitempty"`
}

// A task's record is binary, like a contact's, with its version first; tasks written before
// were JSON, and are still read. Version 2 keeps the contact's reference; version 1 was written
// when it was computed from the contact's ID, and is read with the reference that computes to.
const (
	taskBinary1 = 1
	taskBinary2 = 2
)

func (t *CallbackTask) marshal() []byte {
	b := make([]byte, 0, 64+len(t.Ref)+len(t.Window)+len(t.TZ))
	b = append(b, taskBinary2)
	b = binary.AppendUvarint(b, t.ContactID)
	b = store.AppendString(b, t.Ref)
	b = store.AppendZonedTime(b, t.Due)
	b = store.AppendZonedTime(b, t.Closes)
	b = store.AppendString(b, string(t.Window))
	b = store.AppendString(b, t.TZ)
	b = store.AppendTime(b, t.Created)
	return binary.AppendUvarint(b, t.OutboxID)
}

func unmarshalTask(v []byte) (CallbackTask, error) {
	var t CallbackTask
	if len(v) > 0 && v[0] == '{' {
		err := json.Unmarshal(v, &t)
		return t, err
	}
	if len(v) == 0 || v[0] != taskBinary1 && v[0] != taskBinary2 {
		return t, errors.New("callback task: unknown record format")
	}
	r := store.NewReader(v[1:])
	t.ContactID = r.Uvarint()
	if v[0] == taskBinary1 {
		t.Ref = derivedRef(t.ContactID)
	} else {
		t.Ref = r.String()
	}
	t.Due = r.ZonedTime()
	t.Closes = r.ZonedTime()
	t.Window = onestop.Window(r.String())
	t.TZ = r.String()
	t.Created = r.Time()
	t.OutboxID = r.Uvarint()
	return t, r.Err()
}

// PutCallbackTask writes t in tx, replacing the task of the same contact. Returns EINVALID for a
// task with no contact.
func (cb *Casebook) PutCallbackTask(tx onestop.Tx, t *CallbackTask) error {
	if t.ContactID == 0 {
		return onestop.Errorf(onestop.EINVALID, "a callback task needs its contact")
	}
	return tx.Bucket(store.Callbacks).Put(store.U64(t.ContactID), t.marshal())
}

// GetCallbackTask returns the callback task of the contact with id from tx. Returns ENOTFOUND if
// she has none, and an error for a record that cannot be read.
func (cb *Casebook) GetCallbackTask(tx onestop.Tx, id uint64) (*CallbackTask, error) {
	v := tx.Bucket(store.Callbacks).Get(store.U64(id))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no callback task for contact %d", id)
	}
	t, err := unmarshalTask(v)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// ForEachCallbackTask calls fn with every callback task in tx that can be read, oldest contact
// first, until fn returns an error. A record that cannot be read is skipped, as the sweep that
// queues their notes always has: the contact itself still holds her plan.
func (cb *Casebook) ForEachCallbackTask(tx onestop.Tx, fn func(*CallbackTask) error) error {
	return tx.Bucket(store.Callbacks).ForEach(func(_, v []byte) error {
		t, err := unmarshalTask(v)
		if err != nil {
			return nil
		}
		return fn(&t)
	})
}
