package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/ops"
)

// buildNLP makes the Ash-NLP client when detection is on (s.nlp stays nil
// when BOT_NLP_BASE_URL=off) and a worker that checks its health once at
// start-up. A service that is down then is a warning, not a reason to stay
// down: flagged alerts work without it, and detection itself announces
// the outage to the CRT.
func (s *stack) buildNLP(cfg *config.Config) error {
	if !cfg.NLP.Enabled {
		return nil
	}
	// The latency histogram is fed by the client as it calls; the other
	// figures are read from its State when Prometheus scrapes.
	s.nlpLatency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "ashbot_nlp_request_duration_seconds",
		Help:    "Ash-NLP /analyze attempts by outcome (ok or error kind).",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12), // 5ms to about 10s
	}, []string{"outcome"})
	retries := cfg.NLP.Retries
	if retries == 0 {
		retries = -1 // ashnlp reads 0 as "the default"
	}
	c, err := ashnlp.New(ashnlp.Options{
		BaseURL: cfg.NLP.BaseURL, Timeout: cfg.NLP.Timeout, Retries: retries, RetryDelay: cfg.NLP.RetryDelay,
		BreakerFailures: uint32(cfg.NLP.BreakerFailures), BreakerTimeout: cfg.NLP.BreakerTimeout,
		BreakerSuccesses: uint32(cfg.NLP.BreakerSuccesses),
		Observe: func(d time.Duration, k ashnlp.ErrorKind) {
			s.nlpLatency.WithLabelValues(outcome(k)).Observe(d.Seconds())
			s.nlpLast.Store(int64(d))
		},
		Logger: s.log,
	})
	if err != nil {
		return err
	}
	s.nlp = c
	s.nlpChecked = make(chan error, 1)
	s.workers = append(s.workers, s.checkNLPOnce)
	return nil
}

func outcome(k ashnlp.ErrorKind) string {
	if k == "" {
		return "ok"
	}
	return string(k)
}

// checkNLPOnce is the start-up health check. A failure while detection
// depends on Ash-NLP marks detection down, which the CRT is told at once,
// rather than at the first message that goes unclassified.
func (s *stack) checkNLPOnce(ctx context.Context) {
	err := s.nlp.Health(ctx)
	s.nlpChecked <- err
	if err != nil {
		if ctx.Err() == nil {
			if !s.intakeUsesNLP {
				s.log.Warn("ash-nlp is not ready at start-up", "error", err.Error())
				return
			}
			s.log.Warn("ash-nlp is not ready at start-up: automatic detection is down until it answers", "error", err.Error())
			s.intake.DownAtStart()
		}
		return
	}
	s.log.Info("ash-nlp ready")
}

// nlpCheck is /readyz's informational "ash_nlp" entry: the service's
// health and the breaker, without failing readiness.
func (s *stack) nlpCheck(ctx context.Context) error {
	if s.nlp == nil {
		return errors.New("off (BOT_NLP_BASE_URL=off)")
	}
	if err := s.nlp.Health(ctx); err != nil {
		return fmt.Errorf("%w (breaker %s)", err, s.nlp.BreakerState())
	}
	if b := s.nlp.BreakerState(); b != "closed" {
		return fmt.Errorf("healthy, but the circuit breaker is %s", b)
	}
	return nil
}

// breakerStates are the gauge's values, in gobreaker's order.
var breakerStates = map[string]float64{"closed": 0, "half-open": 1, "open": 2}

// nlpMetrics registers the Ash-NLP client's figures and the readiness
// entry; nothing when detection is off.
func (s *stack) nlpMetrics(reg *prometheus.Registry, srv *ops.Server) {
	srv.Inform("ash_nlp", s.nlpCheck)
	c := s.nlp
	if c == nil {
		return
	}
	reg.MustRegister(s.nlpLatency)
	counter := func(name, help string, labels prometheus.Labels, f func(ashnlp.Counts) uint64) {
		reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: labels},
			func() float64 { return float64(f(c.State().Counts)) }))
	}
	counter("ashbot_nlp_requests_total", "Messages sent to Ash-NLP for classification.", nil, func(n ashnlp.Counts) uint64 { return n.Requests })
	counter("ashbot_nlp_retries_total", "Ash-NLP attempts after the first (timeouts, connection errors, 5xx).", nil, func(n ashnlp.Counts) uint64 { return n.Retries })
	counter("ashbot_nlp_degraded_total", "Classifications Ash-NLP answered degraded (fewer models than usual).", nil, func(n ashnlp.Counts) uint64 { return n.Degraded })
	for _, k := range ashnlp.Kinds {
		counter("ashbot_nlp_errors_total", "Messages Ash-NLP could not classify, by the kind of the last error.",
			prometheus.Labels{"kind": string(k)}, func(n ashnlp.Counts) uint64 { return n.Errors[k] })
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "ashbot_nlp_breaker_state", Help: "Ash-NLP circuit breaker: 0 closed, 1 half-open, 2 open.",
	}, func() float64 { return breakerStates[c.BreakerState()] }))
}
