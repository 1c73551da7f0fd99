package metrics

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// TrendUnit is the length of one point of a trend.
type TrendUnit string

// Trend units: a weekly report's trend is in weeks, a monthly (or
// quarterly) one in calendar months.
const (
	TrendWeeks  TrendUnit = "week"
	TrendMonths TrendUnit = "month"
)

// TrendPoints is how many weeks or months a trend covers.
const TrendPoints = 12

// TrendPoint is one week or month of a trend. A nil figure is a gap: the
// data it needs have passed their retention. It is never a zero.
type TrendPoint struct {
	StartDate string `json:"start_date"`
	EndDate   string `json:"end_date"`
	// Alerts is nil when part of the range is past the aggregate retention.
	Alerts *int64 `json:"alerts"`
	// Acknowledged counts the acknowledged alerts (from the aggregates).
	Acknowledged int64 `json:"acknowledged"`
	// AckP50Seconds is the median time to acknowledge, nil when nothing
	// was acknowledged or when some acknowledged alert's record has
	// expired: a median of the rest would look exact and be wrong.
	AckP50Seconds *int64 `json:"ack_p50_seconds"`
	// Records is how many alert records held an acknowledgment.
	Records int64 `json:"records"`
}

// Trend is alert volume and median time to acknowledge over the last
// TrendPoints weeks or months, oldest first.
type Trend struct {
	Unit   TrendUnit    `json:"unit"`
	Points []TrendPoint `json:"points"`
	// Unreadable names keys that could not be read (see Summary).
	Unreadable []string `json:"unreadable,omitempty"`
}

// TrendRanges are the UTC day ranges of the trend ending with end: for
// weeks, the 7-day periods ending end, end-7, ...; for months, the
// calendar months up to the one that holds end (whose last point ends on
// end). Oldest first.
func TrendRanges(end time.Time, unit TrendUnit) (starts, ends []time.Time, err error) {
	end = utcDay(end)
	switch unit {
	case TrendWeeks:
		for i := TrendPoints - 1; i >= 0; i-- {
			e := end.AddDate(0, 0, -7*i)
			starts, ends = append(starts, e.AddDate(0, 0, -6)), append(ends, e)
		}
	case TrendMonths:
		first := time.Date(end.Year(), end.Month(), 1, 0, 0, 0, 0, time.UTC)
		for i := TrendPoints - 1; i >= 0; i-- {
			s := first.AddDate(0, -i, 0)
			e := s.AddDate(0, 1, -1)
			if i == 0 {
				e = end
			}
			starts, ends = append(starts, s), append(ends, e)
		}
	default:
		return nil, nil, fmt.Errorf("trend unit %q: want %s or %s", unit, TrendWeeks, TrendMonths)
	}
	return starts, ends, nil
}

// Retention is how long the data a trend reads live; zero is "unknown".
type Retention struct {
	// Alerts is BOT_METRICS_RETENTION_DAYS: no alert record of a day
	// older than it exists, so the trend does not read them (a year of a
	// busy community's alerts is hundreds of thousands of reads).
	Alerts time.Duration
	// Aggregates is BOT_METRICS_AGGREGATE_RETENTION_DAYS: a point with a
	// day past it has no volume, since a missing aggregate there may be
	// an expired one rather than a day without alerts; zero takes every
	// missing day as a day without alerts.
	Aggregates time.Duration
}

// Trend computes the trend ending with end.
func (s *Store) Trend(ctx context.Context, end time.Time, unit TrendUnit, ret Retention) (*Trend, error) {
	return s.trend(ctx, end, unit, ret, nil)
}

// TrendCoverage computes the trend ending with end and the coverage of
// the days from..end in loc in one pass, reading the days both need once:
// a report's days are always the trend's last ones. A from before the
// trend's first day is refused.
func (s *Store) TrendCoverage(ctx context.Context, end time.Time, unit TrendUnit, ret Retention, from time.Time, loc *time.Location) (*Trend, *Coverage, error) {
	starts, _, err := TrendRanges(end, unit)
	if err != nil {
		return nil, nil, err
	}
	if utcDay(from).Before(starts[0]) || utcDay(from).After(utcDay(end)) {
		return nil, nil, fmt.Errorf("coverage from %s: not within the trend (%s..%s)", utcDay(from).Format(time.DateOnly),
			starts[0].Format(time.DateOnly), utcDay(end).Format(time.DateOnly))
	}
	acc := newCoverageAcc(from, end, loc)
	tr, err := s.trend(ctx, end, unit, ret, acc)
	if err != nil {
		return nil, nil, err
	}
	return tr, acc.done(), nil
}

// trend computes the trend, feeding every day it reads to cover when set.
func (s *Store) trend(ctx context.Context, end time.Time, unit TrendUnit, ret Retention, cover *coverageAcc) (*Trend, error) {
	starts, ends, err := TrendRanges(end, unit)
	if err != nil {
		return nil, err
	}
	tr := &Trend{Unit: unit, Points: make([]TrendPoint, len(starts))}
	// The oldest day whose aggregate still lives: the aggregate of day d
	// expires aggregateTTL after the end of d.
	var oldest, recordsFrom time.Time
	if ret.Aggregates > 0 {
		oldest = s.now().Add(-ret.Aggregates).Add(-24 * time.Hour)
	}
	if ret.Alerts > 0 {
		// A record lives Alerts from its alert's creation: the first day
		// that can still hold one is the one of now - Alerts. The coverage
		// of those days then counts from the aggregates, as it would.
		recordsFrom = s.now().Add(-ret.Alerts)
	}
	type acc struct {
		alerts, ackN int64
		expired      bool
		acks         []int64
	}
	accs := make([]acc, len(starts))
	i := 0
	err = s.EachDay(ctx, starts[0], ends[len(ends)-1], recordsFrom, func(d DayRecords) error {
		for d.Day.After(ends[i]) {
			i++
		}
		if cover != nil {
			cover.add(d)
		}
		a := &accs[i]
		tr.Unreadable = append(tr.Unreadable, d.Unreadable...)
		if !oldest.IsZero() && !d.Day.After(oldest) {
			a.expired = true
		}
		if d.Daily == nil {
			return nil
		}
		a.alerts += d.Daily.TotalAlerts
		a.ackN += d.Daily.Acknowledge.Count
		for _, r := range d.Records {
			if r.AckSeconds != nil {
				a.acks = append(a.acks, *r.AckSeconds)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("trend to %s: %w", utcDay(end).Format(time.DateOnly), err)
	}
	for i, a := range accs {
		p := TrendPoint{
			StartDate: starts[i].Format(time.DateOnly), EndDate: ends[i].Format(time.DateOnly),
			Acknowledged: a.ackN, Records: int64(len(a.acks)),
		}
		if !a.expired {
			p.Alerts = &a.alerts
		}
		if !a.expired && a.ackN > 0 && int64(len(a.acks)) == a.ackN {
			slices.Sort(a.acks)
			p.AckP50Seconds = nearestRank(a.acks, 50)
		}
		tr.Points[i] = p
	}
	return tr, nil
}
