package simulate

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// The light client's HTTP: one connection per caller, each request written as bytes and each
// reply read only as far as its status and length. net/http costs a client tens of µs a hop,
// about what a hop costs the gateway; on two cores that CPU is taken from the servers measured.

// lightTarget is where a light loader posts: parsed once, not per hop.
type lightTarget struct {
	addr string // host:port, dialled through loopbackDialer
	head []byte // the request line and headers up to Content-Length's value
}

// rawConn is one caller's connection to the server, nil until her first hop and after an error.
type rawConn struct {
	c    net.Conn
	r    *bufio.Reader
	buf  []byte
	used time.Time
}

// lightIdle is how long a connection may wait unused before the caller dials again rather than
// risk a server having closed it (as newLoader's IdleConnTimeout, below the gateway's 15 s).
const lightIdle = 10 * time.Second

// newLightTarget parses endpoint for the light client, which speaks only plain HTTP/1.1.
func newLightTarget(endpoint, user, password string) (*lightTarget, error) {
	u, err := url.Parse(endpoint)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" {
		return nil, fmt.Errorf("load: the light client speaks plain http only, not %s", u.Scheme)
	}
	if !isLoopbackHost(u.Hostname()) {
		return nil, fmt.Errorf("load: %s is not on this machine", u.Host)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	var h bytes.Buffer
	fmt.Fprintf(&h, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/x-www-form-urlencoded\r\n", u.RequestURI(), u.Host)
	if user != "" {
		fmt.Fprintf(&h, "Authorization: Basic %s\r\n", base64.StdEncoding.EncodeToString([]byte(user+":"+password)))
	}
	h.WriteString("Content-Length: ")
	return &lightTarget{addr: addr, head: h.Bytes()}, nil
}

// postLight sends one hop on *rc, dialling when there is no connection fit to use, and drains
// the reply unread. Only a status other than 200, or a broken connection, is an error.
func (l *loader) postLight(ctx context.Context, rc **rawConn, session, code, number, text string) error {
	c := *rc
	if c != nil && time.Since(c.used) > lightIdle {
		c.c.Close()
		c, *rc = nil, nil
	}
	if c == nil {
		conn, err := loopbackDialer().DialContext(ctx, "tcp", l.lightTo.addr)
		if err != nil {
			return err
		}
		c = &rawConn{c: conn, r: bufio.NewReaderSize(conn, 4096), buf: make([]byte, 0, 512)}
		*rc = c
	}
	err := c.hop(l.lightTo.head, session, code, number, text)
	if err != nil {
		c.c.Close()
		*rc = nil
		return err
	}
	c.used = time.Now()
	return nil
}

// hop writes one request and reads its reply's head and body.
func (c *rawConn) hop(head []byte, session, code, number, text string) error {
	b := append(c.buf[:0], "sessionId="...)
	b = append(b, url.QueryEscape(session)...)
	b = append(b, "&serviceCode="...)
	b = append(b, url.QueryEscape(code)...)
	b = append(b, "&phoneNumber="...)
	b = append(b, url.QueryEscape(number)...)
	b = append(b, "&networkCode=47001&text="...)
	b = append(b, url.QueryEscape(text)...)
	body := len(b)
	req := append(b, head...) // the request is built after the body, in the same buffer
	req = strconv.AppendInt(req, int64(body), 10)
	req = append(req, "\r\n\r\n"...)
	req = append(req, b[:body]...)
	c.buf = req[:0]
	if err := c.c.SetDeadline(time.Now().Add(dialTimeout)); err != nil {
		return err
	}
	if _, err := c.c.Write(req[body:]); err != nil {
		return err
	}
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return fmt.Errorf("not an HTTP reply: %q", truncate(string(line), 60))
	}
	status := string(line[9:12])
	length, closing := -1, false
	for {
		h, err := c.r.ReadSlice('\n')
		if err != nil {
			return err
		}
		if len(h) <= 2 {
			break
		}
		k, v, _ := bytes.Cut(bytes.TrimSpace(h), []byte(":"))
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil || length < 0 || length > maxScreen {
				return fmt.Errorf("reply length %q", v)
			}
		case bytes.EqualFold(k, []byte("Connection")) && bytes.EqualFold(v, []byte("close")):
			closing = true
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			return errors.New("the light client reads only replies of a given length")
		}
	}
	if length < 0 {
		return errors.New("reply without a length")
	}
	if status != "200" {
		got := make([]byte, min(length, 120))
		io.ReadFull(c.r, got)
		return fmt.Errorf("HTTP %s: %q", status, got)
	}
	if _, err := c.r.Discard(length); err != nil {
		return err
	}
	if closing {
		return errConnClosing
	}
	return nil
}

// errConnClosing is a reply that came whole on a connection the server then closed: the hop
// went well, and the next dials again.
var errConnClosing = errors.New("connection closing")
