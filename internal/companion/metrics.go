package companion

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics counts a provider's calls for /metrics and remembers how the
// last one went for /readyz. It never sees the text of a call.
type Metrics struct {
	latency  prometheus.Observer
	tokensIn prometheus.Counter
	tokensOu prometheus.Counter
	retries  prometheus.Counter
	errors   map[Kind]prometheus.Counter

	mu     sync.Mutex
	health Health
}

// Health is how the provider's calls have gone lately.
type Health struct {
	Calls    int64 // calls so far
	Failures int64 // failed calls so far
	// Consecutive counts the failures since the last success.
	Consecutive int64
	// LastResult is "ok" or the Kind of the last call's failure; empty
	// before the first call.
	LastResult string
	LastAt     time.Time
	// LastFailure is the Kind of the last failed call, kept after a
	// success; empty before the first failure.
	LastFailure   string
	LastFailureAt time.Time
}

// latencyBuckets spread around the usual reply time of a chat model (one
// to a few seconds) up to the longest reply timeout worth waiting.
var latencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60}

// NewMetrics registers the metrics of provider on reg:
//
//	ashbot_companion_request_seconds{provider}   histogram, every call, retries included
//	ashbot_companion_tokens_total{provider,direction="in"|"out"}
//	ashbot_companion_retries_total{provider}     HTTP requests beyond the first
//	ashbot_companion_errors_total{provider,kind} failed calls by Kind
func NewMetrics(reg prometheus.Registerer, provider string) (*Metrics, error) {
	labels := prometheus.Labels{"provider": provider}
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "ashbot_companion_request_seconds", Help: "Time of one call to Ash's language model, retries included.",
		Buckets: latencyBuckets, ConstLabels: labels,
	})
	tokens := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ashbot_companion_tokens_total", Help: "Tokens sent to (in) and received from (out) Ash's language model.", ConstLabels: labels,
	}, []string{"direction"})
	retries := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "ashbot_companion_retries_total", Help: "Requests to Ash's language model beyond the first of a call (SDK retries).", ConstLabels: labels,
	})
	errs := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "ashbot_companion_errors_total", Help: "Failed calls to Ash's language model, by kind.", ConstLabels: labels,
	}, []string{"kind"})
	for _, c := range []prometheus.Collector{latency, tokens, retries, errs} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("companion metrics: %w", err)
		}
	}
	m := &Metrics{
		latency: latency, retries: retries, errors: map[Kind]prometheus.Counter{},
		tokensIn: tokens.WithLabelValues("in"), tokensOu: tokens.WithLabelValues("out"),
	}
	// Every kind shows from the start, so a rate of errors{kind="auth"}
	// works before the first one.
	for _, k := range Kinds() {
		m.errors[k] = errs.WithLabelValues(string(k))
	}
	return m, nil
}

// Record counts one call that took took and ended with reply or err
// (an *Error, as the providers return). A nil Metrics records nothing.
func (m *Metrics) Record(at time.Time, took time.Duration, reply Reply, err error) {
	if m == nil {
		return
	}
	m.latency.Observe(took.Seconds())
	attempts := reply.Attempts
	m.mu.Lock()
	defer m.mu.Unlock()
	m.health.Calls++
	m.health.LastAt = at
	if err != nil {
		kind := KindOf(err)
		if kind == "" {
			kind = Unreachable
		}
		if c, ok := m.errors[kind]; ok {
			c.Inc()
		}
		if e := (*Error)(nil); errors.As(err, &e) {
			attempts = e.Attempts
		}
		m.health.Failures++
		m.health.Consecutive++
		m.health.LastResult = string(kind)
		m.health.LastFailure, m.health.LastFailureAt = string(kind), at
	} else {
		m.tokensIn.Add(float64(reply.Usage.InputTokens))
		m.tokensOu.Add(float64(reply.Usage.OutputTokens))
		m.health.Consecutive = 0
		m.health.LastResult = "ok"
	}
	if attempts > 1 {
		m.retries.Add(float64(attempts - 1))
	}
}

// Health returns how the calls have gone so far.
func (m *Metrics) Health() Health {
	if m == nil {
		return Health{}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.health
}
