package config

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestDetectionSettings(t *testing.T) {
	const a, b, c = "111111111111111111", "222222222222222222", "333333333333333333"
	cfg, warnings := mustLoad(t, with(base(),
		"BOT_MONITORED_CHANNELS", a+", "+b+","+a,
		"BOT_HIGH_PRIORITY_CHANNELS", `{"`+a+`": 1.0, "`+b+`": 0.25}`,
		"BOT_SENSITIVITY_RANGE_LOW", " 0.2 - 0.5 ",
		"BOT_SENSITIVITY_DEFAULT", "1.25",
		"BOT_ALERT_MIN_SEVERITY", "HIGH",
		"BOT_ALERT_COOLDOWN", "0",
		"BOT_NLP_BACKLOG_MINUTES", "0",
		"BOT_ALERT_CHANNEL_MONITOR_IDS", c,
	))
	if len(warnings) != 0 {
		t.Errorf("warnings %q", warnings)
	}
	d := cfg.Detection
	if !slices.Equal(d.MonitoredChannels, []string{a, b}) || !reflect.DeepEqual(d.HighPriority, map[string]float64{a: 1, b: 0.25}) ||
		d.RangeLow != [2]float64{0.2, 0.5} || d.SensitivityDefault != 1.25 || d.AlertMinSeverity != SeverityHigh ||
		d.AlertCooldown != 0 || d.BacklogFor != 0 {
		t.Errorf("detection %+v", d)
	}
	if d.StatusChannelID != c {
		t.Errorf("status channel %q, want the first monitor alert channel", d.StatusChannelID)
	}
	// The earlier bot wrote id lists as JSON arrays.
	for _, v := range []string{`["` + a + `","` + b + `"]`, `[` + a + `, ` + b + `]`} {
		cfg, _ := mustLoad(t, with(base(), "BOT_MONITORED_CHANNELS", v))
		if !slices.Equal(cfg.Detection.MonitoredChannels, []string{a, b}) {
			t.Errorf("%s: %v", v, cfg.Detection.MonitoredChannels)
		}
	}
	cfg, _ = mustLoad(t, with(base(), "BOT_ALERT_CHANNEL_CRISIS_IDS", b, "BOT_DETECTION_STATUS_CHANNEL_ID", ""))
	if cfg.Detection.StatusChannelID != b {
		t.Errorf("status channel without monitor channels: %q", cfg.Detection.StatusChannelID)
	}
	_, warnings = mustLoad(t, with(base(), "BOT_MONITORED_CHANNELS", c, "BOT_ALERT_CHANNEL_MONITOR_IDS", c))
	if len(warnings) != 1 || !strings.Contains(warnings[0], "alert channel") {
		t.Errorf("monitoring an alert channel: %q", warnings)
	}
}

func TestDetectionSettingsRefused(t *testing.T) {
	for name, value := range map[string]string{
		"BOT_MONITORED_CHANNELS":          "general",
		"BOT_LOW_PRIORITY_CHANNELS":       `{"111111111111111111": 1.5}`,
		"BOT_MEDIUM_PRIORITY_CHANNELS":    `{"chan": 0.5}`,
		"BOT_HIGH_PRIORITY_CHANNELS":      `["111111111111111111"]`,
		"BOT_SENSITIVITY_RANGE_MEDIUM":    "0.9-0.6",
		"BOT_SENSITIVITY_RANGE_HIGH":      "1.0-2.5",
		"BOT_SENSITIVITY_DEFAULT":         "0",
		"BOT_HISTORY_MAX_MESSAGES":        "0",
		"BOT_ALERTING_ENABLED":            "maybe",
		"BOT_ALERT_MIN_SEVERITY":          "safe",
		"BOT_ALERT_COOLDOWN":              "-1",
		"BOT_NLP_MAX_CONCURRENCY":         "0",
		"BOT_NLP_BACKLOG_MINUTES":         "61",
		"BOT_DETECTION_STATUS_CHANNEL_ID": "status",
	} {
		errs := mustFail(t, with(base(), name, value), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != name {
			t.Errorf("%s=%s: %v", name, value, errs)
		}
	}
}
