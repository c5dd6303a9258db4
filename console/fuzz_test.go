package console

import (
	"bytes"
	"context"
	"net/url"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/store"
)

func bucketBytes(t testing.TB, db onestop.Store, names ...[]byte) []byte {
	t.Helper()
	var out []byte
	err := db.View(context.Background(), func(tx onestop.Tx) error {
		for _, name := range names {
			out = append(append(out, name...), '\n')
			if err := tx.Bucket(name).ForEach(func(k, v []byte) error {
				out = append(append(append(append(out, k...), 0), v...), '\n')
				return nil
			}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FuzzForms sends any values in the console's forms that take typed text: the login form, an
// administrator's new user and temporary password, a note and a reveal on a case. No answer is
// a 5xx or a panic; a refused form (4xx) changes nothing: no user, no session, no audit entry,
// no note. A failed login may count a failure against the user: that is its purpose.
func FuzzForms(f *testing.F) {
	for _, s := range [][3]string{{"sara", "correct horse battery", "counsellor"}, {"", "", ""}, {"ada", "x", "admin"},
		{"Bad Name", "short", "boss"}, {"nila", "a long enough password", "counsellor"}, {"\x00", "\xff\xfe", "\u202e"}} {
		for i := range uint8(4) {
			f.Add(i, s[0], s[1], s[2])
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, a, b, c string) {
		// A fixture of its own for each input: newFixture wants a *testing.T, and a store
		// changed by one input must not hide what the next one does.
		fx := newFixture(t)
		ada, sara := fx.login("ada"), fx.login("sara")
		watched := [][]byte{store.Users, store.Audit, store.Contacts}
		before := bucketBytes(t, fx.db, watched...)
		var r response
		switch which % 4 {
		case 0:
			cookie, csrf := fx.loginForm()
			if c != "" {
				csrf = c
			}
			r = fx.tryLogin(a, b, csrf, cookie)
			if r.status == 303 && a == "" {
				t.Fatal("logged in with no name")
			}
			if r.status >= 400 {
				if r.status >= 500 && r.status != 503 {
					t.Fatalf("login: %d", r.status)
				}
				return // a failure may be counted; the logins bucket is checked below for a session
			}
		case 1:
			r = fx.post(ada, "/console/users", url.Values{"name": {a}, "password": {b}, "role": {c}})
		case 2:
			r = fx.post(ada, "/console/users/"+url.PathEscape(a)+"/reset", url.Values{"password": {b}})
		case 3:
			r = fx.post(sara, "/console/case/"+url.PathEscape(a)+"/reveal", url.Values{"reason": {b}})
		}
		if r.status >= 500 {
			t.Fatalf("form %d (%q, %q, %q): %d\n%s", which%4, a, b, c, r.status, r.body)
		}
		if r.status >= 400 && !bytes.Equal(before, bucketBytes(t, fx.db, watched...)) {
			t.Fatalf("form %d (%q, %q, %q): refused with %d but changed the store", which%4, a, b, c, r.status)
		}
	})
}
