package metrics

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// Sum is a count of durations and their total in whole seconds.
type Sum struct {
	Count      int64 `json:"count"`
	SumSeconds int64 `json:"sum_seconds"`
}

// Avg is the mean in seconds, nil when there is nothing to average.
func (s Sum) Avg() *float64 {
	if s.Count == 0 {
		return nil
	}
	v := float64(s.SumSeconds) / float64(s.Count)
	return &v
}

func (s *Sum) add(o Sum) { s.Count += o.Count; s.SumSeconds += o.SumSeconds }

// Daily is one UTC day's aggregate: every alert created that day, with all
// of its later events.
type Daily struct {
	Date              string           `json:"date"`
	TotalAlerts       int64            `json:"total_alerts"`
	BySeverity        map[string]int64 `json:"by_severity"`
	ByHour            [24]int64        `json:"by_hour"`
	Acknowledge       Sum              `json:"time_to_acknowledge"`
	AshContact        Sum              `json:"time_to_ash_contact"`
	FirstResponse     Sum              `json:"time_to_first_response"`
	Resolve           Sum              `json:"time_to_resolve"`
	AshManual         int64            `json:"ash_manual"`
	AshAuto           int64            `json:"ash_auto_initiated"`
	OptedOut          int64            `json:"user_opted_out"`
	SessionsStarted   int64            `json:"sessions_started"`
	SessionsEnded     map[string]int64 `json:"sessions_ended"`
	SessionsCompleted Sum              `json:"sessions_completed"`
	Responders        map[string]int64 `json:"acknowledgments_by_responder"`
	FollowupsSent     int64            `json:"followups_sent"`
	FollowupsAnswered int64            `json:"followups_answered"`
	// Escalated counts the day's alerts escalated at any level, per
	// severity; EscalatedLeads those that reached the leads (level 2).
	Escalated      map[string]int64 `json:"escalated"`
	EscalatedLeads map[string]int64 `json:"escalated_leads"`
	// IndexedAlerts counts the alerts listed in the day's index: all the
	// day's alerts, whether or not their records still exist.
	IndexedAlerts int64    `json:"indexed_alerts"`
	alertIDs      []string // from the index, for percentiles
}

// Daily loads the aggregate of one UTC day. ErrNotFound means no alert was
// recorded that day (or the aggregate has expired).
func (s *Store) Daily(ctx context.Context, day time.Time) (*Daily, error) {
	h, err := s.rdb.HGetAll(ctx, dailyKey(day)).Result()
	if err != nil {
		return nil, fmt.Errorf("load daily aggregate %s: %w", day.Format(time.DateOnly), checkType(dailyKey(day), err))
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("daily aggregate %s: %w", day.Format(time.DateOnly), ErrNotFound)
	}
	return decodeDaily(day, h)
}

func decodeDaily(day time.Time, h map[string]string) (*Daily, error) {
	d := &Daily{
		Date:           day.UTC().Format(time.DateOnly),
		BySeverity:     map[string]int64{},
		SessionsEnded:  map[string]int64{},
		Responders:     map[string]int64{},
		Escalated:      map[string]int64{},
		EscalatedLeads: map[string]int64{},
	}
	for _, sev := range events.Severities {
		d.BySeverity[string(sev)] = 0
		d.Escalated[string(sev)] = 0
		d.EscalatedLeads[string(sev)] = 0
	}
	for k, v := range h {
		if id, ok := strings.CutPrefix(k, aIndexPrefix); ok {
			d.alertIDs = append(d.alertIDs, id)
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("daily aggregate %s: field %s: %w", d.Date, k, err)
		}
		switch {
		case k == aAlerts:
			d.TotalAlerts = n
		case strings.HasPrefix(k, aSevPrefix):
			d.BySeverity[k[len(aSevPrefix):]] = n
		case strings.HasPrefix(k, aHourPrefix):
			hr, err := strconv.Atoi(k[len(aHourPrefix):])
			if err != nil || hr < 0 || hr > 23 {
				return nil, fmt.Errorf("daily aggregate %s: bad hour field %s", d.Date, k)
			}
			d.ByHour[hr] = n
		case k == aAckN:
			d.Acknowledge.Count = n
		case k == aAckSum:
			d.Acknowledge.SumSeconds = n
		case k == aAshN:
			d.AshContact.Count = n
		case k == aAshSum:
			d.AshContact.SumSeconds = n
		case k == aFirstN:
			d.FirstResponse.Count = n
		case k == aFirstSum:
			d.FirstResponse.SumSeconds = n
		case k == aResN:
			d.Resolve.Count = n
		case k == aResSum:
			d.Resolve.SumSeconds = n
		case k == aAshManual:
			d.AshManual = n
		case k == aAshAuto:
			d.AshAuto = n
		case k == aOptOut:
			d.OptedOut = n
		case k == aSessStarted:
			d.SessionsStarted = n
		case k == aSessSum:
			d.SessionsCompleted.SumSeconds = n
		case strings.HasPrefix(k, aSessEndPrefix):
			reason := k[len(aSessEndPrefix):]
			d.SessionsEnded[reason] = n
			if events.EndReason(reason).Completed() {
				d.SessionsCompleted.Count += n
			}
		case strings.HasPrefix(k, aRespPrefix):
			d.Responders[k[len(aRespPrefix):]] = n
		case k == aFollowups:
			d.FollowupsSent = n
		case k == aAnswered:
			d.FollowupsAnswered = n
		case strings.HasPrefix(k, aEscPrefix):
			d.Escalated[k[len(aEscPrefix):]] = n
		case strings.HasPrefix(k, aEsc2Prefix):
			d.EscalatedLeads[k[len(aEsc2Prefix):]] = n
		}
	}
	d.IndexedAlerts = int64(len(d.alertIDs))
	return d, nil
}
