package weekly

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// fakeExtras records what AddExtras asked for.
type fakeExtras struct {
	unit      metrics.TrendUnit
	end, from time.Time
	loc       *time.Location
	fail      bool
}

func (f *fakeExtras) TrendCoverage(_ context.Context, end time.Time, unit metrics.TrendUnit, _ metrics.Retention,
	from time.Time, loc *time.Location) (*metrics.Trend, *metrics.Coverage, error) {
	f.unit, f.end, f.from, f.loc = unit, end, from, loc
	if f.fail {
		return nil, nil, errors.New("redis down")
	}
	return &metrics.Trend{Unit: unit}, metrics.NewCoverage(from, end, time.UTC), nil
}

// The trend follows the report's period and draws the acknowledge target
// that applies to every severity (not one for a single severity); the
// coverage covers the report's days in the configured zone. A failure
// leaves both out and is returned.
func TestAddExtrasFollowsPeriodAndTargets(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	sum := func(start, end string) *metrics.Summary { return &metrics.Summary{StartDate: start, EndDate: end} }
	targets := []report.Target{{Metric: "acknowledge", Severity: "critical", Within: 2 * time.Minute}, {Metric: "acknowledge", Within: 5 * time.Minute}}
	for _, tc := range []struct {
		name    string
		period  report.Period
		summary *metrics.Summary
		targets []report.Target
		unit    metrics.TrendUnit
		target  *float64
	}{
		{"week", report.Week, sum("2026-01-01", "2026-01-07"), targets, metrics.TrendWeeks, ptr(300)},
		{"month", report.Month, sum("2026-02-01", "2026-02-28"), targets, metrics.TrendMonths, ptr(300)},
		{"quarter", report.Quarter, sum("2026-01-01", "2026-03-31"), targets[:1], metrics.TrendMonths, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := report.Build(tc.summary, nil, report.Options{Period: tc.period, Targets: tc.targets})
			src := &fakeExtras{}
			if err := AddExtras(context.Background(), &r, ExtrasOptions{Source: src, Location: ny}); err != nil {
				t.Fatal(err)
			}
			if src.unit != tc.unit || src.end.Format(time.DateOnly) != tc.summary.EndDate ||
				src.from.Format(time.DateOnly) != tc.summary.StartDate || src.loc != ny {
				t.Errorf("asked for %+v", src)
			}
			if r.Trends == nil || r.Coverage == nil {
				t.Fatalf("extras not set: %+v %+v", r.Trends, r.Coverage)
			}
			if got := r.Trends.AckTargetSeconds; (got == nil) != (tc.target == nil) || (got != nil && *got != *tc.target) {
				t.Errorf("target %v, want %v", got, tc.target)
			}
		})
	}
	r := report.Build(sum("2026-01-01", "2026-01-07"), nil, report.Options{})
	if err := AddExtras(context.Background(), &r, ExtrasOptions{Source: &fakeExtras{fail: true}}); err == nil || r.Trends != nil || r.Coverage != nil {
		t.Errorf("failing read: %v, trends %v, coverage %v", err, r.Trends, r.Coverage)
	}
}

func ptr(v float64) *float64 { return &v }
