package console

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
)

// langCookie keeps the language chosen on the login page, before anyone has logged in.
const langCookie = "onestop_lang"

// requestLang is the language of the page: the user's own choice once she has made one, else
// the one chosen on the login page, else the best the browser's Accept-Language offers, else
// English.
func requestLang(c *fiber.Ctx) onestop.Lang {
	if u := user(c); u != nil && u.Lang.Valid() {
		return u.Lang
	}
	if l := onestop.Lang(c.Cookies(langCookie)); l.Valid() {
		return l
	}
	return acceptLanguage(c.Get(fiber.HeaderAcceptLanguage))
}

// acceptLanguage picks from an Accept-Language header the console language with the highest
// quality, the first listed among equals; English when it offers none of them.
func acceptLanguage(header string) onestop.Lang {
	best, bestQ := onestop.English, 0.0
	for i, part := range strings.Split(header, ",") {
		if i >= 32 {
			break // a header longer than any browser sends says nothing more
		}
		tag, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		q := 1.0
		if v, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 || f > 1 {
				continue
			}
			q = f
		}
		primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
		if l := onestop.Lang(primary); l.Valid() && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}

// chooseLoginLang keeps the language picked on the login page (?lang=bn) in a cookie, so the
// page stays in it until she logs in and chooses her own.
func (cs *Console) chooseLoginLang(c *fiber.Ctx) {
	if l := onestop.Lang(c.Query("lang")); l.Valid() {
		cs.setCookie(c, langCookie, string(l), 365*24*3600)
		c.Request().Header.SetCookie(langCookie, string(l))
	}
}
