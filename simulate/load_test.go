package simulate

import (
	"strconv"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/casebook"
	"github.com/onestop-helpline/onestop/gateway"
)

// The simulator asks a gateway whether it simulates in the gateway's own words.
func TestLoadKnowsASimulationAsTheGatewaySaysIt(t *testing.T) {
	if healthSimulated != gateway.HealthSimulated {
		t.Fatalf("load looks for %q on /healthz, a simulating gateway says %q", healthSimulated, gateway.HealthSimulated)
	}
}

// The simulator's reading of a reference is casebook's rule, for every seven digits a closing
// screen can show.
func TestLoadReadsReferencesAsCasebookMakesThem(t *testing.T) {
	valid := 0
	buf := make([]byte, 0, 8)
	for n := 0; n < 10_000_000; n += 3 {
		buf = strconv.AppendInt(buf[:0], int64(n+10_000_000), 10)
		ref := string(buf[1:]) // seven digits, leading zeros kept
		if got, want := validRef(ref), casebook.ValidRef(ref); got != want {
			t.Fatalf("validRef(%q) = %v, casebook.ValidRef says %v", ref, got, want)
		}
		if validRef(ref) {
			valid++
		}
	}
	if valid == 0 {
		t.Fatal("no reference valid")
	}
	for _, bad := range []string{"", "123456", "12345678", "12a4567", "１２３４５６７"} {
		if validRef(bad) {
			t.Errorf("validRef(%q) = true", bad)
		}
	}
}

func TestLoadSessionIDsAreUniqueAndLookLikeTheAggregators(t *testing.T) {
	seen := map[string]bool{}
	for _, nonce := range []uint64{0x9e3779b97f4a7c15, 0xdeadbeef12345678} { // two runs
		for i := range 60 {
			for seq := range 500 {
				id := sessionID(nonce, i, seq)
				if !strings.HasPrefix(id, "ATUid_") || len(id) != len("ATUid_")+16 || seen[id] {
					t.Fatalf("caller %d session %d: %q (seen before: %v)", i, seq, id, seen[id])
				}
				seen[id] = true
			}
		}
	}
}
