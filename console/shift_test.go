package console

import (
	"bytes"
	"context"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
)

// shiftFixture is the console with the staff service and the outbox, as the gateway wires it.
type shiftFixture struct {
	*fixture
	st *staff.Service
	ob *outbox.Outbox
}

func newShiftFixture(t *testing.T) *shiftFixture {
	t.Helper()
	f := newFixture(t)
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	st := staff.New(f.db, box, f.cases, dir)
	ob := outbox.New(f.db, box, f.cases, outbox.Config{Known: st.Known})
	cs, err := New(f.db, f.cases, dir, Config{Idle: 30 * time.Minute, Staff: st, Outbox: ob})
	if err != nil {
		t.Fatal(err)
	}
	cs.Users.Cost = bcrypt.MinCost
	app := fiber.New()
	cs.Register(app)
	f.cs, f.app = cs, app
	return &shiftFixture{fixture: f, st: st, ob: ob}
}

// wholeNumber finds a run of eight or more digits, in any script, with the joiners a number is
// written with: no page may carry one.
var wholeNumber = regexp.MustCompile(`\+?\p{Nd}(?:[\s\-.()]*\p{Nd}){7,}`)

// notNumbers are what may hold such a run and is no number: a time as pages write it, a CSRF
// token, a row id, a referral's reference.
var notNumbers = regexp.MustCompile(`\p{Nd}{4}-\p{Nd}{2}-\p{Nd}{2} \p{Nd}{2}:\p{Nd}{2}|name="csrf" value="[^"]*"|/[0-9a-f]{20}/|\bR[0-9]{8}\b`)

func (f *shiftFixture) noWholeNumber(what, body string) {
	f.t.Helper()
	for _, n := range []string{"8801711000001", "8801911000002", "8801811000009", "8801711000077", "8801711000088", "8801811000010"} {
		if strings.Contains(strings.NewReplacer(" ", "", "-", "").Replace(body), n) {
			f.t.Fatalf("%s shows the whole number %s:\n%s", what, n, body)
		}
	}
	// What a person reads (the text between tags) and what a form sends (values), not the
	// figures a chart is drawn with.
	var shown strings.Builder
	for _, m := range regexp.MustCompile(`>([^<]*)<|value="([^"]*)"|aria-label="([^"]*)"|placeholder="([^"]*)"`).FindAllStringSubmatch(notNumbers.ReplaceAllString(body, ""), -1) {
		shown.WriteString(m[1] + m[2] + m[3] + m[4] + "|")
	}
	if m := wholeNumber.FindString(shown.String()); m != "" {
		f.t.Fatalf("%s shows a run of digits like a number, %q:\n%s", what, m, body)
	}
}

// seed puts someone on each list, as the command line would.
func (f *shiftFixture) seed() {
	f.t.Helper()
	ctx := context.Background()
	if err := f.st.SetDuty(ctx, &staff.Counsellor{Number: "+8801711000001", Masked: "+880 17** ***001", Lang: onestop.Bengali,
		TZ: "Asia/Dhaka", Shifts: []staff.Shift{{Days: 0x7f, Start: 0, End: 1440}}}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.AddFallback(ctx, &staff.Fallback{Number: "+8801911000002", Masked: "+880 19** ***002", Lang: onestop.English}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.AddWorker(ctx, &casebook.Worker{Number: "+8801811000010", Name: "Mita", Lang: onestop.Bengali, Area: "BD-13", Masked: "+880 18** ***010"}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.st.ImportOfficials(ctx, []*staff.Official{{District: "BD-13", Role: "DWA officer", Lang: onestop.Bengali, Number: "+8801711000077", Masked: "+880 17** ***077"}}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *shiftFixture) upload(s session, path, name, body string) response {
	f.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("csrf", s.csrf)
	fw, _ := w.CreateFormFile("csv", name)
	fw.Write([]byte(body))
	w.Close()
	req := httptest.NewRequest("POST", path, &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
	return f.send(req)
}

func TestShiftPagesByRoleAndLanguage(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, &outbox.Message{Key: "k1", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
		To: "+8801711000001", Text: "Case 1234567: urgent."}); err != nil {
		t.Fatal(err)
	}
	pages := map[string]string{
		"/console/duty":      "+880 17** ***001",
		"/console/workers":   "+880 18** ***010",
		"/console/officials": "+880 17** ***077",
		"/console/outbox":    "+880 17** ***001",
	}
	for path, want := range pages {
		for name, status := range map[string]int{"cara": 403, "sara": 200, "ada": 200} {
			r := f.do(f.login(name), "GET", path, nil)
			if r.status != status {
				t.Fatalf("%s GET %s: %d, want %d\n%s", name, path, r.status, status, r.body)
			}
			f.noWholeNumber(path, r.body)
			if status == 200 && !strings.Contains(r.body, want) {
				t.Fatalf("%s GET %s lacks %q:\n%s", name, path, want, r.body)
			}
			if strings.Contains(r.body, "<script>") || strings.Contains(r.body, "style=") {
				t.Fatalf("%s: inline script or style", path)
			}
			f.noWholeNumber(path, r.body)
		}
	}
	// The nav offers the pages to those who may use them, and only to them.
	if r := f.do(f.login("cara"), "GET", "/console/", nil); strings.Contains(r.body, `href="/console/duty"`) {
		t.Fatal("a counsellor is offered the rota page")
	}
	if r := f.do(f.login("sara"), "GET", "/console/", nil); !strings.Contains(r.body, `href="/console/outbox"`) {
		t.Fatal("a supervisor is not offered the outbox page")
	}
	// Each page in each language, Arabic right to left.
	for _, lang := range []onestop.Lang{onestop.Bengali, onestop.Hindi, onestop.Arabic} {
		if err := f.cs.Users.SetLang(ctx, "sara", lang); err != nil {
			t.Fatal(err)
		}
		for path := range pages {
			r := f.do(f.login("sara"), "GET", path, nil)
			if r.status != 200 {
				t.Fatalf("%s %s: %d", lang, path, r.status)
			}
			title := newLoc(lang).T(strings.TrimPrefix(path, "/console/") + ".title")
			if !strings.Contains(r.body, "<h1>"+title+"</h1>") {
				t.Fatalf("%s %s lacks its title %q", lang, path, title)
			}
			if dir := `dir="rtl"`; (lang == onestop.Arabic) != strings.Contains(r.body, `<html lang="`+string(lang)+`" `+dir) {
				t.Fatalf("%s %s: wrong direction", lang, path)
			}
			f.noWholeNumber(string(lang)+path, r.body)
		}
	}
}

func TestShiftActionsAreAuditedAndNeedCSRF(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	sara := f.login("sara")
	rowOf := func(path, masked, action string) string {
		t.Helper()
		r := f.do(sara, "GET", path, nil)
		m := regexp.MustCompile(`action="(/console/[a-z]+/[0-9a-f]{20}/` + action + `)"><input type="hidden" name="csrf" value="[^"]*"><button type="submit" class="warn" aria-label="[^"]*` + regexp.QuoteMeta(masked)).FindStringSubmatch(r.body)
		if m == nil {
			t.Fatalf("no %s form for %s on %s:\n%s", action, masked, path, r.body)
		}
		return m[1]
	}
	tests := []struct {
		name    string
		path    func() string
		form    url.Values
		status  int
		action  string
		detail  string
		subject string
	}{
		{"duty set", func() string { return "/console/duty" }, url.Values{"number": {"+8801711000088"}, "lang": {"hi"}, "shifts": {"mon-fri/08:00-16:00"}, "tz": {"Asia/Dhaka"}}, 303, AuditDutySet, "mon,tue,wed,thu,fri/08:00-16:00 Asia/Dhaka, hi", "+880 17** ***088"},
		{"duty off", func() string { return rowOf("/console/duty", "***088", "off") }, url.Values{}, 303, AuditDutyOff, "taken off the rota", "+880 17** ***088"},
		{"fallback add", func() string { return "/console/fallback" }, url.Values{"number": {"+8801711000088"}, "lang": {"bn"}}, 303, AuditFallbackAdd, "bn", "+880 17** ***088"},
		{"fallback remove", func() string { return rowOf("/console/duty", "***002", "remove") }, url.Values{}, 303, AuditFallbackRemove, "off the fallback list", "+880 19** ***002"},
		{"duty clear", func() string { return "/console/duty/clear" }, url.Values{}, 303, AuditDutyClear, "everyone taken off the rota", "rota"},
		{"worker add", func() string { return "/console/workers" }, url.Values{"number": {"+8801811000009"}, "name": {"Rina"}, "lang": {"bn"}, "area": {"bd-13"}}, 303, AuditWorkerAdd, "bn BD-13", "+880 18** ***009"},
		{"worker remove", func() string { return rowOf("/console/workers", "***009", "remove") }, url.Values{}, 303, AuditWorkerRemove, "off the register", "+880 18** ***009"},
	}
	for _, tt := range tests {
		path := tt.path()
		before := f.auditCount(ctx)
		// Without the token: refused, nothing changed, nothing audited.
		if r := f.do(sara, "POST", path, tt.form); r.status != 403 {
			t.Fatalf("%s without CSRF: %d", tt.name, r.status)
		}
		if f.auditCount(ctx) != before {
			t.Fatalf("%s without CSRF was audited", tt.name)
		}
		if r := f.post(f.login("cara"), path, tt.form); r.status != 403 {
			t.Fatalf("%s by a counsellor: %d", tt.name, r.status)
		}
		r := f.post(sara, path, tt.form)
		if r.status != tt.status {
			t.Fatalf("%s: %d, want %d\n%s", tt.name, r.status, tt.status, r.body)
		}
		e := f.lastAudit(ctx)
		if f.auditCount(ctx) != before+1 || e.Action != tt.action || e.Actor != "sara" || e.Detail != tt.detail || e.Subject != tt.subject {
			t.Fatalf("%s: audit %+v, want %s %q %q", tt.name, e, tt.action, tt.subject, tt.detail)
		}
		f.noWholeNumber(tt.name+" audit", e.Subject+" "+e.Detail)
	}
	r, err := f.st.Roster(ctx)
	if err != nil || len(r.Rota) != 0 || len(r.Fallback) != 1 {
		t.Fatalf("roster after the actions: %+v %v", r, err)
	}
	if ws, _ := f.st.Workers(ctx); len(ws) != 1 || ws[0].Name != "Mita" {
		t.Fatalf("workers after the actions: %+v", ws)
	}
}

func TestShiftBadInputChangesNothing(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	sara := f.login("sara")
	for _, tt := range []struct {
		path   string
		form   url.Values
		status int
	}{
		{"/console/duty", url.Values{"number": {"01711000088"}, "lang": {"bn"}}, 400},
		{"/console/duty", url.Values{"number": {"+8801711000088"}, "lang": {"fr"}}, 400},
		{"/console/duty", url.Values{"number": {"+8801711000088"}, "lang": {"bn"}, "shifts": {"someday"}, "tz": {"Asia/Dhaka"}}, 400},
		{"/console/duty", url.Values{"number": {"+8801711000088"}, "lang": {"bn"}, "shifts": {"mon/08:00-16:00"}}, 400},
		{"/console/duty", url.Values{"number": {"+8801711000088"}, "lang": {"bn"}, "shifts": {"mon/08:00-16:00"}, "tz": {"Mars/Base"}}, 400},
		{"/console/duty/0123456789abcdef0123/off", url.Values{}, 404},
		{"/console/fallback/0123456789abcdef0123/remove", url.Values{}, 404},
		{"/console/workers", url.Values{"number": {"+8801811000009"}, "lang": {"bn"}}, 400},
		{"/console/workers", url.Values{"number": {"+8801811000009"}, "name": {"Rina"}, "lang": {"bn"}, "area": {"BD-99999"}}, 400},
		{"/console/workers/0123456789abcdef0123/remove", url.Values{}, 404},
		{"/console/outbox/999/retry", url.Values{}, 404},
		{"/console/outbox/x/drop", url.Values{}, 404},
	} {
		before := f.auditCount(ctx)
		r := f.post(sara, tt.path, tt.form)
		if r.status != tt.status {
			t.Fatalf("POST %s %v: %d, want %d\n%s", tt.path, tt.form, r.status, tt.status, r.body)
		}
		if f.auditCount(ctx) != before {
			t.Fatalf("POST %s %v was audited", tt.path, tt.form)
		}
		if strings.Contains(r.body, "1711000088") {
			t.Fatalf("the refusal repeats the number typed:\n%s", r.body)
		}
	}
	roster, _ := f.st.Roster(ctx)
	if len(roster.Rota) != 1 || len(roster.Fallback) != 1 {
		t.Fatalf("bad input changed the roster: %+v", roster)
	}
}

func TestOfficialsImport(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	sara := f.login("sara")
	before := f.auditCount(ctx)
	bad := "district,role,number,language\nBD-13,DWA officer,+8801711000088,bn\nBD-13,,+8801711000089,bn\n13,x,+8801711000090,bn\nBD-13,DWA officer,01711000091,bn\n"
	r := f.upload(sara, "/console/officials/import", "officials.csv", bad)
	if r.status != 400 || !strings.Contains(r.body, "line 3: no role") || !strings.Contains(r.body, "line 4") || !strings.Contains(r.body, "line 5: \"********091\"") {
		t.Fatalf("bad officials file: %d\n%s", r.status, r.body)
	}
	f.noWholeNumber("bad import", r.body)
	if f.auditCount(ctx) != before {
		t.Fatal("a refused import was audited")
	}
	if list, _ := f.st.Officials(ctx); len(list) != 1 || list[0].Number != "+8801711000077" {
		t.Fatalf("a refused import changed the officials: %+v", list)
	}
	good := "district,role,number,language\nBD-13,DWA officer,+8801711000088,bn\nBD,Country focal point,+8801711000089,en\n"
	if r := f.upload(f.login("cara"), "/console/officials/import", "officials.csv", good); r.status != 403 {
		t.Fatalf("a counsellor imported officials: %d", r.status)
	}
	r = f.upload(sara, "/console/officials/import", "officials.csv", good)
	if r.status != 200 || !strings.Contains(r.body, "2 officials imported") || !strings.Contains(r.body, "+880 17** ***088") {
		t.Fatalf("good officials file: %d\n%s", r.status, r.body)
	}
	f.noWholeNumber("import", r.body)
	e := f.lastAudit(ctx)
	if e.Action != AuditOfficialsImport || e.Actor != "sara" || e.Detail != "2 officials in 2 districts" || f.auditCount(ctx) != before+1 {
		t.Fatalf("import audit: %+v", e)
	}
	if list, _ := f.st.Officials(ctx); len(list) != 2 {
		t.Fatalf("officials after import: %+v", list)
	}
	// Without the token nothing is read.
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	fw, _ := w.CreateFormFile("csv", "officials.csv")
	fw.Write([]byte(bad))
	w.Close()
	req := httptest.NewRequest("POST", "/console/officials/import", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: sara.cookie})
	if r := f.send(req); r.status != 403 {
		t.Fatalf("import without CSRF: %d", r.status)
	}
}

func TestOutboxRetryAndDrop(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	m := &outbox.Message{Key: "k1", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert, To: "+8801711000001", Text: "Case 1234567: urgent."}
	if _, err := f.ob.Queue(ctx, m); err != nil {
		t.Fatal(err)
	}
	list, err := f.ob.List(ctx, outbox.Filter{})
	if err != nil || len(list) != 1 {
		t.Fatalf("outbox: %v %v", list, err)
	}
	id := list[0].ID
	path := func(act string) string { return "/console/outbox/" + itoa(id) + "/" + act }
	sara := f.login("sara")
	r := f.do(sara, "GET", "/console/outbox?state=queued", nil)
	if !strings.Contains(r.body, `action="`+path("drop")+`"`) || strings.Contains(r.body, `action="`+path("retry")+`"`) {
		t.Fatalf("a queued message offers drop and not retry:\n%s", r.body)
	}
	if r := f.do(sara, "GET", "/console/outbox?state=bogus", nil); r.status != 400 {
		t.Fatalf("unknown state: %d", r.status)
	}
	steps := []struct {
		act    string
		status int
		action string
		state  outbox.State
	}{
		{"retry", 409, "", outbox.Queued}, // only a failed or dead message is retried
		{"drop", 303, AuditOutboxDrop, outbox.Dead},
		{"retry", 303, AuditOutboxRetry, outbox.Queued},
	}
	for _, s := range steps {
		before := f.auditCount(ctx)
		if r := f.post(f.login("cara"), path(s.act), nil); r.status != 403 {
			t.Fatalf("a counsellor could %s: %d", s.act, r.status)
		}
		r := f.post(sara, path(s.act), nil)
		if r.status != s.status {
			t.Fatalf("%s: %d, want %d\n%s", s.act, r.status, s.status, r.body)
		}
		if s.action == "" {
			if f.auditCount(ctx) != before {
				t.Fatalf("a refused %s was audited", s.act)
			}
		} else if e := f.lastAudit(ctx); e.Action != s.action || e.Subject != "outbox:"+itoa(id) || e.Actor != "sara" || f.auditCount(ctx) != before+1 {
			t.Fatalf("%s audit: %+v", s.act, e)
		}
		var got *outbox.Message
		f.db.View(ctx, func(tx onestop.Tx) error { got, err = f.ob.Get(tx, id); return err })
		if got == nil || got.State != s.state {
			t.Fatalf("after %s: %+v, want %s", s.act, got, s.state)
		}
	}
	r = f.do(sara, "GET", "/console/outbox", nil)
	f.noWholeNumber("outbox", r.body)
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

// The status control starts at the referral's status and offers only the casebook's moves; the
// server applies only those and answers a refused one with 409 and the reason.
func TestReferralStatusControl(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	s := f.login("sara")
	options := func() []string {
		t.Helper()
		r := f.do(s, "GET", "/console/referrals", nil)
		sel := regexp.MustCompile(`(?s)<select name="status" aria-label="Status">(.*?)</select>`).FindStringSubmatch(r.body)
		if sel == nil {
			t.Fatalf("no status control:\n%s", r.body)
		}
		var out []string
		for _, m := range regexp.MustCompile(`<option value="([a-z]+)"( selected)?>`).FindAllStringSubmatch(sel[1], -1) {
			out = append(out, m[1]+m[2])
		}
		return out
	}
	if got := strings.Join(options(), " "); got != "received selected assigned declined" {
		t.Fatalf("received referral's control: %s", got)
	}
	before := f.auditCount(ctx)
	for _, to := range []string{"received", "closed", "contacted"} {
		r := f.post(s, "/console/referrals/1", url.Values{"status": {to}})
		if r.status != 409 || !strings.Contains(r.body, "a received referral cannot become "+to) {
			t.Fatalf("received → %s: %d\n%s", to, r.status, r.body)
		}
	}
	if f.auditCount(ctx) != before {
		t.Fatal("a refused move was audited")
	}
	if r := f.post(s, "/console/referrals/1", url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}}); r.status != 303 {
		t.Fatalf("received → assigned: %d\n%s", r.status, r.body)
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditReferral || f.auditCount(ctx) != before+1 {
		t.Fatalf("move audit: %+v", e)
	}
	if got := strings.Join(options(), " "); got != "assigned selected contacted declined" {
		t.Fatalf("assigned referral's control: %s", got)
	}
}

// The login page follows the browser's Accept-Language until someone chooses a language.
func TestLoginFollowsAcceptLanguage(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		header string
		want   onestop.Lang
	}{
		{"", onestop.English},
		{"bn-BD,bn;q=0.9,en;q=0.8", onestop.Bengali},
		{"fr-FR, ar;q=0.7, hi;q=0.8", onestop.Hindi},
		{"AR", onestop.Arabic},
		{"fr, de;q=0.5", onestop.English},
		{"hi;q=bogus, ar;q=0.2", onestop.Arabic},
	} {
		r := f.do(session{}, "GET", "/console/login", nil, "Accept-Language", tt.header)
		title := newLoc(tt.want).T("login.title")
		if r.status != 200 || !strings.Contains(r.body, `<html lang="`+string(tt.want)+`"`) || !strings.Contains(r.body, "<h1>"+title+"</h1>") {
			t.Fatalf("Accept-Language %q: %d, want %s\n%s", tt.header, r.status, tt.want, r.body)
		}
		if (tt.want == onestop.Arabic) != strings.Contains(r.body, `dir="rtl"`) {
			t.Fatalf("Accept-Language %q: wrong direction", tt.header)
		}
	}
	// A choice on the page wins over the header, and is kept.
	r := f.do(session{}, "GET", "/console/login?lang=ar", nil, "Accept-Language", "bn")
	if !strings.Contains(r.body, `<html lang="ar" dir="rtl"`) {
		t.Fatalf("chosen Arabic:\n%s", r.body)
	}
	var kept string
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == langCookie {
			kept = c.Value
		}
	}
	if kept != "ar" {
		t.Fatalf("the choice is not kept: %v", r.header)
	}
	r = f.do(session{}, "GET", "/console/login", nil, "Accept-Language", "bn", "Cookie", langCookie+"=ar")
	if !strings.Contains(r.body, `<html lang="ar"`) {
		t.Fatal("the kept choice gave way to the header")
	}
	if r := f.do(session{}, "GET", "/console/login?lang=xx", nil, "Accept-Language", "hi"); !strings.Contains(r.body, `<html lang="hi"`) {
		t.Fatal("an unknown choice was taken")
	}
	// A user's own choice wins over both.
	if err := f.cs.Users.SetLang(context.Background(), "sara", onestop.Bengali); err != nil {
		t.Fatal(err)
	}
	if r := f.do(f.login("sara"), "GET", "/console/", nil, "Accept-Language", "hi"); !strings.Contains(r.body, `<html lang="bn"`) {
		t.Fatal("the user's language gave way to the header")
	}
}

// The Today page reloads itself without script, and shows times in the viewer's zone, which the
// console's script file sends, with the caller's local time beside.
func TestTodayRefreshesAndShowsTheViewersZone(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	r := f.do(s, "GET", "/console/", nil)
	if !strings.Contains(r.body, `<meta http-equiv="refresh" content="60">`) {
		t.Fatalf("the Today page does not refresh itself:\n%s", r.body)
	}
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self';") || strings.Contains(csp, "unsafe-inline") {
		t.Fatalf("policy: %s", csp)
	}
	if r := f.do(s, "GET", "/console/referrals", nil); strings.Contains(r.body, `http-equiv="refresh"`) {
		t.Fatal("a page with forms to fill refreshes itself")
	}
	// Without a zone: the caller's local time, named.
	if !strings.Contains(r.body, "2026-11-23 09:55 UTC+6") {
		t.Fatalf("no caller time:\n%s", r.body)
	}
	// A viewer in London: her own time first, the caller's beside.
	r = f.do(s, "GET", "/console/", nil, "Cookie", sessionCookie+"="+s.cookie+"; "+zoneCookie+"=Europe/London")
	if !strings.Contains(r.body, "2026-11-23 03:55 GMT (her time 09:55 UTC+6)") {
		t.Fatalf("no viewer time:\n%s", r.body)
	}
	// A viewer in the caller's zone sees it once.
	r = f.do(s, "GET", "/console/", nil, "Cookie", sessionCookie+"="+s.cookie+"; "+zoneCookie+"=Asia/Dhaka")
	if !strings.Contains(r.body, "<td>2026-11-23 09:55 UTC+6</td>") || !strings.Contains(r.body, "(her time 08:30 IST)") {
		t.Fatalf("same zone shown twice, or another zone not beside:\n%s", r.body)
	}
	for _, bad := range []string{"Mars/Olympus", "../../etc/passwd", "Local", strings.Repeat("A/", 40)} {
		r = f.do(s, "GET", "/console/", nil, "Cookie", sessionCookie+"="+s.cookie+"; "+zoneCookie+"="+bad)
		if r.status != 200 || !strings.Contains(r.body, "2026-11-23 09:55 UTC+6") || strings.Contains(r.body, "her time") {
			t.Fatalf("zone %q: %d", bad, r.status)
		}
	}
	js := f.do(session{}, "GET", "/console/static/console.js", nil)
	if js.status != 200 || !strings.Contains(js.body, zoneCookie+"=") || !strings.Contains(js.body, "resolvedOptions().timeZone") {
		t.Fatalf("the script does not send the zone: %d", js.status)
	}
}

// Every button's words are readable on it: a contrast of at least 4.5 to 1 (WCAG AA), the
// red ones that reveal, disable and export included.
func TestButtonsAreReadable(t *testing.T) {
	css, err := staticFS.ReadFile("static/console.css")
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]string{}
	for _, m := range regexp.MustCompile(`--([a-z-]+):\s*(#[0-9a-fA-F]{6})`).FindAllStringSubmatch(string(css), -1) {
		vars[m[1]] = m[2]
	}
	colour := func(v string) string {
		v = strings.TrimSpace(v)
		if name, ok := strings.CutPrefix(v, "var(--"); ok {
			return vars[strings.TrimSuffix(name, ")")]
		}
		if v == "#fff" {
			return "#ffffff"
		}
		return v
	}
	lum := func(hexc string) float64 {
		var l [3]float64
		for i := range 3 {
			n, _ := strconv.ParseUint(hexc[1+2*i:3+2*i], 16, 8)
			c := float64(n) / 255
			if c <= 0.03928 {
				l[i] = c / 12.92
			} else {
				l[i] = math.Pow((c+0.055)/1.055, 2.4)
			}
		}
		return 0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]
	}
	prop := func(rule, name string) string {
		m := regexp.MustCompile(`(?:^|[;{\s])` + name + `:\s*([^;}]+)`).FindStringSubmatch(rule)
		if m == nil {
			return ""
		}
		return colour(m[1])
	}
	rules := regexp.MustCompile(`(?m)^([^{}/]*button[^{}]*)\{([^}]*)\}`).FindAllStringSubmatch(string(css), -1)
	base := map[string]string{}
	checked := 0
	for _, r := range rules {
		sel, body := strings.TrimSpace(r[1]), r[2]
		bg, fg := prop(body, "background"), prop(body, "color")
		if sel == "button" {
			base["bg"], base["fg"] = bg, fg
		}
		if bg == "" {
			continue
		}
		if fg == "" {
			fg = base["fg"]
		}
		if len(bg) != 7 || len(fg) != 7 {
			t.Fatalf("%s: colours %q on %q not understood", sel, fg, bg)
		}
		a, b := lum(fg), lum(bg)
		if a < b {
			a, b = b, a
		}
		if ratio := (a + 0.05) / (b + 0.05); ratio < 4.5 {
			t.Errorf("%s: %s on %s has contrast %.2f", sel, fg, bg, ratio)
		}
		checked++
	}
	if checked < 3 || !strings.Contains(string(css), "button.warn { background: var(--urgent); color: #fff; }") {
		t.Fatalf("checked %d button rules", checked)
	}
	// .warn makes text red; on a red button it must not win.
	if !regexp.MustCompile(`button\.warn \{[^}]*color: #fff`).Match(css) {
		t.Fatal("a red button's words are red")
	}
}

// No page shows a whole phone number, for any role in any language, with someone on every list
// and a change of each kind in the audit log.
func TestNoPageShowsAWholeNumber(t *testing.T) {
	f := newShiftFixture(t)
	f.seed()
	ctx := context.Background()
	if _, err := f.ob.Queue(ctx, &outbox.Message{Key: "k1", Kind: outbox.SMS, Audience: outbox.Counsellor, Cause: outbox.CauseAlert,
		To: "+8801711000001", Text: "Case 1234567: urgent."}); err != nil {
		t.Fatal(err)
	}
	sara := f.login("sara")
	for _, p := range []struct {
		path string
		form url.Values
	}{
		{"/console/duty", url.Values{"number": {"+8801711000088"}, "lang": {"hi"}}},
		{"/console/fallback", url.Values{"number": {"+8801711000088"}, "lang": {"bn"}}},
		{"/console/workers", url.Values{"number": {"+8801811000009"}, "name": {"Rina"}, "lang": {"bn"}}},
		{"/console/outbox/1/drop", nil},
	} {
		if r := f.post(sara, p.path, p.form); r.status != 303 {
			t.Fatalf("%s: %d", p.path, r.status)
		}
	}
	paths := []string{"/console/", "/console/contacts", "/console/case/" + f.due.Ref, "/console/case/" + f.later.Ref, "/console/callbacks",
		"/console/referrals", "/console/directory", "/console/exports", "/console/audit", "/console/users", "/console/password",
		"/console/duty", "/console/workers", "/console/officials", "/console/outbox", "/console/outbox?state=dead"}
	for _, lang := range []onestop.Lang{onestop.English, onestop.Bengali, onestop.Hindi, onestop.Arabic} {
		for _, name := range []string{"cara", "sara", "ada"} {
			if err := f.cs.Users.SetLang(ctx, name, lang); err != nil {
				t.Fatal(err)
			}
			s := f.login(name)
			for _, path := range paths {
				r := f.do(s, "GET", path, nil)
				if r.status >= 500 {
					t.Fatalf("%s %s %s: %d", lang, name, path, r.status)
				}
				f.noWholeNumber(string(lang)+" "+name+" "+path, r.body)
			}
		}
		r := f.do(session{}, "GET", "/console/login", nil, "Accept-Language", string(lang))
		f.noWholeNumber("login", r.body)
	}
}

// Without the staff service and the outbox the pages are not there, and not offered.
func TestShiftPagesNeedTheirServices(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	for _, path := range []string{"/console/duty", "/console/workers", "/console/officials", "/console/outbox"} {
		if r := f.do(s, "GET", path, nil); r.status != 404 {
			t.Fatalf("GET %s without its service: %d", path, r.status)
		}
	}
	if r := f.do(s, "GET", "/console/", nil); strings.Contains(r.body, `href="/console/duty"`) || strings.Contains(r.body, `href="/console/outbox"`) {
		t.Fatal("pages without their services are offered")
	}
}
