package simulate

import (
	"bufio"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DialVoice walks a voice call to the gateway at cfg.URL as Africa's Talking would carry it: it
// posts the call's events to /voice/africastalking, prints what would be spoken ("say: …", or the
// recording's URL as "play: …"), and at each GetDigits sends the next line of stdin as her keys
// (an empty line is silence: the call moves on as AT's does). It ends when the gateway's answer
// asks for nothing more, when stdin ends or ctx is cancelled. Like Dial, it speaks to this
// machine only, unless cfg.Remote.
func DialVoice(ctx context.Context, cfg DialConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	endpoint, err := cfg.endpoint()
	if err != nil {
		return err
	}
	endpoint = strings.Replace(endpoint, "/ussd/africastalking", "/voice/africastalking", 1)
	session, err := newDialSession()
	if err != nil {
		return err
	}
	v := &voiceCall{cfg: cfg, endpoint: endpoint, session: session, client: dialClient(cfg.Remote),
		out: stdout, in: bufio.NewScanner(stdin), echo: !isTerminal(stdin)}
	defer v.hangUp(context.WithoutCancel(ctx))
	query, digits := "", ""
	for {
		actions, err := v.post(ctx, query, digits)
		if err != nil {
			fmt.Fprintln(stderr, "dial --voice:", err)
			return err
		}
		next, ok := v.play(actions)
		if !ok {
			return nil // the call ends with the actions
		}
		query, digits = next.query, next.digits
	}
}

type voiceCall struct {
	cfg      DialConfig
	endpoint string
	session  string
	client   *http.Client
	out      io.Writer
	in       *bufio.Scanner
	echo     bool
}

// action is one element of AT's voice XML.
type action struct {
	XMLName     xml.Name
	Text        string   `xml:",chardata"`
	URL         string   `xml:"url,attr"`
	CallbackURL string   `xml:"callbackUrl,attr"`
	Phones      string   `xml:"phoneNumbers,attr"`
	Children    []action `xml:",any"`
}

type nextHop struct{ query, digits string }

func (v *voiceCall) post(ctx context.Context, query, digits string) ([]action, error) {
	form := url.Values{"isActive": {"1"}, "sessionId": {v.session}, "direction": {"Inbound"},
		"callerNumber": {v.cfg.Number}, "destinationNumber": {v.cfg.Code}}
	if digits != "" {
		form.Set("dtmfDigits", digits)
	}
	body, err := v.send(ctx, query, form)
	if err != nil {
		return nil, err
	}
	var resp struct {
		Actions []action `xml:",any"`
	}
	if err := xml.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("the gateway's answer is not voice XML: %w", err)
	}
	return resp.Actions, nil
}

func (v *voiceCall) send(ctx context.Context, query string, form url.Values) ([]byte, error) {
	u := v.endpoint
	if query != "" {
		u += "?" + query
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if v.cfg.User != "" {
		req.SetBasicAuth(v.cfg.User, v.cfg.Password)
	}
	resp, err := v.client.Do(req)
	if err != nil {
		return nil, errors.New("the gateway did not answer") // never the URL: it may hold the token
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("the gateway answered %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
	}
	return b, nil
}

// play prints the actions in order and returns the next hop, when a GetDigits got keys.
func (v *voiceCall) play(actions []action) (nextHop, bool) {
	for _, a := range actions {
		switch a.XMLName.Local {
		case "Say":
			fmt.Fprintln(v.out, "say:", strings.TrimSpace(a.Text))
		case "Play":
			fmt.Fprintln(v.out, "play:", a.URL)
		case "Dial":
			fmt.Fprintf(v.out, "(putting her through to %d counsellor(s); the simulated call is not answered)\n", len(strings.Split(a.Phones, ",")))
		case "GetDigits":
			v.say(a.Children)
			fmt.Fprint(v.out, "keys> ")
			if !v.in.Scan() {
				fmt.Fprintln(v.out)
				return nextHop{}, false // she hangs up
			}
			keys := strings.TrimSpace(v.in.Text())
			if v.echo {
				fmt.Fprintln(v.out, keys)
			}
			if keys == "" {
				continue // silence: on to the next action
			}
			q := ""
			if u, err := url.Parse(a.CallbackURL); err == nil {
				q = u.RawQuery
			}
			return nextHop{query: q, digits: keys}, true
		}
	}
	fmt.Fprintln(v.out, "(the call ends)")
	return nextHop{}, false
}

// say prints what a GetDigits says while it waits.
func (v *voiceCall) say(actions []action) {
	for _, a := range actions {
		switch a.XMLName.Local {
		case "Say":
			fmt.Fprintln(v.out, "say:", strings.TrimSpace(a.Text))
		case "Play":
			fmt.Fprintln(v.out, "play:", a.URL)
		}
	}
}

// hangUp sends the call's last event, as AT does when it is over.
func (v *voiceCall) hangUp(ctx context.Context) {
	form := url.Values{"isActive": {"0"}, "sessionId": {v.session}, "callerNumber": {v.cfg.Number},
		"destinationNumber": {v.cfg.Code}, "callSessionState": {"Completed"}}
	v.send(ctx, "", form) //nolint:errcheck // the call is over either way
}
