package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/simulate"
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

// startServe starts `onestop serve` on data, with env over the test's environment, and returns
// its process and address. Its log lines, after the one that gives the address, go to logs if
// that is not nil.
func startServe(t *testing.T, bin, data string, env ...string) (*exec.Cmd, string) {
	return startServeLog(t, bin, data, nil, env...)
}

func startServeLog(t *testing.T, bin, data string, logs chan<- string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data)
	cmd.Env = append(append(os.Environ(), "ONESTOP_LOG_LEVEL=info", "ONESTOP_SEAL_KEY=", "ONESTOP_WEBHOOK_TOKEN=", "ONESTOP_WEBHOOK_USER="), env...)
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
			if logs != nil {
				logs <- sc.Text()
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

// TestKillNineMidMenuCarriesOn kills the server while callers are part way through menus whose
// latest screens lived only in its memory, restarts it on the same directory, and has each press
// her next keys: she sees the screens she would have seen with no crash (a reference server on a
// directory of its own shows which), and a plan confirmed after the restart lands on the contact
// recorded before it.
func TestKillNineMidMenuCarriesOn(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses; skipped with -short")
	}
	bin := buildBinary(t)
	walks := []struct {
		name string
		keys []string
		cut  int // keys pressed before the kill
	}{
		{"urgent", []string{"1", "1", "1", "1", "2"}, 3}, // urgent on disk, two plan steps in memory; her district skipped
		{"information", []string{"4", "1", "99"}, 2},     // information on disk, a topic in memory
		{"language", []string{"5", "99", "4"}, 2},        // nothing on disk: the store never saw her
	}
	texts := func(keys []string) []string {
		out := []string{""}
		for i := range keys {
			out = append(out, strings.Join(keys[:i+1], "*"))
		}
		return out
	}
	mask := func(screen string) string { return refPattern.ReplaceAllString(screen, refMask) }
	caller := func(i int) string { return fmt.Sprintf("+8801711%06d", 500+i) }

	ref, refAddr := startServe(t, bin, t.TempDir())
	want := map[string][]string{}
	for i, w := range walks {
		for _, text := range texts(w.keys) {
			want[w.name] = append(want[w.name], mask(hop(t, refAddr, "ATUid_ref_"+w.name, caller(i), text)))
		}
	}
	ref.Process.Kill()
	ref.Wait()

	data := t.TempDir()
	cmd, addr := startServe(t, bin, data)
	for i, w := range walks {
		for _, text := range texts(w.keys)[:w.cut+1] {
			hop(t, addr, "ATUid_mid_"+w.name, caller(i), text)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	cmd, addr = startServe(t, bin, data)
	var told string
	for i, w := range walks {
		for k, text := range texts(w.keys)[w.cut+1:] {
			got := hop(t, addr, "ATUid_mid_"+w.name, caller(i), text)
			if exp := want[w.name][w.cut+1+k]; mask(got) != exp {
				t.Errorf("%s, %q after the kill: %q, want %q", w.name, text, got, exp)
			}
			if r := refPattern.FindString(got); r != "" && strings.HasPrefix(got, "END ") {
				told = r
			}
		}
	}
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	rows := callsJSON(t, data)
	if len(rows) != len(walks) {
		t.Fatalf("%d contacts on record, want one for each caller: %+v", len(rows), rows)
	}
	for _, r := range rows {
		if r.Urgency == onestop.Urgent && (r.Ref != told || r.Plan == "") {
			t.Errorf("the urgent contact %+v, want reference %s with her plan", r, told)
		}
	}
}

// TestKillNineUnderLoadLosesNothing drives simulated callers at `onestop serve`, kills it with
// SIGKILL at a random moment, restarts it on the same data directory, and does that again and
// again. Every reference any caller was told must be on record exactly once, no session may hold
// two contacts, no caller may see a wrong screen, and the database must pass bbolt's check.
func TestKillNineUnderLoadLosesNothing(t *testing.T) {
	ctx := context.Background()
	if testing.Short() {
		t.Skip("starts subprocesses; skipped with -short")
	}
	const kills = 20
	bin, data := buildBinary(t), t.TempDir()
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 5))
	told := map[string]int{} // reference → round it was told in
	var exp *simulate.Screens
	var hops, errs int64
	for round := 0; round < kills; round++ {
		cmd, addr := startServe(t, bin, data)
		l := simulate.NewCallers("http://"+addr+"/ussd/africastalking", 12, 0)
		if exp == nil {
			var err error
			if exp, err = l.Learn(context.Background(), locales.DefaultLimit); err != nil {
				cmd.Process.Kill()
				t.Fatal(err)
			}
		} else {
			l.Expect(exp)
		}
		ctx, cancel := context.WithCancel(context.Background())
		killAt := time.Duration(50+rng.IntN(600)) * time.Millisecond
		killed := make(chan struct{})
		go func() {
			time.Sleep(killAt)
			cmd.Process.Signal(syscall.SIGKILL)
			cmd.Wait()
			cancel() // hops still in flight fail now rather than at their timeout
			close(killed)
		}()
		l.Drive(ctx, time.Minute, io.Discard, "crash")
		res := l.Result()
		<-killed
		if res.WrongScreens != 0 {
			t.Fatalf("round %d: %d wrong screens", round, res.WrongScreens)
		}
		hops, errs = hops+res.Hops, errs+res.Errors
		for _, k := range l.Refs() {
			if r, dup := told[k]; dup {
				t.Errorf("reference %s told in rounds %d and %d", k, r, round)
			}
			told[k] = round
		}
	}
	t.Logf("%d kills, %d hops, %d failed at a kill, %d references told", kills, hops, errs, len(told))
	if len(told) < kills {
		t.Fatalf("only %d references told in %d rounds: the load did not reach the closing screens", len(told), kills)
	}

	// The file opens clean and passes bbolt's consistency check.
	db, err := bolt.Open(filepath.Join(data, "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range db.Check() {
		t.Errorf("bbolt check: %v", err)
	}
	db.Close()

	// Every reference told is on record, once; no session recorded two contacts.
	store, box, err := openStore(ctx, Config{Data: data}, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	all, err := casebook.New(store, box).List(ctx, casebook.Filter{Limit: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	refs, sessions := map[string]int{}, map[string]int{}
	for _, c := range all {
		refs[c.Ref]++
		sessions[c.Provider+":"+c.SessionID]++
	}
	for ref, round := range told {
		if refs[ref] != 1 {
			t.Errorf("reference %s told in round %d is on record %d times", ref, round, refs[ref])
		}
	}
	for s, n := range sessions {
		if n != 1 {
			t.Errorf("session %s recorded %d contacts", s, n)
		}
	}
	if len(all) < len(told) {
		t.Errorf("%d contacts on record, %d references told", len(all), len(told))
	}
}
