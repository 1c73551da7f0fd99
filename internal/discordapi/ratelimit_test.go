package discordapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// limitFixture is a stand-in and a REST client whose limiter waits on the
// stand-in's simulated clock: a wait advances the clock at once, and the
// waits asked for are recorded.
type limitFixture struct {
	sim     *discordsim.Sim
	clock   *discordsim.Clock
	limiter *RateLimiter
	client  rest.Rest
	ch      snowflake.ID

	mu    sync.Mutex
	waits []time.Duration
}

func newLimitFixture(t *testing.T) *limitFixture {
	t.Helper()
	f := &limitFixture{clock: discordsim.NewClock(time.Now().Truncate(time.Second))}
	f.sim = discordsim.New(discordsim.Options{Now: f.clock.Now})
	if err := f.sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.sim.Close() })
	f.ch = f.sim.AddChannel("busy")
	log := slog.New(slog.DiscardHandler)
	f.limiter = NewRateLimiter(RateLimiterConfig{Now: f.clock.Now, Sleep: f.sleep, Logger: log, MaxRetries: 3})
	client, err := NewREST(Config{Token: f.sim.Token(), BaseURL: f.sim.URL(), Logger: log, RateLimiter: f.limiter})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	f.client = client
	return f
}

func (f *limitFixture) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f.mu.Lock()
	f.waits = append(f.waits, d)
	f.mu.Unlock()
	f.clock.Advance(d)
	return nil
}

func (f *limitFixture) recordedWaits() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.waits)
}

func (f *limitFixture) post(t *testing.T, ctx context.Context) error {
	t.Helper()
	_, err := f.client.CreateMessage(f.ch, discord.MessageCreate{Content: "hi"}, rest.WithCtx(ctx))
	return err
}

// statuses lists the stand-in's answers to message posts, in order.
func (f *limitFixture) statuses() []int {
	var out []int
	for _, r := range f.sim.Requests() {
		if r.Method == http.MethodPost {
			out = append(out, r.Status)
		}
	}
	return out
}

// The limiter waits out X-RateLimit-Reset-After with its fraction once
// Remaining is 0, so no request goes out early and collects a 429.
func TestRateLimitWaitsForFractionalReset(t *testing.T) {
	f := newLimitFixture(t)
	if err := f.sim.SetRateLimit(discordsim.RateLimit{Method: "POST", Path: "/channels/*/messages", Limit: 2, Window: 1500 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		if err := f.post(t, context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.statuses(); !slices.Equal(got, []int{200, 200, 200, 200, 200}) {
		t.Errorf("stand-in answered %v, want five 200s and no 429", got)
	}
	if got, want := f.recordedWaits(), []time.Duration{1500 * time.Millisecond, 1500 * time.Millisecond}; !slices.Equal(got, want) {
		t.Errorf("waits %v, want %v", got, want)
	}
	if n := f.limiter.Limited(ScopeUser); n != 0 {
		t.Errorf("%d 429s counted", n)
	}
}

// Every kind of 429 is waited out for what it asks, then retried once.
func TestRateLimit429Scopes(t *testing.T) {
	cases := []struct {
		name  string
		fault discordsim.Fault
		scope string
		wait  time.Duration
	}{
		// The body's 1.25 s is more precise than Retry-After's rounded 2.
		{"user, float retry_after", discordsim.Fault{RetryAfter: 1250 * time.Millisecond}, ScopeUser, 1250 * time.Millisecond},
		{"shared", discordsim.Fault{RetryAfter: 500 * time.Millisecond, Shared: true}, ScopeShared, 500 * time.Millisecond},
		// No X-RateLimit-Bucket: disgo v0.19.6 ignores these.
		{"global", discordsim.Fault{RetryAfter: 2 * time.Second, Global: true}, ScopeGlobal, 2 * time.Second},
		{"cloudflare", discordsim.Fault{RetryAfter: 3 * time.Second, Cloudflare: true}, ScopeCloudflare, 3 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newLimitFixture(t)
			c.fault.Method, c.fault.Path, c.fault.Status = "POST", "/channels/*/messages", http.StatusTooManyRequests
			if err := f.sim.InjectFault(c.fault); err != nil {
				t.Fatal(err)
			}
			if err := f.post(t, context.Background()); err != nil {
				t.Fatal(err)
			}
			if got := f.statuses(); !slices.Equal(got, []int{429, 200}) {
				t.Errorf("stand-in answered %v, want one 429 then 200", got)
			}
			if got := f.recordedWaits(); !slices.Equal(got, []time.Duration{c.wait}) {
				t.Errorf("waits %v, want [%v]", got, c.wait)
			}
			for _, s := range Scopes {
				want := uint64(0)
				if s == c.scope {
					want = 1
				}
				if n := f.limiter.Limited(s); n != want {
					t.Errorf("Limited(%s) = %d, want %d", s, n, want)
				}
			}
		})
	}
}

// A global 429 holds back requests on other routes too.
func TestRateLimitGlobalHoldsOtherRoutes(t *testing.T) {
	f := newLimitFixture(t)
	if err := f.sim.InjectFault(discordsim.Fault{Method: "GET", Path: "/channels/*", Status: 429, RetryAfter: 4 * time.Second, Global: true}); err != nil {
		t.Fatal(err)
	}
	// MaxRetries 1: the GET gives up after its 429, leaving the global wait.
	f.limiter.cfg.MaxRetries = 1
	if _, err := f.client.GetChannel(f.ch); err == nil {
		t.Fatal("GET after a 429 with no retries left succeeded")
	}
	if err := f.post(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := f.recordedWaits(); !slices.Equal(got, []time.Duration{4 * time.Second}) {
		t.Errorf("waits %v, want [4s] before the POST", got)
	}
}

// A request whose deadline falls before its route's reset fails at once
// and leaves the route free for the next request.
func TestRateLimitDeadlineLeavesRouteFree(t *testing.T) {
	f := newLimitFixture(t)
	if err := f.sim.SetRateLimit(discordsim.RateLimit{Method: "POST", Path: "/channels/*/messages", Limit: 1, Window: time.Hour}); err != nil {
		t.Fatal(err)
	}
	if err := f.post(t, context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := f.post(t, ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("post with a deadline before the reset: %v, want DeadlineExceeded", err)
	}
	done := make(chan error, 1)
	go func() { done <- f.post(t, context.Background()) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the route stayed locked after a deadline")
	}
	if got := f.statuses(); !slices.Equal(got, []int{200, 200}) {
		t.Errorf("stand-in answered %v, want two 200s", got)
	}
}

// Concurrent posts to one channel share a route; under the race detector
// this failed with disgo v0.19.6's own limiter.
func TestRESTConcurrentPostsOneBucket(t *testing.T) {
	f := newLimitFixture(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if err := f.post(t, context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(f.sim.Messages(f.ch)); n != 8 {
		t.Errorf("%d messages, want 8", n)
	}
	f.limiter.mu.Lock()
	defer f.limiter.mu.Unlock()
	if len(f.limiter.routes) != 0 {
		t.Errorf("%d routes held", len(f.limiter.routes))
	}
}

// Routes left at Remaining 0 are remembered until their reset, and
// forgotten once the limiter holds many, so posting to ever new channels
// does not grow it without bound.
func TestRateLimiterForgetsPassedRoutes(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	l := NewRateLimiter(RateLimiterConfig{Now: func() time.Time { return now }, Logger: slog.New(slog.DiscardHandler)})
	endpoint := func(i int) *rest.CompiledEndpoint {
		return &rest.CompiledEndpoint{Endpoint: &rest.Endpoint{Method: "POST", Route: "/channels/{channel.id}/messages"}, MajorParams: strconv.Itoa(i)}
	}
	rs := &http.Response{StatusCode: http.StatusOK, Header: http.Header{}}
	rs.Header.Set("X-RateLimit-Bucket", "b")
	rs.Header.Set("X-RateLimit-Remaining", "0")
	rs.Header.Set("X-RateLimit-Reset-After", "1.500")
	for i := range sweepAt {
		if err := l.Wait(context.Background(), endpoint(i)); err != nil {
			t.Fatal(err)
		}
		if err := l.Unlock(endpoint(i), rs); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(l.routes); n != sweepAt {
		t.Fatalf("%d routes remembered, want %d still limited", n, sweepAt)
	}
	now = now.Add(2 * time.Second)
	if err := l.Wait(context.Background(), endpoint(-1)); err != nil {
		t.Fatal(err)
	}
	if n := len(l.routes); n != 1 {
		t.Errorf("%d routes after their resets passed, want 1", n)
	}
}
