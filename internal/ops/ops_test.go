package ops

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
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
	s := New("127.0.0.1:0", reg, map[string]Check{
		"redis": func(context.Context) error {
			if redisUp {
				return nil
			}
			return errors.New("redis: connection refused")
		},
	}, slog.New(slog.DiscardHandler))
	s.Inform("companion", func() any { return map[string]string{"provider": "scripted"} })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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

	if code, body := get("/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("healthz %d %q", code, body)
	}
	code, body := get("/readyz")
	var r struct {
		Ready  bool
		Checks map[string]string
		Info   map[string]map[string]string
	}
	if err := json.Unmarshal([]byte(body), &r); code != 200 || err != nil || !r.Ready || r.Checks["redis"] != "ok" ||
		r.Info["companion"]["provider"] != "scripted" {
		t.Errorf("readyz %d %s", code, body)
	}
	redisUp = false
	code, body = get("/readyz")
	if code != 503 || !strings.Contains(body, "connection refused") {
		t.Errorf("readyz with redis down %d %s", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "ashbot_test_total 3") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("metrics %d", code)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
