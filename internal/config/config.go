// Package config owns ashbot's settings: their names, defaults, ranges and
// validation. Defaults ship embedded in defaults.json; the environment
// (BOT_* variables, *_FILE secrets, a secrets directory) overrides them.
package config

import (
	"slices"
	"time"
)

// Config is the validated, effective configuration. Zero values are never
// meaningful: always obtain one from Load.
type Config struct {
	Log        Log
	Redis      Redis
	Metrics    Metrics
	Report     Report
	Retention  Retention
	Discord    Discord
	NLP        NLP
	Detection  Detection
	Ash        Ash
	Escalation Escalation
	Followup   Followup
	Companion  Companion
	Runtime    Runtime

	// settings remembers where each value came from, for Describe; it is
	// kept apart from the typed fields so secrets can be masked in one place.
	settings []Setting
	// secrets are the values of the options marked secret, for Secrets.
	secrets []string
	// mapped and notes are what Load made of the earlier Ash-Bot's
	// settings, for Mapped and Notes.
	mapped []Mapping
	notes  []string
}

// Secrets returns every secret value in effect, for log redaction: the
// options marked secret (however they were given) and the Redis password,
// which may also come from BOT_REDIS_URL. A new secret option is covered
// by marking it secret.
func (c *Config) Secrets() []string {
	out := slices.Clone(c.secrets)
	if c.Redis.Password != "" && !slices.Contains(out, c.Redis.Password) {
		out = append(out, c.Redis.Password)
	}
	return out
}

// Log controls the process logger.
type Log struct {
	Level  string // debug, info, warn, error
	Format string // json, text, human
}

// Redis says how to reach the store. When BOT_REDIS_URL is set, Load has
// already copied its host, port, database and credentials into the fields
// below, so callers build their client from the fields alone.
type Redis struct {
	URL            string   // BOT_REDIS_URL: redis:// or rediss://, as given
	Host           string   // BOT_REDIS_HOST
	Port           int      // BOT_REDIS_PORT
	DB             int      // BOT_REDIS_DB
	Username       string   // BOT_REDIS_USERNAME (ACL user)
	Password       string   // BOT_REDIS_PASSWORD, BOT_REDIS_PASSWORD_FILE or secrets dir
	Mode           string   // BOT_REDIS_MODE: standalone, sentinel, cluster
	Addrs          []string // BOT_REDIS_ADDRS: seed nodes (cluster) or sentinels
	SentinelMaster string   // BOT_REDIS_SENTINEL_MASTER
	TLS            bool     // BOT_REDIS_TLS (implied by rediss://)
	TLSCAFile      string   // BOT_REDIS_TLS_CA_FILE
	DialTimeout    time.Duration
	ReadTimeout    time.Duration
	WriteTimeout   time.Duration
	PoolSize       int
}

// Redis modes accepted by BOT_REDIS_MODE.
const (
	ModeStandalone = "standalone"
	ModeSentinel   = "sentinel"
	ModeCluster    = "cluster"
)

// Metrics configures the response-time recorder (plan step 8.1).
type Metrics struct {
	Enabled bool
	// AlertTTL is the effective lifetime of per-alert records: the shorter of
	// BOT_METRICS_RETENTION_DAYS and BOT_RETENTION_ALERT_METRICS_DAYS.
	AlertTTL time.Duration
	// AggregateTTL is the shorter of BOT_METRICS_AGGREGATE_RETENTION_DAYS and
	// BOT_RETENTION_AGGREGATES_DAYS.
	AggregateTTL time.Duration
}

// Report configures the weekly CRT report (plan step 8.2).
type Report struct {
	Enabled    bool     // false also when no channel is configured
	ChannelIDs []string // BOT_WEEKLY_REPORT_CHANNEL_ID, comma separated
	Day        time.Weekday
	Hour       int // UTC
	// Location is BOT_REPORT_TIMEZONE: the time zone whose hours of day
	// the coverage heatmap shows. Daily aggregates stay in UTC.
	Location *time.Location
	// Targets are BOT_REPORT_TARGETS, in the order given.
	Targets []ReportTarget
}

// Retention configures scheduled cleanup (plan step 8.3).
type Retention struct {
	Enabled bool
	// AlertMetrics and Aggregates equal Metrics.AlertTTL and
	// Metrics.AggregateTTL: cleanup must never keep what the writer already
	// lets expire, nor delete what the writer still means to keep.
	AlertMetrics   time.Duration
	Aggregates     time.Duration
	MessageHistory time.Duration
	SessionData    time.Duration
	OptOut         time.Duration // BOT_USER_OPTOUT_TTL_DAYS
	CleanupHour    int           // UTC
	// Storage usage alerts: zero disables a threshold.
	MaxMemoryBytes  int64
	MaxCategoryKeys int64
}

// Discord holds the bot's identity and where it posts.
type Discord struct {
	Token                 string // BOT_DISCORD_TOKEN, _FILE or secrets dir
	GuildID               string
	APIURL                string   // REST base, for a local stand-in; "" = library default
	GatewayURL            string   // "" = library default
	AlertMonitorChannels  []string // medium
	AlertCrisisChannels   []string // high
	AlertCriticalChannels []string // critical; falls back to crisis
	CRTRoleIDs            []string
	AdminRoleIDs          []string
}

// Detection configures automatic crisis detection in the monitored
// channels (internal/detection).
type Detection struct {
	MonitoredChannels []string // BOT_MONITORED_CHANNELS; empty: detection off
	// Channel sensitivity (the earlier bot's settings): channel id to a
	// weight 0..1 per priority class, each class's multiplier range, and
	// the multiplier of every other channel.
	LowPriority, MediumPriority, HighPriority map[string]float64
	RangeLow, RangeMedium, RangeHigh          [2]float64
	SensitivityDefault                        float64
	HistoryMaxMessages                        int
	AlertingEnabled                           bool
	AlertMinSeverity                          string
	AlertCooldown                             time.Duration // 0: no cooldown
	MaxConcurrency                            int
	// BacklogFor is how long messages that could not be classified are
	// kept for a later try; 0 keeps none.
	BacklogFor time.Duration
	// StatusChannelID gets the "detection is down / back" notices; Load
	// defaults it to the first monitor (else crisis) alert channel.
	StatusChannelID string
}

// Severity levels accepted by BOT_AUTO_INITIATE_MIN_SEVERITY, lowest first.
const (
	SeverityLow      = "low"
	SeverityMedium   = "medium"
	SeverityHigh     = "high"
	SeverityCritical = "critical"
)

// Runtime configures the running bot's process.
type Runtime struct {
	// HTTPAddr serves /healthz, /readyz and /metrics; empty switches it off.
	HTTPAddr string
	// OutboxSpool keeps lifecycle events not yet written to Redis across a
	// restart; empty keeps them in memory only.
	OutboxSpool string
}

// Ash configures the support companion and auto-initiate.
type Ash struct {
	// AutoInitiate lets Ash reach out on its own (BOT_AUTO_INITIATE_ENABLED).
	AutoInitiate            bool
	AutoInitiateDelay       time.Duration
	AutoInitiateMinSeverity string
	SessionTimeout          time.Duration
	MaxSession              time.Duration
	ResourcesText           string
	// NotesChannelIDs get the summary of each ended chat, the first that
	// takes it (BOT_CRT_NOTES_CHANNEL_IDS); empty: the alert's thread.
	NotesChannelIDs []string
	// HandoffContext shows the CRT member who takes over a chat its
	// context, the person's last three messages included
	// (BOT_HANDOFF_CONTEXT_ENABLED).
	HandoffContext bool
}
