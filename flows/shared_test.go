package flows_test

import (
	"bytes"
	"context"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
)

// gateway is one `onestop serve` on a shared store: an engine and a casebook of its own, over a
// store that only it holds in memory, so that it shares nothing with the others but the store.
type gateway struct {
	engine *flows.Engine
	cases  *casebook.Casebook
	db     *holdable
}

// holdable is a gateway's view of the shared store, whose next write can be held before it
// begins: the moment between a hop's read of its session and its write.
type holdable struct {
	*bolt.DB
	mu   sync.Mutex
	hold chan chan struct{} // when set, the next Update sends a channel on it and waits for it to close
}

func (h *holdable) Update(ctx context.Context, fn func(onestop.Tx) error) error {
	h.mu.Lock()
	hold := h.hold
	h.hold = nil
	h.mu.Unlock()
	if hold != nil {
		release := make(chan struct{})
		hold <- release
		<-release
	}
	return h.DB.Update(ctx, fn)
}

// holdNextWrite makes the gateway's next write wait; the channel returned gets, once that write
// is about to begin, the channel that lets it go on when closed.
func (g *gateway) holdNextWrite() chan chan struct{} {
	c := make(chan chan struct{}, 1)
	g.db.mu.Lock()
	g.db.hold = c
	g.db.mu.Unlock()
	return c
}

// recordings counts the committed calls of Config.Recorded for each session's contact: each is
// an alert or a callback task queued, so a hop run twice would show as one too many.
type recordings struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *recordings) hook(tx onestop.Tx, _, after *onestop.Contact) error {
	id := after.SessionID
	tx.OnCommit(func() {
		r.mu.Lock()
		defer r.mu.Unlock()
		if r.n == nil {
			r.n = map[string]int{}
		}
		r.n[id]++
	})
	return nil
}

// sharedStore opens one bolt file in t.TempDir(), standing in for the database several gateways
// share, and starts n gateways on it, each with cfg and Shared set.
func sharedStore(t *testing.T, n int, cfg flows.Config) (*bolt.DB, *clock, []*gateway) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: start}
	db.Clock = clk.Now
	cfg.Shared = true
	var gws []*gateway
	for range n {
		box, err := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
		if err != nil {
			t.Fatal(err)
		}
		dir, err := directory.Embedded()
		if err != nil {
			t.Fatal(err)
		}
		h := &holdable{DB: db}
		cases := casebook.New(h, box)
		gws = append(gws, &gateway{engine: newEngineOn(t, h, cases, box, dir, cfg), cases: cases, db: h})
	}
	return db, clk, gws
}

func newEngineOn(tb testing.TB, db onestop.Store, cases *casebook.Casebook, box *seal.Box, dir *directory.Directory, cfg flows.Config) *flows.Engine {
	tb.Helper()
	if cfg.Pager == nil {
		cfg.Pager = ussd.Pager{}.Pages
	}
	e, err := flows.New(context.Background(), db, cases, box, dir, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// script is one caller's session: who she is, how her channel numbers hops, what she presses.
type script struct {
	id, caller string
	resends    bool
	inputs     []string
}

// turn is hop i of the script (0: the first screen), as its channel sends it.
func (sc script) turn(i int) flows.Turn {
	t := flows.Turn{Channel: onestop.USSD, Provider: "africastalking", SessionID: sc.id, Caller: sc.caller, Network: "47001"}
	if sc.resends {
		return atText(t, strings.Join(sc.inputs[:i], "*"))
	}
	if i > 0 {
		t.Hop, t.Input = i, sc.inputs[i-1]
	}
	return t
}

// paths walk every kind of hop: urgent with a plan and the district question, a callback later,
// not to be called, information paged and left, a language chosen and remembered, a place
// searched, invalid keys up to the kind ending.
var paths = [][]string{
	{"1", "1", "1", "1", "2"},
	{"3", "1", "2", "1"},
	{"1", "3"},
	{"4", "1", "98", "99", "0"},
	{"5", "2", "4", "2"},
	{"2", "1", "1", "99", "0"},
	{"7", "1", "9", "1", "1"},
	{"3", "2", "01711000002", "4", "1"},
	{"1", "7", "7", "7"},
}

// scripts returns n sessions, each of its own caller (what one remembers, a language or a
// do-not-contact mark, must not depend on which session ran first), in three countries.
func scripts(n int) []script {
	var ss []script
	for i := range n {
		caller := []string{"+88017110%05d", "+9198765%05d", "+970599%06d"}[i%3]
		ss = append(ss, script{id: fmt.Sprintf("s%d", i), caller: fmt.Sprintf(caller, i+1), resends: i%4 != 3,
			inputs: paths[i%len(paths)]})
	}
	return ss
}

// alone runs every script on one engine of its own, one hop at a time: what every gateway
// together must give.
func alone(t *testing.T, ss []script) (map[string][]reply, []string, map[string]int) {
	t.Helper()
	var rec recordings
	f := newFixtureWith(t, flows.Config{Recorded: rec.hook})
	want := map[string][]reply{}
	for _, sc := range ss {
		for i := 0; i <= len(sc.inputs); i++ {
			r, err := shown(f.engine.Step(context.Background(), sc.turn(i)))
			if err != nil {
				t.Fatalf("%s hop %d: %v", sc.id, i, err)
			}
			want[sc.id] = append(want[sc.id], r)
		}
	}
	return want, contactSummary(t, f.cases), rec.n
}

// contactSummary lists every contact as what was recorded of it, sorted: the same sessions must
// record the same contacts, once each.
func contactSummary(t *testing.T, cases *casebook.Casebook) []string {
	t.Helper()
	cs, err := cases.List(context.Background(), casebook.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		plan := "no plan"
		if c.Plan != nil {
			plan = fmt.Sprintf("plan call=%v other=%v window=%s", c.Plan.MayCall, c.Plan.OtherNumber, c.Plan.Window)
		}
		out = append(out, fmt.Sprintf("%x %s %s %s %s %s %s", c.SessionID, c.Urgency, c.Status, c.Lang, c.Area, c.Masked, plan))
	}
	slices.Sort(out)
	return out
}

// TestGatewaysOnOneStoreAnswerAsOneEngine runs many sessions on two gateways sharing one store,
// each hop given to either at random, and often the same hop to both at once, as a platform that
// retries at another gateway while the first is still working: every hop of every session gets
// the screen one engine alone gives it, every contact is recorded once, and every alert or task
// queued once.
func TestGatewaysOnOneStoreAnswerAsOneEngine(t *testing.T) {
	ss := scripts(180)
	want, wantContacts, wantRecorded := alone(t, ss)
	var rec recordings
	_, _, gws := sharedStore(t, 2, flows.Config{Recorded: rec.hook})

	var both atomic.Int64
	var wg sync.WaitGroup
	work := make(chan script)
	for range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for sc := range work {
				h := fnv.New64a()
				h.Write([]byte(sc.id))
				rnd := rand.New(rand.NewPCG(1, h.Sum64()))
				for i := 0; i <= len(sc.inputs); i++ {
					var got [2]reply
					var errs [2]error
					if rnd.IntN(2) == 0 {
						// The same hop to both gateways at once.
						both.Add(1)
						var hop sync.WaitGroup
						for g := range 2 {
							hop.Add(1)
							go func() {
								defer hop.Done()
								got[g], errs[g] = shown(gws[g].engine.Step(context.Background(), sc.turn(i)))
							}()
						}
						hop.Wait()
					} else {
						g := rnd.IntN(2)
						got[0], errs[0] = shown(gws[g].engine.Step(context.Background(), sc.turn(i)))
						// Sometimes retried at the other gateway after it answered.
						got[1], errs[1] = got[0], nil
						if rnd.IntN(3) == 0 {
							got[1], errs[1] = shown(gws[1-g].engine.Step(context.Background(), sc.turn(i)))
						}
					}
					if got[0] != got[1] && errs[0] == nil && errs[1] == nil {
						t.Errorf("%s hop %d: one gateway answered %+v, the other %+v", sc.id, i, got[0], got[1])
					}
					for g := range 2 {
						if errs[g] != nil {
							t.Errorf("%s hop %d: %v", sc.id, i, errs[g])
						} else if refless(got[g]) != refless(want[sc.id][i]) {
							t.Errorf("%s hop %d (path %v): %+v, want %+v", sc.id, i, sc.inputs, got[g], want[sc.id][i])
						}
					}
				}
			}
		}()
	}
	for _, sc := range ss {
		work <- sc
	}
	close(work)
	wg.Wait()

	if got := contactSummary(t, gws[0].cases); !slices.Equal(got, wantContacts) {
		t.Errorf("contacts:\n%s\nwant, as one engine records them:\n%s", strings.Join(got, "\n"), strings.Join(wantContacts, "\n"))
	}
	for id, n := range wantRecorded {
		if rec.n[id] != n {
			t.Errorf("contact %x: recorded %d times, want %d", id, rec.n[id], n)
		}
	}
	if len(rec.n) != len(wantRecorded) {
		t.Errorf("%d contacts recorded, want %d", len(rec.n), len(wantRecorded))
	}
	for _, g := range gws {
		if n := g.engine.Live(); n != 0 {
			t.Errorf("a gateway holds %d sessions in memory on a shared store", n)
		}
	}
	t.Logf("%d hops sent to both gateways at once", both.Load())
}

// TestAHopRunOnTwoGatewaysAtOnceIsAnsweredAsARetry holds one gateway's write of each hop of each
// path, between its read of the session and its write, while the other gateway answers the same
// hop: the held one then finds the session moved on, writes nothing, and answers as a retry.
func TestAHopRunOnTwoGatewaysAtOnceIsAnsweredAsARetry(t *testing.T) {
	var ss []script
	for p, path := range paths {
		for i := 1; i <= len(path); i++ {
			ss = append(ss, script{id: fmt.Sprintf("p%dh%d", p, i), caller: fmt.Sprintf("+88017120%05d", len(ss)+1),
				resends: p%2 == 0, inputs: path[:i]})
		}
	}
	want, wantContacts, wantRecorded := alone(t, ss)
	var rec recordings
	_, _, gws := sharedStore(t, 2, flows.Config{Recorded: rec.hook})
	a, b := gws[0], gws[1]
	for _, sc := range ss {
		last := len(sc.inputs)
		for i := 0; i < last; i++ {
			if r, err := shown(a.engine.Step(context.Background(), sc.turn(i))); err != nil || refless(r) != refless(want[sc.id][i]) {
				t.Fatalf("%s hop %d: %+v, %v", sc.id, i, r, err)
			}
		}
		held := a.holdNextWrite()
		answered := make(chan reply, 1)
		go func() {
			r, err := shown(a.engine.Step(context.Background(), sc.turn(last)))
			if err != nil {
				t.Errorf("%s, held: %v", sc.id, err)
			}
			answered <- r
		}()
		var release chan struct{}
		select {
		case release = <-held:
		case r := <-answered:
			t.Fatalf("%s: hop %d wrote nothing, want a write: %+v", sc.id, last, r)
		}
		// References are drawn at random, so one engine alone tells another: the screens are
		// compared without them, and the held hop must tell exactly what the other gateway told.
		other, err := shown(b.engine.Step(context.Background(), sc.turn(last)))
		if err != nil || refless(other) != refless(want[sc.id][last]) {
			t.Fatalf("%s hop %d on the other gateway: %+v, %v", sc.id, last, other, err)
		}
		close(release)
		if r := <-answered; r != other {
			t.Errorf("%s hop %d, held while the other gateway answered it: %+v, want %+v", sc.id, last, r, other)
		}
	}
	if got := contactSummary(t, a.cases); !slices.Equal(got, wantContacts) {
		t.Errorf("contacts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(wantContacts, "\n"))
	}
	for id, n := range wantRecorded {
		if rec.n[id] != n {
			t.Errorf("contact %x: recorded %d times, want %d", id, rec.n[id], n)
		}
	}
}

// TestGatewaysSweepingAtOnceSweepEachSessionOnce: two gateways sweep the same expired sessions at
// the same time; each is deleted once, an unfinished urgent contact is marked dropped once, and
// the live ones stay, on either gateway.
func TestGatewaysSweepingAtOnceSweepEachSessionOnce(t *testing.T) {
	ctx := context.Background()
	var rec recordings
	db, clk, gws := sharedStore(t, 2, flows.Config{Recorded: rec.hook})
	ss := scripts(60)
	for i, sc := range ss {
		sc.inputs = []string{"1", "1"} // urgent, open, no plan yet: dropped when swept
		if i%2 == 1 {
			sc.inputs = []string{"4", "1"} // information: done, left as it is
		}
		for h := 0; h <= len(sc.inputs); h++ {
			if _, err := gws[h%2].engine.Step(ctx, sc.turn(h)); err != nil {
				t.Fatal(err)
			}
		}
	}
	clk.Add(flows.DefaultTTL + time.Second)
	live := script{id: "live", caller: bdCaller, resends: true, inputs: []string{"4", "1"}}
	for h := 0; h < 2; h++ {
		if _, err := gws[h].engine.Step(ctx, live.turn(h)); err != nil {
			t.Fatal(err)
		}
	}
	before := map[string]int{}
	rec.mu.Lock()
	for k, v := range rec.n {
		before[k] = v
	}
	rec.mu.Unlock()

	var swept [2]int
	var wg sync.WaitGroup
	for g := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := gws[g].engine.Sweep(ctx)
			if err != nil {
				t.Error(err)
			}
			swept[g] = n
		}()
	}
	wg.Wait()
	if swept[0]+swept[1] != len(ss) {
		t.Errorf("swept %d and %d, want %d in all", swept[0], swept[1], len(ss))
	}
	var stored, keys int
	db.View(ctx, func(tx onestop.Tx) error {
		stored, keys = session.Count(tx), tx.Bucket(store.SessionKeys).Len()
		return nil
	})
	if stored != 1 || keys != 1 {
		t.Errorf("%d sessions and %d entries of where they are left, want the live one's", stored, keys)
	}
	dropped := 0
	for _, c := range must(gws[1].cases.List(ctx, casebook.Filter{Limit: 1000})) {
		if c.Status == onestop.Dropped {
			dropped++
		}
		if d := rec.n[c.SessionID] - before[c.SessionID]; (c.Status == onestop.Dropped) != (d == 1) || d > 1 {
			t.Errorf("contact %d %s recorded %d times by the sweeps", c.ID, c.Status, d)
		}
	}
	if dropped != len(ss)/2 {
		t.Errorf("%d contacts dropped, want %d", dropped, len(ss)/2)
	}
	if r, err := shown(gws[1].engine.Step(ctx, live.turn(2))); err != nil || r.End {
		t.Errorf("the live session after the sweeps: %+v, %v", r, err)
	}
	for _, g := range gws {
		if n, err := g.engine.Flush(ctx); err != nil || n != 0 {
			t.Errorf("Flush on a shared store = %d, %v; want nothing to write", n, err)
		}
	}
}

// refless is r with the contact's reference left out: references number contacts in the order
// they were made, which the sessions running at once decide.
func refless(r reply) reply {
	r.Text = reference.ReplaceAllString(r.Text, "REF")
	return r
}

var reference = regexp.MustCompile(`[0-9]{7}`)

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// BenchmarkStepParallelShared is BenchmarkStepParallel on two gateways sharing the store, each
// hop given to either in turn: every hop reads its session from the store and writes it back.
func BenchmarkStepParallelShared(b *testing.B) {
	f := newFixtureWith(b, flows.Config{Shared: true})
	engines := []*flows.Engine{f.engine, f.restart(flows.Config{Shared: true})}
	ctx := context.Background()
	callers := []string{bdCaller, inCaller, psCaller, usCaller}
	paths := [][]string{{"", "1", "1*1", "1*1*1", "1*1*1*1"}, {"", "4", "4*1", "4*1*98", "4*1*98*0"}}
	var next atomic.Int64
	b.SetParallelism(32)
	b.ReportAllocs()
	defer cpuPerOp(b)()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var id, caller string
		var path []string
		hop := 0
		for pb.Next() {
			if hop == 0 {
				n := next.Add(1)
				id, caller, path = fmt.Sprintf("p%d", n), callers[n%4], paths[(n/4)%2]
			}
			r, err := engines[hop%2].Step(ctx, atText(flows.Turn{Provider: "africastalking", SessionID: id, Caller: caller}, path[hop]))
			if err != nil {
				b.Fatal(err)
			}
			if hop++; hop == len(path) || r.End {
				hop = 0
			}
		}
	})
}
