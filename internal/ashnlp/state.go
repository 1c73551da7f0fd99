package ashnlp

import (
	"errors"
	"maps"
	"sync"
	"time"
)

// ErrorKind sorts failed calls for metrics, State and the caller's notice
// to the CRT. It never carries a message's text.
type ErrorKind string

// Error kinds. Timeouts, connection errors and 5xx are retried; the rest
// are not.
const (
	KindTimeout        ErrorKind = "timeout"    // no answer within the per-attempt timeout
	KindConnection     ErrorKind = "connection" // refused, reset, DNS and the like
	KindStatus5xx      ErrorKind = "status_5xx"
	KindStatus4xx      ErrorKind = "status_4xx"      // other than 422
	KindInvalidRequest ErrorKind = "invalid_request" // 422: ashbot sent what the API forbids
	KindBadResponse    ErrorKind = "bad_response"    // 200 that cannot be read, or no answer at all
	KindBreakerOpen    ErrorKind = "breaker_open"    // not called: the breaker is open
	KindCanceled       ErrorKind = "canceled"        // the caller's context ended
)

// Kinds lists every ErrorKind, for metrics that show zeros too.
var Kinds = []ErrorKind{
	KindTimeout, KindConnection, KindStatus5xx, KindStatus4xx, KindInvalidRequest,
	KindBadResponse, KindBreakerOpen, KindCanceled,
}

func (k ErrorKind) retryable() bool {
	return k == KindTimeout || k == KindConnection || k == KindStatus5xx
}

// clientSide kinds are the service saying no to the request: it is up.
func (k ErrorKind) clientSide() bool {
	return k == KindStatus4xx || k == KindInvalidRequest
}

// KindOf is the kind of an error returned by Analyze, "" for nil or an
// error that did not come from a Client.
func KindOf(err error) ErrorKind { return kindOf(err) }

func kindOf(err error) ErrorKind {
	var k *kindError
	if errors.As(err, &k) {
		return k.kind
	}
	return ""
}

// kindError tags an error with its kind; errors.Is and errors.As reach
// through it to ErrBreakerOpen, *StatusError or the transport's error.
type kindError struct {
	kind ErrorKind
	err  error
}

func (e *kindError) Error() string { return e.err.Error() }
func (e *kindError) Unwrap() error { return e.err }

// State is a snapshot of the client for /readyz, /metrics and the
// detection side's notices.
type State struct {
	// Breaker is closed, half-open or open.
	Breaker string
	// LastErrorKind and LastErrorAt describe the last failed Analyze
	// (zero before the first); no text, which could hold a URL's secrets
	// or the service's echo of a message.
	LastErrorKind ErrorKind
	LastErrorAt   time.Time
	// LastSuccessAt is when Analyze last returned a classification.
	LastSuccessAt time.Time
	Counts        Counts
}

// Counts are totals since the client was built.
type Counts struct {
	Requests  uint64 // Analyze calls
	Retries   uint64 // attempts after the first
	Succeeded uint64 // Analyze calls that returned a classification
	Degraded  uint64 // of which is_degraded
	Failed    uint64 // Analyze calls that returned an error
	// Errors counts failed Analyze calls by kind of their last error.
	Errors map[ErrorKind]uint64
}

// State returns a snapshot; safe to call at any time.
func (c *Client) State() State {
	s := c.stats.snapshot()
	s.Breaker = c.BreakerState()
	return s
}

type stats struct {
	mu    sync.Mutex
	state State
	// errors is State.Counts.Errors, copied out by snapshot.
	errors map[ErrorKind]uint64
}

func (s *stats) request() {
	s.mu.Lock()
	s.state.Counts.Requests++
	s.mu.Unlock()
}

func (s *stats) retry() {
	s.mu.Lock()
	s.state.Counts.Retries++
	s.mu.Unlock()
}

func (s *stats) succeeded(degraded bool, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Counts.Succeeded++
	if degraded {
		s.state.Counts.Degraded++
	}
	s.state.LastSuccessAt = at
}

func (s *stats) failed(kind ErrorKind, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.Counts.Failed++
	s.errors[kind]++
	s.state.LastErrorKind, s.state.LastErrorAt = kind, at
}

func (s *stats) snapshot() State {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.state
	st.Counts.Errors = maps.Clone(s.errors)
	return st
}
