// Command onestop runs the helpline gateway and the operator's tools around it.
//
//	onestop serve   run the gateway
//	onestop dial    walk the USSD menus from a terminal against a running gateway
//	onestop calls   list recorded contacts
//
// main only reads the command line, handles signals and sets the exit code; Main wires the rest.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "onestop:", err)
		}
		os.Exit(exitCode(err))
	}
}

// exitError carries an exit code other than 1.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	return 1
}

const usage = `onestop: a helpline gateway for survivors of violence against women.

Usage:
  onestop serve [--addr 127.0.0.1:8080] [--data ./onestop-data] [--simulate]
                                                         run the gateway (beyond loopback only
                                                         with ONESTOP_WEBHOOK_TOKEN or basic auth)
  onestop dial [--url http://127.0.0.1:8080] [--code '*109#'] +8801711000001
                                                         walk the USSD menus from a terminal
  onestop calls [--data DIR] [--json]                    recorded contacts, newest first
  onestop directory check|areas|nearest|export|import    the directory of areas and centres
  onestop worker add|list|remove                         registered community workers
  onestop officials import FILE                          officials alerted per district
  onestop duty set|list|clear|fallback                   the duty rota and the fallback list
  onestop outbox list|retry|drop                         outbound messages and calls
  onestop user add|list|disable                          console users
  onestop audit verify                                   check the audit log's hash chain
  onestop purge [--days 90]                              delete closed records past retention
  onestop load [--callers 50] [--duration 30s] [--baseline]
                                                         drive simulated callers at a loopback
                                                         serve --simulate

Run 'onestop COMMAND -h' for a command's flags. Configuration is also read from the
environment (see README.md).
`

// Run runs the command named by args[0].
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stderr)
	case "dial":
		return runDial(ctx, rest, stdin, stdout, stderr)
	case "calls":
		return runCalls(ctx, rest, stdout, stderr)
	case "directory":
		return runDirectory(ctx, rest, stdin, stdout, stderr)
	case "worker":
		return runWorker(ctx, rest, stdout, stderr)
	case "officials":
		return runOfficials(ctx, rest, stdout, stderr)
	case "duty":
		return runDuty(ctx, rest, stdout, stderr)
	case "outbox":
		return runOutbox(ctx, rest, stdout, stderr)
	case "user":
		return runUser(ctx, rest, stdin, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, stdout, stderr)
	case "load":
		return runLoad(ctx, rest, stdin, stdout, stderr)
	case "purge":
		return runPurge(ctx, rest, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}
