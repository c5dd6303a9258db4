package voice

import (
	"bytes"
	"strings"
	"testing"
)

func TestPrintMissingSaysWhatIsSpokenInstead(t *testing.T) {
	var out bytes.Buffer
	if err := PrintMissing(&out, ""); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), EnvPrompts+" is not set") || !strings.Contains(out.String(), "LANG") {
		t.Fatalf("PrintMissing with no directory:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "\n"); n != len(MissingPrompts(""))+2 {
		t.Fatalf("%d lines for %d prompts", n, len(MissingPrompts("")))
	}
}
