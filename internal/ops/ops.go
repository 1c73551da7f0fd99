// Package ops serves the running bot's operational endpoints: /healthz
// (the process answers), /readyz (its dependencies answer),
// /health/detailed (each component's state, for a person) and /metrics
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
	// info are informational checks: shown by /readyz, never failing it.
	info map[string]Check
	// about are status objects /readyz shows under "info" as they are.
	about map[string]func() any
	// details feeds /health/detailed; nil until Detail is called.
	details *Details
	log     *slog.Logger
}

// NewRegistry returns a Prometheus registry with the Go runtime and
// process collectors, for the wiring code to add ashbot's own metrics to.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// New returns a server; Serve runs it on a listener from Listen. checks
// are run by /readyz, each with a short timeout, so a hung dependency makes
// the bot unready, not /readyz.
func New(reg *prometheus.Registry, checks map[string]Check, log *slog.Logger) *Server {
	s := &Server{checks: checks, info: map[string]Check{}, about: map[string]func() any{}, log: log}
	mux := http.NewServeMux()
	alive := func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	}
	mux.HandleFunc("GET /healthz", alive)
	mux.HandleFunc("GET /readyz", s.readyz)
	// The earlier Ash-Bot's paths, so an existing compose healthcheck
	// (`curl localhost:30881/health`) keeps working after the switch.
	mux.HandleFunc("GET /health", alive)
	mux.HandleFunc("GET /health/ready", s.readyz)
	mux.HandleFunc("GET /health/detailed", s.detailed)
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	return s
}

// Inform adds an informational check: /readyz shows its result under
// "info" but readiness does not depend on it, for a dependency the bot
// works on without (Ash-NLP: alerts from flags go on while it is down).
// Call it before Run or Serve.
func (s *Server) Inform(name string, c Check) {
	s.info[name] = c
}

// Describe adds name to the "info" object of /readyz: what f returns when
// asked, shown for operators and never deciding readiness (a model API
// that is down must not take the bot out of service: alerts still go
// out). Call it before Serve.
func (s *Server) Describe(name string, f func() any) { s.about[name] = f }

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	status, ready := runChecks(r.Context(), s.checks)
	body := map[string]any{"ready": ready, "checks": status}
	if len(s.info)+len(s.about) > 0 {
		checked, _ := runChecks(r.Context(), s.info)
		info := make(map[string]any, len(checked)+len(s.about))
		for n, v := range checked {
			info[n] = v
		}
		for n, f := range s.about {
			info[n] = f()
		}
		body["info"] = info
	}
	w.Header().Set("Content-Type", "application/json")
	if !ready {
		w.WriteHeader(http.StatusServiceUnavailable)
	}
	json.NewEncoder(w).Encode(body)
}

// runChecks runs checks one by one, each bounded by a short timeout, and
// reports "ok" or the error of each, and whether all passed.
func runChecks(ctx context.Context, checks map[string]Check) (map[string]string, bool) {
	names := make([]string, 0, len(checks))
	for n := range checks {
		names = append(names, n)
	}
	sort.Strings(names)
	status := map[string]string{}
	ok := true
	for _, n := range names {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := checks[n](cctx)
		cancel()
		if err != nil {
			ok = false
			status[n] = err.Error()
			continue
		}
		status[n] = "ok"
	}
	return status, ok
}

// Listen binds addr. The process binds it before it declares start-up
// done and hands it to Serve later, so a port in use or not permitted stops
// start-up instead of leaving a bot without its health endpoint.
func Listen(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("ops http: %w", err)
	}
	return ln, nil
}

// Serve serves on ln until ctx ends, then shuts down within a few seconds.
// It closes ln.
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
