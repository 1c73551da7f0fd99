package cli

import (
	"bufio"
	"os"
	"regexp"
	"strings"
	"testing"
)

// `ashbot config check` accepts the earlier Ash-Bot's .env as it is
// (internal/config/testdata/earlier-bot.env, a copy of
// shared/compat/earlier-bot.env, read as Docker's env_file reads it) and
// says what it made of the earlier names.
func TestConfigCheckEarlierBotEnv(t *testing.T) {
	f, err := os.Open("../config/testdata/earlier-bot.env")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	vars := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if line := sc.Text(); line != "" && !strings.HasPrefix(line, "#") {
			k, v, _ := strings.Cut(line, "=")
			vars[k] = v
		}
	}
	r := run(t, vars, "", "config", "check")
	if r.code != ExitOK {
		t.Fatalf("exit %d\nstderr:\n%s", r.code, r.stderr)
	}
	_, section, ok := strings.Cut(r.stdout, "\nmapped from the earlier Ash-Bot:\n")
	if !ok {
		t.Fatalf("no mapped section:\n%s", r.stdout)
	}
	for _, want := range []string{
		"  BOT_WEEKLY_REPORT_CHANNEL_IDS -> BOT_WEEKLY_REPORT_CHANNEL_ID: read as BOT_WEEKLY_REPORT_CHANNEL_ID=",
		"  BOT_SLASH_COMMANDS_ALLOWED_ROLE_IDS -> BOT_CRT_ROLE_IDS: ignored: BOT_CRT_ROLE_IDS is also set and wins",
		"  BOT_HEALTH_HOST, BOT_HEALTH_PORT -> BOT_HTTP_ADDR: read as BOT_HTTP_ADDR=0.0.0.0:30881",
		"  BOT_HISTORY_TTL_DAYS -> BOT_RETENTION_MESSAGE_HISTORY_DAYS: the shorter wins: 7 days",
		"  PUID: ignored: ",
		"  BOT_HANDOFF_CRT_ROLE_IDS: not used yet: ",
	} {
		if !strings.Contains(section, want) {
			t.Errorf("mapped section lacks %q:\n%s", want, section)
		}
	}
	if !strings.Contains(r.stdout, "  weekly report:  on, Monday at 09:00 UTC to [1190000000000000204]") {
		t.Errorf("the report channel of BOT_WEEKLY_REPORT_CHANNEL_IDS is not in effect:\n%s", r.stdout)
	}
	// Human logs, coloured off a terminal since the file sets FORCE_COLOR=1,
	// warn once per earlier name and note the ignored ones; nothing is an
	// unknown variable.
	plain := ansi.ReplaceAllString(r.stderr, "")
	if !strings.Contains(r.stderr, "\x1b[") || strings.Contains(plain, "unknown variable") ||
		strings.Count(plain, "BOT_WEEKLY_REPORT_CHANNEL_IDS is the earlier") != 1 || !strings.Contains(plain, " INF PUID is a setting") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
	delete(vars, "FORCE_COLOR")
	if r := run(t, vars, "", "config", "check"); r.code != ExitOK || strings.Contains(r.stderr, "\x1b[") {
		t.Errorf("without FORCE_COLOR, off a terminal: exit %d, stderr\n%s", r.code, r.stderr)
	}
}

var ansi = regexp.MustCompile(`\x1b\[[0-9;]*m`)
