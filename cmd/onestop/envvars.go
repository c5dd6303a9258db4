package main

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop/flows"
	"github.com/onestop-helpline/onestop/gateway/africastalking"
	"github.com/onestop-helpline/onestop/gateway/bdapps"
	"github.com/onestop-helpline/onestop/gateway/comviva"
	"github.com/onestop-helpline/onestop/gateway/twilio"
	"github.com/onestop-helpline/onestop/locales"
)

// The ONESTOP_ variables are listed once, in usage/env.txt: serve --help prints that text as it
// is, and serve refuses to start with a variable it does not list or a value that does not parse
// as the {kind} at the end of its line says. A misspelt name would otherwise be a setting
// silently not made.

// envKinds maps each variable to its kind ("" for any value), read from usage/env.txt.
func envKinds() map[string]string {
	kinds := map[string]string{}
	for _, line := range strings.Split(usageText("env"), "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || !strings.HasPrefix(f[0], "ONESTOP_") {
			continue
		}
		kind := ""
		if i := strings.LastIndex(line, "{"); i >= 0 && strings.HasSuffix(line, "}") {
			kind = line[i+1 : len(line)-1]
		}
		kinds[f[0]] = kind
	}
	return kinds
}

// checkEnv checks every ONESTOP_ variable in environ (os.Environ's form) and returns every
// problem, each naming its variable.
func checkEnv(environ []string) error {
	kinds := envKinds()
	var errs []error
	for _, kv := range environ {
		name, value, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "ONESTOP_") {
			continue
		}
		kind, ok := kinds[name]
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s is not a setting of onestop (serve --help lists them)", name))
		case value != "":
			if err := checkValue(kind, value); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", name, err))
			}
		}
	}
	return errors.Join(errs...)
}

// checkValue checks v against kind, as usage/env.txt writes it.
func checkValue(kind, v string) error {
	word, arg, _ := strings.Cut(kind, " ")
	switch word {
	case "":
		return nil
	case "bool":
		if _, err := strconv.ParseBool(v); err != nil {
			return fmt.Errorf("%q: want true or false", v)
		}
	case "one":
		options := strings.Fields(strings.TrimPrefix(arg, "of "))
		if !slices.Contains(options, v) && !slices.Contains(options, strings.ToUpper(v)) {
			return fmt.Errorf("%q: want one of %s", v, strings.Join(options, ", "))
		}
	case "days":
		max := 0
		if _, hi, ok := strings.Cut(arg, "-"); ok {
			max, _ = strconv.Atoi(hi)
		}
		_, err := parseDays(v, max)
		return err
	case "duration":
		lo, hi, _ := strings.Cut(arg, "-")
		min, _ := time.ParseDuration(lo)
		max, _ := time.ParseDuration(hi)
		if d, err := time.ParseDuration(v); err != nil || d < min || d > max {
			return fmt.Errorf("%q: want a duration from %v to %v, such as 10m", v, min, max)
		}
	case "url":
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q: want an http or https URL", v)
		}
	case "postgres":
		if u, err := url.Parse(v); err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return errors.New("want a postgres:// URL")
		}
	case "key":
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err != nil || len(b) != 32 {
			return errors.New("want 32 bytes in base64")
		}
	case "log":
		var l slog.Level
		return l.UnmarshalText([]byte(v))
	case "service":
		_, err := flows.ParseServiceCodes(v)
		return err
	case "comviva":
		_, err := comviva.ParseParams(v)
		return err
	case "pages":
		return checkPages(v)
	default:
		return fmt.Errorf("usage/env.txt gives an unknown kind {%s}", kind)
	}
	return nil
}

// providers are the names a per-provider setting may give.
var providers = []string{africastalking.Provider, bdapps.Provider, comviva.Provider, twilio.Provider}

func checkPages(v string) error {
	limits, err := locales.ParseLimits(v)
	if err != nil {
		return err
	}
	for name := range limits {
		if !slices.Contains(providers, name) {
			return fmt.Errorf("%q is not a provider: want one of %s", name, strings.Join(providers, ", "))
		}
	}
	return nil
}
