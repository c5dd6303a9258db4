package main

import (
	"context"
	"errors"
	"io"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
)

// The SMS channel, the outbox and the commands around them.

func (m *Main) openSMS(ctx context.Context) error { return nil }

// onRecorded runs inside the write that records a contact.
func (m *Main) onRecorded(tx *bbolt.Tx, before, after *onestop.Contact) error { return nil }

func runWorker(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("worker: not available in this build")
}

func runOfficials(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("officials: not available in this build")
}

func runDuty(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("duty: not available in this build")
}

func runOutbox(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("outbox: not available in this build")
}
