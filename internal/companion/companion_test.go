package companion

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestValidate(t *testing.T) {
	u := func(s string) Turn { return Turn{Role: User, Text: s} }
	a := func(s string) Turn { return Turn{Role: Assistant, Text: s} }
	for name, c := range map[string]struct {
		req Request
		ok  bool
	}{
		"one user turn":           {Request{Turns: []Turn{u("hi")}}, true},
		"three turns":             {Request{Turns: []Turn{u("hi"), a("hello"), u("well")}}, true},
		"no turns":                {Request{}, false},
		"assistant first":         {Request{Turns: []Turn{a("hi"), u("x")}}, false},
		"two user turns in a row": {Request{Turns: []Turn{u("a"), u("b")}}, false},
		"ends with the assistant": {Request{Turns: []Turn{u("a"), a("b")}}, false},
		"empty turn":              {Request{Turns: []Turn{u("  ")}}, false},
		"negative max tokens":     {Request{Turns: []Turn{u("a")}, MaxTokens: -1}, false},
	} {
		if err := c.req.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate() = %v, want ok=%v", name, err, c.ok)
		}
	}
}

func TestKindForStatus(t *testing.T) {
	for status, want := range map[int]Kind{429: RateLimited, 529: Overloaded, 503: Overloaded, 401: Auth, 403: Auth,
		500: Server, 502: Server, 504: Timeout, 408: Timeout, 400: BadRequest, 404: BadRequest, 413: BadRequest} {
		if got := KindForStatus(status); got != want {
			t.Errorf("KindForStatus(%d) = %s, want %s", status, got, want)
		}
	}
}

func TestClassifyWithoutAnAnswer(t *testing.T) {
	expired, cancel := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel()
	canceled, stop := context.WithCancel(context.Background())
	stop()
	for name, c := range map[string]struct {
		ctx  context.Context
		err  error
		last int
		want Kind
	}{
		"timeout":                   {expired, context.DeadlineExceeded, 0, Timeout},
		"timeout waiting out a 429": {expired, context.DeadlineExceeded, 429, RateLimited},
		"timeout waiting out a 529": {expired, context.DeadlineExceeded, 529, Overloaded},
		"timeout after a 500":       {expired, context.DeadlineExceeded, 500, Timeout},
		"canceled":                  {canceled, context.Canceled, 0, Canceled},
		"connection refused":        {context.Background(), errors.New("dial tcp: connection refused"), 0, Unreachable},
	} {
		_, a := WithAttempts(c.ctx)
		a.n.Add(1)
		a.last.Store(int64(c.last))
		e := Classify(c.ctx, "test", c.err, 0, "", a)
		if e.Kind != c.want || e.Attempts != 1 || !errors.Is(e, c.err) {
			t.Errorf("%s: %+v, want kind %s", name, e, c.want)
		}
	}
}

func TestErrorText(t *testing.T) {
	e := &Error{Provider: "anthropic", Kind: RateLimited, Status: 429, Type: "rate_limit_error", Attempts: 3,
		Err: errors.New(`POST "https://user:pw@proxy/v1/messages": 429 {"message":"secret"}`)}
	if got, want := e.Error(), "anthropic: rate_limited (HTTP 429 rate_limit_error) after 3 attempts"; got != want {
		t.Fatalf("Error() = %q, want %q", got, want)
	}
	if KindOf(e) != RateLimited || KindOf(errors.New("x")) != "" {
		t.Fatal("KindOf")
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewMetrics(reg, "openai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	m.Record(at, 2*time.Second, Reply{Text: "hi", Usage: Usage{InputTokens: 40, OutputTokens: 7}, Attempts: 2}, nil)
	m.Record(at.Add(time.Minute), time.Second, Reply{}, &Error{Provider: "openai", Kind: Auth, Status: 401, Attempts: 1})
	m.Record(at.Add(2*time.Minute), 20*time.Second, Reply{}, &Error{Provider: "openai", Kind: Timeout, Attempts: 3})

	const want = `
# HELP ashbot_companion_errors_total Failed calls to Ash's language model, by kind.
# TYPE ashbot_companion_errors_total counter
ashbot_companion_errors_total{kind="auth",provider="openai"} 1
ashbot_companion_errors_total{kind="bad_request",provider="openai"} 0
ashbot_companion_errors_total{kind="canceled",provider="openai"} 0
ashbot_companion_errors_total{kind="overloaded",provider="openai"} 0
ashbot_companion_errors_total{kind="rate_limited",provider="openai"} 0
ashbot_companion_errors_total{kind="server",provider="openai"} 0
ashbot_companion_errors_total{kind="timeout",provider="openai"} 1
ashbot_companion_errors_total{kind="unreachable",provider="openai"} 0
# HELP ashbot_companion_retries_total Requests to Ash's language model beyond the first of a call (SDK retries).
# TYPE ashbot_companion_retries_total counter
ashbot_companion_retries_total{provider="openai"} 3
# HELP ashbot_companion_tokens_total Tokens sent to (in) and received from (out) Ash's language model.
# TYPE ashbot_companion_tokens_total counter
ashbot_companion_tokens_total{direction="in",provider="openai"} 40
ashbot_companion_tokens_total{direction="out",provider="openai"} 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"ashbot_companion_errors_total", "ashbot_companion_retries_total", "ashbot_companion_tokens_total"); err != nil {
		t.Fatal(err)
	}
	if n := testutil.CollectAndCount(reg, "ashbot_companion_request_seconds"); n != 1 {
		t.Fatalf("%d latency series", n)
	}
	h := m.Health()
	if h.Calls != 3 || h.Failures != 2 || h.Consecutive != 2 || h.LastResult != "timeout" || !h.LastAt.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("health %+v", h)
	}
	// A success after the failures: the last failure is still told.
	m.Record(at.Add(3*time.Minute), time.Second, Reply{Attempts: 1}, nil)
	if h := m.Health(); h.LastResult != "ok" || h.Consecutive != 0 || h.LastFailure != "timeout" || !h.LastFailureAt.Equal(at.Add(2*time.Minute)) {
		t.Fatalf("health after a success %+v", h)
	}
	if _, err := NewMetrics(reg, "openai"); err == nil {
		t.Fatal("registered twice")
	}
	var none *Metrics
	none.Record(at, time.Second, Reply{}, nil) // a provider without metrics
}
