package console

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
)

// A counsellor opens from her lists without a reason; a case no list shows needs a reason,
// which is audited before the page, and the refusal is the same whether the case exists or not.
func TestOpeningACaseByReferenceNeedsAReason(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cara := f.login("cara")
	// f.info is three days old, with no plan and no follow-up: on no list of hers.
	old := "/console/case/" + f.info.Ref
	for _, tt := range []struct {
		path string
		want int
		body string
	}{
		{old, 403, "This case is not on your lists"},
		{old + "?reason=short", 403, "This case is not on your lists"},
		{"/console/case/" + "7442346", 403, "This case is not on your lists"},
		{"/console/case/" + "7442346" + "?reason=she+gave+it+on+the+phone", 404, "Not found."},
	} {
		before := f.auditCount(ctx)
		r := f.do(cara, "GET", tt.path, nil)
		if r.status != tt.want || !strings.Contains(r.body, tt.body) {
			t.Fatalf("%s: %d, want %d %q\n%s", tt.path, r.status, tt.want, tt.body, r.body)
		}
		if strings.Contains(r.body, f.info.Masked) || f.auditCount(ctx) != before {
			t.Fatalf("%s: a refused open showed the case or wrote the audit log", tt.path)
		}
	}
	r := f.do(cara, "GET", old+"?reason=she+called+and+gave+her+number", nil)
	if r.status != 200 || !strings.Contains(r.body, f.info.Masked) {
		t.Fatalf("with a reason: %d\n%s", r.status, r.body)
	}
	es, err := f.cases.AuditLog(ctx, casebook.AuditFilter{Limit: 2})
	if err != nil || len(es) != 2 || es[1].Action != casebook.AuditCaseOpen || es[1].Note != "she called and gave her number" ||
		es[1].Actor != "cara" || es[1].Subject != "contact:"+f.info.Ref || es[0].Action != casebook.AuditCaseView {
		t.Fatalf("audit: %+v %v", es, err)
	}
	// From her lists: a case due now, and any contact of the last two days.
	for _, ref := range []string{f.due.Ref, f.later.Ref} {
		if r := f.do(cara, "GET", "/console/case/"+ref, nil); r.status != 200 {
			t.Fatalf("listed case %s: %d", ref, r.status)
		}
	}
	f.clock.Add(49 * time.Hour) // f.later's window has passed, and it is no longer recent
	cara = f.login("cara")
	if r := f.do(cara, "GET", "/console/case/"+f.later.Ref, nil); r.status != 403 {
		t.Fatalf("a case that left her lists: %d", r.status)
	}
	// A supervisor reviews the whole log by her role.
	if r := f.do(f.login("sara"), "GET", old, nil); r.status != 200 {
		t.Fatalf("supervisor: %d", r.status)
	}
}
