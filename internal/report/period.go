package report

import (
	"fmt"
	"strings"
	"time"
)

// Period is the length of time a report covers: a week, or a calendar
// month or quarter. All periods are whole UTC days, because the daily
// aggregates they are built from are UTC days.
type Period string

// The periods a report can cover.
const (
	Week    Period = "week"
	Month   Period = "month"
	Quarter Period = "quarter"
)

// ParsePeriod reads a period name, in any case; "" is Week.
func ParsePeriod(s string) (Period, error) {
	switch p := Period(strings.ToLower(strings.TrimSpace(s))); p {
	case "":
		return Week, nil
	case Week, Month, Quarter:
		return p, nil
	}
	return "", fmt.Errorf("unknown period %q (want week, month or quarter)", s)
}

// Span is the first and last day of a period, both included, at 00:00 UTC.
type Span struct {
	Period      Period
	First, Last time.Time
}

// utcDay is the UTC day holding t, at midnight.
func utcDay(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// SpanOf returns the period that end names. For a week, end is its last
// day (the 7 days end-6 .. end, as the weekly report has always read
// --end). For a month or a quarter, end is any day in it: the period is
// the whole calendar month or quarter (January-March, April-June,
// July-September, October-December) that contains end.
func (p Period) SpanOf(end time.Time) Span {
	d := utcDay(end)
	switch p {
	case Month:
		first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC)
		return Span{p, first, first.AddDate(0, 1, -1)}
	case Quarter:
		q := (int(d.Month()) - 1) / 3
		first := time.Date(d.Year(), time.Month(q*3+1), 1, 0, 0, 0, 0, time.UTC)
		return Span{p, first, first.AddDate(0, 3, -1)}
	}
	return Span{Week, d.AddDate(0, 0, -6), d}
}

// Before returns the period of the same kind that ended the day before s
// began: the week, month or quarter a report compares with.
func (s Span) Before() Span { return s.Period.SpanOf(s.First.AddDate(0, 0, -1)) }

// Days is how many days the span covers.
func (s Span) Days() int { return int(s.Last.Sub(s.First)/(24*time.Hour)) + 1 }

// LastBefore returns the last whole period that ended before now's UTC
// day: yesterday's week (the scheduled report's), last month, last
// quarter. It is what a report without --end covers.
func (p Period) LastBefore(now time.Time) Span {
	s := p.SpanOf(utcDay(now).AddDate(0, 0, -1))
	if !s.Ended(now) {
		// Yesterday was inside a month or quarter that still runs.
		s = s.Before()
	}
	return s
}

// Ended reports whether the span's last day is over at now. A week may be
// asked for while its last day runs (the weekly report always allowed
// it); a month or quarter must be whole, or its figures would read like a
// quiet period.
func (s Span) Ended(now time.Time) bool { return utcDay(now).After(s.Last) }

// Noun names the period in running text: "week", "month", "quarter".
func (p Period) Noun() string {
	if p == "" {
		return string(Week)
	}
	return string(p)
}

// Label heads the report: "Week of January 1 - January 7, 2026",
// "November 2026", "Q4 2026 (October 1 - December 31, 2026)".
func (s Span) Label() string {
	switch s.Period {
	case Month:
		return s.First.Format("January 2006")
	case Quarter:
		return fmt.Sprintf("Q%d %d (%s)", (int(s.First.Month())-1)/3+1, s.First.Year(),
			FormatWeek(s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly)))
	}
	return "Week of " + FormatWeek(s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly))
}

// ID is the period as the JSON, logs and post nonces name it:
// "2026-01-07" (the week's last day), "2026-11", "2026-Q4".
func (s Span) ID() string {
	if s.First.IsZero() {
		return ""
	}
	switch s.Period {
	case Month:
		return s.First.Format("2006-01")
	case Quarter:
		return fmt.Sprintf("%d-Q%d", s.First.Year(), (int(s.First.Month())-1)/3+1)
	}
	return s.Last.Format(time.DateOnly)
}

// Choose returns the span a report over p covers when asked at now with
// end (the zero time when none was given): the last whole period before
// now's day without end, else p.SpanOf(end). A month or quarter that has
// not ended yet is refused, naming the last whole one.
func Choose(p Period, end, now time.Time) (Span, error) {
	if end.IsZero() {
		return p.LastBefore(now), nil
	}
	s := p.SpanOf(end)
	if p != Week && !s.Ended(now) {
		last := p.LastBefore(now)
		return Span{}, fmt.Errorf("%s has not ended yet, and a %s report covers a whole %s: the last whole one is %s (end date %s)",
			s.Label(), p.Noun(), p.Noun(), last.Label(), last.Last.Format(time.DateOnly))
	}
	return s, nil
}
