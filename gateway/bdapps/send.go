package bdapps

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/onestop-helpline/onestop"
	"github.com/onestop-helpline/onestop/gateway"
	"github.com/onestop-helpline/onestop/locales"
)

// mtUSSD is a screen as ussd/send takes it.
type mtUSSD struct {
	ApplicationID      string `json:"applicationId"`
	Password           string `json:"password"`
	Message            string `json:"message"`
	SessionID          string `json:"sessionId"`
	Operation          string `json:"ussdOperation"`
	DestinationAddress string `json:"destinationAddress"`
	Encoding           string `json:"encoding"`
	Version            string `json:"version"`
}

// attemptTimeout bounds one post to ussd/send, so one that hangs leaves time for another.
const attemptTimeout = 3 * time.Second

// firstBackoff is the wait after the first failed post; each later wait doubles.
const firstBackoff = 250 * time.Millisecond

// send posts mt until the platform takes it or the send window closes. A screen that could not
// be sent in time is given up: what its hop recorded is on disk already (the engine committed it
// before answering), and a last mt-fin, if the platform takes it, closes her session with the
// helpline rather than leaving it to the network's timeout and an operator's error. The platform
// retrying the hop later gets the same screen sent again.
func (h *Handler) send(mt mtUSSD, lang onestop.Lang) {
	start := time.Now()
	deadline := start.Add(h.cfg.SendWindow)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	wait := firstBackoff
	for attempt := 1; ; attempt++ {
		err := h.post(ctx, "/ussd/send", mt)
		if err == nil {
			h.g.Metrics.Observe(Provider+"-send", "ok", start)
			return
		}
		h.g.Log.Warn("posting a screen failed", "provider", Provider, "attempt", attempt, "err", err)
		if time.Until(deadline) <= wait {
			break
		}
		select {
		case <-time.After(wait):
		case <-ctx.Done():
		}
		wait *= 2
	}
	h.g.Metrics.Observe(Provider+"-send", "given-up", start)
	if mt.Operation == "mt-fin" {
		return // her session was ending anyway
	}
	fin := mt
	fin.Operation = "mt-fin"
	fin.Message = locales.Text(lang, locales.SessionOver, h.cfg.Helpline)
	last, cancelLast := context.WithTimeout(context.Background(), attemptTimeout)
	defer cancelLast()
	if err := h.post(last, "/ussd/send", fin); err != nil {
		h.g.Log.Error("screen given up; the network will end the session", "provider", Provider, "err", err)
	}
}

// post sends v as JSON to the platform's path and reads its answer. Returns an error unless the
// platform answered S1000; the error names the platform's code, never the password or a number.
func (h *Handler) post(ctx context.Context, path string, v any) error {
	_, err := post(ctx, h.client, h.cfg.base()+path, v)
	return err
}

// post is the one place a request goes to the platform.
func post(ctx context.Context, client *http.Client, url string, v any) (tapAnswer, error) {
	var out tapAnswer
	body, err := json.Marshal(v)
	if err != nil {
		return out, err
	}
	actx, cancel := context.WithTimeout(ctx, attemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return out, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return out, fmt.Errorf("bdapps: the platform is unreachable: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, gateway.MaxResponse))
	if resp.StatusCode != http.StatusOK {
		return out, &statusError{status: resp.StatusCode, header: resp.Header}
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return out, &statusError{status: resp.StatusCode, detail: "unreadable answer", header: resp.Header}
	}
	if out.StatusCode != ok {
		return out, &statusError{status: resp.StatusCode, code: out.StatusCode, detail: scrub(out.StatusDetail), header: resp.Header}
	}
	return out, nil
}

// statusError is the platform's refusal.
type statusError struct {
	status       int
	code, detail string
	header       http.Header
}

func (e *statusError) Error() string {
	if e.code != "" {
		return fmt.Sprintf("bdapps: the platform answered %s %q", e.code, e.detail)
	}
	return fmt.Sprintf("bdapps: the platform answered HTTP %d %s", e.status, e.detail)
}

// scrub hides every run of seven or more digits in a platform's words, and cuts them to 200
// bytes: a refusal may quote the address it refused, and what is logged or kept of it must hold
// no number.
func scrub(s string) string {
	var b strings.Builder
	digits := 0
	flush := func(run string) {
		if len(run) >= 7 {
			b.WriteString("***")
		} else {
			b.WriteString(run)
		}
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			if digits == 0 {
				start = i
			}
			digits++
			continue
		}
		if digits > 0 {
			flush(s[start:i])
			digits = 0
		}
		if i < len(s) {
			b.WriteByte(s[i])
		}
	}
	out := b.String()
	if len(out) > 200 {
		out = strings.ToValidUTF8(out[:200], "")
	}
	return out
}
