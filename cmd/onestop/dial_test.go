package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/simulate"
)

// TestDialCommandLine: what onestop dial's flags and environment make of a call, and the exit
// code of a command line that cannot be dialled. What the phone then does is simulate's to test.
func TestDialCommandLine(t *testing.T) {
	const number = "+8801711000001"
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want simulate.DialConfig // when wantExit is 0

		wantExit int
		errMsg   string // in the returned error, when not ""
	}{
		{
			name: "defaults",
			args: []string{number},
			want: simulate.DialConfig{URL: "http://127.0.0.1:8080", Code: "*109#", Network: "99999", Number: number},
		},
		{
			name: "flags before the number",
			args: []string{"--url", "http://127.0.0.1:9", "--code", "*181#", "--network", "40410", "--token", "s3cr/t%", "--remote", number},
			want: simulate.DialConfig{URL: "http://127.0.0.1:9", Code: "*181#", Network: "40410", Token: "s3cr/t%", Remote: true, Number: number},
		},
		{
			name: "flags after the number",
			args: []string{number, "--url", "http://127.0.0.1:9", "--code", "*384*1234#", "--network", "63902"},
			want: simulate.DialConfig{URL: "http://127.0.0.1:9", Code: "*384*1234#", Network: "63902", Number: number},
		},
		{
			name: "token, url and basic auth from the environment",
			args: []string{number},
			env: map[string]string{"ONESTOP_WEBHOOK_TOKEN": "tok123", "ONESTOP_DIAL_URL": "http://localhost:9",
				"ONESTOP_WEBHOOK_USER": "at", "ONESTOP_WEBHOOK_PASSWORD": "pw"},
			want: simulate.DialConfig{URL: "http://localhost:9", Code: "*109#", Network: "99999", Token: "tok123", Number: number, User: "at", Password: "pw"},
		},
		{
			name: "a flag over the environment",
			args: []string{"--token", "flag", number},
			env:  map[string]string{"ONESTOP_WEBHOOK_TOKEN": "env"},
			want: simulate.DialConfig{URL: "http://127.0.0.1:8080", Code: "*109#", Network: "99999", Token: "flag", Number: number},
		},
		{name: "a gateway off this machine", args: []string{"--url", "http://onestop.example.org", number}, wantExit: 2, errMsg: "not on this machine"},
		{name: "number without +", args: []string{"8801711000001"}, wantExit: 2, errMsg: "E.164"},
		{name: "number too short", args: []string{"+880171"}, wantExit: 2},
		{name: "number too long", args: []string{"+8801711000001234"}, wantExit: 2},
		{name: "number with letters", args: []string{"+88017110000O1"}, wantExit: 2},
		{name: "number in two pieces", args: []string{"+880", "1711000001"}, wantExit: 2},
		{name: "no number", args: []string{"--url", "http://127.0.0.1:9"}, wantExit: 2, errMsg: "needs the caller's number"},
		{name: "unknown flag", args: []string{"--nope", number}, wantExit: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearDialEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			if tt.wantExit == 0 {
				got, _, err := parseDial(tt.args, io.Discard)
				if err != nil || got != tt.want {
					t.Fatalf("parseDial(%q) = %+v, %v; want %+v", tt.args, got, err, tt.want)
				}
				return
			}
			err := Run(context.Background(), append([]string{"dial"}, tt.args...), strings.NewReader(""), io.Discard, io.Discard)
			if got := admin.ExitCode(err); err == nil || got != tt.wantExit {
				t.Errorf("exit code %d, want %d (%v)", got, tt.wantExit, err)
			}
			if err != nil && !strings.Contains(err.Error(), tt.errMsg) {
				t.Errorf("error %q lacks %q", err, tt.errMsg)
			}
		})
	}
}

// TestDialThroughTheCommand runs onestop dial as typed at a stand-in gateway: the environment's
// token and basic auth reach it, what is typed is echoed, and a failed hop exits 1.
func TestDialThroughTheCommand(t *testing.T) {
	clearDialEnv(t)
	t.Setenv("ONESTOP_WEBHOOK_TOKEN", "tok123")
	t.Setenv("ONESTOP_WEBHOOK_USER", "at")
	t.Setenv("ONESTOP_WEBHOOK_PASSWORD", "pw-of-sixteen-chars")
	var mu sync.Mutex // the handler runs on the server's goroutines
	var hops []string
	fail := false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if user, pw, ok := r.BasicAuth(); !ok || user != "at" || pw != "pw-of-sixteen-chars" {
			t.Errorf("basic auth %q %q %v", user, pw, ok)
		}
		if r.URL.Path != "/ussd/africastalking/tok123" {
			t.Errorf("path %q", r.URL.Path)
		}
		mu.Lock()
		defer mu.Unlock()
		r.ParseForm()
		if r.PostForm.Get("serviceCode") != "*181#" || r.PostForm.Get("phoneNumber") != "+919876543210" {
			t.Errorf("form %v", r.PostForm)
		}
		hops = append(hops, r.PostForm.Get("text"))
		switch {
		case fail:
			http.Error(w, "store not writable", http.StatusInternalServerError)
		case len(hops) == 1:
			io.WriteString(w, "CON Menu")
		default:
			io.WriteString(w, "END Bye")
		}
	}))
	defer srv.Close()
	args := []string{"dial", "--url", srv.URL, "--code", "*181#", "+919876543210"}
	var out strings.Builder
	if err := Run(context.Background(), args, strings.NewReader("3\n"), &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "> 3\n┌") || !strings.HasSuffix(out.String(), "(session ended)\n") {
		t.Errorf("output:\n%s", out.String())
	}
	mu.Lock()
	if strings.Join(hops, ",") != ",3" {
		t.Errorf("hops %q", hops)
	}
	fail = true
	mu.Unlock()
	var errOut strings.Builder
	err := Run(context.Background(), args, strings.NewReader(""), io.Discard, &errOut)
	if admin.ExitCode(err) != 1 || !strings.Contains(errOut.String(), "500 Internal Server Error") || strings.Contains(errOut.String(), "tok123") {
		t.Errorf("a failed hop: %v (exit %d)\n%s", err, admin.ExitCode(err), errOut.String())
	}
}

func clearDialEnv(t *testing.T) {
	for _, k := range []string{"ONESTOP_DIAL_URL", "ONESTOP_WEBHOOK_TOKEN", "ONESTOP_WEBHOOK_USER", "ONESTOP_WEBHOOK_PASSWORD"} {
		t.Setenv(k, "")
	}
}
