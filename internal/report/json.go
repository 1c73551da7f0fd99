package report

import (
	"encoding/json"
	"fmt"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// JSON renders this week's summary exactly as metrics.Summary marshals it
// (the contract of product.md section 3), indented, with a final newline,
// plus "coverage" and "trend" when the report has them. The previous week
// and the derived figures are deliberately left out: scripts that read
// this output rely on that one shape.
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
	out, err := json.MarshalIndent(summaryJSON{Summary: s, Coverage: r.Coverage, Trend: trendOf(r)}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode weekly summary %s..%s: %w", s.StartDate, s.EndDate, err)
	}
	return append(out, '\n'), nil
}

// summaryJSON is the summary with what is read beside it. Embedding keeps
// the summary's fields at the top level, in their order.
type summaryJSON struct {
	metrics.Summary
	Coverage *metrics.Coverage `json:"coverage,omitempty"`
	Trend    *metrics.Trend    `json:"trend,omitempty"`
}

func trendOf(r Report) *metrics.Trend {
	if r.Trends == nil {
		return nil
	}
	return r.Trends.Trend
}
