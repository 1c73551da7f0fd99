package ashnlp_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// pipeListener is an in-memory network for tests inside a synctest
// bubble: a goroutine blocked on a loopback socket is not "durably
// blocked", so fake time would never advance past a hanging request;
// net.Pipe connections are. The real http.Server and http.Transport run
// over it unchanged.
type pipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newPipeListener() *pipeListener {
	return &pipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *pipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *pipeListener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

func (l *pipeListener) Addr() net.Addr { return pipeAddr{} }

func (l *pipeListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, &net.OpError{Op: "dial", Net: "pipe", Err: net.ErrClosed}
	}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "pipe" }

// fixture is a client wired to a stand-in.
type fixture struct {
	sim    *nlpsim.Server
	client *ashnlp.Client
	logs   *syncBuffer
	// attempts records each HTTP attempt's kind, from Options.Observe.
	mu       sync.Mutex
	attempts []ashnlp.ErrorKind
}

func (f *fixture) observed() []ashnlp.ErrorKind {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ashnlp.ErrorKind(nil), f.attempts...)
}

// inBubble builds a fixture over the in-memory network; call it inside
// synctest.Test. Cleanups stop the server and the client's connections
// so the bubble's goroutines end.
func inBubble(t *testing.T, o ashnlp.Options) *fixture {
	t.Helper()
	sim := nlpsim.New()
	ln := newPipeListener()
	srv := &http.Server{Handler: sim.Handler()}
	go func() { _ = srv.Serve(ln) }()
	tr := &http.Transport{DialContext: ln.dial}
	t.Cleanup(func() {
		sim.Close()
		_ = srv.Close()
		tr.CloseIdleConnections()
	})
	o.BaseURL = "http://ash-nlp.test:30880"
	o.HTTPClient = &http.Client{Transport: tr}
	return build(t, sim, o)
}

// onLoopback builds a fixture over a real loopback socket.
func onLoopback(t *testing.T, o ashnlp.Options) *fixture {
	t.Helper()
	sim, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	o.BaseURL = sim.URL()
	return build(t, sim, o)
}

func build(t *testing.T, sim *nlpsim.Server, o ashnlp.Options) *fixture {
	t.Helper()
	f := &fixture{sim: sim, logs: &syncBuffer{}}
	o.Logger = slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	o.Observe = func(_ time.Duration, k ashnlp.ErrorKind) {
		f.mu.Lock()
		f.attempts = append(f.attempts, k)
		f.mu.Unlock()
	}
	c, err := ashnlp.New(o)
	if err != nil {
		t.Fatal(err)
	}
	f.client = c
	return f
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
