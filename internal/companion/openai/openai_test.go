package openai

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/standin/modelsim"
	"github.com/alphabetcartel/ashbot/internal/standin/openaisim"
)

const (
	testModel = "llama3.2"
	testKey   = "local-key"
)

func start(t *testing.T, opts openaisim.Options) *openaisim.Sim {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = testKey
	}
	sim, err := openaisim.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	return sim
}

func provider(t *testing.T, sim *openaisim.Sim, edit ...func(*companion.Settings)) *Provider {
	t.Helper()
	m, err := companion.NewMetrics(prometheus.NewRegistry(), Name)
	if err != nil {
		t.Fatal(err)
	}
	s := companion.Settings{
		Model: testModel, MaxTokens: 500, APIKey: testKey, BaseURL: sim.BaseURL(),
		Timeout: 20 * time.Second, Metrics: m,
	}
	for _, e := range edit {
		e(&s)
	}
	p, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func user(text string) companion.Turn { return companion.Turn{Role: companion.User, Text: text} }
func assistant(text string) companion.Turn {
	return companion.Turn{Role: companion.Assistant, Text: text}
}

// The second request carries the first turns: what the model is sent is
// the conversation so far, system prompt apart, as the SDK encodes it.
func TestTwoTurnConversation(t *testing.T) {
	t.Parallel()
	sim := start(t, openaisim.Options{})
	p := provider(t, sim)
	ctx := context.Background()

	first, err := p.Complete(ctx, companion.Request{System: "You are Ash.", Turns: []companion.Turn{user("I had a rough day")}})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[turns=1] you said: I had a rough day"; first.Text != want {
		t.Fatalf("first reply %q, want %q", first.Text, want)
	}
	turns := []companion.Turn{user("I had a rough day"), assistant(first.Text), user("work was awful")}
	second, err := p.Complete(ctx, companion.Request{System: "You are Ash.", Turns: turns})
	if err != nil {
		t.Fatal(err)
	}
	if want := "[turns=3] you said: work was awful"; second.Text != want {
		t.Fatalf("second reply %q, want %q", second.Text, want)
	}
	if second.StopReason != companion.StopEnd || second.Usage.InputTokens == 0 || second.Usage.OutputTokens == 0 || second.Attempts != 1 {
		t.Fatalf("second reply %+v: want end_turn, token counts and one attempt", second)
	}

	convs := sim.Conversations()
	if len(convs) != 2 {
		t.Fatalf("the model saw %d requests, want 2", len(convs))
	}
	got := convs[1]
	if got.System != "You are Ash." || got.Model != testModel || got.MaxTokens != 500 || len(got.Turns) != 3 {
		t.Fatalf("second request %+v", got)
	}
	for i, tr := range turns {
		if got.Turns[i].Role != string(tr.Role) || got.Turns[i].Text != tr.Text {
			t.Fatalf("turn %d sent as %+v, want %+v", i, got.Turns[i], tr)
		}
	}
	if h := p.set.Metrics.Health(); h.Calls != 2 || h.Failures != 0 || h.LastResult != "ok" {
		t.Fatalf("health %+v", h)
	}
}

// A 429 with retry-after is retried by the SDK, which waits as told; the
// call then succeeds with the second request.
func TestRateLimitedThenSuccess(t *testing.T) {
	t.Parallel()
	sim := start(t, openaisim.Options{})
	sim.Inject(modelsim.Fault{Status: http.StatusTooManyRequests, RetryAfter: "1"})
	p := provider(t, sim)
	reply, err := p.Complete(context.Background(), companion.Request{Turns: []companion.Turn{user("hello")}})
	if err != nil {
		t.Fatal(err)
	}
	rec := sim.Recorded()
	if len(rec) != 2 || rec[0].Status != http.StatusTooManyRequests || rec[1].Status != http.StatusOK {
		t.Fatalf("the stand-in saw %d requests (%v), want a 429 then a 200", len(rec), statuses(rec))
	}
	if reply.Text != "[turns=1] you said: hello" || reply.Attempts != 2 {
		t.Fatalf("reply %+v", reply)
	}
}

func statuses(rec []modelsim.Recorded) []int {
	out := make([]int, len(rec))
	for i, r := range rec {
		out[i] = r.Status
	}
	return out
}

// Failures are classified by what Ash should do about them; the text of
// the error never carries the key, the URL or what the person wrote.
func TestFailures(t *testing.T) {
	t.Parallel()
	hang := modelsim.Fault{Hang: true}
	cases := []struct {
		name     string
		faults   []modelsim.Fault
		edit     func(*companion.Settings)
		kind     companion.Kind
		status   int
		requests int
	}{
		{name: "overloaded 503, retried as retry-after says", kind: companion.Overloaded, status: 503, requests: 3,
			faults: []modelsim.Fault{{Status: 503, RetryAfter: "0"}, {Status: 503, RetryAfter: "0"}, {Status: 503, RetryAfter: "0"}}},
		{name: "server error 500 after the SDK's retries", kind: companion.Server, status: 500, requests: 3,
			faults: []modelsim.Fault{{Status: 500}, {Status: 500}, {Status: 500}}},
		{name: "timeout", kind: companion.Timeout, requests: 1, faults: []modelsim.Fault{hang},
			edit: func(s *companion.Settings) { s.Timeout = 300 * time.Millisecond }},
		{name: "rate limited for longer than the SDK waits", kind: companion.RateLimited, status: 429, requests: 1,
			faults: []modelsim.Fault{{Status: 429, RetryAfter: "3600"}},
			edit:   func(s *companion.Settings) { s.Timeout = 300 * time.Millisecond }},
		{name: "wrong key", kind: companion.Auth, status: 401, requests: 1,
			edit: func(s *companion.Settings) { s.APIKey = "sk-revoked" }},
		{name: "unknown model", kind: companion.BadRequest, status: 404, requests: 1,
			edit: func(s *companion.Settings) { s.Model = "no-such-model" }},
		{name: "nothing listening", kind: companion.Unreachable, requests: 1,
			edit: func(s *companion.Settings) { s.BaseURL = "http://127.0.0.1:1"; s.MaxRetries = new(0) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			sim := start(t, openaisim.Options{Models: []string{testModel}})
			sim.Inject(c.faults...)
			edits := []func(*companion.Settings){}
			if c.edit != nil {
				edits = append(edits, c.edit)
			}
			p := provider(t, sim, edits...)
			_, err := p.Complete(context.Background(), companion.Request{Turns: []companion.Turn{user("my secret words")}})
			var e *companion.Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T), want a *companion.Error", err, err)
			}
			if e.Kind != c.kind || e.Status != c.status || e.Provider != Name {
				t.Fatalf("error %+v, want kind %s status %d", e, c.kind, c.status)
			}
			if e.Attempts != c.requests {
				t.Fatalf("%d attempts counted, want %d", e.Attempts, c.requests)
			}
			if c.kind != companion.Unreachable {
				if n := len(sim.Recorded()); n != c.requests {
					t.Fatalf("the stand-in saw %d requests, want %d", n, c.requests)
				}
			}
			for _, secret := range []string{testKey, "sk-revoked", "127.0.0.1", "my secret words"} {
				if strings.Contains(err.Error(), secret) {
					t.Fatalf("error text %q reveals %q", err, secret)
				}
			}
			if h := p.set.Metrics.Health(); h.Failures != 1 || h.LastResult != string(c.kind) {
				t.Fatalf("health %+v", h)
			}
		})
	}
}

// A request that breaks the conversation's shape is refused before it
// costs a call.
func TestInvalidRequestIsNotSent(t *testing.T) {
	sim := start(t, openaisim.Options{})
	p := provider(t, sim)
	_, err := p.Complete(context.Background(), companion.Request{Turns: []companion.Turn{assistant("hi")}})
	if companion.KindOf(err) != companion.BadRequest {
		t.Fatalf("error %v, want bad_request", err)
	}
	if n := len(sim.Recorded()); n != 0 {
		t.Fatalf("%d requests sent", n)
	}
}

// MaxTokens reaches the API, and a reply cut there says so.
func TestMaxTokens(t *testing.T) {
	sim := start(t, openaisim.Options{})
	p := provider(t, sim)
	reply, err := p.Complete(context.Background(), companion.Request{MaxTokens: 3, Turns: []companion.Turn{user("one two three four")}})
	if err != nil {
		t.Fatal(err)
	}
	if reply.StopReason != companion.StopMaxTokens || reply.Text != "[turns=1] you said:" || reply.Usage.OutputTokens != 3 {
		t.Fatalf("reply %+v", reply)
	}
}

// The base URL is required: a crisis conversation goes to OpenAI's cloud
// only when an operator wrote that down.
func TestNewNeedsABaseURL(t *testing.T) {
	_, err := New(companion.Settings{Model: testModel, MaxTokens: 500, Timeout: time.Second})
	if err == nil {
		t.Fatal("a provider without a base URL was built")
	}
}

// Without a key no Authorization header is sent, whatever the
// environment holds, and a keyless server answers.
func TestNoKey(t *testing.T) {
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	sim, err := openaisim.Start(openaisim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	p := provider(t, sim, func(s *companion.Settings) { s.APIKey = "" })
	if _, err := p.Complete(context.Background(), companion.Request{Turns: []companion.Turn{user("hi")}}); err != nil {
		t.Fatal(err)
	}
	if h := sim.Recorded()[0].Header.Get("Authorization"); h != "" {
		t.Fatalf("Authorization %q sent", h)
	}
}
