package ops

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestEndpoints(t *testing.T) {
	reg := NewRegistry()
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "ashbot_test_total", Help: "test"})
	reg.MustRegister(c)
	c.Add(3)
	redisUp := true
	s := New(reg, map[string]Check{
		"redis": func(context.Context) error {
			if redisUp {
				return nil
			}
			return errors.New("redis: connection refused")
		},
	}, slog.New(slog.DiscardHandler))
	nlpUp := false
	s.Inform("ash_nlp", func(context.Context) error {
		if nlpUp {
			return nil
		}
		return errors.New("ash-nlp health: not ready")
	})
	s.Describe("companion", func() any { return map[string]string{"provider": "scripted"} })
	ln, err := Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	base := "http://" + ln.Addr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}

	for _, alive := range []string{"/healthz", "/health"} {
		if code, body := get(alive); code != 200 || body != "ok\n" {
			t.Errorf("%s %d %q", alive, code, body)
		}
	}
	code, body := get("/readyz")
	var r struct {
		Ready  bool
		Checks map[string]string
		Info   map[string]any
	}
	// An informational check that fails shows, and readiness holds; a
	// described status shows as it is.
	if err := json.Unmarshal([]byte(body), &r); code != 200 || err != nil || !r.Ready || r.Checks["redis"] != "ok" ||
		r.Info["ash_nlp"] != "ash-nlp health: not ready" || len(r.Checks) != 1 ||
		r.Info["companion"].(map[string]any)["provider"] != "scripted" {
		t.Errorf("readyz %d %s", code, body)
	}
	nlpUp = true
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"info":{"ash_nlp":"ok",`) {
		t.Errorf("readyz with ash-nlp up %d %s", code, body)
	}
	redisUp = false
	code, body = get("/readyz")
	if code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("readyz with redis down %d %s", code, body)
	}
	if code, earlier := get("/health/ready"); code != 503 || earlier != body {
		t.Errorf("/health/ready %d %s, want the /readyz answer", code, earlier)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "ashbot_test_total 3") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
