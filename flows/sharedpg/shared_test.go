// Package sharedpg_test runs gateways sharing one PostgreSQL database, each with a pool and a
// commit loop of its own, as two `onestop serve` processes are: the store the shared engine is
// for, where bolt in one process can only stand in for it.
package sharedpg_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/postgres"
	"github.com/onestop-helpline/onestop/postgres/pgtest"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/ussd"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// 10:00 in Dhaka: inside the morning window, the same for every store.
var start = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

func engine(t *testing.T, db onestop.Store, shared bool) (*flows.Engine, *casebook.Casebook) {
	t.Helper()
	box, err := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	e, err := flows.New(context.Background(), db, cases, box, dir, flows.Config{Pager: ussd.Pager{}.Pages, Shared: shared})
	if err != nil {
		t.Fatal(err)
	}
	return e, cases
}

var paths = [][]string{
	{"1", "1", "1", "1", "2"},
	{"3", "1", "2", "1"},
	{"1", "3"},
	{"4", "1", "98", "99", "0"},
	{"5", "2", "4", "2"},
	{"2", "1", "1", "99", "0"},
}

type script struct {
	id, caller string
	inputs     []string
}

func (sc script) turn(i int) flows.Turn {
	t := flows.Turn{Channel: onestop.USSD, Provider: "africastalking", SessionID: sc.id, Caller: sc.caller,
		Network: "47001", Resends: true, Hop: i}
	if i > 0 {
		t.History, t.Input = sc.inputs[:i-1], sc.inputs[i-1]
	}
	return t
}

type reply struct {
	Text string
	End  bool
}

func step(e *flows.Engine, t flows.Turn) (reply, error) {
	s, err := e.Step(context.Background(), t)
	return reply{s.Text, s.End}, err
}

// references number contacts in the order they were made, which sessions at once decide.
var reference = regexp.MustCompile(`[0-9]{7}`)

func refless(r reply) reply { r.Text = reference.ReplaceAllString(r.Text, "REF"); return r }

func contacts(t *testing.T, cases *casebook.Casebook) []string {
	t.Helper()
	cs, err := cases.List(context.Background(), casebook.Filter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range cs {
		out = append(out, fmt.Sprintf("%x %s %s %s %v", c.SessionID, c.Urgency, c.Status, c.Lang, c.Plan != nil))
	}
	slices.Sort(out)
	return out
}

// TestGatewaysOnOnePostgresAnswerAsOneEngine gives every hop of many sessions to both of two
// gateways on one database at once: each answers what one engine alone does, and every contact
// is recorded once.
func TestGatewaysOnOnePostgresAnswerAsOneEngine(t *testing.T) {
	ctx := context.Background()
	url := pgtest.Database(t)
	var ss []script
	for i := range 60 {
		ss = append(ss, script{id: fmt.Sprintf("s%d", i), caller: fmt.Sprintf("+88017110%05d", i+1), inputs: paths[i%len(paths)]})
	}

	ref, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	ref.Clock = func() time.Time { return start }
	alone, aloneCases := engine(t, ref, false)
	want := map[string][]reply{}
	for _, sc := range ss {
		for i := 0; i <= len(sc.inputs); i++ {
			r, err := step(alone, sc.turn(i))
			if err != nil {
				t.Fatal(err)
			}
			want[sc.id] = append(want[sc.id], r)
		}
	}

	var gws [2]*flows.Engine
	var cases *casebook.Casebook
	for g := range gws {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		db.Clock = func() time.Time { return start }
		gws[g], cases = engine(t, db, true)
	}
	var wg sync.WaitGroup
	for _, sc := range ss {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i <= len(sc.inputs); i++ {
				var got [2]reply
				var errs [2]error
				var hop sync.WaitGroup
				for g := range 2 {
					hop.Add(1)
					go func() { defer hop.Done(); got[g], errs[g] = step(gws[g], sc.turn(i)) }()
				}
				hop.Wait()
				for g := range 2 {
					if errs[g] != nil || refless(got[g]) != refless(want[sc.id][i]) {
						t.Errorf("%s hop %d on gateway %d: %+v, %v; want %+v", sc.id, i, g, got[g], errs[g], want[sc.id][i])
					}
				}
				if got[0] != got[1] {
					t.Errorf("%s hop %d: the gateways answered %+v and %+v", sc.id, i, got[0], got[1])
				}
			}
		}()
	}
	wg.Wait()
	if got, want := contacts(t, cases), contacts(t, aloneCases); !slices.Equal(got, want) {
		t.Errorf("contacts:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
