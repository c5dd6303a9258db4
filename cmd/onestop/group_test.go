package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"os/exec"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/simulate"
)

// TestTwoGatewaysOnOneDatabaseLoseNothing runs two gateways on one PostgreSQL database, spreads
// simulated callers across both at random on every hop (a hop the killed one cannot answer goes
// to the other, as a platform retries), and kills one of them with SIGKILL at random moments,
// restarting it each time. Every reference a caller was told must be on record once, no caller
// may see a wrong screen, and no alert may be sent twice.
func TestTwoGatewaysOnOneDatabaseLoseNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts subprocesses; skipped with -short")
	}
	ctx := context.Background()
	url := pgtest.Database(t)
	key := make([]byte, 32)
	rand.Read(key)
	env := []string{"ONESTOP_DATABASE_URL=" + url, "ONESTOP_SEAL_KEY=" + base64.StdEncoding.EncodeToString(key)}
	noProviders(t)
	t.Setenv("ONESTOP_DATABASE_URL", url)
	t.Setenv("ONESTOP_SEAL_KEY", base64.StdEncoding.EncodeToString(key))
	// A counsellor on duty, so urgent contacts queue alerts that are sent (to the log).
	smsMustCmd(t, "duty", "set", "+8801911000900", "--data", t.TempDir())

	bin := buildBinary(t)
	// Each message's sends, by the gateway process that made them. A message may be sent again
	// only when the process that sent it first was killed before it could record the send: the
	// log stands in for a provider that drops repeats (Idempotent), as the outbox expects of it.
	var mu sync.Mutex
	sends := map[string][]int{} // message id → the processes that sent it, in order
	killed := map[int]bool{}
	sent := regexp.MustCompile(`msg="outbox: not sent \(no provider configured\)" id=(\d+)`)
	generation := 0
	tagged := func(gen int) chan<- string {
		lines := make(chan string, 1024)
		go func() {
			for line := range lines {
				if m := sent.FindStringSubmatch(line); m != nil {
					mu.Lock()
					sends[m[1]] = append(sends[m[1]], gen)
					mu.Unlock()
				}
			}
		}()
		return lines
	}
	type gateway struct {
		cmd  *exec.Cmd
		addr string
		data string
		gen  int
	}
	var gws [2]*gateway
	start := func(i int) {
		if gws[i] == nil {
			gws[i] = &gateway{data: t.TempDir()}
		}
		generation++
		gws[i].gen = generation
		gws[i].cmd, gws[i].addr = startServeLog(t, bin, gws[i].data, tagged(generation), env...)
	}
	start(0)
	start(1)
	defer func() {
		for _, g := range gws {
			g.cmd.Process.Kill()
			g.cmd.Wait()
		}
	}()
	endpoints := func() []string {
		return []string{"http://" + gws[0].addr + "/ussd/africastalking", "http://" + gws[1].addr + "/ussd/africastalking"}
	}
	callers := simulate.NewCallers(endpoints()[0], 12, 0)
	if _, err := callers.Learn(ctx, locales.DefaultLimit); err != nil {
		t.Fatal(err)
	}
	callers.Spread(endpoints())
	callers.Report(testWriter{t})

	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 17))
	const kills = 10
	for round := 0; round < kills; round++ {
		victim := rng.IntN(2)
		killAt := time.Duration(200+rng.IntN(800)) * time.Millisecond
		rctx, cancel := context.WithTimeout(ctx, killAt+700*time.Millisecond)
		mu.Lock()
		killed[gws[victim].gen] = true
		mu.Unlock()
		go func() {
			time.Sleep(killAt)
			gws[victim].cmd.Process.Signal(syscall.SIGKILL)
		}()
		callers.Drive(rctx, time.Minute, io.Discard, fmt.Sprintf("round %d", round))
		cancel()
		gws[victim].cmd.Wait()
		if res := callers.Result(); res.WrongScreens != 0 {
			t.Fatalf("round %d: %d wrong screens", round, res.WrongScreens)
		}
		start(victim)
		callers.Spread(endpoints())
	}
	res := callers.Result()
	told := callers.Refs()
	t.Logf("%d kills, %d hops, %d failed, %d references told", kills, res.Hops, res.Errors, len(told))
	if len(told) < kills {
		t.Fatalf("only %d references told: the callers did not reach the closing screens", len(told))
	}
	// Both gateways drain their outboxes; then every reference told is on record once.
	time.Sleep(3 * time.Second)
	store, box, err := openStore(ctx, Config{DatabaseURL: url, SealKey: base64.StdEncoding.EncodeToString(key)}, time.Second)
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
		sessions[c.SessionID]++
	}
	for _, ref := range told {
		if refs[ref] != 1 {
			t.Errorf("reference %s told to a caller is on record %d times", ref, refs[ref])
		}
	}
	for s, n := range sessions {
		if n != 1 {
			t.Errorf("session %s recorded %d contacts", s, n)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(sends) == 0 {
		t.Error("no alert was sent")
	}
	again := 0
	for id, by := range sends {
		for _, gen := range by[:len(by)-1] {
			if !killed[gen] {
				t.Errorf("message %s sent by processes %v: sent again though process %d was not killed", id, by, gen)
			}
		}
		again += len(by) - 1
	}
	t.Logf("%d messages sent, %d sent again after the process sending them was killed", len(sends), again)
}

// testWriter writes to the test's log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }
