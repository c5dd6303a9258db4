package flows_test

import (
	"strings"
	"testing"
)

// A STATUS reply names nothing the sender typed: not a wrong or foreign case number, not a
// phone number, not markup, not words. Only her own case, found, is named, and by the number on
// file rather than by what she wrote.
func TestSMSStatusEchoesNothingTyped(t *testing.T) {
	f := newSMSFixture(t)
	own := f.text(smsWorkers[3].Number, "REF Dhaka she needs a doctor").Referral
	other := f.text(smsWorkers[0].Number, "REF Dhaka she needs a lawyer").Referral
	for _, arg := range []string{
		"R1234560", "R12345", other, strings.TrimPrefix(other, "R"), "+8801711000999", "<script>alert(1)</script>",
		"Rina%20Akter", "r" + strings.Repeat("9", 40), "DROP;TABLE", "\u202eevil", "৭৭৭৭৭৭০", "R" + own[1:] + "x",
		"her husband took the phone", "%s%d%v", "{{.}}",
	} {
		for _, body := range []string{"STATUS " + arg, "status " + arg, "STATUS " + arg + " " + arg} {
			r := f.text(smsWorkers[3].Number, body)
			for _, word := range strings.Fields(arg) {
				if len(word) >= 3 && strings.Contains(r.Text, word) {
					t.Errorf("%q: reply %q repeats %q", body, r.Text, word)
				}
			}
			if r.Referral != "" {
				t.Errorf("%q: reply is about case %s", body, r.Referral)
			}
		}
	}
	// Her own case typed in lower case, or with punctuation, is answered with the number on file.
	for _, typed := range []string{"r" + own[1:], own + ".", "#" + own[1:]} {
		r := f.text(smsWorkers[3].Number, "STATUS "+typed)
		if r.Referral != own || strings.Contains(r.Text, typed) || !strings.Contains(r.Text, own) {
			t.Errorf("STATUS %s: reply %q about %q, want one naming %s as on file", typed, r.Text, r.Referral, own)
		}
	}
}
