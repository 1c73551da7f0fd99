package config

import (
	"fmt"
	"time"
)

// Followup configures Ash's follow-up check-ins (BOT_FOLLOWUP_*), the
// earlier Ash-Bot's names and ranges: a DM some hours after a chat that
// asks how the person is doing.
type Followup struct {
	Enabled bool // BOT_FOLLOWUP_ENABLED
	// Delay is how long after a chat ends the check-in is due.
	Delay time.Duration
	// Max is how long after a chat ends a check-in may still be sent: a
	// bot that was down past it skips the check-in rather than send a
	// stale one. It is also how long after sending a reply counts as an
	// answer to it.
	Max         time.Duration
	MinSeverity string // lowest alert severity that gets a check-in
	// MinSession is the shortest chat that gets a check-in.
	MinSession time.Duration
}

func followupEnabled() option {
	return option{name: "BOT_FOLLOWUP_ENABLED", help: "Send a follow-up check-in DM some hours after an Ash chat (never to someone who opted out).",
		set: boolean(func(c *Config, v bool) { c.Followup.Enabled = v })}
}

func followupDelay() option {
	return option{name: "BOT_FOLLOWUP_DELAY_HOURS", help: "Hours after an Ash chat ends that its check-in is sent (1-48).",
		set: integer(1, 48, func(c *Config, n int64) { c.Followup.Delay = time.Duration(n) * time.Hour })}
}

func followupMax() option {
	return option{name: "BOT_FOLLOWUP_MAX_HOURS", help: "Hours after an Ash chat ends past which its check-in is skipped, never sent late (24-72, more than the delay); a reply within as many hours of the check-in answers it.",
		set: integer(24, 72, func(c *Config, n int64) { c.Followup.Max = time.Duration(n) * time.Hour })}
}

func followupMinSeverity() option {
	return option{name: "BOT_FOLLOWUP_MIN_SEVERITY", help: "Lowest alert severity whose Ash chat gets a check-in: low, medium, high or critical.",
		set: oneOf([]string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}, func(c *Config, v string) { c.Followup.MinSeverity = v })}
}

func followupMinSession() option {
	return option{name: "BOT_FOLLOWUP_MIN_SESSION_MINUTES", help: "Shortest Ash chat, in minutes, that gets a check-in (1-30).",
		set: integer(1, 30, func(c *Config, n int64) { c.Followup.MinSession = time.Duration(n) * time.Minute })}
}

// deriveFollowup refuses a window in which no check-in could ever be
// sent: due at the delay, skipped from the maximum on.
func (l *loader) deriveFollowup() {
	f := l.cfg.Followup
	if !l.ok("BOT_FOLLOWUP_DELAY_HOURS", "BOT_FOLLOWUP_MAX_HOURS") || f.Max > f.Delay {
		return
	}
	l.problem("BOT_FOLLOWUP_MAX_HOURS", fmt.Sprint(int64(f.Max/time.Hour)),
		fmt.Sprintf("must be more than BOT_FOLLOWUP_DELAY_HOURS (%d): no check-in could be sent in time", int64(f.Delay/time.Hour)))
}
