package directory

import (
	"encoding/json"
	"strings"
	"testing"
)

// What the operator's tools print of a centre is what a phone may be told: no address, the
// confidential one least of all. The rows once lived in cmd/onestop (areaRow, hitRow).
func TestRowsCarryNoAddress(t *testing.T) {
	d, err := Embedded()
	if err != nil {
		t.Fatal(err)
	}
	hits := d.ForPoint(23.72, 90.40, Query{Limit: 100})
	if len(hits) == 0 {
		t.Fatal("no centres near Dhaka")
	}
	for i, h := range hits {
		h.Centre.Address, h.Centre.AddressConfidential = "House 7, Shelter Lane", true
		b, err := json.Marshal(h.Row(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "Shelter Lane") {
			t.Fatalf("a row carries the address: %s", b)
		}
		if r := h.Row(i + 1); r.Rank != i+1 || (r.KM == nil) == h.Located {
			t.Errorf("row %d: rank %d, km %v, located %v", i, r.Rank, r.KM, h.Located)
		}
	}
	if sum := d.Summary(); len(sum) < 2 || !strings.Contains(sum[0], "centres") || !strings.HasPrefix(sum[1], "  ") {
		t.Errorf("Summary = %q", sum)
	}
	if len(d.CentreNames()) < len(d.Centres()) {
		t.Errorf("%d names for %d centres", len(d.CentreNames()), len(d.Centres()))
	}
}
