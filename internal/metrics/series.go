package metrics

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// AlertTimes is what trends and coverage need of one alert record: when
// it was created and how long it waited for an acknowledgment.
type AlertTimes struct {
	CreatedAt time.Time
	// AckSeconds is nil when the alert was never acknowledged.
	AckSeconds *int64
}

// DayRecords is one UTC day's aggregate with the times of those of its
// alerts whose records still exist.
type DayRecords struct {
	Day time.Time
	// Daily is nil when the day has no aggregate: no alert that day, or
	// past the aggregate retention.
	Daily *Daily
	// Records holds one entry per indexed alert whose record still lives;
	// fewer than Daily.TotalAlerts means some have expired.
	Records []AlertTimes
	// Unreadable names keys of another type (the earlier Ash-Bot's).
	Unreadable []string
}

// chunkDays is how many days EachDay reads per round trip: a week of a
// busy community's alerts is a few thousand HMGETs, which bounds memory to
// one chunk whatever the range.
const chunkDays = 7

// EachDay calls fn for every UTC day from..to (inclusive), in order, with
// its aggregate and, for the days from recordsFrom on (zero: every day),
// the times of its alert records: a caller that knows the records of
// older days have expired saves reading them. It reads chunkDays days at a
// time, so memory stays bounded by one chunk however long the range; fn
// must not keep Records beyond its call unless it copies what it needs.
func (s *Store) EachDay(ctx context.Context, from, to, recordsFrom time.Time, fn func(DayRecords) error) error {
	from, to = utcDay(from), utcDay(to)
	for start := from; !start.After(to); start = start.AddDate(0, 0, chunkDays) {
		end := start.AddDate(0, 0, chunkDays-1)
		if end.After(to) {
			end = to
		}
		days, err := s.readDays(ctx, start, end, recordsFrom)
		if err != nil {
			return err
		}
		for _, d := range days {
			if err := fn(d); err != nil {
				return err
			}
		}
	}
	return nil
}

func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// readDays reads the aggregates of start..end in one round trip, and the
// facts of the alerts of each day from recordsFrom on in one more per day
// (see dayFacts: the day's facts hash, else the alert records).
func (s *Store) readDays(ctx context.Context, start, end, recordsFrom time.Time) ([]DayRecords, error) {
	var out []DayRecords
	pipe := s.rdb.Pipeline()
	var cmds []*redis.MapStringStringCmd
	for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
		out = append(out, DayRecords{Day: d})
		cmds = append(cmds, pipe.HGetAll(ctx, dailyKey(d)))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
		return nil, fmt.Errorf("load daily aggregates %s..%s: %w", start.Format(time.DateOnly), end.Format(time.DateOnly), err)
	}
	for i, cmd := range cmds {
		if err := cmd.Err(); isWrongType(err) {
			out[i].Unreadable = append(out[i].Unreadable, wrongTypeReason(dailyKey(out[i].Day)))
			continue
		} else if err != nil {
			return nil, fmt.Errorf("load daily aggregate %s: %w", out[i].Day.Format(time.DateOnly), err)
		}
		if h := cmd.Val(); len(h) > 0 {
			d, err := decodeDaily(out[i].Day, h)
			if err != nil {
				return nil, err
			}
			out[i].Daily = d
		}
	}
	for i := range out {
		if out[i].Daily == nil || len(out[i].Daily.alertIDs) == 0 || out[i].Day.Before(utcDay(recordsFrom)) {
			continue
		}
		facts, unreadable, err := s.dayFacts(ctx, out[i].Day, [][]string{out[i].Daily.alertIDs})
		if err != nil {
			return nil, fmt.Errorf("load alert records of %s: %w", out[i].Day.Format(time.DateOnly), err)
		}
		out[i].Records, out[i].Unreadable = alertTimes(facts), append(out[i].Unreadable, unreadable...)
	}
	return out, nil
}

// alertTimes is the creation and acknowledgment of each alert of facts.
func alertTimes(facts []AlertFacts) []AlertTimes {
	out := make([]AlertTimes, len(facts))
	for i, f := range facts {
		out[i].CreatedAt = f.Created
		if f.Acknowledge != Never {
			secs := f.Acknowledge
			out[i].AckSeconds = &secs
		}
	}
	return out
}
