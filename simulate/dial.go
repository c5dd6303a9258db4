package simulate

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/onestop-helpline/onestop/locales"
)

// dialTimeout bounds one hop. Africa's Talking gives a gateway 10 s; a little more here tells a
// slow gateway apart from a dead one.
const dialTimeout = 15 * time.Second

// maxScreen bounds what is read of an answer: a USSD screen is under 200 characters, so anything
// near this is not a screen.
const maxScreen = 64 << 10

// DialConfig is one simulated call: which gateway, and who dials what.
type DialConfig struct {
	URL     string // the running gateway's base URL
	Code    string // the service code the caller dialled
	Network string // the aggregator's network code
	Token   string // the webhook token, the last path segment when the gateway is configured with one
	Remote  bool   // allow a gateway that is not on this machine
	Number  string // the caller's number, E.164
	// User and Password are the webhooks' basic auth, when the gateway wants it.
	User, Password string
	// Provider is the aggregator dial plays: "africastalking" (or empty), "bdapps" (DialTAP, with
	// its defaults) or "comviva" (DialFreeflow, with Banglalink's names).
	Provider string
	// Voice walks a voice call (Africa's Talking's voice format, DialVoice) rather than USSD.
	Voice bool
}

// Validate returns why cfg cannot be dialled: a number not in E.164 form, or a URL that is not
// a gateway's base URL, or off this machine without Remote. Dial would refuse it the same way.
func (cfg DialConfig) Validate() error {
	_, err := cfg.endpoint()
	return err
}

// endpoint returns the URL cfg's hops are posted to, once cfg is valid.
func (cfg DialConfig) endpoint() (string, error) {
	if !isE164(cfg.Number) {
		return "", fmt.Errorf("%q is not a number in E.164 form: a + and 8 to 15 digits, e.g. +8801711000001", cfg.Number)
	}
	return dialEndpoint(cfg.URL, cfg.Token, cfg.Remote)
}

// Dial walks the USSD menus of the gateway at cfg.URL as a feature phone on the other end of
// Africa's Talking would: it shows each screen on stdout and sends each non-empty line of stdin
// as her next key, until the gateway ends the session, stdin ends or ctx is cancelled (she hangs
// up: not an error). It returns an error from Validate, or when a hop fails; what went wrong is
// then described on stderr, never with the token.
func Dial(ctx context.Context, cfg DialConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	switch {
	case cfg.Voice && cfg.Provider == "exotel":
		return DialExotel(ctx, cfg, stdin, stdout, stderr)
	case cfg.Voice:
		return DialVoice(ctx, cfg, stdin, stdout, stderr)
	case cfg.Provider == "" || cfg.Provider == "africastalking":
	case cfg.Provider == "bdapps":
		return DialTAP(ctx, cfg, TAPConfig{}, stdin, stdout, stderr)
	case cfg.Provider == "comviva":
		return DialFreeflow(ctx, cfg, FreeflowNames{}, stdin, stdout, stderr)
	default:
		return fmt.Errorf("--provider %q: dial plays africastalking, bdapps or comviva", cfg.Provider)
	}
	endpoint, err := cfg.endpoint()
	if err != nil {
		return err
	}
	session, err := newDialSession()
	if err != nil {
		return err
	}
	p := &phone{
		cfg:      cfg,
		endpoint: endpoint,
		session:  session,
		client:   dialClient(cfg.Remote),
		out:      stdout,
		errOut:   stderr,
		// Echo what is typed when it comes from a pipe, so a scripted run reads as a transcript;
		// a terminal echoes by itself.
		echo: !isTerminal(stdin),
	}
	return p.call(ctx, stdin)
}

// isE164 reports whether s is a + followed by 8 to 15 ASCII digits.
func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	if !ok || len(digits) < 8 || len(digits) > 15 {
		return false
	}
	for _, r := range digits {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// dialEndpoint returns the URL hops to the gateway at base are posted to, with token as its
// last segment when there is one. It refuses a gateway off this machine unless remote: dial is a
// simulator, and a mistyped URL must not send made-up callers into someone's production
// helpline. Its errors name the URL as --url, the flag it comes from.
func dialEndpoint(base, token string, remote bool) (string, error) {
	raw := base
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("--url %q: %w", base, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("--url %q: only http and https are spoken", base)
	}
	if u.Hostname() == "" {
		return "", fmt.Errorf("--url %q has no host", base)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("--url %q: give the gateway's base URL only, e.g. http://127.0.0.1:8080", base)
	}
	if !remote && !isLoopbackHost(u.Hostname()) {
		return "", fmt.Errorf("--url %q is not on this machine; dial only talks to a local gateway unless --remote is given", base)
	}
	// The token is escaped here rather than joined as a path, so a token holding / or % still
	// reaches the gateway as the one segment it compares.
	endpoint := strings.TrimRight(u.String(), "/") + "/ussd/africastalking"
	if token != "" {
		endpoint += "/" + url.PathEscape(token)
	}
	return endpoint, nil
}

// isLoopbackHost reports whether host names this machine: localhost, 127.0.0.0/8 or ::1.
func isLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// loopbackDialer returns a dialer whose every connection must land on a loopback address,
// whatever a name resolved to.
func loopbackDialer() *net.Dialer {
	return &net.Dialer{Timeout: dialTimeout, Control: func(_, address string, _ syscall.RawConn) error {
		host, _, err := net.SplitHostPort(address)
		if err != nil {
			return err
		}
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			return fmt.Errorf("refusing to connect to %s: not this machine (use --remote)", address)
		}
		return nil
	}}
}

// dialClient returns the client hops go through. Without --remote, every connection it opens
// must land on a loopback address, whatever a name resolved to, and a redirect is shown rather
// than followed: both would otherwise carry hops off this machine.
func dialClient(remote bool) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if !remote {
		tr.Proxy = nil
		tr.DialContext = loopbackDialer().DialContext
	}
	return &http.Client{
		Timeout:   dialTimeout,
		Transport: tr,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// newDialSession returns a fresh session id, marked as dial's so it is told apart from an
// aggregator's in the gateway's logs.
func newDialSession() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "dial-" + hex.EncodeToString(b[:]), nil
}

func isTerminal(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// phone is one simulated call: the session's history and where its screens are shown.
type phone struct {
	cfg      DialConfig
	endpoint string
	session  string
	client   *http.Client
	out      io.Writer
	errOut   io.Writer
	echo     bool
	inputs   []string
}

// call runs the session until the gateway ends it, the caller hangs up or a hop fails.
func (p *phone) call(ctx context.Context, stdin io.Reader) error {
	// The base URL, never the endpoint: the token is a secret and terminals get recorded.
	fmt.Fprintf(p.out, "Dialling %s from %s on %s (session %s)\n", p.cfg.Code, p.cfg.Number, p.cfg.URL, p.session)
	done := make(chan struct{})
	defer close(done)
	lines := readLines(stdin, done)
	for {
		body, err := p.hop(ctx)
		if err != nil {
			if ctx.Err() != nil {
				fmt.Fprintln(p.out, "(hung up)")
				return nil
			}
			return err
		}
		kind, screen := body[:3], body[4:]
		p.show(screen)
		if kind == "END" {
			fmt.Fprintln(p.out, "(session ended)")
			return nil
		}
		input, ok := p.prompt(ctx, lines)
		if !ok {
			fmt.Fprintln(p.out, "\n(hung up)")
			return nil
		}
		p.inputs = append(p.inputs, input)
	}
}

// prompt waits for a non-empty line. It reports false when the caller hangs up: the input ends
// or the context is cancelled.
func (p *phone) prompt(ctx context.Context, lines <-chan string) (string, bool) {
	for {
		fmt.Fprint(p.out, "> ")
		select {
		case <-ctx.Done():
			return "", false
		case line, ok := <-lines:
			if !ok {
				return "", false
			}
			if p.echo {
				fmt.Fprintln(p.out, line)
			}
			if line = strings.TrimSpace(line); line != "" {
				return line, true
			}
		}
	}
}

// readLines delivers stdin's lines, so waiting for one can be abandoned when the context ends
// (a read from a terminal cannot be interrupted). The channel closes at the end of input; the
// reader stops once done is closed.
func readLines(r io.Reader, done <-chan struct{}) <-chan string {
	ch := make(chan string)
	go func() {
		defer close(ch)
		br := bufio.NewReader(r)
		for {
			line, err := br.ReadString('\n')
			if line != "" || err == nil {
				select {
				case ch <- strings.TrimRight(line, "\r\n"):
				case <-done:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	return ch
}

// hop posts the session so far and returns the gateway's answer, checked to be a screen.
func (p *phone) hop(ctx context.Context) (string, error) {
	form := url.Values{
		"sessionId":   {p.session},
		"serviceCode": {p.cfg.Code},
		"phoneNumber": {p.cfg.Number},
		"networkCode": {p.cfg.Network},
		"text":        {strings.Join(p.inputs, "*")},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if p.cfg.User != "" {
		req.SetBasicAuth(p.cfg.User, p.cfg.Password)
	}
	n := len(p.inputs) + 1
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		// The error names the endpoint, token included; say where without it.
		var cause error = err
		var uerr *url.Error
		if errors.As(err, &uerr) {
			cause = uerr.Err
		}
		fmt.Fprintf(p.errOut, "hop %d: could not reach the gateway at %s: %v\n", n, p.cfg.URL, cause)
		if errors.Is(err, syscall.ECONNREFUSED) {
			fmt.Fprintln(p.errOut, "Is 'onestop serve' running there?")
		}
		return "", fmt.Errorf("dial: hop %d: gateway unreachable", n)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxScreen))
	if err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		fmt.Fprintf(p.errOut, "hop %d: reading the answer: %v\n", n, err)
		return "", fmt.Errorf("dial: hop %d: answer cut short", n)
	}
	body := string(raw)
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(p.errOut, "hop %d: the gateway answered %s: %q\n", n, resp.Status, truncate(body, 200))
		switch resp.StatusCode {
		case http.StatusNotFound:
			fmt.Fprintln(p.errOut, "A 404 usually means the webhook token is wrong or missing (--token or ONESTOP_WEBHOOK_TOKEN).")
		case http.StatusUnauthorized:
			fmt.Fprintln(p.errOut, "The gateway wants basic auth: set ONESTOP_WEBHOOK_USER and ONESTOP_WEBHOOK_PASSWORD.")
		}
		// Africa's Talking ends the caller's session on any answer but a 200.
		return "", fmt.Errorf("dial: hop %d: HTTP %d", n, resp.StatusCode)
	}
	if !strings.HasPrefix(body, "CON ") && !strings.HasPrefix(body, "END ") {
		fmt.Fprintf(p.errOut, "hop %d: the answer does not start with \"CON \" or \"END \", so Africa's Talking would end the session: %q\n", n, truncate(body, 200))
		return "", fmt.Errorf("dial: hop %d: malformed answer", n)
	}
	return body, nil
}

// show draws a screen as a phone would, between rules, with its length: a page holds 182 GSM-7
// or 80 UCS-2 characters. There is no right-hand border because the width of Bengali, Hindi or
// Arabic text on a terminal cannot be known from the string.
func (p *phone) show(screen string) {
	screen = strings.TrimRight(strings.ReplaceAll(screen, "\r\n", "\n"), "\n")
	const rule = "────────────────────────────────"
	var b strings.Builder
	b.WriteString("┌" + rule + "\n")
	for _, line := range strings.Split(screen, "\n") {
		b.WriteString("│ " + printable(line) + "\n")
	}
	// The size that counts against a USSD page, in the units its encoding is counted in.
	n, gsm7 := locales.Length(screen)
	if gsm7 {
		fmt.Fprintf(&b, "└%s %d/%d GSM-7\n", rule, n, locales.DefaultLimit.GSM7)
	} else {
		fmt.Fprintf(&b, "└%s %d/%d UCS-2\n", rule, n, locales.DefaultLimit.UCS2)
	}
	fmt.Fprint(p.out, b.String())
}

// printable replaces control characters, so a gateway's answer cannot move the cursor or
// rewrite the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' {
			return ' '
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return '\uFFFD'
		}
		return r
	}, s)
}

// truncate cuts s to at most n bytes without splitting a character.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
