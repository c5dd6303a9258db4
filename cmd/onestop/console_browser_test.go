package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/staff"
)

// findBrowser returns Debian's chromium, or skips: a laptop without one skips these tests with a
// reason; CI installs one (see .ci/run) and fails here without it.
func findBrowser(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("browser tests skipped in -short mode")
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		// CI must run them: a skip there would pass without looking at the console at all.
		t.Fatal("no chromium found in CI: .ci/run installs Debian's chromium; see its output")
	}
	t.Skip("no chromium found: install Debian's chromium and fonts-noto-core to run the console's browser tests")
	return ""
}

// screenshotDir is where the Today page's screenshots go; ONESTOP_SCREENSHOTS overrides it.
func screenshotDir() string {
	if d := os.Getenv("ONESTOP_SCREENSHOTS"); d != "" {
		return d
	}
	return os.TempDir()
}

// TestConsoleInABrowser drives the console in a real browser against the real server: one
// browser and one server for the whole walk, so it takes a few seconds.
func TestConsoleInABrowser(t *testing.T) {
	browser := findBrowser(t)
	m := MustRunMain(t)
	base := "http://" + m.Addr()

	// Survivors call: one urgent (every key 1), one asking for a morning callback from India,
	// one from Palestine, so the Today page has something in each part.
	allOnes(t, m.Addr(), "ATUid_browser_1", "+8801711000001")
	for _, text := range []string{"", "3", "3*1", "3*1*2", "3*1*2*1"} {
		hop(t, m.Addr(), "ATUid_browser_2", "+919876543210", text)
	}
	allOnes(t, m.Addr(), "ATUid_browser_3", "+970599123456")
	urgent, err := m.Cases.List(context.Background(), casebook.Filter{Urgency: onestop.Urgent})
	if err != nil || len(urgent) != 2 {
		t.Fatalf("urgent contacts: %d %v", len(urgent), err)
	}
	var ref string
	for _, c := range urgent {
		if c.Country == "BD" {
			ref = c.Ref
		}
	}
	const password = "a long enough password"
	if err := staff.NewUsers(m.DB, m.Cases).Add(context.Background(), "test", "sara", staff.RoleSupervisor, password, false); err != nil {
		t.Fatal(err)
	}

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(browser),
		chromedp.Flag("headless", true),
		// Without this a full-page screenshot leaves out a scrollbar's width of the page.
		chromedp.Flag("hide-scrollbars", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	browserCtx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// The first run starts the browser, which lives as long as that run's context: the time
	// limit goes on the steps, not on the browser.
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v", browser, err)
	}
	ctx, cancel := context.WithTimeout(browserCtx, 60*time.Second)
	defer cancel()

	do := func(name string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, steps...); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return s
	}
	attr := func(sel, name string) string {
		t.Helper()
		a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(sel), name))
		if err != nil {
			t.Fatalf("%s of %s: %v", name, sel, err)
		}
		return a.Value
	}
	screenshot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir(), name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	do("log in",
		chromedp.Navigate(base+"/console/login"),
		chromedp.SendKeys(css(`input[name=name]`), "sara"),
		chromedp.SendKeys(css(`input[name=password]`), password),
		chromedp.Click(css(`main form button[type=submit]`)),
		chromedp.WaitVisible(css(`section.urgent`)),
	)
	urgentText := text(`section.urgent`)
	if !strings.Contains(urgentText, ref) || !strings.Contains(urgentText, "+880 17** ***001") || strings.Contains(urgentText, "+8801711000001") {
		t.Fatalf("Today's urgent contacts:\n%s", urgentText)
	}
	screenshot("today-en.png")
	// A small laptop's screen holds the page without scrolling sideways.
	if fits, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth <= window.innerWidth`)); err != nil || !fits {
		t.Fatalf("the Today page is wider than the window: %v", err)
	}

	do("open the case and reveal the number",
		chromedp.Click(css(`section.urgent a[href="/console/case/`+ref+`"]`)),
		chromedp.WaitVisible(css(`input[name=reason]`)),
		chromedp.SendKeys(css(`input[name=reason]`), "calling her back in her window"),
		chromedp.Click(css(`form[action$="/reveal"] button`)),
		chromedp.WaitVisible(css(`#revealed`)),
	)
	if revealed := text(`#revealed`); revealed != "+8801711000001" {
		t.Fatalf("revealed %q", revealed)
	}

	do("open the audit log", chromedp.Navigate(base+"/console/audit"), chromedp.WaitVisible(css(`table.audit`)))
	newest := text(`table.audit tbody tr`)
	if !strings.Contains(newest, "case.reveal") || !strings.Contains(newest, "contact:"+ref) || !strings.Contains(newest, "sara") ||
		!strings.Contains(newest, "calling her back in her window") {
		t.Fatalf("newest audit entry: %q", newest)
	}

	form := `form[action="/console/callbacks/` + ref + `"]`
	do("work the callback",
		chromedp.Navigate(base+"/console/callbacks"),
		chromedp.WaitVisible(css(form)),
		chromedp.SetValue(css(form+` select`), "reached"),
		chromedp.Click(css(form+` button`)),
		chromedp.WaitVisible(css(`p.flash`)),
	)
	if c, err := m.Cases.ByRef(ctx, ref); err != nil || c.Status != onestop.Done {
		t.Fatalf("after the callback: %+v %v (page said %q)", c, err, text(`p.flash`))
	}
	if queue := text(`main`); strings.Contains(queue, ref) {
		t.Fatalf("a reached callback is still queued:\n%s", queue)
	}

	do("switch to Arabic",
		chromedp.Navigate(base+"/console/"),
		chromedp.WaitVisible(css(`select[name=lang]`)),
		chromedp.SetValue(css(`select[name=lang]`), "ar"),
		chromedp.Submit(css(`select[name=lang]`)),
		chromedp.WaitReady(css(`html[dir="rtl"]`)),
		chromedp.WaitVisible(css(`section.urgent`)),
	)
	brandOnTheRight, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.querySelector(".brand").getBoundingClientRect().left > window.innerWidth / 2`))
	if dir, lang := attr(`html`, "dir"), attr(`html`, "lang"); dir != "rtl" || lang != "ar" || err != nil || !brandOnTheRight {
		t.Fatalf("Arabic page: dir=%q lang=%q brand on the right=%v %v", dir, lang, brandOnTheRight, err)
	}
	if h1 := text(`h1`); h1 != "اليوم" {
		t.Fatalf("Arabic heading %q", h1)
	}
	screenshot("today-ar.png")
}
