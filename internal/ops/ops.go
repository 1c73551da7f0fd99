// Package ops serves the running bot's operational endpoints: /healthz
// (the process answers), /readyz (its dependencies answer) and /metrics
// (Prometheus). It owns no state of its own: readiness checks and metrics
// are handed in by whoever wires the process.
package ops

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Check reports whether one dependency can serve.
type Check func(ctx context.Context) error

// Server is the operational HTTP server.
type Server struct {
	srv    *http.Server
	checks map[string]Check
	info   map[string]func() any
	log    *slog.Logger
}

// NewRegistry returns a Prometheus registry with the Go runtime and
// process collectors, for the wiring code to add ashbot's own metrics to.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New returns a server for addr. checks are run by /readyz, each with a
// short timeout, so a hung dependency makes the bot unready, not /readyz.
func New(addr string, reg *prometheus.Registry, checks map[string]Check, log *slog.Logger) *Server {
	s := &Server{checks: checks, info: map[string]func() any{}, log: log}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.srv = &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Inform adds name to the "info" object of /readyz: what f returns when
// asked, shown for operators and never deciding readiness (a model API
// that is down must not take the bot out of service: alerts still go
// out). Call it before Run.
func (s *Server) Inform(name string, f func() any) { s.info[name] = f }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	names := make([]string, 0, len(s.checks))
	for n := range s.checks {
		names = append(names, n)
	}
	sort.Strings(names)
	status := map[string]string{}
	ready := true
	for _, n := range names {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		err := s.checks[n](ctx)
		cancel()
		if err != nil {
			ready = false
			status[n] = err.Error()
			continue
		}
		status[n] = "ok"
	}
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	body := map[string]any{"ready": ready, "checks": status}
	if len(s.info) > 0 {
		info := make(map[string]any, len(s.info))
		for n, f := range s.info {
			info[n] = f()
		}
		body["info"] = info
	}
	json.NewEncoder(w).Encode(body)
}

// Run listens on the address and serves until ctx ends, then shuts down
// within a few seconds. A port that cannot be bound is returned at once.
func (s *Server) Run(ctx context.Context) error {
	ln, err := net.Listen("tcp", s.srv.Addr)
	if err != nil {
		return fmt.Errorf("ops http: %w", err)
	}
	return s.Serve(ctx, ln)
}

// Serve is Run on a listener the caller opened.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	s.log.Info("ops http listening", "addr", ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- s.srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("ops http: %w", err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	if err := s.srv.Shutdown(shutdown); err != nil {
		return fmt.Errorf("ops http shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("ops http: %w", err)
	}
	return nil
}
