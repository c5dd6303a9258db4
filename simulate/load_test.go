package simulate

import (
	"strings"
	"testing"
)

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
