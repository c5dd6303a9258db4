// Package pgtest runs a throwaway PostgreSQL cluster for a test binary: initdb into a temporary
// directory, a server that listens only on a unix socket in that directory (no network), and a
// database of its own for each test.
//
// A test binary that needs it calls Main from TestMain, and each test calls Database. When no
// PostgreSQL is installed the tests are skipped with a message saying so, unless the environment
// variable CI is set, where they fail: CI must never pass by running nothing.
package pgtest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Cluster is one running server in a temporary directory.
type Cluster struct {
	dir  string // holds data/, the log and the socket
	bin  string // the directory holding pg_ctl and initdb
	cred *syscall.Credential
	n    atomic.Int64
}

var (
	running *Cluster
	missing error // why there is no cluster, when there is none
)

// Main starts the cluster, runs the tests and stops it, returning m.Run's exit code. Call it as
// os.Exit(pgtest.Main(m)) from TestMain.
func Main(m *testing.M) int {
	c, err := Start()
	if err != nil {
		missing = err
		if os.Getenv("CI") != "" {
			fmt.Fprintf(os.Stderr, "pgtest: %v (CI is set, so this fails instead of skipping)\n", err)
			return 1
		}
	}
	running = c
	code := m.Run()
	if c != nil {
		if err := c.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "pgtest: %v\n", err)
		}
	}
	return code
}

// Database creates a fresh database on the cluster Main started and returns its URL. Without a
// cluster it skips t, or fails it when CI is set.
func Database(t testing.TB) string {
	t.Helper()
	if running == nil {
		msg := "no PostgreSQL cluster: " + fmt.Sprint(missing)
		if missing == nil {
			msg = "no PostgreSQL cluster: TestMain must call pgtest.Main"
		}
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	u, err := running.CreateDatabase(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// DataDir is the data directory of the cluster Main started, for tests that look at what the
// server writes to disk; "" without one.
func DataDir() string {
	if running == nil {
		return ""
	}
	return filepath.Join(running.dir, "data")
}

// find returns the directory that holds pg_ctl and initdb: from PATH, else the newest
// /usr/lib/postgresql/*/bin.
func find() (string, error) {
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			p = r
		}
		dir := filepath.Dir(p)
		if _, err := os.Stat(filepath.Join(dir, "initdb")); err == nil {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, dir := range dirs {
		if _, err := os.Stat(filepath.Join(dir, "pg_ctl")); err == nil {
			return dir, nil
		}
	}
	return "", errors.New("PostgreSQL not found: no pg_ctl on PATH or under /usr/lib/postgresql/*/bin (Debian: apt-get install postgresql)")
}

func version(bin string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(bin)))
	return v
}

// Start runs initdb and starts the server. As root it runs both as the postgres user, since
// initdb refuses to run as root.
func Start() (*Cluster, error) {
	bin, err := find()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "onestop-pg-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{dir: dir, bin: bin}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("running as root, and there is no postgres user to run the cluster as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		c.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	if err := c.run("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	opts := fmt.Sprintf("-c listen_addresses='' -k %s -c max_connections=200", dir)
	if err := c.run("pg_ctl", "-D", data, "-l", filepath.Join(dir, "log"), "-w", "-t", "60", "-o", opts, "start"); err != nil {
		log, _ := os.ReadFile(filepath.Join(dir, "log"))
		os.RemoveAll(dir)
		return nil, fmt.Errorf("%w\n%s", err, log)
	}
	return c, nil
}

func (c *Cluster) run(name string, args ...string) error {
	cmd := exec.Command(filepath.Join(c.bin, name), args...)
	cmd.Dir = c.dir
	if c.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: c.cred}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pgtest: %s: %w\n%s", name, err, out)
	}
	return nil
}

// URL is the address of database db on the cluster.
func (c *Cluster) URL(db string) string {
	return "postgres://postgres@/" + db + "?host=" + url.QueryEscape(c.dir) + "&sslmode=disable"
}

// CreateDatabase creates a database nobody has used and returns its URL.
func (c *Cluster) CreateDatabase(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, c.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("t%d", c.n.Add(1))
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", err
	}
	return c.URL(name), nil
}

// Stop stops the server and removes its directory.
func (c *Cluster) Stop() error {
	err := c.run("pg_ctl", "-D", filepath.Join(c.dir, "data"), "-m", "fast", "-w", "stop")
	if rerr := os.RemoveAll(c.dir); err == nil && rerr != nil && !strings.Contains(rerr.Error(), "no such") {
		err = rerr
	}
	return err
}
