package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"
)

// The earlier Python Ash-Bot's settings (shared/spec/earlier-bot.md), so
// that a community switching keeps its .env as it is: its names for
// ashbot's settings are read as aliases, with one warning each naming the
// new name; settings ashbot has no use for get one note each; its secret
// file and variable names are searched after ashbot's. Where an earlier
// name and ashbot's are both set, ashbot's wins and the warning says so,
// except BOT_METRICS_ENABLED (see metricsEnabledAlias).

// SourceEarlier is the source of a value read under one of the earlier
// Ash-Bot's names.
const SourceEarlier = "earlier-bot"

// Mapping is one earlier setting found in the environment and what ashbot
// made of it, for `ashbot config check`.
type Mapping struct {
	From string // the earlier variable(s) or secret file
	To   string // ashbot's variable; "" when nothing reads it
	Note string // what was done, in a few words
}

// Mapped lists the earlier Ash-Bot's settings found, in a fixed order.
func (c *Config) Mapped() []Mapping { return append([]Mapping(nil), c.mapped...) }

// Notes are the remarks about earlier settings ashbot ignores, one each;
// unlike warnings they need no action.
func (c *Config) Notes() []string { return append([]string(nil), c.notes...) }

// renames are the earlier names read as ashbot's, value for value.
var renames = []struct{ old, ours string }{
	{"BOT_WEEKLY_REPORT_CHANNEL_IDS", "BOT_WEEKLY_REPORT_CHANNEL_ID"},
	{"BOT_SLASH_COMMANDS_ALLOWED_ROLE_IDS", "BOT_CRT_ROLE_IDS"},
	{"BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS", "BOT_ADMIN_ROLE_IDS"},
	{metricsEnabledAlias, "BOT_METRICS_ENABLED"},
	{"BOT_RESPONSE_METRICS_RETENTION_DAYS", "BOT_METRICS_RETENTION_DAYS"},
	{"BOT_RESPONSE_METRICS_AGGREGATE_RETENTION_DAYS", "BOT_METRICS_AGGREGATE_RETENTION_DAYS"},
}

// metricsEnabledAlias is the earlier switch of response-time tracking. The
// earlier bot's own BOT_METRICS_ENABLED switched its Prometheus collector,
// so when both are set the environment is the earlier bot's and this one
// says what ashbot's BOT_METRICS_ENABLED means: the exception to "ashbot's
// name wins". ashbot serves /metrics on BOT_HTTP_ADDR either way.
const metricsEnabledAlias = "BOT_RESPONSE_METRICS_ENABLED"

// The earlier health server's address, which becomes BOT_HTTP_ADDR, and
// its defaults for the half not given.
const (
	healthHostVar     = "BOT_HEALTH_HOST"
	healthPortVar     = "BOT_HEALTH_PORT"
	earlierHealthHost = "0.0.0.0"
	earlierHealthPort = "30881"
)

// historyTTLVar is the earlier lifetime of message history; the shorter of
// it and ashbot's historyRetentionVar applies.
const (
	historyTTLVar       = "BOT_HISTORY_TTL_DAYS"
	historyRetentionVar = "BOT_RETENTION_MESSAGE_HISTORY_DAYS"
)

// earlierSecretsDir is searched for secret files after BOT_SECRETS_DIR, as
// the earlier bot did (./secrets beside its compose file).
const earlierSecretsDir = "secrets"

// earlierSecrets are the earlier bot's names of ashbot's secrets: a file
// name, searched in each secrets directory after ashbot's own, and an
// environment variable, read when no file has the secret.
var earlierSecrets = map[string]struct{ file, env string }{
	"BOT_DISCORD_TOKEN":  {"ash_bot_token", "ASH_BOT_TOKEN"},
	"BOT_REDIS_PASSWORD": {"redis_token", "REDIS_TOKEN"},
}

// earlierSetting is a setting of the earlier bot that ashbot does not read.
type earlierSetting struct {
	name  string
	check func(*Config, string) error // nil: any value
	why   string
	// offWarns: false meant "do not do this", and ashbot does it, so
	// false is a warning rather than a note.
	offWarns bool
}

// ignored are the earlier settings nothing in ashbot needs, each with why.
var ignored = []earlierSetting{
	{name: "BOT_ENVIRONMENT", why: "ashbot has no environment profiles; each setting is its own variable"},
	{name: "BOT_LOG_FILE", why: "ashbot logs to stderr only; the container runtime keeps the logs"},
	{name: "BOT_LOG_CONSOLE", why: "ashbot always logs to stderr"},
	{name: "BOT_METRICS_INTERVAL", why: "ashbot's /metrics is read when scraped"},
	{name: "BOT_CB_REDIS_FAILURES", why: "ashbot retries Redis with backoff and keeps events in its outbox meanwhile"},
	{name: "BOT_CB_REDIS_TIMEOUT", why: "ashbot retries Redis with backoff and keeps events in its outbox meanwhile"},
	{name: "BOT_HEALTH_ENABLED", why: "health and metrics are served on BOT_HTTP_ADDR; set it empty to switch them off"},
	{name: "BOT_SLASH_COMMANDS_ENABLED", why: "ashbot's slash commands are always there; BOT_CRT_ROLE_IDS and BOT_ADMIN_ROLE_IDS decide who may use them"},
	{name: "BOT_ASH_ENABLED", why: "Ash is always available; BOT_AUTO_INITIATE_MIN_SEVERITY decides when Ash reaches out on its own", offWarns: true},
	{name: "BOT_ASH_MIN_SEVERITY", why: "BOT_AUTO_INITIATE_MIN_SEVERITY is the severity threshold of Ash reaching out"},
	{name: "BOT_HISTORY_MIN_SEVERITY", why: "ashbot keeps messages classified low and above as context"},
	{name: "PUID", why: "the image runs as user 10001; choose another with the compose file's user:"},
	{name: "PGID", why: "the image runs as group 10001; choose another with the compose file's user:"},
	{name: "TZ", why: "ashbot's schedules (BOT_WEEKLY_REPORT_HOUR, BOT_RETENTION_CLEANUP_HOUR) are in UTC whatever TZ says"},
	{name: "FORCE_COLOR", why: "it only colours BOT_LOG_FORMAT=human logs (NO_COLOR switches colour off)"},
}

// notYetUsed are settings of the earlier bot, under the same names, for
// features ashbot does not have (yet). Their values are checked where that
// is cheap, so a typo is reported now, as a warning since nothing reads
// them. An entry whose name becomes an option is skipped, so adding the
// option is enough; delete the entry then.
var notYetUsed = []earlierSetting{
	{name: "BOT_HANDOFF_ENABLED", check: boolean(func(*Config, bool) {}), why: "in ashbot a CRT member takes over from the alert's buttons"},
	{name: "BOT_HANDOFF_CRT_ROLE_IDS", check: idList(roleIDs, func(*Config, []string) {}), why: "ashbot's CRT is BOT_CRT_ROLE_IDS"},
	{name: "BOT_USER_OPTOUT_ENABLED", check: boolean(func(*Config, bool) {}), why: "in ashbot a person can always opt out of Ash"},
}

// earlierValue is the text an earlier name gives one of ashbot's options.
type earlierValue struct {
	from string // the variable(s) it came from
	raw  string
	// wins over ashbot's own variable when both are set.
	wins bool
}

// earlierValues reads the earlier names of ashbot's (non-secret) options.
// A BOT_HEALTH_PORT that is no port is a problem of its own, so the
// composed BOT_HTTP_ADDR is either valid or absent.
func (l *loader) earlierValues() map[string]earlierValue {
	out := map[string]earlierValue{}
	for _, r := range renames {
		if v, ok := l.lookup(r.old); ok {
			_, oursSet := l.lookup(r.ours)
			out[r.ours] = earlierValue{from: r.old, raw: v, wins: r.old == metricsEnabledAlias && oursSet}
		}
	}
	host, hostSet := l.lookup(healthHostVar)
	port, portSet := l.lookup(healthPortVar)
	if !hostSet && !portSet {
		return out
	}
	var from []string
	host, port = strings.TrimSpace(host), strings.TrimSpace(port)
	if hostSet {
		from = append(from, healthHostVar)
	} else {
		host = earlierHealthHost
	}
	if portSet {
		from = append(from, healthPortVar)
	} else {
		port = earlierHealthPort
	}
	if _, oursSet := l.lookup("BOT_HTTP_ADDR"); oursSet {
		// Ignored, with a warning: its value does not matter.
		out["BOT_HTTP_ADDR"] = earlierValue{from: strings.Join(from, ", "), raw: host + ":" + port}
		return out
	}
	ok := true
	if host == "" || !bareHost(host) || strings.ContainsAny(host, " \t/") {
		l.problem(healthHostVar, host, "must be a host name or IP address (it becomes BOT_HTTP_ADDR)")
		ok = false
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		l.problem(healthPortVar, port, "must be a port from 1 to 65535 (it becomes BOT_HTTP_ADDR)")
		ok = false
	}
	if ok {
		out["BOT_HTTP_ADDR"] = earlierValue{from: strings.Join(from, ", "), raw: net.JoinHostPort(host, port)}
	} else {
		l.failed["BOT_HTTP_ADDR"] = true
	}
	return out
}

// useEarlier decides between an option's own variable and its earlier
// name, warning once either way; it returns the earlier text when that is
// the one to use.
func (l *loader) useEarlier(name string, inEnv bool) (string, bool) {
	e, ok := l.earlier[name]
	if !ok {
		return "", false
	}
	switch {
	case e.wins:
		l.warn("%s is set as in the earlier Ash-Bot's .env, whose BOT_METRICS_ENABLED switched its Prometheus collector: response-time tracking follows %s=%s and BOT_METRICS_ENABLED is ignored (/metrics is served on BOT_HTTP_ADDR either way); remove %s to use BOT_METRICS_ENABLED",
			e.from, e.from, strings.TrimSpace(e.raw), e.from)
		l.mapped = append(l.mapped, Mapping{From: e.from, To: name, Note: "read as " + name + "; the earlier BOT_METRICS_ENABLED (Prometheus) is ignored"})
	case inEnv:
		ours, _ := l.lookup(name)
		differs := ""
		if strings.TrimSpace(ours) != strings.TrimSpace(e.raw) {
			differs = " (its value differs)"
		}
		is, names := isAre(e.from)
		l.warn("%s %s the earlier Ash-Bot's %s of %s, which is also set and wins: %s %s ignored%s", e.from, is, names, name, e.from, is, differs)
		l.mapped = append(l.mapped, Mapping{From: e.from, To: name, Note: "ignored: " + name + " is also set and wins" + differs})
		return "", false
	default:
		is, names := isAre(e.from)
		l.warn("%s %s the earlier Ash-Bot's %s of %s: read as %s=%s; rename it to silence this warning", e.from, is, names, name, name, e.raw)
		l.mapped = append(l.mapped, Mapping{From: e.from, To: name, Note: "read as " + name + "=" + e.raw})
	}
	l.from[name] = e.from
	return e.raw, true
}

// deriveEarlier applies BOT_HISTORY_TTL_DAYS, the earlier lifetime of
// message history: the shorter of it and ashbot's retention applies, since
// keeping a person's messages longer than either bot promised is the one
// mistake that cannot be undone.
func (l *loader) deriveEarlier() {
	raw, ok := l.lookup(historyTTLVar)
	if !ok || !l.ok(historyRetentionVar) {
		return
	}
	n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
	if err != nil || n < 1 {
		l.problem(historyTTLVar, raw, "must be a whole number of days, 1 or more")
		return
	}
	ours := l.cfg.Retention.MessageHistory
	if d := time.Duration(n) * day; d < ours {
		l.cfg.Retention.MessageHistory = d
		l.warn("%s=%d is the earlier Ash-Bot's message history lifetime and is shorter than %s=%d: message history is kept %d days",
			historyTTLVar, n, historyRetentionVar, ours/day, n)
		l.mapped = append(l.mapped, Mapping{From: historyTTLVar, To: historyRetentionVar, Note: fmt.Sprintf("the shorter wins: %d days", n)})
		return
	}
	l.warn("%s=%d is the earlier Ash-Bot's message history lifetime; %s=%d is not longer and applies", historyTTLVar, n, historyRetentionVar, ours/day)
	l.mapped = append(l.mapped, Mapping{From: historyTTLVar, To: historyRetentionVar, Note: fmt.Sprintf("the shorter wins: %d days", ours/day)})
}

// noteEarlier gives each ignored or not yet used earlier setting present
// one note. Where that would mislead it warns instead: a value that will
// be refused once ashbot reads the setting, or a false where ashbot does
// what the setting switched off.
func (l *loader) noteEarlier(options map[string]bool) {
	note := func(s earlierSetting, kind string) {
		raw, ok := l.lookup(s.name)
		if !ok || options[s.name] {
			return
		}
		if s.check != nil {
			if err := s.check(&Config{}, raw); err != nil {
				l.warn("%s=%q is a setting of the earlier Ash-Bot, %s (%s), and its value %s", s.name, raw, kind, s.why, err)
				l.mapped = append(l.mapped, Mapping{From: s.name, Note: kind + "; its value " + err.Error()})
				return
			}
		}
		if s.offWarns && isFalse(raw) {
			l.warn("%s=%s is a setting of the earlier Ash-Bot that ashbot does not follow: %s", s.name, strings.TrimSpace(raw), s.why)
			l.mapped = append(l.mapped, Mapping{From: s.name, Note: "not followed: " + s.why})
			return
		}
		l.notes = append(l.notes, fmt.Sprintf("%s is a setting of the earlier Ash-Bot, %s: %s", s.name, kind, s.why))
		l.mapped = append(l.mapped, Mapping{From: s.name, Note: kind + ": " + s.why})
	}
	for _, s := range ignored {
		note(s, "ignored")
	}
	for _, s := range notYetUsed {
		note(s, "not used yet")
	}
}

// earlierNames are the variables this file reads, which are therefore not
// unknown.
func earlierNames() []string {
	names := []string{healthHostVar, healthPortVar, historyTTLVar}
	for _, r := range renames {
		names = append(names, r.old)
	}
	for _, s := range ignored {
		names = append(names, s.name)
	}
	for _, s := range notYetUsed {
		names = append(names, s.name)
	}
	return names
}

// isFalse reports whether a boolean setting says false.
func isFalse(raw string) bool {
	off := false
	return boolean(func(_ *Config, v bool) { off = !v })(&Config{}, raw) == nil && off
}

// isAre gives the verb and noun for one variable or several
// ("BOT_HEALTH_HOST, BOT_HEALTH_PORT").
func isAre(from string) (verb, noun string) {
	if strings.Contains(from, ", ") {
		return "are", "names"
	}
	return "is", "name"
}
