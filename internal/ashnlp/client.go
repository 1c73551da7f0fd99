package ashnlp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/sony/gobreaker/v2"
)

// Options configure a Client. Zero durations and counts take the defaults
// of BOT_NLP_* and BOT_CB_NLP_* (see internal/config).
type Options struct {
	// BaseURL is the service's root, e.g. http://ash-nlp:30880.
	BaseURL string
	// Timeout bounds each HTTP attempt (default 5s).
	Timeout time.Duration
	// Retries is how many times a timeout, connection error or 5xx is
	// tried again (so at most Retries+1 attempts). Negative means none;
	// zero takes the default, 2.
	Retries int
	// RetryDelay is the first wait between attempts (default 1s); each
	// later wait doubles, every wait varied by ±RetryJitter.
	RetryDelay time.Duration
	// BreakerFailures consecutive failed attempts open the breaker
	// (default 5); after BreakerTimeout (default 30s) it lets
	// BreakerSuccesses attempts through (default 2), and closes when they
	// all succeed.
	BreakerFailures  uint32
	BreakerTimeout   time.Duration
	BreakerSuccesses uint32
	// HTTPClient makes the calls (default: a client of its own; Timeout is
	// applied per attempt through the request's context either way).
	HTTPClient *http.Client
	// Observe, when set, hears of every HTTP attempt to /analyze: how long
	// it took and its error kind ("" on success), for the latency metric.
	Observe func(d time.Duration, kind ErrorKind)
	// Now stamps State's times (default time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// RetryJitter is how far each retry wait may stray from the doubling
// sequence, so replicas that failed together do not retry together.
const RetryJitter = 0.2

const (
	defaultTimeout          = 5 * time.Second
	defaultRetries          = 2
	defaultRetryDelay       = time.Second
	defaultBreakerFailures  = 5
	defaultBreakerTimeout   = 30 * time.Second
	defaultBreakerSuccesses = 2
	// maxBody bounds what is read of an answer: a real one is a few KB.
	maxBody = 1 << 20
)

// Client calls Ash-NLP. It is safe for concurrent use.
type Client struct {
	analyzeURL, healthURL string
	opts                  Options
	http                  *http.Client
	breaker               *gobreaker.CircuitBreaker[Result]
	log                   *slog.Logger
	stats                 stats
}

// New checks the options and returns a client. It makes no call.
func New(o Options) (*Client, error) {
	u, err := url.Parse(strings.TrimSpace(o.BaseURL))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("ash-nlp: base URL %q must be an http:// or https:// URL", o.BaseURL)
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	switch {
	case o.Retries == 0:
		o.Retries = defaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.RetryDelay <= 0 {
		o.RetryDelay = defaultRetryDelay
	}
	if o.BreakerFailures == 0 {
		o.BreakerFailures = defaultBreakerFailures
	}
	if o.BreakerTimeout <= 0 {
		o.BreakerTimeout = defaultBreakerTimeout
	}
	if o.BreakerSuccesses == 0 {
		o.BreakerSuccesses = defaultBreakerSuccesses
	}
	if o.HTTPClient == nil {
		// Its own pool, wide enough for the detection side's concurrent
		// calls (the default keeps 2 idle connections per host).
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		o.HTTPClient = &http.Client{Transport: tr}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	base := strings.TrimRight(u.String(), "/")
	c := &Client{analyzeURL: base + "/analyze", healthURL: base + "/health", opts: o, http: o.HTTPClient, log: o.Logger}
	c.stats.errors = map[ErrorKind]uint64{}
	failures := o.BreakerFailures
	c.breaker = gobreaker.NewCircuitBreaker[Result](gobreaker.Settings{
		Name:        "ash-nlp",
		MaxRequests: o.BreakerSuccesses,
		Timeout:     o.BreakerTimeout,
		ReadyToTrip: func(n gobreaker.Counts) bool { return n.ConsecutiveFailures >= failures },
		// The service answered: it is up, whatever it thought of the request.
		IsSuccessful: func(err error) bool { return err == nil || kindOf(err).clientSide() },
		// The caller gave up (shutdown, its own deadline): says nothing
		// about the service.
		IsExcluded: func(err error) bool { return kindOf(err) == KindCanceled },
		OnStateChange: func(_ string, from, to gobreaker.State) {
			// Called under the breaker's lock: log only.
			c.log.Warn("ash-nlp circuit breaker", "from", from.String(), "to", to.String())
		},
	})
	return c, nil
}

// Analyze classifies one message. Timeouts, connection errors and 5xx are
// retried with backoff; a 4xx is returned at once as a *StatusError.
// While the breaker is open it returns an error wrapping ErrBreakerOpen
// without calling. Any error means the message was not classified.
func (c *Client) Analyze(ctx context.Context, r Request) (Result, error) {
	body, err := json.Marshal(wireRequest(r))
	if err != nil {
		return Result{}, fmt.Errorf("ash-nlp: encode request: %w", err)
	}
	c.stats.request()
	attempts := 0
	var last error // the last attempt's error, while retrying
	res, err := backoff.Retry(ctx, func() (Result, error) {
		attempts++
		if attempts > 1 {
			c.stats.retry()
		}
		res, err := c.breaker.Execute(func() (Result, error) { return c.attempt(ctx, body) })
		if errors.Is(err, gobreaker.ErrTooManyRequests) {
			// Half-open, with every trial call in flight: they end within
			// the per-attempt timeout and most likely close the breaker,
			// so wait for them as for a 5xx. Refused at once, the message
			// would count as an outage just as the service came back (a
			// backlog drained after an outage sends several at once).
			return Result{}, &kindError{kind: KindBreakerOpen, err: ErrBreakerOpen}
		}
		if errors.Is(err, gobreaker.ErrOpenState) {
			if last != nil {
				// The breaker opened while retrying: the service's own
				// error says more, and ErrBreakerOpen promises no call.
				return Result{}, backoff.Permanent(last)
			}
			err = &kindError{kind: KindBreakerOpen, err: ErrBreakerOpen}
		}
		last = err
		if err != nil && !kindOf(err).retryable() {
			return res, backoff.Permanent(err)
		}
		return res, err
	},
		backoff.WithBackOff(&backoff.ExponentialBackOff{
			InitialInterval:     c.opts.RetryDelay,
			RandomizationFactor: RetryJitter,
			Multiplier:          2,
			MaxInterval:         time.Minute,
		}),
		backoff.WithMaxTries(uint(c.opts.Retries)+1),
		backoff.WithMaxElapsedTime(0),
	)
	if err != nil {
		// A cancelled ctx during a wait comes back bare from Retry.
		if kindOf(err) == "" {
			err = &kindError{kind: KindCanceled, err: err}
		}
		c.stats.failed(kindOf(err), c.opts.Now())
		return Result{}, err
	}
	c.stats.succeeded(res.IsDegraded, c.opts.Now())
	return res, nil
}

// attempt is one POST /analyze, bounded by the per-attempt timeout.
func (c *Client) attempt(ctx context.Context, body []byte) (Result, error) {
	began := time.Now()
	res, err := c.post(ctx, body)
	if c.opts.Observe != nil {
		c.opts.Observe(time.Since(began), kindOf(err))
	}
	return res, err
}

func (c *Client) post(ctx context.Context, body []byte) (Result, error) {
	actx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(actx, http.MethodPost, c.analyzeURL, bytes.NewReader(body))
	if err != nil {
		return Result{}, &kindError{kind: KindBadResponse, err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return Result{}, c.transportError(ctx, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return Result{}, c.transportError(ctx, err)
	}
	if resp.StatusCode != http.StatusOK {
		return Result{}, c.statusError(resp.StatusCode, raw)
	}
	res, err := decodeResult(raw)
	if err != nil {
		return Result{}, &kindError{kind: KindBadResponse, err: err}
	}
	return res, nil
}

// transportError sorts a failed call into a caller's cancellation, our
// timeout or a connection error.
func (c *Client) transportError(ctx context.Context, err error) error {
	switch {
	case ctx.Err() != nil:
		return &kindError{kind: KindCanceled, err: fmt.Errorf("ash-nlp: %w", context.Cause(ctx))}
	case errors.Is(err, context.DeadlineExceeded):
		return &kindError{kind: KindTimeout, err: fmt.Errorf("ash-nlp: no answer within %v: %w", c.opts.Timeout, err)}
	}
	return &kindError{kind: KindConnection, err: fmt.Errorf("ash-nlp: %w", err)}
}

// statusError turns an answer other than 200 into a *StatusError. A 422
// means ashbot sent what the API forbids: a bug, logged for a report. The
// body is never logged as it is, since FastAPI echoes the input (the
// member's message) in it.
func (c *Client) statusError(code int, raw []byte) error {
	se := &StatusError{Code: code, Detail: safeDetail(code, raw)}
	kind := KindStatus5xx
	switch {
	case code == http.StatusUnprocessableEntity:
		kind = KindInvalidRequest
		c.log.Error("ash-nlp rejected a request as invalid: this is a bug in ashbot, please report it",
			"status", code, "detail", se.Detail)
	case code >= 400 && code < 500:
		kind = KindStatus4xx
		c.log.Warn("ash-nlp refused a request", "status", code, "detail", se.Detail)
	case code < 500:
		// Another 2xx, or a 3xx the client did not follow: no answer either.
		kind = KindBadResponse
	}
	return &kindError{kind: kind, err: se}
}

// Health asks GET /health once, without retries and outside the breaker:
// nil when the service answers 200 with {"ready": true}.
func (c *Client) Health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, c.opts.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.healthURL, nil)
	if err != nil {
		return fmt.Errorf("ash-nlp health: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ash-nlp health: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return fmt.Errorf("ash-nlp health: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ash-nlp health: not ready: HTTP %d", resp.StatusCode)
	}
	var h struct {
		Ready *bool `json:"ready"`
	}
	if err := json.Unmarshal(raw, &h); err != nil || h.Ready == nil {
		return errors.New("ash-nlp health: answer has no \"ready\" field")
	}
	if !*h.Ready {
		return errors.New("ash-nlp health: not ready")
	}
	return nil
}

// BreakerState is the circuit breaker's state: closed, half-open or open.
func (c *Client) BreakerState() string {
	return c.breaker.State().String()
}
