package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
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

type detailed struct {
	code       int
	Status     string
	Version    string
	Components map[string]struct {
		Status    string
		Detail    string
		LatencyMS *float64 `json:"latency_ms"`
		LastError *struct {
			Kind string
			At   time.Time
		} `json:"last_error"`
	}
}

// redisFailure tells whether Redis's last error is the outage's: refused
// connections, or timeouts on a loaded machine.
func redisFailure(d detailed) bool {
	e := d.Components["redis"].LastError
	return e != nil && (e.Kind == "unreachable" || e.Kind == "timeout") && !e.At.IsZero()
}

func getDetailed(t *testing.T, get func(string) (int, string)) detailed {
	t.Helper()
	code, body := get("/health/detailed")
	var d detailed
	if err := json.Unmarshal([]byte(body), &d); err != nil {
		t.Fatalf("health/detailed %d %s: %v", code, body, err)
	}
	d.code = code
	return d
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
	h := newHarness(t, withRedisAddr(proxy.Addr), withEnv("BOT_NLP_BASE_URL", "off"))
	get := withOpsAddr(t, h)
	h.startBot()

	detail := getDetailed(t, get)
	if detail.code != http.StatusServiceUnavailable || detail.Status != "down" || detail.Version != "test" ||
		detail.Components["redis"].Status != "down" || !redisFailure(detail) || detail.Components["discord"].Status != "ok" ||
		detail.Components["nlp"].Status != "off" || detail.Components["companion"].Detail != "scripted" {
		t.Errorf("health/detailed with Redis down: %+v", detail)
	}

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
	detail = getDetailed(t, get)
	if redis := detail.Components["redis"]; detail.code != http.StatusOK || detail.Status != "ok" || redis.Status != "ok" ||
		redis.LatencyMS == nil || !redisFailure(detail) {
		t.Errorf("health/detailed with Redis back: %+v", detail)
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

// summaryLine returns the start-up summary record of a JSON log.
func summaryLine(t *testing.T, h *harness, logs *syncBuffer) map[string]any {
	t.Helper()
	var rec map[string]any
	h.waitFor("the start-up summary", func() bool {
		for line := range strings.Lines(logs.String()) {
			var r map[string]any
			if json.Unmarshal([]byte(line), &r) == nil && strings.HasPrefix(fmt.Sprint(r["msg"]), "ashbot running") {
				rec = r
				return true
			}
		}
		return false
	})
	return rec
}

// Ash-NLP is down when the bot starts with detection on: the CRT is told
// at once that detection is down, the start-up summary says so, and the
// "back" notice follows once Ash-NLP answers.
func TestAshNLPDownAtStartUp(t *testing.T) {
	nlp, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nlp.Close)
	nlp.Refuse()
	var logs syncBuffer
	h := newHarness(t, withEnv("BOT_NLP_BASE_URL", nlp.URL()), withEnv("BOT_NLP_RETRIES", "0"),
		withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	h.env["BOT_MONITORED_CHANNELS"] = h.general.String()
	get := withOpsAddr(t, h)
	h.startBot()

	down, err := h.sim.WaitMessage(h.ctx(), h.monitor, func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "Automatic crisis detection is DOWN")
	})
	if err != nil {
		t.Fatalf("no down notice: %v", err)
	}
	if !strings.Contains(down.Content, "health check when ashbot started") {
		t.Errorf("down notice %q", down.Content)
	}
	rec := summaryLine(t, h, &logs)
	off := fmt.Sprint(rec["off"])
	if rec["level"] != "WARN" || rec["msg"] != "ashbot running in reduced mode" || rec["companion"] != "scripted" ||
		!strings.Contains(off, "automatic detection: DOWN") || !strings.Contains(off, "weekly report: off, BOT_WEEKLY_REPORT_ENABLED=false") ||
		!strings.Contains(off, "retention cleanup: off") || strings.Contains(off, "redis") {
		t.Errorf("start-up summary %v", rec)
	}

	d := getDetailed(t, get)
	if c := d.Components["nlp"]; d.code != http.StatusOK || d.Status != "degraded" || c.Status != "down" ||
		!strings.Contains(c.Detail, "automatic detection is down") {
		t.Errorf("health/detailed with Ash-NLP down: %+v", d)
	}

	if err := nlp.Listen(); err != nil {
		t.Fatal(err)
	}
	h.clock.BlockUntil(t, 3) // the two timer pollers and detection's probe
	h.clock.Advance(10 * time.Second)
	if _, err := h.sim.WaitMessage(h.ctx(), h.monitor, func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "Automatic crisis detection is back")
	}); err != nil {
		t.Fatalf("no back notice: %v", err)
	}
}

// With every part on, the summary is one INFO line without "off".
func TestStartUpSummaryAllOn(t *testing.T) {
	nlp, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nlp.Close)
	var logs syncBuffer
	h := newHarness(t, withEnv("BOT_NLP_BASE_URL", nlp.URL()), withEnv("BOT_WEEKLY_REPORT_ENABLED", "true"),
		withEnv("BOT_RETENTION_ENABLED", "true"), withFollowups(), withLogger(slog.New(slog.NewJSONHandler(&logs, nil))))
	h.env["BOT_MONITORED_CHANNELS"] = h.general.String()
	get := withOpsAddr(t, h)
	h.startBot()
	rec := summaryLine(t, h, &logs)
	if rec["level"] != "INFO" || rec["msg"] != "ashbot running" || rec["off"] != nil {
		t.Errorf("start-up summary %v", rec)
	}
	d := getDetailed(t, get)
	if d.code != http.StatusOK || d.Status != "ok" || len(d.Components) != 4 {
		t.Errorf("health/detailed with every part on: %+v", d)
	}
	for name, c := range d.Components {
		if c.Status != "ok" || c.LastError != nil {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if d.Components["redis"].LatencyMS == nil || d.Components["discord"].LatencyMS == nil || d.Components["nlp"].Detail != "circuit breaker closed" {
		t.Errorf("health/detailed: %+v", d)
	}
}
