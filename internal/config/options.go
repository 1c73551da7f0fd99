package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

const day = 24 * time.Hour

// maxResourcesText keeps the crisis-resources text well inside one Discord
// message (2000 characters) so it can share the message with a greeting.
const maxResourcesText = 1500

// option is one environment variable: its name, how to validate it and
// where it lands in Config. The default lives in defaults.json, not here, so
// operators can read every default in one file.
type option struct {
	name string
	// secret values may come from NAME_FILE or the secrets directory and
	// are shown as "***" wherever a value is printed.
	secret bool
	help   string
	// set validates raw and stores it. Its error text is what the operator
	// reads after the variable and value, so it starts with "must".
	set func(c *Config, raw string) error
}

// show is how a value of o may appear in errors and in Describe. Any
// value that looks like a URL has its credentials masked, whichever option
// it belongs to.
func (o option) show(raw string) string {
	switch {
	case o.secret && raw == "":
		return ""
	case o.secret:
		return masked
	case looksLikeURL(raw):
		return redactURL(raw)
	}
	return raw
}

// options is the table of every setting, in the order Describe lists them.
// It is built on each call rather than held in a package variable so no
// caller can change it for another.
func options() []option {
	return []option{
		{name: "BOT_LOG_LEVEL", help: "Log level, in any case: debug, info, warn (or warning), error (or critical).",
			set: logLevel},
		{name: "BOT_LOG_FORMAT", help: "Log format: json (production), text (key=value) or human (readable; coloured on a terminal, NO_COLOR and FORCE_COLOR honoured).",
			set: oneOf([]string{"json", "text", "human"}, func(c *Config, v string) { c.Log.Format = v })},

		{name: "BOT_METRICS_ENABLED", help: "Enable response time tracking.",
			set: boolean(func(c *Config, v bool) { c.Metrics.Enabled = v })},
		{name: "BOT_METRICS_RETENTION_DAYS", help: "Days to retain individual alert metrics (1-365); the shorter of this and BOT_RETENTION_ALERT_METRICS_DAYS applies.",
			set: days(1, 365, func(c *Config, d time.Duration) { c.Metrics.AlertTTL = d })},
		{name: "BOT_METRICS_AGGREGATE_RETENTION_DAYS", help: "Days to retain daily aggregates (30-730); the shorter of this and BOT_RETENTION_AGGREGATES_DAYS applies.",
			set: days(30, 730, func(c *Config, d time.Duration) { c.Metrics.AggregateTTL = d })},

		{name: "BOT_WEEKLY_REPORT_ENABLED", help: "Enable the weekly CRT report.",
			set: boolean(func(c *Config, v bool) { c.Report.Enabled = v })},
		{name: "BOT_WEEKLY_REPORT_CHANNEL_ID", help: "Channel id(s) to post the weekly report to, comma separated or a JSON array; empty switches the report off.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Report.ChannelIDs = ids })},
		{name: "BOT_WEEKLY_REPORT_DAY", help: "Day of the week to post the report: monday to sunday.",
			set: weekday(func(c *Config, d time.Weekday) { c.Report.Day = d })},
		{name: "BOT_WEEKLY_REPORT_HOUR", help: "Hour (0-23, UTC) to post the report.",
			set: integer(0, 23, func(c *Config, n int64) { c.Report.Hour = int(n) })},
		{name: "BOT_REPORT_TIMEZONE", help: "IANA time zone (e.g. America/New_York) of the hours of day in the report's coverage heatmap; the daily totals stay in UTC.",
			set: timezone(func(c *Config, loc *time.Location) { c.Report.Location = loc })},
		{name: "BOT_REPORT_TARGETS", help: "Response targets the report measures, comma separated: metric=duration with metric acknowledge, ash_contact, first_response or resolve, optionally for one severity (critical.acknowledge=2m); for example acknowledge=5m,first_response=15m,resolve=2h. Empty: no targets.",
			set: reportTargets(func(c *Config, ts []ReportTarget) { c.Report.Targets = ts })},

		{name: "BOT_RETENTION_ENABLED", help: "Enable the daily data cleanup.",
			set: boolean(func(c *Config, v bool) { c.Retention.Enabled = v })},
		{name: "BOT_RETENTION_ALERT_METRICS_DAYS", help: "Days cleanup keeps individual alert metrics (1-365).",
			set: days(1, 365, func(c *Config, d time.Duration) { c.Retention.AlertMetrics = d })},
		{name: "BOT_RETENTION_AGGREGATES_DAYS", help: "Days cleanup keeps daily aggregates (30-730).",
			set: days(30, 730, func(c *Config, d time.Duration) { c.Retention.Aggregates = d })},
		{name: "BOT_RETENTION_MESSAGE_HISTORY_DAYS", help: "Days to keep message history (1-30).",
			set: days(1, 30, func(c *Config, d time.Duration) { c.Retention.MessageHistory = d })},
		{name: "BOT_RETENTION_SESSION_DATA_DAYS", help: "Days to keep Ash session metadata (7-90).",
			set: days(7, 90, func(c *Config, d time.Duration) { c.Retention.SessionData = d })},
		{name: "BOT_RETENTION_CLEANUP_HOUR", help: "Hour (0-23, UTC) to run the daily cleanup.",
			set: integer(0, 23, func(c *Config, n int64) { c.Retention.CleanupHour = int(n) })},
		{name: "BOT_USER_OPTOUT_TTL_DAYS", help: "Days a user's opt-out lasts (1-365).",
			set: days(1, 365, func(c *Config, d time.Duration) { c.Retention.OptOut = d })},
		{name: "BOT_STORAGE_ALERT_MEMORY_MB", help: "Warn when Redis uses more than this many megabytes (0 = off).",
			set: integer(0, 1<<20, func(c *Config, n int64) { c.Retention.MaxMemoryBytes = n << 20 })},
		{name: "BOT_STORAGE_ALERT_CATEGORY_KEYS", help: "Warn when one data category holds more than this many keys (0 = off).",
			set: integer(0, 1_000_000_000, func(c *Config, n int64) { c.Retention.MaxCategoryKeys = n })},

		{name: "BOT_REDIS_URL", help: "redis:// or rediss:// URL; when set its host, port, database and credentials win over BOT_REDIS_HOST/PORT/DB/USERNAME/PASSWORD.",
			set: func(c *Config, raw string) error {
				v := strings.TrimSpace(raw)
				if v == "" {
					return nil
				}
				if _, err := parseRedisURL(v); err != nil {
					return err
				}
				c.Redis.URL = v
				return nil
			}},
		{name: "BOT_REDIS_HOST", help: "Redis host name or IP address (an IPv6 address without brackets), without a port.",
			set: func(c *Config, raw string) error {
				h := strings.TrimSpace(raw)
				if h == "" || strings.ContainsFunc(h, unicode.IsSpace) || strings.Contains(h, "/") {
					return errors.New("must be a host name or IP address")
				}
				if !bareHost(h) {
					// The client would dial [127.0.0.1:6379]:6379 and fail
					// long after start-up, far from the cause.
					return errors.New("must be a host name or IP address without a port: use BOT_REDIS_PORT or BOT_REDIS_URL")
				}
				c.Redis.Host = h
				return nil
			}},
		{name: "BOT_REDIS_PORT", help: "Redis port (1-65535).",
			set: integer(1, 65535, func(c *Config, n int64) { c.Redis.Port = int(n) })},
		{name: "BOT_REDIS_DB", help: "Redis database number (0-15); must be 0 in cluster mode.",
			set: integer(0, 15, func(c *Config, n int64) { c.Redis.DB = int(n) })},
		{name: "BOT_REDIS_USERNAME", help: "Redis ACL user name; empty for the default user.",
			set: func(c *Config, raw string) error { c.Redis.Username = raw; return nil }},
		{name: "BOT_REDIS_PASSWORD", secret: true, help: "Redis password (or BOT_REDIS_PASSWORD_FILE, or a file redis_password or redis_token in BOT_SECRETS_DIR then ./secrets, or REDIS_TOKEN).",
			set: func(c *Config, raw string) error { c.Redis.Password = raw; return nil }},
		{name: "BOT_REDIS_MODE", help: "Redis topology: standalone, sentinel or cluster.",
			set: oneOf([]string{ModeStandalone, ModeSentinel, ModeCluster}, func(c *Config, v string) { c.Redis.Mode = v })},
		{name: "BOT_REDIS_ADDRS", help: "Comma-separated host:port list: the sentinels (required in sentinel mode) or cluster seed nodes (default BOT_REDIS_HOST:BOT_REDIS_PORT).",
			set: func(c *Config, raw string) error {
				addrs, err := hostPorts(raw)
				if err != nil {
					return err
				}
				c.Redis.Addrs = addrs
				return nil
			}},
		{name: "BOT_REDIS_SENTINEL_MASTER", help: "Name of the master the sentinels watch (required in sentinel mode).",
			set: func(c *Config, raw string) error { c.Redis.SentinelMaster = strings.TrimSpace(raw); return nil }},
		{name: "BOT_REDIS_TLS", help: "Connect to Redis over TLS (implied by a rediss:// URL).",
			set: boolean(func(c *Config, v bool) { c.Redis.TLS = v })},
		{name: "BOT_REDIS_TLS_CA_FILE", help: "PEM file of CA certificates to trust for Redis TLS; empty uses the system pool.",
			// Readability is checked after the table, where Load's readFile is at hand.
			set: func(c *Config, raw string) error { c.Redis.TLSCAFile = strings.TrimSpace(raw); return nil }},
		{name: "BOT_REDIS_DIAL_TIMEOUT", help: "Redis connect timeout (Go duration, 100ms-60s).",
			set: duration(100*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.Redis.DialTimeout = d })},
		{name: "BOT_REDIS_READ_TIMEOUT", help: "Redis read timeout (Go duration, 100ms-60s).",
			set: duration(100*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.Redis.ReadTimeout = d })},
		{name: "BOT_REDIS_WRITE_TIMEOUT", help: "Redis write timeout (Go duration, 100ms-60s).",
			set: duration(100*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.Redis.WriteTimeout = d })},
		{name: "BOT_REDIS_POOL_SIZE", help: "Redis connections per node (1-1000).",
			set: integer(1, 1000, func(c *Config, n int64) { c.Redis.PoolSize = int(n) })},

		{name: "BOT_DISCORD_TOKEN", secret: true, help: "Discord bot token (or BOT_DISCORD_TOKEN_FILE, or a file discord_token or ash_bot_token in BOT_SECRETS_DIR then ./secrets, or ASH_BOT_TOKEN).",
			set: func(c *Config, raw string) error {
				// A space inside a token is always a paste or quoting
				// mistake; Discord would only answer with a bare 401.
				if strings.ContainsFunc(raw, unicode.IsSpace) {
					return errors.New("must not contain spaces or line breaks")
				}
				c.Discord.Token = raw
				return nil
			}},
		{name: "BOT_DISCORD_GUILD_ID", help: "Discord server id the bot serves; empty for any.",
			set: func(c *Config, raw string) error {
				id := strings.TrimSpace(raw)
				if id != "" && !isSnowflake(id) {
					return errors.New("must be empty or a Discord server id (17-20 digits)")
				}
				c.Discord.GuildID = id
				return nil
			}},
		{name: "BOT_DISCORD_API_URL", help: "Discord REST base URL; empty for Discord itself (set it to point tests at a local server).",
			set: baseURL([]string{"http", "https"}, "must be empty or an http:// or https:// URL", func(c *Config, v string) { c.Discord.APIURL = v })},
		{name: "BOT_DISCORD_GATEWAY_URL", help: "Discord gateway URL; empty for Discord itself.",
			set: baseURL([]string{"ws", "wss"}, "must be empty or a ws:// or wss:// URL", func(c *Config, v string) { c.Discord.GatewayURL = v })},
		{name: "BOT_ALERT_CHANNEL_MONITOR_IDS", help: "Channel ids for medium-severity alerts, comma separated or a JSON array.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Discord.AlertMonitorChannels = ids })},
		{name: "BOT_ALERT_CHANNEL_CRISIS_IDS", help: "Channel ids for high-severity alerts, comma separated or a JSON array.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Discord.AlertCrisisChannels = ids })},
		{name: "BOT_ALERT_CHANNEL_CRITICAL_IDS", help: "Channel ids for critical alerts, comma separated or a JSON array; empty uses the crisis channels.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Discord.AlertCriticalChannels = ids })},
		{name: "BOT_CRT_ROLE_IDS", help: "Role ids of Crisis Response Team members, comma separated or a JSON array.",
			set: idList(roleIDs, func(c *Config, ids []string) { c.Discord.CRTRoleIDs = ids })},
		{name: "BOT_ADMIN_ROLE_IDS", help: "Role ids of bot administrators, comma separated or a JSON array.",
			set: idList(roleIDs, func(c *Config, ids []string) { c.Discord.AdminRoleIDs = ids })},

		{name: "BOT_NLP_BASE_URL", help: "Ash-NLP base URL (the crisis classifier); off switches automatic detection off, leaving only members' flags.",
			set: nlpBaseURL},
		{name: "BOT_NLP_TIMEOUT", help: "Time limit of each Ash-NLP call: seconds (5) or a duration (5s), 100ms-60s.",
			set: seconds(100*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.NLP.Timeout = d })},
		{name: "BOT_NLP_RETRIES", help: "Retries of an Ash-NLP call after a timeout, connection error or 5xx (0-10).",
			set: integer(0, 10, func(c *Config, n int64) { c.NLP.Retries = int(n) })},
		{name: "BOT_NLP_RETRY_DELAY", help: "First wait before retrying Ash-NLP, doubling each time, with jitter: seconds (1) or a duration (1s), 10ms-60s.",
			set: seconds(10*time.Millisecond, time.Minute, func(c *Config, d time.Duration) { c.NLP.RetryDelay = d })},
		{name: "BOT_CB_NLP_FAILURES", help: "Consecutive failed Ash-NLP attempts (retries count) that open its circuit breaker (1-100).",
			set: integer(1, 100, func(c *Config, n int64) { c.NLP.BreakerFailures = int(n) })},
		{name: "BOT_CB_NLP_TIMEOUT", help: "How long the open breaker stops calling Ash-NLP before trying again: seconds (30) or a duration (30s), 1s-1h.",
			set: seconds(time.Second, time.Hour, func(c *Config, d time.Duration) { c.NLP.BreakerTimeout = d })},
		{name: "BOT_CB_NLP_SUCCESSES", help: "Successful trial attempts that close the Ash-NLP breaker again (1-100).",
			set: integer(1, 100, func(c *Config, n int64) { c.NLP.BreakerSuccesses = int(n) })},
		{name: "BOT_MONITORED_CHANNELS", help: "Channel ids whose messages are classified for crisis detection (their threads and forum posts too), comma separated or a JSON array; empty switches detection off.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Detection.MonitoredChannels = ids })},
		{name: "BOT_LOW_PRIORITY_CHANNELS", help: `Low-priority channels: JSON object of channel id to weight 0-1, e.g. {"123456789012345678": 1.0}; the multiplier is within BOT_SENSITIVITY_RANGE_LOW.`,
			set: channelWeights(func(c *Config, m map[string]float64) { c.Detection.LowPriority = m })},
		{name: "BOT_MEDIUM_PRIORITY_CHANNELS", help: "Medium-priority channels: JSON object of channel id to weight 0-1 (multiplier within BOT_SENSITIVITY_RANGE_MEDIUM).",
			set: channelWeights(func(c *Config, m map[string]float64) { c.Detection.MediumPriority = m })},
		{name: "BOT_HIGH_PRIORITY_CHANNELS", help: "High-priority channels: JSON object of channel id to weight 0-1 (multiplier within BOT_SENSITIVITY_RANGE_HIGH).",
			set: channelWeights(func(c *Config, m map[string]float64) { c.Detection.HighPriority = m })},
		{name: "BOT_SENSITIVITY_RANGE_LOW", help: "Multiplier range of low-priority channels, min-max within 0.1-2.0.",
			set: sensitivityRange(func(c *Config, r [2]float64) { c.Detection.RangeLow = r })},
		{name: "BOT_SENSITIVITY_RANGE_MEDIUM", help: "Multiplier range of medium-priority channels, min-max within 0.1-2.0.",
			set: sensitivityRange(func(c *Config, r [2]float64) { c.Detection.RangeMedium = r })},
		{name: "BOT_SENSITIVITY_RANGE_HIGH", help: "Multiplier range of high-priority channels, min-max within 0.1-2.0.",
			set: sensitivityRange(func(c *Config, r [2]float64) { c.Detection.RangeHigh = r })},
		{name: "BOT_SENSITIVITY_DEFAULT", help: "Score multiplier of channels in no priority list (0.1-2.0).",
			set: decimal(0.1, 2.0, func(c *Config, v float64) { c.Detection.SensitivityDefault = v })},
		{name: "BOT_HISTORY_MAX_MESSAGES", help: "Messages (classified low or above) kept per person as context (1-1000); the 20 newest are sent.",
			set: integer(1, 1000, func(c *Config, n int64) { c.Detection.HistoryMaxMessages = int(n) })},
		{name: "BOT_ALERTING_ENABLED", help: "Raise alerts from detection; false keeps classifying and keeping history without alerting.",
			set: boolean(func(c *Config, v bool) { c.Detection.AlertingEnabled = v })},
		{name: "BOT_ALERT_MIN_SEVERITY", help: "Lowest detected severity that alerts: low, medium, high or critical.",
			set: oneOf([]string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}, func(c *Config, v string) { c.Detection.AlertMinSeverity = v })},
		{name: "BOT_ALERT_COOLDOWN", help: "Seconds after a detected alert during which the same person's messages go to that alert's thread unless more severe (0-86400; 0 = off).",
			set: integer(0, 86400, func(c *Config, n int64) { c.Detection.AlertCooldown = time.Duration(n) * time.Second })},
		{name: "BOT_NLP_MAX_CONCURRENCY", help: "Messages classified at the same time (1-64).",
			set: integer(1, 64, func(c *Config, n int64) { c.Detection.MaxConcurrency = int(n) })},
		{name: "BOT_NLP_BACKLOG_MINUTES", help: "Minutes messages that could not be classified are kept in memory for a later try (0-60; 0 keeps none).",
			set: integer(0, 60, func(c *Config, n int64) { c.Detection.BacklogFor = time.Duration(n) * time.Minute })},
		{name: "BOT_DETECTION_STATUS_CHANNEL_ID", help: "Channel id for the CRT's \"detection is down / back\" notices; empty uses the first monitor (else crisis) alert channel.",
			set: func(c *Config, raw string) error {
				id := strings.TrimSpace(raw)
				if id != "" && !isSnowflake(id) {
					return errors.New("must be empty or a Discord channel id (17-20 digits)")
				}
				c.Detection.StatusChannelID = id
				return nil
			}},

		{name: "BOT_AUTO_INITIATE_ENABLED", help: "Let Ash reach out on its own when an alert stays unacknowledged (false: only when a CRT member asks).",
			set: boolean(func(c *Config, v bool) { c.Ash.AutoInitiate = v })},
		{name: "BOT_AUTO_INITIATE_DELAY_MINUTES", help: "Minutes an alert may stay unacknowledged before Ash reaches out (1-60).",
			set: integer(1, 60, func(c *Config, n int64) { c.Ash.AutoInitiateDelay = time.Duration(n) * time.Minute })},
		{name: "BOT_AUTO_INITIATE_MIN_SEVERITY", help: "Lowest severity Ash reaches out for: low, medium, high or critical.",
			set: oneOf([]string{SeverityLow, SeverityMedium, SeverityHigh, SeverityCritical}, func(c *Config, v string) { c.Ash.AutoInitiateMinSeverity = v })},
		escalationMinutes(), escalationRoles(), escalationChannel(),
		{name: "BOT_ASH_SESSION_TIMEOUT", help: "Seconds of silence after which an Ash session ends (60-3600).",
			set: integer(60, 3600, func(c *Config, n int64) { c.Ash.SessionTimeout = time.Duration(n) * time.Second })},
		{name: "BOT_ASH_MAX_SESSION", help: "Longest an Ash session may last, in seconds (300-14400).",
			set: integer(300, 14400, func(c *Config, n int64) { c.Ash.MaxSession = time.Duration(n) * time.Second })},
		followupEnabled(), followupDelay(), followupMax(), followupMinSeverity(), followupMinSession(),
		companionProvider(), companionModel(), companionMaxTokens(), companionBaseURL(), companionAPIKey(), companionReplyTimeout(), companionSystemPromptFile(),
		{name: "BOT_HTTP_ADDR", help: "host:port (port 1-65535; no host = every interface) for /healthz, /readyz and /metrics (Prometheus); empty switches it off.",
			set: func(c *Config, raw string) error {
				v := strings.TrimSpace(raw)
				if v != "" && !listenAddr(v) {
					return errors.New("must be empty or host:port with a port from 1 to 65535 (e.g. 127.0.0.1:9102 or :9102)")
				}
				c.Runtime.HTTPAddr = v
				return nil
			}},
		{name: "BOT_OUTBOX_SPOOL", help: "File that keeps lifecycle events not yet written to Redis across restarts; empty keeps them in memory only.",
			set: func(c *Config, raw string) error { c.Runtime.OutboxSpool = strings.TrimSpace(raw); return nil }},
		{name: "BOT_ASH_RESOURCES_TEXT", help: "Crisis resources Ash shares (at most 1500 characters).",
			set: func(c *Config, raw string) error {
				t := strings.TrimSpace(raw)
				if t == "" || utf8.RuneCountInString(t) > maxResourcesText {
					return fmt.Errorf("must be non-empty text of at most %d characters", maxResourcesText)
				}
				c.Ash.ResourcesText = t
				return nil
			}},
		{name: "BOT_CRT_NOTES_CHANNEL_IDS", help: "Channels for the summaries of ended Ash chats, comma separated or a JSON array: the first that takes a summary gets it, the next ones are fallbacks; empty posts it in the alert's thread.",
			set: idList(channelIDs, func(c *Config, ids []string) { c.Ash.NotesChannelIDs = ids })},
		{name: "BOT_HANDOFF_CONTEXT_ENABLED", help: "When a person asks Ash for a human, show the CRT in the alert's thread how long they talked, how their messages were classified and their last three messages.",
			set: boolean(func(c *Config, v bool) { c.Ash.HandoffContext = v })},
	}
}

// logLevel also takes the earlier Ash-Bot's Python level names: WARNING
// is warn and CRITICAL, which slog lacks, is error.
func logLevel(c *Config, raw string) error {
	v := strings.ToLower(strings.TrimSpace(raw))
	switch v {
	case "debug", "info", "warn", "error":
	case "warning":
		v = "warn"
	case "critical":
		v = "error"
	default:
		return errors.New("must be one of debug, info, warn (or warning), error (or critical)")
	}
	c.Log.Level = v
	return nil
}

func integer(lo, hi int64, store func(*Config, int64)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		store(c, n)
		return nil
	}
}

func days(lo, hi int64, store func(*Config, time.Duration)) func(*Config, string) error {
	return integer(lo, hi, func(c *Config, n int64) { store(c, time.Duration(n)*day) })
}

func duration(lo, hi time.Duration, store func(*Config, time.Duration)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		d, err := time.ParseDuration(strings.TrimSpace(raw))
		if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration from %v to %v, like 5s or 500ms", lo, hi)
		}
		store(c, d)
		return nil
	}
}

func boolean(store func(*Config, bool)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		switch strings.ToLower(strings.TrimSpace(raw)) {
		case "true", "1", "yes":
			store(c, true)
		case "false", "0", "no":
			store(c, false)
		default:
			return errors.New("must be true or false (1/0 and yes/no also work)")
		}
		return nil
	}
}

// oneOf accepts any case, since operators write "INFO" as often as "info",
// and stores the lower-case form the rest of the program compares against.
func oneOf(allowed []string, store func(*Config, string)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v := strings.ToLower(strings.TrimSpace(raw))
		for _, a := range allowed {
			if v == a {
				store(c, v)
				return nil
			}
		}
		return fmt.Errorf("must be one of %s", strings.Join(allowed, ", "))
	}
}

// timezone reads an IANA zone name. The zone database is embedded
// (time/tzdata, imported in tzdata.go): the container image is empty and
// has no /usr/share/zoneinfo, and a report must not depend on the host's.
func timezone(store func(*Config, *time.Location)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v := strings.TrimSpace(raw)
		// "Local" would make the report follow the host, which is what
		// this setting exists to avoid; an empty name is UTC to LoadLocation.
		if v == "" || strings.EqualFold(v, "local") {
			return errors.New("must be an IANA time zone name such as UTC or Europe/London")
		}
		loc, err := time.LoadLocation(v)
		if err != nil {
			return errors.New("must be an IANA time zone name such as UTC or Europe/London")
		}
		store(c, loc)
		return nil
	}
}

func weekday(store func(*Config, time.Weekday)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v := strings.TrimSpace(raw)
		for d := time.Sunday; d <= time.Saturday; d++ {
			if strings.EqualFold(v, d.String()) {
				store(c, d)
				return nil
			}
		}
		return errors.New("must be a day of the week, monday to sunday")
	}
}

// isSnowflake reports whether s looks like a Discord id. Discord ids are
// uint64 and currently 17-20 digits long; the range check catches a mistyped
// 20-digit number that no id can be.
func isSnowflake(s string) bool {
	if len(s) < 17 || len(s) > 20 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil
}

func hostPorts(raw string) ([]string, error) {
	var addrs []string
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	for item := range strings.SplitSeq(raw, ",") {
		a := strings.TrimSpace(item)
		host, port, err := net.SplitHostPort(a)
		p, perr := strconv.Atoi(port)
		if err != nil || host == "" || perr != nil || p < 1 || p > 65535 {
			return nil, fmt.Errorf("must be a comma-separated list of host:port addresses; %q is not one", a)
		}
		if !slices.Contains(addrs, a) {
			addrs = append(addrs, a)
		}
	}
	return addrs, nil
}

// bareHost reports whether h names a host without a port: an IP address
// (IPv6 without brackets, as net.JoinHostPort wants it) or a name, which
// never contains a colon or brackets.
func bareHost(h string) bool {
	if _, err := netip.ParseAddr(h); err == nil {
		return true
	}
	return !strings.ContainsAny(h, ":[]")
}

// listenAddr reports whether v is host:port with a port a health check can
// be pointed at. Port 0 (any free port) is refused: nobody could find the
// endpoint, and an orchestrator's probe would fail with no clear reason.
func listenAddr(v string) bool {
	host, port, err := net.SplitHostPort(v)
	if err != nil || (host != "" && !bareHost(host)) || strings.ContainsFunc(host, unicode.IsSpace) || strings.Contains(host, "/") {
		return false
	}
	if port == "" || strings.TrimLeft(port, "0123456789") != "" {
		return false
	}
	p, err := strconv.Atoi(port)
	return err == nil && p >= 1 && p <= 65535
}

func baseURL(schemes []string, allowed string, store func(*Config, string)) func(*Config, string) error {
	return func(c *Config, raw string) error {
		v := strings.TrimSpace(raw)
		if v == "" {
			store(c, "")
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "" {
			return errors.New(allowed)
		}
		store(c, v)
		return nil
	}
}
