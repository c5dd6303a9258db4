package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

// syncBuffer is a log buffer the server's goroutines write while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Reset()
}

// runMainLogging starts the real gateway on data with its log in buf.
func runMainLogging(t *testing.T, data string, buf *syncBuffer) *Main {
	t.Helper()
	m := NewMain()
	m.Config = DefaultConfig()
	m.Config.Addr, m.Config.Data = "127.0.0.1:0", data
	m.Config.SealKey, m.Config.SealKeyFile = "", ""
	m.Config.WebhookToken, m.Config.WebhookUser, m.Config.WebhookPassword = "", "", ""
	m.Config.LogLevel = "keep" // not a level: Open keeps the logger given here
	m.Log = slog.New(slog.NewTextHandler(buf, nil))
	if err := m.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func TestServeCreatesTheFirstAdminOnce(t *testing.T) {
	data := t.TempDir()
	var log syncBuffer
	m := runMainLogging(t, data, &log)
	path := filepath.Join(data, "console-admin-password")
	if !strings.Contains(log.String(), "file="+path) {
		t.Fatalf("the log does not say where the password is:\n%s", log.String())
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", st, err)
	}
	raw, _ := os.ReadFile(path)
	password := regexp.MustCompile(`password: (\S+)`).FindSubmatch(raw)
	if password == nil || len(password[1]) < 20 || strings.Contains(log.String(), string(password[1])) {
		t.Fatalf("password file %q, or the password is in the log", raw)
	}
	resp, err := http.Get("http://" + m.Addr() + "/console/login")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("console login page: %v %v", resp, err)
	}
	resp.Body.Close()
	m.Close()

	// A second start with a user on file creates nobody.
	os.Remove(path)
	log.Reset()
	runMainLogging(t, data, &log)
	if _, err := os.Stat(path); !os.IsNotExist(err) || strings.Contains(log.String(), "first administrator") {
		t.Fatalf("a second start made another admin: %v\n%s", err, log.String())
	}
}

func run(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := Run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return out.String() + errb.String(), err
}

func TestUserCommands(t *testing.T) {
	data := t.TempDir()
	tests := []struct {
		name     string
		stdin    string
		args     []string
		wantErr  string
		wantOut  []string
		wantExit int
	}{
		{"no subcommand", "", []string{"user"}, "say add", nil, 2},
		{"unknown subcommand", "", []string{"user", "fly", "--data", data}, "wrong arguments", nil, 2},
		{"add without a name", "", []string{"user", "add", "--role", "counsellor", "--data", data}, "wrong arguments", nil, 2},
		{"add without a role", "", []string{"user", "add", "--data", data, "asha"}, "want counsellor, supervisor or admin", nil, 1},
		{"add", "", []string{"user", "add", "--role", "counsellor", "--data", data, "asha"}, "", []string{"added asha (counsellor)", "one-time password: "}, 0},
		{"add, flags after the name", "", []string{"user", "add", "mina", "--role", "supervisor", "--data", data}, "", []string{"added mina (supervisor)"}, 0},
		{"add, password from stdin", "a password from stdin\n", []string{"user", "add", "--role", "admin", "--password-stdin", "--data", data, "root"}, "", []string{"added root (admin)"}, 0},
		{"add, short password", "short\n", []string{"user", "add", "--role", "admin", "--password-stdin", "--data", data, "ruth"}, "at least 12", nil, 1},
		{"add twice", "", []string{"user", "add", "--role", "counsellor", "--data", data, "asha"}, "exists", nil, 1},
		{"disable", "", []string{"user", "disable", "--data", data, "asha"}, "", []string{"disabled asha"}, 0},
		{"disable unknown", "", []string{"user", "disable", "--data", data, "nobody"}, "no user", nil, 1},
		{"list", "", []string{"user", "list", "--data", data}, "", []string{"asha", "disabled", "mina", "supervisor", "must change password", "root"}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := run(t, tt.stdin, tt.args...)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("err %v, want %q\n%s", err, tt.wantErr, out)
			}
			if err != nil && admin.ExitCode(err) != tt.wantExit {
				t.Fatalf("exit %d, want %d", admin.ExitCode(err), tt.wantExit)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Fatalf("output lacks %q:\n%s", w, out)
				}
			}
			if strings.Contains(out, "a password from stdin") {
				t.Fatal("a password was echoed")
			}
		})
	}
}

func TestUserCommandsWorkWhileServing(t *testing.T) {
	m := MustRunMain(t)
	out, err := run(t, "", "user", "list", "--data", m.Config.Data)
	if err != nil || !strings.Contains(out, "admin") {
		t.Fatalf("user list while serving: %v\n%s", err, out)
	}
	// Added through the server, the user can log in to that server's console at once.
	if out, err := run(t, "a password from stdin\n", "user", "add", "--role", "counsellor", "--password-stdin", "--data", m.Config.Data, "asha"); err != nil {
		t.Fatalf("user add while serving: %v\n%s", err, out)
	}
	if _, err := m.Users.Authenticate(context.Background(), "asha", "a password from stdin", time.Now()); err != nil {
		t.Fatalf("the running server does not know the new user: %v", err)
	}
	log, err := m.Cases.AuditLog(context.Background(), casebook.AuditFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var audited bool
	for _, e := range log {
		audited = audited || (e.Action == "command" && e.Subject == "user add asha counsellor")
	}
	if !audited {
		t.Fatalf("the command is not in the audit log: %+v", log)
	}
}

func TestAuditVerify(t *testing.T) {
	data := t.TempDir()
	for _, name := range []string{"asha", "mina", "nila"} {
		if out, err := run(t, "", "user", "add", "--role", "counsellor", "--data", data, name); err != nil {
			t.Fatalf("%v %s", err, out)
		}
	}
	out, err := run(t, "", "audit", "verify", "--data", data)
	if err != nil || !strings.Contains(out, "audit log intact: 3 entries") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// Rewrite the second entry's actor behind the log's back.
	db, err := bolt.Open(filepath.Join(data, "onestop.db"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Audit)
		v := bytes.Replace(b.Get(store.U64(2)), []byte(`"actor":"cli"`), []byte(`"actor":"eve"`), 1)
		return b.Put(store.U64(2), v)
	}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out, err = run(t, "", "audit", "verify", "--data", data)
	var ce *casebook.ChainError
	if !errors.As(err, &ce) || ce.Seq != 2 || admin.ExitCode(err) != 1 || !strings.Contains(out, "BROKEN at entry 2") {
		t.Fatalf("verify after tampering: %v\n%s", err, out)
	}
	if _, err := run(t, "", "audit"); admin.ExitCode(err) != 2 {
		t.Fatalf("audit without verify: %v", err)
	}
}
