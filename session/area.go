package session

import (
	"encoding/json"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop/store"
)

// The suffixes of a caller's keys in the Prefs bucket besides her language, which is kept under
// the bare hash: the area she chose, and the places a search of hers found.
const (
	areaSuffix  = "/area"
	picksSuffix = "/picks"
)

func prefKey(callerHash []byte, suffix string) []byte {
	k := make([]byte, 0, len(callerHash)+len(suffix))
	return append(append(k, callerHash...), suffix...)
}

// Area returns the area code a caller chose before, by the keyed hash of her number, or "".
func Area(tx *bbolt.Tx, callerHash []byte) string {
	return string(tx.Bucket(store.Prefs).Get(prefKey(callerHash, areaSuffix)))
}

// PutArea remembers the area a caller chose, so that the next time she asks for help near her
// it is offered first.
func PutArea(tx *bbolt.Tx, callerHash []byte, code string) error {
	return tx.Bucket(store.Prefs).Put(prefKey(callerHash, areaSuffix), []byte(code))
}

// picks is a list of area codes offered to a caller in one session.
type picks struct {
	Session string   `json:"s"`
	Codes   []string `json:"c"`
}

// Picks returns the area codes last offered to a caller in the session at key (the places her
// typed search found), or nil when none were offered in that session. What she typed is never
// kept; only the codes of the places offered, overwritten by her next search.
func Picks(tx *bbolt.Tx, callerHash []byte, key string) []string {
	v := tx.Bucket(store.Prefs).Get(prefKey(callerHash, picksSuffix))
	if v == nil {
		return nil
	}
	var p picks
	if err := json.Unmarshal(v, &p); err != nil || p.Session != key {
		return nil
	}
	return p.Codes
}

// PutPicks records the area codes offered to a caller in the session at key, replacing any
// offered before; one record per caller, so they never pile up.
func PutPicks(tx *bbolt.Tx, callerHash []byte, key string, codes []string) error {
	v, err := json.Marshal(picks{Session: key, Codes: codes})
	if err != nil {
		return err
	}
	return tx.Bucket(store.Prefs).Put(prefKey(callerHash, picksSuffix), v)
}
