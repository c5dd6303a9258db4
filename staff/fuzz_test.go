package staff

import "testing"

// FuzzParseOfficials: an officials CSV either lists officials, each with a valid district, a
// role, a whole number and a language, or is refused whole; nothing panics.
func FuzzParseOfficials(f *testing.F) {
	for _, s := range []string{"district,role,number,language\nBD-13,SP,+8801711000101,bn\n", "", "\"", "BD-13,,+8801711000101,bn", "a,b,c,d,e\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseOfficials(data)
		if err != nil {
			if list != nil {
				t.Fatal("a refused file gave officials")
			}
			return
		}
		if len(list) == 0 {
			t.Fatal("accepted a file listing nobody")
		}
		for _, o := range list {
			if !ValidAreaCode(o.District) || o.Role == "" || !o.Lang.Valid() || o.Number == "" || o.Number[0] != '+' {
				t.Fatalf("accepted %+v", o)
			}
		}
	})
}
