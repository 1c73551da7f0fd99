package ash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Keys of the timers. They live under ash:schedule:, the retention
// category "scheduler", and carry a TTL refreshed on every write.
const (
	AutoInitKey         = schedule.KeyPrefix + "autoinit"
	SessionDeadlinesKey = schedule.KeyPrefix + "session-deadlines"
)

// dueSetTTL outlives any timer by far (auto-initiate waits at most an
// hour, a session lasts at most four) while letting a set that nobody
// writes to any more expire on its own.
const dueSetTTL = 7 * 24 * time.Hour

// DueSet is a set of timers in one Redis sorted set: member -> due time
// (score, unix ms). Timers survive restarts, and a due timer fires on one
// replica only: whoever removes it (ZREM returns 1) owns it.
type DueSet struct {
	rdb redis.UniversalClient
	key string
}

// NewDueSet returns the timer set stored at key.
func NewDueSet(rdb redis.UniversalClient, key string) *DueSet { return &DueSet{rdb: rdb, key: key} }

// Key returns the Redis key of the set.
func (s *DueSet) Key() string { return s.key }

var addScript = redis.NewScript(`
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// Add sets member's timer to due (replacing an earlier one).
func (s *DueSet) Add(ctx context.Context, member string, due time.Time) error {
	if err := addScript.Run(ctx, s.rdb, []string{s.key}, due.UnixMilli(), member, dueSetTTL.Milliseconds()).Err(); err != nil {
		return fmt.Errorf("set timer %s in %s: %w", member, s.key, err)
	}
	return nil
}

// Len counts the timers in the set.
func (s *DueSet) Len(ctx context.Context) (int64, error) {
	n, err := s.rdb.ZCard(ctx, s.key).Result()
	if err != nil {
		return 0, fmt.Errorf("count timers of %s: %w", s.key, err)
	}
	return n, nil
}

// Remove cancels member's timer.
func (s *DueSet) Remove(ctx context.Context, member string) error {
	if err := s.rdb.ZRem(ctx, s.key, member).Err(); err != nil {
		return fmt.Errorf("cancel timer %s in %s: %w", member, s.key, err)
	}
	return nil
}

// Due is a timer that is due.
type Due struct {
	Member string
	At     time.Time
}

// Due returns up to limit timers due at now, earliest first.
func (s *DueSet) Due(ctx context.Context, now time.Time, limit int64) ([]Due, error) {
	zs, err := s.rdb.ZRangeByScoreWithScores(ctx, s.key, &redis.ZRangeBy{
		Min: "-inf", Max: msText(now), Count: limit,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read due timers of %s: %w", s.key, err)
	}
	out := make([]Due, 0, len(zs))
	for _, z := range zs {
		m, _ := z.Member.(string)
		out = append(out, Due{Member: m, At: msTime(int64(z.Score))})
	}
	return out, nil
}

// Next returns the earliest due time in the set, zero when it is empty.
func (s *DueSet) Next(ctx context.Context) (time.Time, error) {
	zs, err := s.rdb.ZRangeWithScores(ctx, s.key, 0, 0).Result()
	if err != nil {
		return time.Time{}, fmt.Errorf("read next timer of %s: %w", s.key, err)
	}
	if len(zs) == 0 {
		return time.Time{}, nil
	}
	return msTime(int64(zs[0].Score)), nil
}

// Claim removes member's timer and reports whether this caller removed
// it, and so owns the firing.
func (s *DueSet) Claim(ctx context.Context, member string) (bool, error) {
	n, err := s.rdb.ZRem(ctx, s.key, member).Result()
	if err != nil {
		return false, fmt.Errorf("claim timer %s in %s: %w", member, s.key, err)
	}
	return n == 1, nil
}

// When returns member's due time, if it has a timer.
func (s *DueSet) When(ctx context.Context, member string) (time.Time, bool, error) {
	score, err := s.rdb.ZScore(ctx, s.key, member).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read timer %s in %s: %w", member, s.key, err)
	}
	return msTime(int64(score)), true, nil
}

// Handler fires one timer. A non-zero retryAt sets the timer again (a
// failure that may pass); the handler has done everything else itself.
type Handler func(ctx context.Context, d Due) (retryAt time.Time)

// PollerOptions configure a Poller.
type PollerOptions struct {
	Name     string // for logs
	Set      *DueSet
	Handle   Handler
	Clock    schedule.Clock
	Interval time.Duration // default 5s
	// HandleTimeout bounds one firing. Firings are detached from the
	// poller's context, so shutdown lets a started contact finish instead
	// of leaving half of it done. Default 30s.
	HandleTimeout time.Duration
	Batch         int64 // timers per poll, default 50
	Logger        *slog.Logger
}

// Poller fires due timers of a DueSet until its context ends.
type Poller struct {
	opts PollerOptions
	log  *slog.Logger

	polls, fired, failures atomic.Int64
}

// PollerStats counts what a Poller did.
type PollerStats struct{ Polls, Fired, Failures int64 }

// NewPoller validates opts and returns a Poller.
func NewPoller(opts PollerOptions) (*Poller, error) {
	if opts.Set == nil || opts.Handle == nil || opts.Clock == nil {
		return nil, errors.New("ash: poller needs a set, a handler and a clock")
	}
	if opts.Interval <= 0 {
		opts.Interval = 5 * time.Second
	}
	if opts.HandleTimeout <= 0 {
		opts.HandleTimeout = 30 * time.Second
	}
	if opts.Batch <= 0 {
		opts.Batch = 50
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Poller{opts: opts, log: opts.Logger.With("poller", opts.Name)}, nil
}

// Stats returns the counters so far.
func (p *Poller) Stats() PollerStats {
	return PollerStats{Polls: p.polls.Load(), Fired: p.fired.Load(), Failures: p.failures.Load()}
}

// Run polls until ctx ends: at the next timer's due time when that comes
// before Interval, else every Interval (timers set by other replicas are
// seen within it).
func (p *Poller) Run(ctx context.Context) {
	p.log.Info("timer poller started", "key", p.opts.Set.Key(), "interval", p.opts.Interval.String())
	for {
		wait := p.opts.Interval
		if next := p.Poll(ctx); !next.IsZero() {
			if d := next.Sub(p.opts.Clock.Now()); d > 0 && d < wait {
				wait = d
			}
		}
		select {
		case <-ctx.Done():
			p.log.Info("timer poller stopped", "polls", p.polls.Load(), "fired", p.fired.Load(), "failures", p.failures.Load())
			return
		case <-p.opts.Clock.After(wait):
		}
	}
}

// Poll fires every timer due now, one after the other, and returns when
// the next one is due (zero if none or unknown).
func (p *Poller) Poll(ctx context.Context) time.Time {
	p.polls.Add(1)
	for ctx.Err() == nil {
		due, err := p.opts.Set.Due(ctx, p.opts.Clock.Now(), p.opts.Batch)
		if err != nil {
			p.failures.Add(1)
			p.log.Warn("timer poll failed; will try again", "error", err.Error())
			return time.Time{}
		}
		for _, d := range due {
			if ctx.Err() != nil {
				return time.Time{}
			}
			p.fire(ctx, d)
		}
		if int64(len(due)) < p.opts.Batch {
			break
		}
	}
	next, err := p.opts.Set.Next(ctx)
	if err != nil {
		return time.Time{}
	}
	return next
}

func (p *Poller) fire(ctx context.Context, d Due) {
	won, err := p.opts.Set.Claim(ctx, d.Member)
	if err != nil {
		p.failures.Add(1)
		p.log.Warn("timer claim failed", "timer", d.Member, "error", err.Error())
		return
	}
	if !won {
		return // another replica fired it
	}
	p.fired.Add(1)
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), p.opts.HandleTimeout)
	defer cancel()
	retryAt := p.safeHandle(hctx, d)
	if retryAt.IsZero() {
		return
	}
	p.failures.Add(1)
	if err := p.opts.Set.Add(hctx, d.Member, retryAt); err != nil {
		p.log.Error("timer lost: could not set it again after a failure", "timer", d.Member, "error", err.Error())
	}
}

func (p *Poller) safeHandle(ctx context.Context, d Due) (retryAt time.Time) {
	defer func() {
		if v := recover(); v != nil {
			p.log.Error("timer handler panicked", "timer", d.Member, "panic", fmt.Sprint(v))
			retryAt = time.Time{}
		}
	}()
	return p.opts.Handle(ctx, d)
}

// AutoInit holds the auto-initiate timers: Ash reaches out when nobody
// acknowledged an alert of at least MinSeverity within Delay.
type AutoInit struct {
	set         *DueSet
	delay       time.Duration
	minSeverity events.Severity
}

// NewAutoInit returns the auto-initiate timers in set.
func NewAutoInit(set *DueSet, delay time.Duration, minSeverity events.Severity) (*AutoInit, error) {
	if delay <= 0 {
		return nil, fmt.Errorf("ash: auto-initiate delay must be positive, got %v", delay)
	}
	if _, err := events.ParseSeverity(string(minSeverity)); err != nil {
		return nil, fmt.Errorf("ash: auto-initiate minimum severity: %w", err)
	}
	return &AutoInit{set: set, delay: delay, minSeverity: minSeverity}, nil
}

// Applies reports whether alerts of severity sev are auto-initiated.
func (a *AutoInit) Applies(sev events.Severity) bool { return sev.Rank() >= a.minSeverity.Rank() }

// Schedule sets the timer of an alert created at created, if its severity
// qualifies.
func (a *AutoInit) Schedule(ctx context.Context, alertID string, sev events.Severity, created time.Time) error {
	if !a.Applies(sev) {
		return nil
	}
	return a.set.Add(ctx, alertID, created.Add(a.delay))
}

// Cancel removes an alert's timer: someone acknowledged, or Ash was
// already asked to reach out.
func (a *AutoInit) Cancel(ctx context.Context, alertID string) error {
	return a.set.Remove(ctx, alertID)
}

// Set returns the timers' set, for the poller.
func (a *AutoInit) Set() *DueSet { return a.set }
