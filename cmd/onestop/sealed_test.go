package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/onestop-helpline/onestop/casebook"
)

// consoleClient is a browser's cookie jar logged in to the console as name.
type consoleClient struct {
	tb   testing.TB
	base string
	c    *http.Client
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfOn reads the CSRF token a console page carries in its forms.
func (cc *consoleClient) csrfOn(path string) string {
	cc.tb.Helper()
	resp, err := cc.c.Get(cc.base + path)
	if err != nil {
		cc.tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	m := csrfField.FindSubmatch(b)
	if m == nil {
		cc.tb.Fatalf("GET %s: %d, no csrf token in\n%s", path, resp.StatusCode, b)
	}
	return string(m[1])
}

func (cc *consoleClient) post(path string, form url.Values) *http.Response {
	cc.tb.Helper()
	resp, err := cc.c.PostForm(cc.base+path, form)
	if err != nil {
		cc.tb.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// consoleLogin logs name in with password, changing it to newPassword as a first login must.
func consoleLogin(tb testing.TB, addr, name, password, newPassword string) *consoleClient {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	cc := &consoleClient{tb: tb, base: "http://" + addr, c: &http.Client{Jar: jar}}
	token := cc.csrfOn("/console/login")
	cc.post("/console/login", url.Values{"csrf": {token}, "name": {name}, "password": {password}})
	token = cc.csrfOn("/console/password")
	if resp := cc.post("/console/password", url.Values{"csrf": {token}, "current": {password}, "new": {newPassword}, "confirm": {newPassword}}); resp.StatusCode >= 400 {
		tb.Fatalf("password change: %d", resp.StatusCode)
	}
	return cc
}

// forms lists every way a string can lie in a file: as written, in either case, and in UTF-16 of
// either byte order.
func forms(s string) [][]byte {
	var out [][]byte
	for _, v := range []string{s, strings.ToLower(s), strings.ToUpper(s)} {
		out = append(out, []byte(v))
		u := utf16.Encode([]rune(v))
		le, be := make([]byte, 0, 2*len(u)), make([]byte, 0, 2*len(u))
		for _, r := range u {
			le = append(le, byte(r), byte(r>>8))
			be = append(be, byte(r>>8), byte(r))
		}
		out = append(out, le, be)
	}
	return out
}

// After a survivor's USSD session with another number typed in, a community worker's referral
// and a counsellor's note on her case, the raw database file holds no number, name, session id or
// typed word in any form.
func TestTheDatabaseFileHoldsNothingAPersonTyped(t *testing.T) {
	ctx := context.Background()
	noProviders(t)
	// The SMS route is there only with Africa's Talking's credentials; its stand-in takes the replies.
	srv := httptest.NewServer(&fakeAT{})
	defer srv.Close()
	t.Setenv("ONESTOP_AT_USERNAME", "onestop")
	t.Setenv("ONESTOP_AT_API_KEY", "key")
	t.Setenv("ONESTOP_AT_BASE_URL", srv.URL)
	data := t.TempDir()
	const (
		survivor = "+8801711000431"
		other    = "01811000432" // typed as she would, without the country code
		worker   = "+8801711000433"
		session  = "ATUid_sealed7f3a9c"
		place    = "Kamrangirchar"
		need     = "needsaparalegal"
		note     = "Spoke with her sister Nasrin"
	)
	smsMustCmd(t, "duty", "set", "+8801911000434", "--data", data)
	smsMustCmd(t, "worker", "add", worker, "--name", "Shahana Parvin", "--lang", "en", "--data", data)
	if out, err := run(t, "a long password for the test\n", "user", "add", "--role", "supervisor", "--password-stdin", "--data", data, "rahela"); err != nil {
		t.Fatalf("user add: %v %s", err, out)
	}
	m := runMain(t, data, nil)

	// "Call me back" to another number she types, in the morning.
	for _, text := range []string{"", "3", "3*2", "3*2*" + other, "3*2*" + other + "*2", "3*2*" + other + "*2*1"} {
		hop(t, m.Addr(), session, survivor, text)
	}
	contacts, err := m.Cases.List(ctx, casebook.Filter{})
	if err != nil || len(contacts) != 1 || contacts[0].Plan == nil || !contacts[0].Plan.OtherNumber {
		t.Fatalf("the callback to another number was not recorded: %+v %v", contacts, err)
	}
	ref := contacts[0].Ref

	body := url.Values{"from": {worker}, "to": {"21525"}, "text": {"REF " + place + " " + need}, "date": {"2026-11-23 10:15:02"},
		"id": {"ATXid_sealed1"}, "linkId": {""}, "networkCode": {"47001"}}
	resp, err := http.Post("http://"+m.Addr()+"/sms/africastalking", "application/x-www-form-urlencoded", strings.NewReader(body.Encode()))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("inbound SMS: %v %v", resp, err)
	}
	resp.Body.Close()

	cc := consoleLogin(t, m.Addr(), "rahela", "a long password for the test", "another long password here")
	token := cc.csrfOn("/console/case/" + ref)
	if resp := cc.post("/console/case/"+ref+"/note", url.Values{"csrf": {token}, "note": {note}}); resp.StatusCode >= 400 {
		t.Fatalf("note: %d", resp.StatusCode)
	}
	entries, err := m.Cases.AuditLog(ctx, casebook.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	noted := false
	for _, e := range entries {
		noted = noted || e.Note == note
	}
	if !noted {
		t.Fatal("the console note was not recorded")
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}

	raw, err := os.ReadFile(m.Config.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{
		"1711000431", "1811000432", "1711000433", "1911000434", // every number, without its country code
		session, "sealed7f3a9c", // the aggregator's session id
		place, need, "paralegal", "Shahana", "Parvin", "Nasrin", "her sister",
	} {
		for _, f := range forms(s) {
			if bytes.Contains(raw, f) {
				t.Errorf("%q lies in the database file (as % x)", s, f)
				break
			}
		}
	}
}
