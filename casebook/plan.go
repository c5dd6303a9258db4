package casebook

import (
	"fmt"
	"time"

	"github.com/onestop-helpline/onestop"
)

// PlanSummary says in a few words what she agreed to, for staff: whether a call may be made,
// to which of her numbers, and her window in her own time, which is what a counsellor must keep
// to. It never gives the number itself.
func PlanSummary(p *onestop.SafeContactPlan) string {
	switch {
	case p == nil:
		return "-"
	case !p.MayCall:
		return "do not call"
	}
	who := "this number"
	if p.OtherNumber {
		who = "another number"
	}
	loc, err := onestop.LoadZone(p.TZ)
	if err != nil {
		loc = time.UTC
	}
	return fmt.Sprintf("call %s, %s %s–%s %s", who, p.Window,
		p.Opens.In(loc).Format("01-02 15:04"), p.Closes.In(loc).Format("15:04"), loc)
}
