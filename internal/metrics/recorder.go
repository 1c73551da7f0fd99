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
	// RecordedAggregateOnly: the event was new and counts in its day's
	// aggregate, but its alert is older than the alert retention, so no
	// alert record holds it (imports only; see past.go).
	RecordedAggregateOnly
)

func (o Outcome) String() string {
	return [...]string{"recorded", "duplicate", "disabled", "recorded (aggregate only)"}[o]
}

// RejectedError is returned for an event that cannot be stored: invalid,
// for an unknown alert, out of order or past retention. It changed nothing.
type RejectedError struct {
	Reason string
	// waits is set when the event may be stored once an earlier event is
	// (its alert's creation, or its session's start): an import retries
	// such events after the rest of its input.
	waits bool
}

func (e *RejectedError) Error() string { return "rejected: " + e.Reason }

func reject(format string, a ...any) error {
	return &RejectedError{Reason: fmt.Sprintf(format, a...)}
}

// IsRejected reports whether err is a rejection rather than a storage failure.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}

// Rejections of the alert script that an earlier event would lift.
const (
	reasonUnknownAlert   = "unknown alert"
	reasonNoSessionStart = "session_ended without session_started"
	reasonNoFollowup     = "followup_answered without followup_sent"
)

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
// event costs two Redis round trips, each a single-key script with
// single-key commands riding along, and concurrent events share them (a
// third, rare one gives a day's facts hash its TTL: see writeFacts).
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
	events.Acknowledged:     "ack",
	events.AshContacted:     "ash",
	events.UserOptedOut:     "opt",
	events.FirstResponse:    "fr",
	events.Resolved:         "res",
	events.SessionStarted:   "s0",
	events.SessionEnded:     "s1",
	events.FollowupSent:     "fu",
	events.FollowupAnswered: "fa",
}

// op is the alert script's operation for ev.
func op(ev events.Event) string {
	if ev.Type == events.Escalated {
		if ev.Level == events.EscalationLeads {
			return "e2"
		}
		return "e1"
	}
	return ops[ev.Type]
}

// Record stores one event exactly once. A *RejectedError means the event is
// invalid and nothing changed; any other error is a storage failure after
// which the same event may safely be recorded again.
func (r *Recorder) Record(ctx context.Context, ev events.Event) (Outcome, error) {
	if !r.opts.Enabled {
		return Disabled, nil
	}
	now := r.opts.Now()
	st, err := r.apply(ctx, ev, now)
	if err != nil {
		return 0, err
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

// apply checks the event and runs the alert script: the first of the two
// round trips of Record.
func (r *Recorder) apply(ctx context.Context, ev events.Event, now time.Time) (alertState, error) {
	if err := check(ev, now); err != nil {
		return alertState{}, err
	}
	at := ev.At.UnixMilli()
	var args []any
	if ev.Type == events.AlertCreated {
		expires := ev.At.Add(r.opts.AlertTTL)
		if !expires.After(now) {
			return alertState{}, reject("alert created %s is older than the metrics retention (%d days)",
				ev.At.UTC().Format(time.RFC3339), days(r.opts.AlertTTL))
		}
		sens := ""
		if s := ev.Sensitivity(); s != 1.0 {
			sens = strconv.FormatFloat(s, 'g', -1, 64)
		}
		args = []any{"create", at, expires.Sub(now).Milliseconds(), string(ev.Severity), ev.AlertMessageID, ev.UserID, ev.ChannelID, sens, ev.Source}
	} else {
		args = []any{op(ev), at}
		switch ev.Type {
		case events.SessionStarted, events.FollowupAnswered:
			args = append(args, ev.SessionID)
		case events.SessionEnded:
			args = append(args, ev.SessionID, string(ev.Reason))
		case events.UserOptedOut, events.FollowupSent, events.Escalated:
		default:
			args = append(args, ev.By)
		}
	}

	res, err := r.batch.eval(ctx, alertScript, []string{alertKey(ev.AlertID)}, args, nil).Slice()
	if isWrongType(err) {
		// Retrying cannot help, and an outbox that retried would hold up
		// every later event behind this one: the script failed before
		// writing anything, so the event is rejected with what fixes it.
		return alertState{}, reject("%s", wrongTypeReason(alertKey(ev.AlertID)))
	}
	if err != nil {
		return alertState{}, fmt.Errorf("record %s for alert %s: %w", ev.Type, ev.AlertID, err)
	}
	st, err := parseAlertReply(res)
	if err != nil {
		return alertState{}, fmt.Errorf("record %s for alert %s: %w", ev.Type, ev.AlertID, err)
	}
	if st.rejected != "" {
		return alertState{}, &RejectedError{Reason: st.rejected, waits: waits(st.rejected)}
	}
	return st, nil
}

// waits reports whether a rejection would be lifted by an earlier event
// (the alert's creation, the session's start, the check-in).
func waits(reason string) bool {
	return reason == reasonUnknownAlert || reason == reasonNoSessionStart || reason == reasonNoFollowup
}

// check validates an event on its own: its fields, and that it is not
// stamped in the future.
func check(ev events.Event, now time.Time) error {
	if err := ev.Validate(); err != nil {
		return &RejectedError{Reason: err.Error()}
	}
	if ev.At.After(now.Add(futureSkew)) {
		return reject("at %s is in the future", ev.At.UTC().Format(time.RFC3339))
	}
	return nil
}

// days is a retention in whole days, as the settings give it.
func days(d time.Duration) int { return int(d.Hours() / 24) }

// alertState is what the alert script tells about the alert: whether the
// event was new, and every event the record now holds that the daily
// aggregate counts (the new one, or the first one on a duplicate).
type alertState struct {
	status   int64
	rejected string
	t0       time.Time
	severity string
	message  string
	stored   int // bits of the kinds stored besides creation
	// Offsets from t0 (ms) of the stored kinds; session is its length.
	ack, ash, first, resolved, session int64
	ackBy, ashBy, endReason            string
	firstBy, resolvedBy                string
	sessionEnd                         int64 // offset of the session's end (ms)
	// user is the person the alert is about (alert_created's user_id).
	user string
}

// parseAlertReply reads {t0, sev, msg, ack, ack_by, ash, ash_by, opt, fr,
// res, sid, s0, s1, sr, uid, fu, fa, e1, e2, fr_by, res_by, status}: strings as HMGET returns them, numbers
// where the script just stored them, nil where nothing is stored.
func parseAlertReply(res []any) (alertState, error) {
	var st alertState
	if len(res) == 2 {
		if msg, ok := res[1].(string); ok {
			st.rejected = msg
			return st, nil
		}
	}
	if len(res) != 22 {
		return st, fmt.Errorf("unexpected script reply %v", res)
	}
	var ok bool
	st.status, ok = res[21].(int64)
	t0, okT0 := replyInt(res[0])
	st.severity, _ = res[1].(string)
	st.message, _ = res[2].(string)
	if !ok || !okT0 || st.severity == "" {
		return st, fmt.Errorf("unexpected script reply %v", res)
	}
	st.t0 = time.UnixMilli(t0).UTC()
	// offset marks the kind at res[i] as stored and keeps its offset in
	// into; kinds whose time the day does not need pass nil.
	offset := func(i, bit int, into *int64) {
		if v, ok := replyInt(res[i]); ok {
			st.stored |= bit
			if into != nil {
				*into = v
			}
		}
	}
	var s0, s1 int64
	offset(3, bitAck, &st.ack)
	offset(5, bitAsh, &st.ash)
	offset(7, bitOptOut, nil)
	offset(8, bitFirst, &st.first)
	offset(9, bitResolved, &st.resolved)
	offset(11, bitSessStart, &s0)
	offset(12, bitSessEnd, &s1)
	offset(15, bitFollowup, nil)
	offset(16, bitAnswered, nil)
	offset(17, bitEscTeam, nil)
	offset(18, bitEscLeads, nil)
	st.session, st.sessionEnd = s1-s0, s1
	st.ackBy, _ = res[4].(string)
	st.ashBy, _ = res[6].(string)
	st.endReason, _ = res[13].(string)
	st.user, _ = res[14].(string)
	st.firstBy, _ = res[19].(string)
	st.resolvedBy, _ = res[20].(string)
	return st, nil
}

// replyInt reads a number of the alert script's reply: an integer reply,
// or a decimal string read back from the hash.
func replyInt(v any) (int64, bool) {
	switch v := v.(type) {
	case int64:
		return v, true
	case string:
		n, err := strconv.ParseInt(v, 10, 64)
		return n, err == nil
	}
	return 0, false
}

// hourFields are the per-hour counter names, made once: formatting them on
// every event showed up in profiles.
var hourFields = func() (f [24]string) {
	for h := range f {
		f[h] = fmt.Sprintf("%s%02d", aHourPrefix, h)
	}
	return f
}()

// aggregate adds the alert to the daily aggregate of its creation day,
// with every event its record holds, not only this one: the day
// script skips what it counted before, so if an earlier attempt stored an
// event but lost its aggregate update (a crash between the two scripts, a
// lost reply), this event heals the day, whatever its kind.
//
// Expiry times are absolute (the alert's time plus retention) but are sent
// as relative TTLs computed from the injected clock, so that imported
// history keeps retention relative to its own time and tests stay exact.
func (r *Recorder) aggregate(ctx context.Context, ev events.Event, st alertState, now time.Time) error {
	day, ttl := r.day(st.t0, now)
	if ttl <= 0 {
		// The day is past aggregate retention (possible when alert records
		// are kept longer than aggregates): it would expire at once.
		return nil
	}
	args := dailyArgs(ev.AlertID, st, ttl)
	date := day.Format(time.DateOnly) // day is UTC, as dailyKey and factsKey format it

	var lookup *redis.StatusCmd
	var person *redis.Cmd
	var facts *redis.IntCmd
	var factsTTL time.Duration
	// The day's facts entry, and for a creation the message-id lookup and
	// the person's index, ride in the same round trip. Each is a separate
	// single-key command, so Cluster can route it on its own.
	extra := func(p redis.Pipeliner) {
		facts, factsTTL = r.writeFacts(ctx, p, ev, st, day, factsPrefix+date, now)
		if ev.Type == events.AlertCreated {
			lookup = p.SetArgs(ctx, lookupKey(st.message), ev.AlertID, redis.SetArgs{Mode: "NX", TTL: st.t0.Add(r.opts.AlertTTL).Sub(now)})
			person = r.indexPerson(ctx, p, st.user, ev.AlertID, st.t0, now)
		}
	}
	if err := r.batch.eval(ctx, dailyScript, []string{dailyPrefix + date}, args, extra).Err(); err != nil {
		return err
	}
	// A facts hash of another type cannot be helped by a retry: reports
	// then read the day's records and name the key. Other failures are
	// retried with the event.
	if facts != nil {
		if err := facts.Err(); err != nil && !isWrongType(err) {
			return fmt.Errorf("the day's facts: %w", err)
		}
		if ev.Type != events.AlertCreated && facts.Val() > 0 {
			if err := r.healFactsTTL(ctx, factsPrefix+date, factsTTL); err != nil {
				return fmt.Errorf("the day's facts: %w", err)
			}
		}
	}
	// A SET NX that finds the key replies nil: expected on replays.
	if lookup != nil {
		if err := lookup.Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("alert lookup: %w", err)
		}
	}
	if person != nil {
		err := person.Err()
		if isNoScript(err) {
			err = r.indexPersonAgain(ctx, st.user, ev.AlertID, st.t0, now)
		}
		// A key of another type cannot be helped by a retry; /ash history
		// then misses the alert and cleanup reports the key's type. Other
		// failures are retried with the event. The key names the person:
		// the error does not.
		if err != nil && !isWrongType(err) {
			return fmt.Errorf("the person's alert index: %w", err)
		}
	}
	return nil
}

// day is the UTC day an alert created at t0 counts in, and the TTL its
// aggregate has left at now (<= 0 once past aggregate retention).
func (r *Recorder) day(t0, now time.Time) (time.Time, time.Duration) {
	day := t0.Truncate(24 * time.Hour)
	return day, day.Add(24*time.Hour + r.opts.AggregateTTL).Sub(now)
}

// dailyArgs are the day script's arguments for everything st holds.
func dailyArgs(alertID string, st alertState, ttl time.Duration) []any {
	// Durations are whole seconds, rounded down; "" marks a kind the
	// record does not hold.
	secs := func(bit int, ms int64) any {
		if st.stored&bit == 0 {
			return ""
		}
		return ms / 1000
	}
	// flag is "1" when the record holds any of bits.
	flag := func(bits int) string {
		if st.stored&bits == 0 {
			return ""
		}
		return "1"
	}
	ashKind := aAshManual
	if st.ashBy == events.AutoBy {
		ashKind = aAshAuto
	}
	endReason, sessSecs := "", any("")
	if st.stored&bitSessEnd != 0 {
		endReason = st.endReason
		if events.EndReason(st.endReason).Completed() {
			sessSecs = st.session / 1000
		}
	}
	return []any{aIndexPrefix + alertID, ttl.Milliseconds(),
		st.severity, hourFields[st.t0.Hour()],
		secs(bitAck, st.ack), responder(st),
		secs(bitAsh, st.ash), ashKind,
		flag(bitOptOut),
		secs(bitFirst, st.first),
		secs(bitResolved, st.resolved),
		flag(bitSessStart),
		endReason, sessSecs,
		flag(bitFollowup), flag(bitAnswered),
		flag(bitEscTeam | bitEscLeads), flag(bitEscLeads),
	}
}

// responder is who the day counts among the CRT responders for the
// acknowledgment: nobody when the person the alert is about acknowledged
// it themselves (a CRT member can be in crisis too), since the person in
// crisis never appears in a report; the acknowledgment itself still counts.
func responder(st alertState) string {
	if st.ackBy == st.user {
		return ""
	}
	return st.ackBy
}
