package casebook_test

import (
	"bytes"
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/bolt"
	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/seal"
)

func TestAVoiceCallsOutcomeIsOnItsCaseWithoutHerNumber(t *testing.T) {
	ctx := context.Background()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "onestop.db"), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	box, _ := seal.New(bytes.Repeat([]byte{7}, seal.KeySize))
	cb := casebook.New(db, box)
	c := &onestop.Contact{Time: time.Now(), Channel: onestop.Voice, Provider: "twilio", SessionID: "CA77",
		Country: "BD", Lang: onestop.Bengali, Urgency: onestop.Urgent, Status: onestop.Open, Masked: "+880 17** ***555"}
	if err := db.Update(ctx, func(tx onestop.Tx) error { return cb.Put(tx, c) }); err != nil {
		t.Fatal(err)
	}
	if err := cb.RecordVoiceCall(ctx, "twilio", "CA77", false, "", 0, "no-answer"); err != nil {
		t.Fatal(err)
	}
	if err := cb.RecordVoiceCall(ctx, "twilio", "CA77", true, "+8801711000901", 90*time.Second, "completed"); err != nil {
		t.Fatal(err)
	}
	if err := cb.RecordVoiceCall(ctx, "twilio", "CA-unknown", true, "", 0, "completed"); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("unknown call: %v", err)
	}
	if err := cb.RecordVoiceCall(ctx, "exotel", "CA77", true, "", 0, "completed"); onestop.ErrorCode(err) != onestop.ENOTFOUND {
		t.Fatalf("another provider's call: %v", err)
	}
	vcs, err := cb.VoiceCalls(ctx, c.ID)
	if err != nil || len(vcs) != 2 {
		t.Fatalf("%+v %v", vcs, err)
	}
	if vcs[0].Answered || vcs[0].By != "" || !vcs[1].Answered || vcs[1].By != "+880 17** ***901" || vcs[1].Duration != 90*time.Second {
		t.Fatalf("outcomes %+v", vcs)
	}
}
