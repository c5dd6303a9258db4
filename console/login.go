package console

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/staff"
)

// The login form has no session yet, so its CSRF token is a random value in a cookie of its own
// that the form must repeat (a double submit): another site can make a browser send the cookie
// but cannot read it to put in the form.

func (cs *Console) loginPage(c *fiber.Ctx) error {
	if _, _, err := cs.Users.Session(c.UserContext(), c.Cookies(sessionCookie), cs.db.Now(), cs.cfg.Idle); err == nil {
		return seeOther(c, "/console/")
	}
	cs.chooseLoginLang(c)
	return cs.renderLogin(c, fiber.StatusOK, false)
}

func (cs *Console) renderLogin(c *fiber.Ctx, status int, failed bool) error {
	token := c.Cookies(loginCookie)
	if len(token) < 32 {
		token = staff.RandomToken(32)
		cs.setCookie(c, loginCookie, token, 3600)
	}
	c.Locals("precsrf", token)
	v := cs.view(c, "login.title", nil)
	if failed {
		v.Error = v.L.T("login.failed")
	}
	return cs.render(c, status, "login", v)
}

func (cs *Console) login(c *fiber.Ctx) error {
	if !sameToken(c.FormValue("csrf"), c.Cookies(loginCookie)) {
		return cs.fail(c, errCSRF)
	}
	// An address that failed too often is refused before any password is hashed; a login that
	// finds every bcrypt slot taken is refused, not queued, so logins never starve the webhooks.
	addr, now := c.IP(), cs.db.Now()
	if wait := cs.limit.blocked(addr, now); wait > 0 {
		return cs.refuse(c, fiber.StatusTooManyRequests, reasonTooMany, wait)
	}
	u, err := cs.Users.Authenticate(c.UserContext(), c.FormValue("name"), c.FormValue("password"), now)
	switch {
	case errors.Is(err, staff.ErrBusy):
		return cs.refuse(c, fiber.StatusServiceUnavailable, reasonBusy, 5*time.Second)
	case onestop.ErrorCode(err) == onestop.EFORBIDDEN:
		cs.limit.fail(addr, now)
		return cs.renderLogin(c, fiber.StatusUnauthorized, true)
	case err != nil:
		return cs.fail(c, err)
	}
	token, _, err := cs.Users.StartSession(c.UserContext(), u.Name)
	if err != nil {
		return cs.fail(c, err)
	}
	cs.clearCookie(c, loginCookie)
	cs.setCookie(c, sessionCookie, token, 0)
	if u.MustChange {
		return seeOther(c, "/console/password")
	}
	return seeOther(c, "/console/")
}

func (cs *Console) logout(c *fiber.Ctx) error {
	cs.Users.EndSession(c.UserContext(), c.Cookies(sessionCookie))
	cs.clearCookie(c, sessionCookie)
	return seeOther(c, "/console/login")
}

func (cs *Console) passwordPage(c *fiber.Ctx) error {
	v := cs.view(c, "password.title", nil)
	if user(c).MustChange {
		v.Flash = v.L.T("password.must")
	}
	return cs.render(c, fiber.StatusOK, "password", v)
}

func (cs *Console) changePassword(c *fiber.Ctx) error {
	u := user(c)
	v := cs.view(c, "password.title", nil)
	current, next, again := c.FormValue("current"), c.FormValue("new"), c.FormValue("confirm")
	right, err := cs.Users.CheckPassword(c.UserContext(), u, current)
	if errors.Is(err, staff.ErrBusy) {
		return cs.refuse(c, fiber.StatusServiceUnavailable, reasonBusy, 5*time.Second)
	} else if err != nil {
		return cs.fail(c, err)
	}
	switch {
	case !right:
		v.Error = v.L.T("password.wrong")
	case next != again:
		v.Error = v.L.T("password.mismatch")
	case staff.CheckPassword(next) != nil:
		v.Error = v.L.T("password.short", staff.MinPassword)
	}
	if v.Error != "" {
		return cs.render(c, fiber.StatusBadRequest, "password", v)
	}
	// Every other session of hers ends: whoever else had her password is logged out with it.
	err = cs.Users.SetPassword(c.UserContext(), u.Name, next, c.Cookies(sessionCookie))
	if errors.Is(err, staff.ErrBusy) {
		return cs.refuse(c, fiber.StatusServiceUnavailable, reasonBusy, 5*time.Second)
	} else if err != nil {
		return cs.fail(c, err)
	}
	return seeOther(c, "/console/?done=password")
}

func (cs *Console) setLang(c *fiber.Ctx) error {
	if err := cs.Users.SetLang(c.UserContext(), user(c).Name, onestop.Lang(c.FormValue("lang"))); err != nil {
		return cs.fail(c, err)
	}
	back := c.FormValue("back")
	// Only a path of this console, so the form cannot be made to send anyone elsewhere.
	if !strings.HasPrefix(back, "/console/") && back != "/console" {
		back = "/console/"
	}
	return seeOther(c, back)
}
