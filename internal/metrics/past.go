package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// History older than the alert-record retention.
//
// An import may bring an alert older than the alert retention whose day is
// still within the aggregate retention (by default 90 and 365 days). Its
// record would expire at once, so none is written, but its events still
// count in its day's aggregate: counts and averages, not percentiles,
// which need the record. What the alert script would keep in the record
// and reply to the day script, the import keeps in memory instead, in a
// pastAlert, for the rest of its input: the creation time, the severity,
// the person the alert is about (until an acknowledgment has been compared
// with them) and the first event of each kind. The day's index bits make
// it exactly once across imports, as for every alert; the first event of a
// kind counted wins.
//
// The live path (Record) never takes this path: the bot records events as
// they happen, and a live event for an alert whose record has expired is
// an unknown alert, as before.

// pastAlert is an import's memory of one alert older than the alert
// retention.
type pastAlert struct {
	line int // of the creation: an import stopped later resumes from here at the latest
	// st is what the alert script would reply for the alert: creation and
	// the first event of each kind.
	st      alertState
	session string // the started session's id
	s0      int64  // its start, offset from creation (ms)
}

// pastRetention reports whether an alert created at t is older than the
// alert retention, so that its record would expire at once.
func (r *Recorder) pastRetention(t time.Time) bool {
	return !t.Add(r.opts.AlertTTL).After(r.opts.Now())
}

// recordPast counts an event of an alert older than the alert retention in
// its day's aggregate, by the same rules as Record, keeping what the alert
// record would hold in pa; a new pa takes the alert's creation. It is one
// round trip, the day script's. pa changes only when the day's update
// succeeded, so a failed event may be recorded again.
func (r *Recorder) recordPast(ctx context.Context, ev events.Event, pa *pastAlert) (Outcome, error) {
	if !r.opts.Enabled {
		return Disabled, nil
	}
	now := r.opts.Now()
	if err := check(ev, now); err != nil {
		return 0, err
	}
	next, isNew, err := pa.apply(ev)
	if err != nil {
		return 0, err
	}
	day, ttl := r.day(next.st.t0, now)
	if ttl <= 0 {
		return 0, reject("alert created %s is older than the aggregate retention (%d days): nothing of it would be kept",
			next.st.t0.Format(time.RFC3339), days(r.opts.AggregateTTL))
	}
	added, err := r.batch.eval(ctx, dailyScript, []string{dailyKey(day)}, dailyArgs(ev.AlertID, next.st, ttl), nil).Int()
	if err != nil {
		return 0, fmt.Errorf("record %s for alert %s: daily aggregate: %w", ev.Type, ev.AlertID, err)
	}
	*pa = next
	// A new event the day had counted already comes from an earlier
	// import of the same history.
	if !isNew || added == 0 {
		return Duplicate, nil
	}
	return RecordedAggregateOnly, nil
}

// apply is the alert script's logic on pa: it returns pa with ev applied
// and whether ev was the first of its kind, or the same rejection the
// script would give.
func (pa pastAlert) apply(ev events.Event) (pastAlert, bool, error) {
	st := &pa.st
	if ev.Type == events.AlertCreated {
		if !st.t0.IsZero() {
			return pa, false, nil
		}
		st.t0 = time.UnixMilli(ev.At.UnixMilli()).UTC()
		st.severity, st.user = string(ev.Severity), ev.UserID
		return pa, true, nil
	}
	if st.t0.IsZero() {
		return pa, false, &RejectedError{Reason: reasonUnknownAlert, waits: true}
	}
	off := ev.At.UnixMilli() - st.t0.UnixMilli()
	if off < 0 {
		return pa, false, reject("at is before the alert was created")
	}
	if ev.Type == events.SessionEnded {
		switch {
		case st.stored&bitSessStart == 0:
			return pa, false, &RejectedError{Reason: reasonNoSessionStart, waits: true}
		case pa.session != ev.SessionID:
			return pa, false, reject("session_id does not match the started session")
		case st.stored&bitSessEnd != 0:
			return pa, false, nil
		case off < pa.s0:
			return pa, false, reject("session ended before it started")
		}
		st.stored |= bitSessEnd
		st.session, st.endReason = off-pa.s0, string(ev.Reason)
		return pa, true, nil
	}
	bit := kindBits[ev.Type]
	switch {
	case ev.Type == events.Escalated && ev.Level == events.EscalationLeads:
		bit = bitEscLeads
	case ev.Type == events.FollowupAnswered && st.stored&bitFollowup == 0:
		return pa, false, &RejectedError{Reason: reasonNoFollowup, waits: true}
	}
	if st.stored&bit != 0 {
		return pa, false, nil
	}
	st.stored |= bit
	switch ev.Type {
	case events.Acknowledged:
		st.ack, st.ackBy = off, ev.By
		if ev.By == st.user {
			st.ackBy = ""
		}
		// The person is needed only to tell whether they acknowledged
		// their own alert; the import need not hold their id any longer.
		st.user = ""
	case events.AshContacted:
		st.ash, st.ashBy = off, ev.By
	case events.FirstResponse:
		st.first = off
	case events.Resolved:
		st.resolved = off
	case events.SessionStarted:
		pa.s0, pa.session = off, ev.SessionID
	}
	return pa, true, nil
}

// kindBits are the index bits of the kinds after creation, but the
// session's end.
var kindBits = map[events.Type]int{
	events.Acknowledged:     bitAck,
	events.AshContacted:     bitAsh,
	events.UserOptedOut:     bitOptOut,
	events.FirstResponse:    bitFirst,
	events.Resolved:         bitResolved,
	events.SessionStarted:   bitSessStart,
	events.FollowupSent:     bitFollowup,
	events.FollowupAnswered: bitAnswered,
	events.Escalated:        bitEscTeam, // level 2: bitEscLeads
}

// History records the events of one alert taken from history (a
// migration), in the order given: like Record, except that an alert
// created longer ago than the alert retention counts in its day's
// aggregate only, as an import counts it. A History is for one alert and
// one goroutine.
type History struct {
	rec  *Recorder
	past *pastAlert // set once the alert's creation was counted aggregate-only
}

// History returns a History for one alert's events.
func (r *Recorder) History() *History { return &History{rec: r} }

// Record records ev, one of the alert's events.
func (h *History) Record(ctx context.Context, ev events.Event) (Outcome, error) {
	if h.past != nil {
		return h.rec.recordPast(ctx, ev, h.past)
	}
	if ev.Type != events.AlertCreated || !h.rec.pastRetention(ev.At) {
		return h.rec.Record(ctx, ev)
	}
	pa := &pastAlert{}
	out, err := h.rec.recordPast(ctx, ev, pa)
	if err == nil && out != Disabled {
		h.past = pa
	}
	return out, err
}
