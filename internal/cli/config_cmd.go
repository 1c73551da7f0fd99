package cli

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/weekly"
)

// configCheck validates the settings and prints what will be used, with
// secrets masked and the next scheduled runs, without touching Redis or
// Discord: it is safe to run anywhere the bot's environment is set.
func configCheck(_ context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	if _, ok := parseFlags(fs, e, args); !ok {
		return ExitUsage
	}
	cfg, _, code := loadConfig(e)
	if cfg == nil {
		return code
	}
	// Source first, in a fixed column: values can be long (the resources
	// text) and would push a trailing column off any screen.
	for _, s := range cfg.Describe() {
		v := s.Value
		if strings.ContainsAny(v, "\n\t\"") {
			v = strconv.Quote(v)
		}
		fmt.Fprintf(e.Stdout, "%-12s %s=%s\n", s.Source, s.Name, v)
	}

	if m := cfg.Mapped(); len(m) > 0 {
		fmt.Fprintln(e.Stdout, "\nmapped from the earlier Ash-Bot:")
		for _, m := range m {
			from := m.From
			if m.To != "" {
				from += " -> " + m.To
			}
			fmt.Fprintf(e.Stdout, "  %s: %s\n", from, m.Note)
		}
	}

	now := e.Now().UTC()
	fmt.Fprintln(e.Stdout, "\neffective:")
	fmt.Fprintf(e.Stdout, "  metrics:        %s (alert records %s, daily aggregates %s)\n",
		onOff(cfg.Metrics.Enabled), days(cfg.Metrics.AlertTTL), days(cfg.Metrics.AggregateTTL))
	rs := weekly.Schedule{Enabled: cfg.Report.Enabled, Channels: cfg.Report.ChannelIDs, Day: cfg.Report.Day, Hour: cfg.Report.Hour}
	if next, on, err := weekly.NextRun(rs, now); err == nil && on {
		fmt.Fprintf(e.Stdout, "  weekly report:  on, %s at %02d:00 UTC to %v; next run %s\n", cfg.Report.Day, cfg.Report.Hour, cfg.Report.ChannelIDs, next.Format(time.RFC3339))
	} else {
		fmt.Fprintln(e.Stdout, "  weekly report:  off")
	}
	if cal, err := schedule.Daily(cfg.Retention.CleanupHour); err == nil && cfg.Retention.Enabled {
		fmt.Fprintf(e.Stdout, "  cleanup:        on, %s; next run %s\n", cal, cal.Next(now).Format(time.RFC3339))
	} else {
		fmt.Fprintln(e.Stdout, "  cleanup:        off")
	}
	fmt.Fprintf(e.Stdout, "  Ash companion:  %s\n", companionLine(cfg.Companion))
	return ExitOK
}

// companionLine says who writes Ash's messages; the base URL is masked
// and the key never shown.
func companionLine(c config.Companion) string {
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

func onOff(b bool) string {
	if b {
		return "on"
	}
	return "off"
}

func days(d time.Duration) string { return fmt.Sprintf("%d days", int(d.Hours()/24)) }
