package outbox

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/onestop-helpline/onestop/seal"
)

// FuzzDecode: a damaged outbound record is an error, never a panic; a record that opens has
// its number and text opened, not sealed bytes.
func FuzzDecode(f *testing.F) {
	box, err := seal.New(bytes.Repeat([]byte{3}, seal.KeySize))
	if err != nil {
		f.Fatal(err)
	}
	good, _ := json.Marshal(&record{Message: Message{ID: 1, Kind: SMS}, ToSealed: box.SealString("+8801711000101"), TextSealed: box.SealString("hello")})
	f.Add(good)
	f.Add([]byte(`{"toSealed":"AAAA"}`))
	f.Add([]byte("{"))
	f.Add([]byte{})
	o := &Outbox{box: box}
	f.Fuzz(func(t *testing.T, v []byte) {
		m, err := o.decode(v)
		if err == nil && m == nil {
			t.Fatal("no message and no error")
		}
	})
}
