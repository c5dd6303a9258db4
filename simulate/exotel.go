package simulate

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// DialExotel walks a voice call to the gateway at cfg.URL as Exotel's App Bazaar flow would
// carry it (the flow gateway/exotel documents): the Gather's question is printed ("say: …", or
// "play: …" for a recording), the next line of stdin is sent to the Passthru as her keys, quoted
// as Exotel quotes them (an empty line is silence), and the statuses pick the applets that
// follow, as Exotel's branches do. It ends when the flow reaches its Hangup, when stdin ends or
// ctx is cancelled. Like Dial, it speaks to this machine only, unless cfg.Remote.
func DialExotel(ctx context.Context, cfg DialConfig, stdin io.Reader, stdout, stderr io.Writer) error {
	endpoint, err := cfg.endpoint()
	if err != nil {
		return err
	}
	session, err := newDialSession()
	if err != nil {
		return err
	}
	x := &exotelCall{cfg: cfg, endpoint: endpoint, session: session, client: dialClient(cfg.Remote),
		out: stdout, in: bufio.NewScanner(stdin), echo: !isTerminal(stdin)}
	if err := x.walk(ctx); err != nil {
		fmt.Fprintln(stderr, "dial --voice --provider exotel:", err)
		return err
	}
	return nil
}

type exotelCall struct {
	cfg      DialConfig
	endpoint string // the USSD endpoint, whose path is swapped for each applet's
	session  string
	client   *http.Client
	out      io.Writer
	in       *bufio.Scanner
	echo     bool
}

func (x *exotelCall) walk(ctx context.Context) error {
	for {
		_, body, err := x.get(ctx, "gather", "")
		if err != nil {
			return err
		}
		var g struct {
			Prompt struct {
				Text     string `json:"text"`
				AudioURL string `json:"audio_url"`
			} `json:"gather_prompt"`
		}
		if err := json.Unmarshal(body, &g); err != nil {
			return fmt.Errorf("the gateway's answer to the Gather is not its JSON: %w", err)
		}
		x.say(g.Prompt.Text, g.Prompt.AudioURL)
		fmt.Fprint(x.out, "keys> ")
		if !x.in.Scan() {
			fmt.Fprintln(x.out)
			return nil // she hangs up
		}
		keys := strings.TrimSpace(x.in.Text())
		if x.echo {
			fmt.Fprintln(x.out, keys)
		}
		status, _, err := x.get(ctx, "passthru", `"`+keys+`"`)
		if err != nil {
			return err
		}
		if status == http.StatusOK {
			continue // the next question
		}
		if status, _, err = x.get(ctx, "route", ""); err != nil {
			return err
		}
		if status != http.StatusOK {
			return x.greet(ctx, "say")
		}
		if err := x.greet(ctx, "connecting"); err != nil {
			return err
		}
		_, body, err = x.get(ctx, "connect", "")
		if err != nil {
			return err
		}
		var c struct {
			Destination struct {
				Numbers []string `json:"numbers"`
			} `json:"destination"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			return fmt.Errorf("the gateway's answer to the Connect is not its JSON: %w", err)
		}
		fmt.Fprintf(x.out, "(putting her through to %d counsellor(s); the simulated call is not answered)\n", len(c.Destination.Numbers))
		if status, _, err = x.get(ctx, "dialed", ""); err != nil {
			return err
		}
		if status == http.StatusOK {
			fmt.Fprintln(x.out, "(the call ends)")
			return nil
		}
		return x.greet(ctx, "unanswered")
	}
}

// greet prints a Greeting's text, and the flow's Hangup after it unless the Connect follows.
func (x *exotelCall) greet(ctx context.Context, applet string) error {
	_, body, err := x.get(ctx, applet, "")
	if err != nil {
		return err
	}
	text := strings.TrimSpace(string(body))
	if strings.HasPrefix(text, "http://") || strings.HasPrefix(text, "https://") {
		x.say("", text)
	} else {
		x.say(text, "")
	}
	if applet != "connecting" {
		fmt.Fprintln(x.out, "(the call ends)")
	}
	return nil
}

func (x *exotelCall) say(text, audio string) {
	if audio != "" {
		fmt.Fprintln(x.out, "play:", audio)
		return
	}
	fmt.Fprintln(x.out, "say:", text)
}

// get sends the applet's GET, with the call's parameters as Exotel sends them, and returns the
// status (200 or 302 for a Passthru, 200 otherwise) and the body.
func (x *exotelCall) get(ctx context.Context, applet, digits string) (int, []byte, error) {
	u := strings.Replace(x.endpoint, "/ussd/africastalking", "/voice/exotel/"+applet, 1)
	q := url.Values{"CallSid": {x.session}, "CallFrom": {x.cfg.Number}, "From": {x.cfg.Number},
		"CallTo": {x.cfg.Code}, "To": {x.cfg.Code}, "Direction": {"incoming"}, "CallType": {"call-attempt"}}
	switch applet {
	case "passthru":
		q.Set("digits", digits)
	case "dialed":
		q.Set("CallType", "incomplete") // nobody picks up a simulated call
		q.Set("DialCallDuration", "0")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+"?"+q.Encode(), nil)
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Exotel-Version", "1.0")
	if x.cfg.User != "" {
		req.SetBasicAuth(x.cfg.User, x.cfg.Password)
	}
	resp, err := x.client.Do(req)
	if err != nil {
		return 0, nil, errors.New("the gateway did not answer") // never the URL: it may hold the token
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode == http.StatusOK || (applet == "passthru" || applet == "route" || applet == "dialed") && resp.StatusCode == http.StatusFound {
		return resp.StatusCode, b, nil
	}
	return 0, nil, fmt.Errorf("the gateway answered %d: %s", resp.StatusCode, strings.TrimSpace(string(b)))
}
