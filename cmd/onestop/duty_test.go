package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.etcd.io/bbolt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/store"
)

var errRollBack = errors.New("roll back")

// mustAcceptRoles fails the test unless the outbox, as m builds it, takes a message addressed to
// a role: alerts depend on it.
func mustAcceptRoles(t *testing.T, m *Main) {
	t.Helper()
	ob := m.outbox(m.smsConfig)
	var qerr error
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, qerr = ob.Enqueue(tx, &outbox.Message{Key: "probe", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
			Role: roleDuty, Template: tmplAlert, Args: []string{"1234567", "BD"}})
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	if qerr != nil {
		t.Fatalf("the outbox refuses a message to the role on duty: %v", qerr)
	}
}

// clearRota takes everyone off the rota, as 'duty clear' does.
func clearRota(t *testing.T, m *Main) {
	t.Helper()
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		b := tx.Bucket(store.Duty)
		if err := b.Delete(dutyKey); err != nil {
			return err
		}
		return clearPrefix(b, rotaPrefix)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func mustShift(t *testing.T, s string) shift {
	t.Helper()
	sh, err := parseShift(s)
	if err != nil {
		t.Fatal(err)
	}
	return sh
}

func TestParseShift(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"mon-fri/08:00-16:00", "mon,tue,wed,thu,fri/08:00-16:00"},
		{"sat,sun/20:00-08:00", "sun,sat/20:00-08:00"},
		{"fri-mon/22:30-06:15", "sun,mon,fri,sat/22:30-06:15"},
		{"daily/00:00-24:00", "daily/00:00-24:00"},
		{"Wed/9:05-17:00", "wed/09:05-17:00"},
	} {
		if got := mustShift(t, tt.in).String(); got != tt.want {
			t.Errorf("%s reads as %s, want %s", tt.in, got, tt.want)
		}
	}
	for _, bad := range []string{"", "mon", "mon/08:00", "moon/08:00-09:00", "mon/08:00-08:00", "mon/25:00-26:00",
		"mon/08:60-09:00", "mon/24:00-08:00", "mon/8-9", "mon-/08:00-09:00"} {
		if sh, err := parseShift(bad); err == nil {
			t.Errorf("%q read as %s", bad, sh)
		}
	}
}

// TestOnDuty: who is on duty, each in her own zone, across midnight and the week's end.
func TestOnDuty(t *testing.T) {
	day := &rotaEntry{Masked: "day", TZ: "Asia/Dhaka", Shifts: []shift{mustShift(t, "mon-fri/08:00-16:00")}}
	night := &rotaEntry{Masked: "night", TZ: "Asia/Dhaka", Shifts: []shift{mustShift(t, "fri,sat/20:00-08:00")}}
	delhi := &rotaEntry{Masked: "delhi", TZ: "Asia/Kolkata", Shifts: []shift{mustShift(t, "daily/09:00-21:00")}}
	hebron := &rotaEntry{Masked: "hebron", TZ: "Asia/Hebron", Shifts: []shift{mustShift(t, "sun-thu/08:00-15:00")}}
	always := &rotaEntry{Masked: "always"}
	lost := &rotaEntry{Masked: "lost", TZ: "Mars/Olympus", Shifts: []shift{mustShift(t, "daily/00:00-24:00")}}
	rota := []*rotaEntry{day, night, delhi, hebron, lost}
	utc := func(s string) time.Time {
		at, err := time.Parse("2006-01-02 15:04", s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	// 2026-11-27 is a Friday. Dhaka is UTC+6, Kolkata +5:30, Hebron +2 in November.
	for _, tt := range []struct {
		at   string
		want string
	}{
		{"2026-11-27 02:00", "day"},              // Fri 08:00 Dhaka: the day shift begins
		{"2026-11-27 01:59", ""},                 // Fri 07:59 Dhaka, 07:29 Delhi, 03:59 Hebron
		{"2026-11-27 03:30", "day,delhi"},        // Fri 09:30 Dhaka, 09:00 Delhi
		{"2026-11-27 06:00", "day,delhi"},        // Friday in Hebron: no shift there
		{"2026-11-27 10:00", "delhi"},            // Fri 16:00 Dhaka: the day shift has ended
		{"2026-11-27 14:00", "night,delhi"},      // Fri 20:00 Dhaka, 19:30 Delhi
		{"2026-11-27 18:00", "night"},            // Sat 00:00 Dhaka: past midnight, Friday's night
		{"2026-11-28 01:59", "night"},            // Sat 07:59 Dhaka, still Friday's night
		{"2026-11-28 02:00", ""},                 // Sat 08:00 Dhaka: Friday's night is over
		{"2026-11-29 01:00", "night"},            // Sun 07:00 Dhaka: Saturday's night
		{"2026-11-29 02:00", ""},                 // Sun 08:00 Dhaka: no day shift on Sunday; 04:00 Hebron
		{"2026-11-29 06:00", "hebron,delhi"},     // Sun 08:00 Hebron, 11:30 Delhi
		{"2026-11-29 20:00", ""},                 // Mon 02:00 Dhaka: Sunday has no night shift
		{"2026-11-30 06:00", "day,delhi,hebron"}, // Monday
	} {
		var got []string
		for _, e := range onDuty(rota, utc(tt.at)) {
			got = append(got, e.Masked)
		}
		gotS, wantS := strings.Join(got, ","), tt.want
		if !sameSet(gotS, wantS) {
			t.Errorf("%s UTC: on duty %q, want %q", tt.at, gotS, wantS)
		}
	}
	if got := onDuty([]*rotaEntry{always}, utc("2026-11-29 20:00")); len(got) != 1 {
		t.Error("a counsellor set with no shift is not always on duty")
	}
}

func sameSet(a, b string) bool {
	as, bs := strings.Split(a, ","), strings.Split(b, ",")
	if len(as) != len(bs) {
		return false
	}
	for _, x := range as {
		found := false
		for _, y := range bs {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}

// withClosed runs commands on m's data directory with its store closed, as an operator would
// between runs, and opens it again.
func withClosed(t *testing.T, m *Main, cmds ...[]string) {
	t.Helper()
	m.DB.Close()
	for _, c := range cmds {
		smsMustCmd(t, append(c, "--data", m.Config.Data)...)
	}
	var err error
	if m.DB, m.Box, err = openStore(m.Config, time.Second); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.DB.Close() })
	m.Cases = casebook.New(m.DB, m.Box)
}

func resolved(t *testing.T, m *Main, role string, at time.Time) string {
	t.Helper()
	var got []string
	err := m.DB.View(func(tx *bbolt.Tx) error {
		rs, err := m.resolve(tx, role, at)
		for _, r := range rs {
			got = append(got, r.Number+"/"+string(r.Lang)+"/"+string(r.Audience))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(got, ",")
}

func isKnown(m *Main, number string) bool {
	known := false
	m.DB.View(func(tx *bbolt.Tx) error { known = m.known(tx, outbox.Counsellor, number); return nil })
	return known
}

// TestDutyIsResolvedWhenSent: the role on duty names whoever is on duty at the moment of
// sending, so an alert queued before 'duty set' changed the number goes to the new one; a
// counsellor taken off the rota is no longer resolved nor accepted; with nobody on duty the
// fallback list is.
func TestDutyIsResolvedWhenSent(t *testing.T) {
	m := hookFixture(t)
	const next, supervisor = "+8801911000302", "+8801911000399"
	now := m.DB.Now()
	if got := resolved(t, m, roleDuty, now); got != dutyNumber+"/bn/counsellor" {
		t.Fatalf("on duty: %q", got)
	}
	// The alert is queued for the role, with no number in it.
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	var alerts []*outbox.Message
	m.DB.View(func(tx *bbolt.Tx) error {
		var err error
		alerts, err = m.alertsFor(tx, nil, c)
		return err
	})
	if len(alerts) != 1 || alerts[0].Role != roleDuty || alerts[0].To != "" || alerts[0].Template != tmplAlert ||
		strings.Join(alerts[0].Args, ",") != c.Ref+",BD" || alerts[0].Key != "alert:"+c.Ref+":duty" || alerts[0].Cause != outbox.CauseAlert {
		t.Fatalf("alert %+v", alerts)
	}
	// The shift changes while it waits: it resolves to the new number, which the outbox accepts.
	withClosed(t, m, []string{"duty", "set", next, "--lang", "en"})
	if got := resolved(t, m, roleDuty, now); got != next+"/en/counsellor" {
		t.Fatalf("after duty set: %q", got)
	}
	if !isKnown(m, next) || isKnown(m, dutyNumber) {
		t.Fatal("known does not follow the rota")
	}
	// A rota of two: one on nights, one on days. Both are accepted at any hour.
	withClosed(t, m, []string{"duty", "set", dutyNumber, "--tz", "Asia/Dhaka", "--shift", "daily/20:00-08:00", "--lang", "bn"},
		[]string{"duty", "set", next, "--tz", "Asia/Dhaka", "--shift", "daily/08:00-20:00"},
		[]string{"duty", "fallback", "add", supervisor, "--lang", "bn"})
	noon := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) // 12:00 in Dhaka
	night := noon.Add(12 * time.Hour)
	if got := resolved(t, m, roleDuty, noon); got != next+"/en/counsellor" {
		t.Fatalf("at noon: %q", got)
	}
	if got := resolved(t, m, roleDuty, night); got != dutyNumber+"/bn/counsellor" {
		t.Fatalf("at midnight: %q", got)
	}
	if !isKnown(m, next) || !isKnown(m, dutyNumber) || !isKnown(m, supervisor) || isKnown(m, herNumber) {
		t.Fatal("known must accept everyone on the rota and the fallback list, and no one else")
	}
	// A counsellor removed: nights have nobody, and the fallback list is who is left.
	withClosed(t, m, []string{"duty", "clear", dutyNumber})
	if got := resolved(t, m, roleDuty, night); got != "" {
		t.Fatalf("a removed counsellor still resolved: %q", got)
	}
	if isKnown(m, dutyNumber) {
		t.Fatal("a removed counsellor is still accepted")
	}
	if got := resolved(t, m, roleFallback, night); got != supervisor+"/bn/counsellor" {
		t.Fatalf("fallback: %q", got)
	}
	if m.onDutyNow(night) || !m.onDutyNow(noon) {
		t.Fatal("onDutyNow does not follow the rota")
	}
	err := m.DB.View(func(tx *bbolt.Tx) error { _, err := m.resolve(tx, "boss", now); return err })
	if onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("an unknown role: %v", err)
	}
}

// TestRenderWordsEachTemplate: the outbox words a role-addressed message in each recipient's
// language from the same texts as before.
func TestRenderWordsEachTemplate(t *testing.T) {
	m := &Main{}
	for _, tt := range []struct {
		tmpl string
		lang onestop.Lang
		args []string
		want string
	}{
		{tmplAlert, onestop.Bengali, []string{"1234567", "BD-13"}, "জরুরি কেস 1234567, BD-13। এখনই কনসোল দেখুন।"},
		{tmplAlert, onestop.English, []string{"1234567", "BD"}, "Urgent case 1234567, BD. Please check the console now."},
		{tmplAlert, onestop.Lang("xx"), []string{"1234567", "BD"}, "Urgent case 1234567, BD. Please check the console now."},
		{tmplCallback, onestop.Hindi, []string{"1234567", "21:00"}, "कॉलबैक का समय: केस 1234567, उनके समय 21:00 तक। विवरण कंसोल में।"},
		{tmplEscalation, onestop.Arabic, []string{"1234567", "PS"}, "الحالة العاجلة 1234567، PS لم يردّ عليها أحد بعد. يرجى مراجعة لوحة التحكم الآن."},
		{"unknown", onestop.English, []string{"1234567", "BD"}, ""},
		{tmplAlert, onestop.English, []string{"1234567"}, ""},
	} {
		if got := m.render(tt.tmpl, tt.lang, tt.args); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.tmpl, tt.lang, got, tt.want)
		}
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

// problems is f's problems as the log says them.
func problems(f *casebook.FollowUp) string {
	var out []string
	for _, p := range f.Problems {
		out = append(out, p.String())
	}
	return strings.Join(out, "|")
}

func followUpOf(t *testing.T, m *Main, id uint64) *casebook.FollowUp {
	t.Helper()
	var f *casebook.FollowUp
	if err := m.DB.View(func(tx *bbolt.Tx) error { var err error; f, err = m.Cases.FollowUp(tx, id); return err }); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAlertNotQueuedIsOnTheFollowUp: an alert the outbox refuses is written on her follow-up,
// never only in the log, and makes her due for escalation.
func TestAlertNotQueuedIsOnTheFollowUp(t *testing.T) {
	m := hookFixture(t)
	c := &onestop.Contact{Time: m.DB.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		f, err := m.followUp(tx, c, m.DB.Now())
		if err != nil {
			return err
		}
		// A malformed alert, as a broken configuration could make one.
		bad := &outbox.Message{Key: "alert:" + c.Ref + ":test", Kind: "fax", Audience: outbox.Official, Cause: outbox.CauseAlert, To: "+8801711000201", Text: "x"}
		if ok, err := m.queueFor(tx, m.outbox(m.smsConfig), f, bad); ok || err != nil {
			t.Errorf("queueFor = %v, %v", ok, err)
		}
		return m.Cases.PutFollowUp(tx, f)
	})
	if err != nil {
		t.Fatal(err)
	}
	f := followUpOf(t, m, c.ID)
	if f == nil || !f.Failed || !strings.Contains(problems(f), "alert, official +880 17** ***201: not queued: unknown kind") {
		t.Fatalf("follow-up %+v", f)
	}
	if n, err := m.escalate(context.Background()); n != 1 || err != nil {
		t.Fatalf("escalate = %d, %v", n, err)
	}
}

// TestNobodyOnDutyIsOnTheFollowUp: an urgent contact with nobody on duty says so on her
// follow-up, and that the alert goes to the fallback list.
func TestNobodyOnDutyIsOnTheFollowUp(t *testing.T) {
	m := hookFixture(t)
	clearRota(t, m)
	c := &onestop.Contact{Time: m.DB.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	f := followUpOf(t, m, c.ID)
	if f == nil || !f.NobodyOnDuty || !strings.Contains(problems(f), "nobody on duty: the alert goes to the fallback list") ||
		!strings.Contains(problems(f), "nobody on the fallback list either") {
		t.Fatalf("follow-up %+v", f)
	}
	var buf bytes.Buffer
	m.Log = slog.New(slog.NewTextHandler(&buf, nil))
	m.warnNoRota()
	if !strings.Contains(buf.String(), "no duty rota set") || !strings.Contains(buf.String(), "no fallback list set") {
		t.Fatalf("the start's log: %s", buf.String())
	}
	buf.Reset()
	withClosed(t, m, []string{"duty", "set", dutyNumber}, []string{"duty", "fallback", "add", "+8801911000399"})
	m.warnNoRota()
	if buf.Len() != 0 {
		t.Fatalf("warned with a rota and a fallback: %s", buf.String())
	}
}

// TestEscalationAfterTheWait: an urgent contact unacknowledged past ONESTOP_ALERT_ESCALATE is
// escalated to the fallback list once, audited; an acknowledged one never.
func TestEscalationAfterTheWait(t *testing.T) {
	m := hookFixture(t)
	clock := m.DB.Now()
	m.DB.Now = func() time.Time { return clock }
	m.smsConfig.EscalateAfter = 10 * time.Minute
	var cs [2]*onestop.Contact
	for i := range cs {
		cs[i] = &onestop.Contact{Time: clock, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
		record(t, m, nil, cs[i])
		// What the outbox did with the duty alert is another test's: here only the wait counts.
		m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
			f, _ := m.Cases.FollowUp(tx, cs[i].ID)
			f.Failed, f.Problems = false, nil
			return m.Cases.PutFollowUp(tx, f)
		})
	}
	if err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		_, err := m.Cases.Acknowledge(tx, cs[1].ID, "cara", clock)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(9*time.Minute + 59*time.Second)
	if n, err := m.escalate(context.Background()); n != 0 || err != nil {
		t.Fatalf("before the wait: %d, %v", n, err)
	}
	clock = clock.Add(time.Second)
	for i, want := range []int{1, 0} {
		if n, err := m.escalate(context.Background()); n != want || err != nil {
			t.Fatalf("pass %d: %d escalated, %v; want %d", i, n, err, want)
		}
	}
	f := followUpOf(t, m, cs[0].ID)
	if !f.Escalated.Equal(clock) || f.EscalatedWhy != "not acknowledged within 10m0s" {
		t.Fatalf("follow-up %+v", f)
	}
	if g := followUpOf(t, m, cs[1].ID); !g.Escalated.IsZero() {
		t.Fatal("an acknowledged contact was escalated")
	}
	es, err := m.Cases.AuditLog(casebook.AuditFilter{Actions: []string{casebook.AuditUrgentEscalate}, Limit: 10})
	if err != nil || len(es) != 1 || es[0].Subject != "contact:"+cs[0].Ref || es[0].Actor != "system" {
		t.Fatalf("audit %+v, %v", es, err)
	}
	var escalation *outbox.Message
	list, _ := m.outbox(m.smsConfig).List(outbox.Filter{})
	for _, msg := range list {
		if msg.Cause == outbox.CauseEscalation {
			if escalation != nil {
				t.Fatal("two escalations")
			}
			escalation = msg
		}
	}
	mustAcceptRoles(t, m)
	if escalation == nil || escalation.Role != roleFallback || escalation.Key != "escalate:"+cs[0].Ref || escalation.Template != tmplEscalation ||
		strings.Join(escalation.Args, ",") != cs[0].Ref+",BD" {
		t.Fatalf("escalation %+v", escalation)
	}
}

// TestDeadAlertEscalatesAtOnce: an alert that died or was reported undelivered is written on the
// follow-up and escalates her in the same write; a retry still to come only is written down.
func TestDeadAlertEscalatesAtOnce(t *testing.T) {
	m := hookFixture(t)
	c := &onestop.Contact{Time: m.DB.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		f, _ := m.Cases.FollowUp(tx, c.ID)
		f.Failed, f.Problems = false, nil
		return m.Cases.PutFollowUp(tx, f)
	})
	dead := func(msg *outbox.Message) {
		t.Helper()
		if err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error { return m.onDead(tx, msg) }); err != nil {
			t.Fatal(err)
		}
	}
	alert := outbox.Message{Key: "alert:" + c.Ref + ":duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
		Role: roleDuty, Template: tmplAlert, Args: []string{c.Ref, "BD"}}
	retry := alert
	retry.State, retry.NextAttempt, retry.Error = outbox.Failed, m.DB.Now().Add(time.Minute), "provider refused: status=503"
	dead(&retry)
	if f := followUpOf(t, m, c.ID); f.Failed || !f.Escalated.IsZero() || len(f.Problems) != 1 {
		t.Fatalf("after a failure to be retried: %+v", f)
	}
	gone := alert
	gone.State, gone.Error = outbox.Dead, "provider refused: status=400 code=403 blacklisted"
	dead(&gone)
	f := followUpOf(t, m, c.ID)
	if !f.Failed || f.Escalated.IsZero() || f.EscalatedWhy != "an alert did not reach anyone" ||
		!strings.Contains(problems(f), "alert, role duty: not delivered: provider refused: status=400") {
		t.Fatalf("after the alert died: %+v", f)
	}
	// Nothing else is touched: a callback note, a message of no urgent contact.
	dead(&outbox.Message{Key: "callback:" + c.Ref + ":duty", Cause: outbox.CauseCallback, State: outbox.Dead})
	dead(&outbox.Message{Key: "alert:garbage:duty", Cause: outbox.CauseAlert, State: outbox.Dead})
	if g := followUpOf(t, m, c.ID); len(g.Problems) != len(f.Problems) {
		t.Fatalf("problems %q", g.Problems)
	}
	if n, _ := m.escalate(context.Background()); n != 0 {
		t.Fatal("escalated twice")
	}
}

// TestCountryOfficialsForNoDistrict: an urgent contact that leaves the conversation with no
// district alerts the officials listed under her country's code, once; one with a district
// alerts that district's and not the country's.
func TestCountryOfficialsForNoDistrict(t *testing.T) {
	m := hookFixture(t)
	csvPath := filepath.Join(t.TempDir(), "officials.csv")
	os.WriteFile(csvPath, []byte("BD-13,SP,+8801711000201,bn\nBD,National desk,+8801711000290,en\n"), 0o600)
	withClosed(t, m, []string{"officials", "import", csvPath})
	ob := m.outbox(m.smsConfig)
	now := m.DB.Now()
	officialsTo := func() []string {
		list, _ := ob.List(outbox.Filter{})
		var to []string
		for _, msg := range list {
			if msg.Audience == outbox.Official {
				to = append(to, msg.To)
			}
		}
		return to
	}
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	if got := officialsTo(); len(got) != 0 {
		t.Fatalf("officials alerted while she may still choose a district: %v", got)
	}
	before := *c
	c.Status = onestop.Dropped
	record(t, m, &before, c)
	if got := officialsTo(); strings.Join(got, ",") != "+8801711000290" {
		t.Fatalf("country officials: %v", got)
	}
	// At escalation the same alert is not queued again.
	m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		f, _ := m.Cases.FollowUp(tx, c.ID)
		return m.escalateOne(tx, ob, f, now, "test")
	})
	if got := officialsTo(); len(got) != 1 {
		t.Fatalf("country officials alerted twice: %v", got)
	}
	d := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Area: "BD-13", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, d)
	before = *d
	d.Status = onestop.Done
	record(t, m, &before, d)
	if got := officialsTo(); strings.Join(got, ",") != "+8801711000290,+8801711000201" && strings.Join(got, ",") != "+8801711000201,+8801711000290" {
		t.Fatalf("with a district: %v", got)
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

// TestDutySetBeforeTheRotaStillCounts: the single counsellor kept before the rota is read as one
// on duty at all hours, until the next 'duty set' replaces her.
func TestDutySetBeforeTheRotaStillCounts(t *testing.T) {
	m := hookFixture(t)
	clearRota(t, m)
	err := m.DB.Update(context.Background(), func(tx *bbolt.Tx) error {
		v, _ := json.Marshal(&dutyRecord{Sealed: m.Box.SealString(dutyNumber), Masked: "+880 19** ***301", Lang: onestop.Bengali, Since: m.DB.Now()})
		return tx.Bucket(store.Duty).Put(dutyKey, v)
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := resolved(t, m, roleDuty, m.DB.Now()); got != dutyNumber+"/bn/counsellor" || !isKnown(m, dutyNumber) {
		t.Fatalf("the earlier counsellor on duty: %q", got)
	}
	withClosed(t, m, []string{"duty", "set", "+8801911000302"})
	if got := resolved(t, m, roleDuty, m.DB.Now()); got != "+8801911000302/en/counsellor" || isKnown(m, dutyNumber) {
		t.Fatalf("after duty set: %q", got)
	}
}
