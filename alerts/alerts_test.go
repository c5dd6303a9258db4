package alerts

// These tests moved here from cmd/onestop/duty_test.go and cmd/onestop/sms_test.go with the
// policy they check; the commands they drove there are the staff service's calls here.

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

const (
	herNumber  = "+8801711000001"
	dutyNumber = "+8801911000301"
)

// fixture is the alerts service on a real store, wired to the outbox the way serve wires it:
// the officials of two districts imported and one counsellor on duty at all hours.
type fixture struct {
	db    *bolt.DB
	box   *seal.Box
	cases *casebook.Casebook
	staff *staff.Service
	al    *Service
	ob    *outbox.Outbox
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	m := &fixture{db: db, box: box, cases: casebook.New(db, box)}
	m.staff = staff.New(db, box, m.cases, dir)
	m.al = New(Config{DB: db, Box: box, Cases: m.cases, Staff: m.staff, Log: log})
	m.ob = outbox.New(db, box, m.cases, outbox.Config{
		Known: m.staff.Known, Resolve: m.al.Resolve, Render: Render, OnDead: m.al.OnDead, OnRetry: m.al.OnDead, OnSent: m.al.OnSent, OnReassigned: m.al.OnReassigned, Log: log,
		DoNotContact: func(tx onestop.Tx, number string, at time.Time) bool {
			marked, err := m.cases.DoNotContact(tx, number, at)
			return marked || err != nil
		},
	})
	m.al.UseOutbox(m.ob)
	m.importOfficials(t, "BD-13,SP,+8801711000201,bn\nBD-13,Civil Surgeon,+8801711000202,en\nBD-10,DM,+8801811000203,bn\n")
	m.setDuty(t, dutyNumber, onestop.Bengali, "")
	return m
}

func (m *fixture) importOfficials(t *testing.T, csv string) {
	t.Helper()
	list, err := staff.ParseOfficials([]byte(csv))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.staff.ImportOfficials(context.Background(), list); err != nil {
		t.Fatal(err)
	}
}

// setDuty puts number on the rota as 'duty set' does: with no shift, alone and at all hours;
// with one, in Asia/Dhaka beside the others.
func (m *fixture) setDuty(t *testing.T, number string, lang onestop.Lang, shift string) {
	t.Helper()
	c := &staff.Counsellor{Number: number, Masked: "+880 19** ***" + number[len(number)-3:], Lang: lang}
	if shift != "" {
		sh, err := staff.ParseShift(shift)
		if err != nil {
			t.Fatal(err)
		}
		c.TZ, c.Shifts = "Asia/Dhaka", []staff.Shift{sh}
	}
	if err := m.staff.SetDuty(context.Background(), c); err != nil {
		t.Fatal(err)
	}
}

func (m *fixture) addFallback(t *testing.T, number string, lang onestop.Lang) {
	t.Helper()
	if err := m.staff.AddFallback(context.Background(), &staff.Fallback{Number: number, Masked: "+880 19** ***" + number[len(number)-3:], Lang: lang}); err != nil {
		t.Fatal(err)
	}
}

// clearRota takes everyone off the rota, as 'duty clear' does.
func (m *fixture) clearRota(t *testing.T) {
	t.Helper()
	if err := m.staff.ClearRota(context.Background()); err != nil {
		t.Fatal(err)
	}
}

var errRollBack = errors.New("roll back")

// mustAcceptRoles fails the test unless the outbox, as m builds it, takes a message addressed to
// a role: alerts depend on it.
func mustAcceptRoles(t *testing.T, m *fixture) {
	t.Helper()
	ob := m.ob
	var qerr error
	err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		_, qerr = ob.Enqueue(tx, &outbox.Message{Key: "probe", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
			Role: outbox.RoleDuty, Template: TemplateAlert, Args: []string{"1234567", "BD"}})
		return errRollBack
	})
	if !errors.Is(err, errRollBack) {
		t.Fatal(err)
	}
	if qerr != nil {
		t.Fatalf("the outbox refuses a message to the role on duty: %v", qerr)
	}
}

func resolved(t *testing.T, m *fixture, role string, at time.Time) string {
	ctx := context.Background()
	t.Helper()
	var got []string
	err := m.db.View(ctx, func(tx onestop.Tx) error {
		rs, err := m.al.Resolve(tx, role, at)
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

func isKnown(ctx context.Context, m *fixture, number string) bool {
	known := false
	m.db.View(ctx, func(tx onestop.Tx) error { known = m.staff.Known(tx, outbox.Counsellor, number); return nil })
	return known
}

// TestDutyIsResolvedWhenSent: the role on duty names whoever is on duty at the moment of
// sending, so an alert queued before 'duty set' changed the number goes to the new one; a
// counsellor taken off the rota is no longer resolved nor accepted; with nobody on duty the
// fallback list is.
func TestDutyIsResolvedWhenSent(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	const next, supervisor = "+8801911000302", "+8801911000399"
	now := m.db.Now()
	if got := resolved(t, m, outbox.RoleDuty, now); got != dutyNumber+"/bn/counsellor" {
		t.Fatalf("on duty: %q", got)
	}
	// The alert is queued for the role, with no number in it.
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	var alerts []*outbox.Message
	m.db.View(ctx, func(tx onestop.Tx) error {
		alerts = m.al.alertsFor(tx, nil, c)
		return nil
	})
	if len(alerts) != 1 || alerts[0].Role != outbox.RoleDuty || alerts[0].To != "" || alerts[0].Template != TemplateAlert ||
		strings.Join(alerts[0].Args, ",") != c.Ref+",BD" || alerts[0].Key != "alert:"+c.Ref+":duty" || alerts[0].Cause != outbox.CauseAlert {
		t.Fatalf("alert %+v", alerts)
	}
	// The shift changes while it waits: it resolves to the new number, which the outbox accepts.
	m.setDuty(t, next, onestop.English, "")
	if got := resolved(t, m, outbox.RoleDuty, now); got != next+"/en/counsellor" {
		t.Fatalf("after duty set: %q", got)
	}
	if !isKnown(ctx, m, next) || isKnown(ctx, m, dutyNumber) {
		t.Fatal("known does not follow the rota")
	}
	// A rota of two: one on nights, one on days. Both are accepted at any hour.
	m.setDuty(t, dutyNumber, onestop.Bengali, "daily/20:00-08:00")
	m.setDuty(t, next, onestop.English, "daily/08:00-20:00")
	m.addFallback(t, supervisor, onestop.Bengali)
	noon := time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) // 12:00 in Dhaka
	night := noon.Add(12 * time.Hour)
	if got := resolved(t, m, outbox.RoleDuty, noon); got != next+"/en/counsellor" {
		t.Fatalf("at noon: %q", got)
	}
	if got := resolved(t, m, outbox.RoleDuty, night); got != dutyNumber+"/bn/counsellor" {
		t.Fatalf("at midnight: %q", got)
	}
	if !isKnown(ctx, m, next) || !isKnown(ctx, m, dutyNumber) || !isKnown(ctx, m, supervisor) || isKnown(ctx, m, herNumber) {
		t.Fatal("known must accept everyone on the rota and the fallback list, and no one else")
	}
	// A counsellor removed: nights have nobody, and the fallback list is who is left.
	if err := m.staff.TakeOffDuty(context.Background(), dutyNumber); err != nil {
		t.Fatal(err)
	}
	if got := resolved(t, m, outbox.RoleDuty, night); got != "" {
		t.Fatalf("a removed counsellor still resolved: %q", got)
	}
	if isKnown(ctx, m, dutyNumber) {
		t.Fatal("a removed counsellor is still accepted")
	}
	if got := resolved(t, m, outbox.RoleFallback, night); got != supervisor+"/bn/counsellor" {
		t.Fatalf("fallback: %q", got)
	}
	if m.staff.OnDutyNow(ctx, night) || !m.staff.OnDutyNow(ctx, noon) {
		t.Fatal("onDutyNow does not follow the rota")
	}
	err := m.db.View(ctx, func(tx onestop.Tx) error { _, err := m.al.Resolve(tx, "boss", now); return err })
	if onestop.ErrorCode(err) != onestop.EINVALID {
		t.Fatalf("an unknown role: %v", err)
	}
}

// TestRenderWordsEachTemplate: the outbox words a role-addressed message in each recipient's
// language from the same texts as before.
func TestRenderWordsEachTemplate(t *testing.T) {
	for _, tt := range []struct {
		tmpl string
		lang onestop.Lang
		args []string
		want string
	}{
		{TemplateAlert, onestop.Bengali, []string{"1234567", "BD-13"}, "জরুরি কেস 1234567, BD-13। এখনই কনসোল দেখুন।"},
		{TemplateAlert, onestop.English, []string{"1234567", "BD"}, "Urgent case 1234567, BD. Please check the console now."},
		{TemplateAlert, onestop.Lang("xx"), []string{"1234567", "BD"}, "Urgent case 1234567, BD. Please check the console now."},
		{TemplateCallback, onestop.Hindi, []string{"1234567", "21:00"}, "कॉलबैक का समय: केस 1234567, उनके समय 21:00 तक। विवरण कंसोल में।"},
		{TemplateEscalation, onestop.Arabic, []string{"1234567", "PS"}, "الحالة العاجلة 1234567، PS لم يردّ عليها أحد بعد. يرجى مراجعة لوحة التحكم الآن."},
		{"unknown", onestop.English, []string{"1234567", "BD"}, ""},
		{TemplateAlert, onestop.English, []string{"1234567"}, ""},
	} {
		if got := Render(tt.tmpl, tt.lang, tt.args); got != tt.want {
			t.Errorf("%s %s: %q, want %q", tt.tmpl, tt.lang, got, tt.want)
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

func followUpOf(t *testing.T, m *fixture, id uint64) *casebook.FollowUp {
	ctx := context.Background()
	t.Helper()
	var f *casebook.FollowUp
	if err := m.db.View(ctx, func(tx onestop.Tx) error { var err error; f, err = m.cases.FollowUp(tx, id); return err }); err != nil {
		t.Fatal(err)
	}
	return f
}

// TestAlertNotQueuedIsOnTheFollowUp: an alert the outbox refuses is written on her follow-up,
// never only in the log, and makes her due for escalation.
func TestAlertNotQueuedIsOnTheFollowUp(t *testing.T) {
	m := newFixture(t)
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		f, _, err := m.al.followUp(tx, c, m.db.Now())
		if err != nil {
			return err
		}
		// A malformed alert, as a broken configuration could make one.
		bad := &outbox.Message{Key: "alert:" + c.Ref + ":test", Kind: "fax", Audience: outbox.Official, Cause: outbox.CauseAlert, To: "+8801711000201", Text: "x"}
		if ok, err := m.al.queueFor(tx, f, bad); ok || err != nil {
			t.Errorf("queueFor = %v, %v", ok, err)
		}
		return m.cases.PutFollowUp(tx, f)
	})
	if err != nil {
		t.Fatal(err)
	}
	f := followUpOf(t, m, c.ID)
	if f == nil || !f.Failed || !strings.Contains(problems(f), "alert, official +880 17** ***201: not queued: unknown kind") {
		t.Fatalf("follow-up %+v", f)
	}
	if n, err := m.al.Escalate(context.Background()); n != 1 || err != nil {
		t.Fatalf("escalate = %d, %v", n, err)
	}
}

// TestNobodyOnDutyIsOnTheFollowUp: an urgent contact with nobody on duty says so on her
// follow-up, and that the alert goes to the fallback list.
func TestNobodyOnDutyIsOnTheFollowUp(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	m.clearRota(t)
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	f := followUpOf(t, m, c.ID)
	if f == nil || !f.NobodyOnDuty || !strings.Contains(problems(f), "nobody on duty: the alert goes to the fallback list") ||
		!strings.Contains(problems(f), "nobody on the fallback list either") {
		t.Fatalf("follow-up %+v", f)
	}
	var buf bytes.Buffer
	m.al.log = slog.New(slog.NewTextHandler(&buf, nil))
	m.al.WarnNoRota(ctx)
	if !strings.Contains(buf.String(), "no duty rota set") || !strings.Contains(buf.String(), "no fallback list set") {
		t.Fatalf("the start's log: %s", buf.String())
	}
	buf.Reset()
	m.setDuty(t, dutyNumber, onestop.English, "")
	m.addFallback(t, "+8801911000399", onestop.English)
	m.al.WarnNoRota(ctx)
	if buf.Len() != 0 {
		t.Fatalf("warned with a rota and a fallback: %s", buf.String())
	}
}

// TestEscalationAfterTheWait: an urgent contact unacknowledged past ONESTOP_ALERT_ESCALATE is
// escalated to the fallback list once, audited; an acknowledged one never.
func TestEscalationAfterTheWait(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	clock := m.db.Now()
	m.db.Clock = func() time.Time { return clock }
	m.al.after = 10 * time.Minute
	var cs [2]*onestop.Contact
	for i := range cs {
		cs[i] = &onestop.Contact{Time: clock, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
		record(t, m, nil, cs[i])
		// What the outbox did with the duty alert is another test's: here only the wait counts.
		m.db.Update(context.Background(), func(tx onestop.Tx) error {
			f, _ := m.cases.FollowUp(tx, cs[i].ID)
			f.Failed, f.Problems = false, nil
			return m.cases.PutFollowUp(tx, f)
		})
	}
	if err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		_, err := m.cases.Acknowledge(tx, cs[1].ID, "cara", clock)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(9*time.Minute + 59*time.Second)
	if n, err := m.al.Escalate(context.Background()); n != 0 || err != nil {
		t.Fatalf("before the wait: %d, %v", n, err)
	}
	clock = clock.Add(time.Second)
	for i, want := range []int{1, 0} {
		if n, err := m.al.Escalate(context.Background()); n != want || err != nil {
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
	es, err := m.cases.AuditLog(ctx, casebook.AuditFilter{Actions: []string{casebook.AuditUrgentEscalate}, Limit: 10})
	if err != nil || len(es) != 1 || es[0].Subject != "contact:"+cs[0].Ref || es[0].Actor != "system" {
		t.Fatalf("audit %+v, %v", es, err)
	}
	var escalation *outbox.Message
	list, _ := m.ob.List(ctx, outbox.Filter{})
	for _, msg := range list {
		if msg.Cause == outbox.CauseEscalation {
			if escalation != nil {
				t.Fatal("two escalations")
			}
			escalation = msg
		}
	}
	mustAcceptRoles(t, m)
	if escalation == nil || escalation.Role != outbox.RoleFallback || escalation.Key != "escalate:"+cs[0].Ref || escalation.Template != TemplateEscalation ||
		strings.Join(escalation.Args, ",") != cs[0].Ref+",BD" {
		t.Fatalf("escalation %+v", escalation)
	}
}

// TestDeadAlertEscalatesAtOnce: an alert that died or was reported undelivered is written on the
// follow-up and escalates her in the same write; a retry still to come only is written down.
func TestDeadAlertEscalatesAtOnce(t *testing.T) {
	m := newFixture(t)
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	m.db.Update(context.Background(), func(tx onestop.Tx) error {
		f, _ := m.cases.FollowUp(tx, c.ID)
		f.Failed, f.Problems = false, nil
		return m.cases.PutFollowUp(tx, f)
	})
	dead := func(msg *outbox.Message) {
		t.Helper()
		if err := m.db.Update(context.Background(), func(tx onestop.Tx) error { return m.al.OnDead(tx, msg) }); err != nil {
			t.Fatal(err)
		}
	}
	alert := outbox.Message{Key: "alert:" + c.Ref + ":duty", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
		Role: outbox.RoleDuty, Template: TemplateAlert, Args: []string{c.Ref, "BD"}}
	retry := alert
	retry.State, retry.NextAttempt, retry.Error = outbox.Failed, m.db.Now().Add(time.Minute), "provider refused: status=503"
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
	if n, _ := m.al.Escalate(context.Background()); n != 0 {
		t.Fatal("escalated twice")
	}
}

// TestCountryOfficialsForNoDistrict: an urgent contact that leaves the conversation with no
// district alerts the officials listed under her country's code, once; one with a district
// alerts that district's and not the country's.
func TestCountryOfficialsForNoDistrict(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	m.importOfficials(t, "BD-13,SP,+8801711000201,bn\nBD,National desk,+8801711000290,en\n")
	ob := m.ob
	now := m.db.Now()
	officialsTo := func() []string {
		list, _ := ob.List(ctx, outbox.Filter{})
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
	m.db.Update(context.Background(), func(tx onestop.Tx) error {
		f, _ := m.cases.FollowUp(tx, c.ID)
		return m.al.escalateOne(tx, f, now, "test")
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

// record writes after (and calls the hook) the way the flows do, twice, since a group commit
// may run a write again.
func record(t *testing.T, m *fixture, before, after *onestop.Contact) {
	t.Helper()
	for range 2 {
		err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
			c := *after
			if err := m.cases.Put(tx, &c); err != nil {
				return err
			}
			*after = c
			return m.al.Recorded(tx, before, &c)
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func TestOnRecordedQueuesAlertsAndCallbacks(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	ob := m.ob
	now := m.db.Now()
	plan := &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Window: onestop.Evening, Opens: now.Add(5 * time.Hour),
		Closes: now.Add(9 * time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}
	steps := []struct {
		name   string
		change func(c *onestop.Contact)
		want   []string // new messages: audience→number
	}{
		{"information only", func(c *onestop.Contact) { c.Urgency = onestop.Information }, nil},
		{"urgent, district not yet known", func(c *onestop.Contact) { c.Urgency = onestop.Urgent }, []string{"counsellor→role:duty"}},
		{"she chooses her district", func(c *onestop.Contact) { c.Area = "BD-13" }, []string{"official→+8801711000201", "official→+8801711000202"}},
		{"urgent again changes nothing", func(c *onestop.Contact) { c.Urgency = onestop.Urgent }, nil},
		{"she agrees to a call", func(c *onestop.Contact) { c.Plan = plan; c.Caller = herNumber }, []string{"counsellor→role:duty"}},
		{"the session drops afterwards", func(c *onestop.Contact) { c.Status = onestop.Dropped }, nil},
	}
	c := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Lang: onestop.Bengali, Status: onestop.Open, Masked: "+880 17** ***001"}
	var before *onestop.Contact
	seen := 0
	mustAcceptRoles(t, m)
	for _, st := range steps {
		st.change(c)
		record(t, m, before, c)
		b := *c
		before = &b
		list, err := ob.List(ctx, outbox.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for i := len(list) - seen - 1; i >= 0; i-- {
			msg := list[i]
			to := msg.To
			if msg.Role != "" {
				to = "role:" + msg.Role
			}
			got = append(got, string(msg.Audience)+"→"+to)
			if strings.Contains(msg.Text, "1711000001") || msg.To == herNumber {
				t.Fatalf("%s: a message carries her number: %+v", st.name, msg)
			}
		}
		seen = len(list)
		if strings.Join(got, ",") != strings.Join(st.want, ",") {
			t.Fatalf("%s: queued %v, want %v", st.name, got, st.want)
		}
	}
	list, _ := ob.List(ctx, outbox.Filter{})
	byTo := map[string]string{}
	for _, msg := range list {
		text := msg.Text
		if msg.Role != "" {
			// Worded when sent, in the language of whoever is on duty then.
			text = Render(msg.Template, onestop.Bengali, msg.Args)
		}
		byTo[msg.To+msg.Role+" "+string(msg.Cause)] = text
		if msg.Cause == outbox.CauseCallback && !msg.NextAttempt.Equal(plan.Opens) {
			t.Fatalf("the callback note falls due at %s, her window opens at %s", msg.NextAttempt, plan.Opens)
		}
	}
	ref := c.Ref
	if byTo["+8801711000202 alert"] != "Urgent case "+ref+", BD-13. Please check the console now." ||
		byTo["duty alert"] != "জরুরি কেস "+ref+", BD। এখনই কনসোল দেখুন।" ||
		!strings.HasPrefix(byTo["duty callback"], "কলব্যাকের সময়: কেস "+ref+", তার সময় ") {
		t.Fatalf("texts %q", byTo)
	}
	var task casebook.CallbackTask
	m.db.View(ctx, func(tx onestop.Tx) error {
		if got, err := m.cases.GetCallbackTask(tx, c.ID); err == nil {
			task = *got
		}
		return nil
	})
	if task.Ref != ref || !task.Due.Equal(plan.Opens) || task.OutboxID == 0 {
		t.Fatalf("callback task %+v", task)
	}
}

func TestOnRecordedNeverForANoCallPlan(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	ob := m.ob
	now := m.db.Now()
	before := &onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
	record(t, m, nil, before)
	after := *before
	after.Plan, after.Status = &onestop.SafeContactPlan{MayCall: false, AgreedAt: now}, onestop.DoNotContact
	record(t, m, before, &after)
	if list, _ := ob.List(ctx, outbox.Filter{}); len(list) != 0 {
		t.Fatalf("queued %d messages for a non-urgent contact who said do not call", len(list))
	}
	var n int
	m.db.View(ctx, func(tx onestop.Tx) error {
		return m.cases.ForEachCallbackTask(tx, func(*casebook.CallbackTask) error { n++; return nil })
	})
	if n != 0 {
		t.Fatal("a callback task for a plan that allows no call")
	}
}

// TestCallbackConfirmedWithNobodyOnDuty: the note is queued at once for the role on duty, so it
// reaches whoever is on duty when her window opens; a note the outbox did not take is queued
// again by the sweep, once, and never for a callback she was already reached on or whose window
// closed.
func TestCallbackConfirmedWithNobodyOnDuty(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	m.clearRota(t)
	mustAcceptRoles(t, m)
	now := m.db.Now()
	plan := func(opens, closes time.Duration) *onestop.SafeContactPlan {
		return &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Opens: now.Add(opens), Closes: now.Add(closes), TZ: "Asia/Dhaka", AgreedAt: now}
	}
	var open, closed, reached onestop.Contact
	for _, x := range []struct {
		c *onestop.Contact
		p *onestop.SafeContactPlan
	}{{&open, plan(time.Hour, 3*time.Hour)}, {&closed, plan(-3*time.Hour, -time.Hour)}, {&reached, plan(0, time.Hour)}} {
		*x.c = onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
		record(t, m, nil, x.c)
		before := *x.c
		x.c.Plan = x.p
		record(t, m, &before, x.c)
	}
	reached.Status = onestop.Done
	record(t, m, &reached, &reached)
	ob := m.ob
	l, _ := ob.List(ctx, outbox.Filter{})
	// One per plan whose window has not closed: the outbox takes no note for a callback no
	// longer owed.
	if len(l) != 2 {
		t.Fatalf("%d notes with nobody on duty, want one per plan still open", len(l))
	}
	for _, msg := range l {
		if msg.Role != outbox.RoleDuty || msg.To != "" || msg.Template != TemplateCallback || msg.ContactID == 0 {
			t.Fatalf("note not addressed to the role on duty for her contact: %+v", msg)
		}
		if msg.ContactID == closed.ID {
			t.Fatalf("a note was queued for a window already closed: %+v", msg)
		}
	}
	// Notes the outbox did not take: the sweep queues the one still to be made, once.
	err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		for _, c := range []*onestop.Contact{&open, &closed, &reached} {
			task, err := m.cases.GetCallbackTask(tx, c.ID)
			if err != nil {
				return err
			}
			task.OutboxID = 0
			if err := m.cases.PutCallbackTask(tx, task); err != nil {
				return err
			}
		}
		return tx.DeleteBucket(store.Outbox)
	})
	if err != nil {
		t.Fatal(err)
	}
	m.db.Update(context.Background(), func(tx onestop.Tx) error { _, err := tx.CreateBucket(store.Outbox); return err })
	for i, want := range []int{1, 0} {
		if n, err := m.al.NotifyCallbacks(context.Background()); n != want || err != nil {
			t.Fatalf("pass %d: %d notes, %v; want %d", i, n, err, want)
		}
	}
	l, _ = ob.List(ctx, outbox.Filter{})
	if len(l) != 1 || l[0].Role != outbox.RoleDuty || l[0].Args[0] != open.Ref || !l[0].NextAttempt.Equal(open.Plan.Opens) {
		t.Fatalf("notes %+v", l)
	}
}

// "Do not call", said in a later conversation from her number, stops the callback note an
// earlier one queued: the outbox asks, when it sends, whether her number is marked.
func TestDoNotContactStopsAnEarlierCallbackNote(t *testing.T) {
	ctx := context.Background()
	m := newFixture(t)
	now := m.db.Now()
	c := onestop.Contact{Time: now, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent, Status: onestop.Open}
	record(t, m, nil, &c)
	before := c
	c.Plan = &onestop.SafeContactPlan{MayCall: true, Number: herNumber, Opens: now.Add(-time.Minute), Closes: now.Add(time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}
	record(t, m, &before, &c)
	err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		return m.cases.MarkDoNotContact(tx, herNumber, now.Add(90*24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	ob := m.ob
	log := &outbox.LogSender{Log: m.al.log}
	if _, err := ob.Flush(context.Background(), map[string]outbox.Sender{log.Name(): log}); err != nil {
		t.Fatal(err)
	}
	list, _ := ob.List(ctx, outbox.Filter{})
	notes := 0
	for _, msg := range list {
		if msg.Cause != outbox.CauseCallback {
			continue
		}
		notes++
		if msg.State == outbox.Sent || msg.State == outbox.Delivered || msg.State == outbox.Sending {
			t.Fatalf("a callback note went out for a number marked do not contact: %+v", msg)
		}
	}
	if notes == 0 {
		t.Fatal("no callback note was queued: the test saw nothing to stop")
	}
}

// downSender is a provider that refuses every message for now, as in an outage.
type downSender struct{}

func (downSender) Name() string { return outbox.LogName }
func (downSender) Send(context.Context, *outbox.Message) (outbox.Receipt, error) {
	return outbox.Receipt{}, &outbox.SendError{Status: 503, Msg: "unavailable"}
}

// Her follow-up says while her alert is failing that it is being tried again, and once it has
// gone, whom it reached, with the failed tries no longer listed as a problem.
func TestTheFollowUpSaysWhomTheAlertReached(t *testing.T) {
	m := newFixture(t)
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	if _, err := m.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: downSender{}}); err != nil {
		t.Fatal(err)
	}
	f := followUpOf(t, m, c.ID)
	if !strings.Contains(problems(f), "alert, counsellor +880 19** ***301: failed, to be tried again") || len(f.Sent) != 0 {
		t.Fatalf("during the outage: problems %q, sent %q", problems(f), f.Sent)
	}
	later := time.Now().Add(2 * time.Minute)
	m.db.Clock = func() time.Time { return later }
	up := &outbox.LogSender{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if n, err := m.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: up}); n == 0 || err != nil {
		t.Fatalf("after the outage: sent %d, %v", n, err)
	}
	f = followUpOf(t, m, c.ID)
	if strings.Contains(problems(f), "to be tried again") || strings.Join(f.Sent, "|") != "alert, counsellor +880 19** ***301" {
		t.Fatalf("after the outage: problems %q, sent %q", problems(f), f.Sent)
	}
}

// With nobody on duty the alert went to the fallback list during an outage; a counsellor came on
// duty before the provider was back. The alert reaches her, and the fallback's failed tries, now
// passed on, are no longer listed as problems.
func TestAnAlertPassedOnAtAShiftChangeIsNoLongerAProblem(t *testing.T) {
	m := newFixture(t)
	if err := m.staff.ClearRota(context.Background()); err != nil {
		t.Fatal(err)
	}
	m.addFallback(t, "+8801911000900", onestop.English)
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	if _, err := m.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: downSender{}}); err != nil {
		t.Fatal(err)
	}
	if f := followUpOf(t, m, c.ID); !strings.Contains(problems(f), "alert, counsellor +880 19** ***900: failed, to be tried again") {
		t.Fatalf("during the outage: %q", problems(f))
	}
	m.setDuty(t, dutyNumber, onestop.Bengali, "")
	later := time.Now().Add(2 * time.Minute)
	m.db.Clock = func() time.Time { return later }
	up := &outbox.LogSender{Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := m.ob.Flush(context.Background(), map[string]outbox.Sender{outbox.LogName: up}); err != nil {
		t.Fatal(err)
	}
	f := followUpOf(t, m, c.ID)
	if strings.Contains(problems(f), "to be tried again") || strings.Join(f.Sent, "|") != "alert, counsellor +880 19** ***301" {
		t.Fatalf("after the shift change: problems %q, sent %q", problems(f), f.Sent)
	}
}

// A damaged rota record does not cost an urgent contact its record: nobody counts as on duty,
// the alert goes to the fallback list, and her follow-up says why. A damaged fallback list
// does not stop her escalation.
func TestDamagedStaffRecordsCostNoContact(t *testing.T) {
	m := newFixture(t)
	err := m.db.Update(context.Background(), func(tx onestop.Tx) error {
		b := tx.Bucket(store.Duty)
		if err := b.Put([]byte("rota:damaged"), []byte("{not json")); err != nil {
			return err
		}
		return b.Put([]byte("fallback:damaged"), []byte("{not json"))
	})
	if err != nil {
		t.Fatal(err)
	}
	c := &onestop.Contact{Time: m.db.Now(), Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent, Status: onestop.Open}
	record(t, m, nil, c)
	f := followUpOf(t, m, c.ID)
	if f == nil || !strings.Contains(problems(f), "duty rota unreadable") {
		t.Fatalf("follow-up %+v", f)
	}
	m.db.Clock = func() time.Time { return time.Now().Add(time.Hour) }
	if n, err := m.al.Escalate(context.Background()); n != 1 || err != nil {
		t.Fatalf("escalated %d, %v", n, err)
	}
	if f := followUpOf(t, m, c.ID); f.Escalated.IsZero() || !strings.Contains(problems(f), "fallback list unreadable") {
		t.Fatalf("after escalation: %+v", f)
	}
}
