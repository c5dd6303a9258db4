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

	"github.com/onestop-helpline/onestop/admin"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := Run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "onestop:", err)
		}
		os.Exit(admin.ExitCode(err))
	}
}

// Run runs the command named by args[0].
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usageText("onestop"))
		return flag.ErrHelp
	}
	cmd, rest := args[0], args[1:]
	if admin.Is(cmd) {
		return runAdmin(ctx, args, stdin, stdout, stderr)
	}
	switch cmd {
	case "serve":
		return runServe(ctx, rest, stderr)
	case "dial":
		return runDial(ctx, rest, stdin, stdout, stderr)
	case "restore":
		return runRestore(ctx, rest, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, stdout, stderr)
	case "voice":
		return runVoice(rest, stdout, stderr)
	case "load":
		return runLoad(ctx, rest, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usageText("onestop"))
		return nil
	}
	fmt.Fprint(stderr, usageText("onestop"))
	return &admin.ExitError{Code: 2, Err: fmt.Errorf("unknown command %q", cmd)}
}
