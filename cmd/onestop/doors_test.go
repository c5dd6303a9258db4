package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

// testMain is a Main as MustRunMain makes it, on data, with change applied to its configuration,
// not yet opened.
func testMain(data string, change func(*Config)) *Main {
	m := NewMain()
	m.Config = DefaultConfig()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Data = data
	m.Config.SealKey, m.Config.SealKeyFile = "", ""
	m.Config.WebhookToken, m.Config.WebhookUser, m.Config.WebhookPassword = "", "", ""
	m.Config.Simulate = false
	m.Config.LogLevel = "error"
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if change != nil {
		change(&m.Config)
	}
	return m
}

// runMain opens testMain and closes it at the end of the test.
func runMain(tb testing.TB, data string, change func(*Config)) *Main {
	tb.Helper()
	m := testMain(data, change)
	if err := m.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// mustRunSimulated starts the gateway as serve --simulate does, on a new data directory.
func mustRunSimulated(tb testing.TB) *Main {
	return runMain(tb, tb.TempDir(), func(c *Config) { c.Simulate = true })
}

func newKey(t *testing.T) string {
	k := make([]byte, 32)
	rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// withContact leaves data holding one urgent contact, recorded by a server now stopped.
func withContact(t *testing.T, change func(*Config)) string {
	data := t.TempDir()
	m := runMain(t, data, change)
	allOnes(t, m.Addr(), "ATUid_k1", "+8801711000001")
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

func TestServeRefusesAKeyThatDoesNotOpenTheData(t *testing.T) {
	key := newKey(t)
	data := withContact(t, func(c *Config) { c.SealKey = key })
	m := testMain(data, func(c *Config) { c.SealKey = newKey(t) })
	err := m.Open(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("serve started with a key that does not open the data")
	}
	if !strings.Contains(err.Error(), "does not open") || !strings.Contains(err.Error(), "ONESTOP_SEAL_KEY") {
		t.Fatalf("serve with another key: %v", err)
	}
	// The key file beside the data was never made either: the key came from the environment.
	if _, err := os.Stat(filepath.Join(data, "seal.key")); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("a key file was created")
	}
	// With the right key it starts, and the contact is there.
	m = runMain(t, data, func(c *Config) { c.SealKey = key })
	m.Close()
	t.Setenv("ONESTOP_SEAL_KEY", key)
	if rows := callsJSON(t, data); len(rows) != 1 {
		t.Fatalf("%d contacts after the refused start", len(rows))
	}
}

func TestCommandRefusesAKeyThatDoesNotOpenTheData(t *testing.T) {
	data := withContact(t, nil) // the key is DATA/seal.key
	for _, args := range [][]string{{"calls", "--data", data}, {"purge", "--data", data}, {"duty", "show", "--data", data}} {
		t.Run(args[0], func(t *testing.T) {
			t.Setenv("ONESTOP_SEAL_KEY", newKey(t))
			var out bytes.Buffer
			err := Run(context.Background(), args, nil, &out, io.Discard)
			if err == nil || !strings.Contains(err.Error(), "does not open") {
				t.Fatalf("%s with another key: %v, want a refusal\n%s", args[0], err, out.String())
			}
			if out.Len() != 0 {
				t.Fatalf("%s printed %q with a key that does not fit", args[0], out.String())
			}
		})
	}
	// Another key file, given by path, is refused too, and named.
	other := filepath.Join(t.TempDir(), "other.key")
	if err := os.WriteFile(other, []byte(newKey(t)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("ONESTOP_SEAL_KEY_FILE", other)
	err := Run(context.Background(), []string{"calls", "--data", data}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), other) {
		t.Fatalf("calls with another key file: %v, want a refusal naming %s", err, other)
	}
}

func TestAMissingKeyIsNeverMadeAnewForSealedData(t *testing.T) {
	data := withContact(t, nil)
	keyPath := filepath.Join(data, "seal.key")
	if err := os.Remove(keyPath); err != nil {
		t.Fatal(err)
	}
	m := testMain(data, nil)
	err := m.Open(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("serve started without the key the data was sealed with")
	}
	if !strings.Contains(err.Error(), keyPath) || !strings.Contains(err.Error(), "no sealing key") {
		t.Fatalf("serve without its key: %v, want the path %s looked for", err, keyPath)
	}
	err = Run(context.Background(), []string{"calls", "--data", data}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), keyPath) {
		t.Fatalf("calls without its key: %v, want the path %s looked for", err, keyPath)
	}
	if _, err := os.Stat(keyPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a new key was made at %s", keyPath)
	}

	// A server that only ever started (its console user made, nothing else) holds sealed data
	// too; a new directory gets its key.
	data = t.TempDir()
	m = runMain(t, data, nil)
	m.Close()
	os.Remove(filepath.Join(data, "seal.key"))
	if err := testMain(data, nil).Open(context.Background()); err == nil || !strings.Contains(err.Error(), "no sealing key") {
		t.Fatalf("a started directory without its key: %v", err)
	}
	fresh := t.TempDir()
	runMain(t, fresh, nil).Close()
	if _, err := os.Stat(filepath.Join(fresh, "seal.key")); err != nil {
		t.Fatalf("a new directory got no key: %v", err)
	}
}

func TestHealthzFailsWhenTheKeyDoesNotFit(t *testing.T) {
	m := MustRunMain(t)
	resp, err := http.Get("http://" + m.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("healthz %d with the key fitting", resp.StatusCode)
	}
	// The file's check value is another key's now: as if the data were swapped under the server.
	if err := m.DB.Update(context.Background(), func(tx onestop.Tx) error {
		return tx.Bucket(store.Meta).Put([]byte("keycheck"), bytes.Repeat([]byte{9}, 32))
	}); err != nil {
		t.Fatal(err)
	}
	resp, err = http.Get("http://" + m.Addr() + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || !strings.Contains(string(b), "sealing key") {
		t.Fatalf("healthz %d %q with a key that does not fit, want 503 with the reason", resp.StatusCode, b)
	}
}

func TestServeListensOnLoopbackByDefault(t *testing.T) {
	t.Setenv("ONESTOP_ADDR", "")
	if got := DefaultConfig().Addr; got != "127.0.0.1:8080" {
		t.Fatalf("default address %q, want 127.0.0.1:8080", got)
	}
	t.Setenv("ONESTOP_ADDR", "127.0.0.1:9090")
	m := NewMain()
	if err := m.ParseFlags(nil, io.Discard); err != nil || m.Config.Addr != "127.0.0.1:9090" {
		t.Fatalf("ONESTOP_ADDR: %q, %v", m.Config.Addr, err)
	}
	if err := m.ParseFlags([]string{"--addr", "[::1]:9091"}, io.Discard); err != nil || m.Config.Addr != "[::1]:9091" {
		t.Fatalf("--addr: %q, %v", m.Config.Addr, err)
	}
}

func TestServeListensBeyondLoopbackOnlyWithAuthenticatedWebhooks(t *testing.T) {
	for _, addr := range []string{":0", "0.0.0.0:0", "[::]:0", "192.0.2.1:0", "gw.example.org:0"} {
		data := t.TempDir()
		m := testMain(data, func(c *Config) { c.Addr = addr })
		err := m.Open(context.Background())
		if err == nil {
			m.Close()
			t.Fatalf("listened on %s with no webhook secret", addr)
		}
		if msg := err.Error(); !strings.Contains(msg, "ONESTOP_WEBHOOK_TOKEN") || strings.Contains(msg, "\n") {
			t.Errorf("%s: %q, want one line naming ONESTOP_WEBHOOK_TOKEN", addr, msg)
		}
		// Refused before anything was touched.
		if entries, _ := os.ReadDir(data); len(entries) != 0 {
			t.Errorf("%s: the refused start left %d files", addr, len(entries))
		}
	}
	for name, change := range map[string]func(*Config){
		"token":      func(c *Config) { c.WebhookToken = "s3cret-path-token-0123456789" },
		"basic auth": func(c *Config) { c.WebhookUser, c.WebhookPassword = "at", "a-long-webhook-password" },
	} {
		m := runMain(t, t.TempDir(), func(c *Config) { change(c); c.Addr = "0.0.0.0:0" })
		if !strings.HasPrefix(m.Addr(), "0.0.0.0:") && !strings.HasPrefix(m.Addr(), "[::]:") {
			t.Errorf("%s: listening on %s", name, m.Addr())
		}
		m.Close()
	}
	// A user without a password, or a secret anyone could guess, is no authentication.
	for name, change := range map[string]func(*Config){
		"a user with no password": func(c *Config) { c.WebhookUser = "at" },
		"a short password":        func(c *Config) { c.WebhookUser, c.WebhookPassword = "at", "secret" },
		"a short token":           func(c *Config) { c.WebhookToken = "abc123" },
	} {
		m := testMain(t.TempDir(), func(c *Config) { change(c); c.Addr = "0.0.0.0:0" })
		if err := m.Open(context.Background()); err == nil {
			m.Close()
			t.Errorf("listened beyond loopback with %s", name)
		}
	}
}

func TestSimulationRefusesRealContacts(t *testing.T) {
	data := withContact(t, nil)
	m := testMain(data, func(c *Config) { c.Simulate = true })
	err := m.Open(context.Background())
	if err == nil {
		m.Close()
		t.Fatal("a simulation started on real contacts")
	}
	if !strings.Contains(err.Error(), "real helpline") {
		t.Fatalf("simulate on real contacts: %v", err)
	}
	// Nothing was marked: the real helpline still starts on its data.
	runMain(t, data, nil).Close()
}

func TestSimulatedDataIsNeverServedForReal(t *testing.T) {
	m := mustRunSimulated(t)
	allOnes(t, m.Addr(), "ATUid_s1", "+8801711000001")
	data := m.Config.Data
	m.Close()
	real := testMain(data, nil)
	err := real.Open(context.Background())
	if err == nil {
		real.Close()
		t.Fatal("a real helpline started on a simulation's data")
	}
	if !strings.Contains(err.Error(), "simulation") {
		t.Fatalf("serve on simulated data: %v", err)
	}
	runMain(t, data, func(c *Config) { c.Simulate = true }).Close()
}

func TestSimulationListensOnlyOnLoopback(t *testing.T) {
	m := testMain(t.TempDir(), func(c *Config) {
		c.Simulate, c.Addr, c.WebhookToken = true, "0.0.0.0:0", "s3cret-path-token-0123456789"
	})
	if err := m.Open(context.Background()); err == nil || !strings.Contains(err.Error(), "loopback") {
		if err == nil {
			m.Close()
		}
		t.Fatalf("a simulation beyond loopback: %v", err)
	}
}

// TestSimulationSendsNothingToAPerson configures Africa's Talking and a counsellor on duty, then
// records an urgent contact in a simulation: its alert is queued for the log, not the provider.
func TestSimulationSendsNothingToAPerson(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int64
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "no", 500)
	}))
	defer api.Close()
	t.Setenv("ONESTOP_AT_USERNAME", "sandbox")
	t.Setenv("ONESTOP_AT_API_KEY", "key")
	t.Setenv("ONESTOP_AT_BASE_URL", api.URL)
	m := mustRunSimulated(t)
	data := m.Config.Data
	m.Close()
	if err := Run(context.Background(), []string{"duty", "set", "+8801711999999", "--data", data}, nil, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	m = runMain(t, data, func(c *Config) { c.Simulate = true })
	allOnes(t, m.Addr(), "ATUid_s2", "+8801711000002")
	msgs, err := m.Outbox.List(ctx, outbox.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) == 0 {
		t.Fatal("the urgent contact queued no alert")
	}
	for _, msg := range msgs {
		if msg.Provider != outbox.LogName {
			t.Errorf("a simulation queued a message for %q, want only %q", msg.Provider, outbox.LogName)
		}
	}
	m.Close()
	if n := calls.Load(); n != 0 {
		t.Fatalf("a simulation called the provider %d times", n)
	}
}

func TestLoadDrivesOnlyASimulation(t *testing.T) {
	ctx := context.Background()
	m := MustRunMain(t)
	var errb bytes.Buffer
	err := Run(context.Background(), []string{"load", "--url", "http://" + m.Addr(), "--callers", "1", "--sessions", "1"}, nil, io.Discard, &errb)
	if err == nil || !strings.Contains(err.Error(), "not serving a simulation") {
		t.Fatalf("load at a real helpline: %v", err)
	}
	if n, _ := m.Cases.List(ctx, casebook.Filter{}); len(n) != 0 {
		t.Fatalf("load recorded %d contacts at a real helpline", len(n))
	}
	s := mustRunSimulated(t)
	if err := Run(context.Background(), []string{"load", "--url", "http://" + s.Addr(), "--callers", "1", "--sessions", "2"}, nil, io.Discard, io.Discard); err != nil {
		t.Fatalf("load at a simulation: %v", err)
	}
}

// A file sealed before check values were kept takes the first key it is opened with as its own,
// so that key must first open what is sealed there: a wrong one is refused, the right one starts.
func TestAFileWithoutACheckValueIsOpenedOnlyByItsKey(t *testing.T) {
	key := newKey(t)
	data := withContact(t, func(c *Config) { c.SealKey = key })
	db, err := bolt.Open(filepath.Join(data, "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx onestop.Tx) error { return tx.Bucket(store.Meta).Delete([]byte("keycheck")) })
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	m := testMain(data, func(c *Config) { c.SealKey = newKey(t) })
	if err := m.Open(context.Background()); err == nil {
		m.Close()
		t.Fatal("a file with no check value took a key that does not open it")
	} else if !strings.Contains(err.Error(), "does not open") {
		t.Fatalf("another key: %v", err)
	}
	m = runMain(t, data, func(c *Config) { c.SealKey = key })
	m.Close()
}

// The same, when the newest contact keeps no number and no message is left in the outbox: the
// key must still open a contact that keeps one before it is taken as the file's.
func TestAFileWithoutACheckValueNeedsASealedNumberOpened(t *testing.T) {
	key := newKey(t)
	data := t.TempDir()
	m := runMain(t, data, func(c *Config) { c.SealKey = key })
	allOnes(t, m.Addr(), "ATUid_k2", "+8801711000002")
	for _, text := range []string{"", "4", "4*1"} { // information only: no number kept
		hop(t, m.Addr(), "ATUid_k3", "+8801711000003", text)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := bolt.Open(filepath.Join(data, "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(context.Background(), func(tx onestop.Tx) error {
		if err := tx.DeleteBucket(store.Outbox); err != nil {
			return err
		}
		if _, err := tx.CreateBucket(store.Outbox); err != nil {
			return err
		}
		return tx.Bucket(store.Meta).Delete([]byte("keycheck"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	m = testMain(data, func(c *Config) { c.SealKey = newKey(t) })
	if err := m.Open(context.Background()); err == nil {
		m.Close()
		t.Fatal("a wrong key was taken because the newest contact keeps no number")
	}
	m = runMain(t, data, func(c *Config) { c.SealKey = key })
	m.Close()
}
