package config

import (
	"testing"
	"time"
)

func TestFollowupSettings(t *testing.T) {
	cfg, _ := mustLoad(t, with(base(), "BOT_FOLLOWUP_ENABLED", "false", "BOT_FOLLOWUP_DELAY_HOURS", "1",
		"BOT_FOLLOWUP_MAX_HOURS", "72", "BOT_FOLLOWUP_MIN_SEVERITY", "high", "BOT_FOLLOWUP_MIN_SESSION_MINUTES", "30"))
	want := Followup{Enabled: false, Delay: time.Hour, Max: 72 * time.Hour, MinSeverity: SeverityHigh, MinSession: 30 * time.Minute}
	if cfg.Followup != want {
		t.Errorf("followup %+v, want %+v", cfg.Followup, want)
	}

	tests := []struct {
		name string
		env  env
		want string
	}{
		{"delay too long", with(base(), "BOT_FOLLOWUP_DELAY_HOURS", "49", "BOT_FOLLOWUP_MAX_HOURS", "72"),
			`BOT_FOLLOWUP_DELAY_HOURS="49": must be an integer from 1 to 48`},
		{"delay zero", with(base(), "BOT_FOLLOWUP_DELAY_HOURS", "0"), `BOT_FOLLOWUP_DELAY_HOURS="0": must be an integer from 1 to 48`},
		{"max too short", with(base(), "BOT_FOLLOWUP_DELAY_HOURS", "1", "BOT_FOLLOWUP_MAX_HOURS", "23"),
			`BOT_FOLLOWUP_MAX_HOURS="23": must be an integer from 24 to 72`},
		{"max too long", with(base(), "BOT_FOLLOWUP_MAX_HOURS", "73"), `BOT_FOLLOWUP_MAX_HOURS="73": must be an integer from 24 to 72`},
		// Due at the delay and skipped from the maximum on: nothing
		// could ever be sent.
		{"max not after delay", with(base(), "BOT_FOLLOWUP_DELAY_HOURS", "30", "BOT_FOLLOWUP_MAX_HOURS", "30"),
			`BOT_FOLLOWUP_MAX_HOURS="30": must be more than BOT_FOLLOWUP_DELAY_HOURS (30): no check-in could be sent in time`},
		{"severity", with(base(), "BOT_FOLLOWUP_MIN_SEVERITY", "urgent"), `BOT_FOLLOWUP_MIN_SEVERITY="urgent": must be one of low, medium, high, critical`},
		{"enabled", with(base(), "BOT_FOLLOWUP_ENABLED", "sometimes"), `BOT_FOLLOWUP_ENABLED="sometimes": must be true or false (1/0 and yes/no also work)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := mustFail(t, tt.env, nil).Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}
