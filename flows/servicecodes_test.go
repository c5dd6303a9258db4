package flows

import (
	"strings"
	"testing"
)

func TestParseServiceCodes(t *testing.T) {
	got, err := ParseServiceCodes("*109#=BD, *181#=in,*121#=PS")
	if err != nil || len(got) != 3 || got["*109#"] != "BD" || got["*181#"] != "IN" || got["*121#"] != "PS" {
		t.Fatalf("ParseServiceCodes = %v, %v", got, err)
	}
	if got, err := ParseServiceCodes(""); err != nil || len(got) != 0 {
		t.Fatalf("unset: %v, %v", got, err)
	}
	for _, bad := range []string{"*109#", "*109#=", "=BD", "*109#=Bangladesh", "*109#=B1", "*109#=BD,*109#=IN"} {
		if _, err := ParseServiceCodes(bad); err == nil || !strings.Contains(err.Error(), "CODE=CC") && !strings.Contains(err.Error(), "given to both") {
			t.Errorf("%q: %v, want an error saying what is wrong", bad, err)
		}
	}
}
