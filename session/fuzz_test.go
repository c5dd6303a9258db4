package session

import "testing"

// FuzzDecode: a damaged session record is an error, never a panic.
func FuzzDecode(f *testing.F) {
	f.Add("africastalking:ATUid_1", Encode(&Session{Key: "africastalking:ATUid_1"}))
	f.Add("", []byte("{"))
	f.Add("x", []byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, key string, v []byte) {
		s, err := Decode(key, v)
		if err == nil && s == nil {
			t.Fatal("no session and no error")
		}
	})
}
