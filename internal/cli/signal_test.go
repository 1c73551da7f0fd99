package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// stopBound is how soon after SIGTERM a command must have exited: the
// usual grace an orchestrator gives before SIGKILL is 10 s or more.
const stopBound = 10 * time.Second

// slowRedis are timeouts that, if they governed, would keep a command
// waiting far past stopBound.
var slowRedis = map[string]string{
	"BOT_REDIS_DIAL_TIMEOUT": "60s", "BOT_REDIS_READ_TIMEOUT": "60s", "BOT_REDIS_WRITE_TIMEOUT": "60s",
}

// started is a command running in-process until its context is cancelled,
// as a SIGTERM does through signal.NotifyContext in main.
type started struct {
	cancel context.CancelFunc
	done   chan int
	stderr *syncWriter
}

func start(addr string, vars map[string]string, args ...string) *started {
	host, port, _ := net.SplitHostPort(addr)
	env := map[string]string{"BOT_REDIS_HOST": host, "BOT_REDIS_PORT": port, "BOT_SECRETS_DIR": "", "BOT_LOG_FORMAT": "text"}
	for k, v := range slowRedis {
		env[k] = v
	}
	for k, v := range vars {
		env[k] = v
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &started{cancel: cancel, done: make(chan int, 1), stderr: &syncWriter{}}
	go func() {
		s.done <- Main(ctx, args, &Env{
			Stdin: strings.NewReader(""), Stdout: &syncWriter{}, Stderr: s.stderr,
			LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			ReadFile:  os.ReadFile,
			Now:       func() time.Time { return now },
		})
	}()
	return s
}

// stop cancels the command and returns its exit status, failing the test
// if it is still running stopBound later.
func (s *started) stop(t *testing.T) int {
	t.Helper()
	s.cancel()
	select {
	case code := <-s.done:
		return code
	case <-time.After(stopBound):
		t.Fatalf("still running %v after the signal; stderr:\n%s", stopBound, s.stderr)
		return 0
	}
}

// waitHeard waits until the command has sent a request into the black hole.
func waitHeard(t *testing.T, p *redistest.Proxy, s *started) {
	t.Helper()
	select {
	case <-p.Heard():
	case code := <-s.done:
		t.Fatalf("exited %d before it asked Redis anything; stderr:\n%s", code, s.stderr)
	case <-time.After(stopBound):
		t.Fatal("no request reached the black hole")
	}
}

// runSettings are the Discord settings `ashbot run` checks before it
// connects anything.
var runSettings = map[string]string{
	"BOT_DISCORD_TOKEN": "MTIz.c2lt.dG9rZW4", "BOT_ALERT_CHANNEL_CRISIS_IDS": "900000000000000001",
	"BOT_CRT_ROLE_IDS": "900000000000000002", "BOT_HTTP_ADDR": "",
}

// A Redis that accepts connections and never answers: every command that
// talks to Redis, and `ashbot run` during start-up, stops on the signal
// (exit 1, saying it stopped waiting) instead of waiting out its 60 s
// timeouts.
func TestSignalStopsCommandsOnSilentRedis(t *testing.T) {
	p, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for _, args := range [][]string{
		{"report"}, {"report", "post"}, {"alert", "show", "a1"}, {"cleanup"}, {"cleanup", "--dry-run"},
		{"storage"}, {"run"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			p.BlackHole()
			vars := map[string]string{"BOT_WEEKLY_REPORT_CHANNEL_ID": "900000000000000003"}
			if args[0] == "run" {
				vars = runSettings
			}
			s := start(p.Addr, vars, args...)
			waitHeard(t, p, s)
			code := s.stop(t)
			if code != ExitFailed || !strings.Contains(s.stderr.String(), "stopped waiting for an answer: context canceled") {
				t.Errorf("exit %d, want 1 naming the wait; stderr:\n%s", code, s.stderr)
			}
		})
	}
}

// Redis answers the connection check and then holds every write (CLIENT
// PAUSE WRITE): cleanup, blocked on its repair of a TTL, still stops on
// the signal and says it was interrupted.
func TestSignalStopsCleanupOnStalledWrite(t *testing.T) {
	rs, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Stop()
	rdb := rs.Client(0)
	defer rdb.Close()
	ctx := context.Background()
	// An opt-out that lost its TTL: cleanup must write to repair it.
	rdb.Set(ctx, "ash:optout:400000000000000001", now.UnixMilli(), 0)
	if err := rdb.Do(ctx, "CLIENT", "PAUSE", "60000", "WRITE").Err(); err != nil {
		t.Fatal(err)
	}
	defer rdb.Do(ctx, "CLIENT", "UNPAUSE")

	s := start(rs.Addr, nil, "cleanup")
	deadline := time.Now().Add(stopBound)
	for !strings.Contains(rdb.Info(ctx, "clients").Val(), "blocked_clients:1") {
		if time.Now().After(deadline) {
			t.Fatalf("cleanup never blocked on a write; stderr:\n%s", s.stderr)
		}
		time.Sleep(20 * time.Millisecond) // Redis has no way to announce it
	}
	code := s.stop(t)
	if code != ExitFailed || !strings.Contains(s.stderr.String(), "ashbot: interrupted: context canceled") {
		t.Errorf("exit %d, want 1 saying it was interrupted; stderr:\n%s", code, s.stderr)
	}
}

// syncWriter is a buffer written by a command's goroutines and read by the
// test.
type syncWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (w *syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.Write(p)
}

func (w *syncWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// Without a signal, a silent Redis fails the connection check at its
// timeouts with the usual hint, not as a stop.
func TestSilentRedisTimesOut(t *testing.T) {
	p, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.BlackHole()
	host, port, _ := net.SplitHostPort(p.Addr)
	r := run(t, map[string]string{"BOT_REDIS_HOST": host, "BOT_REDIS_PORT": port,
		"BOT_REDIS_DIAL_TIMEOUT": "100ms", "BOT_REDIS_READ_TIMEOUT": "100ms"}, "", "storage")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "cannot reach redis at "+p.Addr) {
		t.Errorf("exit %d, want 1 with the hint; stderr:\n%s", r.code, r.stderr)
	}
}
