package app

import (
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// A running bot answers /healthz, reports Redis and the gateway on /readyz
// and its counters on /metrics, Discord's 429s among them.
func TestOpsEndpoints(t *testing.T) {
	h := newHarness(t)
	// One global 429 on start-up, waited out and counted.
	if err := h.sim.InjectFault(discordsim.Fault{Method: "*", Path: "/applications/*/guilds/*/commands", Status: http.StatusTooManyRequests,
		RetryAfter: 10 * time.Millisecond, Global: true}); err != nil {
		t.Fatal(err)
	}
	get := serveOps(h)
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("healthz %d", code)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"discord_gateway":"ok"`) || !strings.Contains(body, `"redis":"ok"`) ||
		!strings.Contains(body, `"companion":{"provider":"scripted"}`) {
		t.Errorf("readyz %d %s", code, body)
	}
	code, body := get("/metrics")
	for _, want := range []string{"ashbot_events_recorded_total", "ashbot_events_pending 0", `ashbot_timers_fired_total{timer="auto-initiate"} 0`, `ashbot_discord_rate_limited_total{scope="global"} 1`, `ashbot_discord_rate_limited_total{scope="user"} 0`, "go_goroutines"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lacks %q (status %d)", want, code)
		}
	}
}

// serveOps points the bot's ops server at a free port, starts the bot and
// returns a GET on that server.
func serveOps(h *harness) func(path string) (int, string) {
	t := h.t
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	h.env["BOT_HTTP_ADDR"] = addr
	h.startBot()
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

// With a language model configured, /readyz names it (the base URL
// masked) without depending on it, and /metrics has its series from the
// start.
func TestOpsCompanion(t *testing.T) {
	sim, err := anthropicsim.Start(anthropicsim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	h := newHarness(t, withEnv("BOT_ASH_PROVIDER", "anthropic"), withEnv("BOT_ASH_API_KEY", sim.APIKey()),
		withEnv("BOT_ASH_BASE_URL", strings.Replace(sim.URL(), "http://", "http://proxyuser:proxypass@", 1)))
	get := serveOps(h)
	code, body := get("/readyz")
	for _, want := range []string{`"provider":"anthropic"`, `"model":"claude-sonnet-5-5"`, `"base_url":"http://proxyuser:***@127.0.0.1`, `"calls":0`,
		`"chats":"the model writes the replies"`} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("readyz lacks %s: %d %s", want, code, body)
		}
	}
	if strings.Contains(body, "proxypass") || strings.Contains(body, sim.APIKey()) {
		t.Errorf("readyz shows a secret: %s", body)
	}
	_, body = get("/metrics")
	for _, want := range []string{`ashbot_companion_errors_total{kind="auth",provider="anthropic"} 0`, `ashbot_companion_request_seconds_count{provider="anthropic"} 0`,
		`ashbot_companion_tokens_total{direction="in",provider="anthropic"} 0`, `ashbot_ash_fallbacks_total{kind="timeout"} 0`,
		`ashbot_ash_fallbacks_total{kind="empty"} 0`, `ashbot_ash_active_chats 0`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lacks %s", want)
		}
	}
}

// A BOT_HTTP_ADDR that cannot be bound stops start-up with an error naming
// it, before the bot connects to anything: running without its health
// endpoint, it would be restarted by its orchestrator in a loop.
func TestOpsAddressInUseStopsStartup(t *testing.T) {
	h := newHarness(t)
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	h.env["BOT_HTTP_ADDR"] = busy.Addr().String()
	err = Run(h.ctx(), h.config(), Options{Logger: testLogger(), Clock: h.clock, SpoolPath: h.spool, KeepGatewayOpen: raceEnabled})
	if err == nil || !strings.Contains(err.Error(), "BOT_HTTP_ADDR="+busy.Addr().String()) || !strings.Contains(err.Error(), "address already in use") {
		t.Fatalf("Run = %v, want an error naming BOT_HTTP_ADDR", err)
	}
	if n := len(h.sim.Sessions()); n != 0 {
		t.Errorf("%d gateway sessions opened before the failed start-up", n)
	}
}
