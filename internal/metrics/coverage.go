package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// CoverageCell is one hour of one weekday over a period: how many alerts
// were created in it and how long they waited for an acknowledgment.
type CoverageCell struct {
	Hour   int   `json:"hour"`
	Alerts int64 `json:"alerts"`
	// Acknowledged counts the cell's alerts whose records hold an
	// acknowledgment; it is complete only when Complete is true.
	Acknowledged int64 `json:"acknowledged"`
	// AckP50Seconds is the median time to acknowledge of the cell's
	// alerts, nil when none was acknowledged or when the cell is not
	// Complete.
	AckP50Seconds *int64 `json:"ack_p50_seconds"`
	// Complete is true when every alert of the cell still has its record,
	// so that its median covers all of them.
	Complete bool `json:"complete"`
}

// CoverageDay is one weekday's 24 hours.
type CoverageDay struct {
	Weekday string           `json:"weekday"`
	Hours   [24]CoverageCell `json:"hours"`
}

// Coverage is the weekday-by-hour table of a period's alerts, Monday
// first, in the hours of day of TimeZone.
type Coverage struct {
	StartDate string        `json:"start_date"`
	EndDate   string        `json:"end_date"`
	TimeZone  string        `json:"time_zone"`
	Days      []CoverageDay `json:"days"`
	// Unreadable names keys that could not be read (see Summary).
	Unreadable []string `json:"unreadable,omitempty"`
}

// weekdayRow is the row of a weekday, Monday first.
func weekdayRow(d time.Weekday) int { return (int(d) + 6) % 7 }

// Coverage computes the coverage table of the UTC days from..to in loc
// (nil is UTC).
//
// The daily aggregates count alerts per UTC hour; each UTC hour is one
// hour of local time in any zone whose offset is a whole number of hours,
// daylight-saving changes included (the repeated local hour of a fall-back
// night gets both UTC hours, the skipped one of a spring-forward night
// none), so counts from the aggregates are exact there. Where the alert
// records of a day still exist, the day is placed by their own creation
// times instead, which is exact in every zone (Asia/Kolkata too) and gives
// the medians. A cell that takes any count from an aggregate without
// records has no median.
func (s *Store) Coverage(ctx context.Context, from, to time.Time, loc *time.Location) (*Coverage, error) {
	acc := newCoverageAcc(from, to, loc)
	if err := s.EachDay(ctx, acc.from, acc.to, time.Time{}, func(d DayRecords) error { acc.add(d); return nil }); err != nil {
		return nil, fmt.Errorf("coverage %s..%s: %w", acc.c.StartDate, acc.c.EndDate, err)
	}
	return acc.done(), nil
}

// coverageAcc builds a Coverage from the days of its range, fed one at a
// time (by Coverage, or by a trend that reads the same days anyway).
type coverageAcc struct {
	from, to   time.Time
	loc        *time.Location
	c          *Coverage
	acks       [7][24][]int64
	incomplete [7][24]bool
}

func newCoverageAcc(from, to time.Time, loc *time.Location) *coverageAcc {
	if loc == nil {
		loc = time.UTC
	}
	from, to = utcDay(from), utcDay(to)
	return &coverageAcc{from: from, to: to, loc: loc, c: NewCoverage(from, to, loc)}
}

// add counts one day; days outside the range are ignored.
func (a *coverageAcc) add(d DayRecords) {
	if d.Day.Before(a.from) || d.Day.After(a.to) {
		return
	}
	a.c.Unreadable = append(a.c.Unreadable, d.Unreadable...)
	if d.Daily == nil {
		return
	}
	if int64(len(d.Records)) == d.Daily.TotalAlerts {
		for _, r := range d.Records {
			t := r.CreatedAt.In(a.loc)
			row, h := weekdayRow(t.Weekday()), t.Hour()
			a.c.Days[row].Hours[h].Alerts++
			if r.AckSeconds != nil {
				a.acks[row][h] = append(a.acks[row][h], *r.AckSeconds)
			}
		}
		return
	}
	for h, n := range d.Daily.ByHour {
		if n == 0 {
			continue
		}
		t := d.Day.Add(time.Duration(h) * time.Hour).In(a.loc)
		row, lh := weekdayRow(t.Weekday()), t.Hour()
		a.c.Days[row].Hours[lh].Alerts += n
		a.incomplete[row][lh] = true
	}
}

// done computes the medians and returns the table.
func (a *coverageAcc) done() *Coverage {
	for row := range a.c.Days {
		for h := range a.c.Days[row].Hours {
			cell := &a.c.Days[row].Hours[h]
			cell.Complete = !a.incomplete[row][h]
			if !cell.Complete {
				continue
			}
			vals := a.acks[row][h]
			cell.Acknowledged = int64(len(vals))
			if len(vals) > 0 {
				slices.Sort(vals)
				cell.AckP50Seconds = nearestRank(vals, 50)
			}
		}
	}
	return a.c
}

// NewCoverage is an empty coverage table of from..to in loc, every cell
// complete: what a period without alerts reads.
func NewCoverage(from, to time.Time, loc *time.Location) *Coverage {
	c := &Coverage{StartDate: utcDay(from).Format(time.DateOnly), EndDate: utcDay(to).Format(time.DateOnly), TimeZone: loc.String(), Days: make([]CoverageDay, 7)}
	for row := range c.Days {
		c.Days[row].Weekday = time.Weekday((row + 1) % 7).String()
		for h := range c.Days[row].Hours {
			c.Days[row].Hours[h] = CoverageCell{Hour: h, Complete: true}
		}
	}
	return c
}
