package report

import (
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// AllSeverities is the severity of a target that applies to every alert.
const AllSeverities = "all"

// Target is one response target of BOT_REPORT_TARGETS: the step Metric
// (a timing key: acknowledge, ash_contact, first_response, resolve) within
// Within of the alert, for alerts of Severity ("" for all of them).
type Target struct {
	Metric   string
	Severity string
	Within   time.Duration
}

// TargetMetrics lists the steps a target can be set for, in report order.
func TargetMetrics() []string {
	var out []string
	for _, t := range timingTable() {
		out = append(out, t.key)
	}
	return out
}

// TargetResult is how the period's alerts did against one target.
//
// Every alert of the target's severity counts in Total once its target
// time has passed: it met the target when the step came within it, and
// missed it when the step came later or never came. An alert never
// acknowledged missed the acknowledge target; a CRT lead asks "how many
// alerts waited longer than 5 minutes", and an alert nobody answered
// waited longest. Only an alert whose target time has not passed yet when
// the report is built (created minutes before the period ended) is
// Pending and left out: it may still meet it.
type TargetResult struct {
	Metric   string // "acknowledge"
	Label    string // "Acknowledge"
	Severity string // "all", "critical", ...
	// SeverityLabel is "All alerts" or "Critical".
	SeverityLabel string
	Within        time.Duration

	// Met, Total and Pending are counts of alerts; Share is Met/Total,
	// nil when Total is 0 or when the records are missing.
	Met, Total, Pending int64
	Share               *float64
	// Text is "80% (8 of 10)", NoData (no alert of this severity) or
	// NotAvailable (see Missing).
	Text string
	// Missing is set when some of the period's alerts of this severity
	// have no alert record any more, so whether they met the target is
	// unknown: "4 of 10 alert records past retention". Met, Total and
	// Share are then not shown.
	Missing string
	// Change compares Share with the previous period's, as shown (whole
	// percent); PreviousShare is that share.
	Change        *Change
	PreviousShare *float64
}

// Known reports whether the share was measured.
func (t TargetResult) Known() bool { return t.Share != nil }

// WithinText is the target time as the report shows it: "5m 00s".
func (t TargetResult) WithinText() string { return FormatDuration(t.Within.Seconds()) }

// buildTargets measures this period's alerts against every target, and
// compares with prev (nil when there is nothing to compare with).
func buildTargets(targets []Target, this, prev *metrics.Summary, now time.Time, noun string) []TargetResult {
	out := make([]TargetResult, 0, len(targets))
	for _, tg := range targets {
		r := measureTarget(tg, this, now)
		if prev != nil {
			old := measureTarget(tg, prev, now)
			if r.Share != nil && old.Share != nil {
				r.PreviousShare = old.Share
				r.Change = change(percent(*r.Share), percent(*old.Share), formatShare(*old.Share))
				r.Change.Noun = noun
			}
		}
		out = append(out, r)
	}
	return out
}

func measureTarget(tg Target, s *metrics.Summary, now time.Time) TargetResult {
	sev := tg.Severity
	if sev == "" {
		sev = AllSeverities
	}
	r := TargetResult{Metric: tg.Metric, Severity: sev, Within: tg.Within, Text: NoData, Label: tg.Metric}
	for _, t := range timingTable() {
		if t.key == tg.Metric {
			r.Label = t.short
		}
	}
	r.SeverityLabel = "All alerts"
	alerts := s.TotalAlerts
	for _, d := range severityTable() {
		if d.key == sev {
			r.SeverityLabel = d.label
			alerts = d.get(s.BySeverity)
		}
	}
	within := int64(tg.Within / time.Second)
	var records int64
	for _, f := range s.Alerts {
		if sev != AllSeverities && f.Severity != sev {
			continue
		}
		records++
		v := stepOf(f, tg.Metric)
		switch {
		case v != metrics.Never && v <= within:
			r.Met++
			r.Total++
		case v != metrics.Never || now.IsZero() || !now.Before(f.Created.Add(tg.Within)):
			r.Total++
		default:
			r.Pending++
		}
	}
	if records < alerts {
		r.Met, r.Total, r.Pending = 0, 0, 0
		r.Missing = fmt.Sprintf("%d of %d alert records past retention", alerts-records, alerts)
		r.Text = NotAvailable
		return r
	}
	if r.Total > 0 {
		share := float64(r.Met) / float64(r.Total)
		r.Share = &share
		r.Text = formatShare(share) + " (" + strconv.FormatInt(r.Met, 10) + " of " + strconv.FormatInt(r.Total, 10) + ")"
	}
	return r
}

// stepOf is the alert's time to the step a target measures.
func stepOf(f metrics.AlertFacts, metric string) int64 {
	switch metric {
	case "acknowledge":
		return f.Acknowledge
	case "ash_contact":
		return f.AshContact
	case "first_response":
		return f.FirstResponse
	case "resolve":
		return f.Resolve
	}
	return metrics.Never
}

// percent is a share in whole percent, rounded down, so that 999 of 1000
// reads 99%: a target missed once never shows as 100%.
func percent(share float64) int64 { return int64(math.Floor(share*100 + 1e-9)) }

func formatShare(share float64) string { return strconv.FormatInt(percent(share), 10) + "%" }

// targetLine is one target as the text, Markdown and Discord renderings
// show it: "Acknowledge within 5m 00s (All alerts): 80% (8 of 10)".
func targetLine(t TargetResult) string {
	s := t.Label + " within " + t.WithinText() + " (" + t.SeverityLabel + "): " + t.Text
	if t.Missing != "" {
		s += ": " + t.Missing
	}
	return s + pendingNote(t)
}

// pendingNote tells how many alerts are left out because their target
// time has not passed yet.
func pendingNote(t TargetResult) string {
	if t.Pending == 0 {
		return ""
	}
	return ", " + strconv.FormatInt(t.Pending, 10) + " not yet due"
}

// jsonTarget is a target in the summary JSON. Met, total and share are
// null where the records are missing; share also where total is 0.
type jsonTarget struct {
	Metric        string   `json:"metric"`
	Severity      string   `json:"severity"`
	TargetSeconds int64    `json:"target_seconds"`
	Met           *int64   `json:"met"`
	Total         *int64   `json:"total"`
	Share         *float64 `json:"share"`
	Pending       int64    `json:"pending"`
	Missing       string   `json:"missing,omitempty"`
	PreviousShare *float64 `json:"previous_share"`
}

func jsonTargets(ts []TargetResult) []jsonTarget {
	out := make([]jsonTarget, 0, len(ts))
	for _, t := range ts {
		j := jsonTarget{Metric: t.Metric, Severity: t.Severity, TargetSeconds: int64(t.Within / time.Second),
			Share: t.Share, Pending: t.Pending, Missing: t.Missing, PreviousShare: t.PreviousShare}
		if t.Missing == "" {
			met, total := t.Met, t.Total
			j.Met, j.Total = &met, &total
		}
		out = append(out, j)
	}
	return out
}
