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

// Run runs the command named by args[0].
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText("onestop"))
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
		fmt.Fprint(stdout, usageText("onestop"))
		return nil
	}
	fmt.Fprint(stderr, usageText("onestop"))
	return &exitError{code: 2, err: fmt.Errorf("unknown command %q", cmd)}
}
