package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestEscalationSettings(t *testing.T) {
	const lead, oncall, ch = "111111111111111111", "222222222222222222", "333333333333333333"
	cfg, _ := mustLoad(t, with(base(),
		"BOT_ESCALATION_MINUTES", " CRITICAL = 2 , low=720",
		"BOT_ESCALATION_ROLE_IDS", `["`+lead+`", `+oncall+`]`,
		"BOT_ESCALATION_CHANNEL_ID", ch,
	))
	e := cfg.Escalation
	if !reflect.DeepEqual(e.Minutes, map[string]time.Duration{SeverityCritical: 2 * time.Minute, SeverityLow: 12 * time.Hour}) ||
		!slices.Equal(e.RoleIDs, []string{lead, oncall}) || e.ChannelID != ch {
		t.Errorf("escalation %+v", e)
	}

	cfg, _ = mustLoad(t, with(base(), "BOT_ESCALATION_MINUTES", " "))
	if len(cfg.Escalation.Minutes) != 0 {
		t.Errorf("empty BOT_ESCALATION_MINUTES: %v, want off", cfg.Escalation.Minutes)
	}
}

// Each refusal names the variable and the part that is wrong.
func TestEscalationSettingsRefused(t *testing.T) {
	for _, tt := range []struct{ name, value, says string }{
		{"BOT_ESCALATION_MINUTES", "critical=5,high", `"high" has no =`},
		{"BOT_ESCALATION_MINUTES", "critical=5,urgent=3", `"urgent" in "urgent=3"`},
		{"BOT_ESCALATION_MINUTES", "high=0", `"high=0" is not`},
		{"BOT_ESCALATION_MINUTES", "high=721", `"high=721" is not`},
		{"BOT_ESCALATION_MINUTES", "high=5m", `"high=5m" is not`},
		{"BOT_ESCALATION_MINUTES", "high=5,HIGH=6", "high is given twice"},
		{"BOT_ESCALATION_ROLE_IDS", "leads", `"leads" is not one`},
		{"BOT_ESCALATION_CHANNEL_ID", "#leads", "must be empty or a Discord channel id"},
	} {
		errs := mustFail(t, with(base(), tt.name, tt.value), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != tt.name || !strings.Contains(errs.Problems[0].Allowed, tt.says) {
			t.Errorf("%s=%q: problems %v, want one saying %s", tt.name, tt.value, errs.Problems, tt.says)
		}
	}
}
