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
// coverage by hour. *metrics.Store is one.
type Extras interface {
	Trend(ctx context.Context, end time.Time, unit metrics.TrendUnit, aggregateTTL time.Duration) (*metrics.Trend, error)
	Coverage(ctx context.Context, from, to time.Time, loc *time.Location) (*metrics.Coverage, error)
}

// ExtrasOptions say where the extras come from and how they read.
type ExtrasOptions struct {
	Source Extras
	// Location is BOT_REPORT_TIMEZONE, the zone of the coverage's hours;
	// nil is UTC.
	Location *time.Location
	// AggregateTTL is BOT_METRICS_AGGREGATE_RETENTION_DAYS: trend points
	// older than it are gaps.
	AggregateTTL time.Duration
	// Unit is the trend's step; "" is weeks.
	Unit metrics.TrendUnit
	// AckTarget is the acknowledge target over all severities, drawn on
	// the trend; nil draws none.
	AckTarget *time.Duration
}

// AddExtras reads the trend ending with the report's last day and the
// coverage of its days, and sets them on r. What fails is left out of r
// and returned, so that the caller can say so and still send the report:
// the summary matters more than its pictures.
func AddExtras(ctx context.Context, r *report.Report, opts ExtrasOptions) error {
	if opts.Source == nil || r.Summary == nil {
		return nil
	}
	start, err1 := time.Parse(time.DateOnly, r.Summary.StartDate)
	end, err2 := time.Parse(time.DateOnly, r.Summary.EndDate)
	if err := errors.Join(err1, err2); err != nil {
		return fmt.Errorf("report extras: period: %w", err)
	}
	unit := opts.Unit
	if unit == "" {
		unit = metrics.TrendWeeks
	}
	var errs []error
	if tr, err := opts.Source.Trend(ctx, end, unit, opts.AggregateTTL); err != nil {
		errs = append(errs, fmt.Errorf("report trend: %w", err))
	} else {
		r.Trends = &report.Trends{Trend: tr}
		if opts.AckTarget != nil {
			secs := opts.AckTarget.Seconds()
			r.Trends.AckTargetSeconds = &secs
		}
	}
	if c, err := opts.Source.Coverage(ctx, start, end, opts.Location); err != nil {
		errs = append(errs, fmt.Errorf("report coverage: %w", err))
	} else {
		r.Coverage = c
	}
	return errors.Join(errs...)
}
