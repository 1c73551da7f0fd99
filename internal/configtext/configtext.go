// Package configtext renders the effective settings as text: what
// `ashbot config check` prints and `/ash config` shows an administrator.
// One rendering for both, so the two never disagree. Secrets are masked
// by package config (Describe) before they get here; the companion's key
// is only said to be set or not.
package configtext

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/weekly"
)

// Write prints every setting with its source, the settings mapped from
// the earlier Ash-Bot, and what they add up to at now: the next weekly
// report and cleanup, who writes Ash's messages and when check-ins go out.
func Write(w io.Writer, cfg *config.Config, now time.Time) error {
	var b strings.Builder
	// Source first, in a fixed column: values can be long (the resources
	// text) and would push a trailing column off any screen.
	for _, s := range cfg.Describe() {
		v := s.Value
		if strings.ContainsAny(v, "\n\t\"") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(&b, "%-12s %s=%s\n", s.Source, s.Name, v)
	}

	if m := cfg.Mapped(); len(m) > 0 {
		b.WriteString("\nmapped from the earlier Ash-Bot:\n")
		for _, m := range m {
			from := m.From
			if m.To != "" {
				from += " -> " + m.To
			}
			fmt.Fprintf(&b, "  %s: %s\n", from, m.Note)
		}
	}

	now = now.UTC()
	b.WriteString("\neffective:\n")
	fmt.Fprintf(&b, "  metrics:        %s (alert records %s, daily aggregates %s)\n",
		onOff(cfg.Metrics.Enabled), Days(cfg.Metrics.AlertTTL), Days(cfg.Metrics.AggregateTTL))
	if next, on := NextReport(cfg, now); on {
		fmt.Fprintf(&b, "  weekly report:  on, %s at %02d:00 UTC to %v; next run %s\n", cfg.Report.Day, cfg.Report.Hour, cfg.Report.ChannelIDs, next.Format(time.RFC3339))
	} else {
		b.WriteString("  weekly report:  off\n")
	}
	if next, on := NextCleanup(cfg, now); on {
		cal, _ := schedule.Daily(cfg.Retention.CleanupHour)
		fmt.Fprintf(&b, "  cleanup:        on, %s; next run %s\n", cal, next.Format(time.RFC3339))
	} else {
		b.WriteString("  cleanup:        off\n")
	}
	fmt.Fprintf(&b, "  Ash companion:  %s\n", CompanionLine(cfg.Companion))
	fmt.Fprintf(&b, "  check-ins:      %s\n", FollowupLine(cfg.Followup))
	_, err := io.WriteString(w, b.String())
	return err
}

// NextReport is when the weekly report is next due; false when it is off.
func NextReport(cfg *config.Config, now time.Time) (time.Time, bool) {
	rs := weekly.Schedule{Enabled: cfg.Report.Enabled, Channels: cfg.Report.ChannelIDs, Day: cfg.Report.Day, Hour: cfg.Report.Hour}
	next, on, err := weekly.NextRun(rs, now)
	return next, err == nil && on
}

// NextCleanup is when the retention cleanup is next due; false when it is
// off.
func NextCleanup(cfg *config.Config, now time.Time) (time.Time, bool) {
	cal, err := schedule.Daily(cfg.Retention.CleanupHour)
	if err != nil || !cfg.Retention.Enabled {
		return time.Time{}, false
	}
	return cal.Next(now), true
}

// CompanionLine says who writes Ash's messages; the base URL is masked
// and the key never shown.
func CompanionLine(c config.Companion) string {
	if c.Provider == config.CompanionScripted {
		return "scripted texts"
	}
	where := "Anthropic's API"
	if c.BaseURL != "" {
		where = config.MaskURL(c.BaseURL)
	}
	key := "no key"
	if c.APIKey != "" {
		key = "key set"
	}
	persona := "built-in persona"
	if c.SystemPromptFile != "" {
		persona = "persona from " + c.SystemPromptFile
	}
	return fmt.Sprintf("%s, model %s at %s (%s; at most %d tokens, reply timeout %v; %s)", c.Provider, c.Model, where, key, c.MaxTokens, c.ReplyTimeout, persona)
}

// FollowupLine says when Ash's follow-up check-ins go out.
func FollowupLine(f config.Followup) string {
	if !f.Enabled {
		return "off"
	}
	return fmt.Sprintf("on, %d h after an Ash chat of %d+ minutes about a %s or higher alert; none later than %d h after it",
		int(f.Delay.Hours()), int(f.MinSession.Minutes()), f.MinSeverity, int(f.Max.Hours()))
}

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

// Days renders a retention as whole days.
func Days(d time.Duration) string { return fmt.Sprintf("%d days", int(d.Hours()/24)) }
