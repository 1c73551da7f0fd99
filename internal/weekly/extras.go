package weekly

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// Extras reads what a report shows beside its summary: the trend and the
// coverage by hour, in one pass over the days. *metrics.Store is one.
type Extras interface {
	TrendCoverage(ctx context.Context, end time.Time, unit metrics.TrendUnit, ret metrics.Retention,
		from time.Time, loc *time.Location) (*metrics.Trend, *metrics.Coverage, error)
}

// ExtrasOptions say where the extras come from and how they read.
type ExtrasOptions struct {
	Source Extras
	// Location is BOT_REPORT_TIMEZONE, the zone of the coverage's hours;
	// nil is UTC.
	Location *time.Location
	// Retention is BOT_METRICS_RETENTION_DAYS and
	// BOT_METRICS_AGGREGATE_RETENTION_DAYS: trend points older than the
	// aggregates are gaps, and records older than the alerts' are not read.
	Retention metrics.Retention
}

// TrendUnit is the step of a report's trend: weeks for a week, months
// for a month or a quarter (12 quarters would reach past the daily
// aggregates' year).
func TrendUnit(p report.Period) metrics.TrendUnit {
	if p == report.Month || p == report.Quarter {
		return metrics.TrendMonths
	}
	return metrics.TrendWeeks
}

// ackTarget is the acknowledge target over all severities among the
// report's targets (BOT_REPORT_TARGETS), in seconds; nil when none is set.
func ackTarget(targets []report.TargetResult) *float64 {
	for _, t := range targets {
		if t.Metric == "acknowledge" && t.Severity == report.AllSeverities {
			secs := t.Within.Seconds()
			return &secs
		}
	}
	return nil
}

// AddExtras reads the trend ending with the report's last day (in the
// unit of its period, with its acknowledge target) and the coverage of
// its days, and sets them on r. On failure both are left out of r and the
// error is returned, so that the caller can say so and still send the
// report: the summary matters more than its pictures.
func AddExtras(ctx context.Context, r *report.Report, opts ExtrasOptions) error {
	if opts.Source == nil || r.Summary == nil {
		return nil
	}
	start, err1 := time.Parse(time.DateOnly, r.Summary.StartDate)
	end, err2 := time.Parse(time.DateOnly, r.Summary.EndDate)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("report extras: period: %w", err)
	}
	tr, c, err := opts.Source.TrendCoverage(ctx, end, TrendUnit(r.Span.Period), opts.Retention, start, opts.Location)
	if err != nil {
		return fmt.Errorf("report trend and coverage: %w", err)
	}
	r.Trends = &report.Trends{Trend: tr, AckTargetSeconds: ackTarget(r.Targets)}
	r.Coverage = c
	return nil
}
