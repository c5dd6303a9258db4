package console

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// putFollowUp gives the fixture's urgent contact a follow-up, as the alert hook does.
func (f *fixture) putFollowUp(fu *casebook.FollowUp) {
	f.t.Helper()
	if err := f.db.Update(context.Background(), func(tx onestop.Tx) error { return f.cases.PutFollowUp(tx, fu) }); err != nil {
		f.t.Fatal(err)
	}
}

// TestTodaySaysInRedWhenNobodyIsOnDuty: with nobody on duty the Today page says so in red; with
// someone, it names them, masked.
func TestTodaySaysInRedWhenNobodyIsOnDuty(t *testing.T) {
	f := newFixture(t)
	s := f.login("cara")
	on := []string{}
	f.cs.cfg.OnDuty = func(context.Context, time.Time) ([]string, error) { return on, nil }
	r := f.do(s, "GET", "/console/", nil)
	if r.status != 200 || !strings.Contains(r.body, `class="alarm" id="nobody-on-duty"`) || !strings.Contains(r.body, "Nobody is on duty now") {
		t.Fatalf("nobody on duty: %d\n%s", r.status, r.body)
	}
	on = []string{"+880 19** ***301"}
	r = f.do(s, "GET", "/console/", nil)
	if strings.Contains(r.body, "nobody-on-duty") || !strings.Contains(r.body, "On duty now:") || !strings.Contains(r.body, "+880 19** ***301") {
		t.Fatalf("someone on duty:\n%s", r.body)
	}
	// In Bengali too.
	f.post(s, "/console/lang", url.Values{"lang": {"bn"}})
	on = nil
	if r = f.do(s, "GET", "/console/", nil); !strings.Contains(r.body, "এখন কেউ ডিউটিতে নেই") {
		t.Fatalf("Bengali:\n%s", r.body)
	}
}

// TestUrgentContactIsAcknowledgedOnTodayAndAudited: an unacknowledged urgent contact is on Today,
// escalated ones marked with what went wrong; acknowledging needs the form's CSRF token, is
// audited once, and takes it off the list.
func TestUrgentContactIsAcknowledgedOnTodayAndAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.putFollowUp(&casebook.FollowUp{ContactID: f.due.ID, Ref: f.due.Ref, Country: "BD", Area: "BD-13", Since: start.Add(-15 * time.Minute),
		Escalated: start, EscalatedWhy: "not acknowledged within 10m0s", Failed: true, Problems: []casebook.Problem{{Code: casebook.NotQueued, What: "alert, role duty", Detail: "test"}}})
	s := f.login("cara")
	r := f.do(s, "GET", "/console/", nil)
	section := r.body[strings.Index(r.body, `id="unacknowledged"`):]
	section = section[:strings.Index(section, "</section>")]
	if !strings.Contains(section, f.due.Ref) || !strings.Contains(section, "Escalated") || !strings.Contains(section, "alert, role duty: not queued: test") ||
		!strings.Contains(section, `action="/console/case/`+f.due.Ref+`/ack"`) {
		t.Fatalf("Today's unacknowledged section:\n%s", section)
	}
	// The case page says the same and offers the acknowledgement.
	if r = f.do(s, "GET", "/console/case/"+f.due.Ref, nil); !strings.Contains(r.body, `id="follow-up"`) || !strings.Contains(r.body, "Nobody has acknowledged") {
		t.Fatalf("case page:\n%s", r.body)
	}
	before := f.auditCount(ctx)
	if r = f.do(s, "POST", "/console/case/"+f.due.Ref+"/ack", url.Values{"csrf": {"wrong"}}); r.status != 403 {
		t.Fatalf("acknowledgement without the CSRF token: %d", r.status)
	}
	if r = f.post(s, "/console/case/"+f.due.Ref+"/ack", url.Values{"from": {"case"}}); r.status != 303 || r.header.Get("Location") != "/console/case/"+f.due.Ref {
		t.Fatalf("acknowledge: %d %s", r.status, r.header.Get("Location"))
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditUrgentAck || e.Actor != "cara" || e.Subject != "contact:"+f.due.Ref {
		t.Fatalf("audit entry %+v", e)
	}
	f.post(s, "/console/case/"+f.due.Ref+"/ack", nil) // twice: one entry
	if n := f.auditCount(ctx); n != before+1 {
		t.Fatalf("%d audit entries after acknowledging twice, want %d", n, before+1)
	}
	r = f.do(s, "GET", "/console/", nil)
	section = r.body[strings.Index(r.body, `id="unacknowledged"`):]
	if section = section[:strings.Index(section, "</section>")]; strings.Contains(section, f.due.Ref) {
		t.Fatalf("still unacknowledged on Today:\n%s", section)
	}
	if r = f.do(s, "GET", "/console/case/"+f.due.Ref, nil); !strings.Contains(r.body, "Acknowledged by cara") {
		t.Fatalf("case page after acknowledging:\n%s", r.body)
	}
	// An administrator sees no survivor's case, and acknowledges none.
	if r = f.post(f.login("ada"), "/console/case/"+f.due.Ref+"/ack", nil); r.status != 403 {
		t.Fatalf("an administrator acknowledging: %d", r.status)
	}
	// A contact that is not urgent has nothing to acknowledge.
	if r = f.post(s, "/console/case/"+f.later.Ref+"/ack", nil); r.status != 404 {
		t.Fatalf("acknowledging a non-urgent contact: %d", r.status)
	}
}
