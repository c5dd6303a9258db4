package staff

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sync"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/store"
)

// Role is what a console user is there to do; it decides what they may see.
type Role string

// The roles.
const (
	// RoleCounsellor works the callback queue and the cases on it.
	RoleCounsellor Role = "counsellor"
	// RoleSupervisor reviews the contact log, referrals, figures and the audit log.
	RoleSupervisor Role = "supervisor"
	// RoleAdmin keeps the directory and the users, and sees no survivor's case.
	RoleAdmin Role = "admin"
)

// Roles lists the roles in the order forms offer them.
var Roles = []Role{RoleCounsellor, RoleSupervisor, RoleAdmin}

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// User is a console user as stored in the users bucket, by name.
type User struct {
	Name string `json:"name"`
	Role Role   `json:"role"`
	// Hash is the password's hash; the password itself is never stored.
	Hash string       `json:"hash"`
	Lang onestop.Lang `json:"lang,omitempty"`
	// Disabled users cannot log in and their sessions end.
	Disabled bool `json:"disabled,omitempty"`
	// MustChange is set for a password someone else chose: the first login must replace it.
	MustChange bool      `json:"mustChange,omitempty"`
	Failures   int       `json:"failures,omitempty"`
	LockedTill time.Time `json:"lockedTill,omitempty"`
	Created    time.Time `json:"created"`
}

// Login is a console login session, stored by the SHA-256 of its cookie token so that a copy of
// the file holds no usable session.
type Login struct {
	User    string    `json:"user"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Seen    time.Time `json:"seen"`
}

// MinPassword is the shortest password accepted.
const MinPassword = 12

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9._-]{1,31}$`)

// Users keeps console users and their login sessions in the store.
type Users struct {
	db    onestop.Store
	cases *casebook.Casebook
	// MaxFailures failed logins in a row lock a user out for LockFor.
	MaxFailures int
	LockFor     time.Duration
	// Cost is bcrypt's cost for new passwords; tests lower it, since they check what is hashed,
	// not how slowly.
	Cost int
	// Lifetime ends a login session this long after it began, however busy; 0 means 12 hours.
	Lifetime time.Duration
	// Hashers is how many bcrypt hashes or comparisons may run at once (0 means 2), and
	// HashWait how long one waits for its turn before it is refused with EUNAVAILABLE (0 means
	// one second). bcrypt takes a core for a quarter of a second: without a bound, a burst of
	// logins would take every core from the webhooks that answer survivors.
	Hashers  int
	HashWait time.Duration

	slotsOnce sync.Once
	slots     chan struct{}

	// dummy is compared against when the name is unknown, so an unknown name takes as long as
	// a wrong password. It is made on first use, not at start, because hashing is slow.
	dummyOnce sync.Once
	dummy     string
}

// NewUsers returns the users kept in db; changes to them are audited through cases.
func NewUsers(db onestop.Store, cases *casebook.Casebook) *Users {
	return &Users{db: db, cases: cases, MaxFailures: 5, LockFor: 15 * time.Minute, Cost: 12, Lifetime: DefaultLifetime}
}

// DefaultLifetime is how long a login session lasts at most, from its login.
const DefaultLifetime = 12 * time.Hour

// ErrBusy is the answer when every bcrypt slot stays taken for HashWait: the login is refused
// at once rather than queued behind a burst.
var ErrBusy = onestop.Errorf(onestop.EUNAVAILABLE, "too many logins at this moment: try again in a few seconds")

// hashSlot waits up to HashWait for a turn to run bcrypt. The caller calls release when done.
// Returns ErrBusy when no turn came.
func (us *Users) hashSlot(ctx context.Context) (release func(), err error) {
	us.slotsOnce.Do(func() {
		n := us.Hashers
		if n <= 0 {
			n = 2
		}
		us.slots = make(chan struct{}, n)
	})
	wait := us.HashWait
	if wait <= 0 {
		wait = time.Second
	}
	select {
	case us.slots <- struct{}{}:
		return func() { <-us.slots }, nil
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case us.slots <- struct{}{}:
		return func() { <-us.slots }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

// HashSlot takes one of the bcrypt slots for work of the caller's own, as long as it holds it,
// so that other hashing waits for it. Returns ErrBusy when no slot came free in HashWait.
func (us *Users) HashSlot(ctx context.Context) (release func(), err error) { return us.hashSlot(ctx) }

// hash hashes p in a bcrypt slot. Returns ErrBusy when no slot came free.
func (us *Users) hash(ctx context.Context, p string) (string, error) {
	release, err := us.hashSlot(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	return us.hashPassword(p), nil
}

// matches compares p with stored in a bcrypt slot. Returns ErrBusy when no slot came free.
func (us *Users) matches(ctx context.Context, stored, p string) (bool, error) {
	release, err := us.hashSlot(ctx)
	if err != nil {
		return false, err
	}
	defer release()
	return passwordMatches(stored, p), nil
}

// CheckPassword reports whether p is u's password, comparing in a bcrypt slot. Returns ErrBusy
// when no slot came free.
func (us *Users) CheckPassword(ctx context.Context, u *User, p string) (bool, error) {
	return us.matches(ctx, u.Hash, p)
}

func getUser(tx onestop.Tx, name string) (*User, error) {
	v := tx.Bucket(store.Users).Get([]byte(name))
	if v == nil {
		return nil, onestop.Errorf(onestop.ENOTFOUND, "no user %s", name)
	}
	var u User
	if err := json.Unmarshal(v, &u); err != nil {
		return nil, fmt.Errorf("staff: user %s: %w", name, err)
	}
	return &u, nil
}

func putUser(tx onestop.Tx, u *User) error {
	v, err := json.Marshal(u)
	if err != nil {
		return err
	}
	return tx.Bucket(store.Users).Put([]byte(u.Name), v)
}

// Get returns the user called name. Returns ENOTFOUND if none.
func (us *Users) Get(ctx context.Context, name string) (u *User, err error) {
	err = us.db.View(ctx, func(tx onestop.Tx) error {
		u, err = getUser(tx, name)
		return err
	})
	return u, err
}

// List returns every user, by name.
func (us *Users) List(ctx context.Context) ([]User, error) {
	var out []User
	err := us.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Users).ForEach(func(k, v []byte) error {
			var u User
			if err := json.Unmarshal(v, &u); err != nil {
				return fmt.Errorf("staff: user %s: %w", k, err)
			}
			out = append(out, u)
			return nil
		})
	})
	return out, err
}

// Add creates a user. by names who did it (a console user, or "cli"). A user given a password by
// someone else must change it at first login (mustChange). Returns EINVALID for a bad name, role
// or password, ECONFLICT if the name is taken.
func (us *Users) Add(ctx context.Context, by, name string, role Role, password string, mustChange bool) error {
	if !namePattern.MatchString(name) {
		return onestop.Errorf(onestop.EINVALID, "a user name is 2 to 32 lower-case letters, digits, '.', '_' or '-', starting with a letter")
	}
	if !role.Valid() {
		return onestop.Errorf(onestop.EINVALID, "role %q: want counsellor, supervisor or admin", role)
	}
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := us.hash(ctx, password)
	if err != nil {
		return err
	}
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		if tx.Bucket(store.Users).Get([]byte(name)) != nil {
			return onestop.Errorf(onestop.ECONFLICT, "user %s exists", name)
		}
		now := us.db.Now()
		if err := putUser(tx, &User{Name: name, Role: role, Hash: hash, MustChange: mustChange, Created: now}); err != nil {
			return err
		}
		return us.cases.Append(tx, &casebook.AuditEntry{Time: now, Actor: by, Action: casebook.AuditUserAdd, Subject: "user:" + name, Detail: string(role)})
	})
}

// Disable stops name from logging in and ends their sessions. Returns ENOTFOUND if no such user.
func (us *Users) Disable(ctx context.Context, by, name string) error {
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		u.Disabled = true
		if err := putUser(tx, u); err != nil {
			return err
		}
		if err := endSessionsOf(tx, name, ""); err != nil {
			return err
		}
		return us.cases.Append(tx, &casebook.AuditEntry{Time: us.db.Now(), Actor: by, Action: casebook.AuditUserDisable, Subject: "user:" + name})
	})
}

// SetPassword replaces name's password, clears MustChange and ends every session of name but
// the one whose token is keep (the session the change was made in; "" ends them all). Returns
// EINVALID for a password too short, ENOTFOUND for no such user, ErrBusy when bcrypt is busy.
func (us *Users) SetPassword(ctx context.Context, name, password, keep string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := us.hash(ctx, password)
	if err != nil {
		return err
	}
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		u.Hash, u.MustChange = hash, false
		if err := putUser(tx, u); err != nil {
			return err
		}
		if err := endSessionsOf(tx, name, keep); err != nil {
			return err
		}
		return us.cases.Append(tx, &casebook.AuditEntry{Time: us.db.Now(), Actor: name, Action: casebook.AuditUserPassword, Subject: "user:" + name})
	})
}

// ResetPassword gives name a password chosen by by (an administrator, or "cli"), to be changed
// at the next login; it clears a lockout and ends every session of name. Returns EINVALID for
// a password too short, ENOTFOUND for no such user, ErrBusy when bcrypt is busy.
func (us *Users) ResetPassword(ctx context.Context, by, name, password string) error {
	if err := CheckPassword(password); err != nil {
		return err
	}
	hash, err := us.hash(ctx, password)
	if err != nil {
		return err
	}
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		u.Hash, u.MustChange, u.Failures, u.LockedTill = hash, true, 0, time.Time{}
		if err := putUser(tx, u); err != nil {
			return err
		}
		if err := endSessionsOf(tx, name, ""); err != nil {
			return err
		}
		return us.cases.Append(tx, &casebook.AuditEntry{Time: us.db.Now(), Actor: by, Action: casebook.AuditUserReset, Subject: "user:" + name})
	})
}

// Enable lets a disabled user log in again, with a clean slate of failures. Returns ENOTFOUND
// if no such user, ECONFLICT if the user is not disabled.
func (us *Users) Enable(ctx context.Context, by, name string) error {
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		if !u.Disabled {
			return onestop.Errorf(onestop.ECONFLICT, "user %s is not disabled", name)
		}
		u.Disabled, u.Failures, u.LockedTill = false, 0, time.Time{}
		if err := putUser(tx, u); err != nil {
			return err
		}
		return us.cases.Append(tx, &casebook.AuditEntry{Time: us.db.Now(), Actor: by, Action: casebook.AuditUserEnable, Subject: "user:" + name})
	})
}

// SetLang records the language name reads the console in. Returns EINVALID for a language the
// console does not speak.
func (us *Users) SetLang(ctx context.Context, name string, lang onestop.Lang) error {
	if !lang.Valid() {
		return onestop.Errorf(onestop.EINVALID, "unknown language %q", lang)
	}
	return us.db.Update(ctx, func(tx onestop.Tx) error {
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		u.Lang = lang
		return putUser(tx, u)
	})
}

// errBadLogin is the one answer to every failed login, so the form never tells whether a name
// exists, is disabled or is locked out.
var errBadLogin = onestop.Errorf(onestop.EFORBIDDEN, "wrong name or password, or too many attempts: wait and try again")

func (us *Users) dummyHash() string {
	us.dummyOnce.Do(func() { us.dummy = us.hashPassword("not a password anyone has") })
	return us.dummy
}

// Authenticate checks name's password at now. MaxFailures wrong passwords in a row lock the user
// out for LockFor, during which even the right password is refused. Returns errBadLogin
// (EFORBIDDEN) for every failure, ErrBusy (EUNAVAILABLE), checking nothing and counting no
// failure, when bcrypt is busy.
func (us *Users) Authenticate(ctx context.Context, name, password string, now time.Time) (*User, error) {
	if len(password) > 72 || len(name) > 64 {
		// Never a password or a name the console gives out; bcrypt would refuse it anyway.
		return nil, errBadLogin
	}
	u, err := us.Get(ctx, name)
	stored := us.dummyHash()
	if err == nil {
		stored = u.Hash
	}
	ok, herr := us.matches(ctx, stored, password)
	if herr != nil {
		return nil, herr
	}
	if err != nil {
		return nil, errBadLogin
	}
	var out *User
	err = us.db.Update(ctx, func(tx onestop.Tx) error {
		out = nil
		u, err := getUser(tx, name)
		if err != nil {
			return err
		}
		switch {
		case u.Disabled:
			return nil
		case now.Before(u.LockedTill):
			return nil
		case !ok:
			u.Failures++
			if u.Failures >= us.MaxFailures {
				u.Failures, u.LockedTill = 0, now.Add(us.LockFor)
				if err := us.cases.Append(tx, &casebook.AuditEntry{Time: now, Actor: "system", Action: casebook.AuditLockout, Subject: "user:" + name}); err != nil {
					return err
				}
			}
		default:
			u.Failures, u.LockedTill = 0, time.Time{}
			if err := us.cases.Append(tx, &casebook.AuditEntry{Time: now, Actor: name, Action: casebook.AuditLogin, Subject: "user:" + name}); err != nil {
				return err
			}
			out = u
		}
		return putUser(tx, u)
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, errBadLogin
	}
	return out, nil
}

// Bootstrap creates the first admin when there are no users: named "admin", with a random
// one-time password written to a 0600 file in dir, to be changed at first login. It returns the
// file's path, or "" when users exist already.
func (us *Users) Bootstrap(ctx context.Context, dir string) (string, error) {
	var n int
	if err := us.db.View(ctx, func(tx onestop.Tx) error {
		n = tx.Bucket(store.Users).Len()
		return nil
	}); err != nil || n > 0 {
		return "", err
	}
	password := RandomToken(18)
	path := filepath.Join(dir, "console-admin-password")
	if err := os.WriteFile(path, []byte("user: admin\npassword: "+password+"\n(change it at first login, then delete this file)\n"), 0o600); err != nil {
		return "", fmt.Errorf("staff: first admin: %w", err)
	}
	// WriteFile keeps the mode of a file that already exists.
	if err := os.Chmod(path, 0o600); err != nil {
		return "", fmt.Errorf("staff: first admin: %w", err)
	}
	if err := us.Add(ctx, "system", "admin", RoleAdmin, password, true); err != nil {
		return "", err
	}
	return path, nil
}

// tokenHash is the key a login session is stored under.
func tokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return []byte(hex.EncodeToString(h[:]))
}

// StartSession opens a login session for name and returns its cookie token and CSRF token.
func (us *Users) StartSession(ctx context.Context, name string) (token, csrf string, err error) {
	token, csrf = RandomToken(32), RandomToken(32)
	now := us.db.Now()
	l := Login{User: name, CSRF: csrf, Created: now, Seen: now}
	v, err := json.Marshal(&l)
	if err != nil {
		return "", "", err
	}
	err = us.db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Logins).Put(tokenHash(token), v) })
	return token, csrf, err
}

// Session returns the live session for token and its user at now. A session idle longer than
// idle, or of a disabled user, is ended. Returns ENOTFOUND when there is no live session.
func (us *Users) Session(ctx context.Context, token string, now time.Time, idle time.Duration) (*Login, *User, error) {
	if token == "" {
		return nil, nil, onestop.Errorf(onestop.ENOTFOUND, "no session")
	}
	key := tokenHash(token)
	var l Login
	var u *User
	err := us.db.View(ctx, func(tx onestop.Tx) error {
		v := tx.Bucket(store.Logins).Get(key)
		if v == nil {
			return onestop.Errorf(onestop.ENOTFOUND, "no session")
		}
		if err := json.Unmarshal(v, &l); err != nil {
			return err
		}
		var err error
		u, err = getUser(tx, l.User)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	lifetime := us.Lifetime
	if lifetime <= 0 {
		lifetime = DefaultLifetime
	}
	if u.Disabled || now.Sub(l.Seen) > idle || now.Sub(l.Created) > lifetime {
		us.EndSession(ctx, token)
		return nil, nil, onestop.Errorf(onestop.ENOTFOUND, "session ended")
	}
	// Writing on every request would put a commit on every page view; a minute's precision is
	// enough for an idle timeout of many minutes.
	if now.Sub(l.Seen) > time.Minute {
		l.Seen = now
		if v, err := json.Marshal(&l); err == nil {
			us.db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Logins).Put(key, v) })
		}
	}
	return &l, u, nil
}

// EndSession ends the session for token.
func (us *Users) EndSession(ctx context.Context, token string) error {
	key := tokenHash(token)
	return us.db.Update(ctx, func(tx onestop.Tx) error { return tx.Bucket(store.Logins).Delete(key) })
}

// endSessionsOf ends every session of name but the one whose token is keep.
func endSessionsOf(tx onestop.Tx, name, keep string) error {
	b := tx.Bucket(store.Logins)
	var kept []byte
	if keep != "" {
		kept = tokenHash(keep)
	}
	var keys [][]byte
	if err := b.ForEach(func(k, v []byte) error {
		var l Login
		if json.Unmarshal(v, &l) == nil && l.User == name && !bytes.Equal(k, kept) {
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// RandomToken returns n random bytes in base64 without padding: cookie tokens and one-time
// passwords.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CheckPassword returns EINVALID, with a reason to show, for a password the console refuses.
func CheckPassword(p string) error {
	if len([]rune(p)) < MinPassword {
		return onestop.Errorf(onestop.EINVALID, "a password needs at least %d characters", MinPassword)
	}
	if len(p) > 72 {
		// bcrypt reads only 72 bytes; a longer password would look stronger than it is.
		return onestop.Errorf(onestop.EINVALID, "a password has at most 72 bytes")
	}
	return nil
}

// hashPassword hashes p with bcrypt, salted per user.
func (us *Users) hashPassword(p string) string {
	h, err := bcrypt.GenerateFromPassword([]byte(p), us.Cost)
	if err != nil {
		// checkPassword keeps passwords within bcrypt's 72 bytes, so this cannot happen for a
		// password that reached here; refuse loudly rather than store something unusable.
		panic("staff: bcrypt: " + err.Error())
	}
	return string(h)
}

func passwordMatches(stored, p string) bool {
	return bcrypt.CompareHashAndPassword([]byte(stored), []byte(p)) == nil
}

// PasswordIs reports whether p is u's password.
func (u *User) PasswordIs(p string) bool { return passwordMatches(u.Hash, p) }

// PurgeLogins deletes the login sessions last used before cutoff and returns how many. A
// session idle past the console's timeout is already dead, but stays on file until someone
// presents its cookie again; this removes those nobody will.
func (us *Users) PurgeLogins(ctx context.Context, cutoff time.Time) (int, error) {
	var keys [][]byte
	if err := us.db.View(ctx, func(tx onestop.Tx) error {
		return tx.Bucket(store.Logins).ForEach(func(k, v []byte) error {
			var l Login
			// An unreadable session can never be used: it goes too.
			if json.Unmarshal(v, &l) != nil || l.Seen.Before(cutoff) {
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
	}); err != nil || len(keys) == 0 {
		return 0, err
	}
	n := 0
	err := us.db.Update(ctx, func(tx onestop.Tx) error {
		n = 0
		b := tx.Bucket(store.Logins)
		for _, k := range keys {
			// Checked again inside the write: it may have been used since it was read.
			var l Login
			if v := b.Get(k); v == nil || json.Unmarshal(v, &l) == nil && !l.Seen.Before(cutoff) {
				continue
			}
			if err := b.Delete(k); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	return n, err
}
