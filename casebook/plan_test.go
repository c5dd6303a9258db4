package casebook_test

import (
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// The summary staff read is her window in her own zone, and never the number she gave.
func TestPlanSummary(t *testing.T) {
	opens := time.Date(2026, 11, 23, 11, 0, 0, 0, time.UTC) // 17:00 in Dhaka
	p := &onestop.SafeContactPlan{MayCall: true, OtherNumber: true, Number: "+8801711000999", Window: onestop.Evening,
		TZ: "Asia/Dhaka", Opens: opens, Closes: opens.Add(4 * time.Hour)}
	if got, want := casebook.PlanSummary(p), "call another number, evening 11-23 17:00–21:00 Asia/Dhaka"; got != want {
		t.Errorf("PlanSummary = %q, want %q", got, want)
	}
	if got := casebook.PlanSummary(p); strings.Contains(got, "1711000999") {
		t.Errorf("the summary shows her number: %q", got)
	}
	if got := casebook.PlanSummary(&onestop.SafeContactPlan{}); got != "do not call" {
		t.Errorf("no call: %q", got)
	}
	if got := casebook.PlanSummary(nil); got != "-" {
		t.Errorf("no plan: %q", got)
	}
}
