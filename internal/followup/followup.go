// Package followup is Ash's follow-up check-ins (BOT_FOLLOWUP_*): some
// hours after an Ash chat about an alert ends, Ash asks the person by DM
// how they are doing, and a reply starts a new chat linked to that alert.
//
// A chat gets a check-in when it lasted at least the minimum, its alert is
// at least the minimum severity, and it ended in a way that leaves the
// person with us: completed (the alert was resolved), user_ended, timeout,
// max_duration, or handoff (a CRT member took over: their talk is likely
// over a day later, and the thread is told of the check-in). A chat that
// ended by opt-out or by error (Ash could not reach them) gets none, nor
// does a chat that itself answered a check-in. Each alert gets at most one.
//
// State lives in Redis, so check-ins survive restarts and fire on one
// replica only:
//
//	ash:schedule:followups                 zset   alert id -> due time (ms); claimed with ZREM
//	ash:session:followup:{alert_id}        hash   the check-in: person, chat, times, state (scheduled, sending, sent, skipped)
//	ash:session:followup-last:{user_id}    string when the person last got a check-in (ms): one per 24 h
//	ash:session:followup-pending:{user_id} string alert id of the check-in a reply answers
//
// At send time a check-in is skipped, and counted, when the person opted
// out, had one in the last 24 hours, closed their DMs, or when it is
// BOT_FOLLOWUP_MAX_HOURS past the chat's end (a bot that was down must not
// send stale check-ins). A reply counts as an answer for as long again
// after the check-in was sent.
package followup

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Alerts reads an alert's severity; *alerts.Store is one.
type Alerts interface {
	Load(ctx context.Context, alertID string) (alerts.State, error)
}

// People says whether a person opted out of Ash or is in a chat;
// *ash.Store is one.
type People interface {
	OptedOut(ctx context.Context, userID string) (until time.Time, ok bool, err error)
	ActiveFor(ctx context.Context, userID string) (ash.Session, bool, error)
}

// Linker starts the chat that answers a check-in; *ash.Manager is one.
type Linker interface {
	StartLinked(ctx context.Context, req ash.LinkedRequest) (ash.Session, error)
}

// Options configure Checkins.
type Options struct {
	Redis  redis.UniversalClient
	Alerts Alerts
	People People
	DM     ash.DM
	Team   ash.Team
	Events ash.EventSink
	// ResourcesText is BOT_ASH_RESOURCES_TEXT, shown with every check-in.
	ResourcesText string

	Delay       time.Duration // BOT_FOLLOWUP_DELAY_HOURS
	Max         time.Duration // BOT_FOLLOWUP_MAX_HOURS
	MinSeverity events.Severity
	MinSession  time.Duration // BOT_FOLLOWUP_MIN_SESSION_MINUTES

	Clock  schedule.Clock
	Logger *slog.Logger
}

// Checkins schedules, sends and answers follow-up check-ins.
type Checkins struct {
	opts   Options
	timers *ash.DueSet
	log    *slog.Logger

	scheduled, sent, answered atomic.Int64
	mu                        sync.Mutex
	skipped                   map[string]int64
}

// New validates opts and returns Checkins.
func New(opts Options) (*Checkins, error) {
	if opts.Redis == nil || opts.Alerts == nil || opts.People == nil || opts.DM == nil || opts.Team == nil ||
		opts.Events == nil || opts.Clock == nil {
		return nil, errors.New("followup: Redis, Alerts, People, DM, Team, Events and Clock are required")
	}
	if strings.TrimSpace(opts.ResourcesText) == "" {
		return nil, errors.New("followup: the crisis resources text is empty")
	}
	if opts.Delay <= 0 || opts.Max <= opts.Delay {
		return nil, fmt.Errorf("followup: the delay (%v) must be positive and the maximum (%v) longer", opts.Delay, opts.Max)
	}
	if _, err := events.ParseSeverity(string(opts.MinSeverity)); err != nil {
		return nil, fmt.Errorf("followup: minimum severity: %w", err)
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Checkins{opts: opts, timers: ash.NewDueSet(opts.Redis, TimersKey), log: opts.Logger.With("component", "followup"),
		skipped: map[string]int64{}}, nil
}

// Timers returns the check-ins' timer set, for the poller.
func (c *Checkins) Timers() *ash.DueSet { return c.timers }

// qualifies reports whether a chat that ended this way gets a check-in
// (see the package comment).
func qualifies(r events.EndReason) bool {
	switch r {
	case events.EndCompleted, events.EndUserEnded, events.EndTimeout, events.EndMaxDuration, events.EndHandoff:
		return true
	}
	return false
}

// OnEnded schedules the check-in of a chat that ended, if it gets one. It
// is ash.Options.OnEnded; failures are logged, never returned: the chat
// has ended either way.
func (c *Checkins) OnEnded(ctx context.Context, s ash.Session) {
	log := c.log.With("alert_id", s.AlertID, "session_id", s.ID)
	if s.Linked() || !qualifies(s.EndReason) || s.EndedAt.Sub(s.StartedAt) < c.opts.MinSession {
		return
	}
	st, err := c.opts.Alerts.Load(ctx, s.AlertID)
	if err != nil {
		log.Warn("no check-in: the alert's severity is unavailable", "error", err.Error())
		return
	}
	if st.Severity.Rank() < c.opts.MinSeverity.Rank() {
		return
	}
	due := s.EndedAt.Add(c.opts.Delay)
	created, err := c.create(ctx, s, due)
	if err != nil {
		log.Error("check-in not scheduled", "error", err.Error())
		return
	}
	if !created {
		return // the alert has its check-in already
	}
	if err := c.timers.Add(ctx, s.AlertID, due); err != nil {
		log.Error("check-in not scheduled: its timer could not be set", "error", err.Error())
		return
	}
	c.scheduled.Add(1)
	log.Info("check-in scheduled", "due", due)
}

// Skip reasons, the label of ashbot_followups_skipped_total.
const (
	SkipOptedOut    = "opted_out"   // the person opted out of Ash
	SkipTooLate     = "too_late"    // BOT_FOLLOWUP_MAX_HOURS past the chat's end
	SkipRecent      = "recent"      // they had a check-in in the last 24 hours
	SkipUnreachable = "unreachable" // their DMs are closed
)

// SkipReasons lists every skip reason.
func SkipReasons() []string { return []string{SkipOptedOut, SkipTooLate, SkipRecent, SkipUnreachable} }

// Stats counts what this replica did.
type Stats struct {
	Scheduled, Sent, Answered int64
	Skipped                   map[string]int64 // by reason
}

// Stats returns the counters so far.
func (c *Checkins) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	sk := make(map[string]int64, len(c.skipped))
	for k, v := range c.skipped {
		sk[k] = v
	}
	return Stats{Scheduled: c.scheduled.Load(), Sent: c.sent.Load(), Answered: c.answered.Load(), Skipped: sk}
}

func (c *Checkins) countSkip(reason string) {
	c.mu.Lock()
	c.skipped[reason]++
	c.mu.Unlock()
}
