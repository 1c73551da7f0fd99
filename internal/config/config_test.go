package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// env is a fake environment; tests never read the process environment.
type env map[string]string

func (e env) lookup(name string) (string, bool) {
	v, ok := e[name]
	return v, ok
}

func (e env) environ() []string {
	var out []string
	for k, v := range e {
		out = append(out, k+"="+v)
	}
	slices.Sort(out)
	return out
}

// noFiles stands in for a machine with no secret files, so the default
// secrets directory (/run/secrets) is never really read.
func noFiles(string) ([]byte, error) { return nil, fs.ErrNotExist }

// fakeFiles serves file contents from a map.
func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
}

// base is the smallest environment that loads without warnings.
func base() env {
	return env{"BOT_WEEKLY_REPORT_CHANNEL_ID": "123456789012345678"}
}

func with(e env, kv ...string) env {
	out := env{}
	for k, v := range e {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func mustLoad(t *testing.T, e env) (*Config, []string) {
	t.Helper()
	cfg, warnings, err := Load(e.lookup, noFiles, e.environ()...)
	if err != nil {
		t.Fatalf("Load: unexpected error:\n%v", err)
	}
	return cfg, warnings
}

func mustFail(t *testing.T, e env, read func(string) ([]byte, error)) *Errors {
	t.Helper()
	if read == nil {
		read = noFiles
	}
	cfg, _, err := Load(e.lookup, read, e.environ()...)
	if err == nil {
		t.Fatalf("Load: want error, got config %+v", cfg)
	}
	if cfg != nil {
		t.Errorf("Load returned a config along with an error")
	}
	var errs *Errors
	if !errors.As(err, &errs) {
		t.Fatalf("Load error is %T, want *Errors: %v", err, err)
	}
	return errs
}

func TestDefaultsFileMatchesTable(t *testing.T) {
	defaults, err := parseDefaults(defaultsJSON)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, o := range options() {
		if names[o.name] {
			t.Errorf("%s is in the table twice", o.name)
		}
		names[o.name] = true
		if _, ok := defaults[o.name]; !ok {
			t.Errorf("%s has no default in defaults.json", o.name)
		}
		if o.help == "" {
			t.Errorf("%s has no help text", o.name)
		}
		if !strings.HasPrefix(o.name, "BOT_") {
			t.Errorf("%s does not start with BOT_", o.name)
		}
	}
	for name := range defaults {
		if !names[name] {
			t.Errorf("defaults.json has %s, which no option reads", name)
		}
	}
}

func TestDefaultsLoad(t *testing.T) {
	cfg, warnings := mustLoad(t, env{})
	want := []string{"BOT_WEEKLY_REPORT_CHANNEL_ID is empty: weekly report switched off"}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings = %q, want %q", warnings, want)
	}

	tests := []struct {
		name string
		got  any
		want any
	}{
		{"BOT_LOG_LEVEL", cfg.Log.Level, "info"},
		{"BOT_LOG_FORMAT", cfg.Log.Format, "json"},
		{"BOT_METRICS_ENABLED", cfg.Metrics.Enabled, true},
		{"BOT_METRICS_RETENTION_DAYS", cfg.Metrics.AlertTTL, 90 * day},
		{"BOT_METRICS_AGGREGATE_RETENTION_DAYS", cfg.Metrics.AggregateTTL, 365 * day},
		{"BOT_WEEKLY_REPORT_ENABLED", cfg.Report.Enabled, false}, // no channel by default
		{"BOT_WEEKLY_REPORT_CHANNEL_ID", cfg.Report.ChannelIDs, []string(nil)},
		{"BOT_WEEKLY_REPORT_DAY", cfg.Report.Day, time.Monday},
		{"BOT_WEEKLY_REPORT_HOUR", cfg.Report.Hour, 9},
		{"BOT_REPORT_TIMEZONE", cfg.Report.Location.String(), "UTC"},
		{"BOT_REPORT_TARGETS", cfg.Report.Targets, []ReportTarget(nil)},
		{"BOT_RETENTION_ENABLED", cfg.Retention.Enabled, true},
		{"BOT_RETENTION_ALERT_METRICS_DAYS", cfg.Retention.AlertMetrics, 90 * day},
		{"BOT_RETENTION_AGGREGATES_DAYS", cfg.Retention.Aggregates, 365 * day},
		{"BOT_RETENTION_MESSAGE_HISTORY_DAYS", cfg.Retention.MessageHistory, 7 * day},
		{"BOT_RETENTION_SESSION_DATA_DAYS", cfg.Retention.SessionData, 30 * day},
		{"BOT_RETENTION_CLEANUP_HOUR", cfg.Retention.CleanupHour, 3},
		{"BOT_USER_OPTOUT_TTL_DAYS", cfg.Retention.OptOut, 30 * day},
		{"BOT_STORAGE_ALERT_MEMORY_MB", cfg.Retention.MaxMemoryBytes, int64(0)},
		{"BOT_STORAGE_ALERT_CATEGORY_KEYS", cfg.Retention.MaxCategoryKeys, int64(0)},
		{"BOT_REDIS_URL", cfg.Redis.URL, ""},
		{"BOT_REDIS_HOST", cfg.Redis.Host, "localhost"},
		{"BOT_REDIS_PORT", cfg.Redis.Port, 6379},
		{"BOT_REDIS_DB", cfg.Redis.DB, 0},
		{"BOT_REDIS_USERNAME", cfg.Redis.Username, ""},
		{"BOT_REDIS_PASSWORD", cfg.Redis.Password, ""},
		{"BOT_REDIS_MODE", cfg.Redis.Mode, ModeStandalone},
		{"BOT_REDIS_ADDRS", cfg.Redis.Addrs, []string(nil)},
		{"BOT_REDIS_SENTINEL_MASTER", cfg.Redis.SentinelMaster, ""},
		{"BOT_REDIS_TLS", cfg.Redis.TLS, false},
		{"BOT_REDIS_TLS_CA_FILE", cfg.Redis.TLSCAFile, ""},
		{"BOT_REDIS_DIAL_TIMEOUT", cfg.Redis.DialTimeout, 5 * time.Second},
		{"BOT_REDIS_READ_TIMEOUT", cfg.Redis.ReadTimeout, 3 * time.Second},
		{"BOT_REDIS_WRITE_TIMEOUT", cfg.Redis.WriteTimeout, 3 * time.Second},
		{"BOT_REDIS_POOL_SIZE", cfg.Redis.PoolSize, 32},
		{"BOT_DISCORD_TOKEN", cfg.Discord.Token, ""},
		{"BOT_DISCORD_GUILD_ID", cfg.Discord.GuildID, ""},
		{"BOT_DISCORD_API_URL", cfg.Discord.APIURL, ""},
		{"BOT_DISCORD_GATEWAY_URL", cfg.Discord.GatewayURL, ""},
		{"BOT_ALERT_CHANNEL_MONITOR_IDS", cfg.Discord.AlertMonitorChannels, []string(nil)},
		{"BOT_ALERT_CHANNEL_CRISIS_IDS", cfg.Discord.AlertCrisisChannels, []string(nil)},
		{"BOT_ALERT_CHANNEL_CRITICAL_IDS", cfg.Discord.AlertCriticalChannels, []string(nil)},
		{"BOT_CRT_ROLE_IDS", cfg.Discord.CRTRoleIDs, []string(nil)},
		{"BOT_ADMIN_ROLE_IDS", cfg.Discord.AdminRoleIDs, []string(nil)},
		{"BOT_NLP_BASE_URL", cfg.NLP.BaseURL, "http://ash-nlp:30880"},
		{"BOT_NLP_TIMEOUT", cfg.NLP.Timeout, 5 * time.Second},
		{"BOT_NLP_RETRIES", cfg.NLP.Retries, 2},
		{"BOT_NLP_RETRY_DELAY", cfg.NLP.RetryDelay, time.Second},
		{"BOT_CB_NLP_FAILURES", cfg.NLP.BreakerFailures, 5},
		{"BOT_CB_NLP_TIMEOUT", cfg.NLP.BreakerTimeout, 30 * time.Second},
		{"BOT_CB_NLP_SUCCESSES", cfg.NLP.BreakerSuccesses, 2},
		{"BOT_MONITORED_CHANNELS", cfg.Detection.MonitoredChannels, []string(nil)},
		{"BOT_LOW_PRIORITY_CHANNELS", cfg.Detection.LowPriority, map[string]float64{}},
		{"BOT_MEDIUM_PRIORITY_CHANNELS", cfg.Detection.MediumPriority, map[string]float64{}},
		{"BOT_HIGH_PRIORITY_CHANNELS", cfg.Detection.HighPriority, map[string]float64{}},
		{"BOT_SENSITIVITY_RANGE_LOW", cfg.Detection.RangeLow, [2]float64{0.3, 0.6}},
		{"BOT_SENSITIVITY_RANGE_MEDIUM", cfg.Detection.RangeMedium, [2]float64{0.6, 0.9}},
		{"BOT_SENSITIVITY_RANGE_HIGH", cfg.Detection.RangeHigh, [2]float64{1.0, 1.5}},
		{"BOT_SENSITIVITY_DEFAULT", cfg.Detection.SensitivityDefault, 1.0},
		{"BOT_HISTORY_MAX_MESSAGES", cfg.Detection.HistoryMaxMessages, 100},
		{"BOT_ALERTING_ENABLED", cfg.Detection.AlertingEnabled, true},
		{"BOT_ALERT_MIN_SEVERITY", cfg.Detection.AlertMinSeverity, SeverityMedium},
		{"BOT_ALERT_COOLDOWN", cfg.Detection.AlertCooldown, 300 * time.Second},
		{"BOT_NLP_MAX_CONCURRENCY", cfg.Detection.MaxConcurrency, 8},
		{"BOT_NLP_BACKLOG_MINUTES", cfg.Detection.BacklogFor, 15 * time.Minute},
		{"BOT_DETECTION_STATUS_CHANNEL_ID", cfg.Detection.StatusChannelID, ""},
		{"BOT_AUTO_INITIATE_ENABLED", cfg.Ash.AutoInitiate, true},
		{"BOT_AUTO_INITIATE_DELAY_MINUTES", cfg.Ash.AutoInitiateDelay, 3 * time.Minute},
		{"BOT_AUTO_INITIATE_MIN_SEVERITY", cfg.Ash.AutoInitiateMinSeverity, SeverityHigh},
		{"BOT_ESCALATION_MINUTES", cfg.Escalation.Minutes, map[string]time.Duration{
			SeverityCritical: 5 * time.Minute, SeverityHigh: 15 * time.Minute, SeverityMedium: time.Hour}},
		{"BOT_ESCALATION_ROLE_IDS", cfg.Escalation.RoleIDs, []string(nil)},
		{"BOT_ESCALATION_CHANNEL_ID", cfg.Escalation.ChannelID, ""},
		{"BOT_ASH_SESSION_TIMEOUT", cfg.Ash.SessionTimeout, 300 * time.Second},
		{"BOT_ASH_MAX_SESSION", cfg.Ash.MaxSession, 1800 * time.Second},
		{"BOT_FOLLOWUP_ENABLED", cfg.Followup.Enabled, true},
		{"BOT_FOLLOWUP_DELAY_HOURS", cfg.Followup.Delay, 24 * time.Hour},
		{"BOT_FOLLOWUP_MAX_HOURS", cfg.Followup.Max, 48 * time.Hour},
		{"BOT_FOLLOWUP_MIN_SEVERITY", cfg.Followup.MinSeverity, SeverityMedium},
		{"BOT_FOLLOWUP_MIN_SESSION_MINUTES", cfg.Followup.MinSession, 5 * time.Minute},
		{"BOT_ASH_PROVIDER", cfg.Companion.Provider, CompanionScripted},
		{"BOT_ASH_MODEL", cfg.Companion.Model, "claude-sonnet-5-5"},
		{"BOT_ASH_MAX_TOKENS", cfg.Companion.MaxTokens, 500},
		{"BOT_ASH_BASE_URL", cfg.Companion.BaseURL, ""},
		{"BOT_ASH_API_KEY", cfg.Companion.APIKey, ""},
		{"BOT_ASH_REPLY_TIMEOUT", cfg.Companion.ReplyTimeout, 20 * time.Second},
		{"BOT_ASH_SYSTEM_PROMPT_FILE", cfg.Companion.SystemPromptFile, ""},
		{"BOT_HTTP_ADDR", cfg.Runtime.HTTPAddr, "127.0.0.1:9102"},
		{"BOT_OUTBOX_SPOOL", cfg.Runtime.OutboxSpool, ""},
		{"BOT_CRT_NOTES_CHANNEL_IDS", cfg.Ash.NotesChannelIDs, []string(nil)},
		{"BOT_HANDOFF_CONTEXT_ENABLED", cfg.Ash.HandoffContext, true},
	}
	covered := map[string]bool{"BOT_ASH_RESOURCES_TEXT": true} // checked below
	for _, tt := range tests {
		covered[tt.name] = true
		if !reflect.DeepEqual(tt.got, tt.want) {
			t.Errorf("%s default: got %#v, want %#v", tt.name, tt.got, tt.want)
		}
	}
	for _, o := range options() {
		if !covered[o.name] {
			t.Errorf("%s: default not checked", o.name)
		}
	}
	if !strings.Contains(cfg.Ash.ResourcesText, "988") || len([]rune(cfg.Ash.ResourcesText)) > maxResourcesText {
		t.Errorf("default resources text is not the crisis lines: %q", cfg.Ash.ResourcesText)
	}

	for _, s := range cfg.Describe() {
		if s.Source != SourceDefault {
			t.Errorf("%s: source %q, want default", s.Name, s.Source)
		}
	}
}

func TestIntegerBounds(t *testing.T) {
	type accessor func(*Config) int64
	days := func(f func(*Config) time.Duration) accessor {
		return func(c *Config) int64 { return int64(f(c) / day) }
	}
	tests := []struct {
		name   string
		lo, hi int64
		got    accessor
		// pair is set to the same value so the shorter-wins rule does not
		// mask the value under test.
		pair string
	}{
		{"BOT_METRICS_RETENTION_DAYS", 1, 365, days(func(c *Config) time.Duration { return c.Metrics.AlertTTL }), "BOT_RETENTION_ALERT_METRICS_DAYS"},
		{"BOT_METRICS_AGGREGATE_RETENTION_DAYS", 30, 730, days(func(c *Config) time.Duration { return c.Metrics.AggregateTTL }), "BOT_RETENTION_AGGREGATES_DAYS"},
		{"BOT_WEEKLY_REPORT_HOUR", 0, 23, func(c *Config) int64 { return int64(c.Report.Hour) }, ""},
		{"BOT_RETENTION_ALERT_METRICS_DAYS", 1, 365, days(func(c *Config) time.Duration { return c.Retention.AlertMetrics }), "BOT_METRICS_RETENTION_DAYS"},
		{"BOT_RETENTION_AGGREGATES_DAYS", 30, 730, days(func(c *Config) time.Duration { return c.Retention.Aggregates }), "BOT_METRICS_AGGREGATE_RETENTION_DAYS"},
		{"BOT_RETENTION_MESSAGE_HISTORY_DAYS", 1, 30, days(func(c *Config) time.Duration { return c.Retention.MessageHistory }), ""},
		{"BOT_RETENTION_SESSION_DATA_DAYS", 7, 90, days(func(c *Config) time.Duration { return c.Retention.SessionData }), ""},
		{"BOT_RETENTION_CLEANUP_HOUR", 0, 23, func(c *Config) int64 { return int64(c.Retention.CleanupHour) }, ""},
		{"BOT_USER_OPTOUT_TTL_DAYS", 1, 365, days(func(c *Config) time.Duration { return c.Retention.OptOut }), ""},
		{"BOT_STORAGE_ALERT_MEMORY_MB", 0, 1048576, func(c *Config) int64 { return c.Retention.MaxMemoryBytes / (1 << 20) }, ""},
		{"BOT_STORAGE_ALERT_CATEGORY_KEYS", 0, 1000000000, func(c *Config) int64 { return c.Retention.MaxCategoryKeys }, ""},
		{"BOT_REDIS_PORT", 1, 65535, func(c *Config) int64 { return int64(c.Redis.Port) }, ""},
		{"BOT_REDIS_DB", 0, 15, func(c *Config) int64 { return int64(c.Redis.DB) }, ""},
		{"BOT_REDIS_POOL_SIZE", 1, 1000, func(c *Config) int64 { return int64(c.Redis.PoolSize) }, ""},
		{"BOT_NLP_RETRIES", 0, 10, func(c *Config) int64 { return int64(c.NLP.Retries) }, ""},
		{"BOT_CB_NLP_FAILURES", 1, 100, func(c *Config) int64 { return int64(c.NLP.BreakerFailures) }, ""},
		{"BOT_CB_NLP_SUCCESSES", 1, 100, func(c *Config) int64 { return int64(c.NLP.BreakerSuccesses) }, ""},
		{"BOT_AUTO_INITIATE_DELAY_MINUTES", 1, 60, func(c *Config) int64 { return int64(c.Ash.AutoInitiateDelay / time.Minute) }, ""},
		{"BOT_ASH_SESSION_TIMEOUT", 60, 3600, func(c *Config) int64 { return int64(c.Ash.SessionTimeout / time.Second) }, ""},
		{"BOT_ASH_MAX_SESSION", 300, 14400, func(c *Config) int64 { return int64(c.Ash.MaxSession / time.Second) }, ""},
		{"BOT_FOLLOWUP_MIN_SESSION_MINUTES", 1, 30, func(c *Config) int64 { return int64(c.Followup.MinSession / time.Minute) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := func(v string) env {
				e := with(base(), tt.name, v)
				if tt.pair != "" {
					e[tt.pair] = v
				}
				return e
			}
			for _, n := range []int64{tt.lo, tt.hi} {
				v := fmt.Sprint(n)
				cfg, _ := mustLoad(t, set(v))
				if got := tt.got(cfg); got != n {
					t.Errorf("%s=%s: got %d", tt.name, v, got)
				}
				if s := setting(t, cfg, tt.name); s.Value != v || s.Source != SourceEnv {
					t.Errorf("Describe %s = %+v, want value %s from env", tt.name, s, v)
				}
			}
			cfg, _ := mustLoad(t, set(fmt.Sprintf(" %d ", tt.hi)))
			if got := tt.got(cfg); got != tt.hi {
				t.Errorf("surrounding spaces: got %d, want %d", got, tt.hi)
			}
			for _, bad := range []string{fmt.Sprint(tt.lo - 1), fmt.Sprint(tt.hi + 1), "abc", "1.5", "", "0x10", "99999999999999999999"} {
				errs := mustFail(t, with(base(), tt.name, bad), nil)
				want := fmt.Sprintf("%s=%q: must be an integer from %d to %d", tt.name, bad, tt.lo, tt.hi)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bad, errs.Error(), want)
				}
			}
		})
	}
}

func setting(t *testing.T, cfg *Config, name string) Setting {
	t.Helper()
	for _, s := range cfg.Describe() {
		if s.Name == name {
			return s
		}
	}
	t.Fatalf("Describe has no %s", name)
	return Setting{}
}

func TestDurations(t *testing.T) {
	tests := []struct {
		name string
		got  func(*Config) time.Duration
	}{
		{"BOT_REDIS_DIAL_TIMEOUT", func(c *Config) time.Duration { return c.Redis.DialTimeout }},
		{"BOT_REDIS_READ_TIMEOUT", func(c *Config) time.Duration { return c.Redis.ReadTimeout }},
		{"BOT_REDIS_WRITE_TIMEOUT", func(c *Config) time.Duration { return c.Redis.WriteTimeout }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for v, want := range map[string]time.Duration{"100ms": 100 * time.Millisecond, "60s": time.Minute, "1m": time.Minute, "1.5s": 1500 * time.Millisecond} {
				cfg, _ := mustLoad(t, with(base(), tt.name, v))
				if got := tt.got(cfg); got != want {
					t.Errorf("%s=%s: got %v, want %v", tt.name, v, got, want)
				}
			}
			for _, bad := range []string{"99ms", "61s", "abc", "1.5", "5", "", "-1s"} {
				errs := mustFail(t, with(base(), tt.name, bad), nil)
				want := fmt.Sprintf("%s=%q: must be a duration from 100ms to 1m0s, like 5s or 500ms", tt.name, bad)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bad, errs.Error(), want)
				}
			}
		})
	}
}

func TestBooleans(t *testing.T) {
	tests := []struct {
		name string
		got  func(*Config) bool
	}{
		{"BOT_METRICS_ENABLED", func(c *Config) bool { return c.Metrics.Enabled }},
		{"BOT_WEEKLY_REPORT_ENABLED", func(c *Config) bool { return c.Report.Enabled }},
		{"BOT_RETENTION_ENABLED", func(c *Config) bool { return c.Retention.Enabled }},
		{"BOT_REDIS_TLS", func(c *Config) bool { return c.Redis.TLS }},
	}
	values := map[string]bool{
		"true": true, "TRUE": true, "True": true, "1": true, "yes": true, "YES": true, " yes ": true,
		"false": false, "FALSE": false, "0": false, "no": false, "No": false,
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for v, want := range values {
				cfg, _ := mustLoad(t, with(base(), tt.name, v))
				if got := tt.got(cfg); got != want {
					t.Errorf("%s=%q: got %v, want %v", tt.name, v, got, want)
				}
			}
			for _, bad := range []string{"maybe", "2", "", "on", "t"} {
				errs := mustFail(t, with(base(), tt.name, bad), nil)
				want := fmt.Sprintf("%s=%q: must be true or false (1/0 and yes/no also work)", tt.name, bad)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bad, errs.Error(), want)
				}
			}
		})
	}
}

func TestEnums(t *testing.T) {
	tests := []struct {
		name    string
		good    map[string]any
		bad     []string
		allowed string
		got     func(*Config) any
	}{
		{
			name: "BOT_LOG_LEVEL",
			good: map[string]any{"debug": "debug", "info": "info", "warn": "warn", "error": "error", "DEBUG": "debug",
				"WARNING": "warn", "warning": "warn", "Warn": "warn", "CRITICAL": "error", "critical": "error", " INFO ": "info"},
			bad:     []string{"trace", "fatal", "warnings", ""},
			allowed: "must be one of debug, info, warn (or warning), error (or critical)",
			got:     func(c *Config) any { return c.Log.Level },
		},
		{
			name:    "BOT_LOG_FORMAT",
			good:    map[string]any{"json": "json", "text": "text", "Text": "text", "human": "human", "HUMAN": "human"},
			bad:     []string{"logfmt", "pretty", ""},
			allowed: "must be one of json, text, human",
			got:     func(c *Config) any { return c.Log.Format },
		},
		{
			name: "BOT_WEEKLY_REPORT_DAY",
			good: map[string]any{
				"monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday, "thursday": time.Thursday,
				"friday": time.Friday, "saturday": time.Saturday, "sunday": time.Sunday, "Monday": time.Monday, "SUNDAY": time.Sunday,
			},
			bad:     []string{"mon", "1", "funday", ""},
			allowed: "must be a day of the week, monday to sunday",
			got:     func(c *Config) any { return c.Report.Day },
		},
		{
			name:    "BOT_REPORT_TIMEZONE",
			good:    map[string]any{"UTC": "UTC", "America/New_York": "America/New_York", " Europe/London ": "Europe/London", "Asia/Kolkata": "Asia/Kolkata"},
			bad:     []string{"Local", "local", "EST5EDT/Nowhere", "Mars/Olympus", "+02:00", ""},
			allowed: "must be an IANA time zone name such as UTC or Europe/London",
			got:     func(c *Config) any { return c.Report.Location.String() },
		},
		{
			name:    "BOT_REDIS_MODE",
			good:    map[string]any{"standalone": ModeStandalone, "cluster": ModeCluster, "CLUSTER": ModeCluster},
			bad:     []string{"replica", ""},
			allowed: "must be one of standalone, sentinel, cluster",
			got:     func(c *Config) any { return c.Redis.Mode },
		},
		{
			name:    "BOT_AUTO_INITIATE_MIN_SEVERITY",
			good:    map[string]any{"low": SeverityLow, "medium": SeverityMedium, "high": SeverityHigh, "critical": SeverityCritical, "High": SeverityHigh},
			bad:     []string{"severe", ""},
			allowed: "must be one of low, medium, high, critical",
			got:     func(c *Config) any { return c.Ash.AutoInitiateMinSeverity },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for v, want := range tt.good {
				cfg, _ := mustLoad(t, with(base(), tt.name, v))
				if got := tt.got(cfg); got != want {
					t.Errorf("%s=%q: got %v, want %v", tt.name, v, got, want)
				}
			}
			for _, bad := range tt.bad {
				errs := mustFail(t, with(base(), tt.name, bad), nil)
				want := fmt.Sprintf("%s=%q: %s", tt.name, bad, tt.allowed)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bad, errs.Error(), want)
				}
			}
		})
	}
}

func TestSnowflakeLists(t *testing.T) {
	const a, b = "123456789012345678", "98765432109876543"
	tests := []struct {
		name string
		what string
		got  func(*Config) []string
	}{
		{"BOT_WEEKLY_REPORT_CHANNEL_ID", channelIDs, func(c *Config) []string { return c.Report.ChannelIDs }},
		{"BOT_ALERT_CHANNEL_MONITOR_IDS", channelIDs, func(c *Config) []string { return c.Discord.AlertMonitorChannels }},
		{"BOT_ALERT_CHANNEL_CRISIS_IDS", channelIDs, func(c *Config) []string { return c.Discord.AlertCrisisChannels }},
		{"BOT_ALERT_CHANNEL_CRITICAL_IDS", channelIDs, func(c *Config) []string { return c.Discord.AlertCriticalChannels }},
		{"BOT_CRT_ROLE_IDS", roleIDs, func(c *Config) []string { return c.Discord.CRTRoleIDs }},
		{"BOT_ADMIN_ROLE_IDS", roleIDs, func(c *Config) []string { return c.Discord.AdminRoleIDs }},
	}
	good := []struct {
		value string
		want  []string
	}{
		{a, []string{a}},
		{" " + a + " ,  " + b + " ", []string{a, b}},
		{a + "," + b + "," + a, []string{a, b}},
		{"18446744073709551615", []string{"18446744073709551615"}},
		// The earlier bot's JSON arrays: strings, numbers (above 2^53, so
		// a float64 would round them to another id) or both.
		{`["` + a + `", "` + b + `"]`, []string{a, b}},
		{`[1190000000000000101, "` + a + `", 1190000000000000101]`, []string{"1190000000000000101", a}},
		{`[18446744073709551615]`, []string{"18446744073709551615"}},
		{` [ ] `, nil},
	}
	bad := []struct{ value, item string }{
		{"1234567890123456", "1234567890123456"}, // 16 digits
		{"123456789012345678901", "123456789012345678901"},
		{"99999999999999999999", "99999999999999999999"}, // 20 digits but past uint64
		{a + ",#general", "#general"},
		{a + ",", ""},
		{a + ",,", ""},
		{"<#123456789012345678>", "<#123456789012345678>"},
		{`["` + a + `", ""]`, ""},
		{`[1.19e18]`, "1.19e18"},
		{`[` + a + `.0]`, a + ".0"},
	}
	// JSON that is not a flat array of ids.
	malformed := []struct{ value, why string }{
		{`["` + a + `"`, "not a JSON array"},
		{`[` + a + `,]`, "not a JSON array"},
		{`["` + a + `"] x`, "text after the JSON array"},
		{`[["` + a + `"]]`, "a JSON array of ids holds only strings and numbers, not ["},
		{`[true]`, "a JSON array of ids holds only strings and numbers, not true"},
		{`[null]`, "a JSON array of ids holds only strings and numbers, not <nil>"},
		{`[{"id": "` + a + `"}]`, "a JSON array of ids holds only strings and numbers, not {"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, g := range good {
				cfg, _ := mustLoad(t, with(base(), tt.name, g.value))
				if got := tt.got(cfg); !slices.Equal(got, g.want) {
					t.Errorf("%q: got %q, want %q", g.value, got, g.want)
				}
			}
			for _, bd := range bad {
				errs := mustFail(t, with(base(), tt.name, bd.value), nil)
				want := fmt.Sprintf("%s=%q: must be %s; %q is not one", tt.name, bd.value, tt.what, bd.item)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", bd.value, errs.Error(), want)
				}
			}
			for _, m := range malformed {
				errs := mustFail(t, with(base(), tt.name, m.value), nil)
				want := fmt.Sprintf("%s=%q: must be %s (%s)", tt.name, m.value, tt.what, m.why)
				if errs.Error() != want {
					t.Errorf("value %q:\n got %s\nwant %s", m.value, errs.Error(), want)
				}
			}
		})
	}
}

func TestGuildID(t *testing.T) {
	cfg, _ := mustLoad(t, with(base(), "BOT_DISCORD_GUILD_ID", "123456789012345678"))
	if cfg.Discord.GuildID != "123456789012345678" {
		t.Errorf("GuildID = %q", cfg.Discord.GuildID)
	}
	errs := mustFail(t, with(base(), "BOT_DISCORD_GUILD_ID", "123,456"), nil)
	if want := `BOT_DISCORD_GUILD_ID="123,456": must be empty or a Discord server id (17-20 digits)`; errs.Error() != want {
		t.Errorf("got %s\nwant %s", errs.Error(), want)
	}
}

func TestCriticalChannelsFallBackToCrisis(t *testing.T) {
	const crisis, critical = "111111111111111111", "222222222222222222"
	cfg, _ := mustLoad(t, with(base(), "BOT_ALERT_CHANNEL_CRISIS_IDS", crisis))
	if !slices.Equal(cfg.Discord.AlertCriticalChannels, []string{crisis}) {
		t.Errorf("critical = %q, want the crisis list", cfg.Discord.AlertCriticalChannels)
	}
	cfg, _ = mustLoad(t, with(base(), "BOT_ALERT_CHANNEL_CRISIS_IDS", crisis, "BOT_ALERT_CHANNEL_CRITICAL_IDS", critical))
	if !slices.Equal(cfg.Discord.AlertCriticalChannels, []string{critical}) {
		t.Errorf("critical = %q, want its own list", cfg.Discord.AlertCriticalChannels)
	}
}

func TestDiscordURLs(t *testing.T) {
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"BOT_DISCORD_API_URL", "http://127.0.0.1:8080/api/v10", true},
		{"BOT_DISCORD_API_URL", "https://discord.com/api/v10", true},
		{"BOT_DISCORD_API_URL", "ws://127.0.0.1:8080", false},
		{"BOT_DISCORD_API_URL", "discord.com/api", false},
		{"BOT_DISCORD_GATEWAY_URL", "ws://127.0.0.1:8080", true},
		{"BOT_DISCORD_GATEWAY_URL", "wss://gateway.discord.gg", true},
		{"BOT_DISCORD_GATEWAY_URL", "https://gateway.discord.gg", false},
	}
	for _, tt := range tests {
		e := with(base(), tt.name, tt.value)
		if tt.ok {
			cfg, _ := mustLoad(t, e)
			if got := cfg.Discord.APIURL + cfg.Discord.GatewayURL; got != tt.value {
				t.Errorf("%s=%s: stored %q", tt.name, tt.value, got)
			}
			continue
		}
		errs := mustFail(t, e, nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != tt.name || !strings.HasPrefix(errs.Problems[0].Allowed, "must be empty or a") {
			t.Errorf("%s=%s: got %v", tt.name, tt.value, errs)
		}
	}
}

func TestRedisURL(t *testing.T) {
	t.Run("rediss sets TLS and wins over host, port, db", func(t *testing.T) {
		e := with(base(),
			"BOT_REDIS_URL", "rediss://ashbot:s3cret@redis.example:6380/2",
			"BOT_REDIS_HOST", "other", "BOT_REDIS_PORT", "7000", "BOT_REDIS_DB", "5",
			"BOT_REDIS_PASSWORD", "from-env")
		cfg, warnings := mustLoad(t, e)
		r := cfg.Redis
		if r.Host != "redis.example" || r.Port != 6380 || r.DB != 2 || !r.TLS || r.Username != "ashbot" || r.Password != "s3cret" {
			t.Errorf("redis = %+v", r)
		}
		for _, w := range []string{
			"BOT_REDIS_HOST is ignored because BOT_REDIS_URL is set",
			"BOT_REDIS_PORT is ignored because BOT_REDIS_URL is set",
			"BOT_REDIS_DB is ignored because BOT_REDIS_URL is set",
			"BOT_REDIS_PASSWORD is ignored because BOT_REDIS_URL carries a password",
		} {
			if !slices.Contains(warnings, w) {
				t.Errorf("missing warning %q in %q", w, warnings)
			}
		}
		s := setting(t, cfg, "BOT_REDIS_URL")
		if s.Value != "rediss://ashbot:***@redis.example:6380/2" {
			t.Errorf("Describe shows URL as %q", s.Value)
		}
	})
	t.Run("redis scheme defaults", func(t *testing.T) {
		cfg, warnings := mustLoad(t, with(base(), "BOT_REDIS_URL", "redis://cache"))
		r := cfg.Redis
		if r.Host != "cache" || r.Port != 6379 || r.DB != 0 || r.TLS {
			t.Errorf("redis = %+v", r)
		}
		if len(warnings) != 0 {
			t.Errorf("warnings = %q", warnings)
		}
	})
	t.Run("password from a secret when the URL has none", func(t *testing.T) {
		cfg, _ := mustLoad(t, with(base(), "BOT_REDIS_URL", "redis://cache:6379/1", "BOT_REDIS_PASSWORD", "pw"))
		if cfg.Redis.Password != "pw" || cfg.Redis.DB != 1 {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
	t.Run("query parameters warn", func(t *testing.T) {
		_, warnings := mustLoad(t, with(base(), "BOT_REDIS_URL", "redis://cache/0?dial_timeout=1s"))
		if !slices.Contains(warnings, "BOT_REDIS_URL query parameters are ignored; use the BOT_REDIS_* variables") {
			t.Errorf("warnings = %q", warnings)
		}
	})
	bad := []struct{ value, shown, allowed string }{
		{"http://cache:6379", "http://cache:6379", "must be a redis:// or rediss:// URL with a host"},
		{"cache:6379", "cache:6379", "must be a redis:// or rediss:// URL with a host"},
		{"redis://", "redis://", "must be a redis:// or rediss:// URL with a host"},
		{"redis://cache:70000", "redis://cache:70000", "must be a redis:// or rediss:// URL with a port from 1 to 65535"},
		{"redis://cache/16", "redis://cache/16", "must be a redis:// or rediss:// URL whose path, if any, is a database number from 0 to 15"},
		{"redis://:hunter2@cache/x", "redis://:***@cache/x", "must be a redis:// or rediss:// URL whose path, if any, is a database number from 0 to 15"},
		{"redis://:hunter2@cache:bad", "***", "must be a redis:// or rediss:// URL with a host"},
		{"https://u:hunter2@cache", "https://u:***@cache", "must be a redis:// or rediss:// URL with a host"},
	}
	for _, b := range bad {
		errs := mustFail(t, with(base(), "BOT_REDIS_URL", b.value), nil)
		want := fmt.Sprintf("BOT_REDIS_URL=%q: %s", b.shown, b.allowed)
		if errs.Error() != want {
			t.Errorf("value %q:\n got %s\nwant %s", b.value, errs.Error(), want)
		}
	}
}

func TestRedisHostAndAddrs(t *testing.T) {
	for _, bad := range []string{"", "  ", "redis host", "redis://x"} {
		errs := mustFail(t, with(base(), "BOT_REDIS_HOST", bad), nil)
		if want := fmt.Sprintf("BOT_REDIS_HOST=%q: must be a host name or IP address", bad); errs.Error() != want {
			t.Errorf("got %s\nwant %s", errs.Error(), want)
		}
	}
	cfg, _ := mustLoad(t, with(base(), "BOT_REDIS_MODE", "cluster", "BOT_REDIS_ADDRS", "a:7000, [::1]:7001,a:7000"))
	if want := []string{"a:7000", "[::1]:7001"}; !slices.Equal(cfg.Redis.Addrs, want) {
		t.Errorf("addrs = %q, want %q", cfg.Redis.Addrs, want)
	}
	for _, bad := range []struct{ value, item string }{{"a", "a"}, {"a:7000,b", "b"}, {":7000", ":7000"}, {"a:0", "a:0"}, {"a:x", "a:x"}} {
		errs := mustFail(t, with(base(), "BOT_REDIS_ADDRS", bad.value), nil)
		want := fmt.Sprintf("BOT_REDIS_ADDRS=%q: must be a comma-separated list of host:port addresses; %q is not one", bad.value, bad.item)
		if errs.Error() != want {
			t.Errorf("got %s\nwant %s", errs.Error(), want)
		}
	}
}

func TestRedisModes(t *testing.T) {
	t.Run("sentinel without master or addrs", func(t *testing.T) {
		errs := mustFail(t, with(base(), "BOT_REDIS_MODE", "sentinel"), nil)
		want := `BOT_REDIS_ADDRS="": must list the sentinels as host:port, comma separated, when BOT_REDIS_MODE=sentinel` + "\n" +
			`BOT_REDIS_SENTINEL_MASTER="": must name the master when BOT_REDIS_MODE=sentinel`
		if errs.Error() != want {
			t.Errorf("got\n%s\nwant\n%s", errs.Error(), want)
		}
	})
	t.Run("sentinel without master", func(t *testing.T) {
		errs := mustFail(t, with(base(), "BOT_REDIS_MODE", "sentinel", "BOT_REDIS_ADDRS", "s1:26379,s2:26379"), nil)
		want := `BOT_REDIS_SENTINEL_MASTER="": must name the master when BOT_REDIS_MODE=sentinel`
		if errs.Error() != want {
			t.Errorf("got\n%s\nwant\n%s", errs.Error(), want)
		}
	})
	t.Run("sentinel complete", func(t *testing.T) {
		cfg, _ := mustLoad(t, with(base(), "BOT_REDIS_MODE", "Sentinel", "BOT_REDIS_ADDRS", "s1:26379,s2:26379", "BOT_REDIS_SENTINEL_MASTER", "mymaster"))
		if cfg.Redis.Mode != ModeSentinel || cfg.Redis.SentinelMaster != "mymaster" || len(cfg.Redis.Addrs) != 2 {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
	t.Run("cluster with DB", func(t *testing.T) {
		errs := mustFail(t, with(base(), "BOT_REDIS_MODE", "cluster", "BOT_REDIS_DB", "3"), nil)
		if want := `BOT_REDIS_DB="3": must be 0 when BOT_REDIS_MODE=cluster`; errs.Error() != want {
			t.Errorf("got %s\nwant %s", errs.Error(), want)
		}
	})
	t.Run("cluster with DB in URL", func(t *testing.T) {
		errs := mustFail(t, with(base(), "BOT_REDIS_MODE", "cluster", "BOT_REDIS_URL", "redis://:pw@node1:7000/2"), nil)
		if want := `BOT_REDIS_URL="redis://:***@node1:7000/2": must select database 0 (no path, or /0) when BOT_REDIS_MODE=cluster`; errs.Error() != want {
			t.Errorf("got %s\nwant %s", errs.Error(), want)
		}
	})
	t.Run("cluster seeds default to host:port", func(t *testing.T) {
		cfg, _ := mustLoad(t, with(base(), "BOT_REDIS_MODE", "cluster", "BOT_REDIS_HOST", "node1", "BOT_REDIS_PORT", "7000"))
		if !slices.Equal(cfg.Redis.Addrs, []string{"node1:7000"}) {
			t.Errorf("addrs = %q", cfg.Redis.Addrs)
		}
		cfg, _ = mustLoad(t, with(base(), "BOT_REDIS_MODE", "cluster", "BOT_REDIS_URL", "rediss://node2:7001"))
		if !slices.Equal(cfg.Redis.Addrs, []string{"node2:7001"}) || !cfg.Redis.TLS {
			t.Errorf("redis = %+v", cfg.Redis)
		}
	})
	t.Run("standalone ignores addrs", func(t *testing.T) {
		_, warnings := mustLoad(t, with(base(), "BOT_REDIS_ADDRS", "a:1"))
		if !slices.Equal(warnings, []string{"BOT_REDIS_ADDRS is ignored because BOT_REDIS_MODE=standalone"}) {
			t.Errorf("warnings = %q", warnings)
		}
	})
}

func TestRedisCAFile(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := with(base(), "BOT_REDIS_TLS", "true", "BOT_REDIS_TLS_CA_FILE", ca, "BOT_SECRETS_DIR", "")
	cfg, warnings, err := Load(e.lookup, os.ReadFile, e.environ()...)
	if err != nil || len(warnings) != 0 || cfg.Redis.TLSCAFile != ca {
		t.Fatalf("Load = %v, %q, %v", cfg, warnings, err)
	}

	e = with(base(), "BOT_REDIS_TLS_CA_FILE", ca, "BOT_SECRETS_DIR", "")
	_, warnings, err = Load(e.lookup, os.ReadFile, e.environ()...)
	if err != nil || !slices.Equal(warnings, []string{"BOT_REDIS_TLS_CA_FILE is set but TLS is off: set BOT_REDIS_TLS=true or use a rediss:// URL"}) {
		t.Errorf("CA without TLS: %q, %v", warnings, err)
	}

	missing := filepath.Join(dir, "missing.pem")
	e = with(base(), "BOT_REDIS_TLS", "true", "BOT_REDIS_TLS_CA_FILE", missing, "BOT_SECRETS_DIR", "")
	_, _, err = Load(e.lookup, os.ReadFile, e.environ()...)
	var errs *Errors
	if !errors.As(err, &errs) || len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_REDIS_TLS_CA_FILE" ||
		!strings.HasPrefix(errs.Error(), fmt.Sprintf("BOT_REDIS_TLS_CA_FILE=%q: must name a readable file (", missing)) {
		t.Errorf("missing CA file: %v", err)
	}
}

func TestResourcesText(t *testing.T) {
	long := strings.Repeat("é", maxResourcesText)
	cfg, _ := mustLoad(t, with(base(), "BOT_ASH_RESOURCES_TEXT", long))
	if cfg.Ash.ResourcesText != long {
		t.Errorf("1500 characters were not accepted")
	}
	for _, bad := range []string{"", "   ", long + "x"} {
		errs := mustFail(t, with(base(), "BOT_ASH_RESOURCES_TEXT", bad), nil)
		want := fmt.Sprintf("BOT_ASH_RESOURCES_TEXT=%q: must be non-empty text of at most 1500 characters", bad)
		if errs.Error() != want {
			t.Errorf("value of length %d: got %.200s", len(bad), errs.Error())
		}
	}
}

// The default crisis resources reach a person in each region the project
// promises (the US, Canada, the UK, elsewhere), LGBTQIA+ lines included.
func TestDefaultResourcesCoverEachRegion(t *testing.T) {
	cfg, _ := mustLoad(t, base())
	text := cfg.Ash.ResourcesText
	for _, want := range []struct{ what, line string }{
		{"US: 988 Suicide & Crisis Lifeline", "988 Suicide & Crisis Lifeline: call or text 988"},
		{"US: The Trevor Project by phone", "1-866-488-7386"},
		{"US: The Trevor Project by text", "text START to 678-678"},
		{"US: Trans Lifeline", "Trans Lifeline: 877-565-8860"},
		{"Canada: 988 Suicide Crisis Helpline", "988 Suicide Crisis Helpline: call or text 988"},
		{"Canada: Trans Lifeline Canada", "Trans Lifeline Canada: 877-330-6366"},
		{"UK: Samaritans", "Samaritans: call 116 123"},
		{"UK: Shout", "text SHOUT to 85258"},
		{"UK: Switchboard LGBT+", "Switchboard LGBT+: 0300 330 0630"},
		{"international: Find A Helpline", "findahelpline.com"},
		{"international: IASP's directory", "iasp.info/crisis-centres-helplines"},
		{"emergency", "immediate danger"},
	} {
		if !strings.Contains(text, want.line) {
			t.Errorf("default resources miss %s (%q)", want.what, want.line)
		}
	}
	for _, region := range []string{"US:", "Canada:", "UK:", "Anywhere else:"} {
		if !strings.Contains(text, "\n"+region+"\n") {
			t.Errorf("default resources have no %q heading", region)
		}
	}
	if n := utf8.RuneCountInString(text); n > maxResourcesText {
		t.Errorf("default resources are %d characters, over %d", n, maxResourcesText)
	}
}

func TestNotesChannelsAndHandoffContext(t *testing.T) {
	cfg, _ := mustLoad(t, with(base(), "BOT_CRT_NOTES_CHANNEL_IDS", `["1190000000000000205", 1190000000000000206]`, "BOT_HANDOFF_CONTEXT_ENABLED", "false"))
	if want := []string{"1190000000000000205", "1190000000000000206"}; !slices.Equal(cfg.Ash.NotesChannelIDs, want) {
		t.Errorf("notes channels %q, want %q", cfg.Ash.NotesChannelIDs, want)
	}
	if cfg.Ash.HandoffContext {
		t.Error("BOT_HANDOFF_CONTEXT_ENABLED=false left the handoff context on")
	}
	for name, bad := range map[string]string{"BOT_CRT_NOTES_CHANNEL_IDS": "notes", "BOT_HANDOFF_CONTEXT_ENABLED": "sometimes"} {
		errs := mustFail(t, with(base(), name, bad), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != name {
			t.Errorf("%s=%q: %v, want one problem naming it", name, bad, errs)
		}
	}
}

func TestSecrets(t *testing.T) {
	type secret struct{ name, file string }
	secrets := []secret{{"BOT_REDIS_PASSWORD", "redis_password"}, {"BOT_DISCORD_TOKEN", "discord_token"}}
	value := func(c *Config, name string) string {
		if name == "BOT_REDIS_PASSWORD" {
			return c.Redis.Password
		}
		return c.Discord.Token
	}
	for _, s := range secrets {
		t.Run(s.name, func(t *testing.T) {
			dir := t.TempDir()
			write := func(name, content string) string {
				p := filepath.Join(dir, name)
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				return p
			}
			secretsDir := filepath.Join(dir, "secrets")
			if err := os.Mkdir(secretsDir, 0o700); err != nil {
				t.Fatal(err)
			}
			fileValue := write("from-file", "  from-file-value\n")
			write(filepath.Join("secrets", s.file), "from-dir-value\n")
			emptyDir := t.TempDir()

			tests := []struct {
				desc       string
				env        env
				want       string
				wantSource string
				warning    string
			}{
				{"env", env{s.name: "from-env"}, "from-env", SourceEnv, ""},
				{"file", env{s.name + "_FILE": fileValue, "BOT_SECRETS_DIR": emptyDir}, "from-file-value", SourceFile, ""},
				{"secrets dir", env{"BOT_SECRETS_DIR": secretsDir}, "from-dir-value", SourceSecretsDir, ""},
				{"env beats file", env{s.name: "from-env", s.name + "_FILE": fileValue}, "from-env", SourceEnv, s.name + "_FILE is ignored because " + s.name + " is set"},
				{"empty env beats file", env{s.name: "", s.name + "_FILE": fileValue}, "", SourceEnv, s.name + "_FILE is ignored because " + s.name + " is set"},
				{"file beats dir", env{s.name + "_FILE": fileValue, "BOT_SECRETS_DIR": secretsDir}, "from-file-value", SourceFile, ""},
				{"env beats dir", env{s.name: "from-env", "BOT_SECRETS_DIR": secretsDir}, "from-env", SourceEnv, ""},
				{"missing dir is fine", env{"BOT_SECRETS_DIR": filepath.Join(dir, "nope")}, "", SourceDefault, ""},
				{"empty dir setting turns it off", env{"BOT_SECRETS_DIR": ""}, "", SourceDefault, ""},
			}
			for _, tt := range tests {
				t.Run(tt.desc, func(t *testing.T) {
					e := with(base())
					for k, v := range tt.env {
						e[k] = v
					}
					cfg, warnings, err := Load(e.lookup, os.ReadFile, e.environ()...)
					if err != nil {
						t.Fatal(err)
					}
					if got := value(cfg, s.name); got != tt.want {
						t.Errorf("value = %q, want %q", got, tt.want)
					}
					st := setting(t, cfg, s.name)
					wantShown := ""
					if tt.want != "" {
						wantShown = "***"
					}
					if st.Source != tt.wantSource || st.Value != wantShown {
						t.Errorf("Describe = %+v, want value %q source %q", st, wantShown, tt.wantSource)
					}
					var wantWarnings []string
					if tt.warning != "" {
						wantWarnings = []string{tt.warning}
					}
					if !slices.Equal(warnings, wantWarnings) {
						t.Errorf("warnings = %q, want %q", warnings, wantWarnings)
					}
				})
			}

			t.Run("unreadable _FILE", func(t *testing.T) {
				missing := filepath.Join(dir, "missing")
				e := with(base(), s.name+"_FILE", missing)
				errs := mustFail(t, e, os.ReadFile)
				if len(errs.Problems) != 1 || errs.Problems[0].Var != s.name+"_FILE" || errs.Problems[0].Value != missing ||
					!strings.HasPrefix(errs.Problems[0].Allowed, "must name a readable file (") {
					t.Errorf("got %v", errs)
				}
			})
			t.Run("unreadable file in secrets dir", func(t *testing.T) {
				read := func(path string) ([]byte, error) {
					if path == filepath.Join("/srv/secrets", s.file) {
						return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
					}
					return nil, fs.ErrNotExist
				}
				errs := mustFail(t, with(base(), "BOT_SECRETS_DIR", "/srv/secrets"), read)
				want := fmt.Sprintf(`BOT_SECRETS_DIR="/srv/secrets": must be a directory whose %s file, if present, is readable (open /srv/secrets/%s: permission denied)`, s.file, s.file)
				if errs.Error() != want {
					t.Errorf("got %s\nwant %s", errs.Error(), want)
				}
			})
		})
	}
}

func TestDefaultSecretsDir(t *testing.T) {
	read := fakeFiles(map[string]string{
		"/run/secrets/discord_token":  "tok\n",
		"/run/secrets/redis_password": "pw",
	})
	e := base()
	cfg, _, err := Load(e.lookup, read, e.environ()...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Discord.Token != "tok" || cfg.Redis.Password != "pw" {
		t.Errorf("token %q password %q", cfg.Discord.Token, cfg.Redis.Password)
	}
}

func TestSecretsNeverShown(t *testing.T) {
	// SEKRIT, not SECRET, which help texts name (BOT_SECRETS_DIR).
	const token, password = "tok en-SEKRIT", "pw-SEKRIT"
	e := with(base(),
		"BOT_DISCORD_TOKEN", token,
		"BOT_REDIS_PASSWORD", password,
		"BOT_REDIS_URL", "redis://:url-SEKRIT@cache/99",
		"BOT_WEEKLY_REPORT_HOUR", "25")
	errs := mustFail(t, e, nil)
	msg := errs.Error()
	if strings.Contains(msg, "SEKRIT") {
		t.Errorf("error shows a secret:\n%s", msg)
	}
	if !strings.Contains(msg, `BOT_DISCORD_TOKEN="***": must not contain spaces or line breaks`) {
		t.Errorf("token problem missing or unmasked:\n%s", msg)
	}
	for _, p := range errs.Problems {
		if strings.Contains(p.Value, "SEKRIT") {
			t.Errorf("problem value shows a secret: %+v", p)
		}
	}

	e = with(base(), "BOT_DISCORD_TOKEN", "tok-SEKRIT", "BOT_REDIS_PASSWORD", password, "BOT_REDIS_URL", "redis://u:url-SEKRIT@cache")
	cfg, warnings := mustLoad(t, e)
	for _, s := range cfg.Describe() {
		if strings.Contains(s.Value, "SEKRIT") {
			t.Errorf("Describe shows a secret: %+v", s)
		}
	}
	for _, w := range warnings {
		if strings.Contains(w, "SEKRIT") {
			t.Errorf("warning shows a secret: %s", w)
		}
	}
	if got := fmt.Sprintf("%v %+v", cfg.Describe(), errs); strings.Contains(got, "SEKRIT") {
		t.Errorf("formatted output shows a secret: %s", got)
	}
}

func TestMultipleProblems(t *testing.T) {
	e := with(base(),
		"BOT_WEEKLY_REPORT_HOUR", "25",
		"BOT_METRICS_ENABLED", "maybe",
		"BOT_LOG_LEVEL", "loud",
		"BOT_REDIS_MODE", "sentinel",
		"BOT_REDIS_ADDRS", "s:26379")
	errs := mustFail(t, e, nil)
	want := strings.Join([]string{
		`BOT_LOG_LEVEL="loud": must be one of debug, info, warn (or warning), error (or critical)`,
		`BOT_METRICS_ENABLED="maybe": must be true or false (1/0 and yes/no also work)`,
		`BOT_WEEKLY_REPORT_HOUR="25": must be an integer from 0 to 23`,
		`BOT_REDIS_SENTINEL_MASTER="": must name the master when BOT_REDIS_MODE=sentinel`,
	}, "\n")
	if errs.Error() != want {
		t.Errorf("got\n%s\nwant\n%s", errs.Error(), want)
	}
	if len(errs.Problems) != 4 || errs.Problems[2] != (Problem{Var: "BOT_WEEKLY_REPORT_HOUR", Value: "25", Allowed: "must be an integer from 0 to 23"}) {
		t.Errorf("problems = %+v", errs.Problems)
	}
}

func TestRetentionShorterWins(t *testing.T) {
	tests := []struct {
		desc         string
		env          env
		alert, aggr  time.Duration
		wantWarnings []string
	}{
		{"equal", env{}, 90 * day, 365 * day, nil},
		{
			"metrics shorter",
			env{"BOT_METRICS_RETENTION_DAYS": "30", "BOT_METRICS_AGGREGATE_RETENTION_DAYS": "100"},
			30 * day, 100 * day,
			[]string{
				"BOT_METRICS_RETENTION_DAYS=30 and BOT_RETENTION_ALERT_METRICS_DAYS=90 differ: both use the shorter, 30 days",
				"BOT_METRICS_AGGREGATE_RETENTION_DAYS=100 and BOT_RETENTION_AGGREGATES_DAYS=365 differ: both use the shorter, 100 days",
			},
		},
		{
			"retention shorter",
			env{"BOT_METRICS_RETENTION_DAYS": "120", "BOT_RETENTION_ALERT_METRICS_DAYS": "60", "BOT_RETENTION_AGGREGATES_DAYS": "200"},
			60 * day, 200 * day,
			[]string{
				"BOT_METRICS_RETENTION_DAYS=120 and BOT_RETENTION_ALERT_METRICS_DAYS=60 differ: both use the shorter, 60 days",
				"BOT_METRICS_AGGREGATE_RETENTION_DAYS=365 and BOT_RETENTION_AGGREGATES_DAYS=200 differ: both use the shorter, 200 days",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			e := base()
			for k, v := range tt.env {
				e[k] = v
			}
			cfg, warnings := mustLoad(t, e)
			if cfg.Metrics.AlertTTL != tt.alert || cfg.Retention.AlertMetrics != tt.alert {
				t.Errorf("alert TTL %v / retention %v, want %v", cfg.Metrics.AlertTTL, cfg.Retention.AlertMetrics, tt.alert)
			}
			if cfg.Metrics.AggregateTTL != tt.aggr || cfg.Retention.Aggregates != tt.aggr {
				t.Errorf("aggregate TTL %v / retention %v, want %v", cfg.Metrics.AggregateTTL, cfg.Retention.Aggregates, tt.aggr)
			}
			if !slices.Equal(warnings, tt.wantWarnings) {
				t.Errorf("warnings = %q, want %q", warnings, tt.wantWarnings)
			}
		})
	}
}

func TestReportWithoutChannel(t *testing.T) {
	const off = "BOT_WEEKLY_REPORT_CHANNEL_ID is empty: weekly report switched off"
	tests := []struct {
		desc        string
		env         env
		enabled     bool
		wantWarning bool
	}{
		{"unset", env{}, false, true},
		{"set to empty", env{"BOT_WEEKLY_REPORT_CHANNEL_ID": ""}, false, true},
		{"spaces only", env{"BOT_WEEKLY_REPORT_CHANNEL_ID": "  "}, false, true},
		{"disabled anyway", env{"BOT_WEEKLY_REPORT_ENABLED": "false"}, false, false},
		{"configured", env{"BOT_WEEKLY_REPORT_CHANNEL_ID": "123456789012345678"}, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.desc, func(t *testing.T) {
			cfg, warnings := mustLoad(t, tt.env)
			if cfg.Report.Enabled != tt.enabled {
				t.Errorf("enabled = %v, want %v", cfg.Report.Enabled, tt.enabled)
			}
			if got := slices.Contains(warnings, off); got != tt.wantWarning {
				t.Errorf("warnings = %q, want the switched-off warning: %v", warnings, tt.wantWarning)
			}
		})
	}
}

func TestEmptyCountsAsSet(t *testing.T) {
	// An empty value is the operator's choice, not a request for the
	// default: for a host there is no sensible empty value.
	errs := mustFail(t, with(base(), "BOT_REDIS_HOST", ""), nil)
	if want := `BOT_REDIS_HOST="": must be a host name or IP address`; errs.Error() != want {
		t.Errorf("got %s", errs.Error())
	}
}

func TestUnknownVariables(t *testing.T) {
	e := with(base(),
		"BOT_FOO", "1",
		"BOT_WEEKLY_REPORT_CHANEL_ID", "123456789012345678",
		"BOT_DISCORD_TOKEN_FILE", "/nonexistent-but-unused",
		"BOT_DISCORD_TOKEN", "t",
		"BOT_SECRETS_DIR", "/x",
		"BOT_CONFIG_FILE", "/etc/ashbot.json",
		"HOME", "/root",
		"bot_lower", "x")
	_, warnings, err := Load(e.lookup, noFiles, append(e.environ(), "BOT_FOO=again", "BOT_BAR")...)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"BOT_DISCORD_TOKEN_FILE is ignored because BOT_DISCORD_TOKEN is set",
		"unknown variable BOT_FOO, ignored",
		"unknown variable BOT_WEEKLY_REPORT_CHANEL_ID, ignored",
		"unknown variable BOT_BAR, ignored",
	}
	if !slices.Equal(warnings, want) {
		t.Errorf("warnings =\n%q\nwant\n%q", warnings, want)
	}
}

func TestDescribe(t *testing.T) {
	e := with(base(), "BOT_WEEKLY_REPORT_HOUR", "10", "BOT_REDIS_PASSWORD", "pw")
	cfg, _ := mustLoad(t, e)
	got := cfg.Describe()
	table := options()
	if len(got) != len(table) {
		t.Fatalf("Describe has %d settings, table has %d", len(got), len(table))
	}
	defaults, err := parseDefaults(defaultsJSON)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		o := table[i]
		if s.Name != o.name || s.Help != o.help {
			t.Errorf("setting %d = %s, want %s in table order", i, s.Name, o.name)
		}
		want := Setting{Name: o.name, Value: defaults[o.name], Source: SourceDefault, Help: o.help}
		if v, ok := e[o.name]; ok {
			want.Value, want.Source = v, SourceEnv
		}
		if o.secret && want.Value != "" {
			want.Value = "***"
		}
		if s != want {
			t.Errorf("setting %s = %+v, want %+v", o.name, s, want)
		}
	}
	// Describe hands out a copy: callers cannot change the config's record.
	got[0].Value = "changed"
	if cfg.Describe()[0].Value == "changed" {
		t.Error("Describe returned the config's own slice")
	}
}

func TestHTTPAddr(t *testing.T) {
	for _, ok := range []string{"", ":9102", "0.0.0.0:80", "[::1]:9102"} {
		cfg, _ := mustLoad(t, with(base(), "BOT_HTTP_ADDR", ok))
		if cfg.Runtime.HTTPAddr != ok {
			t.Errorf("BOT_HTTP_ADDR=%q read as %q", ok, cfg.Runtime.HTTPAddr)
		}
	}
	for _, bad := range []string{"9102", "localhost", "http://x:1"} {
		errs := mustFail(t, with(base(), "BOT_HTTP_ADDR", bad), noFiles)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_HTTP_ADDR" {
			t.Errorf("BOT_HTTP_ADDR=%q: %v", bad, errs)
		}
	}
}
