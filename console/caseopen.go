package console

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
)

// A counsellor opens the cases her lists show her: the callback queue and the Today page (the
// urgent follow-ups, the contacts of the last two days, the callbacks due). Any other case she
// opens by its reference, with a reason that goes to the audit log before the page is sent, so
// that looking up a neighbour's case by a number overheard is never silent. A supervisor, who
// reviews the whole contact log by her role, opens any case; her views are audited as before.

// listedTodayFor is how far back the Today page lists contacts.
const listedTodayFor = 48 * time.Hour

// reasonToOpen is the refusal of a case that no list showed and no reason came with. It is the
// same for a case that does not exist, so a refusal tells nothing about which references exist.
const reasonToOpen = "This case is not on your lists. To open it by its reference, give a reason of at least 10 characters (it goes to the audit log)."

// listed reports whether ct is on one of the lists a counsellor works from.
func (cs *Console) listed(c *fiber.Ctx, ct *onestop.Contact) (bool, error) {
	ctx, now := c.UserContext(), cs.db.Now()
	if now.Sub(ct.Time) <= listedTodayFor {
		return true, nil
	}
	if casebook.Due(ct, now) && cs.cases.MayCall(ctx, ct, now) {
		return true, nil
	}
	follow, err := cs.cases.Unacknowledged(ctx)
	if err != nil {
		return false, err
	}
	for _, f := range follow {
		if f.ContactID == ct.ID {
			return true, nil
		}
	}
	return false, nil
}

// openByRef lets a case page through when the case is on the counsellor's lists, or when a
// reason came with the request (?reason=…), which it audits first. Otherwise it answers 403
// with what to do.
func (cs *Console) openByRef(c *fiber.Ctx) error {
	// A malformed reference (a wrong check digit) can name no case: it says nothing about which
	// exist, and is answered 404 at once, as before.
	if can(user(c), seeLog) || !casebook.ValidRef(c.Params("ref")) {
		return c.Next()
	}
	ct, err := cs.loadCase(c)
	if err != nil && onestop.ErrorCode(err) != onestop.ENOTFOUND {
		return cs.fail(c, err)
	}
	if ct != nil {
		ok, err := cs.listed(c, ct)
		if err != nil {
			return cs.fail(c, err)
		}
		if ok {
			return c.Next()
		}
	}
	reason := strings.TrimSpace(c.Query("reason"))
	if len([]rune(reason)) < minReason || len(reason) > 1000 {
		v := cs.view(c, "err.title", nil)
		v.Error = reasonToOpen
		return cs.render(c, fiber.StatusForbidden, "error", v)
	}
	if ct == nil {
		return cs.fail(c, err)
	}
	if err := cs.audit(c, casebook.AuditCaseOpen, casebook.Subject(ct), "by reference", reason); err != nil {
		return cs.fail(c, err)
	}
	return c.Next()
}
