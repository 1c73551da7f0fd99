// disgo v0.19.6 races on its own fields whenever a gateway connection ends
// or heartbeats run often (see internal/standin/discordsim/doc.go), which
// is what these tests are about: they run without the race detector
// (`make test` runs them so).

//go:build !race

package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/gateway"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// serveOps gives the next instance an ops address and returns a reader
// of /readyz.
func (h *harness) serveOps() func() (int, string) {
	h.t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		h.t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h.env["BOT_HTTP_ADDR"] = addr
	return func() (int, string) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// A connection whose heartbeats go unanswered (half-open) is closed and
// resumed; /readyz reports ready again and events flow.
func TestGatewayMissingHeartbeatACKResumes(t *testing.T) {
	h := newHarnessSim(t, discordsim.Options{HeartbeatInterval: 300 * time.Millisecond})
	readyz := h.serveOps()
	h.startBot()
	h.waitFor("ready", func() bool { code, _ := readyz(); return code == http.StatusOK })
	before := h.sim.Events()
	last := before[len(before)-1].Seq

	h.sim.StopHeartbeatACKs()
	resumed, err := h.sim.WaitEvent(h.ctx(), last, func(e discordsim.Event) bool { return e.Kind == discordsim.KindResumed })
	if err != nil {
		t.Fatalf("no resume after unanswered heartbeats: %v", err)
	}
	for _, e := range h.sim.EventsSince(last) {
		if e.Kind == discordsim.KindReady {
			t.Errorf("identified again instead of resuming: %+v", e)
		}
	}
	h.waitFor("ready after the resume", func() bool { code, _ := readyz(); return code == http.StatusOK })
	src := h.say(h.alice, "nobody would notice if I was gone")
	h.flag(h.bob, src, "high")
	if alert := h.alertFor(h.crisis, src.ID); alert.ID.Time().Before(resumed.At) {
		t.Errorf("alert %v dated before the resume at %v", alert.ID.Time(), resumed.At)
	}
}

// A close code that ends the session (4014: the Message Content intent
// is not enabled) leaves the bot unready, saying what to do.
func TestGatewaySessionEndingCloseCode(t *testing.T) {
	h := newHarness(t)
	readyz := h.serveOps()
	h.startBot()
	connects := func() int {
		n := 0
		for _, e := range h.sim.Events() {
			if e.Kind == discordsim.KindGatewayConnect {
				n++
			}
		}
		return n
	}
	n := connects()
	h.sim.DisconnectGateway(discordsim.CloseDisallowedIntents)
	var body string
	h.waitFor("readyz says why", func() bool {
		var code int
		code, body = readyz()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "4014")
	})
	if !strings.Contains(body, "Message Content intent") {
		t.Errorf("readyz %s does not say what to do", body)
	}
	if got := connects(); got != n {
		t.Errorf("%d reconnects after 4014, which Discord does not allow", got-n)
	}
}

// Start-up fails with what to do when Discord refuses the intents.
func TestGatewayDisallowedIntentAtStart(t *testing.T) {
	h := newHarnessSim(t, discordsim.Options{DisallowedIntents: gateway.IntentMessageContent})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	err := Run(ctx, h.config(), Options{Logger: testLogger(), Clock: h.clock, SpoolPath: h.spool, Version: "test",
		ShutdownTimeout: h.shutdown})
	if err == nil || errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), "Message Content intent") {
		t.Fatalf("Run: %v, want the 4014 advice", err)
	}
}

// A dropped connection is resumed where Discord allows it; when the token
// was reset meanwhile, Discord answers 4004 and the bot says so.
func TestGatewayTokenResetWhileDisconnected(t *testing.T) {
	h := newHarness(t)
	readyz := h.serveOps()
	h.startBot()
	h.sim.SetTokenValid(false)
	h.sim.DisconnectGateway(0)
	h.waitFor("readyz says why", func() bool {
		code, body := readyz()
		return code == http.StatusServiceUnavailable && strings.Contains(body, "4004") && strings.Contains(body, "BOT_DISCORD_TOKEN")
	})
	rejected := 0
	for _, e := range h.sim.Events() {
		if e.Kind == discordsim.KindIdentifyRejected {
			rejected++
		}
	}
	if rejected != 1 {
		t.Errorf("%d resumes rejected, want one and no retries", rejected)
	}
}
