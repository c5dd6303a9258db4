package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/staff"
)

// TestMain lets this test binary stand in for onestop's when a command starts itself again (load
// runs its baseline in a process of its own): run so, it is the command, not the tests.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "load" {
		if err := Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "onestop:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(pgtest.Main(m))
}

// MustRunMain starts the real gateway on a temporary data directory and a free loopback port.
func MustRunMain(tb testing.TB) *Main {
	tb.Helper()
	m := NewMain()
	m.Config = DefaultConfig()
	m.Config.Addr = "127.0.0.1:0"
	m.Config.Data = tb.TempDir()
	m.Config.SealKey, m.Config.SealKeyFile = "", ""
	m.Config.WebhookToken, m.Config.WebhookUser, m.Config.WebhookPassword = "", "", ""
	m.Config.LogLevel = "error"
	m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m.Open(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// hop posts one Africa's Talking hop to a running gateway and returns its answer.
func hop(tb testing.TB, addr, session, caller, text string) string {
	tb.Helper()
	form := url.Values{"sessionId": {session}, "serviceCode": {"*109#"}, "phoneNumber": {caller}, "networkCode": {"47001"}, "text": {text}}
	resp, err := http.Post("http://"+addr+"/ussd/africastalking", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		tb.Fatalf("hop %q: %d %s", text, resp.StatusCode, b)
	}
	return string(b)
}

// allOnes walks the all-1 path and returns the closing screen.
func allOnes(tb testing.TB, addr, session, caller string) string {
	tb.Helper()
	var last string
	for _, text := range []string{"", "1", "1*1", "1*1*1", "1*1*1*1", "1*1*1*1*2"} { // the last skips her district
		last = hop(tb, addr, session, caller, text)
	}
	if !strings.HasPrefix(last, "END ") {
		tb.Fatalf("all-1 path ended with %q", last)
	}
	return last
}

func callsJSON(tb testing.TB, data string) []admin.CallRow {
	tb.Helper()
	var out, errb bytes.Buffer
	if err := Run(context.Background(), []string{"calls", "--data", data, "--json"}, nil, &out, &errb); err != nil {
		tb.Fatalf("calls: %v %s", err, errb.String())
	}
	var rows []admin.CallRow
	dec := json.NewDecoder(&out)
	for dec.More() {
		var r admin.CallRow
		if err := dec.Decode(&r); err != nil {
			tb.Fatal(err)
		}
		rows = append(rows, r)
	}
	return rows
}

func TestServeRecordsWhatCallsLists(t *testing.T) {
	m := MustRunMain(t)
	end := allOnes(t, m.Addr(), "ATUid_1", "+8801711000001")
	if status := get(t, "http://"+m.Addr()+"/healthz"); status != 200 {
		t.Fatalf("healthz %d", status)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	rows := callsJSON(t, m.Config.Data)
	if len(rows) != 1 {
		t.Fatalf("calls lists %d contacts", len(rows))
	}
	r := rows[0]
	if !strings.Contains(end, r.Ref) || r.Urgency != "urgent" || r.Masked != "+880 17** ***001" || !strings.HasPrefix(r.Plan, "call this number, now") {
		t.Fatalf("calls row %+v for %q", r, end)
	}
	var table bytes.Buffer
	if err := Run(context.Background(), []string{"calls", "--data", m.Config.Data}, nil, &table, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(table.String(), r.Ref) || strings.Contains(table.String(), "1711000001") {
		t.Fatalf("calls table:\n%s", table.String())
	}
}

// TestARestartCarriesOnSessionsMidMenu: a session whose hops recorded nothing lives only in
// memory; a graceful stop writes it, so after a restart on the same data her next key goes on,
// even from a hint screen.
func TestARestartCarriesOnSessionsMidMenu(t *testing.T) {
	m := MustRunMain(t)
	const caller = "+8801711000001"
	hop(t, m.Addr(), "ATUid_mid", caller, "")
	if r := hop(t, m.Addr(), "ATUid_mid", caller, "7"); !strings.HasPrefix(r, "CON ") {
		t.Fatalf("invalid key: %q", r)
	}
	want := hop(t, m.Addr(), "ATUid_ref", caller, "4") // records an information contact, and goes on
	resp, err := http.Get("http://" + m.Addr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Contains(metrics, []byte("\nonestop_sessions_in_memory 2\n")) {
		t.Fatalf("metrics do not count the two sessions going on:\n%s", metrics)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	again := NewMain()
	again.Config = m.Config
	again.Log = m.Log
	if err := again.Open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if r := hop(t, again.Addr(), "ATUid_mid", caller, "7*4"); r != want {
		t.Fatalf("after a restart: %q, want %q", r, want)
	}
}

func get(tb testing.TB, u string) int {
	tb.Helper()
	resp, err := http.Get(u)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestCallsWhileServing(t *testing.T) {
	m := MustRunMain(t)
	allOnes(t, m.Addr(), "ATUid_calls", "+8801711000001")
	// Through the server's admin socket, the same rows as from the file.
	rows := callsJSON(t, m.Config.Data)
	if len(rows) != 1 || rows[0].Urgency != "urgent" || strings.Contains(rows[0].Masked, "711000001") {
		t.Fatalf("calls while serving: %+v", rows)
	}
	m.Close()
	if again := callsJSON(t, m.Config.Data); len(again) != 1 || again[0] != rows[0] {
		t.Fatalf("calls from the file: %+v, through the server: %+v", again, rows)
	}
}

func TestCommandsSaySoWhenTheServerDoesNotAnswer(t *testing.T) {
	m := MustRunMain(t)
	// A server that holds the file but whose socket is gone: the command gives up soon and says why.
	os.Remove(filepath.Join(m.Config.Data, admin.SocketName))
	start := time.Now()
	err := Run(context.Background(), []string{"calls", "--data", m.Config.Data}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "held by a running onestop serve") {
		t.Fatalf("calls with the socket gone: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("calls took %v to give up", d)
	}
}

func TestServeRefusesATakenPort(t *testing.T) {
	m := MustRunMain(t)
	m2 := NewMain()
	m2.Config.Addr, m2.Config.Data = m.Addr(), t.TempDir()
	m2.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := m2.Open(context.Background()); err == nil {
		m2.Close()
		t.Fatal("a second server opened on a taken port")
	}
}

func TestUnknownCommandAndFlags(t *testing.T) {
	if err := Run(context.Background(), []string{"fly"}, nil, io.Discard, io.Discard); admin.ExitCode(err) != 2 {
		t.Fatalf("unknown command: %v (exit %d)", err, admin.ExitCode(err))
	}
	if err := Run(context.Background(), []string{"serve", "--nope"}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("serve accepted an unknown flag")
	}
}

// TestPageLimitsFromTheEnvironment moved to locales (TestParseLimits), beside the Limit it reads.

// TestServiceCodesFromTheEnvironment moved to flows (TestParseServiceCodes), beside the Config it fills.

// TestServeRefusesABadServiceCodeOrDoNotContactPeriod: a bad value stops serve with an error
// naming the variable.
func TestServeRefusesABadServiceCodeOrDoNotContactPeriod(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"ONESTOP_SERVICE_CODES", "*109#=BD,*999#"},
		{"ONESTOP_SERVICE_CODES", "*1#=ZZ"}, // a country with no helpline in the directory
		{"ONESTOP_DO_NOT_CONTACT_DAYS", "soon"},
		{"ONESTOP_DO_NOT_CONTACT_DAYS", "0"},
	} {
		t.Setenv(tc.name, tc.value)
		m := NewMain()
		m.Config.Addr, m.Config.Data, m.Config.SealKey, m.Config.SealKeyFile = "127.0.0.1:0", t.TempDir(), "", ""
		m.Config.LogLevel = "error"
		m.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
		err := m.Open(context.Background())
		if err == nil {
			m.Close()
		}
		if err == nil || !strings.Contains(err.Error(), tc.name) {
			t.Errorf("%s=%q: %v, want an error naming it", tc.name, tc.value, err)
		}
		os.Unsetenv(tc.name)
	}
}

// TestServiceCodesReachTheConversation: with ONESTOP_SERVICE_CODES set, an Israeli SIM dialling
// Palestine's service hears Palestine's helpline, in Arabic.
func TestServiceCodesReachTheConversation(t *testing.T) {
	t.Setenv("ONESTOP_SERVICE_CODES", "*109#=PS")
	m := MustRunMain(t)
	first := hop(t, m.Addr(), "ATUid_ps", "+972501234567", "")
	if !strings.Contains(first, locales.Text(onestop.Arabic, locales.MenuTalk)) {
		t.Fatalf("first screen %q, want Arabic", first)
	}
	hop(t, m.Addr(), "ATUid_ps", "+972501234567", "7")
	hop(t, m.Addr(), "ATUid_ps", "+972501234567", "7*7")
	end := hop(t, m.Addr(), "ATUid_ps", "+972501234567", "7*7*7") // three wrong keys: the helpline
	if !strings.Contains(end, "121") {
		t.Fatalf("closing screen %q, want Palestine's helpline", end)
	}
}

// TestTheHalfHourIsPromisedOnlyWithACounsellorOnDuty: serve tells the conversation who is on
// duty; with nobody, the closing screen gives the helpline instead of a promise.
func TestTheHalfHourIsPromisedOnlyWithACounsellorOnDuty(t *testing.T) {
	m := MustRunMain(t)
	if end := allOnes(t, m.Addr(), "ATUid_nobody", "+8801711000001"); strings.Contains(end, "30 ") || !strings.Contains(end, "109") {
		t.Fatalf("with nobody on duty: %q", end)
	}
	if err := m.Staff.SetDuty(context.Background(), &staff.Counsellor{Number: "+8801711999999", Masked: "x", Lang: onestop.English}); err != nil {
		t.Fatal(err)
	}
	if end := allOnes(t, m.Addr(), "ATUid_onduty", "+8801711000002"); !strings.Contains(end, "30 ") {
		t.Fatalf("with a counsellor on duty: %q", end)
	}
}

func TestServeRefusesSettingsThatDoNotParse(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"ONESTOP_SESSION_TTL", "five minutes", "ONESTOP_SESSION_TTL"},
		{"ONESTOP_SIMULATE", "perhaps", "ONESTOP_SIMULATE"},
		{"ONESTOP_LOG_FORMAT", "xml", "ONESTOP_LOG_FORMAT"},
		{"ONESTOP_USSD_PAGE", "africastalkin=160/72", `"africastalkin" is not a provider`},
		{"ONESTOP_RETENTION_AUDIT_DAYS", "0", "ONESTOP_RETENTION_AUDIT_DAYS"},
		{"ONESTOP_WEBHOOK_TOKN", "x", "ONESTOP_WEBHOOK_TOKN is not a setting"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(tt.name, tt.value)
			m := NewMain()
			m.Config.Addr, m.Config.Data = "127.0.0.1:0", t.TempDir()
			err := m.Open(context.Background())
			if err == nil {
				m.Close()
				t.Fatal("serve started")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not name %q", err, tt.want)
			}
			// Refused before the data directory is touched.
			if _, err := os.Stat(m.Config.DBPath()); !os.IsNotExist(err) {
				t.Fatalf("the database was created: %v", err)
			}
		})
	}
}

// Every ONESTOP_ variable the code reads is in usage/env.txt, with a kind checkValue knows, so
// serve --help tells all and no setting is refused for being unlisted.
func TestEveryVariableIsListed(t *testing.T) {
	kinds := envKinds()
	for name, kind := range kinds {
		if err := checkValue(kind, ""); err != nil && strings.Contains(err.Error(), "unknown kind") {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, k := range casebook.RetentionKinds {
		if _, ok := kinds[k.Env()]; !ok {
			t.Errorf("%s is not in usage/env.txt", k.Env())
		}
	}
	read := regexp.MustCompile(`"(ONESTOP_[A-Z0-9_]*[A-Z0-9])"`)
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		for _, m := range read.FindAllSubmatch(src, -1) {
			if _, ok := kinds[string(m[1])]; !ok {
				t.Errorf("%s reads %s, which usage/env.txt does not list", path, m[1])
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
