package console

import (
	"bytes"
	"context"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/crypto/bcrypt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/staff"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// 2026-11-23 04:00 UTC is 10:00 in Dhaka.
var start = time.Date(2026, 11, 23, 4, 0, 0, 0, time.UTC)

type fixture struct {
	t     *testing.T
	db    *bolt.DB
	cases *casebook.Casebook
	cs    *Console
	app   *fiber.App
	clock *clock
	// contacts seeded: urgent with a plan open now, non-urgent with a plan opening tomorrow,
	// information with no plan.
	due, later, info *onestop.Contact
	referral         *onestop.Referral
}

const secret = "correct horse battery"

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: start}
	db.Clock = clk.Now
	box, err := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.Embedded()
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	cs, err := New(db, cases, dir, Config{Idle: 30 * time.Minute, Log: nil})
	if err != nil {
		t.Fatal(err)
	}
	cs.Users.Cost = bcrypt.MinCost // slow on purpose; the tests check what is hashed
	app := fiber.New()
	cs.Register(app)
	f := &fixture{t: t, db: db, cases: cases, cs: cs, app: app, clock: clk}
	for _, u := range []struct {
		name string
		role staff.Role
	}{{"cara", staff.RoleCounsellor}, {"sara", staff.RoleSupervisor}, {"ada", staff.RoleAdmin}} {
		if err := cs.Users.Add(context.Background(), "test", u.name, u.role, secret, false); err != nil {
			t.Fatal(err)
		}
	}
	f.due = &onestop.Contact{Time: start.Add(-5 * time.Minute), Channel: onestop.USSD, Country: "BD", Area: "BD-13", Lang: onestop.Bengali,
		Urgency: onestop.Urgent, Status: onestop.Open, Caller: "+8801711000001", Masked: "+880 17** ***001",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000001", Window: onestop.Now, Opens: start.Add(-5 * time.Minute),
			Closes: start.Add(25 * time.Minute), TZ: "Asia/Dhaka", Cover: string(locales.Cover), AgreedAt: start.Add(-5 * time.Minute)}}
	f.later = &onestop.Contact{Time: start.Add(-time.Hour), Channel: onestop.USSD, Country: "IN", Area: "IN-DL", Lang: onestop.Hindi,
		Urgency: onestop.NonUrgent, Status: onestop.Open, Caller: "+919876543210", Masked: "+91 98** ***210",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+919876543210", Window: onestop.Evening, Opens: start.Add(8 * time.Hour),
			Closes: start.Add(12 * time.Hour), TZ: "Asia/Kolkata", Cover: string(locales.Cover), AgreedAt: start.Add(-time.Hour)}}
	f.info = &onestop.Contact{Time: start.Add(-3 * 24 * time.Hour), Channel: onestop.USSD, Country: "PS", Lang: onestop.Arabic,
		Urgency: onestop.Information, Status: onestop.Done, Masked: "+970 59** ***456"}
	f.referral = &onestop.Referral{Time: start.Add(-72 * time.Hour), Updated: start.Add(-72 * time.Hour), Channel: onestop.SMS, Country: "BD",
		Area: "BD-13", Place: "Mirpur", Status: onestop.Received, Verified: true, Lang: onestop.Bengali, Worker: "+8801811000009", Need: "needs shelter"}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		for _, c := range []*onestop.Contact{f.info, f.later, f.due} {
			if err := cases.Put(tx, c); err != nil {
				return err
			}
		}
		return cases.PutReferral(tx, f.referral)
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// session is a logged-in browser: its cookie and the CSRF token its forms carry.
type session struct {
	cookie, csrf string
}

func (f *fixture) login(name string) session {
	f.t.Helper()
	token, csrf, err := f.cs.Users.StartSession(context.Background(), name)
	if err != nil {
		f.t.Fatal(err)
	}
	return session{cookie: token, csrf: csrf}
}

type response struct {
	status int
	header http.Header
	body   string
}

func (f *fixture) do(s session, method, path string, form url.Values, header ...string) response {
	f.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if s.cookie != "" {
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.send(req)
}

func (f *fixture) send(req *http.Request) response {
	f.t.Helper()
	resp, err := f.app.Test(req, -1)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	// html/template writes "+" as "&#43;"; the tests read the page as a browser shows it.
	return response{status: resp.StatusCode, header: resp.Header, body: html.UnescapeString(string(b))}
}

// post sends a form with the session's CSRF token.
func (f *fixture) post(s session, path string, form url.Values) response {
	f.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", s.csrf)
	return f.do(s, "POST", path, form)
}

func (f *fixture) auditCount(ctx context.Context) int {
	f.t.Helper()
	n, err := f.cases.VerifyAudit(ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return n
}

func (f *fixture) lastAudit(ctx context.Context) casebook.AuditEntry {
	f.t.Helper()
	es, err := f.cases.AuditLog(ctx, casebook.AuditFilter{Limit: 1})
	if err != nil || len(es) != 1 {
		f.t.Fatalf("audit log: %v %v", es, err)
	}
	return es[0]
}

func TestPagesByRole(t *testing.T) {
	f := newFixture(t)
	ref := f.due.Ref
	// want is the status for counsellor, supervisor, admin.
	tests := []struct {
		path     string
		want     [3]int
		contains string
	}{
		{"/console/", [3]int{200, 200, 303}, ref},
		{"/console/contacts", [3]int{403, 200, 403}, f.info.Ref},
		{"/console/contacts?urgency=information&country=PS", [3]int{403, 200, 403}, f.info.Ref},
		{"/console/contacts?district=BD-13", [3]int{403, 200, 403}, "BD · Dhaka"},
		{"/console/case/" + ref, [3]int{200, 200, 403}, "+880 17** ***001"},
		{"/console/callbacks", [3]int{200, 200, 403}, ref},
		{"/console/referrals", [3]int{200, 200, 403}, f.referral.Ref},
		{"/console/directory", [3]int{200, 200, 200}, "bd-109"},
		{"/console/exports", [3]int{200, 200, 200}, "/console/exports/aggregate"},
		{"/console/audit", [3]int{403, 200, 200}, "Chain intact"},
		{"/console/users", [3]int{403, 403, 200}, "sara"},
		{"/console/password", [3]int{200, 200, 200}, `name="new"`},
		{"/console/nowhere", [3]int{404, 404, 404}, "Not found"},
	}
	roles := []string{"cara", "sara", "ada"}
	for _, tt := range tests {
		for i, name := range roles {
			t.Run(name+tt.path, func(t *testing.T) {
				r := f.do(f.login(name), "GET", tt.path, nil)
				if r.status != tt.want[i] {
					t.Fatalf("%s GET %s: %d, want %d\n%s", name, tt.path, r.status, tt.want[i], r.body)
				}
				if r.status == 200 && !strings.Contains(r.body, tt.contains) {
					t.Fatalf("%s GET %s lacks %q:\n%s", name, tt.path, tt.contains, r.body)
				}
				if r.status == 403 && strings.Contains(r.body, "***001") {
					t.Fatalf("a refused page showed a case:\n%s", r.body)
				}
				if r.header.Get("Content-Security-Policy") == "" || !strings.Contains(r.header.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
					r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("Cache-Control") != "no-store" {
					t.Fatalf("security headers missing: %v", r.header)
				}
				if strings.Contains(r.body, "<script>") || strings.Contains(r.body, " onclick=") || strings.Contains(r.body, "style=") {
					t.Fatal("inline script or style on a page")
				}
			})
		}
	}
}

func TestNoSessionRedirectsOrRefuses(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		method, path string
		want         int
	}{
		{"GET", "/console/", 303},
		{"GET", "/console/case/" + f.due.Ref, 303},
		{"POST", "/console/case/" + f.due.Ref + "/reveal", 403},
		{"POST", "/console/exports/aggregate", 403},
		{"GET", "/console/static/console.css", 200},
		{"GET", "/console/login", 200},
	} {
		r := f.do(session{cookie: "forged"}, tt.method, tt.path, url.Values{"reason": {"a good reason here"}})
		if r.status != tt.want {
			t.Errorf("%s %s without a session: %d, want %d", tt.method, tt.path, r.status, tt.want)
		}
	}
}

func TestEveryFormNeedsItsCSRFToken(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	forms := []struct {
		who, path string
		form      url.Values
	}{
		{"sara", "/console/case/" + f.due.Ref + "/reveal", url.Values{"reason": {"calling her back now"}}},
		{"sara", "/console/case/" + f.due.Ref + "/note", url.Values{"note": {"a note"}}},
		{"cara", "/console/callbacks/" + f.due.Ref, url.Values{"outcome": {"reached"}}},
		{"cara", "/console/referrals/1", url.Values{"status": {"assigned"}}},
		{"sara", "/console/exports/aggregate", url.Values{}},
		{"sara", "/console/exports/identified", url.Values{"reason": {"court order 17"}}},
		{"ada", "/console/users", url.Values{"name": {"newbie"}, "role": {"counsellor"}, "password": {secret}}},
		{"ada", "/console/users/cara/disable", url.Values{}},
		{"sara", "/console/lang", url.Values{"lang": {"ar"}}},
		{"sara", "/console/password", url.Values{"current": {secret}, "new": {"another long password"}, "confirm": {"another long password"}}},
		{"sara", "/console/logout", url.Values{}},
	}
	for _, tt := range forms {
		for _, token := range []string{"", "wrong-token"} {
			t.Run(tt.path+"/"+token, func(t *testing.T) {
				s := f.login(tt.who)
				before := f.auditCount(ctx)
				form := url.Values{}
				for k, v := range tt.form {
					form[k] = v
				}
				if token != "" {
					form.Set("csrf", token)
				}
				r := f.do(s, "POST", tt.path, form)
				if r.status != 403 || !strings.Contains(r.body, "form had expired") {
					t.Fatalf("POST %s with csrf %q: %d\n%s", tt.path, token, r.status, r.body)
				}
				if f.auditCount(ctx) != before || strings.Contains(r.body, "+8801711000001") {
					t.Fatal("a form without its token changed or showed something")
				}
			})
		}
	}
	// The same forms with the token go through (each is tested in detail elsewhere).
	if r := f.post(f.login("sara"), "/console/lang", url.Values{"lang": {"ar"}, "back": {"/console/audit"}}); r.status != 303 || r.header.Get("Location") != "/console/audit" {
		t.Fatalf("lang with token: %d %v", r.status, r.header)
	}
}

// loginForm fetches the login page and returns its cookie and CSRF token.
func (f *fixture) loginForm() (cookie, csrf string) {
	f.t.Helper()
	r := f.do(session{}, "GET", "/console/login", nil)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(r.body)
	c := regexp.MustCompile(loginCookie + `=([^;]+)`).FindStringSubmatch(r.header.Get("Set-Cookie"))
	if m == nil || c == nil || m[1] != c[1] {
		f.t.Fatalf("login page: %v\n%s", r.header, r.body)
	}
	return c[1], m[1]
}

func (f *fixture) tryLogin(name, password, csrf, cookie string, header ...string) response {
	f.t.Helper()
	req := httptest.NewRequest("POST", "/console/login", strings.NewReader(url.Values{"name": {name}, "password": {password}, "csrf": {csrf}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(&http.Cookie{Name: loginCookie, Value: cookie})
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return f.send(req)
}

// otherToken returns a token of the same length and alphabet that differs from tok in its first
// character, so a test never lands on the real token by chance.
func otherToken(tok string) string {
	c := byte('A')
	if tok[0] == c {
		c = 'B'
	}
	return string(c) + tok[1:]
}

func TestLogin(t *testing.T) {
	f := newFixture(t)
	cookie, csrf := f.loginForm()
	tests := []struct {
		name, user, password, csrf string
		header                     []string
		want                       int
		wantCookie                 []string
	}{
		{"no csrf", "sara", secret, "", nil, 403, nil},
		{"csrf of another form", "sara", secret, otherToken(csrf), nil, 403, nil},
		{"wrong password", "sara", "not the password", csrf, nil, 401, nil},
		{"unknown user", "nobody", secret, csrf, nil, 401, nil},
		{"right", "sara", secret, csrf, nil, 303, []string{"HttpOnly", "SameSite=Strict", "path=/console"}},
		{"behind TLS", "sara", secret, csrf, []string{"X-Forwarded-Proto", "https"}, 303, []string{"HttpOnly", "secure", "SameSite=Strict"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := f.tryLogin(tt.user, tt.password, tt.csrf, cookie, tt.header...)
			if r.status != tt.want {
				t.Fatalf("login: %d, want %d\n%s", r.status, tt.want, r.body)
			}
			set := strings.Join(r.header.Values("Set-Cookie"), "\n")
			if tt.want == 401 && (!strings.Contains(r.body, "Wrong name or password") || strings.Contains(set, sessionCookie+"=")) {
				t.Fatalf("failed login: %s\n%s", set, r.body)
			}
			if tt.wantCookie == nil {
				return
			}
			if !strings.Contains(set, sessionCookie+"=") {
				t.Fatalf("no session cookie: %s", set)
			}
			for _, w := range tt.wantCookie {
				if !strings.Contains(strings.ToLower(set), strings.ToLower(w)) {
					t.Fatalf("session cookie lacks %s: %s", w, set)
				}
			}
			if tt.header == nil && strings.Contains(strings.ToLower(set), "secure") {
				t.Fatalf("Secure cookie over plain HTTP: %s", set)
			}
			token := regexp.MustCompile(sessionCookie + `=([^;]+)`).FindStringSubmatch(set)[1]
			if r := f.do(session{cookie: token}, "GET", "/console/", nil); r.status != 200 || !strings.Contains(r.body, f.due.Ref) {
				t.Fatalf("after login: %d", r.status)
			}
		})
	}
}

func TestLockoutAfterRepeatedFailures(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	cookie, csrf := f.loginForm()
	for i := 0; i < f.cs.Users.MaxFailures; i++ {
		if r := f.tryLogin("cara", "wrong password!", csrf, cookie); r.status != 401 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}
	if f.lastAudit(ctx).Action != casebook.AuditLockout {
		t.Fatalf("lockout not audited: %+v", f.lastAudit(ctx))
	}
	// Locked: the right password is refused too, with the same answer.
	if r := f.tryLogin("cara", secret, csrf, cookie); r.status != 401 {
		t.Fatalf("locked user logged in: %d", r.status)
	}
	f.clock.Add(f.cs.Users.LockFor + time.Second)
	if r := f.tryLogin("cara", secret, csrf, cookie); r.status != 303 {
		t.Fatalf("after the lockout: %d", r.status)
	}
	// A success resets the count: four more failures do not lock.
	for i := 0; i < f.cs.Users.MaxFailures-1; i++ {
		f.tryLogin("cara", "wrong password!", csrf, cookie)
	}
	if r := f.tryLogin("cara", secret, csrf, cookie); r.status != 303 {
		t.Fatalf("locked after fewer failures than the limit: %d", r.status)
	}
}

func TestIdleSessionEnds(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	f.clock.Add(20 * time.Minute)
	if r := f.do(s, "GET", "/console/", nil); r.status != 200 {
		t.Fatalf("active session: %d", r.status)
	}
	f.clock.Add(20 * time.Minute) // 20 minutes after the last request: still inside 30
	if r := f.do(s, "GET", "/console/", nil); r.status != 200 {
		t.Fatalf("session ended while in use: %d", r.status)
	}
	f.clock.Add(31 * time.Minute)
	if r := f.do(s, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("idle session still live: %d", r.status)
	}
	if r := f.do(s, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("idle session came back: %d", r.status)
	}
}

func TestFirstAdminMustChangePassword(t *testing.T) {
	f := newFixture(t)
	dir := t.TempDir()
	// staff.Users exist: nothing is created.
	if path, err := f.cs.Users.Bootstrap(context.Background(), dir); err != nil || path != "" {
		t.Fatalf("Bootstrap with users: %q %v", path, err)
	}
	empty := newEmptyConsole(t)
	path, err := empty.cs.Users.Bootstrap(context.Background(), dir)
	if err != nil || path == "" {
		t.Fatalf("Bootstrap: %q %v", path, err)
	}
	st, err := os.Stat(path)
	if err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("password file: %v %v", st.Mode(), err)
	}
	raw, _ := os.ReadFile(path)
	password := regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(string(raw))[1]
	cookie, csrf := empty.loginForm()
	r := empty.tryLogin("admin", password, csrf, cookie)
	if r.status != 303 || r.header.Get("Location") != "/console/password" {
		t.Fatalf("first login: %d %v", r.status, r.header)
	}
	token := regexp.MustCompile(sessionCookie + `=([^;]+)`).FindStringSubmatch(strings.Join(r.header.Values("Set-Cookie"), "\n"))[1]
	l, _, err := empty.cs.Users.Session(context.Background(), token, empty.clock.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := session{cookie: token, csrf: l.CSRF}
	if r := empty.do(s, "GET", "/console/users", nil); r.status != 303 || r.header.Get("Location") != "/console/password" {
		t.Fatalf("pages before the change: %d %v", r.status, r.header)
	}
	for _, tt := range []struct {
		current, next, confirm string
		want                   int
		says                   string
	}{
		{"wrong", "a brand new password", "a brand new password", 400, "current password is wrong"},
		{password, "short", "short", 400, "at least 12"},
		{password, "a brand new password", "a different one!!", 400, "differ"},
		{password, "a brand new password", "a brand new password", 303, ""},
	} {
		r := empty.post(s, "/console/password", url.Values{"current": {tt.current}, "new": {tt.next}, "confirm": {tt.confirm}})
		if r.status != tt.want || !strings.Contains(r.body, tt.says) {
			t.Fatalf("change %q: %d\n%s", tt.next, r.status, r.body)
		}
	}
	if r := empty.do(s, "GET", "/console/users", nil); r.status != 200 {
		t.Fatalf("after the change: %d", r.status)
	}
	if _, err := empty.cs.Users.Authenticate(context.Background(), "admin", password, empty.clock.Now()); err == nil {
		t.Fatal("the one-time password still works")
	}
}

func newEmptyConsole(t *testing.T) *fixture {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: start}
	db.Clock = clk.Now
	box, _ := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	dir, _ := directory.Embedded()
	cases := casebook.New(db, box)
	cs, err := New(db, cases, dir, Config{})
	if err != nil {
		t.Fatal(err)
	}
	cs.Users.Cost = bcrypt.MinCost
	app := fiber.New()
	cs.Register(app)
	return &fixture{t: t, db: db, cases: cases, cs: cs, app: app, clock: clk}
}

func TestCaseViewAndRevealAreAudited(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.login("cara")
	path := "/console/case/" + f.due.Ref
	r := f.do(s, "GET", path, nil)
	if r.status != 200 || strings.Contains(r.body, "+8801711000001") || !strings.Contains(r.body, "+880 17** ***001") {
		t.Fatalf("case page: %d\n%s", r.status, r.body)
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditCaseView || e.Actor != "cara" || e.Subject != "contact:"+f.due.Ref {
		t.Fatalf("view not audited: %+v", e)
	}
	tests := []struct {
		reason   string
		want     int
		revealed bool
	}{
		{"", 400, false},
		{"too short", 400, false},
		{"calling her back in her window", 200, true},
	}
	for _, tt := range tests {
		before := f.auditCount(ctx)
		r := f.post(s, path+"/reveal", url.Values{"reason": {tt.reason}})
		if r.status != tt.want || strings.Contains(r.body, "+8801711000001") != tt.revealed {
			t.Fatalf("reveal with %q: %d\n%s", tt.reason, r.status, r.body)
		}
		if !tt.revealed {
			if f.auditCount(ctx) != before {
				t.Fatal("a refused reveal was audited as one")
			}
			continue
		}
		e := f.lastAudit(ctx)
		if e.Action != casebook.AuditCaseReveal || e.Note != tt.reason || e.Actor != "cara" {
			t.Fatalf("reveal entry: %+v", e)
		}
	}
	if r := f.do(s, "GET", "/console/case/1234567", nil); r.status != 404 {
		t.Fatalf("unknown case: %d", r.status)
	}
	if r := f.do(s, "GET", "/console/case/123", nil); r.status != 404 {
		t.Fatalf("malformed case: %d", r.status)
	}
	// A note shows on the timeline; the reveal's reason does too.
	if r := f.post(s, path+"/note", url.Values{"note": {"she prefers the evening"}}); r.status != 303 {
		t.Fatalf("note: %d", r.status)
	}
	r = f.do(s, "GET", path, nil)
	if !strings.Contains(r.body, "she prefers the evening") || !strings.Contains(r.body, "calling her back in her window") {
		t.Fatalf("timeline:\n%s", r.body)
	}
	// The supervisor sees the reason in the audit log; the administrator sees that it happened.
	if r := f.do(f.login("sara"), "GET", "/console/audit", nil); !strings.Contains(r.body, "case.reveal") || !strings.Contains(r.body, "calling her back") {
		t.Fatalf("audit page for a supervisor:\n%s", r.body)
	}
	if r := f.do(f.login("ada"), "GET", "/console/audit", nil); !strings.Contains(r.body, "case.reveal") || strings.Contains(r.body, "calling her back") {
		t.Fatalf("audit page for an admin:\n%s", r.body)
	}
}

func TestCallbackQueue(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		outcome    string
		want       int
		wantStatus onestop.ContactStatus
	}{
		{"no-answer", 303, onestop.Open},
		{"reached", 303, onestop.Done},
		{"not-safe", 303, onestop.DoNotContact},
		{"hung-up", 400, onestop.Open},
	}
	for _, tt := range tests {
		t.Run(tt.outcome, func(t *testing.T) {
			f := newFixture(t)
			s := f.login("cara")
			r := f.do(s, "GET", "/console/callbacks", nil)
			// Only the window open now: the evening one is not on the queue.
			if r.status != 200 || !strings.Contains(r.body, f.due.Ref) || strings.Contains(r.body, f.later.Ref) {
				t.Fatalf("queue:\n%s", r.body)
			}
			r = f.post(s, "/console/callbacks/"+f.due.Ref, url.Values{"outcome": {tt.outcome}})
			if r.status != tt.want {
				t.Fatalf("record %s: %d\n%s", tt.outcome, r.status, r.body)
			}
			got, _ := f.cases.Contact(ctx, f.due.ID)
			if got.Status != tt.wantStatus {
				t.Fatalf("status after %s: %s", tt.outcome, got.Status)
			}
			r = f.do(s, "GET", "/console/callbacks", nil)
			if strings.Contains(r.body, f.due.Ref) != (tt.wantStatus == onestop.Open) {
				t.Fatalf("queue after %s:\n%s", tt.outcome, r.body)
			}
			if tt.want == 303 {
				if e := f.lastAudit(ctx); e.Action != casebook.AuditCallback || e.Detail != tt.outcome {
					t.Fatalf("attempt entry: %+v", e)
				}
				if r := f.do(s, "GET", "/console/case/"+f.due.Ref, nil); !strings.Contains(r.body, "Callback attempt") {
					t.Fatalf("case timeline lacks the attempt:\n%s", r.body)
				}
			}
			// In the evening, her window is open: the other contact is due.
			f.clock.Add(9 * time.Hour)
			if r := f.do(f.login("cara"), "GET", "/console/callbacks", nil); !strings.Contains(r.body, f.later.Ref) || strings.Contains(r.body, f.due.Ref) {
				t.Fatalf("evening queue:\n%s", r.body)
			}
		})
	}
}

func TestReferralUpdate(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	s := f.login("sara")
	r := f.do(s, "GET", "/console/referrals", nil)
	if !strings.Contains(r.body, "Overdue") || !strings.Contains(r.body, "needs shelter") {
		t.Fatalf("referrals page:\n%s", r.body)
	}
	id := "/console/referrals/1"
	for _, tt := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"status": {"lost"}}, 400},
		{url.Values{"status": {"assigned"}, "centre": {"no-such-centre"}}, 400},
		{url.Values{"status": {"assigned"}, "centre": {"bd-occ-dhaka"}, "note": {"called the OCC"}}, 303},
	} {
		if r := f.post(s, id, tt.form); r.status != tt.want {
			t.Fatalf("update %v: %d\n%s", tt.form, r.status, r.body)
		}
	}
	if r := f.post(s, "/console/referrals/99", url.Values{"status": {"closed"}}); r.status != 404 {
		t.Fatalf("unknown referral: %d", r.status)
	}
	got, err := f.cases.ReferralByRef(ctx, f.referral.Ref)
	if err != nil || got.Status != onestop.Assigned || got.Centre != "bd-occ-dhaka" || len(got.History) != 1 || got.History[0].By != "sara" {
		t.Fatalf("referral after update: %+v %v", got, err)
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditReferral || e.Subject != "referral:"+f.referral.Ref {
		t.Fatalf("referral entry: %+v", e)
	}
	if r := f.do(s, "GET", "/console/", nil); strings.Contains(r.body, f.referral.Ref) {
		t.Fatal("an updated referral is still overdue")
	}
}

func upload(t *testing.T, f *fixture, s session, csv string, dryRun bool) response {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	w.WriteField("csrf", s.csrf)
	if dryRun {
		w.WriteField("dryrun", "1")
	}
	fw, _ := w.CreateFormFile("csv", "centres.csv")
	fw.Write([]byte(csv))
	w.Close()
	req := httptest.NewRequest("POST", "/console/directory/import", &b)
	req.Header.Set("Content-Type", w.FormDataContentType())
	req.AddCookie(&http.Cookie{Name: sessionCookie, Value: s.cookie})
	return f.send(req)
}

func TestDirectoryImportChecksLikeTheCommandLine(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	good, err := os.ReadFile("../directory/data/centres.csv")
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(good), ",BD,helpline,", ",XX,helpline,", 1)
	renamed := strings.Replace(string(good), "National Emergency Service,", "National Emergency Service (999),", 1)
	tests := []struct {
		name, who, csv string
		dryRun         bool
		want           int
		says           string
		audited        bool
	}{
		{"same as in force", "ada", string(good), false, 200, "nothing would change", false},
		{"a change, dry run", "ada", renamed, true, 200, "would change the centres table", false},
		{"invalid", "ada", bad, false, 400, "line 2: country", false},
		{"not a directory file", "ada", "name,phone\nx,y\n", false, 400, "not a directory CSV", false},
		{"supervisor may not", "sara", renamed, false, 403, "", false},
		{"counsellor may not", "cara", renamed, false, 403, "", false},
		{"a change", "ada", renamed, false, 200, "Imported into the centres table", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.auditCount(ctx)
			r := upload(t, f, f.login(tt.who), tt.csv, tt.dryRun)
			if r.status != tt.want || !strings.Contains(r.body, tt.says) {
				t.Fatalf("import: %d\n%s", r.status, r.body)
			}
			if (f.auditCount(ctx) > before) != tt.audited {
				t.Fatalf("audited %v, want %v", f.auditCount(ctx) > before, tt.audited)
			}
			dir, err := directory.Load(ctx, f.db)
			if err != nil {
				t.Fatal(err)
			}
			c, _ := dir.Centre("bd-999")
			if got := c.Name(onestop.English) == "National Emergency Service (999)"; got != tt.audited && tt.audited {
				t.Fatalf("after import the centre is %q", c.Name(onestop.English))
			}
		})
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditDirectory || !strings.Contains(e.Detail, "1 changed") {
		t.Fatalf("import entry: %+v", e)
	}
	r := f.do(f.login("ada"), "GET", "/console/directory/centres.csv", nil)
	if r.status != 200 || !strings.Contains(r.body, "National Emergency Service (999)") {
		t.Fatalf("export after import: %d", r.status)
	}
	if r := f.do(f.login("sara"), "GET", "/console/directory/centres.csv", nil); r.status != 403 {
		t.Fatalf("supervisor export: %d", r.status)
	}
	if r := f.do(f.login("sara"), "GET", "/console/directory?country=IN&parent=IN-UP", nil); r.status != 200 || !strings.Contains(r.body, "IN-UP-") {
		t.Fatalf("areas inside IN-UP: %d\n%s", r.status, r.body)
	}
}

func TestExports(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	tests := []struct {
		name, who, path string
		form            url.Values
		want            int
		has, hasNot     string
	}{
		{"aggregate", "cara", "/console/exports/aggregate", url.Values{"days": {"30"}}, 200, "2026-W48,BD,BD-13,ussd,urgent,1", "1711000001"},
		{"aggregate, bad days", "cara", "/console/exports/aggregate", url.Values{"days": {"-1"}}, 400, "", ""},
		{"identified, counsellor", "cara", "/console/exports/identified", url.Values{"reason": {"court order number 17"}}, 403, "", "1711000001"},
		{"identified, admin", "ada", "/console/exports/identified", url.Values{"reason": {"court order number 17"}}, 403, "", "1711000001"},
		{"identified, no reason", "sara", "/console/exports/identified", url.Values{}, 400, "", "1711000001"},
		{"identified", "sara", "/console/exports/identified", url.Values{"reason": {"court order number 17"}}, 200, "+8801711000001", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := f.auditCount(ctx)
			r := f.post(f.login(tt.who), tt.path, tt.form)
			if r.status != tt.want || !strings.Contains(r.body, tt.has) || (tt.hasNot != "" && strings.Contains(r.body, tt.hasNot)) {
				t.Fatalf("export: %d\n%s", r.status, r.body)
			}
			if tt.want == 200 {
				if !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") || f.lastAudit(ctx).Action != casebook.AuditExport {
					t.Fatalf("export not a CSV or not audited: %v %+v", r.header, f.lastAudit(ctx))
				}
			} else if f.auditCount(ctx) != before {
				t.Fatal("a refused export was audited as one")
			}
		})
	}
	if e := f.lastAudit(ctx); e.Note != "court order number 17" || !strings.HasPrefix(e.Detail, "identified") {
		t.Fatalf("identified export entry: %+v", e)
	}
}

func TestUsersAdministration(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ada, cara := f.login("ada"), f.login("cara")
	for _, tt := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"name": {"Bad Name"}, "role": {"counsellor"}, "password": {secret}}, 400},
		{url.Values{"name": {"nila"}, "role": {"boss"}, "password": {secret}}, 400},
		{url.Values{"name": {"nila"}, "role": {"counsellor"}, "password": {"short"}}, 400},
		{url.Values{"name": {"nila"}, "role": {"counsellor"}, "password": {secret}}, 303},
		{url.Values{"name": {"nila"}, "role": {"counsellor"}, "password": {secret}}, 409},
	} {
		if r := f.post(ada, "/console/users", tt.form); r.status != tt.want {
			t.Fatalf("add %v: %d\n%s", tt.form, r.status, r.body)
		}
	}
	if u, err := f.cs.Users.Get(ctx, "nila"); err != nil || !u.MustChange || u.Role != staff.RoleCounsellor {
		t.Fatalf("added user: %+v %v", u, err)
	}
	if r := f.post(ada, "/console/users/ada/disable", nil); r.status != 409 {
		t.Fatalf("disable self: %d", r.status)
	}
	if r := f.post(cara, "/console/users/ada/disable", nil); r.status != 403 {
		t.Fatalf("counsellor disabling: %d", r.status)
	}
	if r := f.post(ada, "/console/users/cara/disable", nil); r.status != 303 {
		t.Fatalf("disable: %d", r.status)
	}
	if r := f.do(cara, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("a disabled user's session lives on: %d", r.status)
	}
	if _, err := f.cs.Users.Authenticate(context.Background(), "cara", secret, f.clock.Now()); err == nil {
		t.Fatal("a disabled user logged in")
	}
	if r := f.post(ada, "/console/users/nobody/disable", nil); r.status != 404 {
		t.Fatalf("disable unknown: %d", r.status)
	}
}

func TestArabicIsRightToLeftWithArabicDigits(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	tests := []struct {
		lang, dir, word string
	}{
		{"ar", `dir="rtl"`, "اليوم"},
		{"bn", `dir="ltr"`, "আজ"},
		{"hi", `dir="ltr"`, "आज"},
		{"en", `dir="ltr"`, "Today"},
	}
	for _, tt := range tests {
		if r := f.post(s, "/console/lang", url.Values{"lang": {tt.lang}, "back": {"https://evil.example/"}}); r.status != 303 || r.header.Get("Location") != "/console/" {
			t.Fatalf("lang %s: %d %v", tt.lang, r.status, r.header)
		}
		r := f.do(s, "GET", "/console/", nil)
		if !strings.Contains(r.body, tt.dir) || !strings.Contains(r.body, `lang="`+tt.lang+`"`) || !strings.Contains(r.body, "<h1>"+tt.word) {
			t.Fatalf("%s page:\n%s", tt.lang, r.body)
		}
		if tt.lang == "ar" && !strings.Contains(r.body, "٢٠٢٦-١١-٢٣") {
			t.Fatalf("Arabic page without Arabic-Indic digits:\n%s", r.body)
		}
		if tt.lang == "bn" && !strings.Contains(r.body, "২০২৬-১১-২৩") {
			t.Fatalf("Bengali page without Bengali digits:\n%s", r.body)
		}
	}
	if r := f.post(s, "/console/lang", url.Values{"lang": {"fr"}}); r.status != 400 {
		t.Fatalf("unknown language: %d", r.status)
	}
}

func TestCataloguesAreComplete(t *testing.T) {
	for lang, cat := range catalogue {
		for key, en := range consoleEN {
			s, ok := cat[key]
			if !ok || s == "" {
				t.Errorf("%s lacks %q", lang, key)
			}
			if strings.Count(s, "%[1]s") != strings.Count(en, "%[1]s") {
				t.Errorf("%s %q has other verbs than English", lang, key)
			}
		}
		for key := range cat {
			if _, ok := consoleEN[key]; !ok {
				t.Errorf("%s has %q, which English lacks", lang, key)
			}
		}
	}
}

func TestStaticFilesAreServedAndCached(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/console/static/console.css", "/console/static/console.js"} {
		r := f.do(session{}, "GET", p, nil)
		if r.status != 200 || r.header.Get("Cache-Control") == "no-store" || len(r.body) < 100 {
			t.Fatalf("%s: %d %v", p, r.status, r.header)
		}
	}
	css := f.do(session{}, "GET", "/console/static/console.css", nil).body
	for _, font := range []string{"Noto Sans Bengali", "Noto Sans Devanagari", "Noto Sans Arabic"} {
		if !strings.Contains(css, font) {
			t.Errorf("stylesheet lacks %s", font)
		}
	}
	if strings.Contains(css, "margin-left") || strings.Contains(css, "padding-right") {
		t.Error("a physical margin would not mirror in Arabic")
	}
}

// A callback whose number she has since marked "do not contact" leaves the queue, and its case
// page offers no reveal and no attempt to a counsellor.
func TestAMarkedNumberLeavesTheCallbackQueue(t *testing.T) {
	f := newFixture(t)
	s := f.login("cara")
	if r := f.do(s, "GET", "/console/callbacks", nil); !strings.Contains(r.body, f.due.Ref) {
		t.Fatalf("the callback is not on the queue before the mark: %d", r.status)
	}
	err := f.db.Update(context.Background(), func(tx onestop.Tx) error {
		return f.cases.MarkDoNotContact(tx, f.due.Plan.Number, f.clock.Now().Add(24*time.Hour))
	})
	if err != nil {
		t.Fatal(err)
	}
	if r := f.do(s, "GET", "/console/callbacks", nil); strings.Contains(r.body, f.due.Ref) {
		t.Fatal("a callback to a number marked do not contact is on the queue")
	}
	if r := f.post(s, "/console/callbacks/"+f.due.Ref, url.Values{"outcome": {"reached"}}); r.status != 409 {
		t.Fatalf("an attempt on a marked number: %d", r.status)
	}
}
