package metrics

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Outcome says what recording an event did.
type Outcome int

// Outcomes of Record.
const (
	Recorded  Outcome = iota // the event was new and is stored
	Duplicate                // an event of this kind was already stored for the alert
	Disabled                 // metrics are switched off; nothing was written
)

func (o Outcome) String() string {
	return [...]string{"recorded", "duplicate", "disabled"}[o]
}

// RejectedError is returned for an event that can never be stored: invalid,
// for an unknown alert, out of order or past retention. Retrying it is
// pointless; it changed nothing.
type RejectedError struct{ Reason string }

func (e *RejectedError) Error() string { return "rejected: " + e.Reason }

func reject(format string, a ...any) error {
	return &RejectedError{Reason: fmt.Sprintf(format, a...)}
}

// IsRejected reports whether err is a rejection rather than a storage failure.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}

// futureSkew is how far ahead of the bot's clock an event may be stamped.
// Discord's clocks and ours differ by little; anything further out is a
// broken producer and would distort the report.
const futureSkew = 5 * time.Minute

// RecorderOptions configures a Recorder.
type RecorderOptions struct {
	Enabled      bool
	AlertTTL     time.Duration // lifetime of alert records, counted from each alert's creation
	AggregateTTL time.Duration // lifetime of daily aggregates, counted from the end of the day
	Now          func() time.Time
}

// Recorder stores lifecycle events. It is safe for concurrent use; every
// event costs at most two Redis round trips, each a single-key script, and
// concurrent events share them.
type Recorder struct {
	batch *batcher
	opts  RecorderOptions
}

// NewRecorder checks the options and returns a Recorder.
func NewRecorder(rdb redis.UniversalClient, opts RecorderOptions) (*Recorder, error) {
	if opts.Enabled && (opts.AlertTTL <= 0 || opts.AggregateTTL <= 0) {
		return nil, fmt.Errorf("metrics recorder: retention must be positive (alert %s, aggregate %s)", opts.AlertTTL, opts.AggregateTTL)
	}
	if opts.Now == nil {
		return nil, fmt.Errorf("metrics recorder: Now is required")
	}
	return &Recorder{batch: newBatcher(rdb), opts: opts}, nil
}

var ops = map[events.Type]string{
	events.Acknowledged:   "ack",
	events.AshContacted:   "ash",
	events.UserOptedOut:   "opt",
	events.FirstResponse:  "fr",
	events.Resolved:       "res",
	events.SessionStarted: "s0",
	events.SessionEnded:   "s1",
}

// Record stores one event exactly once. A *RejectedError means the event is
// invalid and nothing changed; any other error is a storage failure after
// which the same event may safely be recorded again.
func (r *Recorder) Record(ctx context.Context, ev events.Event) (Outcome, error) {
	if !r.opts.Enabled {
		return Disabled, nil
	}
	if err := ev.Validate(); err != nil {
		return 0, &RejectedError{Reason: err.Error()}
	}
	now := r.opts.Now()
	if ev.At.After(now.Add(futureSkew)) {
		return 0, reject("at %s is in the future", ev.At.UTC().Format(time.RFC3339))
	}
	at := ev.At.UnixMilli()
	var args []any
	if ev.Type == events.AlertCreated {
		expires := ev.At.Add(r.opts.AlertTTL)
		if !expires.After(now) {
			return 0, reject("alert created %s is older than the metrics retention (%d days)",
				ev.At.UTC().Format(time.RFC3339), int(r.opts.AlertTTL.Hours()/24))
		}
		sens := ""
		if s := ev.Sensitivity(); s != 1.0 {
			sens = strconv.FormatFloat(s, 'g', -1, 64)
		}
		args = []any{"create", at, expires.Sub(now).Milliseconds(), string(ev.Severity), ev.AlertMessageID, ev.UserID, ev.ChannelID, sens}
	} else {
		args = []any{ops[ev.Type], at}
		switch ev.Type {
		case events.SessionStarted:
			args = append(args, ev.SessionID)
		case events.SessionEnded:
			args = append(args, ev.SessionID, string(ev.Reason))
		case events.UserOptedOut:
		default:
			args = append(args, ev.By)
		}
	}

	res, err := r.batch.eval(ctx, alertScript, []string{alertKey(ev.AlertID)}, args, nil).Slice()
	if isWrongType(err) {
		// Retrying cannot help, and an outbox that retried would hold up
		// every later event behind this one: the script failed before
		// writing anything, so the event is rejected with what fixes it.
		return 0, reject("%s", wrongTypeReason(alertKey(ev.AlertID)))
	}
	if err != nil {
		return 0, fmt.Errorf("record %s for alert %s: %w", ev.Type, ev.AlertID, err)
	}
	st, err := parseAlertReply(res)
	if err != nil {
		return 0, fmt.Errorf("record %s for alert %s: %w", ev.Type, ev.AlertID, err)
	}
	if st.rejected != "" {
		return 0, &RejectedError{Reason: st.rejected}
	}
	if err := r.aggregate(ctx, ev, st, now); err != nil {
		if isWrongType(err) {
			// The alert record holds the event; only the day's counts miss
			// it until the key is converted.
			return 0, reject("event stored in the alert record, but the daily aggregate is unwritable: %s", wrongTypeReason(dailyKey(st.t0.Truncate(24*time.Hour))))
		}
		return 0, fmt.Errorf("record %s for alert %s: daily aggregate: %w", ev.Type, ev.AlertID, err)
	}
	if st.status == 0 {
		return Duplicate, nil
	}
	return Recorded, nil
}

// alertState is what the alert script tells about the alert and the event
// of this kind that is now stored (the new one, or the first one on a
// duplicate).
type alertState struct {
	status   int64
	rejected string
	t0       time.Time
	severity string
	value    int64  // ms offset of the event from t0; session length for s1
	detail   string // by, reason, or the alert message id on create
}

func parseAlertReply(res []any) (alertState, error) {
	var st alertState
	if len(res) == 2 {
		if msg, ok := res[1].(string); ok {
			st.rejected = msg
			return st, nil
		}
	}
	if len(res) != 5 {
		return st, fmt.Errorf("unexpected script reply %v", res)
	}
	var ok [4]bool
	var t0 int64
	st.status, ok[0] = res[0].(int64)
	t0, ok[1] = res[1].(int64)
	st.severity, ok[2] = res[2].(string)
	st.value, ok[3] = res[3].(int64)
	st.detail, _ = res[4].(string)
	if ok != [4]bool{true, true, true, true} {
		return st, fmt.Errorf("unexpected script reply %v", res)
	}
	st.t0 = time.UnixMilli(t0).UTC()
	return st, nil
}

// hourFields are the per-hour counter names, made once: formatting them on
// every event showed up in profiles.
var hourFields = func() (f [24]string) {
	for h := range f {
		f[h] = fmt.Sprintf("%s%02d", aHourPrefix, h)
	}
	return f
}()

// group is one idempotent contribution to a daily aggregate.
type group struct {
	bit   int
	incrs []any // field, increment, field, increment, ...
}

// aggregate adds the event to the daily aggregate of the alert's creation day.
// The creation group is always included: if an earlier attempt stored the
// alert but lost its aggregate update, any later event of the alert heals it.
//
// Expiry times are absolute (the alert's time plus retention) but are sent
// as relative TTLs computed from the injected clock, so that imported
// history keeps retention relative to its own time and tests stay exact.
func (r *Recorder) aggregate(ctx context.Context, ev events.Event, st alertState, now time.Time) error {
	day := st.t0.Truncate(24 * time.Hour)
	ttl := day.Add(24*time.Hour + r.opts.AggregateTTL).Sub(now)
	if ttl <= 0 {
		// The day is past aggregate retention (possible when alert records
		// are kept longer than aggregates): it would expire at once.
		return nil
	}
	groups := []group{{bitCreated, []any{
		aAlerts, 1, aSevPrefix + st.severity, 1, hourFields[st.t0.Hour()], 1,
	}}}
	secs := st.value / 1000 // whole seconds, rounded down
	switch ev.Type {
	case events.Acknowledged:
		groups = append(groups, group{bitAck, []any{aAckN, 1, aAckSum, secs, aRespPrefix + st.detail, 1}})
	case events.AshContacted:
		kind := aAshManual
		if st.detail == events.AutoBy {
			kind = aAshAuto
		}
		groups = append(groups, group{bitAsh, []any{aAshN, 1, aAshSum, secs, kind, 1}})
	case events.UserOptedOut:
		groups = append(groups, group{bitOptOut, []any{aOptOut, 1}})
	case events.FirstResponse:
		groups = append(groups, group{bitFirst, []any{aFirstN, 1, aFirstSum, secs}})
	case events.Resolved:
		groups = append(groups, group{bitResolved, []any{aResN, 1, aResSum, secs}})
	case events.SessionStarted:
		groups = append(groups, group{bitSessStart, []any{aSessStarted, 1}})
	case events.SessionEnded:
		incr := []any{aSessEndPrefix + st.detail, 1}
		if events.EndReason(st.detail).Completed() {
			incr = append(incr, aSessSum, secs)
		}
		groups = append(groups, group{bitSessEnd, incr})
	}
	args := []any{aIndexPrefix + ev.AlertID, ttl.Milliseconds(), len(groups)}
	for _, g := range groups {
		args = append(args, g.bit, len(g.incrs)/2)
		args = append(args, g.incrs...)
	}

	var lookup *redis.StatusCmd
	var extra func(redis.Pipeliner)
	if ev.Type == events.AlertCreated {
		// The message-id lookup rides in the same round trip. It is a
		// separate single-key command, so Cluster can route it on its own.
		extra = func(p redis.Pipeliner) {
			lookup = p.SetArgs(ctx, lookupKey(st.detail), ev.AlertID, redis.SetArgs{Mode: "NX", TTL: st.t0.Add(r.opts.AlertTTL).Sub(now)})
		}
	}
	if err := r.batch.eval(ctx, dailyScript, []string{dailyKey(day)}, args, extra).Err(); err != nil {
		return err
	}
	// A SET NX that finds the key replies nil: expected on replays.
	if lookup != nil {
		if err := lookup.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("alert lookup: %w", err)
		}
	}
	return nil
}
