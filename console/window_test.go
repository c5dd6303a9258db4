package console

import (
	"context"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// Outside her window, a counsellor can neither reveal her number nor record a call; a
// supervisor can, with a reason of her own, and the reason is audited with the act.
func TestOutsideHerWindowOnlyASupervisorMayActWithAReason(t *testing.T) {
	ctx := context.Background()
	const reason = "calling her back as she asked"
	const override = "her sister called: she wants the call today"
	tests := []struct {
		name, who, path string
		form            url.Values
		want            int
		says            string
		acted           bool
	}{
		{"counsellor reveals", "cara", "reveal", url.Values{"reason": {reason}, "override": {override}}, 409, "Outside the hours she chose", false},
		{"counsellor records", "cara", "attempt", url.Values{"outcome": {"reached"}, "override": {override}}, 409, "Outside the hours she chose", false},
		{"supervisor reveals without saying why", "sara", "reveal", url.Values{"reason": {reason}}, 400, "outside her hours", false},
		{"supervisor records with too short a reason", "sara", "attempt", url.Values{"outcome": {"reached"}, "override": {"she said"}}, 400, "outside her hours", false},
		{"supervisor reveals", "sara", "reveal", url.Values{"reason": {reason}, "override": {override}}, 200, "+919876543210", true},
		{"supervisor records", "sara", "attempt", url.Values{"outcome": {"reached"}, "override": {override}}, 303, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			ct := f.later // her window opens in eight hours
			path := "/console/case/" + ct.Ref + "/reveal"
			if tt.path == "attempt" {
				path = "/console/callbacks/" + ct.Ref
			}
			before := f.auditCount(ctx)
			r := f.post(f.login(tt.who), path, tt.form)
			if r.status != tt.want || !strings.Contains(r.body, tt.says) {
				t.Fatalf("POST %s: %d\n%s", path, r.status, r.body)
			}
			got, _ := f.cases.Contact(ctx, ct.ID)
			if !tt.acted {
				if f.auditCount(ctx) != before || strings.Contains(r.body, "+919876543210") || got.Status != onestop.Open {
					t.Fatal("a refused act was done or audited")
				}
				return
			}
			es, err := f.cases.AuditLog(ctx, casebook.AuditFilter{Limit: 2})
			if err != nil || len(es) != 2 || f.auditCount(ctx) != before+2 {
				t.Fatalf("audit %+v %v", es, err)
			}
			act, ov := es[0], es[1]
			wantAct, wantDetail := casebook.AuditCaseReveal, "reveal"
			if tt.path == "attempt" {
				wantAct, wantDetail = casebook.AuditCallback, "callback"
			}
			if ov.Action != casebook.AuditOverride || ov.Note != override || ov.Actor != "sara" || ov.Detail != wantDetail ||
				ov.Subject != casebook.Subject(ct) || act.Action != wantAct {
				t.Fatalf("entries %+v %+v", ov, act)
			}
			if tt.path == "attempt" && got.Status != onestop.Done {
				t.Fatalf("after the attempt: %s", got.Status)
			}
			// The reason is on her timeline, and sealed in the file.
			page := f.do(f.login("sara"), "GET", "/console/case/"+ct.Ref, nil)
			if !strings.Contains(page.body, override) || !strings.Contains(page.body, "sara acted outside her hours") {
				t.Fatalf("timeline:\n%s", page.body)
			}
			f.assertNotInFile("sister called", "she wants the call")
		})
	}
	// In her window a counsellor needs no override (the queue's own form).
	f := newFixture(t)
	if r := f.post(f.login("cara"), "/console/callbacks/"+f.due.Ref, url.Values{"outcome": {"no-answer"}}); r.status != 303 {
		t.Fatalf("in her window: %d\n%s", r.status, r.body)
	}
	// After her window closes, the same attempt is refused.
	f.clock.Add(time.Hour)
	if r := f.post(f.login("cara"), "/console/callbacks/"+f.due.Ref, url.Values{"outcome": {"no-answer"}}); r.status != 409 {
		t.Fatalf("after her window: %d\n%s", r.status, r.body)
	}
}

// The case page offers a supervisor the override, and a counsellor only the notice.
func TestCasePageOutsideHerWindow(t *testing.T) {
	f := newFixture(t)
	path := "/console/case/" + f.later.Ref
	if r := f.do(f.login("cara"), "GET", path, nil); !strings.Contains(r.body, `id="outside"`) || strings.Contains(r.body, `/reveal"`) || strings.Contains(r.body, `name="override"`) {
		t.Fatalf("counsellor's page:\n%s", r.body)
	}
	if r := f.do(f.login("sara"), "GET", path, nil); !strings.Contains(r.body, `name="override"`) || !strings.Contains(r.body, `action="/console/callbacks/`+f.later.Ref+`"`) {
		t.Fatalf("supervisor's page:\n%s", r.body)
	}
	if r := f.do(f.login("cara"), "GET", "/console/case/"+f.due.Ref, nil); strings.Contains(r.body, `id="outside"`) || !strings.Contains(r.body, `/reveal"`) {
		t.Fatalf("in her window:\n%s", r.body)
	}
}

// The referrals page shows the worker's number masked, masks any number in what was written,
// and its view is audited before anything is sent.
func TestReferralsPageMasksNumbersAndIsAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		return f.cases.PutReferral(tx, &onestop.Referral{Time: start, Updated: start, Channel: onestop.SMS, Country: "BD", Status: onestop.Received,
			Lang: onestop.Bengali, Worker: "+8801911000999", Place: "near 01711 555 444", Need: "call her sister on +880 1811-222333 or ০১৭১১৫৫৫৪৪৪, case R1234567"})
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"cara", "sara"} {
		before := f.auditCount(ctx)
		r := f.do(f.login(who), "GET", "/console/referrals", nil)
		if r.status != 200 {
			t.Fatalf("%s: %d", who, r.status)
		}
		for _, whole := range []string{"1811000009", "1911000999", "1711555444", "01711 555 444", "1811-222333", "০১৭১১৫৫৫৪৪৪"} {
			if strings.Contains(r.body, whole) {
				t.Fatalf("the page shows %q:\n%s", whole, r.body)
			}
		}
		for _, masked := range []string{"+880 18** ***009", "+880 19** ***999", "***** *** 444", "call her sister", "R1234567"} {
			if !strings.Contains(r.body, masked) {
				t.Fatalf("the page lacks %q:\n%s", masked, r.body)
			}
		}
		if e := f.lastAudit(ctx); f.auditCount(ctx) != before+1 || e.Action != casebook.AuditReferralView || e.Actor != who || e.Detail != "2 rows, status any" {
			t.Fatalf("view not audited: %+v", e)
		}
	}
}

func TestMaskNumbers(t *testing.T) {
	for in, want := range map[string]string{
		"":                             "",
		"no numbers here":              "no numbers here",
		"call 01711555444 now":         "call ********444 now",
		"+880 1711-555444":             "+*** ****-***444",
		"R1234567 and 2026":            "R1234567 and 2026",
		"١٢٣٤٥٦٧٨٩":                    "******٧٨٩",
		"house 12, road 5, 1207 Dhaka": "house 12, road 5, 1207 Dhaka",
	} {
		if got := maskNumbers(in); got != want {
			t.Errorf("maskNumbers(%q) = %q, want %q", in, got, want)
		}
	}
}

// A referral's status moves only as casebook allows: a closed referral is never re-opened,
// and a refused move changes nothing.
func TestReferralMovesFollowTheirRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.login("sara")
	id := "/console/referrals/1"
	steps := []struct {
		form   url.Values
		want   int
		status onestop.ReferralStatus
	}{
		{url.Values{"status": {"contacted"}}, 409, onestop.Received},
		{url.Values{"status": {"closed"}}, 409, onestop.Received},
		{url.Values{"status": {"assigned"}}, 400, onestop.Received}, // to no centre
		{url.Values{"status": {"declined"}, "centre": {"bd-occ-dhaka"}}, 400, onestop.Received},
		{url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}}, 303, onestop.Assigned},
		{url.Values{"status": {"received"}}, 409, onestop.Assigned},
		{url.Values{"status": {"contacted"}, "note": {"met her"}}, 303, onestop.Contacted},
		{url.Values{"status": {"closed"}}, 303, onestop.Closed},
		{url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}}, 409, onestop.Closed},
		{url.Values{"status": {"received"}}, 409, onestop.Closed},
		{url.Values{"status": {"declined"}}, 409, onestop.Closed},
	}
	for _, st := range steps {
		before := f.auditCount(ctx)
		r := f.post(s, id, st.form)
		if r.status != st.want {
			t.Fatalf("%v: %d, want %d\n%s", st.form, r.status, st.want, r.body)
		}
		got, err := f.cases.ReferralByRef(ctx, f.referral.Ref)
		if err != nil || got.Status != st.status {
			t.Fatalf("after %v: %+v %v", st.form, got, err)
		}
		if (f.auditCount(ctx) > before) != (st.want == 303) {
			t.Fatalf("after %v: audited %v", st.form, f.auditCount(ctx) > before)
		}
	}
	got, _ := f.cases.ReferralByRef(ctx, f.referral.Ref)
	if len(got.History) != 3 || got.History[1].Note != "met her" {
		t.Fatalf("history %+v", got.History)
	}
	// A closed referral's row offers no move.
	r := f.do(s, "GET", "/console/referrals", nil)
	if strings.Contains(r.body, `action="/console/referrals/1"`) {
		t.Fatalf("a closed referral is offered a move:\n%s", r.body)
	}
}

// Console notes, reasons and referral notes are sealed in the file, in any form.
func TestConsoleWordsAreSealedInTheFile(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	if r := f.post(s, "/console/case/"+f.due.Ref+"/note", url.Values{"note": {"Nasima says her husband took the phone"}}); r.status != 303 {
		t.Fatalf("note: %d", r.status)
	}
	if r := f.post(s, "/console/case/"+f.due.Ref+"/reveal", url.Values{"reason": {"Calling Nasima back now"}}); r.status != 200 {
		t.Fatalf("reveal: %d", r.status)
	}
	if r := f.post(s, "/console/exports/identified", url.Values{"reason": {"Tribunal order Kushtia"}}); r.status != 200 {
		t.Fatalf("export: %d", r.status)
	}
	if r := f.post(s, "/console/referrals/1", url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}, "note": {"Phoned Rahima at the ward"}}); r.status != 303 {
		t.Fatalf("referral: %d", r.status)
	}
	f.assertNotInFile("Nasima", "husband", "Tribunal", "Kushtia", "Rahima", "ward", "Mirpur", "needs shelter", "1711000001", "1811000009")
}

// assertNotInFile closes the database and fails for each word found in its file, as written,
// lower or upper case, in UTF-8 or UTF-16 either way round.
func (f *fixture) assertNotInFile(words ...string) {
	f.t.Helper()
	path := f.db.Path()
	f.db.Close()
	raw, err := os.ReadFile(path)
	if err != nil {
		f.t.Fatal(err)
	}
	for _, w := range words {
		for _, v := range []string{w, strings.ToLower(w), strings.ToUpper(w)} {
			var le, be []byte
			for _, c := range v {
				le, be = append(le, byte(c), byte(c>>8)), append(be, byte(c>>8), byte(c))
			}
			for _, form := range [][]byte{[]byte(v), le, be} {
				if strings.Contains(string(raw), string(form)) {
					f.t.Errorf("%q is in the file as %q", w, form)
				}
			}
		}
	}
}

// With the texts' centre codes wired in, the referrals page shows a centre's code beside its
// name, so staff know which centre a worker's text means.
func TestReferralsPageShowsTheCentreCode(t *testing.T) {
	f := newFixture(t)
	f.cs.cfg.CentreCode = func(id string) string { return "CODE-" + id }
	if r := f.post(f.login("sara"), "/console/referrals/1", url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}}); r.status != 303 {
		t.Fatalf("assign: %d", r.status)
	}
	if r := f.do(f.login("sara"), "GET", "/console/referrals", nil); !strings.Contains(r.body, "CODE-bd-occ-dhaka") {
		t.Fatalf("no centre code:\n%s", r.body)
	}
}
