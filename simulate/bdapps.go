package simulate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// hSenid's TAP (Robi's bdapps, Banglalink's Applink) is asynchronous: the platform posts each
// hop to the gateway as JSON, the gateway acknowledges it and posts the screen back to the
// platform's ussd/send. To dial a gateway that way, dial plays both ends the platform would: it
// posts her hops, and it runs a stand-in for ussd/send on this machine, where the gateway must
// be pointed (ONESTOP_BDAPPS_BASE_URL=http://127.0.0.1:7000, the default Listen).

// DefaultTAPListen is where the stand-in for the platform's API listens unless told otherwise.
const DefaultTAPListen = "127.0.0.1:7000"

// DefaultTAPAppID is the application id dial sends unless told otherwise: the gateway must be
// configured with the same (ONESTOP_BDAPPS_APP_ID), or it refuses every hop.
const DefaultTAPAppID = "APP_000000"

// TAPConfig is what dialling over hSenid's TAP needs beyond DialConfig.
type TAPConfig struct {
	// AppID is the applicationId sent with each hop: the gateway's ONESTOP_BDAPPS_APP_ID.
	AppID string
	// Listen is the loopback address the stand-in for the platform's ussd/send listens on: the
	// host and port of the gateway's ONESTOP_BDAPPS_BASE_URL.
	Listen string
	// Listener, when set, is used instead of Listen.
	Listener net.Listener
	// Masked sends her number masked, as the platform does for some applications: "tel:" and an
	// opaque id.
	Masked bool
}

// tapAck is the platform's acknowledgement, and the stand-in's answer to each screen.
const tapAck = `{"statusCode":"S1000","statusDetail":"Success"}`

// mtScreen is a screen the gateway posted to the stand-in.
type mtScreen struct {
	ApplicationID      string `json:"applicationId"`
	Message            string `json:"message"`
	SessionID          string `json:"sessionId"`
	Operation          string `json:"ussdOperation"`
	DestinationAddress string `json:"destinationAddress"`
}

// DialTAP walks the USSD menus of the gateway at cfg.URL as a feature phone on the other end of
// bdapps or Applink would, as Dial does for Africa's Talking: each screen the gateway posts to
// the stand-in is shown, each non-empty line of stdin is her next key, until the gateway sends
// mt-fin, stdin ends or ctx is cancelled.
func DialTAP(ctx context.Context, cfg DialConfig, tap TAPConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	endpoint, err := providerEndpoint(cfg, "/ussd/bdapps")
	if err != nil {
		return err
	}
	if tap.AppID == "" {
		tap.AppID = DefaultTAPAppID
	}
	ln := tap.Listener
	if ln == nil {
		if tap.Listen == "" {
			tap.Listen = DefaultTAPListen
		}
		host, _, err := net.SplitHostPort(tap.Listen)
		if err != nil || !isLoopbackHost(host) {
			return fmt.Errorf("--platform %q: the stand-in for the platform listens only on this machine, e.g. %s", tap.Listen, DefaultTAPListen)
		}
		if ln, err = net.Listen("tcp", tap.Listen); err != nil {
			return fmt.Errorf("--platform %q: %w", tap.Listen, err)
		}
	}
	session, err := newDialSession()
	if err != nil {
		return err
	}
	address := "tel:" + strings.TrimPrefix(cfg.Number, "+")
	if tap.Masked {
		address = "tel:" + strings.TrimPrefix(session, "dial-") + "masked"
	}
	screens := make(chan mtScreen, 4)
	srv := &http.Server{Handler: tapStandIn(tap.AppID, session, screens, stderr), ReadHeaderTimeout: dialTimeout}
	go srv.Serve(ln)
	defer srv.Close()

	p := &phone{cfg: cfg, endpoint: endpoint, session: session, client: dialClient(cfg.Remote), out: stdout, errOut: stderr, echo: !isTerminal(stdin)}
	fmt.Fprintf(stdout, "Dialling %s from %s on %s over TAP (session %s); screens come back to http://%s\n", cfg.Code, cfg.Number, cfg.URL, session, ln.Addr())
	done := make(chan struct{})
	defer close(done)
	lines := readLines(stdin, done)
	op, message := "mo-init", cfg.Code
	for n := 1; ; n++ {
		mo := map[string]string{
			"version": "1.0", "applicationId": tap.AppID, "sessionId": session, "ussdOperation": op,
			"sourceAddress": address, "message": message, "requestId": session + "-" + strconv.Itoa(n),
			"encoding": "440", "vlrAddress": cfg.Network,
		}
		if err := p.postJSON(ctx, n, mo); err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(stdout, "(hung up)")
				return nil
			}
			return err
		}
		var mt mtScreen
		select {
		case mt = <-screens:
		case <-ctx.Done():
			fmt.Fprintln(stdout, "(hung up)")
			return nil
		case <-time.After(dialTimeout):
			fmt.Fprintf(stderr, "hop %d: the gateway acknowledged it but posted no screen to http://%s within %s.\n", n, ln.Addr(), dialTimeout)
			fmt.Fprintln(stderr, "Is its ONESTOP_BDAPPS_BASE_URL this address?")
			return fmt.Errorf("dial: hop %d: no screen", n)
		}
		p.show(mt.Message)
		if mt.Operation == "mt-fin" {
			fmt.Fprintln(stdout, "(session ended)")
			return nil
		}
		input, ok := p.prompt(ctx, lines)
		if !ok {
			fmt.Fprintln(stdout, "\n(hung up)")
			return nil
		}
		op, message = "mo-cont", input
	}
}

// tapStandIn answers the gateway's posts to ussd/send as the platform would, and hands the
// session's screens on.
func tapStandIn(appID, session string, screens chan<- mtScreen, stderr io.Writer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var mt mtScreen
		body, _ := io.ReadAll(io.LimitReader(r.Body, maxScreen))
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/ussd/send"):
			w.WriteHeader(http.StatusNotFound)
			io.WriteString(w, `{"statusCode":"E1301","statusDetail":"not ussd/send"}`)
			return
		case json.Unmarshal(body, &mt) != nil:
			fmt.Fprintf(stderr, "the gateway posted a screen that is not JSON: %q\n", truncate(string(body), 200))
			io.WriteString(w, `{"statusCode":"E1312","statusDetail":"malformed request"}`)
			return
		case mt.ApplicationID != appID || mt.SessionID != session:
			fmt.Fprintln(stderr, "the gateway posted a screen of another application or session; ignored")
			io.WriteString(w, `{"statusCode":"E1313","statusDetail":"unknown session"}`)
			return
		}
		io.WriteString(w, tapAck)
		select {
		case screens <- mt:
		default: // a screen sent again while one waits to be shown: the first is hers
		}
	})
}

// postJSON posts one hop and checks the gateway acknowledged it.
func (p *phone) postJSON(ctx context.Context, n int, v any) error {
	b, _ := json.Marshal(v)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	body, status, _, err := p.send(ctx, n, req)
	if err != nil {
		return err
	}
	if status != http.StatusOK || strings.TrimSpace(body) != tapAck {
		fmt.Fprintf(p.errOut, "hop %d: the gateway answered %d %q, not the acknowledgement\n", n, status, truncate(body, 200))
		if status == http.StatusForbidden {
			fmt.Fprintln(p.errOut, "A 403 means the application id differs from the gateway's ONESTOP_BDAPPS_APP_ID (--app-id).")
		}
		return fmt.Errorf("dial: hop %d: HTTP %d", n, status)
	}
	return nil
}

// send makes one request to the gateway, with its basic auth, and reads the answer; a gateway it
// cannot reach is described on stderr without the endpoint, whose token is a secret.
func (p *phone) send(ctx context.Context, n int, req *http.Request) (string, int, http.Header, error) {
	if p.cfg.User != "" {
		req.SetBasicAuth(p.cfg.User, p.cfg.Password)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", 0, nil, ctx.Err()
		}
		var cause error = err
		var uerr *url.Error
		if errors.As(err, &uerr) {
			cause = uerr.Err
		}
		fmt.Fprintf(p.errOut, "hop %d: could not reach the gateway at %s: %v\n", n, p.cfg.URL, cause)
		return "", 0, nil, fmt.Errorf("dial: hop %d: gateway unreachable", n)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxScreen))
	if err != nil {
		return "", 0, nil, fmt.Errorf("dial: hop %d: answer cut short", n)
	}
	return string(raw), resp.StatusCode, resp.Header, nil
}

// providerEndpoint is the URL cfg's hops go to on the webhook at path: the gateway's base URL,
// checked as Dial checks it, then path and the token.
func providerEndpoint(cfg DialConfig, path string) (string, error) {
	at, err := dialEndpoint(cfg.URL, "", cfg.Remote)
	if err != nil {
		return "", err
	}
	endpoint := strings.TrimSuffix(at, "/ussd/africastalking") + path
	if cfg.Token != "" {
		endpoint += "/" + url.PathEscape(cfg.Token)
	}
	return endpoint, nil
}
