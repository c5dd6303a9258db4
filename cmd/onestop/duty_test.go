package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/outbox"
)

var errRollBack = errors.New("roll back")

// mustAcceptRoles fails the test unless the outbox, as m builds it, takes a message addressed to
// a role: alerts depend on it.
func mustAcceptRoles(t *testing.T, m *Main) {
	t.Helper()
	ob := m.outbox(m.smsConfig)
	var qerr error
	err := m.DB.Update(context.Background(), func(tx onestop.Tx) error {
		_, qerr = ob.Enqueue(tx, &outbox.Message{Key: "probe", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
			Role: outbox.RoleDuty, Template: alerts.TemplateAlert, Args: []string{"1234567", "BD"}})
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	if qerr != nil {
		t.Fatalf("the outbox refuses a message to the role on duty: %v", qerr)
	}
}

// TestDutyCommands: set with shifts, list with who is on duty now, clear one or all, the
// fallback list; bad input changes nothing.
func TestDutyCommands(t *testing.T) {
	noProviders(t)
	data := t.TempDir()
	smsMustCmd(t, "duty", "set", "+8801911000301", "--tz", "Asia/Dhaka", "--shift", "daily/00:00-24:00", "--data", data)
	smsMustCmd(t, "duty", "set", "+8801911000302", "--tz", "Asia/Kolkata", "--shift", "mon-fri/08:00-16:00", "--shift", "sat/20:00-08:00", "--lang", "hi", "--data", data)
	out := smsMustCmd(t, "duty", "list", "--data", data)
	for _, want := range []string{"on duty now: +880 19** ***301 (en)", "Asia/Kolkata", "mon,tue,wed,thu,fri/08:00-16:00 sat/20:00-08:00", "no fallback list"} {
		if !strings.Contains(out, want) {
			t.Fatalf("duty list lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "1911000301") || strings.Contains(out, "1911000302") {
		t.Fatalf("duty list shows a whole number:\n%s", out)
	}
	if show := smsMustCmd(t, "duty", "show", "--data", data); show != out {
		t.Fatalf("duty show differs from duty list:\n%s", show)
	}
	for _, bad := range [][]string{
		{"duty", "set", "+8801911000303", "--shift", "mon/08:00-09:00"},
		{"duty", "set", "+8801911000303", "--tz", "Asia/Dhaka"},
		{"duty", "set", "+8801911000303", "--tz", "Dhaka", "--shift", "mon/08:00-09:00"},
		{"duty", "set", "+8801911000303", "--tz", "Asia/Dhaka", "--shift", "someday"},
		{"duty", "set", "+8801911000303", "--lang", "fr"},
		{"duty", "clear", "+8801911000399"},
		{"duty", "fallback", "remove", "+8801911000399"},
		{"duty", "fallback", "add", "8801911000399"},
		{"duty", "fallback"},
		{"duty", "rota"},
	} {
		if _, err := smsCmd(t, append(bad, "--data", data)...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if again := smsMustCmd(t, "duty", "list", "--data", data); again != out {
		t.Fatalf("bad input changed the rota:\n%s", again)
	}
	smsMustCmd(t, "duty", "fallback", "add", "+8801911000399", "--lang", "bn", "--data", data)
	if out := smsMustCmd(t, "duty", "fallback", "list", "--data", data); !strings.Contains(out, "fallback: +880 19** ***399 (bn)") {
		t.Fatalf("fallback list: %q", out)
	}
	smsMustCmd(t, "duty", "clear", "+8801911000301", "--data", data)
	out = smsMustCmd(t, "duty", "list", "--data", data)
	if strings.Contains(out, "***301") || !strings.Contains(out, "***302") || !strings.Contains(out, "fallback: +880 19** ***399") {
		t.Fatalf("after clearing one:\n%s", out)
	}
	// duty set with no shift: this counsellor alone, at all hours, as before the rota.
	smsMustCmd(t, "duty", "set", "+8801911000304", "--data", data)
	out = smsMustCmd(t, "duty", "list", "--data", data)
	if strings.Contains(out, "***302") || !strings.Contains(out, "on duty now: +880 19** ***304 (en)") || !strings.Contains(out, "at all hours") {
		t.Fatalf("after duty set with no shift:\n%s", out)
	}
	smsMustCmd(t, "duty", "clear", "--data", data)
	if out := smsMustCmd(t, "duty", "list", "--data", data); !strings.Contains(out, "no counsellor on duty now") || !strings.Contains(out, "***399") {
		t.Fatalf("after clearing the rota:\n%s", out)
	}
	smsMustCmd(t, "duty", "fallback", "remove", "+8801911000399", "--data", data)
	if out := smsMustCmd(t, "duty", "fallback", "list", "--data", data); !strings.Contains(out, "no fallback") {
		t.Fatalf("after removing the fallback: %q", out)
	}
}

// TestRotaNumbersAreSealed: no number of the rota or the fallback list lies in the file.
func TestRotaNumbersAreSealed(t *testing.T) {
	noProviders(t)
	data := t.TempDir()
	smsMustCmd(t, "duty", "set", "+8801911000301", "--tz", "Asia/Dhaka", "--shift", "daily/08:00-20:00", "--data", data)
	smsMustCmd(t, "duty", "fallback", "add", "+8801911000399", "--data", data)
	raw, err := os.ReadFile(filepath.Join(data, "onestop.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"1911000301", "1911000399"} {
		if bytes.Contains(raw, []byte(n)) {
			t.Fatalf("%s lies in the file", n)
		}
	}
}

func TestEscalateVariable(t *testing.T) {
	noProviders(t)
	for _, bad := range []string{"ten", "10", "30s", "48h"} {
		t.Setenv("ONESTOP_ALERT_ESCALATE", bad)
		if _, err := readSMSConfig(); err == nil || !strings.Contains(err.Error(), "ONESTOP_ALERT_ESCALATE") {
			t.Errorf("%q: %v", bad, err)
		}
	}
	t.Setenv("ONESTOP_ALERT_ESCALATE", "")
	if c, err := readSMSConfig(); err != nil || c.EscalateAfter != 10*time.Minute {
		t.Fatalf("default: %v, %v", c.EscalateAfter, err)
	}
	t.Setenv("ONESTOP_ALERT_ESCALATE", "3m")
	if c, err := readSMSConfig(); err != nil || c.EscalateAfter != 3*time.Minute {
		t.Fatalf("3m: %v, %v", c.EscalateAfter, err)
	}
}
