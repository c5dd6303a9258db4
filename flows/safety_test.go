package flows_test

import (
	"bytes"
	"context"
	"os"
	"strings"
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

// dial walks a session on the service code given, one hop per input, and returns every reply.
func (f *fixture) dial(code, id, caller string, inputs ...string) []reply {
	f.t.Helper()
	step := func(text string) reply {
		r, err := shown(f.engine.Step(context.Background(), atText(flows.Turn{
			Channel: onestop.USSD, Provider: "africastalking", SessionID: id, Caller: caller,
			ServiceCode: code}, text)))
		if err != nil {
			f.t.Fatalf("hop %q: %v", text, err)
		}
		return r
	}
	replies := []reply{step("")}
	for i := range inputs {
		replies = append(replies, step(strings.Join(inputs[:i+1], "*")))
	}
	return replies
}

var serviceCodes = map[string]string{"*109#": "BD", "*181#": "IN", "*121#": "PS"}

// TestTheServiceDialledDecidesHerCountry: a caller with a foreign SIM gets the helplines,
// emergency number, language and time zone of the service she dialled; her number's country
// decides only for a code not configured, and only when it is a country served.
func TestTheServiceDialledDecidesHerCountry(t *testing.T) {
	ctx := context.Background()
	const ilCaller = "+972501234567"
	for _, tc := range []struct {
		name, code, caller, country, zone, help, sos string
		lang                                         onestop.Lang
	}{
		{"Israeli SIM on Palestine's service", "*121#", ilCaller, "PS", "Asia/Hebron", "121", "100", onestop.Arabic},
		{"Indian SIM on Bangladesh's service", "*109#", inCaller, "BD", "Asia/Dhaka", "109", "999", onestop.Bengali},
		{"Bangladeshi SIM on India's service", "*181#", bdCaller, "IN", "Asia/Kolkata", "181", "112", onestop.Hindi},
		{"unmapped code, number of a served country", "*999#", inCaller, "IN", "Asia/Kolkata", "181", "112", onestop.Hindi},
		{"unmapped code, foreign number", "*999#", ilCaller, "BD", "Asia/Dhaka", "109", "999", onestop.English},
	} {
		f := newFixtureWith(t, flows.Config{ServiceCodes: serviceCodes})
		// Talk now, this number, now, understood; then skip the district.
		end := last(f.dial(tc.code, "s", tc.caller, "1", "1", "1", "1", "2"))
		c := f.contacts(ctx)[0]
		want := locales.Text(tc.lang, locales.DoneNowNobody, c.Ref, tc.help, tc.sos)
		if !end.End || end.Text != want {
			t.Errorf("%s: closing screen %q, want %q", tc.name, end.Text, want)
		}
		if c.Country != tc.country || c.Plan == nil || c.Plan.TZ != tc.zone {
			t.Errorf("%s: contact in %s, plan %+v; want %s, %s", tc.name, c.Country, c.Plan, tc.country, tc.zone)
		}
		// An evening window is her evening in the service's zone.
		last(f.dial(tc.code, "later", tc.caller, "3", "1", "4", "1"))
		c = f.contacts(ctx)[0]
		loc, _ := time.LoadLocation(tc.zone)
		if h := c.Plan.Opens.In(loc).Hour(); h != 17 {
			t.Errorf("%s: evening opens at %d:00 in %s", tc.name, h, tc.zone)
		}
	}
	db, err := bolt.Open(t.TempDir()+"/x.db", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	dir, _ := directory.Embedded()
	if _, err := flows.New(ctx, db, casebook.New(db, box), box, dir, flows.Config{ServiceCodes: map[string]string{"*1#": "XX"}, Pager: ussd.Pager{}.Pages}); onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("a service code of a country with no helpline: %v", err)
	}
}

// TestAWindowClosingSoonIsTomorrowsAndSaysSo: a window that would close within half an hour of
// being chosen is the next day's, and the closing screen says tomorrow, in every language.
func TestAWindowClosingSoonIsTomorrowsAndSaysSo(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		caller string
		lang   onestop.Lang
		zone   string
	}{
		{bdCaller, onestop.Bengali, "Asia/Dhaka"}, {inCaller, onestop.Hindi, "Asia/Kolkata"},
		{psCaller, onestop.Arabic, "Asia/Hebron"}, {usCaller, onestop.English, "Asia/Dhaka"},
	} {
		loc, _ := time.LoadLocation(tc.zone)
		for _, at := range []struct {
			h, m     int
			tomorrow bool
		}{{11, 45, true}, {11, 25, false}, {6, 0, false}, {12, 10, true}} {
			f := newFixture(t)
			f.clock.t = time.Date(2026, 11, 23, at.h, at.m, 0, 0, loc).UTC()
			end := last(f.walk("s", tc.caller, "3", "1", "2", "1")) // a call back, this number, morning
			c := f.contacts(ctx)[0]
			day := time.Date(2026, 11, 23, 8, 0, 0, 0, loc)
			key := locales.LaterMorning
			if at.tomorrow {
				day, key = day.AddDate(0, 0, 1), locales.TomorrowMorning
			}
			if opens := c.Plan.Opens.In(loc); opens.YearDay() != day.YearDay() {
				t.Errorf("%s at %02d:%02d: morning opens %s", tc.lang, at.h, at.m, opens)
			}
			want := locales.Text(tc.lang, locales.DoneLater, c.Ref, locales.Text(tc.lang, key), f.emergencyOf(c.Country))
			if !end.End || end.Text != want {
				t.Errorf("%s at %02d:%02d: %q, want %q", tc.lang, at.h, at.m, end.Text, want)
			}
		}
	}
}

func (f *fixture) emergencyOf(country string) string {
	return map[string]string{"BD": "999", "IN": "112", "PS": "100"}[country]
}

// TestThirtyMinutesIsPromisedOnlyWithSomeoneOnDuty: the half-hour promise needs someone on duty;
// with nobody (or no rota at all) the closing screen gives the helpline to call instead.
func TestThirtyMinutesIsPromisedOnlyWithSomeoneOnDuty(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		onDuty func(context.Context, time.Time) bool
		want   locales.Key
	}{
		{"on duty", onDuty, locales.DoneNow},
		{"nobody on duty", func(context.Context, time.Time) bool { return false }, locales.DoneNowNobody},
		{"no rota", nil, locales.DoneNowNobody},
	} {
		f := newFixtureWith(t, flows.Config{OnDuty: tc.onDuty})
		end := last(f.walk("s", bdCaller, "1", "1", "1", "1", "2"))
		c := f.contacts(ctx)[0]
		want := locales.Text(onestop.Bengali, tc.want, c.Ref, "109", "999")
		if tc.want == locales.DoneNow {
			want = locales.Text(onestop.Bengali, tc.want, c.Ref, "999")
		}
		if end.Text != want {
			t.Errorf("%s: %q, want %q", tc.name, end.Text, want)
		}
		// (Her reference, drawn at random, may have a 30 in it.)
		if strings.Contains(strings.Replace(end.Text, c.Ref, "", 1), "30") != (tc.want == locales.DoneNow) {
			t.Errorf("%s: the half-hour promise is %v in %q", tc.name, tc.want == locales.DoneNow, end.Text)
		}
	}
}

// TestDoNotCallMarksHerNumberForEveryLaterContact: "do not call" marks her number for the stated
// period; while it is marked, no plan offers or records her number for a callback.
func TestDoNotCallMarksHerNumberForEveryLaterContact(t *testing.T) {
	ctx := context.Background()
	f := newFixtureWith(t, flows.Config{DoNotContactDays: 30})
	f.walk("first", bdCaller, "3", "3")
	marked := func(n string, at time.Time) (got bool) {
		t.Helper()
		f.db.View(ctx, func(tx onestop.Tx) error {
			var err error
			if got, err = f.cases.DoNotContact(tx, n, at); err != nil {
				t.Fatal(err)
			}
			return nil
		})
		return got
	}
	if !marked(bdCaller, start.AddDate(0, 0, 29)) || marked(bdCaller, start.AddDate(0, 0, 31)) {
		t.Fatal("her number is not marked for the 30 days configured")
	}
	if marked("+8801811000002", start) {
		t.Fatal("another number is marked")
	}
	// A new conversation from her number, the next day.
	f.clock.Add(24 * time.Hour)
	rs := f.walk("next", bdCaller, "1")
	lang := onestop.Bengali
	if !strings.Contains(rs[1].Text, locales.Text(lang, locales.AskMayCallOther)) || hasOption(rs[1].Text, locales.Text(lang, locales.CallThis)) {
		t.Fatalf("may-call screen for a marked number:\n%+v", rs)
	}
	if r := f.hop("next", bdCaller, "1*3"); r.End || !strings.HasPrefix(r.Text, locales.Text(lang, locales.Invalid)) {
		t.Fatalf("a third option on the marked screen: %+v", r)
	}
	// Her own number typed as "another" is refused too.
	f.hop("next", bdCaller, "1*3*1")
	if r := f.hop("next", bdCaller, "1*3*1*01711000001"); !strings.HasPrefix(r.Text, locales.Text(lang, locales.BadNumber)) {
		t.Fatalf("her own marked number typed as another: %+v", r)
	}
	end := last(f.walk("other", bdCaller, "1", "1", "01811000002", "1", "1", "2"))
	c := f.contacts(ctx)[0]
	if !end.End || c.Plan == nil || c.Plan.Number != "+8801811000002" || !c.Plan.OtherNumber || c.Caller != "" {
		t.Fatalf("plan from a marked number: %+v, %q", c.Plan, c.Caller)
	}
	// Once the period is over, her number is offered again.
	f.clock.Add(31 * 24 * time.Hour)
	if rs := f.walk("after", bdCaller, "1"); !hasOption(rs[1].Text, locales.Text(lang, locales.CallThis)) {
		t.Fatalf("her number after the period:\n%s", rs[1].Text)
	}
	// The default period is DefaultDoNotContactDays.
	g := newFixture(t)
	g.walk("s", bdCaller, "1", "3")
	if !marked2(t, g, start.AddDate(0, 0, flows.DefaultDoNotContactDays-1)) || marked2(t, g, start.AddDate(0, 0, flows.DefaultDoNotContactDays)) {
		t.Fatal("default period")
	}
}

// hasOption reports whether a menu screen offers label as one of its numbered options.
func hasOption(screen, label string) bool {
	for _, l := range strings.Split(screen, "\n") {
		if k, rest, ok := strings.Cut(l, " "); ok && rest == label && k != "" && strings.Trim(k, "0123456789") == "" {
			return true
		}
	}
	return false
}

func marked2(t *testing.T, f *fixture, at time.Time) (got bool) {
	ctx := context.Background()
	t.Helper()
	f.db.View(ctx, func(tx onestop.Tx) error {
		got, _ = f.cases.DoNotContact(tx, bdCaller, at)
		return nil
	})
	return got
}

// TestHerDistrictIsAskedOnceAfterAnUrgentPlan: after she confirms a "talk now" plan she is asked
// for her district once: typed in any script or picked, it is on her contact; skipped, 0 or
// dropped, what was recorded stays as it was.
func TestHerDistrictIsAskedOnceAfterAnUrgentPlan(t *testing.T) {
	ctx := context.Background()
	plan := []string{"1", "1", "1", "1"}
	where := func(f *fixture) string { return locales.Text(onestop.Bengali, locales.AskDistrict) }
	for name, tc := range map[string]struct {
		inputs []string
		area   string
		ends   bool
	}{
		"typed in English":  {[]string{"Thakurgaon"}, "BD-64", true},
		"typed in Bengali":  {[]string{"ঠাকুরগাঁও"}, "BD-64", true},
		"skipped":           {[]string{"2"}, "", true},
		"zero":              {[]string{"0"}, "", true},
		"dropped":           {nil, "", false},
		"list, then zero":   {[]string{"1", "0"}, "", true},
		"three wrong keys":  {[]string{"7", "8", "9"}, "", true},
		"back is no way in": {[]string{"99", "99", "2"}, "", true},
	} {
		f := newFixture(t)
		rs := f.walk("s", bdCaller, plan...)
		if r := last(rs); r.End || !strings.Contains(r.Text, where(f)) {
			t.Fatalf("%s: after the plan: %+v", name, r)
		}
		before := f.contacts(ctx)[0]
		rs = f.walk("s", bdCaller, append(plan, tc.inputs...)...)
		end := last(rs)
		if end.End != tc.ends {
			t.Fatalf("%s: ended %v: %+v", name, end.End, end)
		}
		if !tc.ends {
			f.clock.Add(flows.DefaultTTL + time.Second)
			if _, err := f.engine.Sweep(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		after := f.contacts(ctx)
		if len(after) != 1 {
			t.Fatalf("%s: %d contacts", name, len(after))
		}
		c := after[0]
		if c.Area != tc.area {
			t.Errorf("%s: area %q, want %q", name, c.Area, tc.area)
		}
		if tc.area == "" && (c.Status != before.Status || c.Plan == nil || !c.Updated.Equal(before.Updated)) {
			t.Errorf("%s: the contact changed: %+v, was %+v", name, c, before)
		}
		if tc.area != "" && !strings.Contains(end.Text, c.Ref) {
			t.Errorf("%s: the closing screen does not give her reference: %q", name, end.Text)
		}
	}

	// Picked from the lists: Rangpur division, then Thakurgaon.
	f := newFixture(t)
	dir, _ := directory.Embedded()
	div := key(t, dir.Top("BD"), "BD-F")
	dist := key(t, dir.Children("BD-F"), "BD-64")
	end := last(f.walk("p", bdCaller, append(plan, "1", div, dist)...))
	if c := f.contacts(ctx)[0]; !end.End || c.Area != "BD-64" || !strings.Contains(end.Text, c.Ref) {
		t.Fatalf("picked: %+v, area %q", end, c.Area)
	}

	// Not asked on the call-back path, nor again when she chose her district already.
	for name, inputs := range map[string][]string{
		"call back later":       {"3", "1", "1", "1"},
		"district chosen first": {"2", "Barisal", "99", "99", "1", "1", "1", "1"},
	} {
		f := newFixture(t)
		if end := last(f.walk("s", bdCaller, inputs...)); !end.End {
			t.Errorf("%s: asked for her district: %+v", name, end)
		}
	}
}

// TestASessionInWhichSheChoseNothingIsOnlyCounted: leaving at the first screen, three wrong
// keys there, or a language chosen and nothing else, leave no contact; every contact recorded has
// an urgency.
func TestASessionInWhichSheChoseNothingIsOnlyCounted(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("a", bdCaller, "0")
	f.walk("b", bdCaller, "7", "8", "9")
	f.walk("c", bdCaller, "5", "1", "0")
	if cs := f.contacts(ctx); len(cs) != 0 {
		t.Fatalf("contacts of sessions in which she chose nothing: %+v", cs[0])
	}
	if n := f.engine.Unrecorded(); n != 3 {
		t.Fatalf("Unrecorded = %d, want 3", n)
	}
	for _, inputs := range [][]string{
		{"1", "0"}, {"1", "7", "7", "7"}, {"2", "0"}, {"3", "3"}, {"4", "1", "0"}, {"2", "Barisal"},
		{"1", "1", "1", "1", "Barisal"}, {"4", "99", "1", "0"},
	} {
		f.walk(strings.Join(inputs, "-"), bdCaller, inputs...)
	}
	cs := f.contacts(ctx)
	if len(cs) != 8 {
		t.Fatalf("%d contacts, want 8", len(cs))
	}
	for _, c := range cs {
		if c.Urgency == "" {
			t.Errorf("contact with no urgency: %+v", c)
		}
	}
	if n := f.engine.Unrecorded(); n != 3 {
		t.Fatalf("Unrecorded = %d after sessions that recorded something", n)
	}
	// Left at the first screen, or on the language menu: counted when they expire, once.
	f.walk("left", bdCaller)
	f.walk("left-language", bdCaller, "5")
	f.walk("left-after-choosing-a-language", usCaller, "5", "1") // her language is written, with the session
	f.walk("left-after-urgent", bdCaller, "1")
	f.clock.Add(flows.DefaultTTL + time.Second)
	if _, err := f.engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := f.engine.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := f.engine.Unrecorded(); n != 6 {
		t.Fatalf("Unrecorded = %d after three sessions left before choosing, want 6", n)
	}
	if n := len(f.contacts(ctx)); n != 9 {
		t.Fatalf("%d contacts, want 9", n)
	}
}

// TestPlacesRememberedBeforeAreForgotten: areas and picks an earlier version kept under a
// caller's number are deleted when the engine starts and never reach a new contact; her
// language is still remembered.
func TestPlacesRememberedBeforeAreForgotten(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.walk("lang", bdCaller, "5", "4") // English, remembered
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	h := box.Hash(bdCaller)
	if err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Prefs)
		if err := b.Put(append(append([]byte{}, h...), "/area"...), []byte("BD-06")); err != nil {
			return err
		}
		return b.Put(append(append([]byte{}, h...), "/picks"...), []byte(`{"s":"x","c":["BD-06"]}`))
	}); err != nil {
		t.Fatal(err)
	}
	f.engine = f.restart(flows.Config{})
	if got := f.remembered(ctx, bdCaller); got != "" {
		t.Fatalf("still kept under her number: %q", got)
	}
	rs := f.walk("now", bdCaller, "1")
	if c := f.contacts(ctx)[0]; c.Area != "" || c.Lang != onestop.English {
		t.Fatalf("new contact: area %q, language %s", c.Area, c.Lang)
	}
	if !strings.Contains(rs[0].Text, locales.Text(onestop.English, locales.MenuTalk)) {
		t.Fatalf("her language was forgotten: %q", rs[0].Text)
	}
}

// TestTheAggregatorsSessionIDIsKeptOnlyAsAKeyedHash: neither the contact nor the sessions
// bucket holds the provider's session id; a session stored under it by an earlier version is
// moved under its hash and carries on.
func TestTheAggregatorsSessionIDIsKeptOnlyAsAKeyedHash(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	const id = "ATUid_7d3f9c1e5b2a"
	f.walk(id, bdCaller, "1", "1")
	c := f.contacts(ctx)[0]
	if c.SessionID == "" || strings.Contains(c.SessionID, id) || c.SessionID != f.cases.SessionHash(id) {
		t.Fatalf("contact's session id %q", c.SessionID)
	}
	f.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(k, v []byte) error {
			if bytes.Contains(k, []byte(id)) || bytes.Contains(v, []byte(id)) {
				t.Errorf("session id in the sessions bucket: %q", k)
			}
			return nil
		})
	})

	// A session an earlier version stored under the raw id.
	box, _ := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	now := f.clock.Now()
	old := &session.Session{Key: "africastalking:old-session", CallerHash: box.Hash(inCaller), Country: "IN",
		Lang: onestop.Hindi, Provider: "africastalking", State: "menu", TypedHash: box.Hash(""),
		Reply: "x", Created: now, Updated: now, Expires: now.Add(time.Minute)}
	if err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		ix, err := session.LoadIndex(tx)
		if err != nil {
			return err
		}
		return ix.Put(tx, old)
	}); err != nil {
		t.Fatal(err)
	}
	f.engine = f.restart(flows.Config{})
	f.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Sessions).ForEach(func(k, _ []byte) error {
			if bytes.Contains(k, []byte("old-session")) {
				t.Errorf("raw session id still a key: %q", k)
			}
			return nil
		})
	})
	if r := f.hop("old-session", inCaller, "1"); r.End || !strings.Contains(r.Text, locales.Text(onestop.Hindi, locales.AskMayCall)) {
		t.Fatalf("the earlier session did not carry on: %+v", r)
	}

	path := f.db.Path()
	f.db.Close()
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte(id)) {
		t.Fatal("the aggregator's session id is in the file")
	}
}

// A contact is recorded on the channel its turn came by, not always as USSD.
func TestAContactIsRecordedOnItsTurnsChannel(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	for i, text := range []string{"", "1", "1"} { // safe to talk, then talk now
		if _, err := f.engine.Step(context.Background(), flows.Turn{Channel: onestop.Voice, Provider: "twilio", SessionID: "CA0123456789",
			Caller: bdCaller, ServiceCode: "109", Network: "47001", Hop: i, Input: text}); err != nil {
			t.Fatalf("hop %d: %v", i, err)
		}
	}
	f.walk("ATUid_channel", inCaller, "1")
	got := map[onestop.Channel]int{}
	for _, c := range f.contacts(ctx) {
		got[c.Channel]++
	}
	if got[onestop.Voice] != 1 || got[onestop.USSD] != 1 {
		t.Fatalf("contacts by channel %v, want one voice and one ussd", got)
	}
}
