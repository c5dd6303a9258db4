package simulate

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// freeflowRetry is a little more than how soon the gateway takes the same input in a session
// for a retry (comviva.RetryWithin): a key typed again sooner, as a script types, waits for it.
const freeflowRetry = 2*time.Second + 200*time.Millisecond

// FreeflowNames are the parameter names a Comviva gateway's pull carries, which differ per
// operator; the gateway's ONESTOP_COMVIVA_PARAMS says which it expects. The zero value is
// Banglalink's.
type FreeflowNames struct {
	Session, MSISDN, Input, New, Code string
}

// banglalink are Banglalink's names, the gateway's default.
var banglalink = FreeflowNames{Session: "transId", MSISDN: "mobileNo", Input: "userData", New: "NEW_REQUEST", Code: "short_code"}

// DialFreeflow walks the USSD menus of the gateway at cfg.URL as a Comviva gateway's pull would
// for a feature phone, as Dial does for Africa's Talking: a GET per hop with her one input, the
// screen in the body and the session's fate in the Freeflow header (FC goes on, FB ends).
func DialFreeflow(ctx context.Context, cfg DialConfig, names FreeflowNames, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	endpoint, err := providerEndpoint(cfg, "/ussd/comviva")
	if err != nil {
		return err
	}
	if names == (FreeflowNames{}) {
		names = banglalink
	}
	session, err := newDialSession()
	if err != nil {
		return err
	}
	p := &phone{cfg: cfg, endpoint: endpoint, session: session, client: dialClient(cfg.Remote), out: stdout, errOut: stderr, echo: !isTerminal(stdin)}
	fmt.Fprintf(stdout, "Dialling %s from %s on %s over a Freeflow pull (session %s)\n", cfg.Code, cfg.Number, cfg.URL, session)
	done := make(chan struct{})
	defer close(done)
	lines := readLines(stdin, done)
	q := url.Values{names.Session: {session}, names.MSISDN: {strings.TrimPrefix(cfg.Number, "+")},
		names.Input: {cfg.Code}, names.New: {"1"}, names.Code: {cfg.Code}}
	var last time.Time
	for n := 1; ; n++ {
		last = time.Now()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+"?"+q.Encode(), nil)
		if err != nil {
			return err
		}
		body, status, header, err := p.send(ctx, n, req)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(stdout, "(hung up)")
				return nil
			}
			return err
		}
		flow := header.Get("Freeflow")
		if status != http.StatusOK || (flow != "FC" && flow != "FB") {
			fmt.Fprintf(stderr, "hop %d: the gateway answered %d with Freeflow %q: %q\n", n, status, flow, truncate(body, 200))
			if status == http.StatusNotFound {
				fmt.Fprintln(stderr, "A 404 usually means the webhook token is wrong or missing (--token or ONESTOP_WEBHOOK_TOKEN).")
			}
			return fmt.Errorf("dial: hop %d: HTTP %d", n, status)
		}
		p.show(body)
		if flow == "FB" {
			fmt.Fprintln(stdout, "(session ended)")
			return nil
		}
		input, ok := p.prompt(ctx, lines)
		if !ok {
			fmt.Fprintln(stdout, "\n(hung up)")
			return nil
		}
		if input == q.Get(names.Input) {
			select {
			case <-time.After(time.Until(last.Add(freeflowRetry))):
			case <-ctx.Done():
				fmt.Fprintln(stdout, "(hung up)")
				return nil
			}
		}
		q.Set(names.New, "0")
		q.Set(names.Input, input)
		q.Del(names.Code)
	}
}
