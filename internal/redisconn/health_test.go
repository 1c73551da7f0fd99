package redisconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

func TestKindAndRetryable(t *testing.T) {
	for _, tt := range []struct {
		err   error
		kind  string
		retry bool
	}{
		{errors.New("WRONGPASS invalid username-password pair or user is disabled."), KindCredentials, false},
		{errors.New("NOAUTH Authentication required."), KindCredentials, false},
		{errors.New("NOPERM this user has no permissions to run the 'eval' command"), KindPermission, false},
		{fmt.Errorf("ping: %w", context.DeadlineExceeded), KindTimeout, true},
		{&net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connect: connection refused")}, KindUnreachable, true},
		{errors.New("LOADING Redis is loading the dataset in memory"), KindOther, true},
	} {
		if k := Kind(tt.err); k != tt.kind || Retryable(tt.err) != tt.retry {
			t.Errorf("%v: kind %s retryable %v, want %s %v", tt.err, k, Retryable(tt.err), tt.kind, tt.retry)
		}
	}
}

// A Redis down at first: Ping fails with the address and the kind is
// kept; Await retries until it answers, then Up is closed and the state
// is reachable with a latency, the last failure still on record.
func TestHealthAwait(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	proxy.Down()
	s := settings(proxy.Addr)
	rdb, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	h := NewHealth(rdb, s, func() time.Time { return at })

	if err := h.Ping(context.Background()); err == nil || Kind(err) != KindUnreachable ||
		!strings.Contains(err.Error(), "cannot reach redis at "+proxy.Addr) {
		t.Fatalf("Ping with Redis down: %v", err)
	}
	if st := h.State(); st.Reachable || st.LastErrorKind != KindUnreachable || !st.LastErrorAt.Equal(at) || st.Latency != 0 {
		t.Errorf("state while down %+v", st)
	}
	select {
	case <-h.Up():
		t.Fatal("up before Redis answered")
	default:
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Await(context.Background(), time.Millisecond, 20*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	proxy.Up()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Await did not return once Redis answered")
	}
	<-h.Up()
	if st := h.State(); !st.Reachable || st.Latency <= 0 || st.LastErrorKind != KindUnreachable {
		t.Errorf("state once up %+v", st)
	}
}

// Await stops when its context ends, Redis or not.
func TestHealthAwaitStops(t *testing.T) {
	s := settings("127.0.0.1:1")
	rdb, err := Open(s)
	if err != nil {
		t.Fatal(err)
	}
	defer rdb.Close()
	h := NewHealth(rdb, s, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		h.Await(ctx, time.Millisecond, 5*time.Millisecond, slog.New(slog.DiscardHandler))
	}()
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Await did not stop")
	}
}
