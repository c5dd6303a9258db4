package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/simulate"
)

// An operator's routine changes, made while callers call: the rota changed, a worker added, a
// directory imported and a backup taken, all through the running server, and no caller's hop
// fails or shows a wrong screen.
func TestOperatingARunningHelplineUnderLoad(t *testing.T) {
	noProviders(t)
	m := MustRunMain(t)
	data := m.Config.Data
	// Someone on duty from the start: the rota is changed under load, not emptied or filled.
	smsMustCmd(t, "duty", "set", "+8801911000900", "--data", data)
	callers := simulate.NewCallers("http://"+m.Addr()+"/ussd/africastalking", 8, 0)
	if _, err := callers.Learn(context.Background(), locales.DefaultLimit); err != nil {
		t.Fatal(err)
	}
	callers.Report(testWriter{t})
	driven := make(chan struct{})
	go func() {
		defer close(driven)
		callers.Drive(context.Background(), 4*time.Second, io.Discard, "operate")
	}()

	run := func(stdin string, args ...string) string {
		t.Helper()
		var out, errb bytes.Buffer
		if err := Run(context.Background(), append(args, "--data", data), strings.NewReader(stdin), &out, &errb); err != nil {
			t.Fatalf("%v while serving: %v\n%s%s", args, err, out.String(), errb.String())
		}
		return out.String()
	}
	time.Sleep(500 * time.Millisecond)
	run("", "duty", "set", "+8801911000901")
	run("", "duty", "fallback", "add", "+8801911000903")
	run("", "worker", "add", "+8801711000902", "--name", "Rina", "--lang", "bn")
	centres := run("", "directory", "export")
	// The same table again, one centre renamed: in force at once, the callers' screens unchanged.
	edited := strings.Replace(centres, "One-Stop Crisis Centre, Khulna Medical College Hospital", "One-Stop Crisis Centre, Khulna MCH", 1)
	if out := run(edited, "directory", "import", "-"); !strings.Contains(out, "in force now") {
		t.Fatalf("import said %q", out)
	}
	backup := filepath.Join(t.TempDir(), "during-load.db")
	run("", "backup", backup)
	<-driven

	res := callers.Result()
	if res.Errors != 0 || res.WrongScreens != 0 || res.Hops < 100 {
		t.Fatalf("under the operator's changes: %d hops, %d failed, %d wrong screens", res.Hops, res.Errors, res.WrongScreens)
	}
	t.Logf("%d hops, none failed, while the rota, a worker, the directory and a backup changed hands", res.Hops)
	if fi, err := os.Stat(backup); err != nil || fi.Size() == 0 {
		t.Fatalf("backup %v %v", fi, err)
	}
	// The import is what the server answers now, without a restart.
	if c, ok := m.Dir.Centre("bd-occ-khulna"); !ok || !strings.Contains(c.Name("en"), "Khulna MCH") {
		t.Fatalf("the running server still has %q (found %v)", c.Name("en"), ok)
	}
	if out := run("", "directory", "find", "Khulna"); !strings.Contains(out, "Khulna MCH") {
		t.Fatalf("find after the import, in the running server:\n%s", out)
	}
	if out := run("", "duty", "list"); !strings.Contains(out, "+880 19") {
		t.Fatalf("duty list: %s", out)
	}
}
