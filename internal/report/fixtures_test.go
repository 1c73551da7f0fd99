package report

import (
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

func f64(v float64) *float64 { return &v }

// measured is a response time measured over count alerts.
func measured(count int64, avg float64, p50, p90 int64) metrics.Durations {
	return metrics.Durations{Count: count, AvgSeconds: &avg, P50Seconds: &p50, P90Seconds: &p90, Records: count}
}

// days spreads per-day severity counts over the week starting at start.
func days(start string, counts ...metrics.Severities) []metrics.Day {
	t, err := time.Parse(time.DateOnly, start)
	if err != nil {
		panic(err)
	}
	out := make([]metrics.Day, 7)
	for i := range out {
		d := t.AddDate(0, 0, i)
		out[i] = metrics.Day{Date: d.Format(time.DateOnly), Weekday: d.Weekday().String()}
		if i < len(counts) {
			c := counts[i]
			out[i].BySeverity = c
			out[i].Alerts = c.Critical + c.High + c.Medium + c.Low
			out[i].Recorded = out[i].Alerts > 0
		}
	}
	return out
}

// planWeek is the week of the plan's 8.2.1 example: every figure it shows
// comes out the same (2m 45s is 165 s, 12m 15s is 735 s, and so on).
func planWeek() *metrics.Summary {
	return &metrics.Summary{
		StartDate: "2026-01-01", EndDate: "2026-01-07",
		TotalAlerts:         12,
		BySeverity:          metrics.Severities{Critical: 0, High: 3, Medium: 6, Low: 3},
		TimeToAcknowledge:   measured(10, 165, 150, 300),
		TimeToAshContact:    measured(8, 72, 60, 180),
		TimeToFirstResponse: measured(6, 510, 420, 960),
		TimeToResolve:       measured(9, 5460, 3900, 10800),
		Ash: metrics.Ash{SessionsStarted: 8, Manual: 6, AutoInitiated: 2, UserOptedOut: 1,
			SessionsCompleted: 7, AvgSessionSeconds: f64(735)},
		PeakDay:  &metrics.PeakDay{Date: "2026-01-07", Weekday: "Wednesday", Alerts: 4},
		PeakHour: &metrics.PeakHour{Hour: 22, Alerts: 3},
		TopResponders: []metrics.Responder{
			{UserID: "111111111111111111", Acknowledgments: 5},
			{UserID: "222222222222222222", Acknowledgments: 4},
			{UserID: "333333333333333333", Acknowledgments: 3},
		},
		Days: days("2026-01-01",
			metrics.Severities{Medium: 1, Low: 1},
			metrics.Severities{High: 1, Medium: 1},
			metrics.Severities{Low: 1},
			metrics.Severities{Medium: 1},
			metrics.Severities{},
			metrics.Severities{High: 1, Medium: 1},
			metrics.Severities{High: 1, Medium: 2, Low: 1},
		),
	}
}

// previousWeek is the week before planWeek, with some figures higher, some
// lower, some equal, and one (time to resolve) never measured.
func previousWeek() *metrics.Summary {
	return &metrics.Summary{
		StartDate: "2025-12-25", EndDate: "2025-12-31",
		TotalAlerts:         9,
		BySeverity:          metrics.Severities{Critical: 1, High: 3, Medium: 2, Low: 3},
		TimeToAcknowledge:   measured(8, 190, 170, 300),
		TimeToAshContact:    measured(5, 72.4, 75, 120),
		TimeToFirstResponse: measured(6, 360, 330, 700),
		TimeToResolve:       metrics.Durations{Count: 0},
		Ash: metrics.Ash{SessionsStarted: 5, Manual: 4, AutoInitiated: 1, UserOptedOut: 1,
			SessionsCompleted: 5, AvgSessionSeconds: f64(610)},
		PeakDay:       &metrics.PeakDay{Date: "2025-12-29", Weekday: "Monday", Alerts: 3},
		PeakHour:      &metrics.PeakHour{Hour: 0, Alerts: 2},
		TopResponders: []metrics.Responder{{UserID: "111111111111111111", Acknowledgments: 8}},
		Days: days("2025-12-25",
			metrics.Severities{Low: 1}, metrics.Severities{High: 1}, metrics.Severities{Medium: 1},
			metrics.Severities{}, metrics.Severities{Critical: 1, High: 1, Low: 1},
			metrics.Severities{High: 1, Medium: 1}, metrics.Severities{Low: 1}),
	}
}

// escalatedWeek is planWeek with escalations and follow-up check-ins, and
// escalatedPrevious the week before it with fewer of both.
func escalatedWeek() *metrics.Summary {
	s := planWeek()
	s.Escalations = metrics.Escalations{Alerts: 3, BySeverity: metrics.Severities{High: 1, Medium: 2}, ToLeads: 1}
	s.Ash.FollowupsSent, s.Ash.FollowupsAnswered = 4, 3
	return s
}

func escalatedPrevious() *metrics.Summary {
	s := previousWeek()
	s.Escalations = metrics.Escalations{Alerts: 1, BySeverity: metrics.Severities{Critical: 1}, ToLeads: 1}
	s.Ash.FollowupsSent, s.Ash.FollowupsAnswered = 2, 0
	return s
}

// emptyWeek is what metrics.Store.Weekly returns for a week without alerts.
func emptyWeek() *metrics.Summary {
	return &metrics.Summary{
		StartDate: "2026-01-08", EndDate: "2026-01-14",
		TopResponders: []metrics.Responder{},
		Days:          days("2026-01-08"),
	}
}

// expiredWeek has counts and averages from the daily aggregates but no
// percentiles: some or all of its alert records have passed retention.
func expiredWeek() *metrics.Summary {
	s := planWeek()
	for _, d := range []*metrics.Durations{&s.TimeToAcknowledge, &s.TimeToAshContact, &s.TimeToFirstResponse, &s.TimeToResolve} {
		d.P50Seconds, d.P90Seconds = nil, nil
	}
	s.TimeToAcknowledge.Records, s.TimeToAshContact.Records, s.TimeToResolve.Records = 6, 0, 5
	s.TimeToFirstResponse = metrics.Durations{Count: 0}
	s.Ash.AvgSessionSeconds = nil
	s.Ash.SessionsCompleted = 0
	return s
}

// crowdedWeek has far more responders than a real summary ranks, with
// maximal-length ids, to push the Discord limits.
func crowdedWeek(n int) *metrics.Summary {
	s := planWeek()
	s.TopResponders = nil
	for i := range n {
		s.TopResponders = append(s.TopResponders, metrics.Responder{
			UserID:          fmt.Sprintf("%020d", 10000000000000000000+uint64(i)),
			Acknowledgments: int64(1000 - i),
		})
	}
	return s
}

// selfAckWeek has one alert, acknowledged only by the person it is about:
// counted as acknowledged, with nobody to rank.
func selfAckWeek() *metrics.Summary {
	s := emptyWeek()
	s.TotalAlerts = 1
	s.BySeverity = metrics.Severities{High: 1}
	s.TimeToAcknowledge = measured(1, 60, 60, 60)
	s.PeakDay = &metrics.PeakDay{Date: "2026-01-08", Weekday: "Thursday", Alerts: 1}
	s.PeakHour = &metrics.PeakHour{Hour: 22, Alerts: 1}
	s.Days = days("2026-01-08", metrics.Severities{High: 1})
	return s
}
