package app

import (
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// ReportTargets maps BOT_REPORT_TARGETS onto the report's targets: the
// scheduled report, /ash report and `ashbot report` measure the same ones.
func ReportTargets(cfg *config.Config) []report.Target {
	out := make([]report.Target, 0, len(cfg.Report.Targets))
	for _, t := range cfg.Report.Targets {
		out = append(out, report.Target(t))
	}
	return out
}
