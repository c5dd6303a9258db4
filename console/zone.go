package console

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/onestop-helpline/onestop"
)

// TodayRefresh is how often, in seconds, the Today page reloads itself (a meta refresh: no
// script, and the console's policy stays as it is).
const TodayRefresh = 60

// zoneCookie holds the IANA zone of the browser, which the console's script file sets: staff
// see times in their own zone, the caller's beside.
const zoneCookie = "onestop_tz"

// viewerZone is the zone the browser said it is in, nil when it said none that loads.
func viewerZone(c *fiber.Ctx) *time.Location {
	name := c.Cookies(zoneCookie)
	if name == "" || len(name) > 64 || (!strings.Contains(name, "/") && name != "UTC") || strings.Contains(name, "..") {
		return nil
	}
	z, err := onestop.LoadZone(name)
	if err != nil {
		return nil
	}
	return z
}

// viewerTime writes t in the viewer's zone and, when the caller's clock (lt, in country's
// zone) reads otherwise, her local time beside it.
func (l *loc) viewerTime(t, lt time.Time, country string) string {
	vt := t.In(l.viewer)
	s := l.Digits(vt.Format("2006-01-02 15:04")) + " " + zoneLabel(vt)
	if country == "" {
		return s
	}
	_, voff := vt.Zone()
	_, loff := lt.Zone()
	if voff == loff {
		return s
	}
	day := "15:04"
	if vt.Format(time.DateOnly) != lt.Format(time.DateOnly) {
		day = "2006-01-02 15:04"
	}
	return s + " (" + l.T("time.theirs") + " " + l.Digits(lt.Format(day)) + " " + zoneLabel(lt) + ")"
}
