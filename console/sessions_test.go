package console

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/casebook"
)

func sessionToken(t *testing.T, r response) string {
	t.Helper()
	m := regexp.MustCompile(sessionCookie + `=([^;]+)`).FindStringSubmatch(strings.Join(r.header.Values("Set-Cookie"), "\n"))
	if m == nil {
		t.Fatalf("no session cookie: %d %v", r.status, r.header)
	}
	return m[1]
}

// A password change ends every other session of the user, and keeps the one it was made in.
func TestPasswordChangeEndsOtherSessions(t *testing.T) {
	f := newFixture(t)
	here, there, other := f.login("sara"), f.login("sara"), f.login("cara")
	next := "a brand new passphrase"
	if r := f.post(here, "/console/password", url.Values{"current": {secret}, "new": {next}, "confirm": {next}}); r.status != 303 {
		t.Fatalf("change: %d\n%s", r.status, r.body)
	}
	if r := f.do(here, "GET", "/console/", nil); r.status != 200 {
		t.Fatalf("the session the change was made in: %d", r.status)
	}
	if r := f.do(there, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("another session of hers lives on after the change: %d", r.status)
	}
	if r := f.do(other, "GET", "/console/", nil); r.status != 200 {
		t.Fatalf("another user's session: %d", r.status)
	}
}

// A session ends Lifetime after its login, however busy it has been.
func TestSessionHasAnAbsoluteLifetime(t *testing.T) {
	f := newFixture(t)
	s := f.login("sara")
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-20*time.Minute; elapsed += 20 * time.Minute {
		f.clock.Add(20 * time.Minute)
		if r := f.do(s, "GET", "/console/", nil); r.status != 200 {
			t.Fatalf("after %v in use: %d", elapsed+20*time.Minute, r.status)
		}
	}
	f.clock.Add(21 * time.Minute) // 12 h 1 min after login, 21 min after the last request
	if r := f.do(s, "GET", "/console/", nil); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("a session past its lifetime: %d %s", r.status, r.header.Get("Location"))
	}
	if r := f.post(s, "/console/lang", url.Values{"lang": {"en"}}); r.status != 403 {
		t.Fatalf("a form in a session past its lifetime: %d", r.status)
	}
}

// One address failing against many users is refused, 429 with a reason and a Retry-After, even
// with a right password, while another address may still log in; after the window it may too.
func TestLoginsAreLimitedPerAddress(t *testing.T) {
	f := newFixture(t)
	cookie, csrf := f.loginForm()
	users := []string{"cara", "sara", "ada", "nobody", "ghost"}
	for i := 0; i < 20; i++ {
		// Four tries per user at most: no user is locked out by this.
		if r := f.tryLogin(users[i%len(users)], fmt.Sprintf("wrong password %d", i), csrf, cookie); r.status != 401 {
			t.Fatalf("failure %d: %d", i, r.status)
		}
	}
	r := f.tryLogin("sara", secret, csrf, cookie)
	if r.status != 429 || !strings.Contains(r.body, "Too many failed logins from this address") || r.header.Get("Retry-After") == "" {
		t.Fatalf("21st try from one address: %d %q\n%s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ""), sessionCookie+"=") {
		t.Fatal("a refused address got a session")
	}
	if u, _ := f.cs.Users.Get(context.Background(), "sara"); !u.LockedTill.IsZero() {
		t.Fatal("the per-user lockout was hit: this test checks the per-address one")
	}
	f.clock.Add(15*time.Minute + time.Second)
	if r := f.tryLogin("sara", secret, csrf, cookie); r.status != 303 {
		t.Fatalf("after the window: %d\n%s", r.status, r.body)
	}
}

func TestAddressLimitCountsPerAddress(t *testing.T) {
	now := start
	a := newAddressLimit(3, time.Minute)
	for i := 0; i < 3; i++ {
		a.fail("a", now)
	}
	if a.blocked("a", now) == 0 || a.blocked("b", now) != 0 {
		t.Fatalf("a: %v, b: %v", a.blocked("a", now), a.blocked("b", now))
	}
	if w := a.blocked("a", now.Add(30*time.Second)); w != 30*time.Second {
		t.Fatalf("wait %v, want 30s", w)
	}
	if a.blocked("a", now.Add(time.Minute)) != 0 {
		t.Fatal("still blocked after the window")
	}
}

// With every bcrypt slot taken, a login is refused at once with 503 and a reason, checks no
// password and counts no failure against the user.
func TestLoginRefusedWhenHashingIsBusy(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	f.cs.Users.HashWait = 50 * time.Millisecond
	cookie, csrf := f.loginForm()
	var held []func()
	for range 10 {
		release, err := f.cs.Users.HashSlot(ctx)
		if err != nil {
			break
		}
		held = append(held, release)
	}
	if len(held) != 2 {
		t.Fatalf("%d bcrypt slots, want 2", len(held))
	}
	before := f.auditCount(ctx)
	began := time.Now()
	r := f.tryLogin("sara", secret, csrf, cookie)
	if r.status != 503 || !strings.Contains(r.body, "busy checking other logins") || r.header.Get("Retry-After") == "" {
		t.Fatalf("busy login: %d %q\n%s", r.status, r.header.Get("Retry-After"), r.body)
	}
	if took := time.Since(began); took > 2*time.Second {
		t.Fatalf("a busy login waited %v", took)
	}
	if u, _ := f.cs.Users.Get(ctx, "sara"); u.Failures != 0 || f.auditCount(ctx) != before {
		t.Fatalf("a refused login changed something: %d failures, %d audit entries (was %d)", u.Failures, f.auditCount(ctx), before)
	}
	s := f.login("sara")
	if r := f.post(s, "/console/password", url.Values{"current": {secret}, "new": {"another long one!"}, "confirm": {"another long one!"}}); r.status != 503 {
		t.Fatalf("busy password change: %d", r.status)
	}
	for _, release := range held {
		release()
	}
	if r := f.tryLogin("sara", secret, csrf, cookie); r.status != 303 {
		t.Fatalf("after the burst: %d", r.status)
	}
}

// An administrator re-enables a disabled user and sets a temporary password, both audited; the
// reset ends the user's sessions and must be changed at the next login.
func TestAdminResetsAndReenables(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t)
	ada, sara, cara := f.login("ada"), f.login("sara"), f.login("cara")
	temp := "temporary password"
	tests := []struct {
		who    session
		path   string
		form   url.Values
		want   int
		reason string
	}{
		{cara, "/console/users/sara/reset", url.Values{"password": {temp}}, 403, "Your role does not allow this."},
		{sara, "/console/users/cara/enable", nil, 403, "Your role does not allow this."},
		{ada, "/console/users/sara/reset", url.Values{"password": {"short"}}, 400, "at least 12 characters"},
		{ada, "/console/users/ada/reset", url.Values{"password": {temp}}, 409, "change your own password on the password page"},
		{ada, "/console/users/nobody/reset", url.Values{"password": {temp}}, 404, "Not found."},
		{ada, "/console/users/cara/enable", nil, 409, "user cara is not disabled"},
		{ada, "/console/users/nobody/enable", nil, 404, "Not found."},
	}
	for _, tt := range tests {
		before := f.auditCount(ctx)
		if r := f.post(tt.who, tt.path, tt.form); r.status != tt.want || !strings.Contains(r.body, tt.reason) {
			t.Fatalf("%s: %d, want %d %q\n%s", tt.path, r.status, tt.want, tt.reason, r.body)
		}
		if f.auditCount(ctx) != before {
			t.Fatalf("%s: a refusal was audited or changed something", tt.path)
		}
	}
	if r := f.post(ada, "/console/users/sara/reset", url.Values{"password": {temp}}); r.status != 303 {
		t.Fatalf("reset: %d", r.status)
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditUserReset || e.Actor != "ada" || e.Subject != "user:sara" {
		t.Fatalf("reset audited as %+v", e)
	}
	if r := f.do(sara, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("a session lives on after a reset: %d", r.status)
	}
	cookie, csrf := f.loginForm()
	if r := f.tryLogin("sara", secret, csrf, cookie); r.status != 401 {
		t.Fatalf("the old password after a reset: %d", r.status)
	}
	r := f.tryLogin("sara", temp, csrf, cookie)
	if r.status != 303 || r.header.Get("Location") != "/console/password" {
		t.Fatalf("the temporary password: %d %s", r.status, r.header.Get("Location"))
	}
	if r := f.do(session{cookie: sessionToken(t, r)}, "GET", "/console/contacts", nil); r.status != 303 || r.header.Get("Location") != "/console/password" {
		t.Fatalf("a temporary password must be changed first: %d %s", r.status, r.header.Get("Location"))
	}

	if r := f.post(ada, "/console/users/cara/disable", nil); r.status != 303 {
		t.Fatalf("disable: %d", r.status)
	}
	if r := f.post(ada, "/console/users/cara/enable", nil); r.status != 303 {
		t.Fatalf("enable: %d", r.status)
	}
	if e := f.lastAudit(ctx); e.Action != casebook.AuditUserEnable || e.Actor != "ada" || e.Subject != "user:cara" {
		t.Fatalf("enable audited as %+v", e)
	}
	if r := f.do(cara, "GET", "/console/", nil); r.status != 303 {
		t.Fatalf("a session ended by the disable came back: %d", r.status)
	}
	if r := f.tryLogin("cara", secret, csrf, cookie); r.status != 303 {
		t.Fatalf("a re-enabled user: %d", r.status)
	}
	page := f.do(ada, "GET", "/console/users", nil)
	if !strings.Contains(page.body, `action="/console/users/cara/reset"`) || strings.Contains(page.body, `action="/console/users/ada/reset"`) {
		t.Fatalf("users page lacks the reset forms:\n%s", page.body)
	}
}
