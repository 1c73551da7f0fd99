package discordapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/disgoorg/disgo/rest"
)

// Scopes of a 429 as Discord names them in X-RateLimit-Scope
// (https://discord.com/developers/docs/topics/rate-limits#header-format),
// plus ScopeCloudflare for a 429 that did not come from the API at all.
const (
	ScopeUser       = "user"
	ScopeGlobal     = "global"
	ScopeShared     = "shared"
	ScopeCloudflare = "cloudflare"
)

// Scopes lists every scope a 429 is counted under, for metrics.
var Scopes = []string{ScopeUser, ScopeGlobal, ScopeShared, ScopeCloudflare}

// DefaultRateLimitRetries is how many 429s one request waits out before
// its error reaches the caller.
const DefaultRateLimitRetries = 10

// cloudflareFallback is the pause after a 429 that names no wait at all: a
// Cloudflare block page may carry neither Retry-After nor a JSON body.
const cloudflareFallback = 5 * time.Second

// RateLimiter is ashbot's REST rate limiter (disgo's rest.RateLimiter).
// It follows https://discord.com/developers/docs/topics/rate-limits, which
// disgo's own limiter does not fully: every 429 is waited out for its
// Retry-After (or the body's more precise float retry_after), including
// global 429s and Cloudflare's, which carry no X-RateLimit-Bucket;
// X-RateLimit-Reset-After keeps its fraction of a second. One request per
// route (method, route and major parameter) is in flight at a time, and a
// context that ends while waiting never leaves a route held.
type RateLimiter struct {
	cfg RateLimiterConfig

	mu     sync.Mutex
	global time.Time // no request before this (global or Cloudflare 429)
	routes map[string]*routeState
	hits   map[string]uint64 // 429s by scope
}

// RateLimiterConfig configures a RateLimiter. The zero value is usable.
type RateLimiterConfig struct {
	// MaxRetries is how many 429s one request waits out and retries;
	// <= 0 means DefaultRateLimitRetries.
	MaxRetries int
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Sleep waits d or until ctx ends; nil waits on a real timer. Tests
	// pass one that advances a simulated clock instead.
	Sleep  func(ctx context.Context, d time.Duration) error
	Logger *slog.Logger
}

type routeState struct {
	slot      chan struct{} // one request in flight; a channel so waiting can stop with ctx
	users     int           // requests holding or waiting for slot
	remaining int           // -1 until Discord said
	reset     time.Time
}

var _ rest.RateLimiter = (*RateLimiter)(nil)

// NewRateLimiter returns a limiter with no known limits yet.
func NewRateLimiter(cfg RateLimiterConfig) *RateLimiter {
	if cfg.MaxRetries <= 0 {
		cfg.MaxRetries = DefaultRateLimitRetries
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Sleep == nil {
		cfg.Sleep = sleep
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &RateLimiter{cfg: cfg, routes: map[string]*routeState{}, hits: map[string]uint64{}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// Limited returns how many 429s Discord (or Cloudflare) answered in scope.
func (l *RateLimiter) Limited(scope string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits[scope]
}

// MaxRetries implements rest.RateLimiter.
func (l *RateLimiter) MaxRetries() int { return l.cfg.MaxRetries }

// Close implements rest.RateLimiter. Requests in flight finish on their
// own contexts; there is nothing to stop.
func (l *RateLimiter) Close(context.Context) {}

// Reset implements rest.RateLimiter: forget every limit learnt so far.
func (l *RateLimiter) Reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.global = time.Time{}
	for _, r := range l.routes {
		r.remaining, r.reset = -1, time.Time{}
	}
}

// routeKey is the per-route bucket key: Discord limits per route and top
// level resource (channel, guild, webhook), the "major parameter".
func routeKey(e *rest.CompiledEndpoint) string {
	return e.Endpoint.Method + " " + e.Endpoint.Route + " " + e.MajorParams
}

// Wait implements rest.RateLimiter: it holds e's route until Unlock, after
// waiting out the route's and the global limit. When ctx ends first, or
// its deadline falls before the wait would end, the route is let go and
// the error says why.
func (l *RateLimiter) Wait(ctx context.Context, e *rest.CompiledEndpoint) error {
	key := routeKey(e)
	l.mu.Lock()
	r := l.routes[key]
	if r == nil {
		if len(l.routes) >= sweepAt {
			l.sweepLocked()
		}
		r = &routeState{slot: make(chan struct{}, 1), remaining: -1}
		l.routes[key] = r
	}
	r.users++
	l.mu.Unlock()

	select {
	case r.slot <- struct{}{}:
	case <-ctx.Done():
		l.release(key, r, false)
		return fmt.Errorf("discord rate limit: waiting for %s: %w", e.Endpoint.Route, ctx.Err())
	}
	for {
		l.mu.Lock()
		now := l.cfg.Now()
		until := l.global
		if r.remaining == 0 && r.reset.After(until) {
			until = r.reset
		}
		l.mu.Unlock()
		if !until.After(now) {
			return nil
		}
		if deadline, ok := ctx.Deadline(); ok && deadline.Before(until) {
			l.release(key, r, true)
			return fmt.Errorf("discord rate limit: %s is limited for %s, past the deadline: %w",
				e.Endpoint.Route, until.Sub(now), context.DeadlineExceeded)
		}
		if err := l.cfg.Sleep(ctx, until.Sub(now)); err != nil {
			l.release(key, r, true)
			return fmt.Errorf("discord rate limit: waiting for %s: %w", e.Endpoint.Route, err)
		}
		// A global 429 may have arrived meanwhile: look again.
	}
}

// sweepAt is how many routes may be remembered before idle ones whose
// limit has passed are forgotten (release keeps a route that is still
// limited, so its next request waits).
const sweepAt = 1000

func (l *RateLimiter) sweepLocked() {
	now := l.cfg.Now()
	for k, r := range l.routes {
		if r.users == 0 && !r.reset.After(now) {
			delete(l.routes, k)
		}
	}
}

// release lets go of r (when held) and forgets routes nobody uses whose
// limit has passed, so the map does not grow with every channel ever
// posted to.
func (l *RateLimiter) release(key string, r *routeState, held bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if held {
		<-r.slot
	}
	r.users--
	if r.users == 0 && (r.remaining != 0 || !r.reset.After(l.cfg.Now())) {
		delete(l.routes, key)
	}
}

// Unlock implements rest.RateLimiter: it learns the route's limit from
// rs's headers and lets the route go. rs is nil when the request failed
// before an answer.
func (l *RateLimiter) Unlock(e *rest.CompiledEndpoint, rs *http.Response) error {
	key := routeKey(e)
	l.mu.Lock()
	r := l.routes[key]
	l.mu.Unlock()
	if r == nil {
		return nil // Wait was not called or failed; nothing is held
	}
	var err error
	if rs != nil {
		err = l.learn(e, r, rs)
	}
	l.release(key, r, true)
	return err
}

// learn applies one response's rate-limit information. The rules are
// https://discord.com/developers/docs/topics/rate-limits: Reset-After is
// seconds with a fraction; a 429's wait is Retry-After or the body's
// retry_after; global 429s carry X-RateLimit-Global and no bucket;
// Cloudflare's carry none of the X-RateLimit headers.
func (l *RateLimiter) learn(e *rest.CompiledEndpoint, r *routeState, rs *http.Response) error {
	h := rs.Header
	now := l.cfg.Now()
	if rs.StatusCode == http.StatusTooManyRequests {
		body := peekBody(rs)
		wait, ok := retryAfter(h, body)
		scope := h.Get("X-RateLimit-Scope")
		global := h.Get("X-RateLimit-Global") == "true" || body.Global || scope == ScopeGlobal
		switch {
		case global:
			scope = ScopeGlobal
		case h.Get("X-RateLimit-Bucket") == "" && h.Get("Via") == "":
			// Not from the API: Cloudflare limits by IP, so everything waits.
			scope, global = ScopeCloudflare, true
		case scope != ScopeShared:
			scope = ScopeUser
		}
		if !ok {
			wait = cloudflareFallback
		}
		l.mu.Lock()
		l.hits[scope]++
		until := now.Add(wait)
		if global {
			if until.After(l.global) {
				l.global = until
			}
		} else {
			r.remaining, r.reset = 0, until
		}
		l.mu.Unlock()
		l.cfg.Logger.Warn("discord rate limit hit", "scope", scope, "route", e.Endpoint.Route, "retry_after", wait)
		return nil
	}
	if h.Get("X-RateLimit-Bucket") == "" {
		return nil // this route is not limited per bucket
	}
	remaining, err := strconv.Atoi(h.Get("X-RateLimit-Remaining"))
	if err != nil {
		return fmt.Errorf("discord rate limit: X-RateLimit-Remaining %q: %w", h.Get("X-RateLimit-Remaining"), err)
	}
	var reset time.Time
	if v := h.Get("X-RateLimit-Reset-After"); v != "" {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || !validSeconds(secs) {
			return fmt.Errorf("discord rate limit: X-RateLimit-Reset-After %q is not seconds", v)
		}
		reset = now.Add(seconds(secs))
	} else if v := h.Get("X-RateLimit-Reset"); v != "" {
		// Epoch seconds on Discord's clock; Reset-After avoids the skew.
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("discord rate limit: X-RateLimit-Reset %q is not seconds: %w", v, err)
		}
		reset = time.UnixMilli(int64(secs * 1000))
	}
	l.mu.Lock()
	r.remaining, r.reset = remaining, reset
	l.mu.Unlock()
	return nil
}

// limitBody is the JSON body of an API 429.
type limitBody struct {
	RetryAfter *float64 `json:"retry_after"`
	Global     bool     `json:"global"`
}

// peekBody reads a 429's body and puts it back for disgo's error.
func peekBody(rs *http.Response) limitBody {
	var b limitBody
	if rs.Body == nil {
		return b
	}
	raw, err := io.ReadAll(io.LimitReader(rs.Body, 64<<10))
	_ = rs.Body.Close()
	rs.Body = io.NopCloser(bytes.NewReader(raw))
	if err == nil {
		_ = json.Unmarshal(raw, &b) // a Cloudflare page is HTML: no body fields
	}
	return b
}

// retryAfter is how long a 429 asks to wait: the body's float retry_after
// when there is one (Retry-After is the same, rounded up to whole
// seconds), else Retry-After.
func retryAfter(h http.Header, body limitBody) (time.Duration, bool) {
	if body.RetryAfter != nil && validSeconds(*body.RetryAfter) {
		return seconds(*body.RetryAfter), true
	}
	if secs, err := strconv.ParseFloat(h.Get("Retry-After"), 64); err == nil && validSeconds(secs) {
		return seconds(secs), true
	}
	return 0, false
}

// seconds converts Discord's fractional seconds, rounding up to the
// millisecond so a request never goes out a hair early.
func seconds(s float64) time.Duration {
	return time.Duration(math.Ceil(s*1000)) * time.Millisecond
}

// validSeconds rejects negative, infinite and NaN waits.
func validSeconds(s float64) bool { return s >= 0 && !math.IsInf(s, 0) }
