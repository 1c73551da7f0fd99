package gatewayhealth

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/gorilla/websocket"
)

type fixture struct {
	m      *Monitor
	now    time.Time
	status gateway.Status
	logs   bytes.Buffer
	mu     sync.Mutex
}

func newFixture() *fixture {
	f := &fixture{now: time.Unix(1_700_000_000, 0), status: gateway.StatusReady}
	log := slog.New(slog.NewTextHandler(lockedWriter{f}, nil))
	f.m = New(Config{StaleAfter: time.Minute, Now: func() time.Time { return f.now }, Logger: log})
	f.m.Attach(func() gateway.Status { return f.status })
	return f
}

type lockedWriter struct{ f *fixture }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.f.mu.Lock()
	defer w.f.mu.Unlock()
	return w.f.logs.Write(p)
}

func (f *fixture) logCount(substr string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return strings.Count(f.logs.String(), substr)
}

func TestReadyWhileAnswering(t *testing.T) {
	f := newFixture()
	if err := f.m.Check(context.Background()); err != nil {
		t.Fatalf("fresh ready session: %v", err)
	}
	f.status = gateway.StatusResuming
	if err := f.m.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "Resuming") {
		t.Errorf("resuming session: %v", err)
	}
	f.status = gateway.StatusReady
	f.m.Stopping()
	if err := f.m.Check(context.Background()); err == nil {
		t.Error("ready while stopping")
	}
}

// No heartbeat ACK and no event for longer than StaleAfter: not ready,
// logged once, and ready again with the next ACK.
func TestSilentConnection(t *testing.T) {
	f := newFixture()
	f.now = f.now.Add(50 * time.Second)
	f.m.OnEvent(&events.HeartbeatAck{})
	f.now = f.now.Add(59 * time.Second)
	if err := f.m.Check(context.Background()); err != nil {
		t.Fatalf("59 s after an ACK: %v", err)
	}
	f.now = f.now.Add(2 * time.Second)
	for range 3 {
		if err := f.m.Check(context.Background()); err == nil || !strings.Contains(err.Error(), "no heartbeat ACK") {
			t.Fatalf("61 s after an ACK: %v", err)
		}
	}
	if n := f.logCount("no heartbeat ACK or event"); n != 1 {
		t.Errorf("silence logged %d times, want once", n)
	}
	f.m.OnEvent(&events.HeartbeatAck{})
	if err := f.m.Check(context.Background()); err != nil {
		t.Errorf("after a new ACK: %v", err)
	}
	if n := f.logCount("answering again"); n != 1 {
		t.Errorf("recovery logged %d times", n)
	}
}

// Session-ending close codes are logged once with what to do, keep the
// bot unready, and clear with the next Ready.
func TestSessionEndingCloseCodes(t *testing.T) {
	for code, want := range map[int]string{4004: "BOT_DISCORD_TOKEN", 4010: "bug", 4011: "too many servers",
		4012: "upgrade", 4013: "upgrade", 4014: "Message Content intent"} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			f := newFixture()
			err := fmt.Errorf("failed to open gateway connection: %w", &websocket.CloseError{Code: code, Text: "x"})
			f.m.OnClose(nil, err, false)
			f.m.OnClose(nil, err, false)
			f.status = gateway.StatusDisconnected
			cerr := f.m.Check(context.Background())
			if cerr == nil || !strings.Contains(cerr.Error(), want) || !strings.Contains(cerr.Error(), fmt.Sprint(code)) {
				t.Errorf("check: %v, want the code and %q", cerr, want)
			}
			if n := f.logCount("session ended: "); n != 1 || f.logCount(want) != 1 {
				t.Errorf("logged %d times:\n%s", n, f.logs.String())
			}
			f.status = gateway.StatusReady
			f.m.OnEvent(&events.Ready{})
			if err := f.m.Check(context.Background()); err != nil {
				t.Errorf("after Ready: %v", err)
			}
		})
	}
}

func TestEndedOnlyForSessionEndingCodes(t *testing.T) {
	for _, code := range []int{4000, 4009, websocket.CloseNormalClosure} {
		if e, ok := Ended(&websocket.CloseError{Code: code}); ok {
			t.Errorf("%d counted as ending the session: %v", code, e)
		}
	}
	if _, ok := Ended(fmt.Errorf("dial: %w", context.DeadlineExceeded)); ok {
		t.Error("a dial error counted as a close code")
	}
	f := newFixture()
	f.m.OnClose(nil, context.DeadlineExceeded, false)
	if n := f.logCount("not reconnected"); n != 1 {
		t.Errorf("lost connection logged %d times", n)
	}
}

// The snapshot keeps the kind and time of the last failure, without its
// text, after the session recovered.
func TestSnapshot(t *testing.T) {
	f := newFixture()
	if s := f.m.Snapshot(); s != (Snapshot{}) {
		t.Fatalf("snapshot before anything %+v", s)
	}
	f.m.OnEvent(&events.HeartbeatAck{})
	f.now = f.now.Add(time.Minute + time.Second)
	_ = f.m.Check(context.Background())
	if s := f.m.Snapshot(); s.LastErrorKind != "silent" || !s.LastErrorAt.Equal(f.now) {
		t.Errorf("after silence %+v", s)
	}
	f.now = f.now.Add(time.Second)
	f.m.OnClose(nil, &websocket.CloseError{Code: 4014, Text: "x"}, false)
	if s := f.m.Snapshot(); s.LastErrorKind != "close_code_4014" || !s.LastErrorAt.Equal(f.now) {
		t.Errorf("after close code 4014 %+v", s)
	}
	f.m.OnClose(nil, fmt.Errorf("read: %w", context.DeadlineExceeded), true)
	if s := f.m.Snapshot(); s.LastErrorKind != "connection_lost" {
		t.Errorf("after a lost connection %+v", s)
	}
	f.m.OnEvent(&events.Ready{})
	if s := f.m.Snapshot(); s.LastErrorKind != "connection_lost" || f.m.Check(context.Background()) != nil {
		t.Errorf("after Ready %+v", s)
	}
}
