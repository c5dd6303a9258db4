package casebook

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/seal"
	"github.com/onestop-helpline/onestop/store"
)

func openCasebook(t *testing.T) (*Casebook, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return New(db, box), db
}

func newContact(t *testing.T, cb *Casebook, db *bolt.DB) *onestop.Contact {
	t.Helper()
	c := &onestop.Contact{Time: time.Unix(1_800_000_000, 0), Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open}
	if err := db.Update(context.Background(), func(tx onestop.Tx) error { return cb.Put(tx, c) }); err != nil {
		t.Fatal(err)
	}
	return c
}

// scripted is a source of randomness that gives, for each draw, the next of its chunks.
type scripted struct{ chunks [][]byte }

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.chunks) == 0 {
		return 0, errors.New("scripted: no more draws")
	}
	n := copy(p, s.chunks[0])
	s.chunks = s.chunks[1:]
	return n, nil
}

// body returns the three bytes from which crypto/rand.Int draws v below 10^6 (20 bits) or,
// for a longer body, v below 9·10^6 (24 bits).
func body(v uint32) []byte { return []byte{byte(v >> 16), byte(v >> 8), byte(v)} }

// refBody is the number a contact reference's body reads as.
func refBody(t *testing.T, ref string) int {
	t.Helper()
	n, err := strconv.Atoi(ref[:len(ref)-1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// References of consecutive contacts share nothing: no constant step between them, none
// computed from the ID, and no two alike.
func TestConsecutiveContactsHaveUnrelatedReferences(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	const n = 200
	var cs []*onestop.Contact
	seen := map[string]uint64{}
	for range n {
		c := newContact(t, cb, db)
		if len(c.Ref) != 7 || !ValidRef(c.Ref) || ValidReferralRef(c.Ref) {
			t.Fatalf("contact %d: reference %q", c.ID, c.Ref)
		}
		if prev, dup := seen[c.Ref]; dup {
			t.Fatalf("contacts %d and %d both have %s", prev, c.ID, c.Ref)
		}
		seen[c.Ref] = c.ID
		cs = append(cs, c)
	}
	steps := map[int]int{}
	derived := 0
	for i, c := range cs {
		if c.Ref == derivedRef(c.ID) {
			derived++
		}
		if i > 0 {
			steps[(refBody(t, c.Ref)-refBody(t, cs[i-1].Ref)+refSpace)%refSpace]++
		}
	}
	for step, times := range steps {
		if times > 3 { // 199 random steps in a million: three alike is a one-in-a-billion chance
			t.Fatalf("%d consecutive pairs of references differ by %d", times, step)
		}
	}
	if derived > 1 {
		t.Fatalf("%d of %d references are the ones their IDs compute to", derived, n)
	}
	// Every one opens its own contact, and the index holds exactly them.
	for _, c := range cs {
		got, err := cb.ByRef(ctx, c.Ref)
		if err != nil || got.ID != c.ID {
			t.Fatalf("ByRef(%s) = %v, %v; want contact %d", c.Ref, got, err, c.ID)
		}
	}
	db.View(ctx, func(tx onestop.Tx) error {
		count := 0
		tx.Bucket(store.ContactRefs).ForEach(func(k, v []byte) error {
			if seen[string(k)] != binary.BigEndian.Uint64(v) {
				t.Errorf("index: %s → %d", k, binary.BigEndian.Uint64(v))
			}
			count++
			return nil
		})
		if count != n {
			t.Errorf("index holds %d references, want %d", count, n)
		}
		return nil
	})
}

// A drawn reference that is taken, by a contact of now or by one made before references were
// drawn (kept or purged), is drawn again.
func TestATakenReferenceIsDrawnAgain(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	// Contacts 1 to 5 were made before references were drawn; 3 has since been purged.
	err := db.Update(ctx, func(tx onestop.Tx) error {
		b := tx.Bucket(store.Contacts)
		for id := uint64(1); id <= 5; id++ {
			if _, err := b.NextSequence(); err != nil {
				return err
			}
			if id == 3 {
				continue
			}
			r := record{Contact: onestop.Contact{ID: id, Time: time.Unix(1_700_000_000, 0), Channel: onestop.USSD, Status: onestop.Open}}
			if err := b.Put(store.U64(id), marshalV1(&r)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	kept, purged := uint32(refBody(t, derivedRef(2))), uint32(refBody(t, derivedRef(3)))
	const x, y, z = 66051, 131586, 197121
	cb.rand = &scripted{chunks: [][]byte{body(kept), body(purged), body(x), body(x), body(y), body(x), body(y), body(z)}}
	first, second, third := newContact(t, cb, db), newContact(t, cb, db), newContact(t, cb, db)
	for _, c := range []struct {
		c    *onestop.Contact
		want uint32
	}{{first, x}, {second, y}, {third, z}} {
		if refBody(t, c.c.Ref) != int(c.want) || !ValidRef(c.c.Ref) {
			t.Fatalf("contact %d has %s, want the body %06d", c.c.ID, c.c.Ref, c.want)
		}
	}
	if first.ID != 6 {
		t.Fatalf("first new contact is %d", first.ID)
	}
	// The old ones still open by the references they were given; the new ones by theirs.
	for id, ref := range map[uint64]string{1: derivedRef(1), 2: derivedRef(2), 4: derivedRef(4), 5: derivedRef(5), 6: first.Ref, 8: third.Ref} {
		if c, err := cb.ByRef(ctx, ref); err != nil || c.ID != id || c.Ref != ref {
			t.Fatalf("ByRef(%s) = %+v, %v; want contact %d", ref, c, err, id)
		}
	}
	// An old contact written again keeps her reference, now in the record itself.
	two, err := cb.Contact(ctx, 2)
	if err != nil {
		t.Fatal(err)
	}
	two.Ref, two.Status = "", onestop.Done
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.Put(tx, two) }); err != nil {
		t.Fatal(err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if v := tx.Bucket(store.Contacts).Get(store.U64(2)); v[0] != formatBinary2 {
			t.Errorf("rewritten old contact is format %d", v[0])
		}
		return nil
	})
	if c, err := cb.ByRef(ctx, derivedRef(2)); err != nil || c.ID != 2 || c.Status != onestop.Done {
		t.Fatalf("old contact rewritten: ByRef(%s) = %+v, %v", derivedRef(2), c, err)
	}
	// A reference chosen by the writer is refused when another contact has or had it.
	for _, ref := range []string{derivedRef(3), first.Ref} {
		c := &onestop.Contact{ID: 100, Ref: ref, Channel: onestop.USSD, Status: onestop.Open}
		if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.Put(tx, c) }); onestop.ErrorCode(err) != onestop.ECONFLICT {
			t.Fatalf("a contact written with the taken reference %s: %v", ref, err)
		}
	}
	// The references contacts 6 to 8 would have had before are nobody's.
	for id := uint64(6); id <= 9; id++ {
		if c, err := cb.ByRef(ctx, derivedRef(id)); onestop.ErrorCode(err) != onestop.ENOTFOUND {
			t.Fatalf("ByRef(%s), computed from %d = %+v, %v", derivedRef(id), id, c, err)
		}
	}
}

// marshalV1 writes r as a record was written when the reference was computed from the ID.
func marshalV1(r *record) []byte {
	b := binary.AppendUvarint([]byte{formatBinary1}, r.ID)
	return append(b, restOf(r.marshal())...)
}

// restOf returns what follows the ID and the reference in a version 2 record.
func restOf(v2 []byte) []byte {
	_, n := binary.Uvarint(v2[1:])
	rest := v2[1+n:]
	l, m := binary.Uvarint(rest)
	return rest[m+int(l):]
}

// When nearly every reference of a length is taken, a longer one is drawn: it never starts
// with 0, has the check digit, and opens its contact.
func TestAFullSpaceGrowsTheReference(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	const x = 66051
	chunks := [][]byte{body(x)}
	for range drawsPerLength {
		chunks = append(chunks, body(x))
	}
	cb.rand = &scripted{chunks: append(chunks, body(x))}
	first, second := newContact(t, cb, db), newContact(t, cb, db)
	if len(second.Ref) != 8 || second.Ref[0] == '0' || !ValidRef(second.Ref) || refBody(t, second.Ref) != 1_000_000+x {
		t.Fatalf("after %d taken draws: %s (first %s)", drawsPerLength, second.Ref, first.Ref)
	}
	if c, err := cb.ByRef(ctx, second.Ref); err != nil || c.ID != second.ID {
		t.Fatalf("ByRef(%s) = %+v, %v", second.Ref, c, err)
	}
}

// A reference with one digit wrong is refused, never read as another contact's.
func TestAMistypedReferenceIsRefused(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	var cs []*onestop.Contact
	for range 50 {
		cs = append(cs, newContact(t, cb, db))
	}
	for _, c := range cs[:5] {
		r := []byte(c.Ref)
		for i := range r {
			for d := byte('0'); d <= '9'; d++ {
				if d == r[i] {
					continue
				}
				typo := bytes.Clone(r)
				typo[i] = d
				if ValidRef(string(typo)) {
					t.Fatalf("typo %s of %s passes the check", typo, r)
				}
				if got, err := cb.ByRef(ctx, string(typo)); onestop.ErrorCode(err) != onestop.ENOTFOUND {
					t.Fatalf("ByRef(%s), a typo of %s = %+v, %v", typo, r, got, err)
				}
			}
		}
	}
}

// Purging a contact or a referral takes its reference out of the index: nothing is left that
// says it was there.
func TestPurgeTakesTheReferenceOutOfTheIndex(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	old := time.Unix(1_700_000_000, 0)
	gone := &onestop.Contact{Time: old, Updated: old, Channel: onestop.USSD, Urgency: onestop.Information, Status: onestop.Done}
	kept := &onestop.Contact{Time: old, Updated: old, Channel: onestop.USSD, Urgency: onestop.Urgent, Status: onestop.Open}
	closed := &onestop.Referral{Time: old, Updated: old, Channel: onestop.SMS, Worker: "+8801711000001", Need: "a doctor", Status: onestop.Closed}
	err := db.Update(ctx, func(tx onestop.Tx) error {
		if err := cb.Put(tx, gone); err != nil {
			return err
		}
		if err := cb.Put(tx, kept); err != nil {
			return err
		}
		return cb.PutReferral(tx, closed)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cb.ReferralByRef(ctx, closed.Ref); err != nil {
		t.Fatalf("ReferralByRef(%s) before the purge: %v", closed.Ref, err)
	}
	n, err := cb.Purge(ctx, time.Unix(1_800_000_000, 0))
	if err != nil || n.Contacts != 1 || n.Referrals != 1 {
		t.Fatalf("purged %+v, %v", n, err)
	}
	db.View(ctx, func(tx onestop.Tx) error {
		if v := tx.Bucket(store.ContactRefs).Get([]byte(gone.Ref)); v != nil {
			t.Errorf("the purged contact's reference %s is still indexed", gone.Ref)
		}
		if v := tx.Bucket(store.ContactRefs).Get([]byte(kept.Ref)); v == nil {
			t.Errorf("the kept contact's reference %s is gone from the index", kept.Ref)
		}
		if k, _ := tx.Bucket(store.ReferralRefs).Cursor().First(); k != nil {
			t.Errorf("the purged referral's reference %s is still indexed", k)
		}
		return nil
	})
	if _, err := cb.ByRef(ctx, gone.Ref); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("ByRef of the purged contact: %v", err)
	}
	if c, err := cb.ByRef(ctx, kept.Ref); err != nil || c.ID != kept.ID {
		t.Fatalf("ByRef of the kept contact: %+v, %v", c, err)
	}
}

// Referrals' references are drawn too: consecutive referrals share nothing, each opens its own
// by "R" and its digits, and none is a contact's.
func TestConsecutiveReferralsHaveUnrelatedReferences(t *testing.T) {
	ctx := context.Background()
	cb, db := openCasebook(t)
	seen := map[string]bool{}
	var refs []string
	for i := range 200 {
		r := &onestop.Referral{Time: time.Unix(1_800_000_000, 0), Channel: onestop.SMS, Worker: "+8801711000001", Need: "n" + strconv.Itoa(i), Status: onestop.Received}
		if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.PutReferral(tx, r) }); err != nil {
			t.Fatal(err)
		}
		if len(r.Ref) != 9 || r.Ref[0] != 'R' || !ValidReferralRef(r.Ref) || ValidRef(r.Ref[1:]) || seen[r.Ref] {
			t.Fatalf("referral %d: reference %q", r.ID, r.Ref)
		}
		if r.Ref == derivedReferralRef(r.ID) && r.ID > 1 {
			t.Fatalf("referral %d has the reference its ID computes to", r.ID)
		}
		seen[r.Ref] = true
		refs = append(refs, r.Ref)
		got, err := cb.ReferralByRef(ctx, r.Ref)
		if err != nil || got.ID != r.ID {
			t.Fatalf("ReferralByRef(%s) = %+v, %v", r.Ref, got, err)
		}
	}
	steps := map[int]int{}
	for i := 1; i < len(refs); i++ {
		a, _ := strconv.Atoi(refs[i-1][1:8])
		b, _ := strconv.Atoi(refs[i][1:8])
		steps[(b-a+referralSpace)%referralSpace]++
	}
	for step, times := range steps {
		if times > 3 {
			t.Fatalf("%d consecutive pairs of referral references differ by %d", times, step)
		}
	}
	if _, err := cb.ReferralByRef(ctx, derivedReferralRef(5)); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("a referral opened by the reference its ID computes to: %v", err)
	}
}
