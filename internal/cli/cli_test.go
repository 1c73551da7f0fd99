package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

var now = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

// run executes one command in-process against the test Redis.
func run(t *testing.T, vars map[string]string, stdin string, args ...string) result {
	t.Helper()
	host, port, _ := net.SplitHostPort(srv.Addr)
	env := map[string]string{"BOT_REDIS_HOST": host, "BOT_REDIS_PORT": port, "BOT_SECRETS_DIR": "", "BOT_LOG_FORMAT": "text"}
	for k, v := range vars {
		env[k] = v
	}
	var out, errb bytes.Buffer
	code := Main(context.Background(), args, &Env{
		Stdin: strings.NewReader(stdin), Stdout: &out, Stderr: &errb,
		LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok },
		ReadFile:  os.ReadFile,
		Now:       func() time.Time { return now },
	})
	return result{code, out.String(), errb.String()}
}

func TestImportCountsRejectsAndExitCode(t *testing.T) {
	srv.Fresh(t)
	r := run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	if r.code != ExitFailed {
		t.Errorf("exit %d, want 1; stderr %s", r.code, r.stderr)
	}
	if r.stdout != "recorded 3, duplicate 1, rejected 4\n" {
		t.Errorf("stdout %q", r.stdout)
	}
	for _, want := range []string{
		"line 5: unknown alert\n",
		"line 6: at is before the alert was created\n",
		"line 7: not a JSON object",
		`line 8: unknown severity "urgent"`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	// Replaying is safe: everything valid is now a duplicate.
	r = run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	if r.stdout != "recorded 0, duplicate 4, rejected 4\n" {
		t.Errorf("replay stdout %q", r.stdout)
	}
}

func TestImportFromStdinCleanExitsZero(t *testing.T) {
	srv.Fresh(t)
	in := `{"type":"alert_created","alert_id":"a1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"low"}` + "\n"
	r := run(t, nil, in, "events", "import", "-")
	if r.code != ExitOK || r.stdout != "recorded 1, duplicate 0, rejected 0\n" {
		t.Fatalf("%+v", r)
	}
}

func TestImportShiftTo(t *testing.T) {
	srv.Fresh(t)
	r := run(t, nil, "", "events", "import", "--shift-to", "2026-11-20", "testdata/mixed.jsonl")
	if r.code != ExitFailed || !strings.HasPrefix(r.stdout, "recorded 3,") {
		t.Fatalf("%+v", r)
	}
	// 2026-11-18 moved to 2026-11-20: a1 now lives on the 20th.
	r = run(t, nil, "", "report", "--end", "2026-11-20", "--format", "json")
	var s struct {
		Total int                   `json:"total_alerts"`
		Peak  struct{ Date string } `json:"peak_day"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Total != 1 || s.Peak.Date != "2026-11-20" {
		t.Fatalf("report after shift: %v %+v %s", err, s, r.stdout)
	}
}

func TestImportWithMetricsDisabled(t *testing.T) {
	rdb := srv.Fresh(t)
	r := run(t, map[string]string{"BOT_METRICS_ENABLED": "false"}, "", "events", "import", "testdata/mixed.jsonl")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "BOT_METRICS_ENABLED=false") {
		t.Fatalf("%+v", r)
	}
	if n := rdb.DBSize(context.Background()).Val(); n != 0 {
		t.Fatalf("%d keys written", n)
	}
}

func TestBadConfigExitsTwoWithOneLinePerProblem(t *testing.T) {
	r := run(t, map[string]string{"BOT_WEEKLY_REPORT_HOUR": "25", "BOT_METRICS_RETENTION_DAYS": "abc"}, "", "report", "--format", "json")
	if r.code != ExitUsage {
		t.Fatalf("exit %d", r.code)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if len(lines) != 2 || !strings.Contains(r.stderr, `BOT_WEEKLY_REPORT_HOUR="25"`) || !strings.Contains(r.stderr, `BOT_METRICS_RETENTION_DAYS="abc"`) {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
}

func TestConfigCheckMasksSecretsAndShowsNextRuns(t *testing.T) {
	r := run(t, map[string]string{"BOT_REDIS_PASSWORD": "hunter2", "BOT_DISCORD_TOKEN": "tok.en.value",
		"BOT_WEEKLY_REPORT_CHANNEL_ID": "123456789012345678"}, "", "config", "check")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, "hunter2") || strings.Contains(r.stdout+r.stderr, "tok.en.value") {
		t.Fatal("a secret was printed")
	}
	for _, want := range []string{"BOT_REDIS_PASSWORD=***", "BOT_WEEKLY_REPORT_HOUR=9", "next run 2026-11-30T09:00:00Z", "next run 2026-11-28T03:00:00Z",
		"Ash companion:  scripted texts",
		"check-ins:      on, 24 h after an Ash chat of 5+ minutes about a medium or higher alert; none later than 48 h after it"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config check lacks %q:\n%s", want, r.stdout)
		}
	}
}

func TestConfigCheckShowsTheCompanion(t *testing.T) {
	r := run(t, map[string]string{"BOT_ASH_PROVIDER": "openai", "BOT_ASH_MODEL": "llama3.2", "BOT_ASH_API_KEY": "local-secret",
		"BOT_ASH_BASE_URL": "http://ollama:11434/v1?token=abc", "BOT_WEEKLY_REPORT_CHANNEL_ID": "123456789012345678"}, "", "config", "check")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	if strings.Contains(r.stdout+r.stderr, "local-secret") || strings.Contains(r.stdout+r.stderr, "abc") {
		t.Fatalf("a secret was printed:\n%s", r.stdout)
	}
	want := "Ash companion:  openai, model llama3.2 at http://ollama:11434/v1?token=*** (key set; at most 500 tokens, reply timeout 20s; built-in persona)"
	if !strings.Contains(r.stdout, want) {
		t.Errorf("config check lacks %q:\n%s", want, r.stdout)
	}
}

func TestRedisUnreachable(t *testing.T) {
	r := run(t, map[string]string{"BOT_REDIS_PORT": "1", "BOT_REDIS_DIAL_TIMEOUT": "200ms"}, "", "report")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "cannot reach redis at localhost:1") && !strings.Contains(r.stderr, "cannot reach redis at 127.0.0.1:1") {
		t.Fatalf("%+v", r)
	}
}

func TestAlertShow(t *testing.T) {
	srv.Fresh(t)
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	r := run(t, nil, "", "alert", "show", "a1", "--format", "json")
	var a struct {
		Ack *int64 `json:"time_to_acknowledge_seconds"`
		By  string `json:"acknowledged_by"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &a); err != nil || a.Ack == nil || *a.Ack != 150 || a.By != "111" {
		t.Fatalf("%v %+v %s", err, a, r.stdout)
	}
	r = run(t, nil, "", "alert", "show", "--message", "1300000000000000001")
	if r.code != ExitOK || !strings.Contains(r.stdout, "acknowledged") || !strings.Contains(r.stdout, "(+2m30s)  by 111") {
		t.Fatalf("%+v", r)
	}
	r = run(t, nil, "", "alert", "show", "nope")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "not found") {
		t.Fatalf("%+v", r)
	}
}

func TestUnknownCommand(t *testing.T) {
	r := run(t, nil, "", "frobnicate")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "unknown command") {
		t.Fatalf("%+v", r)
	}
}

func TestRunRefusesIncompleteSettings(t *testing.T) {
	r := run(t, nil, "", "run")
	if r.code != ExitUsage {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{"config: BOT_DISCORD_TOKEN is empty", "config: no alert channel", "config: BOT_CRT_ROLE_IDS is empty"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
}

// A story with a mistake stops `ashbot demo` before anything starts, naming
// the file and line.
func TestDemoBadStoryExitsTwo(t *testing.T) {
	r := run(t, nil, "", "demo", "--story", "testdata/typo.story")
	if r.code != ExitUsage || r.stderr != "ashbot demo: testdata/typo.story:5: unknown person \"Robn\" (the cast is declared by the people, crt and admins lines)\n" {
		t.Errorf("%+v", r)
	}
	r = run(t, nil, "", "demo", "--story", "testdata/missing.story")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "missing.story") {
		t.Errorf("%+v", r)
	}
}
