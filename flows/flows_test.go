package flows_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
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
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/session"
	"github.com/onestop-helpline/onestop/store"
	"github.com/onestop-helpline/onestop/ussd"
)

// clock is a settable time for the store and everything on it.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	t      testing.TB
	db     *bolt.DB
	cases  *casebook.Casebook
	engine *flows.Engine
	clock  *clock
}

// 2026-11-23 04:00 UTC is 10:00 in Dhaka: inside the morning window.
var start = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	return newFixtureWith(t, flows.Config{})
}

// onDuty is a rota with someone always on duty.
func onDuty(context.Context, time.Time) bool { return true }

// newFixtureWith is newFixture with an engine configured by cfg.
func newFixtureWith(t testing.TB, cfg flows.Config) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: start}
	db.Clock = clk.Now
	box, err := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	return &fixture{t: t, db: db, cases: cases, clock: clk, engine: newEngine(t, db, cases, box, dir, cfg)}
}

func newEngine(tb testing.TB, db *bolt.DB, cases *casebook.Casebook, box *seal.Box, dir *directory.Directory, cfg flows.Config) *flows.Engine {
	ctx := context.Background()
	tb.Helper()
	if cfg.Pager == nil {
		cfg.Pager = ussd.Pager{}.Pages
	}
	e, err := flows.New(ctx, db, cases, box, dir, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

const (
	bdCaller = "+8801711000001"
	inCaller = "+919876543210"
	psCaller = "+970599123456"
	usCaller = "+12025550123"
)

// reply is what a hop sends the caller: the page laid out for her, and whether it ends.
type reply struct {
	Text string
	End  bool
}

// shown is what a hop's screen sends the caller.
func shown(s onestop.Screen, err error) (reply, error) { return reply{Text: s.Text, End: s.End}, err }

func (f *fixture) hop(session, caller, text string) reply {
	f.t.Helper()
	r, err := shown(f.engine.Step(context.Background(), atText(flows.Turn{
		Channel: onestop.USSD, Provider: "africastalking", SessionID: session, Caller: caller,
		ServiceCode: "*109#", Network: "47001"}, text)))
	if err != nil {
		f.t.Fatalf("hop %q: %v", text, err)
	}
	return r
}

// walk sends the inputs one hop at a time, as the aggregator does, and returns every reply.
func (f *fixture) walk(session, caller string, inputs ...string) []reply {
	f.t.Helper()
	replies := []reply{f.hop(session, caller, "")}
	text := ""
	for i, in := range inputs {
		if i > 0 {
			text += "*"
		}
		text += in
		replies = append(replies, f.hop(session, caller, text))
	}
	return replies
}

func (f *fixture) contacts(ctx context.Context) []*onestop.Contact {
	f.t.Helper()
	cs, err := f.cases.List(ctx, casebook.Filter{Limit: 1000})
	if err != nil {
		f.t.Fatal(err)
	}
	return cs
}

func last(rs []reply) reply { return rs[len(rs)-1] }

func TestPressingOneEverywhereRecordsOneUrgentContactWithACallbackNow(t *testing.T) {
	ctx := context.Background()
	f := newFixtureWith(t, flows.Config{OnDuty: onDuty})
	rs := f.walk("s1", bdCaller, "1", "1", "1", "1", "2") // the last: skip the district
	for _, r := range rs[:len(rs)-1] {
		if r.End {
			t.Fatalf("session ended early: %q", r.Text)
		}
	}
	end := last(rs)
	cs := f.contacts(ctx)
	if len(cs) != 1 {
		t.Fatalf("%d contacts, want 1", len(cs))
	}
	c := cs[0]
	want := locales.Text(onestop.Bengali, locales.DoneNow, c.Ref, "999")
	if !end.End || end.Text != want {
		t.Fatalf("last screen = %+v, want END %q", end, want)
	}
	if c.Urgency != onestop.Urgent || c.Status != onestop.Open || c.Lang != onestop.Bengali || c.Country != "BD" {
		t.Fatalf("contact = %+v", c)
	}
	p := c.Plan
	if p == nil || !p.MayCall || p.Number != bdCaller || p.OtherNumber || p.Window != onestop.Now {
		t.Fatalf("plan = %+v", p)
	}
	if !p.Allows(bdCaller, start.Add(10*time.Minute)) || p.Allows(bdCaller, start.Add(31*time.Minute)) || p.Allows("+8801811000002", start) {
		t.Fatalf("plan window %v–%v does not hold the next 30 minutes for her number only", p.Opens, p.Closes)
	}
	if c.Caller != bdCaller || c.Masked != "+880 17** ***001" {
		t.Fatalf("caller %q masked %q", c.Caller, c.Masked)
	}
}

func TestUrgentIsRecordedTheMomentSheChoosesIt(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s1", bdCaller, "1")
	cs := f.contacts(ctx)
	if len(cs) != 1 || cs[0].Urgency != onestop.Urgent || cs[0].Plan != nil || cs[0].Caller != "" {
		t.Fatalf("after choosing urgent: %+v", cs)
	}
}

func TestARetriedHopGetsTheSameReplyAndRecordsNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rs := f.walk("s1", bdCaller, "1")
	before := f.snapshot(ctx)
	again := f.hop("s1", bdCaller, "1")
	if again != last(rs) {
		t.Fatalf("retry = %+v, first = %+v", again, last(rs))
	}
	if first := f.hop("s1", bdCaller, ""); first.Text == again.Text {
		t.Fatal("a late retry of the first hop must get the first screen back, not the latest")
	}
	if after := f.snapshot(ctx); after != before {
		t.Fatal("a retried hop changed the database")
	}
	if n := len(f.contacts(ctx)); n != 1 {
		t.Fatalf("%d contacts after a retry, want 1", n)
	}
}

// snapshot returns the contacts and sessions buckets as text, to compare before and after.
func (f *fixture) snapshot(ctx context.Context) string {
	var b strings.Builder
	f.db.View(ctx, func(tx onestop.Tx) error {
		for _, name := range [][]byte{store.Contacts, store.Sessions, store.Prefs} {
			tx.Bucket(name).ForEach(func(k, v []byte) error {
				fmt.Fprintf(&b, "%s %x %x\n", name, k, v)
				return nil
			})
		}
		return nil
	})
	return b.String()
}

func TestHopsThatCannotContinueEndKindlyAndChangeNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s1", bdCaller, "1")
	before := f.snapshot(ctx)
	over := locales.Text(onestop.Bengali, locales.SessionOver, "109")
	for _, tc := range []struct{ name, session, caller, text string }{
		{"unknown session", "nobody", bdCaller, "1*1"},
		{"history that does not extend", "s1", bdCaller, "2*1"},
		{"another caller on the session", "s1", inCaller, "1*1"},
	} {
		r := f.hop(tc.session, tc.caller, tc.text)
		if !r.End || (tc.caller == bdCaller && r.Text != over) {
			t.Errorf("%s: %+v, want END %q", tc.name, r, over)
		}
	}
	if f.snapshot(ctx) != before {
		t.Fatal("a hop that could not continue changed the database")
	}
}

func TestZeroExitsAtOnceWithANeutralGoodbyeFromEveryScreen(t *testing.T) {
	ctx := context.Background()
	paths := map[string][]string{
		"menu": {}, "may call": {"1"}, "number": {"1", "2"}, "when": {"1", "1"}, "cover": {"1", "1", "1"},
		"help": {"2"}, "help page 2": {"2", "98"}, "info": {"4"}, "topic": {"4", "1"}, "language": {"5"},
		"after an invalid key": {"7"},
	}
	for name, inputs := range paths {
		for _, caller := range []string{bdCaller, inCaller, psCaller, usCaller} {
			f := newFixture(t)
			r := last(f.walk("s", caller, append(inputs, "0")...))
			lang := locales.ForRegion(regionOf(caller))
			if !r.End || r.Text != locales.Text(lang, locales.Goodbye) {
				t.Errorf("%s, %s: 0 gave %+v", name, lang, r)
			}
			for _, c := range f.contacts(ctx) {
				if c.Plan != nil || c.Status == onestop.Open {
					t.Errorf("%s: after exit the contact is %s with plan %+v; nothing may follow from it", name, c.Status, c.Plan)
				}
			}
		}
	}
}

func regionOf(caller string) string {
	switch {
	case strings.HasPrefix(caller, "+880"):
		return "BD"
	case strings.HasPrefix(caller, "+91"):
		return "IN"
	case strings.HasPrefix(caller, "+970"):
		return "PS"
	}
	return "US"
}

func TestGoodbyeNamesNothing(t *testing.T) {
	for _, l := range onestop.Langs {
		g := strings.ToLower(locales.Text(l, locales.Goodbye))
		for _, w := range []string{"violence", "abuse", "crisis", "help", "centre", "police", "109", "999"} {
			if strings.Contains(g, w) {
				t.Errorf("%s goodbye %q names %q", l, g, w)
			}
		}
	}
}

func TestInvalidKeysHintThenEndWithTheHelpline(t *testing.T) {
	f := newFixture(t)
	rs := f.walk("s1", bdCaller, "7", "x", "")
	hint := locales.Text(onestop.Bengali, locales.Invalid)
	if rs[1].End || !strings.HasPrefix(rs[1].Text, hint) {
		t.Fatalf("first invalid key: %+v, want the hint above the menu", rs[1])
	}
	if rs[2].End {
		t.Fatal("second invalid key ended the session")
	}
	if end := rs[3]; !end.End || end.Text != locales.Text(onestop.Bengali, locales.TooManyInvalid, "109") {
		t.Fatalf("third invalid key: %+v", end)
	}
	// A valid key in between resets the count.
	f2 := newFixture(t)
	rs = f2.walk("s2", bdCaller, "7", "7", "4", "9", "9", "1")
	if last(rs).End {
		t.Fatalf("a valid key did not reset the invalid count: %+v", last(rs))
	}
}

func TestLanguageByCountryAndRememberedChoice(t *testing.T) {
	f := newFixture(t)
	menu := func(l onestop.Lang) string {
		return locales.Menu(l, locales.DefaultLimit, "", []locales.Option{
			{Key: "1", Label: locales.Text(l, locales.MenuTalk)}, {Key: "2", Label: locales.Text(l, locales.MenuNearby)},
			{Key: "3", Label: locales.Text(l, locales.MenuCallback)}, {Key: "4", Label: locales.Text(l, locales.MenuInfo)},
			{Key: "5", Label: locales.Text(l, locales.MenuLanguage)},
		}, locales.Nav{Exit: true})[0]
	}
	for caller, lang := range map[string]onestop.Lang{bdCaller: onestop.Bengali, inCaller: onestop.Hindi, psCaller: onestop.Arabic, usCaller: onestop.English} {
		if got := f.hop("first-"+caller, caller, ""); got.Text != menu(lang) {
			t.Errorf("%s first screen = %q, want the %s menu", caller, got.Text, lang)
		}
	}
	// She chooses English (4th on the language menu); the menu switches at once, and her next
	// session starts in English.
	if r := last(f.walk("s-lang", bdCaller, "5", "4")); r.Text != menu(onestop.English) {
		t.Fatalf("after choosing English: %q", r.Text)
	}
	if r := f.hop("s-next", bdCaller, ""); r.Text != menu(onestop.English) {
		t.Fatalf("next session starts with %q, want the remembered English", r.Text)
	}
	if r := f.hop("s-other", "+8801811000002", ""); r.Text != menu(onestop.Bengali) {
		t.Fatal("another caller inherited her language")
	}
}

func TestDigitsInEveryScriptAreKeys(t *testing.T) {
	ctx := context.Background()
	for _, one := range []string{"1", "১", "१", "١", "۱", " 1 "} {
		f := newFixture(t)
		f.walk("s", bdCaller, one, one, one, one)
		cs := f.contacts(ctx)
		if len(cs) != 1 || cs[0].Plan == nil || !cs[0].Plan.MayCall {
			t.Errorf("%q as 1: contacts %+v", one, cs)
		}
	}
}

func TestAnotherNumberIsKeptOnlyInThePlan(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	rs := f.walk("s", bdCaller, "3", "2", "123", "01811000002", "3", "1")
	if !strings.HasPrefix(rs[3].Text, locales.Text(onestop.Bengali, locales.BadNumber)) {
		t.Fatalf("a bad number: %q", rs[3].Text)
	}
	c := f.contacts(ctx)[0]
	if c.Urgency != onestop.NonUrgent || c.Caller != "" || c.Plan == nil || c.Plan.Number != "+8801811000002" || !c.Plan.OtherNumber || c.Plan.Window != onestop.Afternoon {
		t.Fatalf("contact %+v plan %+v", c, c.Plan)
	}
	want := locales.Text(onestop.Bengali, locales.DoneLater, c.Ref, locales.Text(onestop.Bengali, locales.LaterAfternoon), "999")
	if r := last(rs); !r.End || r.Text != want {
		t.Fatalf("end = %+v, want %q", r, want)
	}
}

func TestDoNotCallIsRecordedAndSaysSo(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	r := last(f.walk("s", inCaller, "3", "3"))
	c := f.contacts(ctx)[0]
	if c.Status != onestop.DoNotContact || c.Plan == nil || c.Plan.MayCall || c.Caller != "" {
		t.Fatalf("contact %+v plan %+v", c, c.Plan)
	}
	if want := locales.Text(onestop.Hindi, locales.DoneNoCall, c.Ref, "181", "112"); !r.End || r.Text != want {
		t.Fatalf("end %+v, want %q", r, want)
	}
}

func TestInformationContactsAreClassifiedAndUrgencyOnlyRises(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s", psCaller, "4", "2", "99", "99", "1")
	cs := f.contacts(ctx)
	if len(cs) != 1 || cs[0].Urgency != onestop.Urgent {
		t.Fatalf("info then urgent: %+v", cs)
	}
	f.walk("s2", psCaller, "2")
	if c := f.contacts(ctx)[0]; c.Urgency != onestop.Information || c.Status != onestop.Done {
		t.Fatalf("find help: %+v", c)
	}
}

// TestTopicsNameHerOwnCountrysHelpline: callers from two countries read the same topic in the
// same language, one after the other, and each is told her own helpline.
func TestTopicsNameHerOwnCountrysHelpline(t *testing.T) {
	f := newFixture(t)
	english := strconv.Itoa(slices.Index(onestop.Langs, onestop.English) + 1)
	for i, tc := range []struct{ caller, helpline string }{{bdCaller, "109"}, {inCaller, "181"}, {bdCaller, "109"}} {
		topic := last(f.walk(strconv.Itoa(i), tc.caller, "5", english, "4", "1"))
		if !strings.Contains(topic.Text, tc.helpline) {
			t.Fatalf("%s reads %q, want her helpline %s", tc.caller, topic.Text, tc.helpline)
		}
	}
}

func TestHelpListsTheHelplineFirstAndPages(t *testing.T) {
	f := newFixture(t)
	rs := f.walk("s", bdCaller, "2", "98", "99", "99")
	if !strings.Contains(rs[1].Text, "109") || !strings.Contains(rs[1].Text, "98 ") {
		t.Fatalf("help page 1: %q", rs[1].Text)
	}
	if rs[2].Text == rs[1].Text || !strings.Contains(rs[2].Text, "99 ") {
		t.Fatalf("help page 2: %q", rs[2].Text)
	}
	if rs[3].Text != rs[1].Text {
		t.Fatalf("99 from page 2 = %q, want page 1", rs[3].Text)
	}
	if rs[4].Text != rs[0].Text {
		t.Fatalf("99 from page 1 = %q, want the menu", rs[4].Text)
	}
}

func TestExpiredSessionsEndKindlyAndUnfinishedUrgentIsMarkedDropped(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s", bdCaller, "1", "1")
	f.walk("done", bdCaller, "1", "1", "1", "1")
	f.clock.Add(flows.DefaultTTL + time.Second)
	if r := f.hop("s", bdCaller, "1*1*1"); !r.End || r.Text != locales.Text(onestop.Bengali, locales.SessionOver, "109") {
		t.Fatalf("hop after expiry: %+v", r)
	}
	n, err := f.engine.Sweep(context.Background())
	if err != nil || n != 2 {
		t.Fatalf("Sweep = %d, %v; want 2", n, err)
	}
	cs := f.contacts(ctx)
	if cs[0].Status != onestop.Open || cs[0].Plan == nil {
		t.Fatalf("finished contact changed by the sweep: %+v", cs[0])
	}
	if cs[1].Status != onestop.Dropped || cs[1].Urgency != onestop.Urgent || cs[1].Plan != nil {
		t.Fatalf("dropped contact: %+v", cs[1])
	}
	f.db.View(ctx, func(tx onestop.Tx) error {
		if n := session.Count(tx); n != 0 {
			t.Errorf("%d sessions left after the sweep", n)
		}
		return nil
	})
}

func TestBadTurnsAreRefused(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for _, tc := range []flows.Turn{
		{Provider: "africastalking", Caller: bdCaller},
		{Provider: "africastalking", SessionID: "s"},
		{Provider: "africastalking", SessionID: "s", Caller: "not a number"},
		{Provider: "africastalking", SessionID: strings.Repeat("x", 200), Caller: bdCaller},
		atText(flows.Turn{Provider: "africastalking", SessionID: "s", Caller: bdCaller}, strings.Repeat("1*", 600)),
		atText(flows.Turn{Provider: "africastalking", SessionID: "s", Caller: bdCaller}, strings.Repeat("*", 600)), // more hops than a session has
		atText(flows.Turn{Provider: "africastalking", SessionID: "s", Caller: bdCaller}, "\xff"),
		atText(flows.Turn{Provider: "africastalking", SessionID: "s", Caller: bdCaller}, "1*\x00"),
		{Provider: "twilio", SessionID: "s", Caller: bdCaller, Hop: 1, Input: strings.Repeat("1", 1100)},
		{Provider: "twilio", SessionID: "s", Caller: bdCaller, Hop: -1},
		{Provider: "twilio", SessionID: "s", Caller: bdCaller, Hop: 0, Input: "1"},                         // the first hop carries none
		{Provider: "twilio", SessionID: "s", Caller: bdCaller, Hop: 2, Input: "1", History: []string{"1"}}, // history it does not resend
		{Provider: "africastalking", SessionID: "s", Caller: bdCaller, Hop: 3, Input: "1", Resends: true, History: []string{"1"}},
	} {
		if _, err := f.engine.Step(context.Background(), tc); onestop.ErrorCode(err) != onestop.EINVALID {
			t.Errorf("%+v: err = %v, want EINVALID", tc, err)
		}
	}
	if f.snapshot(ctx) != "" {
		t.Fatal("a refused turn wrote something")
	}
}

func TestTheDatabaseFileHoldsNoNumberInAnyForm(t *testing.T) {
	f := newFixture(t)
	f.walk("a", bdCaller, "1", "1", "1", "1")
	f.walk("b", bdCaller, "3", "2", "01811000002", "2", "1")
	f.walk("c", inCaller, "5", "4", "1", "1", "4", "1")
	path := f.db.Path()
	f.db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"8801711000001", "01711000001", "1711000001", "017 11000001", "1711 000001",
		"8801811000002", "01811000002", "1811000002",
		"919876543210", "9876543210",
	} {
		if bytes.Contains(raw, []byte(s)) {
			t.Errorf("the database file holds %q", s)
		}
	}
}

func TestManyCallersAtOnceEachGetTheirOwnScreens(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const n = 40
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			caller := fmt.Sprintf("+88017110%05d", i)
			r := last(f.walk(fmt.Sprintf("c%d", i), caller, "1", "1", "1", "1", "2"))
			if !r.End {
				t.Errorf("caller %d did not finish: %q", i, r.Text)
			}
		}(i)
	}
	wg.Wait()
	cs := f.contacts(ctx)
	if len(cs) != n {
		t.Fatalf("%d contacts, want %d", len(cs), n)
	}
	seen := map[string]bool{}
	for _, c := range cs {
		if seen[c.Caller] || c.Plan == nil || c.Plan.Number != c.Caller {
			t.Fatalf("contacts crossed: %+v", c)
		}
		seen[c.Caller] = true
	}
}

func BenchmarkStep(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		id := fmt.Sprintf("b%d", i/4)
		text := [...]string{"", "4", "4*1", "4*1*98"}[i%4]
		if _, err := f.engine.Step(ctx, atText(flows.Turn{Provider: "africastalking", SessionID: id, Caller: bdCaller}, text)); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRecordedRunsInsideTheContactsWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	type call struct {
		before, after onestop.Contact
		hadBefore     bool
	}
	var calls []call
	fail := false
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	dir, _ := directory.Embedded()
	f.engine = newEngine(t, f.db, f.cases, box, dir, flows.Config{Recorded: func(tx onestop.Tx, before, after *onestop.Contact) error {
		if fail {
			return fmt.Errorf("refused")
		}
		c := call{after: *after, hadBefore: before != nil}
		if before != nil {
			c.before = *before
		}
		calls = append(calls, c)
		return tx.Bucket(store.Outbox).Put(store.U64(uint64(len(calls))), []byte(after.Ref))
	}})
	f.walk("s", bdCaller, "1", "1", "1", "1")
	if len(calls) != 2 || calls[0].hadBefore || calls[0].after.Urgency != onestop.Urgent ||
		!calls[1].hadBefore || calls[1].before.Plan != nil || calls[1].after.Plan == nil {
		t.Fatalf("Recorded calls: %+v", calls)
	}
	// A hook that fails fails the hop: nothing of it is recorded, and she is told nothing was.
	fail = true
	before := f.snapshot(ctx)
	r, err := shown(f.engine.Step(context.Background(), atText(flows.Turn{Provider: "africastalking", SessionID: "s2", Caller: bdCaller}, "")))
	if err != nil {
		t.Fatal(err) // the first screen records no contact, so no hook runs
	}
	r, err = shown(f.engine.Step(context.Background(), atText(flows.Turn{Provider: "africastalking", SessionID: "s2", Caller: bdCaller}, "1")))
	if err == nil || !r.End || r.Text != locales.Text(onestop.Bengali, locales.SessionOver, "109") {
		t.Fatalf("failing hook: %+v, %v", r, err)
	}
	if after := f.snapshot(ctx); strings.Count(after, "contacts ") != strings.Count(before, "contacts ") {
		t.Fatal("a contact was recorded although its hook failed")
	}
}

func TestEndedSessionsAreKeptOnlyForARetryOfTheirLastHop(t *testing.T) {
	f := newFixture(t)
	end := last(f.walk("done", bdCaller, "1", "1", "1", "1", "2"))
	f.walk("open", bdCaller, "4")
	f.clock.Add(30 * time.Second)
	if r := f.hop("done", bdCaller, "1*1*1*1*2"); r != end {
		t.Fatalf("retry of the last hop within the minute: %+v", r)
	}
	f.clock.Add(flows.EndedTTL)
	if n, err := f.engine.Sweep(context.Background()); err != nil || n != 1 {
		t.Fatalf("Sweep = %d, %v; want only the ended session", n, err)
	}
	if r := f.hop("open", bdCaller, "4*1"); r.End {
		t.Fatalf("an open session was swept with the ended one: %+v", r)
	}
}

// TestOnlyHopsThatRecordWaitForTheDisk holds the store's only writer and walks a session: the
// screens that record nothing (the first screen, the language menu, back) are answered at once
// and each hop sees the one before it; choosing urgent, which records her contact, is answered
// only once the writer has committed it, with everything before it.
func TestOnlyHopsThatRecordWaitForTheDisk(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	held, release := make(chan struct{}), make(chan struct{})
	go f.db.Update(context.Background(), func(onestop.Tx) error {
		close(held)
		<-release
		return nil
	})
	<-held

	answered := make(chan []reply)
	go func() {
		var rs []reply
		for _, text := range []string{"", "5", "5*99", "5*99"} {
			r, err := shown(f.engine.Step(context.Background(), atText(flows.Turn{Channel: onestop.USSD, Provider: "africastalking",
				SessionID: "s", Caller: bdCaller}, text)))
			if err != nil {
				t.Error(err)
			}
			rs = append(rs, r)
		}
		answered <- rs
	}()
	var rs []reply
	select {
	case rs = <-answered:
	case <-time.After(10 * time.Second):
		close(release)
		t.Fatal("hops that record nothing waited for the held writer")
	}
	first := rs[0]
	if lang := rs[1]; lang.End || lang.Text == first.Text {
		t.Fatalf("language menu while the writer is held: %+v", lang)
	}
	if back := rs[2]; back != first {
		t.Fatalf("back from the language menu: %+v, want the first screen", back)
	}
	if retry := rs[3]; retry != first {
		t.Fatalf("a retry of a hop not yet on disk: %+v", retry)
	}

	var released atomic.Bool
	urgent := make(chan reply)
	go func() { urgent <- f.hop("s", bdCaller, "5*99*1") }()
	select {
	case r := <-urgent:
		t.Fatalf("urgent was answered before it was on disk: %+v", r)
	case <-time.After(50 * time.Millisecond):
	}
	released.Store(true)
	close(release)
	if r := <-urgent; r.End || !released.Load() {
		t.Fatalf("urgent: %+v", r)
	}
	if cs := f.contacts(ctx); len(cs) != 1 || cs[0].Urgency != onestop.Urgent {
		t.Fatalf("contacts after urgent: %+v", cs)
	}
	// Urgent wrote her session as it stood: a new engine on the same store, as after a restart,
	// carries on from it.
	r, err := shown(f.restart(flows.Config{}).Step(context.Background(), turn("s", "5*99*1*1")))
	if err != nil || r.End || r.Text == first.Text {
		t.Fatalf("after a restart: %+v, %v", r, err)
	}
}

// TestLeavingAfterInformationWritesNothing: 0 after reading information changes nothing of her
// contact, so it writes nothing and waits for nothing; the goodbye is still given again to a
// retry, in this process and after a crash, and sweeping the session later leaves the contact be.
func TestLeavingAfterInformationWritesNothing(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s", bdCaller, "4", "1")
	before := f.snapshot(ctx)
	bye := f.hop("s", bdCaller, "4*1*0")
	if !bye.End {
		t.Fatalf("0 after information: %+v", bye)
	}
	if f.snapshot(ctx) != before {
		t.Fatal("leaving after information wrote to the store")
	}
	if r := f.hop("s", bdCaller, "4*1*0"); r != bye {
		t.Fatalf("a retry: %+v, want the goodbye", r)
	}
	if r, _ := shown(f.restart(flows.Config{}).Step(context.Background(), turn("s", "4*1*0"))); r != bye {
		t.Fatalf("a retry after a crash: %+v, want the goodbye", r)
	}
	f.clock.Add(flows.DefaultTTL + time.Second)
	if _, err := f.engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if f.snapshot(ctx) == before {
		t.Fatal("the expired session was not swept")
	}
	if cs := f.contacts(ctx); len(cs) != 1 || cs[0].Status != onestop.Done || !cs[0].Updated.Equal(start) {
		t.Fatalf("contacts: %+v, want the information contact as it was", cs)
	}
}

// restart returns a new engine on the fixture's store, as a process started after this one has
// it: nothing of the old engine's memory.
func (f *fixture) restart(cfg flows.Config) *flows.Engine {
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	dir, _ := directory.Embedded()
	return newEngine(f.t, f.db, f.cases, box, dir, cfg)
}

// atText sets t's input, hop and history from text as Africa's Talking sends it ("1*2*3": hop 3,
// input "3" after "1" and "2"), as its adapter does: every '*' separates two inputs.
func atText(t flows.Turn, text string) flows.Turn {
	t.Resends = true
	if text != "" {
		in := strings.Split(text, "*")
		t.Hop, t.History, t.Input = len(in), in[:len(in)-1], in[len(in)-1]
	}
	return t
}

func turn(session, text string) flows.Turn {
	return atText(flows.Turn{Channel: onestop.USSD, Provider: "africastalking", SessionID: session, Caller: bdCaller,
		ServiceCode: "*109#", Network: "47001"}, text)
}

// TestSessionsInMemoryCarryOnAfterARestart: sessions whose hops recorded nothing live in memory
// only. After a restart the aggregator's next hop still carries everything she typed, so she
// gets the screen she expects; and a graceful stop writes them to the store, so even a hint
// screen, which cannot be played again, carries on.
func TestSessionsInMemoryCarryOnAfterARestart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	want := f.walk("reference", bdCaller, "5", "99", "4")
	live := f.engine.Live()
	f.hop("s", bdCaller, "")
	f.hop("s", bdCaller, "5")
	if n := f.engine.Live(); n != live+1 {
		t.Fatalf("%d sessions in memory, want hers too (%d before)", n, live)
	}
	after := f.restart(flows.Config{})
	if r, _ := shown(after.Step(context.Background(), turn("s", "5*99"))); r != want[2] {
		t.Fatalf("after a restart: %+v, want the first screen", r)
	}
	if r, _ := shown(after.Step(context.Background(), turn("s", "5*99*4"))); r != want[3] {
		t.Fatalf("then: %+v, want the information menu", r)
	}

	// A hint screen lives in memory too; played again it would be refused, so only Flush,
	// which a graceful stop calls, carries it on.
	before := f.restart(flows.Config{})
	before.Step(context.Background(), turn("h", ""))
	before.Step(context.Background(), turn("h", "7"))
	if r, _ := shown(f.restart(flows.Config{}).Step(context.Background(), turn("h", "7*4"))); !r.End {
		t.Fatalf("after a crash: %+v, want the kind ending", r)
	}
	if n, err := before.Flush(context.Background()); err != nil || n != 1 || before.Live() != 0 {
		t.Fatalf("Flush = %d, %v; %d left in memory", n, err, before.Live())
	}
	if r, _ := shown(f.restart(flows.Config{}).Step(context.Background(), turn("h", "7*4"))); r != want[3] {
		t.Fatalf("after a graceful stop: %+v, want the information menu", r)
	}
	// A session the store never saw, whose first key would have recorded: never played again.
	if r, _ := shown(f.restart(flows.Config{}).Step(context.Background(), turn("n", "1*1"))); !r.End {
		t.Fatalf("unknown session with a recording key: %+v", r)
	}
	if n := len(f.contacts(ctx)); n != 3 {
		t.Fatalf("%d contacts, want the three information choices", n)
	}
}

// TestMemoryIsBoundedAndThenHopsWriteThrough: with no room in memory, a hop that records nothing
// writes her session to the store like any other, and the conversation goes on the same.
func TestMemoryIsBoundedAndThenHopsWriteThrough(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	want := f.walk("reference", bdCaller, "5", "99", "4")
	full := f.restart(flows.Config{MaxLive: 1})
	var got []reply
	for i, text := range []string{"", "5", "5*99", "5*99*4"} {
		for _, id := range []string{"a", "b"} {
			r, err := shown(full.Step(context.Background(), turn(id, text)))
			if err != nil {
				t.Fatal(err)
			}
			if id == "b" {
				got = append(got, r)
			}
		}
		if full.Live() > 1 {
			t.Fatalf("hop %d: %d sessions in memory, past MaxLive", i, full.Live())
		}
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("hop %d with memory full: %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := sessionCount(ctx, f); n < 2 {
		t.Fatalf("%d sessions in the store, want the one that found memory full too", n)
	}
}

// TestKeysOfHopsLostInACrashArePlayedAgain: a hop that records nothing is answered before its
// state is on disk, so a crash can lose it while her session goes on at the aggregator, which
// sends everything she typed. Her next hop plays the lost keys again and she sees the screen she
// expects; a key that would have recorded something is never played again, since its hop would
// have been on disk.
func TestKeysOfHopsLostInACrashArePlayedAgain(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	want := f.walk("reference", bdCaller, "1", "1", "1", "1")
	f.walk("s", bdCaller, "1")           // urgent, on disk; her next hop, "1*1", is lost
	f.engine = f.restart(flows.Config{}) // in the crash, with the memory that held it
	if r := f.hop("s", bdCaller, "1*1*1"); r != want[3] {
		t.Fatalf("after a lost hop: %+v, want %+v", r, want[3])
	}
	f.hop("s", bdCaller, "1*1*1*1")
	end := f.hop("s", bdCaller, "1*1*1*1*2")
	cs := f.contacts(ctx)
	if len(cs) != 2 || cs[0].Plan == nil || cs[0].Urgency != onestop.Urgent || !end.End || !strings.Contains(end.Text, cs[0].Ref) {
		t.Fatalf("plan after a lost hop: %+v, contacts %+v", end, cs)
	}

	hint := locales.Text(onestop.Bengali, locales.Invalid)
	f.hop("n", bdCaller, "")
	if r := f.hop("n", bdCaller, "1*1"); r.End || !strings.HasPrefix(r.Text, hint) {
		t.Fatalf("keys whose first would have recorded: %+v, want the hint", r)
	}
	f.hop("m", bdCaller, "")
	if r := f.hop("m", bdCaller, "7*5"); r.End || !strings.HasPrefix(r.Text, hint) {
		t.Fatalf("keys whose first is invalid: %+v, want the hint", r)
	}
	if n := len(f.contacts(ctx)); n != 2 {
		t.Fatalf("%d contacts, want 2: a key played again recorded something", n)
	}
}

// TestFlushWritesInSteps: a graceful stop with many sessions in memory writes them in steps of
// at most 512, as the sweep deletes: pages one write frees are reused only by a later write, and
// 30,000 sessions written at once grew a load test's file from 145 to 200 MiB.
func TestFlushWritesInSteps(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const n = 1500
	for i := range n {
		f.hop(fmt.Sprintf("s%d", i), bdCaller, "")
	}
	before := f.db.Stats()
	if got, err := f.engine.Flush(context.Background()); err != nil || got != n {
		t.Fatalf("Flush = %d, %v; want %d", got, err, n)
	}
	if writes := f.db.Stats().Writes - before.Writes; writes < 3 {
		t.Errorf("%d sessions written in %d writes, want steps of at most 512", n, writes)
	}
	if stored, kept := sessionCount(ctx, f), f.engine.Live(); stored != n || kept != 0 {
		t.Fatalf("%d sessions in the store and %d in memory after Flush", stored, kept)
	}
}

// TestFlushWaitsForHopsInProgressAndThenRefusesHops: a graceful stop must not write a session's
// older state from memory over a hop that is recording at that moment, and no hop may start after
// it.
func TestFlushWaitsForHopsInProgressAndThenRefusesHops(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	entered, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e := f.restart(flows.Config{Recorded: func(onestop.Tx, *onestop.Contact, *onestop.Contact) error {
		once.Do(func() { close(entered) })
		<-release
		return nil
	}})
	if _, err := e.Step(context.Background(), turn("s", "")); err != nil { // kept in memory
		t.Fatal(err)
	}
	urgent := make(chan reply)
	go func() {
		r, _ := shown(e.Step(context.Background(), turn("s", "1")))
		urgent <- r
	}()
	<-entered // the urgent hop is inside its write
	flushed := make(chan error)
	go func() {
		_, err := e.Flush(context.Background())
		flushed <- err
	}()
	close(release)
	if r := <-urgent; r.End {
		t.Fatalf("urgent: %+v", r)
	}
	if err := <-flushed; err != nil {
		t.Fatal(err)
	}
	if r, err := shown(e.Step(context.Background(), turn("t", ""))); err == nil || !r.End {
		t.Fatalf("a hop after Flush: %+v, %v; want the kind ending and an error", r, err)
	}
	// The store holds her session as the urgent hop left it: after a restart she goes on.
	want := f.walk("reference", bdCaller, "1", "1")
	if r, _ := shown(f.restart(flows.Config{}).Step(context.Background(), turn("s", "1*1"))); r != want[2] {
		t.Fatalf("after the restart: %+v, want %+v", r, want[2])
	}
	if n := len(f.contacts(ctx)); n != 2 {
		t.Fatalf("%d contacts, want hers and the reference's", n)
	}
}

// TestUnknownSessionsArePlayedAgainOnlySoonAfterARestart: past one TTL after the engine started,
// no session can have been lost from a process before it, so an unknown session's keys end
// kindly and record nothing, as an expired and swept session's do.
func TestUnknownSessionsArePlayedAgainOnlySoonAfterARestart(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	e := f.restart(flows.Config{})
	if r, _ := shown(e.Step(context.Background(), turn("soon", "5"))); r.End {
		t.Fatalf("soon after the start: %+v, want the language menu", r)
	}
	f.clock.Add(flows.DefaultTTL + time.Second)
	before := f.snapshot(ctx)
	for _, text := range []string{"5", "4", "1"} {
		if r, _ := shown(e.Step(context.Background(), turn("late", text))); !r.End {
			t.Fatalf("unknown session %q past the window: %+v", text, r)
		}
	}
	if f.snapshot(ctx) != before {
		t.Fatal("an unknown session past the window changed the store")
	}
}

// TestAGoingSessionIsKeptAfterItsWrite: after a hop that records something and goes on, her next
// hop finds the session in memory, as written (with its contact); an ended one is not kept.
func TestAGoingSessionIsKeptAfterItsWrite(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("s", bdCaller, "1") // urgent: recorded, and the plan's first question
	if n, stored := f.engine.Live(), sessionCount(ctx, f); n != 1 || stored != 1 {
		t.Fatalf("after urgent: %d in memory, %d stored; want it in both", n, stored)
	}
	f.hop("s", bdCaller, "1*1")
	f.hop("s", bdCaller, "1*1*1")
	f.hop("s", bdCaller, "1*1*1*1")
	end := f.hop("s", bdCaller, "1*1*1*1*2")
	cs := f.contacts(ctx)
	if !end.End || len(cs) != 1 || cs[0].Plan == nil || !strings.Contains(end.Text, cs[0].Ref) {
		t.Fatalf("plan confirmed from memory: %+v, contacts %+v", end, cs)
	}
	if n := f.engine.Live(); n != 0 {
		t.Fatalf("%d sessions in memory after she ended hers", n)
	}
	none := f.restart(flows.Config{MaxLive: -1})
	if _, err := none.Step(context.Background(), turn("t", "")); err != nil {
		t.Fatal(err)
	}
	if _, err := none.Step(context.Background(), turn("t", "1")); err != nil || none.Live() != 0 {
		t.Fatalf("with no memory allowed: %v, %d kept", err, none.Live())
	}
}
