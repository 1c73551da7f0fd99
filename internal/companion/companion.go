// Package companion owns the language models behind Ash: what one request
// to a model and its reply are (Request, Turn, Reply), how a failure is
// classified (Kind, Error), and what every call costs and how it went
// (Metrics). The providers live in subpackages, one per API:
//
//   - anthropic: Claude through Anthropic's Messages API and official SDK;
//   - openai: any OpenAI-compatible chat-completions server (Ollama, vLLM,
//     llama.cpp's server, LM Studio) through OpenAI's official SDK.
//
// The conversation that decides what to send (persona, context budget,
// safety rules) is not here: it is Ash's (package ash), which declares the
// interface it calls. This package and its subpackages never see a Discord
// id, and never log or count the text they carry.
package companion

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// Role says who spoke a Turn.
type Role string

// Roles of a conversation. The system prompt is not a turn: it travels in
// Request.System, which both APIs keep apart from the turns.
const (
	User      Role = "user"
	Assistant Role = "assistant"
)

// Turn is one message of the conversation.
type Turn struct {
	Role Role
	Text string
}

// Request is one call to a model.
type Request struct {
	// System is the system prompt (persona and rules); may be empty.
	System string
	// Turns alternate user and assistant, starting and ending with a user
	// turn, none of them empty. The APIs would merge or continue other
	// shapes; a conversation that sends one has a bug, so it is refused.
	Turns []Turn
	// MaxTokens bounds the reply; zero uses the provider's configured one
	// (BOT_ASH_MAX_TOKENS).
	MaxTokens int
}

// Validate reports a request no provider would accept, before it costs a
// round trip.
// Prepare checks r before it costs a call and returns the token budget
// to ask for (r.MaxTokens, else def): what every provider does first.
func (r Request) Prepare(provider string, def int) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, &Error{Provider: provider, Kind: BadRequest, Err: err}
	}
	if r.MaxTokens == 0 {
		return def, nil
	}
	return r.MaxTokens, nil
}

func (r Request) Validate() error {
	if len(r.Turns) == 0 {
		return errors.New("companion: a request needs at least one turn")
	}
	if r.MaxTokens < 0 {
		return fmt.Errorf("companion: max tokens %d is negative", r.MaxTokens)
	}
	for i, t := range r.Turns {
		want := User
		if i%2 == 1 {
			want = Assistant
		}
		if t.Role != want {
			return fmt.Errorf("companion: turn %d is %q, want %q (turns alternate, starting with the user)", i, t.Role, want)
		}
		if strings.TrimSpace(t.Text) == "" {
			return fmt.Errorf("companion: turn %d is empty", i)
		}
	}
	if r.Turns[len(r.Turns)-1].Role != User {
		return errors.New("companion: the last turn must be the user's")
	}
	return nil
}

// Usage is what a call cost in tokens, as the provider counted them.
type Usage struct {
	InputTokens, OutputTokens int
}

// Stop reasons, normalised across providers. Anything else a provider
// reports is passed through as it came.
const (
	StopEnd       = "end_turn"   // the model finished (OpenAI's "stop")
	StopMaxTokens = "max_tokens" // cut at MaxTokens (OpenAI's "length")
	StopRefusal   = "refusal"    // the model declined (OpenAI's "content_filter")
)

// Reply is a model's answer. Text may be empty (a refusal, or a reply cut
// at zero tokens): the caller decides what the person sees then.
type Reply struct {
	Text       string
	Usage      Usage
	StopReason string
	// Attempts counts the HTTP requests the call took, retries included.
	Attempts int
}

// Kind classifies a failed call by what the caller should do about it.
type Kind string

// Kinds of failure.
const (
	// RateLimited (429) and Overloaded (Anthropic's 529, or 503) were
	// retried by the SDK as long as retry-after and the reply timeout
	// allowed; the person gets the fallback text.
	RateLimited Kind = "rate_limited"
	Overloaded  Kind = "overloaded"
	// Server (other 5xx), Timeout (the reply timeout passed) and
	// Unreachable (no HTTP answer at all) get the fallback text.
	Server      Kind = "server"
	Timeout     Kind = "timeout"
	Unreachable Kind = "unreachable"
	// Auth (401, 403) means the key is wrong or revoked: retrying cannot
	// help, and Ash should switch to its scripted texts.
	Auth Kind = "auth"
	// BadRequest (other 4xx) is a request the API refused: a bug or a
	// setting (model name) to fix, never worth retrying as it is.
	BadRequest Kind = "bad_request"
	// Canceled means the caller gave up (shutdown); not the model's fault.
	Canceled Kind = "canceled"
)

// Kinds lists every Kind, for metrics that show zero counts too.
func Kinds() []Kind {
	return []Kind{RateLimited, Overloaded, Server, Timeout, Unreachable, Auth, BadRequest, Canceled}
}

// Error is a failed call. Its text names the provider, the kind and the
// HTTP status and API error type, never the request, the URL or the
// response body: the SDKs' own errors carry those, and a base URL may hold
// credentials. The SDK's error stays reachable with errors.As.
type Error struct {
	Provider string
	Kind     Kind
	Status   int    // HTTP status of the last answer; 0 without one
	Type     string // the API's error type (rate_limit_error, invalid_api_key...), if it said
	Attempts int    // HTTP requests made, retries included
	Err      error
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s", e.Provider, e.Kind)
	if e.Status != 0 {
		fmt.Fprintf(&b, " (HTTP %d", e.Status)
		if e.Type != "" {
			fmt.Fprintf(&b, " %s", e.Type)
		}
		b.WriteString(")")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " after %d attempts", e.Attempts)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf returns the Kind of err, or "" when err is nil or not a
// companion Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return ""
}

// KindForStatus classifies an HTTP error status.
func KindForStatus(status int) Kind {
	switch {
	case status == http.StatusTooManyRequests:
		return RateLimited
	case status == 529 || status == http.StatusServiceUnavailable:
		return Overloaded
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return Auth
	case status == http.StatusRequestTimeout || status == http.StatusGatewayTimeout:
		return Timeout
	case status >= 500:
		return Server
	default:
		return BadRequest
	}
}

// Classify turns the error of an SDK call into an Error. status and
// apiType come from the SDK's API error when there was one; attempts holds
// what the call's Attempts recorded. ctx is the call's context: when it
// ended, the call timed out or was canceled, even if the SDK was waiting
// out a retry-after at the time (then the last answer's status says so,
// and it is kept for the record).
func Classify(ctx context.Context, provider string, err error, status int, apiType string, attempts *Attempts) *Error {
	e := &Error{Provider: provider, Status: status, Type: apiType, Attempts: attempts.Count(), Err: err}
	last := attempts.LastStatus()
	switch {
	case status != 0:
		e.Kind = KindForStatus(status)
	case errors.Is(ctx.Err(), context.Canceled) || errors.Is(err, context.Canceled):
		e.Kind, e.Status = Canceled, last
	case ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		e.Kind, e.Status = Timeout, last
		if last == http.StatusTooManyRequests || last == 529 {
			// Out of time while waiting out a retry-after: the API's
			// answer is the cause, not a slow model.
			e.Kind = KindForStatus(last)
		}
	default:
		e.Kind = Unreachable
	}
	return e
}

// Attempts counts the HTTP requests of one call and remembers the last
// status, through the SDKs' middleware, which sees every retry.
type Attempts struct {
	n, last atomic.Int64
}

type attemptsKey struct{}

// WithAttempts returns a context whose calls are counted in the returned
// Attempts.
func WithAttempts(ctx context.Context) (context.Context, *Attempts) {
	a := &Attempts{}
	return context.WithValue(ctx, attemptsKey{}, a), a
}

// Middleware has the shape of both SDKs' option.Middleware: it counts each
// attempt of the call whose context carries an Attempts.
func Middleware(req *http.Request, next func(*http.Request) (*http.Response, error)) (*http.Response, error) {
	a, _ := req.Context().Value(attemptsKey{}).(*Attempts)
	res, err := next(req)
	if a != nil {
		a.n.Add(1)
		if res != nil {
			a.last.Store(int64(res.StatusCode))
		}
	}
	return res, err
}

// Count is the number of requests made.
func (a *Attempts) Count() int {
	if a == nil {
		return 0
	}
	return int(a.n.Load())
}

// LastStatus is the status of the last answer, 0 without one.
func (a *Attempts) LastStatus() int {
	if a == nil {
		return 0
	}
	return int(a.last.Load())
}

// Settings are what every provider is built from.
type Settings struct {
	Model     string
	MaxTokens int
	// APIKey may be empty for an OpenAI-compatible server without auth.
	APIKey string
	// BaseURL is the API's root; empty uses the provider's own.
	BaseURL string
	// Timeout bounds one call, retries included (BOT_ASH_REPLY_TIMEOUT).
	Timeout time.Duration
	// MaxRetries is how often the SDK retries 408, 409, 429 and 5xx
	// answers and connection errors; nil keeps the SDK's default (2).
	MaxRetries *int
	// Metrics counts the calls; nil counts nothing.
	Metrics *Metrics
}

// Check reports settings no provider can work with.
func (s Settings) Check() error {
	if strings.TrimSpace(s.Model) == "" {
		return errors.New("companion: no model named")
	}
	if s.MaxTokens <= 0 {
		return fmt.Errorf("companion: max tokens must be positive, not %d", s.MaxTokens)
	}
	if s.Timeout <= 0 {
		return fmt.Errorf("companion: timeout must be positive, not %v", s.Timeout)
	}
	if s.MaxRetries != nil && *s.MaxRetries < 0 {
		return fmt.Errorf("companion: max retries must not be negative, not %d", *s.MaxRetries)
	}
	return nil
}

// maxIdlePerHost is how many idle connections to the model API are kept:
// enough for the chats that run at once in a community, where Go's default
// of two would make most replies pay a new TCP and TLS handshake.
const maxIdlePerHost = 64

// NewHTTPClient is the HTTP client of every provider. Timeouts come from
// each call's context (Settings.Timeout), not from the client.
func NewHTTPClient() *http.Client {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return &http.Client{Transport: http.DefaultTransport}
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = maxIdlePerHost
	return &http.Client{Transport: t}
}
