package redisconn

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/config"
)

// Open builds the client without waiting for Redis: go-redis connects on
// first use, so a bot started while Redis is down works on once it is
// back. Health tells whether it answers.
func Open(c config.Redis) (redis.UniversalClient, error) {
	o, err := Options(c)
	if err != nil {
		return nil, err
	}
	return redis.NewUniversalClient(o), nil
}

// Health follows whether Redis answers, for readiness, the detailed health
// report and the parts of the bot that wait for Redis at start-up. It is
// safe for concurrent use.
type Health struct {
	rdb redis.UniversalClient
	cfg config.Redis
	now func() time.Time

	up     chan struct{} // closed once a ping has passed
	upOnce sync.Once

	mu      sync.Mutex
	state   State
	pingSeq uint64 // orders results of overlapping pings
}

// State is what Health knows. No error text: it may name a key or a host
// an operator did not mean to publish on a health page.
type State struct {
	Reachable     bool          // the last ping passed
	Latency       time.Duration // round trip of the last ping that passed
	LastErrorKind string        // Kind of the last failed ping, "" before the first
	LastErrorAt   time.Time
}

// NewHealth returns a Health that has seen nothing yet; now stamps errors.
func NewHealth(rdb redis.UniversalClient, c config.Redis, now func() time.Time) *Health {
	if now == nil {
		now = time.Now
	}
	return &Health{rdb: rdb, cfg: c, now: now, up: make(chan struct{})}
}

// Ping pings Redis once and records the outcome; a failure is explained
// in the operator's terms (Describe).
func (h *Health) Ping(ctx context.Context) error {
	h.mu.Lock()
	h.pingSeq++
	seq := h.pingSeq
	h.mu.Unlock()
	began := time.Now()
	err := h.rdb.Ping(ctx).Err()
	took := time.Since(began)

	h.mu.Lock()
	defer h.mu.Unlock()
	latest := seq == h.pingSeq // an older ping's outcome is not the state
	if err != nil {
		h.state.LastErrorKind, h.state.LastErrorAt = Kind(err), h.now()
		if latest {
			h.state.Reachable = false
		}
		return Describe(h.cfg, err)
	}
	if latest {
		h.state.Reachable, h.state.Latency = true, took
	}
	h.upOnce.Do(func() { close(h.up) })
	return nil
}

// FirstPing is the start-up Ping, bounded by the dial and read timeouts.
// A cancelled ctx (a signal) ends the wait at once by closing the client,
// as in Connect: go-redis gives up a blocked read at a deadline but not at
// a cancellation.
func (h *Health) FirstPing(ctx context.Context) error {
	pctx, cancel := context.WithTimeout(ctx, h.cfg.DialTimeout+h.cfg.ReadTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { h.rdb.Close() })
	err := h.Ping(pctx)
	if !stop() {
		return fmt.Errorf("redis at %s: stopped waiting for an answer: %w", strings.Join(target(h.cfg), ", "), context.Cause(ctx))
	}
	return err
}

// Up is closed once Redis has answered a ping.
func (h *Health) Up() <-chan struct{} { return h.up }

// State returns a snapshot.
func (h *Health) State() State {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.state
}

// Await pings until Redis answers or ctx ends, waiting from minWait,
// doubling up to maxWait, between attempts (wall clock: like the
// outbox's retries, this paces network calls, not the bot's schedule).
// It logs once when Redis answers.
func (h *Health) Await(ctx context.Context, minWait, maxWait time.Duration, log *slog.Logger) {
	wait := minWait
	for tries := 1; ; tries++ {
		select {
		case <-h.up:
			return
		default:
		}
		pctx, cancel := context.WithTimeout(ctx, h.cfg.DialTimeout+h.cfg.ReadTimeout)
		err := h.Ping(pctx)
		cancel()
		if err == nil {
			log.Info("redis answers: schedules and timers start, waiting lifecycle events are recorded", "attempts", tries)
			return
		}
		if tries == 1 || tries%10 == 0 {
			log.Warn("redis still unreachable; retrying", "attempts", tries, "retry_in", wait.String(), "error", err.Error())
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		wait = min(wait*2, maxWait)
	}
}
