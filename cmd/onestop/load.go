package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/onestop-helpline/onestop/locales"
	"github.com/onestop-helpline/onestop/simulate"
)

// The load command: simulated callers walking the USSD menus of a gateway on this machine, each
// reply checked against the screen that caller must see next (package simulate).

// loadFlags is what load is told on its command line: the run, and how to print it.
type loadFlags struct {
	simulate.LoadConfig
	JSON bool
	// BaselineServe makes this process the baseline's own (see baselineCommand).
	BaselineServe bool
}

func parseLoad(args []string, stderr io.Writer) (loadFlags, error) {
	cfg := loadFlags{LoadConfig: simulate.LoadConfig{
		Page:     locales.DefaultLimit,
		User:     os.Getenv("ONESTOP_WEBHOOK_USER"),
		Password: os.Getenv("ONESTOP_WEBHOOK_PASSWORD"),
	}}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usageText("load")); fs.PrintDefaults() }
	fs.StringVar(&cfg.URL, "url", "http://127.0.0.1:8080", "the gateway's base URL; loopback only")
	fs.StringVar(&cfg.Token, "token", os.Getenv("ONESTOP_WEBHOOK_TOKEN"), "the webhook token, if the gateway has one")
	fs.IntVar(&cfg.Callers, "callers", 50, "simulated callers at once")
	fs.DurationVar(&cfg.Duration, "duration", 30*time.Second, "how long to run")
	fs.Int64Var(&cfg.Sessions, "sessions", 0, "stop after this many sessions (0: only --duration bounds the run)")
	fs.BoolVar(&cfg.JSON, "json", false, "print the figures as one JSON object")
	fs.BoolVar(&cfg.Baseline, "baseline", false, "also measure a bare Fiber handler with the same client, and print the ratio")
	fs.DurationVar(&cfg.Think, "think", 0, "each caller's pause between a screen and her next key, on average (0: none, the most load)")
	fs.BoolVar(&cfg.BaselineServe, "baseline-serve", false, "be the bare Fiber server --baseline starts: print its URL, serve until standard input ends")
	fs.BoolVar(&cfg.Light, "light", false, "the light client: walk the same paths, count and time each hop, check no screen (for the ratio nearer the gateway's own bound)")
	fs.IntVar(&cfg.PID, "pid", 0, "the server's process id, for its RSS (default: the process listening on --url's port)")
	page := fs.String("page", "182/80", "the gateway's USSD page size, GSM-7/UCS-2 (as its ONESTOP_USSD_PAGE)")
	if err := parseFlags(fs, args); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, fmt.Errorf("load takes no arguments, got %q", fs.Args())
	}
	if _, err := fmt.Sscanf(*page, "%d/%d", &cfg.Page.GSM7, &cfg.Page.UCS2); err != nil || cfg.Page.GSM7 < 60 || cfg.Page.UCS2 < 30 {
		return cfg, fmt.Errorf("--page %q is not GSM7/UCS2, e.g. 182/80", *page)
	}
	return cfg, cfg.Validate()
}

func runLoad(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, err := parseLoad(args, stderr)
	if err != nil {
		return err
	}
	if cfg.BaselineServe {
		return simulate.ServeBaseline(stdin, stdout)
	}
	cfg.BaselineCommand = baselineCommand
	res, err := simulate.Load(ctx, cfg.LoadConfig, stderr)
	if err != nil {
		return err
	}
	if cfg.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(res); err != nil {
			return err
		}
	} else {
		res.Print(stdout)
	}
	return res.Err()
}

// baselineCommand runs this binary again as load's baseline: bare Fiber in a process of its
// own, as the gateway is, so that neither shares the client's scheduler.
func baselineCommand(ctx context.Context) (*exec.Cmd, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	return exec.CommandContext(ctx, exe, "load", "--baseline-serve"), nil
}
