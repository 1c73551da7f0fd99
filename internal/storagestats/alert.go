package storagestats

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/redis/go-redis/v9"
)

// Notice is one storage usage alert.
type Notice struct {
	// Kind identifies the alert for de-duplication: "memory" or
	// "category_keys:{category}".
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// CheckThresholds returns a notice for each threshold of t that s exceeds.
// A threshold of zero or less is switched off.
func CheckThresholds(s Stats, t Thresholds) []Notice {
	var out []Notice
	if t.MaxMemoryBytes > 0 && s.UsedMemoryBytes > t.MaxMemoryBytes {
		out = append(out, Notice{
			Kind: "memory",
			Text: fmt.Sprintf("Storage alert: Redis uses %s, above the %s threshold.",
				Bytes(s.UsedMemoryBytes), Bytes(t.MaxMemoryBytes)),
		})
	}
	if t.MaxCategoryKeys > 0 {
		for _, c := range s.Categories {
			if c.Keys > t.MaxCategoryKeys {
				out = append(out, Notice{
					Kind: "category_keys:" + string(c.Category),
					Text: fmt.Sprintf("Storage alert: %d %s keys, above the threshold of %d per category.",
						c.Keys, c.Category, t.MaxCategoryKeys),
				})
			}
		}
	}
	return out
}

// Notifier delivers a storage alert to people (the bot posts it to a CRT
// channel).
type Notifier interface {
	Notify(ctx context.Context, text string) error
}

// alertKeyTTL outlives the UTC day the marker is for, wherever in the day
// it was written, and is well inside the scheduler category's maximum.
const alertKeyTTL = 48 * time.Hour

// Alerter sends each kind of notice at most once per UTC day, across
// replicas and restarts, by claiming ash:schedule:storage-alert:{kind}:{date}
// with SET NX before notifying.
type Alerter struct {
	rdb      redis.UniversalClient
	notifier Notifier
	clock    Clock
	log      *slog.Logger
}

// NewAlerter returns an Alerter. A nil notifier only logs.
func NewAlerter(rdb redis.UniversalClient, n Notifier, clock Clock, log *slog.Logger) (*Alerter, error) {
	if rdb == nil {
		return nil, errors.New("storagestats: nil redis client")
	}
	if clock == nil {
		clock = systemClock{}
	}
	if log == nil {
		log = slog.Default()
	}
	return &Alerter{rdb: rdb, notifier: n, clock: clock, log: log}, nil
}

// AlertKey names the once-a-day marker of a kind of notice.
func AlertKey(kind string, day time.Time) string {
	return "ash:schedule:storage-alert:" + kind + ":" + day.UTC().Format(time.DateOnly)
}

// Alert logs a warning for every notice and notifies those not yet sent
// today. It returns how many were sent.
func (a *Alerter) Alert(ctx context.Context, notices []Notice) (int, error) {
	now := a.clock.Now()
	sent := 0
	var errs []error
	for _, n := range notices {
		a.log.Warn("storage usage above threshold", "kind", n.Kind, "text", n.Text)
		if a.notifier == nil {
			continue
		}
		key := AlertKey(n.Kind, now)
		first, err := a.rdb.SetNX(ctx, key, now.UTC().Format(time.RFC3339), alertKeyTTL).Result()
		if err != nil {
			errs = append(errs, fmt.Errorf("claim storage alert %s: %w", n.Kind, err))
			continue
		}
		if !first {
			continue
		}
		if err := a.notifier.Notify(ctx, n.Text); err != nil {
			// Give the claim back so that a later check today can retry.
			if derr := a.rdb.Del(context.WithoutCancel(ctx), key).Err(); derr != nil {
				err = errors.Join(err, fmt.Errorf("release claim: %w", derr))
			}
			errs = append(errs, fmt.Errorf("notify storage alert %s: %w", n.Kind, err))
			continue
		}
		sent++
	}
	return sent, errors.Join(errs...)
}

// Thresholds are the storage alert limits; zero switches one off.
type Thresholds struct {
	MaxMemoryBytes  int64
	MaxCategoryKeys int64
}

// Monitor measures the store and alerts on thresholds; the bot runs it
// after each daily cleanup.
type Monitor struct {
	collector  *Collector
	alerter    *Alerter
	thresholds Thresholds
	log        *slog.Logger
}

// NewMonitor ties a collector, an alerter and thresholds together.
func NewMonitor(c *Collector, a *Alerter, t Thresholds, log *slog.Logger) (*Monitor, error) {
	if c == nil || a == nil {
		return nil, errors.New("storagestats: monitor needs a collector and an alerter")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Monitor{collector: c, alerter: a, thresholds: t, log: log}, nil
}

// Check collects stats, logs them, and alerts on every threshold exceeded.
func (m *Monitor) Check(ctx context.Context) (Stats, []Notice, error) {
	st, err := m.collector.Collect(ctx)
	if err != nil {
		return st, nil, err
	}
	attrs := []any{"total_keys", st.TotalKeys, "used_memory_bytes", st.UsedMemoryBytes, "other_keys", st.OtherKeys}
	for _, c := range st.Categories {
		attrs = append(attrs, slog.Group(string(c.Category), "keys", c.Keys,
			"keys_without_ttl", c.KeysWithoutTTL, "approx_memory_bytes", c.ApproxMemoryBytes))
	}
	m.log.Info("storage stats", attrs...)
	notices := CheckThresholds(st, m.thresholds)
	_, err = m.alerter.Alert(ctx, notices)
	return st, notices, err
}

// AfterCleanup has the signature of the cleanup job's after hook. Its
// errors are logged here: a failed check must not make the scheduler
// repeat a finished cleanup.
func (m *Monitor) AfterCleanup(ctx context.Context, _ retention.Report) {
	if _, _, err := m.Check(ctx); err != nil {
		if ctx.Err() != nil {
			// Shutting down: the next day's cleanup checks again.
			m.log.Info("storage check skipped: shutting down")
			return
		}
		m.log.Error("storage check failed", "error", err.Error())
	}
}
