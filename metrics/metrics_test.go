package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/alerts"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
	"github.com/onestop-helpline/onestop/store"
)

// watched is the store as the services see it, counting the reads they open and, when block is
// set, holding each read until release is closed: a store that has become slow.
type watched struct {
	onestop.Store
	views   atomic.Int64
	block   atomic.Bool
	release chan struct{}
}

func (w *watched) View(ctx context.Context, fn func(onestop.Tx) error) error {
	w.views.Add(1)
	if w.block.Load() {
		<-w.release
	}
	return w.Store.View(ctx, fn)
}

type fixture struct {
	firstRef string // the reference the first seeded contact was given
	db       *bolt.DB
	store    *watched
	now      atomic.Int64 // the store's clock, in Unix nanoseconds
	box      *seal.Box
	cases    *casebook.Casebook
	al       *alerts.Service
	ob       *outbox.Outbox
	log      *slog.Logger
}

var start = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

func newFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	f.now.Store(start.UnixNano())
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Clock = func() time.Time { return time.Unix(0, f.now.Load()).UTC() }
	f.db = db
	f.store = &watched{Store: db, release: make(chan struct{})}
	f.box, err = seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	f.cases = casebook.New(f.store, f.box)
	st := staff.New(f.store, f.box, f.cases, dir)
	f.al = alerts.New(alerts.Config{DB: f.store, Box: f.box, Cases: f.cases, Staff: st, Log: f.log})
	f.ob = outbox.New(f.store, f.box, f.cases, outbox.Config{Log: f.log, Resolve: f.al.Resolve, Render: alerts.Render})
	f.al.UseOutbox(f.ob)
	return f
}

func (f *fixture) advance(d time.Duration) { f.now.Add(int64(d)) }

func (f *fixture) collector(maxAge, timeout time.Duration) *Collector {
	return New(Config{Outbox: f.ob, Cases: f.cases, Alerts: f.al, Size: FileSize(f.db.Path()),
		Now: f.db.Now, MaxAge: maxAge, Timeout: timeout, Log: f.log})
}

// seed writes contacts, follow-ups and messages in known states:
//
//   - contacts: USSD urgent with a callback due now; USSD non-urgent inside her window but
//     her number marked do not contact; SMS information, done; voice urgent whose window opens
//     in two hours; USSD not classified yet.
//   - follow-ups: one unacknowledged a minute old; one unacknowledged half an hour old with
//     nobody on duty (due for escalation); one escalated and acknowledged; one escalated, not
//     acknowledged, whose alert failed.
//   - messages: an alert to an official queued for later; a notice to a worker dropped; an
//     alert to a counsellor sent; an escalation refused for good by the provider.
func (f *fixture) seed(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	now := f.db.Now()
	plan := func(number string, opens time.Time) *onestop.SafeContactPlan {
		return &onestop.SafeContactPlan{MayCall: true, Number: number, Window: onestop.Now, Opens: opens,
			Closes: opens.Add(2 * time.Hour), TZ: "Asia/Dhaka", AgreedAt: now}
	}
	contacts := []*onestop.Contact{
		{Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open, Country: "BD", Caller: "+8801711000001",
			Plan: plan("+8801711000001", now.Add(-time.Hour))},
		{Channel: onestop.USSD, Urgency: onestop.NonUrgent, Status: onestop.Open, Country: "BD", Caller: "+8801711000002",
			Plan: plan("+8801711000002", now.Add(-time.Hour))},
		{Channel: onestop.SMS, Urgency: onestop.Information, Status: onestop.Done, Country: "BD"},
		{Channel: onestop.Voice, Urgency: onestop.Urgent, Status: onestop.Open, Country: "BD", Caller: "+8801711000004",
			Plan: plan("+8801711000004", now.Add(2*time.Hour))},
		{Channel: onestop.USSD, Status: onestop.Open, Country: "BD"},
	}
	if err := f.db.Update(ctx, func(tx onestop.Tx) error {
		for _, c := range contacts {
			c.ID, c.Ref, c.Time, c.Updated = 0, "", now, now
			if err := f.cases.Put(tx, c); err != nil {
				return err
			}
		}
		if err := f.cases.MarkDoNotContact(tx, "+8801711000002", now.Add(24*time.Hour)); err != nil {
			return err
		}
		f.firstRef = contacts[0].Ref
		refs := map[uint64]string{}
		for _, c := range contacts {
			refs[c.ID] = c.Ref
		}
		for _, fu := range []*casebook.FollowUp{
			{ContactID: 1, Ref: refs[1], Since: now.Add(-time.Minute)},
			{ContactID: 4, Ref: refs[4], Since: now.Add(-30 * time.Minute), NobodyOnDuty: true},
			{ContactID: 6, Ref: refs[6], Since: now.Add(-3 * time.Hour), Escalated: now.Add(-2 * time.Hour), Acked: now.Add(-time.Hour), AckedBy: "amina"},
			{ContactID: 7, Ref: refs[7], Since: now.Add(-time.Hour), Escalated: now.Add(-time.Hour), Failed: true},
		} {
			if err := f.cases.PutFollowUp(tx, fu); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	queue := func(m *outbox.Message) uint64 {
		t.Helper()
		m.Kind, m.Text = outbox.SMS, "Please call the office about case "+contacts[0].Ref+"."
		if _, err := f.ob.Queue(ctx, m); err != nil {
			t.Fatal(err)
		}
		return m.ID
	}
	queue(&outbox.Message{Key: "alert:official", Audience: outbox.Official, Cause: outbox.CauseAlert, To: "+8801711000201", NextAttempt: now.Add(time.Hour)})
	dropped := queue(&outbox.Message{Key: "notice:worker", Audience: outbox.Worker, Cause: outbox.CauseNotice, To: "+8801711000301"})
	queue(&outbox.Message{Key: "alert:counsellor", Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: "+8801911000301"})
	queue(&outbox.Message{Key: "escalate:counsellor", Audience: outbox.Counsellor, Cause: outbox.CauseEscalation, To: "+8801911000302"})
	if err := f.ob.Drop(ctx, dropped); err != nil {
		t.Fatal(err)
	}
	if n, err := f.ob.Flush(ctx, map[string]outbox.Sender{outbox.LogName: refusesEscalations{}}); err != nil || n != 1 {
		t.Fatalf("flush: sent %d, %v; want 1", n, err)
	}
}

// refusesEscalations takes every message but escalations, which it refuses for good.
type refusesEscalations struct{}

func (refusesEscalations) Name() string { return outbox.LogName }

func (refusesEscalations) Send(_ context.Context, m *outbox.Message) (outbox.Receipt, error) {
	if m.Cause == outbox.CauseEscalation {
		return outbox.Receipt{}, &outbox.SendError{Permanent: true, Status: 400, Code: "21211", Msg: "invalid number"}
	}
	return outbox.Receipt{ProviderID: fmt.Sprintf("SM%d", m.ID)}, nil
}

// series is the exposition of every gauge but the ages and sizes, with the seeded values.
const series = `
# HELP onestop_alert_messages Urgent alerts (cause alert) and escalations (cause escalation) in the outbound queue, by state. A role-addressed alert is expanded into one message per person on duty.
# TYPE onestop_alert_messages gauge
onestop_alert_messages{cause="alert",state="cancelled"} 0
onestop_alert_messages{cause="alert",state="dead"} 0
onestop_alert_messages{cause="alert",state="delivered"} 0
onestop_alert_messages{cause="alert",state="expanded"} 0
onestop_alert_messages{cause="alert",state="failed"} 0
onestop_alert_messages{cause="alert",state="queued"} 1
onestop_alert_messages{cause="alert",state="sending"} 0
onestop_alert_messages{cause="alert",state="sent"} 1
onestop_alert_messages{cause="escalation",state="cancelled"} 0
onestop_alert_messages{cause="escalation",state="dead"} 1
onestop_alert_messages{cause="escalation",state="delivered"} 0
onestop_alert_messages{cause="escalation",state="expanded"} 0
onestop_alert_messages{cause="escalation",state="failed"} 0
onestop_alert_messages{cause="escalation",state="queued"} 0
onestop_alert_messages{cause="escalation",state="sending"} 0
onestop_alert_messages{cause="escalation",state="sent"} 0
# HELP onestop_callbacks_due Callbacks a counsellor may place now: the contact open, inside her window, no number of hers marked do not contact.
# TYPE onestop_callbacks_due gauge
onestop_callbacks_due 1
# HELP onestop_contacts Contacts kept, by channel and urgency.
# TYPE onestop_contacts gauge
onestop_contacts{channel="sms",urgency="information"} 1
onestop_contacts{channel="sms",urgency="non-urgent"} 0
onestop_contacts{channel="sms",urgency="unclassified"} 0
onestop_contacts{channel="sms",urgency="urgent"} 0
onestop_contacts{channel="ussd",urgency="information"} 0
onestop_contacts{channel="ussd",urgency="non-urgent"} 1
onestop_contacts{channel="ussd",urgency="unclassified"} 1
onestop_contacts{channel="ussd",urgency="urgent"} 1
onestop_contacts{channel="voice",urgency="information"} 0
onestop_contacts{channel="voice",urgency="non-urgent"} 0
onestop_contacts{channel="voice",urgency="unclassified"} 0
onestop_contacts{channel="voice",urgency="urgent"} 1
# HELP onestop_urgent_alert_failed Unacknowledged urgent contacts with an alert that died, was undelivered or was never queued.
# TYPE onestop_urgent_alert_failed gauge
onestop_urgent_alert_failed 1
# HELP onestop_urgent_contacts Urgent contacts whose follow-up is kept.
# TYPE onestop_urgent_contacts gauge
onestop_urgent_contacts 4
# HELP onestop_urgent_escalated Urgent contacts escalated to the fallback list, acknowledged since or not.
# TYPE onestop_urgent_escalated gauge
onestop_urgent_escalated 2
# HELP onestop_urgent_escalation_due Unacknowledged urgent contacts due for escalation and not yet escalated; above 0 for long, the escalation sweep is not running.
# TYPE onestop_urgent_escalation_due gauge
onestop_urgent_escalation_due 1
# HELP onestop_urgent_nobody_on_duty Unacknowledged urgent contacts that arrived with nobody on the duty rota.
# TYPE onestop_urgent_nobody_on_duty gauge
onestop_urgent_nobody_on_duty 1
# HELP onestop_urgent_unacknowledged Urgent contacts nobody has acknowledged yet.
# TYPE onestop_urgent_unacknowledged gauge
onestop_urgent_unacknowledged 3
`

var seriesNames = []string{"onestop_alert_messages", "onestop_callbacks_due", "onestop_contacts", "onestop_urgent_alert_failed",
	"onestop_urgent_contacts", "onestop_urgent_escalated", "onestop_urgent_escalation_due", "onestop_urgent_nobody_on_duty",
	"onestop_urgent_unacknowledged"}

// outboxLine returns the exposition line of onestop_outbox_messages for state and audience.
func outboxLine(state, audience string, n int) string {
	return fmt.Sprintf("onestop_outbox_messages{audience=%q,state=%q} %d\n", audience, state, n)
}

func TestScrapeReportsTheCountsOfWhatIsStored(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	c := f.collector(15*time.Second, 5*time.Second)
	if err := testutil.CollectAndCompare(c, strings.NewReader(series), seriesNames...); err != nil {
		t.Error(err)
	}

	// Every state and audience is reported, at 0 when the queue holds none of it.
	want := map[[2]string]int{{"queued", "official"}: 1, {"dead", "worker"}: 1, {"sent", "counsellor"}: 1, {"dead", "counsellor"}: 1}
	var b strings.Builder
	b.WriteString("# HELP onestop_outbox_messages Messages in the outbound queue, by state and audience.\n# TYPE onestop_outbox_messages gauge\n")
	for _, a := range audiences {
		for _, s := range states {
			b.WriteString(outboxLine(string(s), string(a), want[[2]string{string(s), string(a)}]))
		}
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(b.String()), "onestop_outbox_messages"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "onestop_outbox_messages"); n != len(states)*len(audiences) {
		t.Errorf("%d outbox series, want %d", n, len(states)*len(audiences))
	}

	fi, err := os.Stat(f.db.Path())
	if err != nil {
		t.Fatal(err)
	}
	size := fmt.Sprintf("# HELP onestop_store_bytes Size of the store: the bolt file, or the PostgreSQL tables with their indexes.\n# TYPE onestop_store_bytes gauge\nonestop_store_bytes %d\n", fi.Size())
	if err := testutil.CollectAndCompare(c, strings.NewReader(size), "onestop_store_bytes"); err != nil {
		t.Error(err)
	}
	if n := testutil.CollectAndCount(c, "onestop_counts_errors_total"); n != 0 {
		t.Errorf("%d error series after reads that all worked", n)
	}
}

func TestScrapesWithinMaxAgeDoNotReadTheStoreAgain(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	c := f.collector(15*time.Second, 5*time.Second)
	f.store.views.Store(0)

	if err := testutil.CollectAndCompare(c, strings.NewReader(series), seriesNames...); err != nil {
		t.Fatal(err)
	}
	// One read each of the queue, the contacts and the follow-ups: nothing is walked twice.
	if n := f.store.views.Load(); n != 3 {
		t.Fatalf("first scrape opened %d reads, want 3", n)
	}

	// A contact comes in; a scrape 14 s later still answers from the first read.
	f.advance(14 * time.Second)
	if err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		return f.cases.Put(tx, &onestop.Contact{Channel: onestop.SMS, Urgency: onestop.Information, Status: onestop.Done, Country: "BD", Time: f.db.Now()})
	}); err != nil {
		t.Fatal(err)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(series), seriesNames...); err != nil {
		t.Error(err)
	}
	if n := f.store.views.Load(); n != 3 {
		t.Errorf("a scrape within the cache window opened %d more reads", n-3)
	}
	age := "# HELP onestop_counts_age_seconds Age of the counts this scrape reports.\n# TYPE onestop_counts_age_seconds gauge\nonestop_counts_age_seconds 14\n"
	if err := testutil.CollectAndCompare(c, strings.NewReader(age), "onestop_counts_age_seconds"); err != nil {
		t.Error(err)
	}

	// Past the window, the store is read again and the new contact counted.
	f.advance(2 * time.Second)
	if got := testutil.ToFloat64(gaugeOf(t, c, "onestop_contacts", "sms", "information")); got != 2 {
		t.Errorf("sms/information = %v after the cache expired, want 2", got)
	}
	if n := f.store.views.Load(); n != 6 {
		t.Errorf("after the cache expired the scrape opened %d reads in all, want 6", n)
	}
}

func TestAScrapeOnASlowStoreAnswersFromTheLastRead(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	c := f.collector(15*time.Second, 50*time.Millisecond)
	if err := testutil.CollectAndCompare(c, strings.NewReader(series), seriesNames...); err != nil {
		t.Fatal(err)
	}

	f.store.block.Store(true)
	f.store.views.Store(0)
	f.advance(time.Minute)
	begun := time.Now()
	for range 3 {
		if err := testutil.CollectAndCompare(c, strings.NewReader(series), seriesNames...); err != nil {
			t.Error(err)
		}
	}
	if took := time.Since(begun); took > 2*time.Second {
		t.Errorf("three scrapes on a stuck store took %v", took)
	}
	// The scrapes piled up behind one read; none opened a transaction of its own.
	if n := f.store.views.Load(); n != 1 {
		t.Errorf("scrapes on a stuck store opened %d reads, want the 1 in flight", n)
	}
	close(f.store.release)
	f.store.block.Store(false)
}

func TestACountThatFailsIsLeftOutAndCounted(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	c := f.collector(15*time.Second, 5*time.Second)
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(c, seriesNames...); n != 0 {
		t.Errorf("%d series from a closed store, want none", n)
	}
	errs := `
# HELP onestop_counts_errors_total Reads of the helpline's counts that failed, by source; a failed source's gauges are left out of that scrape.
# TYPE onestop_counts_errors_total counter
onestop_counts_errors_total{source="contacts"} 1
onestop_counts_errors_total{source="outbox"} 1
onestop_counts_errors_total{source="urgent"} 1
`
	if err := testutil.CollectAndCompare(c, strings.NewReader(errs), "onestop_counts_errors_total"); err != nil {
		t.Error(err)
	}
}

func TestServedAtTheGatewaysMetrics(t *testing.T) {
	f := newFixture(t)
	f.seed(t)
	g := gateway.New(gateway.Config{Log: f.log}, store.Health{Store: f.db})
	if _, err := Register(g.Metrics.Registry, Config{Outbox: f.ob, Cases: f.cases, Alerts: f.al, Size: FileSize(f.db.Path()), Now: f.db.Now, Log: f.log}); err != nil {
		t.Fatal(err)
	}
	resp, err := g.App.Test(httptest.NewRequest("GET", "/metrics", nil), 5000)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, b)
	}
	for _, line := range []string{"onestop_urgent_unacknowledged 3", "onestop_callbacks_due 1",
		`onestop_outbox_messages{audience="official",state="queued"} 1`, "go_goroutines", "onestop_store_bytes "} {
		if !strings.Contains(string(b), line) {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	// Counts only: no number, reference or word of hers.
	for _, secret := range []string{"8801711", f.firstRef, "Please call"} {
		if strings.Contains(string(b), secret) {
			t.Errorf("/metrics shows %q", secret)
		}
	}
}

// gaugeOf returns the one series of name with labels, read through a scrape of c.
func gaugeOf(t *testing.T, c prometheus.Collector, name string, labels ...string) prometheus.Collector {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			got := make([]string, 0, len(m.GetLabel()))
			for _, l := range m.GetLabel() {
				got = append(got, l.GetValue())
			}
			if strings.Join(got, ",") == strings.Join(labels, ",") {
				g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name})
				g.Set(m.GetGauge().GetValue())
				return g
			}
		}
	}
	t.Fatalf("no series %s{%v}", name, labels)
	return nil
}
