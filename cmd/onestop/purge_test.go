package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

func TestPurgeCommand(t *testing.T) {
	m := MustRunMain(t)
	allOnes(t, m.Addr(), "ATUid_p", "+8801711000001")
	// While serving, purge says the server holds the store (and purges by itself).
	err := Run(context.Background(), []string{"purge", "--data", m.Config.Data}, nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "held by a running onestop serve") {
		t.Fatalf("purge while serving: %v", err)
	}
	m.Close()
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data, "--days", "30"}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	// A contact from today is not due: nothing is deleted, and it is still listed.
	if !strings.Contains(out.String(), "0 contacts") || len(callsJSON(t, m.Config.Data)) != 1 {
		t.Fatalf("purge output %q", out.String())
	}
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data, "--days", "0"}, nil, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Fatalf("--days 0: %v", err)
	}
	t.Setenv("ONESTOP_RETENTION_DAYS", "soon")
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("accepted ONESTOP_RETENTION_DAYS=soon")
	}
}
