package config

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// defaultsJSON is a string, not a []byte, so the embedded defaults cannot be
// changed at run time.
//
//go:embed defaults.json
var defaultsJSON string

const (
	// secretsDirVar names the directory of secret files, one per secret
	// option, named like the variable in lower case without BOT_ (Docker
	// and Kubernetes mount secrets this way).
	secretsDirVar     = "BOT_SECRETS_DIR"
	defaultSecretsDir = "/run/secrets"
)

// Where a setting's value came from, as reported by Describe.
const (
	SourceDefault    = "default"
	SourceEnv        = "env"
	SourceFile       = "file"        // the variable's _FILE companion
	SourceSecretsDir = "secrets-dir" // a file in BOT_SECRETS_DIR
)

// Setting is one variable as Describe reports it.
type Setting struct {
	Name   string
	Value  string // effective value as text; secrets are "***" when set
	Source string // SourceDefault, SourceEnv, SourceFile or SourceSecretsDir
	Help   string
}

// Problem is one variable whose value cannot be used.
type Problem struct {
	Var   string
	Value string // as given, except secrets, which are "***"
	// Allowed says what the variable accepts, starting with "must".
	Allowed string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s=%q: %s", p.Var, p.Value, p.Allowed)
}

// Errors collects every problem found, so an operator fixes them all in one
// round instead of one restart per mistake.
type Errors struct {
	Problems []Problem
}

// Error is one line per problem, in table order, then the rules that
// involve several variables.
func (e *Errors) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load builds the configuration from defaults.json and the environment.
//
// lookup reads one variable (os.LookupEnv); a variable set to "" counts as
// set. readFile reads *_FILE secrets, the secrets directory and the Redis CA
// file (ReadFile, which refuses FIFOs and devices). environ lists the environment as os.Environ does (or
// just the names); it is used only to warn about unknown BOT_* variables,
// which lookup alone cannot enumerate.
//
// Warnings are returned even when loading fails. On invalid values the error
// is an *Errors and the Config is nil.
func Load(lookup func(string) (string, bool), readFile func(string) ([]byte, error), environ ...string) (*Config, []string, error) {
	defaults, err := parseDefaults(defaultsJSON)
	if err != nil {
		return nil, nil, fmt.Errorf("embedded defaults.json: %w", err)
	}
	l := &loader{
		lookup:     lookup,
		readFile:   readFile,
		cfg:        &Config{},
		raw:        map[string]string{},
		source:     map[string]string{},
		failed:     map[string]bool{},
		from:       map[string]string{},
		secretsDir: defaultSecretsDir,
	}
	if v, ok := lookup(secretsDirVar); ok {
		l.secretsDir = strings.TrimSpace(v)
	}
	l.earlier = l.earlierValues()

	table := options()
	for _, o := range table {
		def, ok := defaults[o.name]
		if !ok {
			return nil, nil, fmt.Errorf("embedded defaults.json has no default for %s", o.name)
		}
		if l.failed[o.name] {
			continue // its earlier name's problem is recorded
		}
		raw, source, ok := l.resolve(o, def)
		if !ok {
			l.failed[o.name] = true
			continue
		}
		l.raw[o.name], l.source[o.name] = raw, source
		if err := o.set(l.cfg, raw); err != nil {
			l.failed[o.name] = true
			l.problem(l.varOf(o.name), o.show(raw), err.Error())
		}
	}
	l.warnUnknown(table, environ)
	names := make(map[string]bool, len(table))
	for _, o := range table {
		names[o.name] = true
	}
	l.noteEarlier(names)
	l.derive()

	if len(l.problems) > 0 {
		return nil, l.warnings, &Errors{Problems: l.problems}
	}
	for _, o := range table {
		if o.secret && l.raw[o.name] != "" {
			l.cfg.secrets = append(l.cfg.secrets, l.raw[o.name])
		}
		l.cfg.settings = append(l.cfg.settings, Setting{
			Name:   o.name,
			Value:  o.show(l.raw[o.name]),
			Source: l.source[o.name],
			Help:   o.help,
		})
	}
	l.cfg.mapped, l.cfg.notes = l.mapped, l.notes
	return l.cfg, l.warnings, nil
}

// Describe lists every variable in table order with its value as loaded
// (before the cross-variable rules, whose effect Load reported as warnings)
// and where it came from. Secrets are masked, so the result is safe to print.
func (c *Config) Describe() []Setting {
	return slices.Clone(c.settings)
}

// parseDefaults turns the flat JSON object into the text form values have
// in the environment, so defaults and overrides go through the same parser.
func parseDefaults(text string) (map[string]string, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	out := make(map[string]string, len(raw))
	for name, v := range raw {
		switch v := v.(type) {
		case string:
			out[name] = v
		case json.Number:
			out[name] = v.String()
		case bool:
			out[name] = strconv.FormatBool(v)
		default:
			return nil, fmt.Errorf("%s: default must be a string, number or boolean, not %T", name, v)
		}
	}
	return out, nil
}

// loader carries one Load call's state, so Load itself stays a readable
// outline and nothing outlives the call.
type loader struct {
	lookup     func(string) (string, bool)
	readFile   func(string) ([]byte, error)
	secretsDir string

	cfg    *Config
	raw    map[string]string // the text each option was parsed from
	source map[string]string
	failed map[string]bool // options whose value is unusable
	// earlier holds the values the earlier Ash-Bot's names give options;
	// from names the variable an option was read from when it was one of
	// those, for problems.
	earlier map[string]earlierValue
	from    map[string]string

	problems []Problem
	warnings []string
	notes    []string
	mapped   []Mapping
}

// varOf is the variable the operator wrote for option name.
func (l *loader) varOf(name string) string {
	if v, ok := l.from[name]; ok {
		return v
	}
	return name
}

func (l *loader) problem(name, value, allowed string) {
	l.problems = append(l.problems, Problem{Var: name, Value: value, Allowed: allowed})
}

func (l *loader) warn(format string, args ...any) {
	l.warnings = append(l.warnings, fmt.Sprintf(format, args...))
}

// ok reports whether all named options parsed, so a rule spanning several
// variables neither runs on zero values nor piles a second problem on a
// variable that already has one.
func (l *loader) ok(names ...string) bool {
	for _, n := range names {
		if l.failed[n] {
			return false
		}
	}
	return true
}

// explicit reports whether the operator set name rather than leaving the
// default, which decides whether overriding it deserves a warning.
func (l *loader) explicit(name string) bool {
	s := l.source[name]
	return s != "" && s != SourceDefault
}

// resolve finds the text of o: the variable itself, then for secrets
// NAME_FILE and the secrets directory, then the default. ok is false when a
// source exists but cannot be read; the problem is already recorded.
func (l *loader) resolve(o option, def string) (raw, source string, ok bool) {
	v, inEnv := l.lookup(o.name)
	if !o.secret {
		if raw, ok := l.useEarlier(o.name, inEnv); ok {
			return raw, SourceEarlier, true
		}
		if inEnv {
			return v, SourceEnv, true
		}
		return def, SourceDefault, true
	}

	fileVar := o.name + "_FILE"
	path, inFile := l.lookup(fileVar)
	if inEnv {
		if inFile {
			l.warn("%s is ignored because %s is set", fileVar, o.name)
		}
		return v, SourceEnv, true
	}
	if inFile {
		b, err := l.readFile(path)
		if err != nil {
			l.problem(fileVar, path, fmt.Sprintf("must name a readable file (%v)", err))
			return "", "", false
		}
		return strings.TrimSpace(string(b)), SourceFile, true
	}
	if raw, source, found, ok := l.secretFile(o); !ok || found {
		return raw, source, ok
	}
	if e, ok := earlierSecrets[o.name]; ok {
		if v, ok := l.lookup(e.env); ok {
			l.mapped = append(l.mapped, Mapping{From: e.env, To: o.name, Note: "the earlier Ash-Bot's variable, read as " + o.name})
			return v, SourceEarlier, true
		}
	}
	return def, SourceDefault, true
}

// secretFile looks for o's file in BOT_SECRETS_DIR, then in ./secrets,
// under ashbot's name and then the earlier Ash-Bot's. found is false when
// there is none; ok is false when one exists but cannot be read (the
// problem is recorded). BOT_SECRETS_DIR set empty searches neither.
func (l *loader) secretFile(o option) (raw, source string, found, ok bool) {
	if l.secretsDir == "" {
		return "", "", false, true
	}
	names := []string{secretFileName(o.name)}
	if e, ok := earlierSecrets[o.name]; ok {
		names = append(names, e.file)
	}
	for _, dir := range []string{l.secretsDir, earlierSecretsDir} {
		for i, name := range names {
			path := filepath.Join(dir, name)
			b, err := l.readFile(path)
			switch {
			case err == nil:
				if i > 0 || dir != l.secretsDir {
					l.mapped = append(l.mapped, Mapping{From: path, To: o.name, Note: "secret file read as " + o.name})
				}
				return strings.TrimSpace(string(b)), SourceSecretsDir, true, true
			case !errors.Is(err, fs.ErrNotExist):
				// Running without the secret would fail later and further
				// from the cause, so an unreadable one stops start-up here.
				if dir == l.secretsDir {
					l.problem(secretsDirVar, l.secretsDir, fmt.Sprintf("must be a directory whose %s file, if present, is readable (%v)", name, err))
				} else {
					l.problem(o.name, path, fmt.Sprintf("must come from a readable file: ./%s is present but unreadable (%v)", path, err))
				}
				return "", "", false, false
			}
		}
	}
	return "", "", false, true
}

// warnUnknown flags BOT_* variables no option reads, which are usually
// typos that would otherwise silently leave a default in force.
func (l *loader) warnUnknown(table []option, environ []string) {
	known := make(map[string]bool, len(table))
	for _, name := range earlierNames() {
		known[name] = true
	}
	for _, o := range table {
		known[o.name] = true
		// Only secrets have a _FILE companion: BOT_REDIS_PASWORD_FILE is
		// as much a typo as any other unknown name.
		if o.secret {
			known[o.name+"_FILE"] = true
		}
	}
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, "BOT_") || known[name] ||
			name == secretsDirVar || strings.HasPrefix(name, "BOT_CONFIG_") {
			continue
		}
		known[name] = true // warn once even if listed twice
		l.warn("unknown variable %s, ignored", name)
	}
}

// derive applies the rules that involve more than one variable.
func (l *loader) derive() {
	c := l.cfg
	l.shorter("BOT_METRICS_RETENTION_DAYS", &c.Metrics.AlertTTL, "BOT_RETENTION_ALERT_METRICS_DAYS", &c.Retention.AlertMetrics)
	l.shorter("BOT_METRICS_AGGREGATE_RETENTION_DAYS", &c.Metrics.AggregateTTL, "BOT_RETENTION_AGGREGATES_DAYS", &c.Retention.Aggregates)

	// The plan wants a missing channel to keep the bot running, so this is
	// a warning and the report is off rather than a failed start-up.
	if l.ok("BOT_WEEKLY_REPORT_ENABLED", "BOT_WEEKLY_REPORT_CHANNEL_ID") && c.Report.Enabled && len(c.Report.ChannelIDs) == 0 {
		c.Report.Enabled = false
		l.warn("BOT_WEEKLY_REPORT_CHANNEL_ID is empty: weekly report switched off")
	}

	if len(c.Discord.AlertCriticalChannels) == 0 {
		c.Discord.AlertCriticalChannels = slices.Clone(c.Discord.AlertCrisisChannels)
	}

	if l.ok("BOT_ASH_SESSION_TIMEOUT", "BOT_ASH_MAX_SESSION") && c.Ash.SessionTimeout > c.Ash.MaxSession {
		l.warn("BOT_ASH_SESSION_TIMEOUT (%v) is longer than BOT_ASH_MAX_SESSION (%v): sessions end at the maximum first",
			c.Ash.SessionTimeout, c.Ash.MaxSession)
	}

	l.deriveEarlier()
	l.deriveNLP()
	l.deriveDetection()
	l.deriveCompanion()
	l.deriveFollowup()
	l.deriveRedis()
}

// shorter makes two settings that govern the same data agree on the shorter
// period: the writer's TTL and cleanup's limit must not disagree, or data
// outlives its retention or vanishes before it.
func (l *loader) shorter(aName string, a *time.Duration, bName string, b *time.Duration) {
	if !l.ok(aName, bName) || *a == *b {
		return
	}
	m := min(*a, *b)
	l.warn("%s=%d and %s=%d differ: both use the shorter, %d days", aName, *a/day, bName, *b/day, m/day)
	*a, *b = m, m
}

func (l *loader) deriveRedis() {
	r := &l.cfg.Redis
	if r.URL != "" {
		u, err := parseRedisURL(r.URL)
		if err != nil {
			// The option's setter accepted it; disagreeing here is a bug.
			l.problem("BOT_REDIS_URL", redactURL(r.URL), err.Error())
			return
		}
		for _, name := range []string{"BOT_REDIS_HOST", "BOT_REDIS_PORT", "BOT_REDIS_DB"} {
			if l.explicit(name) {
				l.warn("%s is ignored because BOT_REDIS_URL is set", name)
			}
		}
		r.Host, r.Port, r.DB = u.host, u.port, u.db
		// Credentials the URL leaves out still come from their variables, so
		// the password can stay in a secret file rather than in the URL.
		if u.username != "" {
			if l.explicit("BOT_REDIS_USERNAME") {
				l.warn("BOT_REDIS_USERNAME is ignored because BOT_REDIS_URL names a user")
			}
			r.Username = u.username
		}
		if u.hasPassword {
			if l.explicit("BOT_REDIS_PASSWORD") {
				l.warn("BOT_REDIS_PASSWORD is ignored because BOT_REDIS_URL carries a password")
			}
			r.Password = u.password
		}
		if u.tls {
			r.TLS = true
		}
		if u.hasQuery {
			l.warn("BOT_REDIS_URL query parameters are ignored; use the BOT_REDIS_* variables")
		}
	}

	if l.ok("BOT_REDIS_MODE") {
		switch r.Mode {
		case ModeSentinel:
			if l.ok("BOT_REDIS_ADDRS") && len(r.Addrs) == 0 {
				l.problem("BOT_REDIS_ADDRS", l.raw["BOT_REDIS_ADDRS"], "must list the sentinels as host:port, comma separated, when BOT_REDIS_MODE=sentinel")
			}
			if l.ok("BOT_REDIS_SENTINEL_MASTER") && r.SentinelMaster == "" {
				l.problem("BOT_REDIS_SENTINEL_MASTER", l.raw["BOT_REDIS_SENTINEL_MASTER"], "must name the master when BOT_REDIS_MODE=sentinel")
			}
		case ModeCluster:
			// Redis Cluster only has database 0; a client asking for another
			// fails on every command, long after start-up.
			switch {
			case r.URL != "" && r.DB != 0:
				l.problem("BOT_REDIS_URL", redactURL(r.URL), "must select database 0 (no path, or /0) when BOT_REDIS_MODE=cluster")
			case r.URL == "" && l.ok("BOT_REDIS_DB") && r.DB != 0:
				l.problem("BOT_REDIS_DB", l.raw["BOT_REDIS_DB"], "must be 0 when BOT_REDIS_MODE=cluster")
			}
			if len(r.Addrs) == 0 && l.ok("BOT_REDIS_ADDRS") && r.Host != "" && r.Port != 0 {
				r.Addrs = []string{net.JoinHostPort(r.Host, strconv.Itoa(r.Port))}
			}
			if r.SentinelMaster != "" {
				l.warn("BOT_REDIS_SENTINEL_MASTER is ignored because BOT_REDIS_MODE=cluster")
			}
		case ModeStandalone:
			if len(r.Addrs) > 0 {
				l.warn("BOT_REDIS_ADDRS is ignored because BOT_REDIS_MODE=standalone")
			}
			if r.SentinelMaster != "" {
				l.warn("BOT_REDIS_SENTINEL_MASTER is ignored because BOT_REDIS_MODE=standalone")
			}
		}
	}

	if r.TLSCAFile != "" {
		if _, err := l.readFile(r.TLSCAFile); err != nil {
			l.problem("BOT_REDIS_TLS_CA_FILE", r.TLSCAFile, fmt.Sprintf("must name a readable file (%v)", err))
		} else if l.ok("BOT_REDIS_TLS") && !r.TLS {
			l.warn("BOT_REDIS_TLS_CA_FILE is set but TLS is off: set BOT_REDIS_TLS=true or use a rediss:// URL")
		}
	}
}

// secretFileName is the file in BOT_SECRETS_DIR that holds a secret:
// BOT_REDIS_PASSWORD is read from redis_password.
func secretFileName(variable string) string {
	return strings.ToLower(strings.TrimPrefix(variable, "BOT_"))
}
