package report

import (
	"encoding/json"
	"fmt"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// JSON renders this period's summary exactly as metrics.Summary marshals it
// (the contract of product.md section 3), indented, with a final newline,
// followed by the period, the response targets and the volunteer load
// (docs/report.md), and "coverage" and "trend" when the report has them.
// The previous period's figures are left out but for each target's
// previous share: scripts that read this output rely on the summary's one
// shape.
func JSON(r Report) ([]byte, error) {
	s := metrics.Summary{}
	if r.Summary != nil {
		s = *r.Summary
	}
	// Lists are [] rather than null so consumers need no special case for
	// a summary that was built by hand.
	if s.TopResponders == nil {
		s.TopResponders = []metrics.Responder{}
	}
	if s.Days == nil {
		s.Days = []metrics.Day{}
	}
	out, err := json.MarshalIndent(jsonReport{
		Summary: s, Period: r.Span.Period.Noun(), PeriodID: r.Span.ID(),
		Targets: jsonTargets(r.Targets), Responders: jsonLoad(r.Load),
		Coverage: r.Coverage, Trend: trendOf(r),
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode weekly summary %s..%s: %w", s.StartDate, s.EndDate, err)
	}
	return append(out, '\n'), nil
}

// jsonReport is the summary's fields, then the report's own. Embedding
// keeps the summary's fields at the top level, in their order.
type jsonReport struct {
	metrics.Summary
	Period     string            `json:"period"`
	PeriodID   string            `json:"period_id"`
	Targets    []jsonTarget      `json:"targets"`
	Responders jsonLoadOut       `json:"responders"`
	Coverage   *metrics.Coverage `json:"coverage,omitempty"`
	Trend      *metrics.Trend    `json:"trend,omitempty"`
}

func trendOf(r Report) *metrics.Trend {
	if r.Trends == nil {
		return nil
	}
	return r.Trends.Trend
}
