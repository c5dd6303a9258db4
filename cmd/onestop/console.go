package main

import (
	"context"

	"github.com/onestop-helpline/onestop/console"
	"github.com/onestop-helpline/onestop/flows"
)

// The console and the commands around it.

// openConsole mounts the staff console on the gateway and, on a store with no users yet, creates
// the first administrator with a one-time password in a 0600 file of the data directory.
func (m *Main) openConsole(ctx context.Context) error {
	cs, err := console.New(m.DB, m.Cases, m.Dir, console.Config{Log: m.Log, CentreCode: flows.CentreCode, Staff: m.Staff, Outbox: m.Outbox, Call: m.call})
	if err != nil {
		return err
	}
	path, err := cs.Users.Bootstrap(ctx, m.Config.Data)
	if err != nil {
		return err
	}
	if path != "" {
		m.Log.Warn("console: created the first administrator; log in at /console as admin with the one-time password in the file, then delete it",
			"user", "admin", "file", path)
	}
	m.Users = cs.Users
	cs.Register(m.Gateway.App)
	return nil
}
