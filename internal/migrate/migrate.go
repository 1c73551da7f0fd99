// Package migrate carries the Redis data of the earlier Python Ash-Bot
// over to ashbot: `ashbot migrate from-ash-bot`. docs/migrating-from-ash-bot.md
// is its user's guide, with the table of keys old and new.
//
// It scans every master (Cluster-safe, like cleanup) and touches one key
// per command or script. It is idempotent, so a second run changes nothing,
// and resumable: every step either leaves the earlier key in place or has
// copied it first, so a run stopped anywhere loses nothing and the next run
// finishes the job. A dry run reads only.
//
// The earlier bot's Phase 8 metrics keys live under the names ashbot's
// recorder writes, as sorted sets where ashbot keeps hashes and strings.
// Each is copied (DUMP/RESTORE, one key each) to ash:migrate:backup:...
// with its TTL before it is removed, and an alert's snapshots are then
// replayed from the copy as lifecycle events through the recorder, which
// stores each event kind once per alert however often it is replayed.
package migrate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/retention"
)

// Options set up a run.
type Options struct {
	DryRun     bool
	Retentions retention.Retentions
	// Recorder records the events converted from the earlier metrics; nil
	// when metrics are off (the earlier records then stay in their backup).
	Recorder *metrics.Recorder
	Alerts   *alerts.Store
	AutoInit *ash.AutoInit
	Now      func() time.Time
	// Progress, when set, is called after every key with the keys done so
	// far and the database's size when the run began (an upper bound).
	Progress func(done, total int64)
	Logger   *slog.Logger
}

// Key kinds, in report order.
const (
	KindOptOuts        = "opt-outs"
	KindHistory        = "message history"
	KindPending        = "pending auto-initiates"
	KindSessions       = "session metadata"
	KindFollowUps      = "follow-ups"
	KindMetricsAlerts  = "metrics: alerts"
	KindMetricsLookups = "metrics: alert lookups"
	KindMetricsDaily   = "metrics: daily aggregates"
	KindEvents         = "metrics: events from earlier alerts"
)

var kinds = []struct{ name, pattern string }{
	{KindOptOuts, "ash:optout:*"},
	{KindHistory, "ash:history:*"},
	{KindPending, "ash:pending_alert:*"},
	{KindSessions, "ash:session:meta:*"},
	{KindFollowUps, "ash:followup:*"},
	{KindMetricsAlerts, "ash:metrics:alert:*"},
	{KindMetricsLookups, "ash:metrics:alert_lookup:*"},
	{KindMetricsDaily, "ash:metrics:daily:*"},
	{KindEvents, backupAlertPrefix + "*"},
}

// KindReport is what a run found and did for one kind of key.
type KindReport struct {
	Kind    string `json:"kind"`
	Pattern string `json:"pattern"`
	Found   int64  `json:"found"`
	// Outcomes counts keys (for events: events) per outcome, in the words
	// of the text report ("rewritten in the earlier JSON form").
	Outcomes map[string]int64 `json:"outcomes"`
	order    []string
	// Problems are samples of what could not be read or done; keys that
	// name a person are not shown.
	Problems []string `json:"problems,omitempty"`
	Errors   int64    `json:"errors"`
}

// Report is the outcome of a run.
type Report struct {
	DryRun    bool          `json:"dry_run"`
	Completed bool          `json:"completed"`
	Kinds     []*KindReport `json:"kinds"`

	mu sync.Mutex
}

const maxProblems = 5

func (r *Report) kind(name string) *KindReport {
	for _, k := range r.Kinds {
		if k.Kind == name {
			return k
		}
	}
	panic("migrate: unknown kind " + name)
}

func (r *Report) found(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.kind(kind).Found++
}

func (r *Report) count(kind, outcome string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kind(kind)
	if _, ok := k.Outcomes[outcome]; !ok {
		k.order = append(k.order, outcome)
	}
	k.Outcomes[outcome] += n
}

// problem notes something that could not be read or done; an error is a
// failure the next run may get past.
func (r *Report) problem(kind, what string, isErr bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := r.kind(kind)
	if isErr {
		k.Errors++
	}
	if len(k.Problems) < maxProblems {
		k.Problems = append(k.Problems, what)
	}
}

// Err summarises the errors of a finished run, nil when there were none.
func (r *Report) Err() error {
	var errs []error
	for _, k := range r.Kinds {
		if k.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s: %d errors, e.g. %s", k.Kind, k.Errors, strings.Join(k.Problems, "; ")))
		}
	}
	return errors.Join(errs...)
}

// Migrator runs migrations on one Redis.
type Migrator struct {
	rdb  redis.UniversalClient
	opts Options
	log  *slog.Logger
}

// New checks opts and returns a Migrator.
func New(rdb redis.UniversalClient, opts Options) (*Migrator, error) {
	if rdb == nil || opts.Now == nil || opts.Alerts == nil || opts.AutoInit == nil {
		return nil, errors.New("migrate: redis, Now, Alerts and AutoInit are required")
	}
	if err := opts.Retentions.Validate(); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	return &Migrator{rdb: rdb, opts: opts, log: log}, nil
}

// Run makes three passes: every earlier key but the pending alerts (the
// metrics keys move to their backups), then the backups of alert metrics
// (replayed as events), then the pending alerts, which look up alert ids
// the metrics pass has made readable. It goes on past problems with
// single keys; an error return means a pass could not be completed, and
// running again is safe.
func (m *Migrator) Run(ctx context.Context) (*Report, error) {
	rep := &Report{DryRun: m.opts.DryRun}
	for _, k := range kinds {
		rep.Kinds = append(rep.Kinds, &KindReport{Kind: k.name, Pattern: k.pattern, Outcomes: map[string]int64{}})
	}
	total, err := retention.KeyCount(ctx, m.rdb)
	if err != nil {
		return rep, err
	}
	var done int64
	var mu sync.Mutex
	step := func() {
		if m.opts.Progress == nil {
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done++
		m.opts.Progress(done, total)
	}
	passes := []struct {
		pattern string
		handle  func(ctx context.Context, rep *Report, key string) error
	}{
		{"ash:*", m.first},
		{backupAlertPrefix + "*", m.replayAlert},
		{pendingPrefix + "*", m.pending},
	}
	for _, p := range passes {
		err := retention.Walk(ctx, m.rdb, p.pattern, func(ctx context.Context, keys []string) error {
			for _, k := range keys {
				if err := p.handle(ctx, rep, k); err != nil {
					return err
				}
				step()
			}
			return nil
		})
		if err != nil {
			return rep, fmt.Errorf("migrate: %w", err)
		}
	}
	rep.Completed = true
	m.log.Info("migration from the earlier Ash-Bot finished", "dry_run", m.opts.DryRun, "errors", rep.totalErrors())
	return rep, nil
}

func (r *Report) totalErrors() int64 {
	var n int64
	for _, k := range r.Kinds {
		n += k.Errors
	}
	return n
}

// first handles a key of the first pass by its prefix.
func (m *Migrator) first(ctx context.Context, rep *Report, key string) error {
	switch {
	case strings.HasPrefix(key, optOutPrefix):
		return m.optOut(ctx, rep, key)
	case strings.HasPrefix(key, historyPrefix):
		return m.history(ctx, rep, key)
	case strings.HasPrefix(key, sessionMetaPrefix):
		return m.sessionMeta(ctx, rep, key)
	case strings.HasPrefix(key, followUpPrefix):
		return m.followUp(ctx, rep, key)
	case strings.HasPrefix(key, lookupPrefix):
		return m.lookup(ctx, rep, key)
	case strings.HasPrefix(key, alertPrefix):
		return m.metricsZSet(ctx, rep, KindMetricsAlerts, key, m.opts.Retentions.AlertMetrics)
	case strings.HasPrefix(key, dailyPrefix):
		return m.metricsZSet(ctx, rep, KindMetricsDaily, key, m.opts.Retentions.Aggregates)
	}
	return nil
}

// keyErr classifies a failed command: a reply about this key (WRONGTYPE,
// OOM...) is a problem of the key and the run goes on; anything else (the
// connection) ends the run.
func keyErr(rep *Report, kind, what string, err error) error {
	var rerr redis.Error
	if errors.As(err, &rerr) {
		rep.problem(kind, fmt.Sprintf("%s: %v", what, err), true)
		return nil
	}
	return fmt.Errorf("%s: %w", what, err)
}

// WriteText writes the report for a person: per kind, what was found and
// what was (or, in a dry run, would be) done.
func (r *Report) WriteText(w io.Writer) {
	switch {
	case r.DryRun:
		fmt.Fprintln(w, "migration from the earlier Ash-Bot: dry run, nothing was changed")
	case !r.Completed:
		fmt.Fprintln(w, "migration from the earlier Ash-Bot: STOPPED before the end (running it again is safe)")
	default:
		fmt.Fprintln(w, "migration from the earlier Ash-Bot: done")
	}
	for _, k := range r.Kinds {
		fmt.Fprintf(w, "\n%s (%s): %d found\n", k.Kind, k.Pattern, k.Found)
		for _, o := range k.order {
			fmt.Fprintf(w, "  %6d  %s\n", k.Outcomes[o], o)
		}
		if k.Errors > 0 {
			fmt.Fprintf(w, "  %6d  errors\n", k.Errors)
		}
		for _, p := range k.Problems {
			fmt.Fprintf(w, "  ! %s\n", p)
		}
	}
}
