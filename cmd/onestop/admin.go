package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/staff"
)

// runAdmin runs an operator's command (package admin): inside the server that holds the data
// directory, over its admin socket, when one runs there; else on the store opened here.
func runAdmin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	data := admin.DataDir(args[1:], c.Data)
	if served, err := admin.Forward(ctx, filepath.Join(data, admin.SocketName), args, stdin, stdout, stderr); served {
		return err
	}
	env := c.adminEnv()
	env.Stdin, env.Stdout, env.Stderr = stdin, stdout, stderr
	env.Open = func(ctx context.Context, data string) (*admin.Services, func() error, error) {
		c := c
		c.Data = data
		db, box, err := openForCommand(ctx, c)
		if err != nil {
			return nil, nil, err
		}
		m := &Main{Config: c, DB: db, Box: box, Cases: casebook.New(db, box), Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
		if m.Dir, err = directory.Load(ctx, db); err != nil {
			db.Close()
			return nil, nil, err
		}
		return m.services(staff.NewUsers(db, m.Cases)), db.Close, nil
	}
	env.Directory = func(ctx context.Context, data string) (*directory.Directory, error) {
		c := c
		c.Data = data
		return loadDirectory(ctx, c)
	}
	return admin.Run(ctx, env, args)
}

// adminEnv is what the operator's commands read from the configuration, wherever they run.
func (c Config) adminEnv() *admin.Env {
	return &admin.Env{
		Data:        c.Data,
		Retention:   func(general int) (casebook.Retention, error) { return casebook.ReadRetention(os.Getenv, general) },
		GeneralDays: func() (int, error) { return casebook.GeneralRetention(os.Getenv) },
	}
}

// services are m's services as the operator's commands use them.
func (m *Main) services(users *staff.Users) *admin.Services {
	ob := m.outbox(m.smsConfig)
	s := &admin.Services{
		Store: m.DB, Box: m.Box, Cases: m.Cases, Staff: m.Staff, Users: users, Outbox: ob,
		Purge: func(ctx context.Context, r casebook.Retention) (casebook.PurgeReport, error) {
			return purge(ctx, m.DB, m.Cases, ob, r, true)
		},
	}
	if db, ok := m.DB.(*bolt.DB); ok {
		s.Backup = db.Backup
	}
	return s
}

// serveAdmin opens the admin socket in the data directory and runs the commands that arrive
// on it on the server's own services, writing each change to the audit log.
func (m *Main) serveAdmin(ctx context.Context) {
	path := filepath.Join(m.Config.Data, admin.SocketName)
	ln, err := admin.Listen(path)
	if err != nil {
		m.Log.Error("admin socket not opened: the operator's commands must wait until serve stops", "path", path, "err", err)
		return
	}
	env := m.Config.adminEnv()
	s := m.services(m.Users)
	s.Imported = func(ctx context.Context) error { return m.Dir.Reload(ctx, m.DB) }
	env.Open = func(context.Context, string) (*admin.Services, func() error, error) {
		return s, func() error { return nil }, nil
	}
	env.Directory = func(context.Context, string) (*directory.Directory, error) { return m.Dir, nil }
	env.Changed = func(ctx context.Context, command string) error {
		return m.Cases.Audit(ctx, &casebook.AuditEntry{Time: m.DB.Now(), Actor: "cli", Action: "command", Subject: command})
	}
	m.admin, m.adminDone = ln, make(chan struct{})
	go func() {
		defer close(m.adminDone)
		admin.Serve(ctx, ln, *env, m.Log)
	}()
}

// loadDirectory returns the directory in force for the data directory: the operator's import if
// there is one. Without a database there can be none, so the embedded directory is returned and
// nothing is created.
func loadDirectory(ctx context.Context, c Config) (*directory.Directory, error) {
	if _, err := os.Stat(c.DBPath()); errors.Is(err, os.ErrNotExist) {
		return directory.Embedded()
	}
	db, _, err := openForCommand(ctx, c)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return directory.Load(ctx, db)
}

// runRestore runs "onestop restore FILE": the backup replaces the data directory's store once
// it passes bbolt's check and opens with this helpline's sealing key; serve must be stopped.
func runRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c := DefaultConfig()
	fs := flag.NewFlagSet("restore", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dataFlag(fs, &c)
	pos, err := admin.ParseArgs(fs, args)
	if err != nil || len(pos) != 1 {
		fmt.Fprintln(stderr, "Usage: onestop restore FILE [--data DIR]")
		return &admin.ExitError{Code: 2, Err: errors.New("restore: give the backup file")}
	}
	replaced, err := bolt.Restore(pos[0], c.DBPath(), func(db *bolt.DB) error {
		_, err := openKey(ctx, db, c)
		return err
	})
	if err != nil {
		return fmt.Errorf("nothing restored: %w", err)
	}
	fmt.Fprintf(stdout, "restored %s into %s", pos[0], c.DBPath())
	if replaced != "" {
		fmt.Fprintf(stdout, "; the file it replaced is %s", replaced)
	}
	fmt.Fprintln(stdout)
	return nil
}
