package flows_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/store"
)

func storeBytes(t testing.TB, db onestop.Store) []byte {
	t.Helper()
	var out []byte
	err := db.View(context.Background(), func(tx onestop.Tx) error {
		for _, name := range store.Buckets {
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

// FuzzSMSReceive: any text from a worker or from an unregistered number, with any sender and
// message id, is answered or refused; nothing panics, a refused one changes nothing and
// queues nothing, and no reply repeats a STATUS argument.
func FuzzSMSReceive(f *testing.F) {
	for _, s := range []string{"HELP", "STATUS R1234560", "REF Dhaka she needs a doctor", "রেফার ঢাকা", "", "\xff", "STATUS <b>", "REF", "status r" + fmt.Sprint(1<<62)} {
		f.Add(smsWorkers[3].Number, "ATXid_seed", s)
		f.Add("+8801999000111", "ATXid_seed2", s)
	}
	f.Add("not a number", "id", "HELP")
	f.Add("+8801811000102", "", "HELP")
	fx := newSMSFixture(f)
	n := 0
	f.Fuzz(func(t *testing.T, from, id, text string) {
		n++
		before := storeBytes(t, fx.db)
		r, err := fx.sms.Receive(context.Background(), flows.InboundSMS{Provider: "africastalking", ID: fmt.Sprintf("%s-%d", id, n), From: from, To: "21525", Text: text})
		if err != nil {
			if onestop.ErrorCode(err) != onestop.EINVALID {
				t.Fatalf("Receive(%q, %q): %v", from, text, err)
			}
			if !bytes.Equal(before, storeBytes(t, fx.db)) {
				t.Fatalf("a refused text (%v) changed the store", err)
			}
			return
		}
		if r.Text == "" {
			t.Fatalf("no reply to %q", text)
		}
	})
}
