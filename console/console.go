// Package console is the web console of the helpline's staff, under /console on the gateway's
// Fiber app: counsellors work the callback queue, supervisors review contacts, referrals, figures
// and the audit log, administrators keep the directory and the users. Pages are rendered on the
// server with html/template from embedded files, in English, Bengali, Hindi and Arabic (right to
// left), with a stylesheet, a few lines of optional script and no third-party asset, so that they
// work on a slow connection and a small laptop.
//
// The console owns console users, their login sessions and what each role may see. It reads
// contacts and referrals through casebook and centres through directory.
//
// It must never show a survivor's whole number without a reason that goes to the audit log, never
// let a view of her case, an export or a change go unaudited, never put inline script on a page or
// serve a page a frame may embed, and never accept a form without its CSRF token.
package console

import (
	"context"
	"crypto/subtle"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // survivors' local times must not depend on the host's zone files

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/filesystem"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/directory"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/staff"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Config tunes the console. The zero value of every field has a working default.
type Config struct {
	// Idle is how long a login session lasts without a request.
	Idle time.Duration
	// Lifetime is how long a login session lasts at most, however busy (0: 12 hours).
	Lifetime time.Duration
	// AddressFailures failed logins from one client address within AddressWindow refuse that
	// address's logins with 429 until the window has passed (0: 20 in 15 minutes).
	AddressFailures int
	AddressWindow   time.Duration
	// Hashers bounds the bcrypt hashes run at once (0: 2); a login that waits a second for its
	// turn is refused with 503.
	Hashers int
	// Secure forces Secure cookies even when the request does not say it came over TLS.
	Secure bool
	// OnDuty, when set, names (masked) the counsellors on duty at a moment, for the Today page:
	// with nobody, it says so in red.
	OnDuty func(ctx context.Context, at time.Time) ([]string, error)
	Log    *slog.Logger
	// CentreCode, when set, gives the neutral code a centre goes by in texts to workers
	// (flows.CentreCode), shown beside its name so staff know which centre a worker means.
	CentreCode func(id string) string
	// Call, when set, places a bridged callback to the survivor of contact id for console user
	// by: the provider calls the counsellor's phone first and connects her from the helpline's
	// number, so her number is never shown (outbox.Outbox.Bridge, with the counsellor's number
	// looked up by the caller). press is the idempotency key the queue's form carried
	// (outbox.PressKey). An EFORBIDDEN error is a refusal by her plan, already on her case.
	// Without it the queue has no Call button.
	Call func(ctx context.Context, id uint64, by, press string) error
	// Staff, when set, gives supervisors and administrators the duty rota, community workers and
	// district officials pages, acting through the same calls as the command line; it also
	// names who is on duty on the Today page when OnDuty is unset.
	Staff *staff.Service
	// Outbox, when set, gives supervisors and administrators the outbox page: what is queued,
	// failed and dead, with retry and drop.
	Outbox *outbox.Outbox
}

// Console is the console's handlers and what they share.
type Console struct {
	db    onestop.Store
	cases *casebook.Casebook
	dir   *directory.Directory
	// staff.Users keeps console users and their sessions.
	Users *staff.Users
	cfg   Config
	log   *slog.Logger
	pages map[string]*template.Template
	limit *addressLimit
	// rowKey keys the row ids of the rota, fallback and worker pages, so a form names a row
	// without the page carrying anyone's number.
	rowKey []byte
}

// New returns the console on db, reading contacts through cases and centres from dir.
func New(db onestop.Store, cases *casebook.Casebook, dir *directory.Directory, cfg Config) (*Console, error) {
	if cfg.Idle <= 0 {
		cfg.Idle = 30 * time.Minute
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	cs := &Console{db: db, cases: cases, dir: dir, Users: staff.NewUsers(db, cases), cfg: cfg, log: cfg.Log, pages: map[string]*template.Template{},
		limit: newAddressLimit(cfg.AddressFailures, cfg.AddressWindow), rowKey: []byte(staff.RandomToken(32))}
	if cfg.OnDuty == nil && cfg.Staff != nil {
		cs.cfg.OnDuty = cfg.Staff.DutyNow
	}
	cs.Users.Hashers = cfg.Hashers
	if cfg.Lifetime > 0 {
		cs.Users.Lifetime = cfg.Lifetime
	}
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(name, "templates/"), ".html")
		if base == "layout" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).Funcs(template.FuncMap{"district": cs.districtName}).ParseFS(templateFS, "templates/layout.html", name)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		cs.pages[base] = t
	}
	return cs, nil
}

var funcs = template.FuncMap{
	"add":       func(a, b int) int { return a + b },
	"list":      func(s ...string) []string { return s },
	"eq2":       func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	"rowOf":     func(l *loc, c *onestop.Contact) contactRow { return contactRow{L: l, C: c} },
	"problemOf": func(l *loc, p casebook.Problem) problemView { return problemView{L: l, P: p} },
}

// problemView is what the shared problem template gets: one thing that went wrong with an
// urgent contact's alerts, worded in the staff's language.
type problemView struct {
	L *loc
	P casebook.Problem
}

// districtName names a contact's district in lang: the directory's name for its area code, the
// code itself for an area the directory does not know, "–" when none was recorded.
func (cs *Console) districtName(area string, lang onestop.Lang) string {
	if area == "" {
		return "–"
	}
	if cs.dir != nil {
		if a, ok := cs.dir.Area(area); ok {
			return a.Name(lang)
		}
	}
	return area
}

// contactRow is what the shared contact row template gets.
type contactRow struct {
	L *loc
	C *onestop.Contact
}

// perm is something a role may do.
type perm int

const (
	seeCases perm = iota
	seeLog
	workCallbacks
	workReferrals
	seeDirectory
	editDirectory
	exportAggregate
	exportIdentified
	seeAudit
	manageUsers
	// overrideWindow is acting on a case outside her window, with a reason.
	overrideWindow
	// manageShift is keeping the duty rota, the workers, the officials and the outbox.
	manageShift
)

// rolePerms is what each role needs and no more: an administrator keeps the directory and the
// users and sees no survivor; a counsellor works callbacks and their cases but not the whole log.
var rolePerms = map[staff.Role][]perm{
	staff.RoleCounsellor: {seeCases, workCallbacks, workReferrals, seeDirectory, exportAggregate},
	staff.RoleSupervisor: {seeCases, seeLog, workCallbacks, workReferrals, seeDirectory, exportAggregate, exportIdentified, seeAudit, overrideWindow, manageShift},
	staff.RoleAdmin:      {seeDirectory, editDirectory, exportAggregate, seeAudit, manageUsers, manageShift},
}

func can(u *staff.User, p perm) bool { return u != nil && slices.Contains(rolePerms[u.Role], p) }

type navItem struct {
	Href, Key string
	Need      perm
}

var navItems = []navItem{
	{"/console/", "nav.today", seeCases},
	{"/console/contacts", "nav.contacts", seeLog},
	{"/console/callbacks", "nav.callbacks", workCallbacks},
	{"/console/referrals", "nav.referrals", workReferrals},
	{"/console/directory", "nav.directory", seeDirectory},
	{"/console/exports", "nav.exports", exportAggregate},
	{"/console/audit", "nav.audit", seeAudit},
	{"/console/users", "nav.users", manageUsers},
	{"/console/duty", "nav.duty", manageShift},
	{"/console/workers", "nav.workers", manageShift},
	{"/console/officials", "nav.officials", manageShift},
	{"/console/outbox", "nav.outbox", manageShift},
}

const (
	sessionCookie = "onestop_session"
	loginCookie   = "onestop_login"
)

// Register adds the console's routes under /console to app.
func (cs *Console) Register(app *fiber.App) {
	g := app.Group("/console", cs.headers)
	static, _ := fs.Sub(staticFS, "static")
	g.Use("/static", filesystem.New(filesystem.Config{Root: http.FS(static), MaxAge: 3600}))
	g.Get("/login", cs.loginPage)
	g.Post("/login", cs.login)
	g.Use(cs.authenticate)
	g.Post("/logout", cs.logout)
	g.Get("/password", cs.passwordPage)
	g.Post("/password", cs.changePassword)
	g.Post("/lang", cs.setLang)
	g.Get("/", cs.today)
	g.Get("/contacts", cs.need(seeLog), cs.contactLog)
	g.Get("/case/:ref", cs.need(seeCases), cs.openByRef, cs.casePage)
	g.Post("/case/:ref/reveal", cs.need(seeCases), cs.reveal)
	g.Post("/case/:ref/note", cs.need(seeCases), cs.addNote)
	g.Post("/case/:ref/ack", cs.need(seeCases), cs.acknowledge)
	g.Get("/callbacks", cs.need(workCallbacks), cs.callbackQueue)
	g.Post("/callbacks/:ref", cs.need(workCallbacks), cs.recordAttempt)
	g.Post("/callbacks/:ref/call", cs.need(workCallbacks), cs.placeCall)
	g.Get("/referrals", cs.need(workReferrals), cs.referrals)
	g.Post("/referrals/:id", cs.need(workReferrals), cs.updateReferral)
	g.Get("/directory", cs.need(seeDirectory), cs.directoryPage)
	g.Post("/directory/import", cs.need(editDirectory), cs.importDirectory)
	g.Get("/directory/:table", cs.need(editDirectory), cs.exportDirectory)
	g.Get("/exports", cs.need(exportAggregate), cs.exportsPage)
	g.Post("/exports/aggregate", cs.need(exportAggregate), cs.exportAggregate)
	g.Post("/exports/identified", cs.need(exportIdentified), cs.exportIdentified)
	g.Get("/audit", cs.need(seeAudit), cs.auditPage)
	g.Get("/users", cs.need(manageUsers), cs.usersPage)
	g.Post("/users", cs.need(manageUsers), cs.addUser)
	g.Post("/users/:name/disable", cs.need(manageUsers), cs.disableUser)
	g.Post("/users/:name/enable", cs.need(manageUsers), cs.enableUser)
	g.Post("/users/:name/reset", cs.need(manageUsers), cs.resetPassword)
	cs.registerShift(g)
	g.Use(func(c *fiber.Ctx) error { return cs.fail(c, onestop.Errorf(onestop.ENOTFOUND, "no such page")) })
}

// headers are the security headers of every console response. The policy allows only the
// console's own stylesheet and script file: no inline script, no frame may embed a page, and no
// address (which carries a case reference) leaks to another site.
func (cs *Console) headers(c *fiber.Ctx) error {
	c.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	c.Set("Referrer-Policy", "no-referrer")
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("X-Frame-Options", "DENY")
	c.Set("Cross-Origin-Opener-Policy", "same-origin")
	if !strings.HasPrefix(c.Path(), "/console/static/") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

func (cs *Console) secure(c *fiber.Ctx) bool { return cs.cfg.Secure || c.Protocol() == "https" }

func (cs *Console) setCookie(c *fiber.Ctx, name, value string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/console", HTTPOnly: true, Secure: cs.secure(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: maxAge})
}

func (cs *Console) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/console", HTTPOnly: true, Secure: cs.secure(c), SameSite: fiber.CookieSameSiteStrictMode, MaxAge: -1, Expires: time.Unix(1, 0)})
}

// authenticate lets through only requests with a live session, sends a user whose password
// someone else chose to change it first, and refuses any form without the session's CSRF token.
func (cs *Console) authenticate(c *fiber.Ctx) error {
	login, u, err := cs.Users.Session(c.UserContext(), c.Cookies(sessionCookie), cs.db.Now(), cs.cfg.Idle)
	if err != nil {
		if c.Method() == fiber.MethodGet {
			return c.Redirect("/console/login", fiber.StatusSeeOther)
		}
		return cs.fail(c, errSession)
	}
	c.Locals("user", u)
	c.Locals("login", login)
	if c.Method() != fiber.MethodGet && c.Method() != fiber.MethodHead {
		if !sameToken(c.FormValue("csrf"), login.CSRF) {
			return cs.fail(c, errCSRF)
		}
	}
	if u.MustChange && c.Path() != "/console/password" && c.Path() != "/console/logout" && c.Path() != "/console/lang" {
		return c.Redirect("/console/password", fiber.StatusSeeOther)
	}
	return c.Next()
}

func sameToken(got, want string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

var (
	errCSRF    = errors.New("csrf")
	errSession = onestop.Errorf(onestop.EFORBIDDEN, "log in first")
)

// need refuses a user whose role does not allow p.
func (cs *Console) need(p perm) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !can(user(c), p) {
			return cs.fail(c, onestop.Errorf(onestop.EFORBIDDEN, "not for this role"))
		}
		return c.Next()
	}
}

func user(c *fiber.Ctx) *staff.User {
	u, _ := c.Locals("user").(*staff.User)
	return u
}

func csrfOf(c *fiber.Ctx) string {
	if l, ok := c.Locals("login").(*staff.Login); ok {
		return l.CSRF
	}
	if v, ok := c.Locals("precsrf").(string); ok {
		return v
	}
	return ""
}

// view is what every page template gets.
type view struct {
	L     *loc
	User  *staff.User
	CSRF  string
	Title string
	Nav   []navLink
	Path  string
	Flash string
	Error string
	Langs []langOption
	Data  any
	// Refresh, when set, is how many seconds the page waits before it reloads itself.
	Refresh int
}

type navLink struct {
	Href, Label string
	Current     bool
}

type langOption struct {
	Code, Name string
	Current    bool
}

var langNames = []langOption{{"en", "English", false}, {"bn", "বাংলা", false}, {"hi", "हिन्दी", false}, {"ar", "العربية", false}}

func (cs *Console) view(c *fiber.Ctx, titleKey string, data any, args ...any) *view {
	u := user(c)
	lang := requestLang(c)
	l := newLoc(lang)
	l.viewer = viewerZone(c)
	v := &view{L: l, User: u, CSRF: csrfOf(c), Title: l.T(titleKey, args...), Path: c.Path(), Data: data}
	for _, n := range navItems {
		if can(u, n.Need) && !(u != nil && u.MustChange) && cs.offered(n.Href) {
			v.Nav = append(v.Nav, navLink{Href: n.Href, Label: l.T(n.Key), Current: c.Path() == n.Href || (n.Href != "/console/" && strings.HasPrefix(c.Path(), n.Href))})
		}
	}
	for _, o := range langNames {
		o.Current = o.Code == string(lang)
		v.Langs = append(v.Langs, o)
	}
	if f := c.Query("done"); f != "" {
		v.Flash = l.T(f + ".done")
	}
	return v
}

func (cs *Console) render(c *fiber.Ctx, status int, page string, v *view) error {
	t, ok := cs.pages[page]
	if !ok {
		return fmt.Errorf("console: no page %s", page)
	}
	var b strings.Builder
	if err := t.Execute(&b, v); err != nil {
		cs.log.Error("console: render", "page", page, "err", err)
		return c.Status(fiber.StatusInternalServerError).SendString("Internal error.")
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).SendString(b.String())
}

// fail answers with an error page in the user's language: a status for the code and a message
// that never carries internals.
func (cs *Console) fail(c *fiber.Ctx, err error) error {
	status, key, arg := fiber.StatusInternalServerError, "err.internal", ""
	switch {
	case errors.Is(err, errCSRF):
		status, key = fiber.StatusForbidden, "err.csrf"
	default:
		switch onestop.ErrorCode(err) {
		case onestop.EFORBIDDEN:
			status, key = fiber.StatusForbidden, "err.forbidden"
		case onestop.ENOTFOUND:
			status, key = fiber.StatusNotFound, "err.notfound"
		case onestop.EINVALID:
			status, key, arg = fiber.StatusBadRequest, "err.invalid", onestop.ErrorMessage(err)
		case onestop.ECONFLICT:
			status, key, arg = fiber.StatusConflict, "err.conflict", onestop.ErrorMessage(err)
		default:
			cs.log.Error("console: request failed", "path", c.Path(), "err", err)
		}
	}
	v := cs.view(c, "err.title", nil)
	v.Error = v.L.T(key, arg)
	return cs.render(c, status, "error", v)
}

// seeOther redirects after a successful form, so reloading the page does not send it again.
func seeOther(c *fiber.Ctx, to string) error { return c.Redirect(to, fiber.StatusSeeOther) }
