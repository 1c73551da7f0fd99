// Package redistest starts a private, throw-away redis-server for tests.
//
// Each test binary gets its own server on a free loopback port with its data
// in a temporary directory, so packages can run in parallel without sharing
// state and nothing is left behind. The server binary must be on PATH (the
// Makefile installs it from Debian packages when missing).
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Server is a running redis-server child process.
type Server struct {
	Addr string
	// Password is the default user's password (StartWithPassword); Client
	// and Fresh use it.
	Password string
	dir      string
	cmd      *exec.Cmd
	once     sync.Once

	dbsOnce sync.Once
	dbs     chan int // databases FreshDB may hand out

}

// Start launches redis-server with extra config directives (e.g. "requirepass x").
// Call Stop when done; TestMain usually owns the lifetime.
func Start(extra ...string) (*Server, error) { return start(false, extra) }

// StartWithPassword launches redis-server with requirepass set, for
// tests that check where the password goes.
func StartWithPassword(password string, extra ...string) (*Server, error) {
	s, err := start(false, append([]string{"requirepass " + strconv.Quote(password)}, extra...))
	if err != nil {
		return nil, err
	}
	s.Password = password
	return s, nil
}

// StartSentinel launches a Redis Sentinel that monitors the server at
// masterAddr under the given master name.
func StartSentinel(name, masterAddr string) (*Server, error) {
	host, port, err := net.SplitHostPort(masterAddr)
	if err != nil {
		return nil, fmt.Errorf("master address: %w", err)
	}
	return start(true, []string{
		fmt.Sprintf("sentinel monitor %s %s %s 1", name, host, port),
		fmt.Sprintf("sentinel down-after-milliseconds %s 5000", name),
	})
}

func start(sentinel bool, extra []string) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("redis-server not on PATH (run `make test`, which installs it): %w", err)
	}
	dir, err := os.MkdirTemp("", "ashbot-redis-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	var lastErr error
	// A free port can be taken between probing and binding; retry a few times.
	for range 5 {
		port, err := freePort()
		if err != nil {
			lastErr = err
			continue
		}
		s, err := launch(bin, dir, port, extra, sentinel)
		if err == nil {
			return s, nil
		}
		lastErr = err
	}
	os.RemoveAll(dir)
	return nil, lastErr
}

func launch(bin, dir string, port int, extra []string, sentinel bool) (*Server, error) {
	conf := []string{
		"port " + strconv.Itoa(port),
		"bind 127.0.0.1",
		"dir " + dir,
		"save \"\"",
		"appendonly no",
		"daemonize no",
		"loglevel warning",
		"logfile " + filepath.Join(dir, "redis.log"),
	}
	conf = append(conf, extra...)
	confPath := filepath.Join(dir, fmt.Sprintf("redis-%d.conf", port))
	if err := os.WriteFile(confPath, []byte(strings.Join(conf, "\n")+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("write redis config: %w", err)
	}
	args := []string{confPath}
	if sentinel {
		args = append(args, "--sentinel")
	}
	cmd := exec.Command(bin, args...)
	// If the test binary dies (a panic, a -timeout), the server goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), dir: dir, cmd: cmd}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", s.Addr, 100*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	cmd.Process.Kill()
	cmd.Wait()
	return nil, fmt.Errorf("redis-server did not listen on %s: %s", s.Addr, tail(filepath.Join(dir, "redis.log")))
}

// Stop kills the server and removes its directory. Safe to call twice.
func (s *Server) Stop() {
	s.once.Do(func() {
		if s.cmd.Process != nil {
			s.cmd.Process.Kill()
			s.cmd.Wait()
		}
		os.RemoveAll(s.dir)
	})
}

// Client returns a client for database db. The caller closes it.
func (s *Server) Client(db int) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: s.Addr, DB: db, Password: s.Password})
}

// Fresh returns a client on a flushed database and closes it when t ends.
// Tests that share one server call it to start from an empty keyspace.
func (s *Server) Fresh(t testing.TB) *redis.Client {
	t.Helper()
	c := s.Client(0)
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// FreshDB is Fresh for tests that run in parallel: each gets a flushed
// database of its own (1 to 15 of Redis's 16; Fresh uses 0) until it
// ends. A test waits while all fifteen are taken.
func (s *Server) FreshDB(t testing.TB) (*redis.Client, int) {
	t.Helper()
	s.dbsOnce.Do(func() {
		s.dbs = make(chan int, 15)
		for db := 1; db <= 15; db++ {
			s.dbs <- db
		}
	})
	db := <-s.dbs
	c := s.Client(db)
	t.Cleanup(func() {
		c.Close()
		s.dbs <- db
	})
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatalf("flush redis db %d: %v", db, err)
	}
	return c, db
}

// Main starts a server for a whole test binary, runs the tests and stops it.
// Use it from TestMain: `os.Exit(redistest.Main(m, &srv))`.
func Main(m *testing.M, srv **Server, extra ...string) int {
	s, err := Start(extra...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "redistest:", err)
		return 1
	}
	*srv = s
	defer s.Stop()
	return m.Run()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func tail(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return "(no log)"
	}
	defer f.Close()
	var last []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		last = append(last, sc.Text())
		if len(last) > 5 {
			last = last[1:]
		}
	}
	return strings.Join(last, " | ")
}
