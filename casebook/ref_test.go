package casebook

import "testing"

func TestRefIDUndoesRef(t *testing.T) {
	check := func(id uint64) {
		if got, ok := refID(derivedRef(id)); !ok || got != id {
			t.Fatalf("refID(derivedRef(%d) = %s) = %d, %v", id, derivedRef(id), got, ok)
		}
	}
	for id := uint64(1); id < 300_000; id++ {
		check(id)
	}
	for id := uint64(999_000); id < 1_001_000; id++ {
		check(id)
	}
	check(123_456_789_012)
	for _, ref := range []string{"", "7", "123456", "12345678", "abcdefg", "0" + derivedRef(1_000_000), derivedRef(4242)[1:]} {
		if id, ok := refID(ref); ok {
			t.Errorf("refID(%q) = %d, want no ID", ref, id)
		}
	}
}
