// Package store is the layout of the helpline's records in any onestop.Store: the names of the
// buckets each service keeps, the encoding of keys and records (record.go), the meta entries that
// say whose data a store holds (whose sealing key opens it, and whether a simulation made it),
// and the loop that runs the periodic work beside it.
//
// It knows no store implementation and must never import one: bolt and any other store are
// handed these names and hold the same bytes.
package store

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/onestop-helpline/onestop"
)

// Bucket names, one place for all of them so Open can create every one in a single transaction.
var (
	Meta     = []byte("meta")
	Sessions = []byte("sessions") // USSD session state, by when first stored and provider:sessionId
	Prefs    = []byte("prefs")    // a caller's remembered choices, by keyed hash of her number
	Contacts = []byte("contacts") // contacts, by 8-byte ID

	Areas     = []byte("areas")     // the operator's imported directory, replacing the embedded one
	Referrals = []byte("referrals") // community workers' referrals, by 8-byte ID
	Workers   = []byte("workers")   // registered community workers, by keyed hash of their number
	Officials = []byte("officials") // officials to alert per district
	Duty      = []byte("duty")      // the on-duty counsellor
	Inbound   = []byte("inbound")   // aggregator message ids already handled, for idempotency
	Outbox    = []byte("outbox")    // outbound messages and calls, by 8-byte sequence
	Callbacks = []byte("callbacks") // callback tasks from Safe Contact Plans
	Users     = []byte("users")     // console users
	Logins    = []byte("logins")    // console login sessions
	Audit     = []byte("audit")     // the append-only, hash-chained audit log

	DoNotContact = []byte("donotcontact") // numbers not to be contacted, by keyed hash, until when
	Urgent       = []byte("urgent")       // urgent contacts' follow-ups: acknowledgement, escalation, problems
	VoiceCalls   = []byte("voicecalls")   // what became of calls put through to counsellors, by contact ID and time
	SessionKeys  = []byte("sessionkeys")  // where Sessions holds each session, by its key: for gateways sharing a store

	// The references drawn at random for contacts and referrals, each to its 8-byte ID, so that
	// a reference is found and never given twice. (Not "refs": bolt's schema 2 deleted an
	// index of that name.)
	ContactRefs  = []byte("contactrefs")
	ReferralRefs = []byte("referralrefs")
)

// Buckets lists every top-level bucket, so that a store can create them all at once.
var Buckets = [][]byte{Meta, Sessions, Prefs, Contacts, Areas, Referrals, Workers, Officials, Duty,
	Inbound, Outbox, Callbacks, Users, Logins, Audit, DoNotContact, Urgent, VoiceCalls, SessionKeys, ContactRefs, ReferralRefs}

// U64 encodes v as 8 big-endian bytes, so that keys sort in numeric order.
func U64(v uint64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, v)
	return b
}

// Writable reports whether a write can be committed to s now: the health check's question.
func Writable(ctx context.Context, s onestop.Store) error {
	return s.Update(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(Meta).Put([]byte("health"), U64(uint64(s.Now().UnixNano())))
	})
}

// Health is the gateway's health check on a store: can a write be committed now.
type Health struct{ Store onestop.Store }

// Writable reports whether a write can be committed to the store now.
func (h Health) Writable(ctx context.Context) error { return Writable(ctx, h.Store) }

// The meta entries that say whose data this file holds.
var (
	// keyKeyCheck is the sealing key's check value (seal.Box.Check), written when first absent.
	keyKeyCheck = []byte("keycheck")
	// keySimulated marks a file made by a simulation (onestop serve --simulate).
	keySimulated = []byte("simulated")
)

// ErrWrongKey is returned when the sealing key's check value is not the one the file keeps: the
// key would not open the data, and anything sealed under it could never be read with the rest.
var ErrWrongKey = errors.New("store: the sealing key does not open this database (its check value differs)")

// ErrNoKeyCheck is returned by KeyFits when the file keeps no check value to compare with.
var ErrNoKeyCheck = errors.New("store: the database keeps no check value for its sealing key")

// ErrRealContacts is returned by MarkSimulated when the file already holds records a simulation
// did not make.
var ErrRealContacts = errors.New("store: the database holds a real helpline's records")

// CheckKey compares check, the sealing key's check value, with the one the file keeps, and
// writes it when the file keeps none yet (a new file, or one from before check values). It
// returns ErrWrongKey when they differ, and then changes nothing.
func CheckKey(ctx context.Context, s onestop.Store, check []byte) error {
	if len(check) == 0 {
		return errors.New("store: an empty key check value")
	}
	if err := KeyFits(ctx, s, check); !errors.Is(err, ErrNoKeyCheck) {
		return err
	}
	return s.Update(ctx, func(tx onestop.Tx) error {
		meta := tx.Bucket(Meta)
		if v := meta.Get(keyKeyCheck); v != nil {
			if !hmac.Equal(v, check) {
				return ErrWrongKey
			}
			return nil
		}
		return meta.Put(keyKeyCheck, bytes.Clone(check))
	})
}

// KeyFits reports whether check is the check value the file keeps, without writing: the health
// check's question. ErrWrongKey when it differs, ErrNoKeyCheck when there is none.
func KeyFits(ctx context.Context, s onestop.Store, check []byte) error {
	return s.View(ctx, func(tx onestop.Tx) error {
		v := tx.Bucket(Meta).Get(keyKeyCheck)
		switch {
		case v == nil:
			return ErrNoKeyCheck
		case !hmac.Equal(v, check):
			return ErrWrongKey
		}
		return nil
	})
}

// HoldsSealedData reports whether the file holds anything a sealing key was used for: a key
// check value, or any record outside the meta entries and the operator's directory. With such a
// file, a missing key is lost, not new, and must never be replaced by a new one.
func HoldsSealedData(ctx context.Context, s onestop.Store) (bool, error) {
	held := false
	err := s.View(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(Meta).Get(keyKeyCheck) != nil {
			held = true
			return nil
		}
		for _, name := range Buckets {
			if bytes.Equal(name, Meta) || bytes.Equal(name, Areas) {
				continue
			}
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				held = true
				return nil
			}
		}
		return nil
	})
	return held, err
}

// Simulated reports whether the file was made by a simulation: every contact in it is made up,
// and nothing queued in it may ever go to a person.
func Simulated(ctx context.Context, s onestop.Store) (bool, error) {
	sim := false
	err := s.View(ctx, func(tx onestop.Tx) error {
		sim = tx.Bucket(Meta).Get(keySimulated) != nil
		return nil
	})
	return sim, err
}

// MarkSimulated marks the file as a simulation's. It returns ErrRealContacts, changing nothing,
// when the file is not marked yet and already holds any record outside the meta entries and the
// operator's directory (a contact, a referral, a message, a console user, an official…): a
// simulation starts only on a file of its own, so real records can never be passed off as
// simulated ones, and a real helpline's file never becomes a simulation's.
func MarkSimulated(ctx context.Context, s onestop.Store) error {
	return s.Update(ctx, func(tx onestop.Tx) error {
		meta := tx.Bucket(Meta)
		if meta.Get(keySimulated) != nil {
			return nil
		}
		for _, name := range Buckets {
			if bytes.Equal(name, Meta) || bytes.Equal(name, Areas) {
				continue
			}
			if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
				return fmt.Errorf("%w (%s)", ErrRealContacts, name)
			}
		}
		return meta.Put(keySimulated, U64(uint64(s.Now().Unix())))
	})
}

// CheckSimulation keeps simulated and real data apart, both ways: a simulation (simulate) starts
// only on a store with no real records, and marks it so; a store so marked is never served for
// real, where what it queued would go to people. where names the store in the errors.
func CheckSimulation(ctx context.Context, s onestop.Store, simulate bool, where string) error {
	if simulate {
		if err := MarkSimulated(ctx, s); errors.Is(err, ErrRealContacts) {
			return fmt.Errorf("refusing to simulate on %s: %v; give --data a new directory of the simulation's own", where, err)
		} else if err != nil {
			return err
		}
		return nil
	}
	sim, err := Simulated(ctx, s)
	if err == nil && sim {
		err = fmt.Errorf("%s holds a simulation's made-up contacts (serve --simulate): serve it only with --simulate, and give a real helpline a data directory of its own", where)
	}
	return err
}
