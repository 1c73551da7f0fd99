package app

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// freeAddr is a loopback address nothing listens on yet.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func getOps(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	resp, err := http.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

type readyz struct {
	Ready  bool
	Checks map[string]string
	Info   struct {
		AshNLP string `json:"ash_nlp"`
	}
}

func getReadyz(t *testing.T, addr string) (int, readyz) {
	t.Helper()
	code, body := getOps(t, addr, "/readyz")
	var r readyz
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("readyz %d %s", code, body)
	}
	return code, r
}

// The bot checks Ash-NLP's health once at start-up and shows it on
// /readyz without depending on it; its client's figures are on /metrics.
func TestAshNLPHealthAndMetrics(t *testing.T) {
	sim, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	addr := freeAddr(t)
	h := newHarness(t, withEnv("BOT_NLP_BASE_URL", sim.URL()), withEnv("BOT_HTTP_ADDR", addr))
	h.startBot()

	h.waitFor("the start-up health check", func() bool {
		for _, c := range sim.Calls() {
			if c.Path == "/health" {
				return true
			}
		}
		return false
	})
	if code, r := getReadyz(t, addr); code != 200 || !r.Ready || r.Info.AshNLP != "ok" {
		t.Errorf("readyz %d %+v", code, r)
	}
	sim.Refuse()
	code, r := getReadyz(t, addr)
	if code != 200 || !r.Ready || !strings.Contains(r.Info.AshNLP, "connection refused") || !strings.Contains(r.Info.AshNLP, "breaker closed") {
		t.Errorf("readyz with Ash-NLP down: %d %+v", code, r)
	}
	if _, ok := r.Checks["ash_nlp"]; ok {
		t.Error("ash_nlp is a readiness check")
	}

	code, body := getOps(t, addr, "/metrics")
	for _, want := range []string{
		"ashbot_nlp_breaker_state 0", "ashbot_nlp_requests_total 0", "ashbot_nlp_degraded_total 0",
		`ashbot_nlp_errors_total{kind="timeout"} 0`, `ashbot_nlp_errors_total{kind="breaker_open"} 0`,
	} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestAshNLPOff(t *testing.T) {
	addr := freeAddr(t)
	h := newHarness(t, withEnv("BOT_NLP_BASE_URL", "off"), withEnv("BOT_HTTP_ADDR", addr))
	h.startBot()
	if code, r := getReadyz(t, addr); code != 200 || !r.Ready || !strings.HasPrefix(r.Info.AshNLP, "off") {
		t.Errorf("readyz %d %+v", code, r)
	}
	if _, body := getOps(t, addr, "/metrics"); strings.Contains(body, "ashbot_nlp_") {
		t.Error("Ash-NLP metrics while detection is off")
	}
}
