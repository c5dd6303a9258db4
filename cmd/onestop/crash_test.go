package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds onestop once for the subprocess tests.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "onestop")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

var listening = regexp.MustCompile(`addr=(127\.0\.0\.1:\d+)`)

// startServe starts `onestop serve` on data and returns its process and address.
func startServe(t *testing.T, bin, data string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(os.Environ(), "ONESTOP_LOG_LEVEL=info", "ONESTOP_SEAL_KEY=", "ONESTOP_WEBHOOK_TOKEN=", "ONESTOP_WEBHOOK_USER=")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := listening.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case addr <- m[1]:
				default:
				}
			}
		}
	}()
	select {
	case a := <-addr:
		return cmd, a
	case <-time.After(15 * time.Second):
		cmd.Process.Kill()
		t.Fatal("serve did not start listening")
	}
	return nil, ""
}

// TestKillNineRightAfterTheEndKeepsTheRecord kills the server with SIGKILL the moment a caller
// has been told her reference, restarts it on the same directory, and finds every reference
// told, once each.
func TestKillNineRightAfterTheEndKeepsTheRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses; skipped with -short")
	}
	bin, data := buildBinary(t), t.TempDir()
	refRe := regexp.MustCompile(`\b\d{7}\b`)
	told := map[string]bool{}
	const rounds = 5
	for i := 0; i < rounds; i++ {
		cmd, addr := startServe(t, bin, data)
		end := allOnes(t, addr, fmt.Sprintf("ATUid_kill_%d", i), fmt.Sprintf("+88017110000%02d", i))
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		ref := refRe.FindString(end)
		if ref == "" {
			t.Fatalf("no reference in %q", end)
		}
		told[ref] = true
	}
	// The database opens clean after the last kill, and holds each reference exactly once.
	rows := callsJSON(t, data)
	seen := map[string]int{}
	for _, r := range rows {
		seen[r.Ref]++
	}
	for ref := range told {
		if seen[ref] != 1 {
			t.Errorf("reference %s told to a caller is on record %d times", ref, seen[ref])
		}
	}
	if len(rows) != rounds {
		t.Errorf("%d contacts on record after %d calls: %s", len(rows), rounds, strings.Join(keys(seen), " "))
	}
}

func keys(m map[string]int) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
