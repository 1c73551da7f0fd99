package app

import (
	"context"
	"log/slog"
	"strings"

	"github.com/alphabetcartel/ashbot/internal/config"
)

// The bot starts with what it has: a part whose service or setting is
// missing is switched off or waited for, never a reason to stay down
// (only what would make alerts impossible is: token, alert channels, CRT
// role). What runs reduced is collected while the bot is built and said in
// one line once it runs, so an operator reads the state in one place.

// reduced notes a part that runs reduced or not at all, and why.
func (s *stack) reduced(part, why string) {
	s.off = append(s.off, part+": "+why)
}

// noteSchedules notes the scheduled jobs that are off.
func (s *stack) noteSchedules(cfg *config.Config) {
	switch {
	case len(cfg.Report.ChannelIDs) == 0:
		s.reduced("weekly report", "off, no BOT_WEEKLY_REPORT_CHANNEL_ID")
	case !cfg.Report.Enabled:
		s.reduced("weekly report", "off, BOT_WEEKLY_REPORT_ENABLED=false")
	}
	if !cfg.Retention.Enabled {
		s.reduced("retention cleanup", "off, BOT_RETENTION_ENABLED=false")
	}
}

// logSummary writes the start-up summary once the gateway is open. It
// waits for the start-up check of Ash-NLP (bounded by BOT_NLP_TIMEOUT),
// whose outcome it reports.
func (s *stack) logSummary(ctx context.Context, cfg *config.Config, opts Options) {
	off := s.off
	if s.nlpChecked != nil {
		select {
		case err := <-s.nlpChecked:
			if err != nil && s.intakeUsesNLP {
				off = append(off, "automatic detection: DOWN, Ash-NLP did not pass its health check "+
					"(the CRT is told in the status channel; retried every few seconds)")
			}
		case <-ctx.Done():
			return
		}
	}
	if !s.redis.State().Reachable {
		off = append(off, "redis: unreachable, retried with backoff (alerts go out, their events wait in the outbox; "+
			"timers and schedules start once it answers)")
	}
	attrs := []any{"guild_id", cfg.Discord.GuildID, "spool", opts.SpoolPath, "companion", s.companion.describe()}
	if len(off) == 0 {
		s.log.Info("ashbot running", attrs...)
		return
	}
	s.log.Log(ctx, slog.LevelWarn, "ashbot running in reduced mode", append(attrs, "off", strings.Join(off, "; "))...)
}
