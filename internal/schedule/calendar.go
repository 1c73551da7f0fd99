package schedule

import (
	"fmt"
	"time"
)

// Period is one occurrence of a calendar: it starts at Due and lasts until
// End, the next due time. A job runs at most once per period.
type Period struct {
	// ID names the period in Redis keys and logs. Daily periods are named
	// by their date ("2026-01-05"), weekly ones by their ISO week
	// ("2026-W02"), so moving the configured hour (or day) inside a period
	// does not make an already finished job run a second time.
	ID  string
	Due time.Time
	End time.Time
}

// Calendar says when a job is due. Times are absolute UTC instants, never
// intervals since the last run, so restarts and slow runs cannot make the
// schedule drift.
type Calendar interface {
	// Due returns the period in force at now: the one whose due time is
	// the latest due time not after now.
	Due(now time.Time) Period
	// Next returns the earliest due time strictly after now.
	Next(now time.Time) time.Time
	String() string
}

// Daily returns a calendar due every day at hour:00 UTC.
func Daily(hour int) (Calendar, error) {
	if hour < 0 || hour > 23 {
		return nil, fmt.Errorf("daily schedule: hour %d out of range 0-23", hour)
	}
	return daily{hour: hour}, nil
}

// Weekly returns a calendar due every week on day at hour:00 UTC.
func Weekly(day time.Weekday, hour int) (Calendar, error) {
	if day < time.Sunday || day > time.Saturday {
		return nil, fmt.Errorf("weekly schedule: weekday %d out of range", int(day))
	}
	if hour < 0 || hour > 23 {
		return nil, fmt.Errorf("weekly schedule: hour %d out of range 0-23", hour)
	}
	return weekly{day: day, hour: hour}, nil
}

type daily struct{ hour int }

func (d daily) Due(now time.Time) Period {
	now = now.UTC()
	due := time.Date(now.Year(), now.Month(), now.Day(), d.hour, 0, 0, 0, time.UTC)
	if due.After(now) {
		due = due.AddDate(0, 0, -1)
	}
	return Period{ID: due.Format(time.DateOnly), Due: due, End: due.AddDate(0, 0, 1)}
}

func (d daily) Next(now time.Time) time.Time { return d.Due(now).End }

func (d daily) String() string { return fmt.Sprintf("daily at %02d:00 UTC", d.hour) }

type weekly struct {
	day  time.Weekday
	hour int
}

func (w weekly) Due(now time.Time) Period {
	now = now.UTC()
	back := (int(now.Weekday()) - int(w.day) + 7) % 7
	due := time.Date(now.Year(), now.Month(), now.Day()-back, w.hour, 0, 0, 0, time.UTC)
	if due.After(now) {
		due = due.AddDate(0, 0, -7)
	}
	year, week := due.ISOWeek()
	return Period{ID: fmt.Sprintf("%04d-W%02d", year, week), Due: due, End: due.AddDate(0, 0, 7)}
}

func (w weekly) Next(now time.Time) time.Time { return w.Due(now).End }

func (w weekly) String() string {
	return fmt.Sprintf("weekly on %s at %02d:00 UTC", w.day, w.hour)
}
