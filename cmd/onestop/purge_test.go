package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/outbox"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

func TestPurgeCommand(t *testing.T) {
	m := MustRunMain(t)
	allOnes(t, m.Addr(), "ATUid_p", "+8801711000001")
	// While serving, the server runs the purge itself.
	var served bytes.Buffer
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data}, nil, &served, io.Discard); err != nil || !strings.Contains(served.String(), "0 contacts") {
		t.Fatalf("purge while serving: %v %q", err, served.String())
	}
	m.Close()
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data, "--days", "30"}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	// A contact from today is not due: nothing is deleted, and it is still listed.
	if !strings.Contains(out.String(), "0 contacts") || len(callsJSON(t, m.Config.Data)) != 1 {
		t.Fatalf("purge output %q", out.String())
	}
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data, "--days", "0"}, nil, io.Discard, io.Discard); admin.ExitCode(err) != 2 {
		t.Fatalf("--days 0: %v", err)
	}
	t.Setenv("ONESTOP_RETENTION_DAYS", "soon")
	if err := Run(context.Background(), []string{"purge", "--data", m.Config.Data}, nil, io.Discard, io.Discard); err == nil {
		t.Fatal("accepted ONESTOP_RETENTION_DAYS=soon")
	}
}

func TestRetentionIsPerKindWithItsOwnVariable(t *testing.T) {
	for _, k := range casebook.RetentionKinds {
		t.Setenv(k.Env(), "")
	}
	t.Setenv("ONESTOP_RETENTION_DAYS", "")
	r, err := casebook.ReadRetention(os.Getenv, 0)
	want := casebook.Retention{Contacts: 90, Referrals: 90, Messages: 90, Inbound: 2, Audit: 365, Languages: 90, Logins: 7}
	if err != nil || r != want {
		t.Fatalf("defaults = %+v, %v; want %+v (and the README's table)", r, err, want)
	}
	// The general variable still sets the kinds that follow it, and each kind's own wins.
	t.Setenv("ONESTOP_RETENTION_DAYS", "60")
	t.Setenv("ONESTOP_RETENTION_REFERRALS_DAYS", "120")
	t.Setenv("ONESTOP_RETENTION_AUDIT_DAYS", "730")
	t.Setenv("ONESTOP_RETENTION_LOGINS_DAYS", "1")
	r, err = casebook.ReadRetention(os.Getenv, 0)
	want = casebook.Retention{Contacts: 60, Referrals: 120, Messages: 60, Inbound: 2, Audit: 730, Languages: 60, Logins: 1}
	if err != nil || r != want {
		t.Fatalf("from the environment = %+v, %v; want %+v", r, err, want)
	}
	t.Setenv("ONESTOP_RETENTION_DAYS", "")
	data := t.TempDir()
	for _, k := range casebook.RetentionKinds {
		for _, bad := range []string{"0", "-3", "soon", "1.5", "99999999"} {
			t.Setenv(k.Env(), bad)
			if _, err := casebook.ReadRetention(os.Getenv, 0); err == nil || !strings.Contains(err.Error(), k.Env()) {
				t.Errorf("%s=%s: %v; want an error naming the variable", k.Env(), bad, err)
			}
			// The command refuses before it opens anything.
			err := Run(context.Background(), []string{"purge", "--data", data}, nil, io.Discard, io.Discard)
			if err == nil || !strings.Contains(err.Error(), k.Env()) {
				t.Errorf("purge with %s=%s: %v", k.Env(), bad, err)
			}
		}
		t.Setenv(k.Env(), "")
	}
	if entries, _ := os.ReadDir(data); len(entries) != 0 {
		t.Errorf("a refused purge left %d files in the data directory", len(entries))
	}
}

// seedForPurge writes, on the store in data, what a purge must remove and what it must keep,
// and returns the stored bytes of each record that must go.
func seedForPurge(t *testing.T, db onestop.Store, cases *casebook.Casebook, when time.Time) (gone map[string][]byte, kept []uint64) {
	ctx := context.Background()
	t.Helper()
	closed := &onestop.Referral{Time: when, Updated: when, Channel: onestop.SMS, Country: "BD", Status: onestop.Closed,
		Place: "Kalindi-ghat-behind-the-tin-mosque", Worker: "+8801811000777", Need: "Rahima-hiding-at-her-aunts-since-Tuesday",
		History: []onestop.ReferralEvent{{Time: when, Status: onestop.Closed, By: "sara", Note: "moved-her-to-Jessore-shelter-quietly"}}}
	worked := &onestop.Referral{Time: when, Updated: when, Channel: onestop.SMS, Country: "BD", Status: onestop.Contacted,
		Worker: "+8801811000778", Need: "still being worked"}
	done := &onestop.Contact{Time: when, Updated: when, Channel: onestop.USSD, Country: "BD", Urgency: onestop.NonUrgent,
		Status: onestop.Done, Caller: "+8801711000555", Masked: "+880 17** ***555"}
	open := &onestop.Contact{Time: when, Updated: when, Channel: onestop.USSD, Country: "BD", Urgency: onestop.Urgent,
		Status: onestop.Open, Caller: "+8801711000556", Masked: "+880 17** ***556",
		Plan: &onestop.SafeContactPlan{MayCall: true, Number: "+8801711000556", Window: onestop.Evening, Opens: when, Closes: when.Add(4 * time.Hour), AgreedAt: when}}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		for _, r := range []*onestop.Referral{closed, worked} {
			if err := cases.PutReferral(tx, r); err != nil {
				return err
			}
		}
		for _, c := range []*onestop.Contact{done, open} {
			if err := cases.Put(tx, c); err != nil {
				return err
			}
		}
		for _, at := range []time.Time{when, when, time.Now()} {
			e := &casebook.AuditEntry{Time: at, Actor: "sara", Action: casebook.AuditCaseView, Subject: casebook.Subject(done)}
			if err := cases.Append(tx, e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Enough closed referrals like the first that their freed pages outnumber what the rest of
	// a purge writes: without compacting, some of their bytes stay in the file.
	many := make([]*onestop.Referral, 200)
	if err := db.Update(context.Background(), func(tx onestop.Tx) error {
		for i := range many {
			many[i] = &onestop.Referral{Time: when, Updated: when, Channel: onestop.SMS, Country: "BD", Status: onestop.Declined,
				Place: fmt.Sprintf("purged-place-%03d-by-the-canal", i), Worker: "+8801811000779", Need: fmt.Sprintf("purged-need-%03d", i)}
			if err := cases.PutReferral(tx, many[i]); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	gone = map[string][]byte{}
	db.View(ctx, func(tx onestop.Tx) error {
		for i, r := range many {
			gone[fmt.Sprintf("declined referral %d's record", i)] = bytes.Clone(tx.Bucket(store.Referrals).Get(store.U64(r.ID)))
		}
		gone["the closed referral's record"] = bytes.Clone(tx.Bucket(store.Referrals).Get(store.U64(closed.ID)))
		gone["the finished contact's record"] = bytes.Clone(tx.Bucket(store.Contacts).Get(store.U64(done.ID)))
		return nil
	})
	for _, s := range []string{closed.Place, closed.Need, closed.History[0].Note, done.Caller} {
		gone[s] = []byte(s)
	}
	return gone, []uint64{worked.ID, open.ID}
}

func TestPurgeLeavesNothingPurgedInTheFile(t *testing.T) {
	ctx := context.Background()
	c := DefaultConfig()
	c.Data = t.TempDir()
	c.SealKey, c.SealKeyFile = "", ""
	db, box, err := openStore(ctx, c, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	gone, kept := seedForPurge(t, db, cases, time.Now().AddDate(-2, 0, 0))
	// Churn the file as a day of service does, so the purged records' pages are not simply the
	// last ones written.
	for i := 0; i < 50; i++ {
		put := &onestop.Contact{Time: time.Now(), Updated: time.Now(), Status: onestop.Done, Masked: "+880 17** ***000"}
		db.Update(context.Background(), func(tx onestop.Tx) error { return cases.Put(tx, put) })
	}
	db.Close()
	raw, _ := os.ReadFile(c.DBPath())
	if !bytes.Contains(raw, gone["the closed referral's record"]) {
		t.Fatal("the seeded referral is not in the file; this test would show nothing")
	}
	var out bytes.Buffer
	if err := Run(context.Background(), []string{"purge", "--data", c.Data}, nil, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	for _, says := range []string{"purged 1 contacts", " 201 referrals", " 2 audit entries", "compacted"} {
		if !strings.Contains(out.String(), says) {
			t.Errorf("purge said %q; want %q in it", out.String(), says)
		}
	}
	raw, err = os.ReadFile(c.DBPath())
	if err != nil {
		t.Fatal(err)
	}
	for what, b := range gone {
		if bytes.Contains(raw, b) {
			t.Errorf("after the purge the file still holds %s", what)
		}
	}
	if bytes.Contains(raw, []byte("purged-place-")) {
		t.Errorf("after the purge the file still holds a purged referral's place")
	}
	out.Reset()
	if err := Run(context.Background(), []string{"audit", "verify", "--data", c.Data}, nil, &out, io.Discard); err != nil || !strings.Contains(out.String(), "audit log intact: 2 entries") ||
		!strings.Contains(out.String(), "entries 1-2 were purged") {
		t.Errorf("audit verify after the purge: %v %s", err, out.String())
	}
	db, box, err = openStore(ctx, c, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cases = casebook.New(db, box)
	if _, err := cases.Contact(ctx, kept[1]); err != nil {
		t.Errorf("the open contact was purged: %v", err)
	}
	if err := db.View(ctx, func(tx onestop.Tx) error { _, err := cases.GetReferral(tx, kept[0]); return err }); err != nil {
		t.Errorf("the referral still being worked was purged: %v", err)
	}
	if n, err := cases.VerifyAudit(ctx); err != nil || n != 2 {
		t.Errorf("audit verify after purge: %d, %v", n, err)
	}
}

func TestServesDailyPurgeCompactsWhileServing(t *testing.T) {
	ctx := context.Background()
	m := MustRunMain(t)
	gone, kept := seedForPurge(t, m.DB, m.Cases, time.Now().AddDate(-2, 0, 0))
	ret, err := casebook.ReadRetention(os.Getenv, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Callers keep calling while the purge and its compaction run.
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; i < 3; i++ {
			allOnes(t, m.Addr(), fmt.Sprintf("ATUid_purge%d", i), fmt.Sprintf("+88017110001%02d", i))
		}
	}()
	if _, err := purge(context.Background(), m.DB, m.Cases, m.outbox(m.smsConfig), ret, false); err != nil {
		t.Fatal(err)
	}
	<-done
	raw, err := os.ReadFile(m.DB.(*bolt.DB).Path())
	if err != nil {
		t.Fatal(err)
	}
	for what, b := range gone {
		if bytes.Contains(raw, b) {
			t.Errorf("after serve's purge the file still holds %s", what)
		}
	}
	if bytes.Contains(raw, []byte("purged-place-")) {
		t.Errorf("after serve's purge the file still holds a purged referral's place")
	}
	if _, err := m.Cases.Contact(ctx, kept[1]); err != nil {
		t.Errorf("the open contact was purged: %v", err)
	}
	if _, err := m.Cases.VerifyAudit(ctx); err != nil {
		t.Errorf("audit verify after serve's purge: %v", err)
	}
	m.Close()
	if rows := callsJSON(t, m.Config.Data); len(rows) != 4 {
		t.Errorf("%d contacts listed after the purge, want the open one and the 3 made meanwhile", len(rows))
	}
}

// A daily purge that deleted nothing leaves the file as it is: compacting holds every write for
// the whole copy, an urgent hop's among them, and there is nothing to clear. The command, and
// the first purge after a start, compact all the same.
func TestAPurgeThatDeletesNothingDoesNotCompact(t *testing.T) {
	path := filepath.Join(t.TempDir(), "onestop.db")
	db, err := bolt.Open(path, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, err := seal.New(bytes.Repeat([]byte{5}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	cases := casebook.New(db, box)
	ob := outbox.New(db, box, cases, outbox.Config{Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ret, err := casebook.ReadRetention(os.Getenv, 0)
	if err != nil {
		t.Fatal(err)
	}
	inode := func() uint64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Sys().(*syscall.Stat_t).Ino
	}
	before := inode()
	if _, err := purge(context.Background(), db, cases, ob, ret, false); err != nil {
		t.Fatal(err)
	}
	if inode() != before {
		t.Fatal("a purge that deleted nothing compacted the file")
	}
	if _, err := purge(context.Background(), db, cases, ob, ret, true); err != nil {
		t.Fatal(err)
	}
	if inode() == before {
		t.Fatal("a purge told to compact did not")
	}
}
