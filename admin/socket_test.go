package admin

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/onestop-helpline/onestop/directory"
)

func TestSocketRunsCommandsInTheServer(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, SocketName)
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket %v, %v: want mode 0600", fi, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	env := Env{Directory: func(context.Context, string) (*directory.Directory, error) { return directory.Embedded() }}
	served := make(chan struct{})
	go func() {
		Serve(ctx, ln, env, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(served)
	}()

	var out, errb bytes.Buffer
	ok, err := Forward(ctx, path, []string{"directory", "export", "--table", "areas"}, nil, &out, &errb)
	if !ok || err != nil || !strings.Contains(out.String(), "BD-") {
		t.Fatalf("served %v, err %v, out %.200q, stderr %q", ok, err, out.String(), errb.String())
	}
	// A bad command line comes back with its exit code and usage, as it would from here.
	out.Reset()
	errb.Reset()
	ok, err = Forward(ctx, path, []string{"directory", "nonsense"}, nil, &out, &errb)
	if !ok || ExitCode(err) != 2 || !strings.Contains(errb.String(), "onestop directory") {
		t.Fatalf("served %v, err %v (exit %d), stderr %q", ok, err, ExitCode(err), errb.String())
	}
	ln.Close()
	<-served
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("socket left behind: %v", err)
	}
	// With nobody listening, Forward does nothing and says so.
	if served, err := Forward(context.Background(), path, []string{"calls"}, nil, &out, &errb); served || err != nil {
		t.Fatalf("no server: served %v, err %v", served, err)
	}
}
