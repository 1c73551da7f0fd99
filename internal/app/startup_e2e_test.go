package app

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// withOpsAddr gives the bot a free loopback port for its ops endpoints
// and returns a function that GETs a path there.
func withOpsAddr(t *testing.T, h *harness) func(path string) (int, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h.env["BOT_HTTP_ADDR"] = addr
	return func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// Redis is down when the bot starts: it connects to Discord all the same,
// a flag is answered and its alert posted, /readyz says why it is not
// ready; once Redis answers, the alert's events and state are recorded and
// /readyz is ready.
func TestRedisDownAtStartUp(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	proxy.Down()
	h := newHarness(t, withRedisAddr(proxy.Addr))
	get := withOpsAddr(t, h)
	h.startBot()

	code, body := get("/readyz")
	var ready struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal([]byte(body), &ready); err != nil {
		t.Fatalf("readyz %d %s: %v", code, body, err)
	}
	if code != http.StatusServiceUnavailable || ready.Ready || !strings.Contains(ready.Checks["redis"], "cannot reach redis at "+proxy.Addr) ||
		ready.Checks["discord_gateway"] != "ok" {
		t.Errorf("readyz with Redis down: %d %s", code, body)
	}

	src := h.say(h.alice, "I can't do this anymore")
	id := src.ID.String()
	if got := h.flag(h.bob, src, "high"); !strings.Contains(got, "has been notified") {
		t.Errorf("flag answer %q", got)
	}
	alert := h.alertFor(h.crisis, src.ID)
	if !strings.Contains(alert.Content, h.crtRole.Mention()) {
		t.Errorf("alert without the CRT ping: %q", alert.Content)
	}
	if n := h.rdb.Exists(context.Background(), "ash:metrics:alert:"+id, alerts.StateKey(id)).Val(); n != 0 {
		t.Fatalf("%d keys written while Redis was down?", n)
	}

	proxy.Up()
	rec := h.waitMetric(id, "created after the outage", func(a *metrics.Alert) bool { return a.AlertMessageID != "" })
	if rec.AlertMessageID != alert.ID.String() || rec.Severity != "high" {
		t.Errorf("record after the outage %+v", rec)
	}
	h.waitFor("alert state written after the outage", func() bool {
		return h.rdb.HGet(context.Background(), alerts.StateKey(id), "alert_message_id").Val() == alert.ID.String()
	})
	if code, body := get("/readyz"); code != http.StatusOK || !strings.Contains(body, `"redis":"ok"`) {
		t.Errorf("readyz with Redis back: %d %s", code, body)
	}
	// The timers started once Redis answered.
	h.waitPollers()
}

// Credentials Redis refuses are not waited out: nothing but the operator
// can fix them, so start-up stops saying which setting to check.
func TestRunStopsOnRefusedRedisCredentials(t *testing.T) {
	rs, err := redistest.StartWithPassword("right-password")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Stop)
	h := newHarness(t, withRedisServer(rs))
	h.env["BOT_REDIS_PASSWORD"] = "wrong-password"
	err = Run(h.ctx(), h.config(), Options{Logger: testLogger(), Clock: h.clock, SpoolPath: h.spool, KeepGatewayOpen: raceEnabled})
	if err == nil || !strings.Contains(err.Error(), "refused the credentials") || !strings.Contains(err.Error(), "BOT_REDIS_PASSWORD") {
		t.Fatalf("Run = %v, want an error naming BOT_REDIS_PASSWORD", err)
	}
	if n := len(h.sim.Sessions()); n != 0 {
		t.Errorf("%d gateway sessions opened before the failed start-up", n)
	}
}
