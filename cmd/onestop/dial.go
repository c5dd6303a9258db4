package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/onestop-helpline/onestop/admin"
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/gateway/comviva"
	"github.com/onestop-helpline/onestop/simulate"
)

func runDial(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	cfg, tap, err := parseDial(args, stderr)
	if err != nil {
		return err
	}
	switch {
	case cfg.Voice:
	case cfg.Provider == bdapps.Provider:
		return simulate.DialTAP(ctx, cfg, tap, stdin, stdout, stderr)
	case cfg.Provider == comviva.Provider:
		p, err := comviva.ParseParams(os.Getenv("ONESTOP_COMVIVA_PARAMS"))
		if err != nil {
			return fmt.Errorf("ONESTOP_COMVIVA_PARAMS: %w", err)
		}
		names := simulate.FreeflowNames{Session: p.Session, MSISDN: p.MSISDN, Input: p.Input, New: p.New, Code: p.Code}
		return simulate.DialFreeflow(ctx, cfg, names, stdin, stdout, stderr)
	}
	return simulate.Dial(ctx, cfg, stdin, stdout, stderr)
}

// parseDial reads dial's flags, the caller's number, then any flags typed after the number:
// people write "onestop dial +880… --url …" as often as the other way round.
func parseDial(args []string, stderr io.Writer) (simulate.DialConfig, simulate.TAPConfig, error) {
	tap := simulate.TAPConfig{AppID: env("ONESTOP_BDAPPS_APP_ID", simulate.DefaultTAPAppID), Listen: "127.0.0.1:7000"}
	cfg := simulate.DialConfig{
		URL:      env("ONESTOP_DIAL_URL", "http://127.0.0.1:8080"),
		Code:     "*109#",
		Network:  "99999",
		Token:    os.Getenv("ONESTOP_WEBHOOK_TOKEN"),
		User:     os.Getenv("ONESTOP_WEBHOOK_USER"),
		Password: os.Getenv("ONESTOP_WEBHOOK_PASSWORD"),
	}
	fs := flag.NewFlagSet("dial", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), usageText("dial"))
		fs.PrintDefaults()
	}
	fs.StringVar(&cfg.URL, "url", cfg.URL, "base URL of the running gateway (env ONESTOP_DIAL_URL)")
	fs.StringVar(&cfg.Code, "code", cfg.Code, "USSD service code dialled")
	fs.StringVar(&cfg.Network, "network", cfg.Network, "networkCode sent with each hop (99999 is Africa's Talking's sandbox)")
	fs.StringVar(&cfg.Token, "token", cfg.Token, "webhook token, when the gateway has one (env ONESTOP_WEBHOOK_TOKEN)")
	fs.BoolVar(&cfg.Remote, "remote", false, "allow a gateway that is not on this machine")
	fs.BoolVar(&cfg.Voice, "voice", false, "walk a voice call (Africa's Talking's voice format), printing what would be spoken")
	fs.StringVar(&cfg.Provider, "provider", "", "the platform dial plays: africastalking (the default), bdapps or comviva; with --voice, africastalking or exotel")
	fs.StringVar(&tap.AppID, "app-id", tap.AppID, "bdapps: the applicationId sent (env ONESTOP_BDAPPS_APP_ID)")
	fs.StringVar(&tap.Listen, "platform", tap.Listen, "bdapps: where dial stands in for the platform's ussd/send: the host:port of the gateway's ONESTOP_BDAPPS_BASE_URL")
	fs.BoolVar(&tap.Masked, "masked", false, "bdapps: send her number masked, as some applications receive it")

	if err := parseFlags(fs, args); err != nil {
		return cfg, tap, err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return cfg, tap, &admin.ExitError{Code: 2, Err: errors.New("dial needs the caller's number, e.g. onestop dial +8801711000001")}
	}
	cfg.Number = fs.Arg(0)
	if err := parseFlags(fs, fs.Args()[1:]); err != nil {
		return cfg, tap, err
	}
	if fs.NArg() > 0 {
		return cfg, tap, &admin.ExitError{Code: 2, Err: fmt.Errorf("dial takes one number, got %q as well (write the number without spaces)", fs.Args())}
	}
	// A number or a URL that cannot be dialled is a bad command line, as a bad flag is.
	if err := cfg.Validate(); err != nil {
		return cfg, tap, &admin.ExitError{Code: 2, Err: err}
	}
	return cfg, tap, nil
}

// parseFlags parses args as a usage error: the flag package has already said what was wrong.
func parseFlags(fs *flag.FlagSet, args []string) error {
	err := fs.Parse(args)
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		return &admin.ExitError{Code: 2, Err: err}
	}
	return err
}
