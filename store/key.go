package store

import (
	"context"
	"errors"
	"fmt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/seal"
)

// KeyDoesNotOpen is returned by OpenKey when a file sealed before check values were kept holds
// a record the key does not open. Err is what could not be opened.
type KeyDoesNotOpen struct{ Err error }

func (e *KeyDoesNotOpen) Error() string {
	return "the sealing key does not open the data: " + e.Err.Error()
}
func (e *KeyDoesNotOpen) Unwrap() error { return e.Err }

// ErrKeyLost is returned by OpenKey when the file holds sealed data and there is no key: the key
// is lost, not new, and a new one would seal what comes next under a key the rest never opens.
var ErrKeyLost = fmt.Errorf("store: the database holds sealed data and there is no sealing key: %w", seal.ErrNoKey)

// OpenKey reads the sealing key for s (value, a key in base64, else the file at path) and checks
// that it opens the data. A key file is created only for a file that holds nothing sealed yet
// (ErrKeyLost otherwise). A file with a check value must keep the key's (ErrWrongKey otherwise).
// A file sealed before check values were kept has the first key that opens it written as the
// right one, so opens must first show that the key opens what is sealed there (KeyDoesNotOpen
// otherwise). Nothing is written when the key is refused.
func OpenKey(ctx context.Context, s onestop.Store, value, path string, opens func(*seal.Box) error) (*seal.Box, error) {
	held, err := HoldsSealedData(ctx, s)
	if err != nil {
		return nil, err
	}
	read := seal.LoadKey
	if held {
		read = seal.ReadKey
	}
	key, err := read(value, path)
	if errors.Is(err, seal.ErrNoKey) {
		return nil, ErrKeyLost
	} else if err != nil {
		return nil, err
	}
	box, err := seal.New(key)
	if err != nil {
		return nil, err
	}
	if held && errors.Is(KeyFits(ctx, s, box.Check()), ErrNoKeyCheck) {
		if err := opens(box); err != nil {
			return nil, &KeyDoesNotOpen{err}
		}
	}
	if err := CheckKey(ctx, s, box.Check()); err != nil {
		return nil, err
	}
	return box, nil
}
