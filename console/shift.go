package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/staff"
)

// What operators change during a shift: the duty rota and the fallback list, the community
// workers, the district officials and the outbox. Each page acts through the same staff and
// outbox calls as the command line, each change is audited, and no page carries a whole number:
// a row's form names it by an id keyed with a secret of this process (rowID), and a number typed
// into a form is never written back.

// The audit actions of these pages.
const (
	AuditDutySet         = "duty.set"
	AuditDutyOff         = "duty.off"
	AuditDutyClear       = "duty.clear"
	AuditFallbackAdd     = "fallback.add"
	AuditFallbackRemove  = "fallback.remove"
	AuditWorkerAdd       = "worker.add"
	AuditWorkerRemove    = "worker.remove"
	AuditOfficialsImport = "officials.import"
	AuditOutboxRetry     = "outbox.retry"
	AuditOutboxDrop      = "outbox.drop"
)

// offered reports whether the page at href has what it needs.
func (cs *Console) offered(href string) bool {
	switch href {
	case "/console/duty", "/console/workers", "/console/officials":
		return cs.cfg.Staff != nil
	case "/console/outbox":
		return cs.cfg.Outbox != nil
	}
	return true
}

func (cs *Console) registerShift(g fiber.Router) {
	if cs.cfg.Staff != nil {
		need := cs.need(manageShift)
		g.Get("/duty", need, cs.dutyPage)
		g.Post("/duty", need, cs.setDuty)
		g.Post("/duty/clear", need, cs.clearRota)
		g.Post("/duty/:row/off", need, cs.takeOffDuty)
		g.Post("/fallback", need, cs.addFallback)
		g.Post("/fallback/:row/remove", need, cs.removeFallback)
		g.Get("/workers", need, cs.workersPage)
		g.Post("/workers", need, cs.addWorker)
		g.Post("/workers/:row/remove", need, cs.removeWorker)
		g.Get("/officials", need, cs.officialsPage)
		g.Post("/officials/import", need, cs.importOfficials)
	}
	if cs.cfg.Outbox != nil {
		need := cs.need(manageShift)
		g.Get("/outbox", need, cs.outboxPage)
		g.Post("/outbox/:id/retry", need, cs.retryMessage)
		g.Post("/outbox/:id/drop", need, cs.dropMessage)
	}
}

// rowID names the row of number on a page without showing it.
func (cs *Console) rowID(number string) string {
	m := hmac.New(sha256.New, cs.rowKey)
	m.Write([]byte(number))
	return hex.EncodeToString(m.Sum(nil))[:20]
}

// formNumber reads the number typed into field: in international form and valid, or EINVALID
// with a reason that does not repeat what was typed.
func formNumber(c *fiber.Ctx, field string) (string, string, error) {
	n, err := staff.ParseNumber(c.FormValue(field))
	if err != nil {
		return "", "", onestop.Errorf(onestop.EINVALID, "give a valid number in international form, +880…")
	}
	return n.E164, n.Mask(), nil
}

func formLang(c *fiber.Ctx) (onestop.Lang, error) {
	lang := onestop.Lang(c.FormValue("lang"))
	if !lang.Valid() {
		return "", onestop.Errorf(onestop.EINVALID, "choose a language: bn, hi, ar or en")
	}
	return lang, nil
}

var helplineLangs = []onestop.Lang{onestop.Bengali, onestop.Hindi, onestop.Arabic, onestop.English}

type rotaRow struct {
	ID, Masked, Zone, Shifts string
	Lang                     onestop.Lang
	On                       bool
	Since                    time.Time
}

type fallbackRow struct {
	ID, Masked string
	Lang       onestop.Lang
	Since      time.Time
}

type dutyData struct {
	Rota     []rotaRow
	OnNow    []string
	Fallback []fallbackRow
	Langs    []onestop.Lang
}

func (cs *Console) dutyPage(c *fiber.Ctx) error {
	r, err := cs.cfg.Staff.Roster(c.UserContext())
	if err != nil {
		return cs.fail(c, err)
	}
	on := staff.OnDuty(r.Rota, cs.db.Now())
	d := &dutyData{Langs: helplineLangs}
	for _, e := range r.Rota {
		row := rotaRow{ID: cs.rowID(e.Number), Masked: e.Masked, Zone: e.TZ, Lang: e.Lang, On: slices.Contains(on, e), Since: e.Since}
		if len(e.Shifts) > 0 {
			row.Shifts = staff.JoinShifts(e.Shifts)
		}
		d.Rota = append(d.Rota, row)
	}
	for _, e := range on {
		d.OnNow = append(d.OnNow, e.Masked)
	}
	for _, e := range r.Fallback {
		d.Fallback = append(d.Fallback, fallbackRow{ID: cs.rowID(e.Number), Masked: e.Masked, Lang: e.Lang, Since: e.Since})
	}
	return cs.render(c, fiber.StatusOK, "duty", cs.view(c, "duty.title", d))
}

// setDuty puts a counsellor on the rota as 'onestop duty set' does: shifts (DAYS/HH:MM-HH:MM,
// a space between) need the zone their hours are in; none puts her alone on duty at all hours.
func (cs *Console) setDuty(c *fiber.Ctx) error {
	number, masked, err := formNumber(c, "number")
	if err != nil {
		return cs.fail(c, err)
	}
	lang, err := formLang(c)
	if err != nil {
		return cs.fail(c, err)
	}
	tz := strings.TrimSpace(c.FormValue("tz"))
	var shifts []staff.Shift
	for _, s := range strings.Fields(c.FormValue("shifts")) {
		sh, err := staff.ParseShift(s)
		if err != nil {
			return cs.fail(c, onestop.Errorf(onestop.EINVALID, "shift %q: want DAYS/HH:MM-HH:MM, such as mon-fri/08:00-16:00", s))
		}
		shifts = append(shifts, sh)
	}
	switch {
	case len(shifts) > 0 && tz == "":
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "shifts need the zone their hours are in (Asia/Dhaka, say)"))
	case len(shifts) == 0 && tz != "":
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "a zone without shifts: give the shifts its hours are for"))
	case tz != "" && !staff.ValidZone(tz):
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "%q is not an IANA time zone such as Asia/Dhaka", tz))
	}
	e := &staff.Counsellor{Number: number, Masked: masked, Lang: lang, TZ: tz, Shifts: shifts, Since: cs.db.Now()}
	if err := cs.cfg.Staff.SetDuty(c.UserContext(), e); err != nil {
		return cs.fail(c, err)
	}
	detail := "at all hours, alone"
	if len(shifts) > 0 {
		detail = staff.JoinShifts(shifts) + " " + tz
	}
	return cs.audited(c, AuditDutySet, masked, detail+", "+string(lang), "/console/duty?done=duty")
}

func (cs *Console) clearRota(c *fiber.Ctx) error {
	if err := cs.cfg.Staff.ClearRota(c.UserContext()); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, AuditDutyClear, "rota", "everyone taken off the rota", "/console/duty?done=duty")
}

// rosterRow finds the rota (fallback false) or fallback entry whose row id is the route's.
func (cs *Console) rosterRow(c *fiber.Ctx, fallback bool) (number, masked string, err error) {
	r, err := cs.cfg.Staff.Roster(c.UserContext())
	if err != nil {
		return "", "", err
	}
	id := c.Params("row")
	if fallback {
		for _, e := range r.Fallback {
			if hmac.Equal([]byte(cs.rowID(e.Number)), []byte(id)) {
				return e.Number, e.Masked, nil
			}
		}
		return "", "", onestop.Errorf(onestop.ENOTFOUND, "that number is not on the fallback list")
	}
	for _, e := range r.Rota {
		if hmac.Equal([]byte(cs.rowID(e.Number)), []byte(id)) {
			return e.Number, e.Masked, nil
		}
	}
	return "", "", onestop.Errorf(onestop.ENOTFOUND, "that counsellor is not on the rota")
}

func (cs *Console) takeOffDuty(c *fiber.Ctx) error {
	number, masked, err := cs.rosterRow(c, false)
	if err != nil {
		return cs.fail(c, err)
	}
	if err := cs.cfg.Staff.TakeOffDuty(c.UserContext(), number); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, AuditDutyOff, masked, "taken off the rota", "/console/duty?done=duty")
}

func (cs *Console) addFallback(c *fiber.Ctx) error {
	number, masked, err := formNumber(c, "number")
	if err != nil {
		return cs.fail(c, err)
	}
	lang, err := formLang(c)
	if err != nil {
		return cs.fail(c, err)
	}
	if err := cs.cfg.Staff.AddFallback(c.UserContext(), &staff.Fallback{Number: number, Masked: masked, Lang: lang, Since: cs.db.Now()}); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, AuditFallbackAdd, masked, string(lang), "/console/duty?done=duty")
}

func (cs *Console) removeFallback(c *fiber.Ctx) error {
	number, masked, err := cs.rosterRow(c, true)
	if err != nil {
		return cs.fail(c, err)
	}
	if err := cs.cfg.Staff.RemoveFallback(c.UserContext(), number); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, AuditFallbackRemove, masked, "off the fallback list", "/console/duty?done=duty")
}

// audited writes the audit entry of a change just made and sends the browser to next. The
// staff and outbox calls write in their own transaction, so the entry follows in the next.
func (cs *Console) audited(c *fiber.Ctx, action, subject, detail, next string) error {
	if err := cs.audit(c, action, subject, detail, ""); err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, next)
}

type workerRow struct {
	ID string
	W  *casebook.Worker
}

type workersData struct {
	Rows  []workerRow
	Langs []onestop.Lang
}

func (cs *Console) workersPage(c *fiber.Ctx) error {
	ws, err := cs.cfg.Staff.Workers(c.UserContext())
	if err != nil {
		return cs.fail(c, err)
	}
	d := &workersData{Langs: helplineLangs}
	for _, w := range ws {
		shown := *w
		shown.Number, shown.Masked = "", maskedNumber(w.Number)
		d.Rows = append(d.Rows, workerRow{ID: cs.rowID(w.Number), W: &shown})
	}
	return cs.render(c, fiber.StatusOK, "workers", cs.view(c, "workers.title", d))
}

// addWorker registers a community worker as 'onestop worker add' does.
func (cs *Console) addWorker(c *fiber.Ctx) error {
	number, masked, err := formNumber(c, "number")
	if err != nil {
		return cs.fail(c, err)
	}
	lang, err := formLang(c)
	if err != nil {
		return cs.fail(c, err)
	}
	name := strings.TrimSpace(c.FormValue("name"))
	area := strings.ToUpper(strings.TrimSpace(c.FormValue("area")))
	switch {
	case name == "" || len(name) > 100:
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "give the worker's name, at most 100 bytes"))
	case area != "" && !staff.ValidAreaCode(area):
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "%q is not an area code such as BD-13", area))
	}
	w := &casebook.Worker{Number: number, Name: name, Lang: lang, Area: area, Added: cs.db.Now(), Masked: masked}
	if err := cs.cfg.Staff.AddWorker(c.UserContext(), w); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, AuditWorkerAdd, masked, strings.TrimSpace(string(lang)+" "+area), "/console/workers?done=workers")
}

func (cs *Console) removeWorker(c *fiber.Ctx) error {
	ws, err := cs.cfg.Staff.Workers(c.UserContext())
	if err != nil {
		return cs.fail(c, err)
	}
	id := c.Params("row")
	for _, w := range ws {
		if hmac.Equal([]byte(cs.rowID(w.Number)), []byte(id)) {
			if err := cs.cfg.Staff.RemoveWorker(c.UserContext(), w.Number); err != nil {
				return cs.fail(c, err)
			}
			return cs.audited(c, AuditWorkerRemove, maskedNumber(w.Number), "off the register", "/console/workers?done=workers")
		}
	}
	return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "no such worker"))
}

type officialsData struct {
	Officials []*staff.Official
	Problems  []string
	Imported  int
}

func (cs *Console) officialsData(c *fiber.Ctx) (*officialsData, error) {
	list, err := cs.cfg.Staff.Officials(c.UserContext())
	if err != nil {
		return nil, err
	}
	d := &officialsData{}
	for _, o := range list {
		d.Officials = append(d.Officials, &staff.Official{District: o.District, Role: o.Role, Lang: o.Lang, Masked: maskedNumber(o.Number)})
	}
	return d, nil
}

func (cs *Console) officialsPage(c *fiber.Ctx) error {
	d, err := cs.officialsData(c)
	if err != nil {
		return cs.fail(c, err)
	}
	return cs.render(c, fiber.StatusOK, "officials", cs.view(c, "officials.title", d))
}

// importOfficials replaces the officials with an uploaded CSV (district,role,number,language)
// as 'onestop officials import' does: every bad line is listed and nothing is imported.
func (cs *Console) importOfficials(c *fiber.Ctx) error {
	fh, err := c.FormFile("csv")
	if err != nil {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "choose a CSV file"))
	}
	f, err := fh.Open()
	if err != nil {
		return cs.fail(c, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 1<<20))
	if err != nil {
		return cs.fail(c, err)
	}
	var problems []string
	list, err := staff.ParseOfficials(raw)
	if err == nil {
		err = cs.cfg.Staff.ImportOfficials(c.UserContext(), list)
	}
	switch {
	case onestop.ErrorCode(err) == onestop.EINVALID:
		for _, line := range strings.Split(onestop.ErrorMessage(err), "\n") {
			// The heading says what the page says already; the lines follow it.
			if line = strings.TrimSpace(line); line != "" && !strings.HasSuffix(line, "nothing imported:") {
				problems = append(problems, maskNumbers(line))
			}
		}
	case err != nil:
		return cs.fail(c, err)
	default:
		districts := []string{}
		for _, o := range list {
			districts = append(districts, o.District)
		}
		slices.Sort(districts)
		detail := fmt.Sprintf("%d officials in %d districts", len(list), len(slices.Compact(districts)))
		if err := cs.audit(c, AuditOfficialsImport, "officials", detail, ""); err != nil {
			return cs.fail(c, err)
		}
	}
	d, derr := cs.officialsData(c)
	if derr != nil {
		return cs.fail(c, derr)
	}
	status := fiber.StatusOK
	v := cs.view(c, "officials.title", d)
	if problems != nil {
		d.Problems, status = problems, fiber.StatusBadRequest
	} else {
		d.Imported = len(list)
		v.Flash = v.L.T("officials.imported", len(list))
	}
	return cs.render(c, status, "officials", v)
}

// outboxStates are the states the outbox page filters on, the ones an operator acts on first.
var outboxStates = []outbox.State{outbox.Queued, outbox.Failed, outbox.Dead, outbox.Sending, outbox.Sent, outbox.Delivered, outbox.Cancelled, outbox.Expanded}

type outboxRow struct {
	M                 *outbox.Message
	To, Error         string
	CanRetry, CanDrop bool
	Next              time.Time
}

type outboxData struct {
	Rows   []outboxRow
	States []outbox.State
	State  string
}

func (cs *Console) outboxPage(c *fiber.Ctx) error {
	state := outbox.State(c.Query("state"))
	if state != "" && !slices.Contains(outboxStates, state) {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "unknown state %q", state))
	}
	list, err := cs.cfg.Outbox.List(c.UserContext(), outbox.Filter{State: state, Limit: pageSize})
	if err != nil {
		return cs.fail(c, err)
	}
	d := &outboxData{States: outboxStates, State: string(state)}
	for _, m := range list {
		row := outboxRow{M: m, To: cmpOr(m.Masked, maskedNumber(m.To)), Error: maskNumbers(m.Error),
			CanRetry: m.State == outbox.Failed || m.State == outbox.Dead,
			CanDrop:  m.State == outbox.Queued || m.State == outbox.Failed}
		if m.Role != "" && m.To == "" {
			row.To = m.Role
		}
		if m.State == outbox.Queued || m.State == outbox.Failed {
			row.Next = m.NextAttempt
		}
		d.Rows = append(d.Rows, row)
	}
	return cs.render(c, fiber.StatusOK, "outbox", cs.view(c, "outbox.title", d))
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (cs *Console) outboxAct(c *fiber.Ctx, do func(*outbox.Outbox) func(ctx context.Context, id uint64) error, action string) error {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil || id == 0 {
		return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "no such message"))
	}
	if err := do(cs.cfg.Outbox)(c.UserContext(), id); err != nil {
		return cs.fail(c, err)
	}
	return cs.audited(c, action, "outbox:"+strconv.FormatUint(id, 10), "", "/console/outbox?done=outbox")
}

func (cs *Console) retryMessage(c *fiber.Ctx) error {
	return cs.outboxAct(c, func(o *outbox.Outbox) func(context.Context, uint64) error { return o.Retry }, AuditOutboxRetry)
}

func (cs *Console) dropMessage(c *fiber.Ctx) error {
	return cs.outboxAct(c, func(o *outbox.Outbox) func(context.Context, uint64) error { return o.Drop }, AuditOutboxDrop)
}
