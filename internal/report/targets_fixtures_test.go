package report

import (
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// fact is one alert's record as metrics.Store reads it: created at at,
// with the step times in seconds (metrics.Never when missing).
func fact(at, sev string, ack int64, ackBy string, first int64, firstBy string, res int64, resBy string) metrics.AlertFacts {
	t, err := time.Parse(time.RFC3339, at)
	if err != nil {
		panic(err)
	}
	return metrics.AlertFacts{Created: t, Severity: sev, Acknowledge: ack, AcknowledgedBy: ackBy, AshContact: metrics.Never,
		FirstResponse: first, FirstResponseBy: firstBy, Resolve: res, ResolvedBy: resBy, SessionEnd: metrics.Never}
}

// handoff marks an alert's Ash chat as ended in a handoff, end seconds in.
func handoff(f metrics.AlertFacts, end int64) metrics.AlertFacts {
	f.HandedOff, f.SessionEnd = true, end
	return f
}

const never = metrics.Never

// targetWeek is planWeek with every alert's record: twelve alerts, three
// of them handed off by Ash, four in the night hours, one acknowledged by
// the person it is about ("" as the store reads it), one created two
// minutes before the week ended.
func targetWeek() *metrics.Summary {
	s := planWeek()
	s.Alerts = []metrics.AlertFacts{
		fact("2026-01-01T22:10:00Z", "high", 60, "111111111111111111", 300, "222222222222222222", 3000, "111111111111111111"),
		fact("2026-01-02T03:00:00Z", "high", 400, "222222222222222222", 900, "222222222222222222", 5000, "222222222222222222"),
		handoff(fact("2026-01-06T14:00:00Z", "high", 120, "333333333333333333", never, "", 4000, "333333333333333333"), 600),
		fact("2026-01-01T10:00:00Z", "medium", 200, "111111111111111111", 500, "444444444444444444", 2000, "111111111111111111"),
		handoff(fact("2026-01-02T12:00:00Z", "medium", 100, "111111111111111111", 420, "111111111111111111", 3900, "111111111111111111"), 300),
		handoff(fact("2026-01-04T23:30:00Z", "medium", 150, "222222222222222222", 200, "222222222222222222", 700, "555555555555555555"), 600),
		fact("2026-01-06T09:00:00Z", "medium", 90, "111111111111111111", never, "", never, ""),
		fact("2026-01-07T01:00:00Z", "medium", 250, "333333333333333333", 600, "333333333333333333", never, ""),
		fact("2026-01-07T23:58:00Z", "medium", never, "", never, "", never, ""),
		fact("2026-01-03T08:00:00Z", "low", 30, "111111111111111111", never, "", 1500, "111111111111111111"),
		fact("2026-01-05T16:00:00Z", "low", 60, "", never, "", 1000, "222222222222222222"),
		fact("2026-01-07T18:00:00Z", "low", never, "", never, "", 8000, "111111111111111111"),
	}
	s.TopResponders = []metrics.Responder{
		{UserID: "111111111111111111", Acknowledgments: 5},
		{UserID: "222222222222222222", Acknowledgments: 2},
		{UserID: "333333333333333333", Acknowledgments: 2},
	}
	s.Acknowledgers = s.TopResponders
	return s
}

// targetPrevWeek is previousWeek with its records: better at
// acknowledging, worse at resolving.
func targetPrevWeek() *metrics.Summary {
	s := previousWeek()
	s.Alerts = []metrics.AlertFacts{
		fact("2025-12-25T10:00:00Z", "low", 100, "111111111111111111", 300, "111111111111111111", 9000, "111111111111111111"),
		fact("2025-12-26T10:00:00Z", "high", 100, "111111111111111111", 300, "111111111111111111", never, ""),
		fact("2025-12-27T10:00:00Z", "medium", 200, "111111111111111111", 1200, "111111111111111111", never, ""),
		fact("2025-12-29T01:00:00Z", "critical", 90, "111111111111111111", 300, "111111111111111111", 9000, "111111111111111111"),
		fact("2025-12-29T02:00:00Z", "high", 100, "111111111111111111", 300, "111111111111111111", never, ""),
		fact("2025-12-29T03:00:00Z", "low", 250, "111111111111111111", 300, "111111111111111111", never, ""),
		fact("2025-12-30T10:00:00Z", "high", 280, "111111111111111111", never, "", never, ""),
		fact("2025-12-30T11:00:00Z", "medium", 290, "111111111111111111", never, "", never, ""),
		fact("2025-12-31T10:00:00Z", "low", never, "", never, "", never, ""),
	}
	return s
}

// targetOptions are the targets of the golden files, measured just after
// the target week ended.
func targetOptions() Options {
	return Options{
		Targets: []Target{
			{Metric: "acknowledge", Within: 5 * time.Minute},
			{Metric: "acknowledge", Severity: "critical", Within: 2 * time.Minute},
			{Metric: "acknowledge", Severity: "high", Within: 2 * time.Minute},
			{Metric: "first_response", Within: 15 * time.Minute},
			{Metric: "resolve", Within: 2 * time.Hour},
		},
		Now: time.Date(2026, 1, 8, 0, 5, 0, 0, time.UTC),
	}
}

// targetMonth is targetWeek's figures as November 2026.
func targetMonth() *metrics.Summary {
	s := targetWeek()
	s.StartDate, s.EndDate = "2026-11-01", "2026-11-30"
	s.PeakDay = &metrics.PeakDay{Date: "2026-11-18", Weekday: "Wednesday", Alerts: 4}
	s.Days = monthDays("2026-11-01", 30)
	for i := range s.Alerts {
		s.Alerts[i].Created = s.Alerts[i].Created.AddDate(0, 10, 14)
	}
	return s
}

// emptyQuarter is the fourth quarter of 2026 without an alert.
func emptyQuarter() *metrics.Summary {
	return &metrics.Summary{
		StartDate: "2026-10-01", EndDate: "2026-12-31",
		TopResponders: []metrics.Responder{},
		Days:          monthDays("2026-10-01", 92),
	}
}

func monthDays(start string, n int) []metrics.Day {
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		panic(err)
	}
	out := make([]metrics.Day, n)
	for i := range out {
		d := t.AddDate(0, 0, i)
		out[i] = metrics.Day{Date: d.Format(time.DateOnly), Weekday: d.Weekday().String()}
	}
	return out
}
