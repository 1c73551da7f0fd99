package app

import (
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// TestReportTargetsCoverTheReportsMetrics keeps the metrics config accepts
// in BOT_REPORT_TARGETS equal to the response times the report measures:
// config cannot import report, so the two lists are kept apart.
func TestReportTargetsCoverTheReportsMetrics(t *testing.T) {
	var raw []string
	for _, m := range report.TargetMetrics() {
		raw = append(raw, m+"=1m", "critical."+m+"=30s")
	}
	cfg, _, err := config.Load(func(k string) (string, bool) {
		if k == "BOT_REPORT_TARGETS" {
			return strings.Join(raw, ","), true
		}
		return "", false
	}, func(string) ([]byte, error) { return nil, fs.ErrNotExist })
	if err != nil {
		t.Fatalf("config refuses a metric the report measures: %v", err)
	}
	got := ReportTargets(cfg)
	if len(got) != 2*len(report.TargetMetrics()) || got[0] != (report.Target{Metric: report.TargetMetrics()[0], Within: time.Minute}) {
		t.Errorf("targets = %+v", got)
	}
	for _, m := range report.TargetMetrics() {
		if !slices.ContainsFunc(got, func(t report.Target) bool { return t.Metric == m && t.Severity == "critical" }) {
			t.Errorf("no critical %s target", m)
		}
	}
}
