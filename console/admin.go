package console

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/staff"
)

var referralStatuses = []onestop.ReferralStatus{onestop.Received, onestop.Assigned, onestop.Contacted, onestop.Closed, onestop.Declined}

type referralRow struct {
	R       *onestop.Referral
	Overdue bool
	Centre  string
	// Worker is the sender's number masked; Place and Need are what she wrote, with any
	// number in them masked too. The page never shows a whole number.
	Worker, Place, Need string
	// Next are the statuses the referral may move to (casebook.NextStatuses).
	Next []onestop.ReferralStatus
}

type referralsData struct {
	Rows     []referralRow
	Statuses []onestop.ReferralStatus
	Status   string
	Centres  []directory.Centre
	Next     string
}

func (cs *Console) centreName(id string, lang onestop.Lang) string {
	if id == "" {
		return ""
	}
	if c, ok := cs.dir.Centre(id); ok {
		if cs.cfg.CentreCode != nil {
			return c.Name(lang) + " · " + cs.cfg.CentreCode(id)
		}
		return c.Name(lang)
	}
	return id
}

func (cs *Console) referrals(c *fiber.Ctx) error {
	ctx := c.UserContext()
	status := onestop.ReferralStatus(c.Query("status"))
	if status != "" && !slices.Contains(referralStatuses, status) {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "unknown status %q", status))
	}
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	list, err := cs.cases.Referrals(ctx, casebook.ReferralFilter{Before: before, Limit: pageSize, Status: status})
	if err != nil {
		return cs.fail(c, err)
	}
	now, lang := cs.db.Now(), langOf(c)
	d := &referralsData{Statuses: referralStatuses, Status: string(status), Centres: cs.dir.Centres()}
	for _, r := range list {
		d.Rows = append(d.Rows, referralRow{R: r, Overdue: overdue(r, now), Centre: cs.centreName(r.Centre, lang),
			Worker: maskedNumber(r.Worker), Place: maskNumbers(r.Place), Need: maskNumbers(r.Need), Next: casebook.NextStatuses(r.Status)})
	}
	// What workers wrote is read here: the view is audited before any of it is sent.
	if err := cs.audit(c, casebook.AuditReferralView, "referrals", fmt.Sprintf("%d rows, status %s", len(list), cmp.Or(string(status), "any")), ""); err != nil {
		return cs.fail(c, err)
	}
	// Overdue follow-ups first: they are what the page is for.
	slices.SortStableFunc(d.Rows, func(a, b referralRow) int {
		switch {
		case a.Overdue == b.Overdue:
			return 0
		case a.Overdue:
			return -1
		}
		return 1
	})
	if len(list) == pageSize {
		d.Next = fmt.Sprintf("/console/referrals?status=%s&before=%d", status, list[len(list)-1].ID)
	}
	return cs.render(c, fiber.StatusOK, "referrals", cs.view(c, "referrals.title", d))
}

func (cs *Console) updateReferral(c *fiber.Ctx) error {
	id, err := strconv.ParseUint(c.Params("id"), 10, 64)
	if err != nil {
		return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "no referral"))
	}
	status := onestop.ReferralStatus(c.FormValue("status"))
	if !slices.Contains(referralStatuses, status) {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "unknown status %q", status))
	}
	centre := c.FormValue("centre")
	if centre != "" {
		if _, ok := cs.dir.Centre(centre); !ok {
			return cs.fail(c, onestop.Errorf(onestop.EINVALID, "no centre %q in the directory", centre))
		}
	}
	note := strings.TrimSpace(c.FormValue("note"))
	if len(note) > 1000 {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "a note has at most 1000 bytes"))
	}
	// The move and its audit entry are written together: neither is on file without the other.
	_, err = cs.cases.MoveReferral(c.UserContext(), id, status, centre, user(c).Name, note)
	if err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/referrals?done=referrals")
}

type areaRow struct {
	A        directory.Area
	Children int
}

type directoryData struct {
	Centres  []directory.Centre
	Areas    []areaRow
	Country  string
	Parent   string
	CanEdit  bool
	Checked  bool
	DryRun   bool
	Change   *directory.Change
	Problems []string
}

// inForce is the directory as stored: the operator's last import, else the embedded one. It is
// what the gateway serves, and what an import is checked against.
func (cs *Console) inForce(ctx context.Context) (*directory.Directory, error) {
	return directory.Load(ctx, cs.db)
}

func (cs *Console) directoryData(c *fiber.Ctx) (*directoryData, error) {
	ctx := c.UserContext()
	dir, err := cs.inForce(ctx)
	if err != nil {
		return nil, err
	}
	d := &directoryData{Centres: dir.Centres(), CanEdit: can(user(c), editDirectory), Country: c.Query("country", "BD"), Parent: c.Query("parent")}
	areas := dir.Top(d.Country)
	if d.Parent != "" {
		areas = dir.Children(d.Parent)
	}
	for _, a := range areas {
		d.Areas = append(d.Areas, areaRow{A: a, Children: len(dir.Children(a.Code))})
	}
	return d, nil
}

func (cs *Console) directoryPage(c *fiber.Ctx) error {
	d, err := cs.directoryData(c)
	if err != nil {
		return cs.fail(c, err)
	}
	return cs.render(c, fiber.StatusOK, "directory", cs.view(c, "directory.title", d))
}

// exportDirectory sends a table in force as CSV: an administrator edits it in a spreadsheet and
// imports it back, with the same checks as the command line.
func (cs *Console) exportDirectory(c *fiber.Ctx) error {
	ctx := c.UserContext()
	table := directory.Table(strings.TrimSuffix(c.Params("table"), ".csv"))
	if table != directory.TableCentres && table != directory.TableAreas {
		return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "no table %s", table))
	}
	dir, err := cs.inForce(ctx)
	if err != nil {
		return cs.fail(c, err)
	}
	var b bytes.Buffer
	if err := dir.Export(&b, table); err != nil {
		return cs.fail(c, err)
	}
	return sendCSV(c, string(table)+".csv", b.Bytes())
}

// importDirectory checks an uploaded centres or areas CSV exactly as the command line does, lists
// every problem with its line, shows what it would add, change and remove, and unless it is a dry
// run stores it and puts it in force at once.
func (cs *Console) importDirectory(c *fiber.Ctx) error {
	fh, err := c.FormFile("csv")
	if err != nil {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "choose a CSV file"))
	}
	f, err := fh.Open()
	if err != nil {
		return cs.fail(c, err)
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, 4<<20))
	if err != nil {
		return cs.fail(c, err)
	}
	dryRun := c.FormValue("dryrun") != ""
	change, err := directory.Import(c.UserContext(), cs.db, raw, dryRun)
	status := fiber.StatusOK
	var problems []string
	var perr *directory.ParseError
	switch {
	case errors.As(err, &perr):
		for _, le := range perr.Errors {
			problems = append(problems, le.String())
		}
		status = fiber.StatusBadRequest
	case onestop.ErrorCode(err) == onestop.EINVALID:
		problems, status = []string{onestop.ErrorMessage(err)}, fiber.StatusBadRequest
	case err != nil:
		return cs.fail(c, err)
	case !dryRun && !change.Empty():
		detail := fmt.Sprintf("%s: %d added, %d changed, %d removed", change.Table, len(change.Added), len(change.Changed), len(change.Removed))
		if err := cs.audit(c, casebook.AuditDirectory, "directory", detail, ""); err != nil {
			return cs.fail(c, err)
		}
		// In force at once, for every hop, text and page that reads the directory.
		if cs.dir != nil {
			if err := cs.dir.Reload(c.UserContext(), cs.db); err != nil {
				return cs.fail(c, err)
			}
		}
	}
	d, err := cs.directoryData(c)
	if err != nil {
		return cs.fail(c, err)
	}
	d.Checked, d.DryRun, d.Problems = true, dryRun, problems
	if err == nil && problems == nil {
		d.Change = &change
	}
	return cs.render(c, status, "directory", cs.view(c, "directory.title", d))
}

type exportsData struct {
	Identified bool
	ReasonMin  int
}

func (cs *Console) exportsPage(c *fiber.Ctx) error {
	d := &exportsData{Identified: can(user(c), exportIdentified), ReasonMin: minReason}
	return cs.render(c, fiber.StatusOK, "exports", cs.view(c, "exports.title", d))
}

func exportDays(c *fiber.Ctx) (int, error) {
	days := 90
	if s := c.FormValue("days"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 3660 {
			return 0, onestop.Errorf(onestop.EINVALID, "days: want 1 to 3660")
		}
		days = n
	}
	return days, nil
}

// isoWeek names the ISO week of t, as "2026-W48".
func isoWeek(t time.Time) string {
	y, w := t.ISOWeek()
	return fmt.Sprintf("%d-W%02d", y, w)
}

// exportAggregate sends counts only: district, week, channel and urgency, as the GBVIMS
// information-sharing protocol allows to share.
func (cs *Console) exportAggregate(c *fiber.Ctx) error {
	ctx := c.UserContext()
	days, err := exportDays(c)
	if err != nil {
		return cs.fail(c, err)
	}
	now := cs.db.Now()
	contacts, err := cs.contactsSince(ctx, now.AddDate(0, 0, -days))
	if err != nil {
		return cs.fail(c, err)
	}
	type key struct{ week, country, district, channel, urgency string }
	counts := map[key]int{}
	for _, ct := range contacts {
		counts[key{isoWeek(ct.Time.In(zoneOf(ct.Country))), ct.Country, ct.Area, string(ct.Channel), string(ct.Urgency)}]++
	}
	keys := make([]key, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b key) int {
		return strings.Compare(a.week+a.country+a.district+a.channel+a.urgency, b.week+b.country+b.district+b.channel+b.urgency)
	})
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"week", "country", "district", "channel", "urgency", "contacts"})
	for _, k := range keys {
		w.Write([]string{k.week, k.country, k.district, k.channel, k.urgency, strconv.Itoa(counts[k])})
	}
	w.Flush()
	if err := cs.audit(c, casebook.AuditExport, "export", fmt.Sprintf("aggregate, %d days, %d rows", days, len(keys)), ""); err != nil {
		return cs.fail(c, err)
	}
	return sendCSV(c, "onestop-aggregate-"+now.Format("2006-01-02")+".csv", b.Bytes())
}

// exportIdentified sends every contact with its whole number: only for a role that allows it,
// with a reason that goes to the audit log before a byte is sent.
func (cs *Console) exportIdentified(c *fiber.Ctx) error {
	ctx := c.UserContext()
	days, err := exportDays(c)
	if err != nil {
		return cs.fail(c, err)
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len([]rune(reason)) < minReason {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "give a reason of at least %d characters", minReason))
	}
	now := cs.db.Now()
	contacts, err := cs.contactsSince(ctx, now.AddDate(0, 0, -days))
	if err != nil {
		return cs.fail(c, err)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"ref", "time", "country", "district", "channel", "lang", "urgency", "status", "number", "callback_number", "window_opens", "window_closes"})
	for _, ct := range contacts {
		var cb, opens, closes string
		if p := ct.Plan; p != nil && p.MayCall {
			cb, opens, closes = p.Number, p.Opens.UTC().Format(time.RFC3339), p.Closes.UTC().Format(time.RFC3339)
		}
		w.Write([]string{ct.Ref, ct.Time.UTC().Format(time.RFC3339), ct.Country, ct.Area, string(ct.Channel), string(ct.Lang),
			string(ct.Urgency), string(ct.Status), ct.Caller, cb, opens, closes})
	}
	w.Flush()
	if err := cs.audit(c, casebook.AuditExport, "export", fmt.Sprintf("identified, %d days, %d rows", days, len(contacts)), reason); err != nil {
		return cs.fail(c, err)
	}
	return sendCSV(c, "onestop-identified-"+now.Format("2006-01-02")+".csv", b.Bytes())
}

func sendCSV(c *fiber.Ctx, name string, body []byte) error {
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	return c.Send(body)
}

type auditData struct {
	Entries []casebook.AuditEntry
	Checked int
	Broken  string
	Next    string
}

func (cs *Console) auditPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	before, _ := strconv.ParseUint(c.Query("before"), 10, 64)
	entries, err := cs.cases.AuditLog(ctx, casebook.AuditFilter{Before: before, Limit: pageSize})
	if err != nil {
		return cs.fail(c, err)
	}
	d := &auditData{Entries: entries}
	d.Checked, err = cs.cases.VerifyAudit(ctx)
	var ce *casebook.ChainError
	if errors.As(err, &ce) {
		d.Broken = ce.Error()
	} else if err != nil {
		return cs.fail(c, err)
	}
	if len(entries) == pageSize {
		d.Next = fmt.Sprintf("/console/audit?before=%d", entries[len(entries)-1].Seq)
	}
	// An administrator sees who did what, not what staff wrote about a survivor.
	if !can(user(c), seeCases) {
		for i := range d.Entries {
			d.Entries[i].Note = ""
		}
	}
	return cs.render(c, fiber.StatusOK, "audit", cs.view(c, "audit.title", d))
}

type usersData struct {
	Users []staff.User
	Roles []staff.Role
}

func (cs *Console) usersPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	list, err := cs.Users.List(ctx)
	if err != nil {
		return cs.fail(c, err)
	}
	return cs.render(c, fiber.StatusOK, "users", cs.view(c, "users.title", &usersData{Users: list, Roles: staff.Roles}))
}

func (cs *Console) addUser(c *fiber.Ctx) error {
	err := cs.Users.Add(c.UserContext(), user(c).Name, strings.TrimSpace(c.FormValue("name")), staff.Role(c.FormValue("role")), c.FormValue("password"), true)
	if err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/users?done=users")
}

func (cs *Console) disableUser(c *fiber.Ctx) error {
	name := c.Params("name")
	if name == user(c).Name {
		return cs.fail(c, onestop.Errorf(onestop.ECONFLICT, "you cannot disable yourself"))
	}
	if err := cs.Users.Disable(c.UserContext(), user(c).Name, name); err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/users?done=users")
}

// enableUser lets a disabled user log in again; audited.
func (cs *Console) enableUser(c *fiber.Ctx) error {
	if err := cs.Users.Enable(c.UserContext(), user(c).Name, c.Params("name")); err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/users?done=users")
}

// resetPassword gives a user a temporary password chosen by the administrator, to be changed
// at the next login, and ends every session of that user; audited. An administrator changes
// her own password on the password page, where her current one is asked for.
func (cs *Console) resetPassword(c *fiber.Ctx) error {
	name := c.Params("name")
	if name == user(c).Name {
		return cs.fail(c, onestop.Errorf(onestop.ECONFLICT, "change your own password on the password page"))
	}
	err := cs.Users.ResetPassword(c.UserContext(), user(c).Name, name, c.FormValue("password"))
	if errors.Is(err, staff.ErrBusy) {
		return cs.refuse(c, fiber.StatusServiceUnavailable, reasonBusy, 5*time.Second)
	} else if err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/users?done=users")
}
