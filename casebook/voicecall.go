package casebook

import (
	"context"
	"encoding/json"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/phone"
	"github.com/onestop-helpline/onestop/store"
)

// VoiceCall is what became of a call put through to the counsellors on duty: who took it and for
// how long, or that nobody did. It never holds her number, and the counsellor's only masked.
type VoiceCall struct {
	Contact  uint64        `json:"contact"`
	Time     time.Time     `json:"time"`
	Answered bool          `json:"answered"`
	By       string        `json:"by,omitempty"` // the counsellor who took it, masked
	Duration time.Duration `json:"duration,omitempty"`
	Status   string        `json:"status"` // the provider's: completed, no-answer, busy …
}

// voiceCallScan bounds how many of the latest contacts are searched for a call's: the outcome
// arrives within the minute its contact was recorded in.
const voiceCallScan = 4096

// RecordVoiceCall records the outcome of the call provider knows as callID on its contact.
// counsellor is the number that took the call ("" if nobody did); it is kept masked. Returns
// ENOTFOUND when no recent contact is that call's.
func (cb *Casebook) RecordVoiceCall(ctx context.Context, provider, callID string, answered bool, counsellor string, d time.Duration, status string) error {
	hash := cb.SessionHash(callID)
	return cb.db.Update(ctx, func(tx onestop.Tx) error {
		c := tx.Bucket(store.Contacts).Cursor()
		var id uint64
		n := 0
		for k, v := c.Last(); k != nil && n < voiceCallScan; k, v = c.Prev() {
			n++
			if v == nil {
				continue
			}
			ct, err := cb.decode(v)
			if err != nil {
				return err
			}
			if ct.SessionID == hash && ct.Provider == provider && ct.Channel == onestop.Voice {
				id = ct.ID
				break
			}
		}
		if id == 0 {
			return onestop.Errorf(onestop.ENOTFOUND, "no recent voice contact for that call")
		}
		vc := VoiceCall{Contact: id, Time: cb.db.Now(), Answered: answered, Duration: d, Status: status}
		if answered && counsellor != "" {
			vc.By = "***"
			if num, err := phone.Parse(counsellor, ""); err == nil {
				vc.By = num.Mask()
			}
		}
		b, err := json.Marshal(vc)
		if err != nil {
			return err
		}
		key := append(store.U64(id), store.U64(uint64(vc.Time.UnixNano()))...)
		return tx.Bucket(store.VoiceCalls).Put(key, b)
	})
}

// VoiceCalls returns the outcomes recorded for contact id, oldest first.
func (cb *Casebook) VoiceCalls(ctx context.Context, id uint64) ([]VoiceCall, error) {
	var out []VoiceCall
	err := cb.db.View(ctx, func(tx onestop.Tx) error {
		c := tx.Bucket(store.VoiceCalls).Cursor()
		prefix := store.U64(id)
		for k, v := c.Seek(prefix); k != nil && len(k) == 16 && string(k[:8]) == string(prefix); k, v = c.Next() {
			var vc VoiceCall
			if err := json.Unmarshal(v, &vc); err != nil {
				return err
			}
			out = append(out, vc)
		}
		return nil
	})
	return out, err
}
