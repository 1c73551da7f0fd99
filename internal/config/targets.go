package config

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// ReportTarget is one response target of BOT_REPORT_TARGETS: the step
// Metric within Within of an alert, for alerts of Severity ("" for every
// alert). Its fields match report.Target, which converts it.
type ReportTarget struct {
	Metric   string
	Severity string
	Within   time.Duration
}

// targetMetrics are the steps a target can be set for: the report's
// response times (report.TargetMetrics, which config cannot import).
var targetMetrics = []string{"acknowledge", "ash_contact", "first_response", "resolve"}

var targetSeverities = []string{"critical", "high", "medium", "low"}

// maxTarget bounds a target: a week is longer than any response target a
// team would set, and a typo such as 5000h is caught.
const maxTarget = 7 * day

// reportTargets parses "acknowledge=5m,first_response=15m,resolve=2h,
// critical.acknowledge=2m": comma-separated metric=duration pairs, each
// metric optionally prefixed with a severity. The error names the bad
// part, so that a long list is easy to fix.
func reportTargets(store func(*Config, []ReportTarget)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		var out []ReportTarget
		for part := range strings.SplitSeq(raw, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			t, err := reportTarget(part)
			if err != nil {
				return fmt.Errorf("must be metric=duration pairs like acknowledge=5m,critical.acknowledge=2m: %q: %w", part, err)
			}
			for _, o := range out {
				if o.Metric == t.Metric && o.Severity == t.Severity {
					return fmt.Errorf("must give each target once: %q repeats %s", part, targetName(t))
				}
			}
			out = append(out, t)
		}
		store(c, out)
		return nil
	}
}

func reportTarget(part string) (ReportTarget, error) {
	key, val, ok := strings.Cut(part, "=")
	if !ok {
		return ReportTarget{}, fmt.Errorf("no =")
	}
	var t ReportTarget
	key = strings.ToLower(strings.TrimSpace(key))
	if sev, metric, ok := strings.Cut(key, "."); ok {
		if !slices.Contains(targetSeverities, sev) {
			return t, fmt.Errorf("unknown severity %q (want %s)", sev, strings.Join(targetSeverities, ", "))
		}
		t.Severity, key = sev, metric
	}
	if !slices.Contains(targetMetrics, key) {
		return t, fmt.Errorf("unknown metric %q (want %s)", key, strings.Join(targetMetrics, ", "))
	}
	t.Metric = key
	d, err := time.ParseDuration(strings.TrimSpace(val))
	if err != nil || d < time.Second || d > maxTarget || d%time.Second != 0 {
		return t, fmt.Errorf("%q is not a duration of whole seconds from 1s to 168h, like 90s, 5m or 2h", strings.TrimSpace(val))
	}
	t.Within = d
	return t, nil
}

func targetName(t ReportTarget) string {
	if t.Severity == "" {
		return t.Metric
	}
	return t.Severity + "." + t.Metric
}
