package config

import (
	"bufio"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

// readEnvFile reads an env file as Docker Compose's env_file and
// `docker run --env-file` do for these lines: NAME=VALUE, the value taken
// as it is (no quotes to remove, spaces kept), # lines and blank lines
// skipped.
func readEnvFile(t *testing.T, path string) env {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := env{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not NAME=VALUE", path, line)
		}
		out[k] = v
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func hasWarning(warnings []string, parts ...string) bool {
	return slices.ContainsFunc(warnings, func(w string) bool {
		for _, p := range parts {
			if !strings.Contains(w, p) {
				return false
			}
		}
		return true
	})
}

// The earlier Ash-Bot's .env (testdata/earlier-bot.env, a copy of
// shared/compat/earlier-bot.env) loads as it is: JSON-array ids, its
// names, human logs and upper-case levels; nothing is an unknown variable
// and every earlier setting is accounted for.
func TestEarlierBotEnvLoads(t *testing.T) {
	e := readEnvFile(t, "testdata/earlier-bot.env")
	cfg, warnings := mustLoad(t, e)

	const p = "11900000000000"
	if cfg.Log.Level != "info" || cfg.Log.Format != "human" {
		t.Errorf("log %+v", cfg.Log)
	}
	checks := []struct {
		name      string
		got, want []string
	}{
		{"monitored", cfg.Detection.MonitoredChannels, []string{p + "00101", p + "00102", p + "00103"}},
		{"monitor alerts", cfg.Discord.AlertMonitorChannels, []string{p + "00201"}},
		{"critical alerts", cfg.Discord.AlertCriticalChannels, []string{p + "00203"}},
		{"report (BOT_WEEKLY_REPORT_CHANNEL_IDS)", cfg.Report.ChannelIDs, []string{p + "00204"}},
		// BOT_CRT_ROLE_IDS is set too and wins over the earlier name.
		{"CRT roles", cfg.Discord.CRTRoleIDs, []string{p + "00301"}},
		{"admin roles (BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS)", cfg.Discord.AdminRoleIDs, []string{p + "00303"}},
		{"CRT notes (same name)", cfg.Ash.NotesChannelIDs, []string{p + "00205"}},
	}
	for _, c := range checks {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %q, want %q", c.name, c.got, c.want)
		}
	}
	if !cfg.Report.Enabled || !cfg.Metrics.Enabled || cfg.Runtime.HTTPAddr != "0.0.0.0:30881" ||
		cfg.Retention.MessageHistory != 7*day || cfg.Metrics.AlertTTL != 90*day || cfg.Ash.MaxSession != 600*time.Second ||
		cfg.Ash.AutoInitiateMinSeverity != SeverityMedium || cfg.Redis.Host != "ash-redis" || cfg.Detection.LowPriority[p+"00104"] != 0 {
		t.Errorf("report %v, metrics %v, http %q, history %v, alert ttl %v, max session %v, auto-initiate %q, redis %q",
			cfg.Report.Enabled, cfg.Metrics.Enabled, cfg.Runtime.HTTPAddr, cfg.Retention.MessageHistory, cfg.Metrics.AlertTTL,
			cfg.Ash.MaxSession, cfg.Ash.AutoInitiateMinSeverity, cfg.Redis.Host)
	}

	for _, w := range warnings {
		if strings.Contains(w, "unknown variable") {
			t.Errorf("warning %q", w)
		}
	}
	for _, want := range [][]string{
		{"BOT_WEEKLY_REPORT_CHANNEL_IDS is the earlier Ash-Bot's name of BOT_WEEKLY_REPORT_CHANNEL_ID: read as"},
		{"BOT_SLASH_COMMANDS_ALLOWED_ROLE_IDS is the earlier Ash-Bot's name of BOT_CRT_ROLE_IDS, which is also set and wins", "(its value differs)"},
		{"BOT_HEALTH_HOST, BOT_HEALTH_PORT are the earlier Ash-Bot's names of BOT_HTTP_ADDR"},
		{"BOT_RESPONSE_METRICS_ENABLED is set as in the earlier Ash-Bot's .env", "BOT_METRICS_ENABLED is ignored"},
		{"BOT_HISTORY_TTL_DAYS=14", "BOT_RETENTION_MESSAGE_HISTORY_DAYS=7 is not longer and applies"},
	} {
		if !hasWarning(warnings, want...) {
			t.Errorf("no warning with %q in\n%s", want, strings.Join(warnings, "\n"))
		}
	}

	// Every variable of the file is an option, an alias or noted.
	mapped := map[string]bool{}
	for _, m := range cfg.Mapped() {
		for from := range strings.SplitSeq(m.From, ", ") {
			mapped[from] = true
		}
	}
	known := map[string]bool{}
	for _, o := range options() {
		known[o.name] = true
	}
	for name := range e {
		if !known[name] && !mapped[name] {
			t.Errorf("%s is neither read nor mapped", name)
		}
	}
	notes := cfg.Notes()
	for _, name := range []string{"PUID", "PGID", "TZ", "FORCE_COLOR", "BOT_LOG_FILE", "BOT_ENVIRONMENT", "BOT_HANDOFF_ENABLED", "BOT_HANDOFF_CRT_ROLE_IDS"} {
		n := 0
		for _, note := range notes {
			if strings.HasPrefix(note, name+" is a setting of the earlier Ash-Bot, ") {
				n++
			}
		}
		if n != 1 {
			t.Errorf("%s: %d notes, want 1, in\n%s", name, n, strings.Join(notes, "\n"))
		}
	}

	sources := map[string]string{}
	for _, s := range cfg.Describe() {
		sources[s.Name] = s.Source
	}
	for name, want := range map[string]string{
		"BOT_WEEKLY_REPORT_CHANNEL_ID": SourceEarlier, "BOT_HTTP_ADDR": SourceEarlier, "BOT_METRICS_ENABLED": SourceEarlier,
		"BOT_CRT_ROLE_IDS": SourceEnv, "BOT_LOG_FORMAT": SourceEnv,
	} {
		if sources[name] != want {
			t.Errorf("%s: source %q, want %q", name, sources[name], want)
		}
	}
}

// An earlier name alone is read with one warning; a bad value is refused
// under the name the operator wrote.
func TestEarlierAliases(t *testing.T) {
	const a, b = "123456789012345678", "234567890123456789"
	cfg, warnings := mustLoad(t, env{"BOT_WEEKLY_REPORT_CHANNEL_IDS": `["` + a + `"]`, "BOT_SLASH_COMMANDS_ALLOWED_ROLE_IDS": `[` + b + `]`,
		"BOT_RESPONSE_METRICS_RETENTION_DAYS": "30", "BOT_RESPONSE_METRICS_AGGREGATE_RETENTION_DAYS": "200"})
	if !slices.Equal(cfg.Report.ChannelIDs, []string{a}) || !slices.Equal(cfg.Discord.CRTRoleIDs, []string{b}) ||
		cfg.Metrics.AlertTTL != 30*day || cfg.Metrics.AggregateTTL != 200*day {
		t.Errorf("report %q, crt %q, ttl %v/%v", cfg.Report.ChannelIDs, cfg.Discord.CRTRoleIDs, cfg.Metrics.AlertTTL, cfg.Metrics.AggregateTTL)
	}
	if n := len(warnings); !hasWarning(warnings, "BOT_SLASH_COMMANDS_ALLOWED_ROLE_IDS is the earlier Ash-Bot's name of BOT_CRT_ROLE_IDS: read as") || n < 4 {
		t.Errorf("warnings %q", warnings)
	}

	// Ours wins, and says so; same values are not said to differ.
	cfg, warnings = mustLoad(t, with(base(), "BOT_ADMIN_ROLE_IDS", a, "BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS", a))
	if !slices.Equal(cfg.Discord.AdminRoleIDs, []string{a}) || len(warnings) != 1 ||
		warnings[0] != "BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS is the earlier Ash-Bot's name of BOT_ADMIN_ROLE_IDS, which is also set and wins: BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS is ignored" {
		t.Errorf("admin %q, warnings %q", cfg.Discord.AdminRoleIDs, warnings)
	}

	errs := mustFail(t, with(base(), "BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS", `["admins"]`), nil)
	if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_SLASH_COMMANDS_ADMIN_ROLE_IDS" {
		t.Errorf("%v", errs)
	}
}

// BOT_HEALTH_HOST and BOT_HEALTH_PORT make BOT_HTTP_ADDR, the missing half
// taking the earlier default; BOT_HTTP_ADDR itself wins.
func TestEarlierHealthAddress(t *testing.T) {
	for _, tt := range []struct {
		env  env
		want string
	}{
		{env{"BOT_HEALTH_PORT": "30999"}, "0.0.0.0:30999"},
		{env{"BOT_HEALTH_HOST": "127.0.0.1"}, "127.0.0.1:30881"},
		{env{"BOT_HEALTH_HOST": "::1", "BOT_HEALTH_PORT": "8080"}, "[::1]:8080"},
		{env{"BOT_HEALTH_HOST": "0.0.0.0", "BOT_HTTP_ADDR": ":9000"}, ":9000"},
	} {
		cfg, warnings := mustLoad(t, with(base(), flat(tt.env)...))
		if cfg.Runtime.HTTPAddr != tt.want || len(warnings) != 1 || !strings.Contains(warnings[0], "BOT_HTTP_ADDR") {
			t.Errorf("%v: %q, warnings %q", tt.env, cfg.Runtime.HTTPAddr, warnings)
		}
	}
	for name, value := range map[string]string{"BOT_HEALTH_PORT": "http", "BOT_HEALTH_HOST": "host:1"} {
		errs := mustFail(t, with(base(), name, value), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != name {
			t.Errorf("%s=%s: %v", name, value, errs)
		}
		// Beside BOT_HTTP_ADDR it is ignored, whatever its value.
		cfg, warnings := mustLoad(t, with(base(), name, value, "BOT_HTTP_ADDR", ":9000"))
		if cfg.Runtime.HTTPAddr != ":9000" || len(warnings) != 1 || !strings.Contains(warnings[0], "also set and wins") {
			t.Errorf("%s=%s beside BOT_HTTP_ADDR: %q %q", name, value, cfg.Runtime.HTTPAddr, warnings)
		}
	}
}

func flat(e env) []string {
	var kv []string
	for k, v := range e {
		kv = append(kv, k, v)
	}
	return kv
}

// The earlier BOT_METRICS_ENABLED switched Prometheus: beside
// BOT_RESPONSE_METRICS_ENABLED it is not ashbot's switch. Alone it is.
func TestEarlierMetricsEnabled(t *testing.T) {
	cfg, warnings := mustLoad(t, with(base(), "BOT_METRICS_ENABLED", "false", "BOT_RESPONSE_METRICS_ENABLED", "true"))
	if !cfg.Metrics.Enabled || len(warnings) != 1 || !strings.Contains(warnings[0], "Prometheus") {
		t.Errorf("enabled %v, warnings %q", cfg.Metrics.Enabled, warnings)
	}
	cfg, _ = mustLoad(t, with(base(), "BOT_METRICS_ENABLED", "true", "BOT_RESPONSE_METRICS_ENABLED", "false"))
	if cfg.Metrics.Enabled {
		t.Error("BOT_RESPONSE_METRICS_ENABLED=false did not switch tracking off")
	}
	cfg, warnings = mustLoad(t, with(base(), "BOT_METRICS_ENABLED", "false"))
	if cfg.Metrics.Enabled || len(warnings) != 0 {
		t.Errorf("ashbot's own switch: %v, %q", cfg.Metrics.Enabled, warnings)
	}
	cfg, warnings = mustLoad(t, with(base(), "BOT_RESPONSE_METRICS_ENABLED", "false"))
	if cfg.Metrics.Enabled || len(warnings) != 1 || !strings.Contains(warnings[0], "read as BOT_METRICS_ENABLED=false") {
		t.Errorf("earlier name alone: %v, %q", cfg.Metrics.Enabled, warnings)
	}
}

// The shorter of the earlier history lifetime and ashbot's retention wins,
// whichever is set.
func TestEarlierHistoryTTL(t *testing.T) {
	for _, tt := range []struct {
		env  env
		want time.Duration
	}{
		{env{"BOT_HISTORY_TTL_DAYS": "3"}, 3 * day},
		{env{"BOT_HISTORY_TTL_DAYS": "14"}, 7 * day}, // ashbot's default is shorter
		{env{"BOT_HISTORY_TTL_DAYS": "30", "BOT_RETENTION_MESSAGE_HISTORY_DAYS": "20"}, 20 * day},
		{env{"BOT_HISTORY_TTL_DAYS": "10", "BOT_RETENTION_MESSAGE_HISTORY_DAYS": "20"}, 10 * day},
		{env{"BOT_HISTORY_TTL_DAYS": "365"}, 7 * day},
	} {
		cfg, warnings := mustLoad(t, with(base(), flat(tt.env)...))
		if cfg.Retention.MessageHistory != tt.want || len(warnings) != 1 || !strings.Contains(warnings[0], "BOT_HISTORY_TTL_DAYS") {
			t.Errorf("%v: %v, warnings %q", tt.env, cfg.Retention.MessageHistory, warnings)
		}
	}
	for _, bad := range []string{"0", "two weeks", "-1"} {
		errs := mustFail(t, with(base(), "BOT_HISTORY_TTL_DAYS", bad), nil)
		if len(errs.Problems) != 1 || errs.Problems[0].Var != "BOT_HISTORY_TTL_DAYS" {
			t.Errorf("%q: %v", bad, errs)
		}
	}
}

// Secrets are also found under the earlier file names, in BOT_SECRETS_DIR
// then ./secrets, ashbot's name first in each; then under the earlier
// environment variables. They are redacted however they came.
func TestEarlierSecrets(t *testing.T) {
	tests := []struct {
		name  string
		env   env
		files map[string]string
		token string
		pw    string
	}{
		{"earlier files in /run/secrets", env{},
			map[string]string{"/run/secrets/ash_bot_token": "tok-a\n", "/run/secrets/redis_token": "pw-a"}, "tok-a", "pw-a"},
		{"ashbot's file first", env{},
			map[string]string{"/run/secrets/discord_token": "tok-ours", "/run/secrets/ash_bot_token": "tok-a"}, "tok-ours", ""},
		{"./secrets after BOT_SECRETS_DIR", env{"BOT_SECRETS_DIR": "/srv/s"},
			map[string]string{"secrets/ash_bot_token": "tok-local", "secrets/redis_token": "pw-local"}, "tok-local", "pw-local"},
		{"BOT_SECRETS_DIR before ./secrets", env{},
			map[string]string{"secrets/discord_token": "tok-local", "/run/secrets/ash_bot_token": "tok-run"}, "tok-run", ""},
		{"earlier variables last", env{"ASH_BOT_TOKEN": "tok-env", "REDIS_TOKEN": "pw-env"},
			map[string]string{"/run/secrets/redis_token": "pw-file"}, "tok-env", "pw-file"},
		{"ashbot's variables first", env{"ASH_BOT_TOKEN": "tok-env", "BOT_DISCORD_TOKEN": "tok-ours"}, nil, "tok-ours", ""},
		{"empty BOT_SECRETS_DIR searches no directory", env{"BOT_SECRETS_DIR": ""},
			map[string]string{"secrets/ash_bot_token": "tok-local"}, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := with(base(), flat(tt.env)...)
			cfg, warnings, err := Load(e.lookup, fakeFiles(tt.files), e.environ()...)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Discord.Token != tt.token || cfg.Redis.Password != tt.pw {
				t.Errorf("token %q, password %q; want %q, %q", cfg.Discord.Token, cfg.Redis.Password, tt.token, tt.pw)
			}
			for _, s := range []string{tt.token, tt.pw} {
				if s != "" && !slices.Contains(cfg.Secrets(), s) {
					t.Errorf("Secrets() lacks %q", s)
				}
			}
			for _, w := range warnings {
				if strings.Contains(w, "unknown") {
					t.Errorf("warning %q", w)
				}
			}
			for _, s := range cfg.Describe() {
				if s.Name == "BOT_DISCORD_TOKEN" && tt.token != "" && s.Value != masked {
					t.Errorf("token shown as %q", s.Value)
				}
			}
		})
	}
}

// Earlier settings ashbot does not read are noted, not refused; a value
// that will be refused once they are read, or a false where ashbot does
// the thing anyway, is a warning.
func TestEarlierNotYetUsed(t *testing.T) {
	cfg, warnings := mustLoad(t, with(base(), "BOT_HANDOFF_CRT_ROLE_IDS", "crt",
		"BOT_ASH_ENABLED", "FALSE", "BOT_USER_OPTOUT_ENABLED", "false", "BOT_HANDOFF_ENABLED", "true"))
	if len(warnings) != 2 || !hasWarning(warnings, `BOT_HANDOFF_CRT_ROLE_IDS="crt"`, "is a setting of the earlier Ash-Bot, not used yet") ||
		!hasWarning(warnings, "BOT_ASH_ENABLED=FALSE") {
		t.Errorf("warnings %q", warnings)
	}
	if notes := cfg.Notes(); len(notes) != 2 || !strings.HasPrefix(notes[0], "BOT_HANDOFF_ENABLED is a setting of the earlier Ash-Bot, not used yet") {
		t.Errorf("notes %q", notes)
	}

	// A name that is an option is read as the option, not noted.
	l := &loader{lookup: env{"BOT_ASH_MODEL": "claude"}.lookup}
	l.noteEarlier(map[string]bool{"BOT_ASH_MODEL": true})
	if len(l.notes)+len(l.warnings)+len(l.mapped) != 0 {
		t.Errorf("an option was noted: %q %q", l.notes, l.warnings)
	}
}

// No earlier name shadows an option of ashbot, and every alias points at
// one, so an option added later cannot silently take an alias's place.
func TestEarlierNamesAreNotOptions(t *testing.T) {
	known := map[string]bool{}
	for _, o := range options() {
		known[o.name] = true
	}
	for _, r := range renames {
		if known[r.old] || !known[r.ours] {
			t.Errorf("rename %s -> %s", r.old, r.ours)
		}
	}
	for _, s := range ignored {
		if known[s.name] {
			t.Errorf("%s is ignored but is an option", s.name)
		}
	}
	for _, name := range []string{healthHostVar, healthPortVar, historyTTLVar} {
		if known[name] {
			t.Errorf("%s is an option", name)
		}
	}
	for name := range earlierSecrets {
		if !known[name] {
			t.Errorf("earlier secret of %s, which is no option", name)
		}
	}
}
