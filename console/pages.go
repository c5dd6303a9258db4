package console

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/phone"
)

// FollowUp is how long a referral may wait in received or assigned before it is overdue.
const FollowUp = 48 * time.Hour

// minReason is the shortest reason accepted for revealing a number or an identified export.
const minReason = 10

// scanLimit bounds how many contacts one page request reads, so a filter that matches little
// cannot make a request walk the whole file.
const scanLimit = 20_000

// contactsSince returns the contacts recorded at or after since, newest first.
func (cs *Console) contactsSince(ctx context.Context, since time.Time) ([]*onestop.Contact, error) {
	var out []*onestop.Contact
	var before uint64
	for len(out) < scanLimit {
		page, err := cs.cases.List(ctx, casebook.Filter{Before: before, Limit: 500})
		if err != nil {
			return nil, err
		}
		for _, c := range page {
			if c.Time.Before(since) {
				return out, nil
			}
			out = append(out, c)
		}
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	return out, nil
}

// dueNow returns the callbacks whose window is open at now: urgent first, then the window that
// closes soonest. Windows open at most a day ahead, so three days of contacts hold them all.
func (cs *Console) dueNow(ctx context.Context, now time.Time) ([]*onestop.Contact, error) {
	recent, err := cs.contactsSince(ctx, now.Add(-72*time.Hour))
	if err != nil {
		return nil, err
	}
	var due []*onestop.Contact
	for _, c := range recent {
		if casebook.Due(c, now) && cs.cases.MayCall(ctx, c, now) {
			due = append(due, c)
		}
	}
	slices.SortStableFunc(due, func(a, b *onestop.Contact) int {
		if (a.Urgency == onestop.Urgent) != (b.Urgency == onestop.Urgent) {
			if a.Urgency == onestop.Urgent {
				return -1
			}
			return 1
		}
		return a.Plan.Closes.Compare(b.Plan.Closes)
	})
	return due, nil
}

func (cs *Console) overdueReferrals(ctx context.Context, now time.Time) ([]*onestop.Referral, error) {
	all, err := cs.cases.Referrals(ctx, casebook.ReferralFilter{Limit: 1000})
	if err != nil {
		return nil, err
	}
	var out []*onestop.Referral
	for _, r := range all {
		if overdue(r, now) {
			out = append(out, r)
		}
	}
	return out, nil
}

func overdue(r *onestop.Referral, now time.Time) bool {
	last := r.Updated
	if last.IsZero() {
		last = r.Time
	}
	return (r.Status == onestop.Received || r.Status == onestop.Assigned) && now.Sub(last) > FollowUp
}

type districtCount struct {
	Country, Area string
	Count         int
}

func countDistricts(contacts []*onestop.Contact) []districtCount {
	m := map[[2]string]int{}
	for _, c := range contacts {
		m[[2]string{c.Country, c.Area}]++
	}
	var out []districtCount
	for k, n := range m {
		out = append(out, districtCount{Country: k[0], Area: k[1], Count: n})
	}
	slices.SortFunc(out, func(a, b districtCount) int {
		if a.Count != b.Count {
			return b.Count - a.Count
		}
		return cmp.Compare(a.Country+a.Area, b.Country+b.Area)
	})
	return out
}

type todayData struct {
	// Duty is who is on duty now, masked; NobodyOnDuty says there is nobody, in red.
	Duty         []string
	NobodyOnDuty bool
	// FollowUps are the urgent contacts nobody has acknowledged yet, escalated ones marked.
	FollowUps           []*casebook.FollowUp
	Urgent, Others, Due []*onestop.Contact
	Overdue             []*onestop.Referral
	Districts           []districtCount
	PerDay, PerDistrict *chart
}

func (cs *Console) today(c *fiber.Ctx) error {
	ctx := c.UserContext()
	u := user(c)
	if !can(u, seeCases) {
		return seeOther(c, "/console/directory")
	}
	now := cs.db.Now()
	month, err := cs.contactsSince(ctx, now.Add(-30*24*time.Hour))
	if err != nil {
		return cs.fail(c, err)
	}
	d := &todayData{Districts: countDistricts(month)}
	if cs.cfg.OnDuty != nil {
		if d.Duty, err = cs.cfg.OnDuty(ctx, now); err != nil {
			return cs.fail(c, err)
		}
		d.NobodyOnDuty = len(d.Duty) == 0
	}
	if d.FollowUps, err = cs.cases.Unacknowledged(ctx); err != nil {
		return cs.fail(c, err)
	}
	for _, ct := range month {
		if now.Sub(ct.Time) > 48*time.Hour {
			break
		}
		if ct.Urgency == onestop.Urgent {
			d.Urgent = append(d.Urgent, ct)
		} else if len(d.Others) < 20 {
			d.Others = append(d.Others, ct)
		}
	}
	if d.Due, err = cs.dueNow(ctx, now); err != nil {
		return cs.fail(c, err)
	}
	if d.Overdue, err = cs.overdueReferrals(ctx, now); err != nil {
		return cs.fail(c, err)
	}
	v := cs.view(c, "today.title", d)
	d.PerDay = perDayChart(v.L, month, now, 14)
	d.PerDistrict = perDistrictChart(v.L, d.Districts, 8, cs.districtName)
	v.Data, v.Refresh = d, TodayRefresh
	return cs.render(c, fiber.StatusOK, "today", v)
}

// logFilter is the contact log's query.
type logFilter struct {
	From, To                                  string
	Country, District, Channel, Lang, Urgency string
	Before                                    uint64
	from, to                                  time.Time
}

func (f *logFilter) match(c *onestop.Contact) bool {
	switch {
	case !f.from.IsZero() && c.Time.Before(f.from),
		!f.to.IsZero() && !c.Time.Before(f.to),
		f.Country != "" && c.Country != f.Country,
		f.District != "" && c.Area != f.District,
		f.Channel != "" && string(c.Channel) != f.Channel,
		f.Lang != "" && string(c.Lang) != f.Lang,
		f.Urgency != "" && string(c.Urgency) != f.Urgency:
		return false
	}
	return true
}

// query writes the filter back as a query string for the next page's link.
func (f *logFilter) query(before uint64) string {
	q := []string{}
	add := func(k, v string) {
		if v != "" {
			q = append(q, k+"="+v)
		}
	}
	add("from", f.From)
	add("to", f.To)
	add("country", f.Country)
	add("district", f.District)
	add("channel", f.Channel)
	add("lang", f.Lang)
	add("urgency", f.Urgency)
	add("before", strconv.FormatUint(before, 10))
	return strings.Join(q, "&")
}

type logData struct {
	F        *logFilter
	Contacts []*onestop.Contact
	Next     string
	Options  map[string][]string
}

// pageSize is how many rows a list page shows: small enough for a slow connection.
const pageSize = 50

func (cs *Console) contactLog(c *fiber.Ctx) error {
	ctx := c.UserContext()
	f := &logFilter{From: c.Query("from"), To: c.Query("to"), Country: c.Query("country"), District: c.Query("district"),
		Channel: c.Query("channel"), Lang: c.Query("lang"), Urgency: c.Query("urgency")}
	f.Before, _ = strconv.ParseUint(c.Query("before"), 10, 64)
	var err error
	if f.From != "" {
		if f.from, err = time.Parse(time.DateOnly, f.From); err != nil {
			return cs.fail(c, onestop.Errorf(onestop.EINVALID, "from: want a date YYYY-MM-DD"))
		}
	}
	if f.To != "" {
		if f.to, err = time.Parse(time.DateOnly, f.To); err != nil {
			return cs.fail(c, onestop.Errorf(onestop.EINVALID, "to: want a date YYYY-MM-DD"))
		}
		f.to = f.to.AddDate(0, 0, 1) // the whole of the last day
	}
	d := &logData{F: f, Options: map[string][]string{
		"country": {"BD", "IN", "PS"},
		"channel": {string(onestop.USSD), string(onestop.SMS), string(onestop.Voice)},
		"lang":    {"bn", "hi", "ar", "en"},
		"urgency": {string(onestop.Urgent), string(onestop.NonUrgent), string(onestop.Information)},
	}}
	before, scanned := f.Before, 0
	for scanned < scanLimit && len(d.Contacts) < pageSize {
		page, err := cs.cases.List(ctx, casebook.Filter{Before: before, Limit: 200})
		if err != nil {
			return cs.fail(c, err)
		}
		for _, ct := range page {
			scanned++
			before = ct.ID
			if !f.from.IsZero() && ct.Time.Before(f.from) {
				page = nil // older than the range: nothing further can match
				break
			}
			if f.match(ct) {
				d.Contacts = append(d.Contacts, ct)
				if len(d.Contacts) == pageSize {
					break
				}
			}
		}
		if len(page) < 200 {
			before = 0
			break
		}
	}
	if before > 1 {
		d.Next = "/console/contacts?" + f.query(before)
	}
	return cs.render(c, fiber.StatusOK, "contacts", cs.view(c, "contacts.title", d))
}

type event struct {
	Time    time.Time
	Text    string
	Note    string
	Class   string
	Country string
}

type caseData struct {
	C          *onestop.Contact
	Revealed   string
	Events     []event
	Cover      string
	CoverHers  string
	Due        bool
	FollowUp   *casebook.FollowUp
	ReasonMin  int
	ReasonText string
	// InWindow is whether now is inside her window; outside it, only a supervisor who says
	// why (CanOverride) may reveal her number or record a callback attempt.
	InWindow    bool
	CanOverride bool
	// CanAttempt is whether the case is an open callback an attempt may be recorded on.
	CanAttempt bool
}

// loadCase reads the case named by the route's reference: a contact reference as the caller
// was told it.
func (cs *Console) loadCase(c *fiber.Ctx) (*onestop.Contact, error) {
	ctx := c.UserContext()
	ref := c.Params("ref")
	if !casebook.ValidRef(ref) {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no case %s", ref)
	}
	return cs.cases.ByRef(ctx, ref)
}

// audit appends one entry for the current user in its own write.
func (cs *Console) audit(c *fiber.Ctx, action, subject, detail, note string) error {
	return cs.cases.Audit(c.UserContext(), &casebook.AuditEntry{Time: cs.db.Now(), Actor: user(c).Name, Action: action, Subject: subject, Detail: detail, Note: note})
}

func (cs *Console) casePage(c *fiber.Ctx) error {
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	// The view is audited before anything of the case is sent.
	if err := cs.audit(c, casebook.AuditCaseView, casebook.Subject(ct), "", ""); err != nil {
		return cs.fail(c, err)
	}
	return cs.renderCase(c, ct, "", "")
}

func (cs *Console) renderCase(c *fiber.Ctx, ct *onestop.Contact, revealed, problem string) error {
	return cs.renderCaseStatus(c, ct, revealed, problem, fiber.StatusBadRequest)
}

// renderCaseStatus is renderCase answering with status when there is a problem.
func (cs *Console) renderCaseStatus(c *fiber.Ctx, ct *onestop.Contact, revealed, problem string, status int) error {
	ctx := c.UserContext()
	v := cs.view(c, "case.title", nil, ct.Ref)
	now := cs.db.Now()
	callable := cs.cases.MayCall(ctx, ct, now)
	d := &caseData{C: ct, Revealed: revealed, Due: casebook.Due(ct, now) && callable, ReasonMin: minReason,
		InWindow: callable, CanOverride: can(user(c), overrideWindow),
		CanAttempt: ct.Status == onestop.Open && ct.Plan != nil && ct.Plan.MayCall}
	var err error
	if d.FollowUp, err = cs.cases.FollowUpOf(c.UserContext(), ct.ID); err != nil {
		return cs.fail(c, err)
	}
	if ct.Plan != nil && ct.Plan.Cover != "" {
		d.Cover = locales.Text(v.L.Lang, locales.Key(ct.Plan.Cover))
		if ct.Lang != v.L.Lang {
			d.CoverHers = locales.Text(ct.Lang, locales.Key(ct.Plan.Cover))
		}
	}
	d.Events = append(d.Events, event{Time: ct.Time, Text: v.L.T("ev.contact") + " · " + v.L.E("urgency", ct.Urgency), Class: string(ct.Urgency), Country: ct.Country})
	if p := ct.Plan; p != nil && !p.AgreedAt.IsZero() {
		d.Events = append(d.Events, event{Time: p.AgreedAt, Text: v.L.T("ev.plan"), Country: ct.Country})
		if p.MayCall && !p.Opens.IsZero() {
			d.Events = append(d.Events, event{Time: p.Opens, Text: v.L.T("ev.opens"), Country: ct.Country},
				event{Time: p.Closes, Text: v.L.T("ev.closes"), Country: ct.Country})
		}
	}
	entries, err := cs.cases.AuditLog(ctx, casebook.AuditFilter{Subject: casebook.Subject(ct), Actions: []string{casebook.AuditCallback, casebook.AuditBridge, casebook.AuditCaseNote, casebook.AuditCaseReveal, casebook.AuditOverride}, Limit: 1000})
	if err != nil {
		return cs.fail(c, err)
	}
	for _, e := range entries {
		ev := event{Time: e.Time, Country: ct.Country}
		switch e.Action {
		case casebook.AuditBridge:
			outcome, _, _ := strings.Cut(e.Detail, " ")
			ev.Text, ev.Class, ev.Note = v.L.T("ev.call", outcome)+" · "+e.Actor, outcome, e.Note
		case casebook.AuditCallback:
			ev.Text, ev.Class = v.L.T("ev.attempt", v.L.E("outcome", e.Detail))+" · "+e.Actor, e.Detail
		case casebook.AuditCaseNote:
			ev.Text, ev.Note = v.L.T("ev.note", e.Actor), e.Note
		case casebook.AuditCaseReveal:
			ev.Text, ev.Note = v.L.T("ev.reveal", e.Actor), e.Note
		case casebook.AuditOverride:
			ev.Text, ev.Note, ev.Class = v.L.T("ev.override", e.Actor), e.Note, "override"
		}
		d.Events = append(d.Events, ev)
	}
	slices.SortStableFunc(d.Events, func(a, b event) int { return a.Time.Compare(b.Time) })
	v.Data = d
	code := fiber.StatusOK
	if problem != "" {
		v.Error, code = problem, status
	}
	return cs.render(c, code, "case", v)
}

func (cs *Console) reveal(c *fiber.Ctx) error {
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	if len([]rune(reason)) < minReason {
		return cs.renderCase(c, ct, "", newLoc(langOf(c)).T("case.short", minReason))
	}
	if casebook.KeptNumber(ct) == "" {
		return cs.fail(c, onestop.Errorf(onestop.ECONFLICT, "no number is kept for this contact"))
	}
	now := cs.db.Now()
	override, problem, status := cs.outsideWindow(c, ct, now)
	if problem != "" {
		return cs.renderCaseStatus(c, ct, "", problem, status)
	}
	// The override and the reveal are written together: neither is on file without the other.
	number, err := cs.cases.Reveal(c.UserContext(), ct.ID, user(c).Name, reason, override)
	if err != nil {
		return cs.fail(c, err)
	}
	return cs.renderCase(c, ct, number, "")
}

// outsideWindow checks an act on her case at now against her window. Inside it, it returns
// nothing. Outside it, only a supervisor may act, and only with a reason of her own in the
// form's override field: it returns that reason, or the problem to show and its status.
func (cs *Console) outsideWindow(c *fiber.Ctx, ct *onestop.Contact, now time.Time) (override, problem string, status int) {
	ctx := c.UserContext()
	if cs.cases.MayCall(ctx, ct, now) {
		return "", "", 0
	}
	l := newLoc(langOf(c))
	if !can(user(c), overrideWindow) {
		return "", l.T("case.outside"), fiber.StatusConflict
	}
	override = strings.TrimSpace(c.FormValue("override"))
	if len([]rune(override)) < minReason || len(override) > 1000 {
		return "", l.T("case.overshort", minReason), fiber.StatusBadRequest
	}
	return override, "", 0
}

func langOf(c *fiber.Ctx) onestop.Lang { return requestLang(c) }

func (cs *Console) addNote(c *fiber.Ctx) error {
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	note := strings.TrimSpace(c.FormValue("note"))
	if err := cs.cases.AddNote(c.UserContext(), casebook.Subject(ct), user(c).Name, note); err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/case/"+ct.Ref)
}

type queueRow struct {
	C                *onestop.Contact
	Cover, CoverHers string
	// Press is the key of one press of Call (outbox.PressKey); empty when calls are off.
	Press string
}

func (cs *Console) callbackQueue(c *fiber.Ctx) error {
	ctx := c.UserContext()
	due, err := cs.dueNow(ctx, cs.db.Now())
	if err != nil {
		return cs.fail(c, err)
	}
	lang := langOf(c)
	rows := make([]queueRow, len(due))
	for i, ct := range due {
		rows[i] = queueRow{C: ct}
		if cs.cfg.Call != nil {
			rows[i].Press = outbox.PressKey(ct.ID)
		}
		if ct.Plan.Cover != "" {
			rows[i].Cover = locales.Text(lang, locales.Key(ct.Plan.Cover))
			if ct.Lang != lang {
				rows[i].CoverHers = locales.Text(ct.Lang, locales.Key(ct.Plan.Cover))
			}
		}
	}
	return cs.render(c, fiber.StatusOK, "callbacks", cs.view(c, "callbacks.title", rows))
}

// placeCall places a bridged callback, inside her window only: the plan's checks run in the
// outbox when queued and again when dialled. A refusal is recorded on her case by the outbox and
// shown here.
func (cs *Console) placeCall(c *fiber.Ctx) error {
	if cs.cfg.Call == nil {
		return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "calls are not configured"))
	}
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	if err := cs.cfg.Call(c.UserContext(), ct.ID, user(c).Name, c.FormValue("press")); err != nil {
		if onestop.ErrorCode(err) == onestop.EFORBIDDEN {
			return cs.renderCaseStatus(c, ct, "", newLoc(langOf(c)).T("call.refused", onestop.ErrorMessage(err)), fiber.StatusConflict)
		}
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/callbacks?done=call")
}

func (cs *Console) recordAttempt(c *fiber.Ctx) error {
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	outcome := casebook.Outcome(c.FormValue("outcome"))
	if !outcome.Valid() {
		return cs.fail(c, onestop.Errorf(onestop.EINVALID, "outcome: want reached, not-safe or no-answer"))
	}
	now := cs.db.Now()
	override, problem, status := cs.outsideWindow(c, ct, now)
	if problem != "" {
		return cs.renderCaseStatus(c, ct, "", problem, status)
	}
	if _, err := cs.cases.RecordCallback(c.UserContext(), ct.ID, user(c).Name, outcome, override); err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/callbacks?done=callbacks")
}

// maskedNumber is an E.164 number as staff may see it ("+880 17** ***001"), "–" for none or
// one that does not parse (which is then not shown at all).
func maskedNumber(e164 string) string {
	if e164 == "" {
		return "–"
	}
	n, err := phone.Parse(e164, "")
	if err != nil {
		return "–"
	}
	return n.Mask()
}

// minMaskedDigits is the fewest digits in a run that maskNumbers takes for a phone number: the
// shortest national numbers served have eight or more, a case reference has seven, a year four.
const minMaskedDigits = 8

// maskNumbers hides the numbers in what someone wrote: every run of at least minMaskedDigits
// digits (in any script, spaces, dots, dashes, brackets and a plus between them) keeps only its
// last three digits. A worker may put a survivor's number in her text; staff see it masked,
// like every number on every page.
func maskNumbers(s string) string {
	rs := []rune(s)
	isDigit := func(r rune) bool { return unicode.IsDigit(r) }
	isJoin := func(r rune) bool { return r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '+' }
	for i := 0; i < len(rs); {
		if !isDigit(rs[i]) {
			i++
			continue
		}
		// The run is digits and joiners from i, ending at its last digit.
		end, digits := i, 0
		for j := i; j < len(rs) && (isDigit(rs[j]) || isJoin(rs[j])); j++ {
			if isDigit(rs[j]) {
				end, digits = j, digits+1
			}
		}
		if digits >= minMaskedDigits {
			keep := 0
			for j := end; j >= i; j-- {
				if isDigit(rs[j]) {
					if keep < 3 {
						keep++
					} else {
						rs[j] = '*'
					}
				}
			}
		}
		i = end + 1
	}
	return string(rs)
}

// acknowledge records that the user has taken on an urgent contact, so it is not escalated; the
// acknowledgement is audited in the same write. It returns to the page the form was on.
func (cs *Console) acknowledge(c *fiber.Ctx) error {
	ct, err := cs.loadCase(c)
	if err != nil {
		return cs.fail(c, err)
	}
	if _, err := cs.cases.AcknowledgeUrgent(c.UserContext(), ct.ID, user(c).Name); err != nil {
		return cs.fail(c, err)
	}
	if c.FormValue("from") == "case" {
		return seeOther(c, "/console/case/"+ct.Ref)
	}
	return seeOther(c, "/console/")
}
