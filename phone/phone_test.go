package phone_test

import (
	"testing"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/phone"
)

func TestParseAndMask(t *testing.T) {
	for _, tc := range []struct {
		in, region, e164, country, mask string
	}{
		{"+8801711000001", "", "+8801711000001", "BD", "+880 17** ***001"},
		{"01711000001", "BD", "+8801711000001", "BD", "+880 17** ***001"},
		{"+91 98765 43210", "", "+919876543210", "IN", "+91 98** ***210"},
		{"+970599123456", "", "+970599123456", "PS", "+970 59** **456"},
	} {
		n, err := phone.Parse(tc.in, tc.region)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.in, err)
		}
		if n.E164 != tc.e164 || n.Region != tc.country || n.Mask() != tc.mask {
			t.Errorf("Parse(%q) = %s %s %q; want %s %s %q", tc.in, n.E164, n.Region, n.Mask(), tc.e164, tc.country, tc.mask)
		}
	}
}

func TestParseRejects(t *testing.T) {
	for _, in := range []string{"", "hello", "+", "12", "+88017110000019999999999999999999"} {
		if _, err := phone.Parse(in, ""); onestop.ErrorCode(err) != onestop.EINVALID {
			t.Errorf("Parse(%q): err = %v, want EINVALID", in, err)
		}
	}
	// A possible but unassigned number is refused where a caller types it.
	if _, err := phone.ParseValid("0171100", "BD"); err == nil {
		t.Error("ParseValid accepted a short national number")
	}
	if n, err := phone.ParseValid("01811000002", "BD"); err != nil || n.E164 != "+8801811000002" {
		t.Errorf("ParseValid(01811000002) = %v, %v", n, err)
	}
}

func TestTailShowsTwoDigits(t *testing.T) {
	if got := phone.Tail("+8801711000001"); got != "…01" {
		t.Fatalf("Tail = %q", got)
	}
}
