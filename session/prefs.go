package session

import (
	"bytes"
	"context"
	"encoding/binary"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

// A remembered language is kept as the language, a zero byte, and when it was last chosen (Unix
// seconds, 8 bytes big-endian), so that retention can forget a caller who has not called for
// long. Values written before that are the bare language.

// PutLangAt remembers the language a caller chose at t.
func PutLangAt(tx onestop.Tx, callerHash []byte, lang onestop.Lang, t time.Time) error {
	return tx.Bucket(store.Prefs).Put(callerHash, langValue(lang, t))
}

func langValue(lang onestop.Lang, t time.Time) []byte {
	v := append([]byte(lang), 0)
	return binary.BigEndian.AppendUint64(v, uint64(t.Unix()))
}

// readLang reads a remembered language and when it was chosen (zero for a value from before
// that was kept).
func readLang(v []byte) (onestop.Lang, time.Time) {
	i := bytes.IndexByte(v, 0)
	if i < 0 {
		return onestop.Lang(v), time.Time{}
	}
	if len(v) != i+9 {
		return "", time.Time{}
	}
	return onestop.Lang(v[:i]), time.Unix(int64(binary.BigEndian.Uint64(v[i+1:])), 0)
}

// isLangKey reports whether a Prefs key is a remembered language: the bare keyed hash, not one
// of the keys a suffix names.
func isLangKey(k []byte) bool {
	return !bytes.HasSuffix(k, []byte(areaSuffix)) && !bytes.HasSuffix(k, []byte(picksSuffix))
}

// PurgeLangs forgets the languages last chosen before cutoff and returns how many. A language
// remembered before its time was kept is given now as its time, the first time a purge meets it,
// and so is forgotten a retention period later.
func PurgeLangs(ctx context.Context, db onestop.Store, cutoff time.Time) (int, error) {
	now := db.Now()
	var due, unstamped [][]byte
	if err := db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Prefs).ForEach(func(k, v []byte) error {
			if !isLangKey(k) {
				return nil
			}
			if _, t := readLang(v); t.IsZero() {
				unstamped = append(unstamped, bytes.Clone(k))
			} else if t.Before(cutoff) {
				due = append(due, bytes.Clone(k))
			}
			return nil
		})
	}); err != nil {
		return 0, err
	}
	n := 0
	for len(due)+len(unstamped) > 0 {
		d, u := due[:min(len(due), 500)], unstamped[:min(len(unstamped), 500)]
		due, unstamped = due[len(d):], unstamped[len(u):]
		done := 0
		err := db.Update(ctx, func(tx onestop.Tx) error {
			done = 0
			b := tx.Bucket(store.Prefs)
			for _, k := range d {
				// Checked again inside the write: she may have called since it was read.
				if v := b.Get(k); v != nil {
					if _, t := readLang(v); !t.IsZero() && t.Before(cutoff) {
						if err := b.Delete(k); err != nil {
							return err
						}
						done++
					}
				}
			}
			for _, k := range u {
				if v := b.Get(k); v != nil {
					if l, t := readLang(v); t.IsZero() {
						if err := b.Put(k, langValue(l, now)); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		if err != nil {
			return n, err
		}
		n += done
	}
	return n, nil
}
