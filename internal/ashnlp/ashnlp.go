// Package ashnlp is ashbot's client for Ash-NLP, the community's crisis
// classifier (shared/spec/ash-nlp-api.md): POST /analyze and GET /health,
// with a timeout per call, retries on timeouts, connection errors and 5xx
// only, and a circuit breaker that stops calling a failing service for a
// while. It knows nothing of Discord or alerts; internal/detection decides
// what a classification means.
package ashnlp

import (
	"errors"
	"fmt"
	"time"
)

// Request is one message to classify (the body of POST /analyze, less the
// fields the client fills itself: include_explanation and verbosity).
type Request struct {
	// Message is the text, 1 to MaxMessageChars characters, not only
	// whitespace; the service answers 422 otherwise, so callers never send
	// such text (attachment-only messages are skipped before this).
	Message   string
	UserID    string // optional
	ChannelID string // optional
	// History is the person's recent messages, oldest first, at most
	// MaxHistory items.
	History []HistoryItem
	// UserTimezone is an optional IANA zone name.
	UserTimezone string
}

// HistoryItem is one earlier message sent as context.
type HistoryItem struct {
	Message     string
	Timestamp   time.Time
	CrisisScore *float64 // optional
	MessageID   string   // optional
}

// Limits of POST /analyze (ash-nlp-api.md).
const (
	MaxMessageChars = 10000
	MaxHistory      = 20
)

// Result is what ashbot reads of an /analyze answer.
type Result struct {
	CrisisDetected       bool
	Severity             string // safe, low, medium, high or critical
	Confidence           float64
	CrisisScore          float64
	RequiresIntervention bool
	RecommendedAction    string
	RequestID            string
	ProcessingTimeMS     float64
	// IsDegraded is true when the service answered with fewer models than
	// usual: the answer is used, and counted.
	IsDegraded      bool
	DecisionSummary string   // explanation.decision_summary, may be empty
	KeyFactors      []string // explanation.key_factors, may be empty
}

// Client (client.go) has Analyze and Health; in its consumer's words:
//
//	Analyze(ctx context.Context, r Request) (Result, error)
//	Health(ctx context.Context) error
//
// Any error from Analyze means the message was not classified: the caller
// must never take it as safe. errors.Is(err, ErrBreakerOpen) tells that
// no call was made at all; errors.As(err, *StatusError) with a 4xx code
// tells that retrying the same request cannot help.

// ErrBreakerOpen is returned without calling the service while the
// circuit breaker is open.
var ErrBreakerOpen = errors.New("ash-nlp: circuit breaker open")

// StatusError is an answer other than 200 from the service.
type StatusError struct {
	Code int
	// Detail is safe to log: for a 422 the field and type of each
	// problem ("body.message: string_too_long"), otherwise the body's
	// "detail" when it is a string, cut to 200 characters. It never holds
	// the rest of the body, where FastAPI echoes the message text.
	Detail string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("ash-nlp: HTTP %d: %s", e.Code, e.Detail)
}
