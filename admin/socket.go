package admin

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SocketName is the admin socket's name in the data directory.
const SocketName = "admin.sock"

// maxRequest bounds a request: the arguments, and standard input for an import.
const maxRequest = 65 << 20

// request is what the command line sends over the socket: the command as typed, the directory
// it was typed in (relative file names are read from there) and its standard input, when the
// command reads it.
type request struct {
	Args  []string `json:"args"`
	Dir   string   `json:"dir"`
	Stdin []byte   `json:"stdin,omitempty"`
}

// frame is one line of the answer: output as it is written, then the end with the exit code.
type frame struct {
	Out   string `json:"out,omitempty"`
	Err   string `json:"err,omitempty"`
	Done  bool   `json:"done,omitempty"`
	Code  int    `json:"code,omitempty"`
	Error string `json:"error,omitempty"`
	Help  bool   `json:"help,omitempty"`
}

// Listen opens the admin socket at path, readable and writable by its owner only. A socket left
// by a server that died is replaced: whoever calls Listen holds the data directory's lock.
func Listen(path string) (net.Listener, error) {
	tmp := fmt.Sprintf("%s.%d", path, os.Getpid())
	_ = os.Remove(tmp)
	ln, err := net.Listen("unix", tmp)
	if err != nil {
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	// Made 0600 under a name nobody looks for, then moved into place: no moment at which
	// another user could connect.
	if err := os.Chmod(tmp, 0o600); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	if err := os.Rename(tmp, path); err != nil {
		ln.Close()
		os.Remove(tmp)
		return nil, err
	}
	return &listener{Listener: ln, path: path}, nil
}

// listener removes its socket file when closed.
type listener struct {
	net.Listener
	path string
	once sync.Once
}

func (l *listener) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { os.Remove(l.path) })
	return err
}

// Serve runs the commands that arrive on ln against env, one goroutine a connection, until ln
// is closed, and returns once the commands under way have finished: the server closes ln and
// waits for Serve before it closes its store. Each command that changes something is reported
// to env.Changed with the command.
func Serve(ctx context.Context, ln net.Listener, env Env, log *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		conn, err := ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				log.Error("admin socket stopped", "err", err)
			}
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			serveConn(ctx, conn, env, log)
		}()
	}
}

func serveConn(ctx context.Context, conn net.Conn, env Env, log *slog.Logger) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	// The request is one line, read to its end: a byte left unread would make closing the
	// connection reset it, and the client could lose the answer's last frames.
	var req request
	line, err := bufio.NewReader(io.LimitReader(conn, maxRequest)).ReadBytes('\n')
	if err == nil {
		err = json.Unmarshal(line, &req)
	}
	if err != nil {
		log.Warn("admin socket: a request that does not parse", "err", err)
		json.NewEncoder(conn).Encode(frame{Done: true, Code: 2, Error: "the request does not parse"})
		return
	}
	conn.SetReadDeadline(time.Time{})
	w := &frameWriter{enc: json.NewEncoder(conn)}
	env.Stdin, env.Stdout, env.Stderr = bytes.NewReader(req.Stdin), w.stream(false), w.stream(true)
	if filepath.IsAbs(req.Dir) {
		env.WorkDir = req.Dir
	}
	err = Run(ctx, &env, req.Args)
	end := frame{Done: true, Code: ExitCode(err)}
	if errors.Is(err, flag.ErrHelp) {
		end.Help = true
	} else if err != nil {
		end.Error = err.Error()
	}
	w.write(end)
}

// frameWriter writes the answer's frames, one at a time.
type frameWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *frameWriter) write(f frame) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(f)
}

func (w *frameWriter) stream(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		f := frame{Out: string(p)}
		if stderr {
			f = frame{Err: string(p)}
		}
		if err := w.write(f); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Forward runs the command args in the server listening at path, writing what it prints to
// stdout and stderr. It reports false, and does nothing, when no server listens there.
func Forward(ctx context.Context, path string, args []string, stdin io.Reader, stdout, stderr io.Writer) (bool, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENAMETOOLONG) {
			return false, nil
		}
		return false, fmt.Errorf("the running server's admin socket %s: %w", path, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	req := request{Args: args}
	req.Dir, _ = os.Getwd()
	if readsStdin(args) && stdin != nil {
		if req.Stdin, err = io.ReadAll(io.LimitReader(stdin, maxRequest-1<<20)); err != nil {
			return true, err
		}
	}
	if err := json.NewEncoder(conn).Encode(req); err != nil {
		return true, err
	}
	sc := bufio.NewScanner(conn)
	sc.Buffer(make([]byte, 64<<10), maxRequest)
	for sc.Scan() {
		var f frame
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return true, fmt.Errorf("the running server answered what does not parse: %w", err)
		}
		switch {
		case f.Done && f.Help:
			return true, &ExitError{Code: f.Code, Err: flag.ErrHelp}
		case f.Done && f.Code != 0:
			return true, &ExitError{Code: f.Code, Err: errors.New(f.Error)}
		case f.Done:
			return true, nil
		}
		io.WriteString(stdout, f.Out)
		io.WriteString(stderr, f.Err)
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return true, err
	}
	return true, errors.New("the running server closed the admin socket before the command finished: it may have stopped; see its log")
}

// readsStdin reports whether the command line reads standard input: "-" for a file, or a
// password on it.
func readsStdin(args []string) bool {
	for _, a := range args {
		if a == "-" || strings.TrimLeft(a, "-") == "password-stdin" || strings.HasPrefix(strings.TrimLeft(a, "-"), "password-stdin=") {
			return true
		}
	}
	return false
}

// DataDir returns the value of --data (or -data) on the command line args, def without one.
func DataDir(args []string, def string) string {
	for i, a := range args {
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !strings.HasPrefix(a, "-") || name != "data" {
			continue
		}
		if hasValue {
			def = value
		} else if i+1 < len(args) {
			def = args[i+1]
		}
	}
	return def
}
