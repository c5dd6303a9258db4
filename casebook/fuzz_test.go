package casebook

import (
	"bytes"
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/seal"
)

// FuzzUnmarshal: a damaged contact record, in either format, is an error, never a panic; one
// that reads is written back to the same record.
func FuzzUnmarshal(f *testing.F) {
	box, err := seal.New(bytes.Repeat([]byte{9}, seal.KeySize))
	if err != nil {
		f.Fatal(err)
	}
	good := record{Contact: onestop.Contact{ID: 7, Channel: onestop.USSD, Country: "BD", Plan: &onestop.SafeContactPlan{MayCall: true, TZ: "Asia/Dhaka"}},
		CallerSealed: box.SealString("+8801711000101"), NumberSealed: box.SealString("+8801711000101")}
	f.Add(good.marshal())
	f.Add([]byte(`{"id":1}`))
	f.Add([]byte{formatBinary1})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, v []byte) {
		r, err := unmarshal(v)
		if err != nil || v[0] != formatBinary1 {
			return
		}
		again, err := unmarshal(r.marshal())
		if err != nil || again.ID != r.ID || again.Ref != r.Ref || !bytes.Equal(again.CallerSealed, r.CallerSealed) {
			t.Fatalf("a record read back differently: %+v, %v", again, err)
		}
		cb := &Casebook{box: box}
		cb.decode(v) // a wrong seal is an error too
	})
}

// FuzzRef: a typed case number is either refused or names the one contact whose reference it
// is; nothing panics.
func FuzzRef(f *testing.F) {
	for _, s := range []string{"", "1234567", derivedRef(1), derivedRef(999_999), derivedRef(1_000_000), "0" + derivedRef(5), "R" + derivedRef(5), "٠١٢٣٤٥٦"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, ok := refID(s); ok && derivedRef(id) != s {
			t.Fatalf("refID(%q) = %d, whose reference is %s", s, id, derivedRef(id))
		}
		if id, ok := referralRefID(s); ok && derivedReferralRef(id)[1:] != s {
			t.Fatalf("referralRefID(%q) = %d, whose reference is %s", s, id, derivedReferralRef(id))
		}
	})
}
