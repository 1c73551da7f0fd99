package cli

import (
	"bytes"
	"encoding/json"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

func TestReportText(t *testing.T) {
	srv.Fresh(t)
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	r := run(t, nil, "", "report", "--end", "2026-11-20")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	for _, want := range []string{
		"📊 Weekly Crisis Response Report",
		"Week of November 14 - November 20, 2026",
		"Total Alerts:           1",
		"├─ 🟠 High:             1",
		"Avg. Time to Acknowledge:    2m 30s",
		"1. <@111> - 1 acknowledgment",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("text report lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "400000000000000001") {
		t.Error("the person in crisis appears in the report")
	}
}

func TestReportPNGToFile(t *testing.T) {
	srv.Fresh(t)
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	out := filepath.Join(t.TempDir(), "week.png")
	r := run(t, nil, "", "report", "--end", "2026-11-20", "--format", "png", "--out", out)
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(b)); err != nil {
		t.Fatalf("not a PNG: %v", err)
	}
	if r := run(t, nil, "", "report", "--format", "pdf"); r.code != ExitUsage {
		t.Fatalf("bad format: %+v", r)
	}
}

func TestReportPostToDiscord(t *testing.T) {
	srv.Fresh(t)
	run(t, nil, "", "events", "import", "testdata/mixed.jsonl")
	sim := discordsim.New(discordsim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ch := sim.AddChannel("crt-reports")
	vars := map[string]string{"BOT_DISCORD_TOKEN": sim.Token(), "BOT_DISCORD_API_URL": sim.URL(),
		"BOT_WEEKLY_REPORT_CHANNEL_ID": ch.String()}

	r := run(t, vars, "", "report", "post", "--end", "2026-11-20")
	if r.code != ExitOK {
		t.Fatalf("%+v", r)
	}
	msgs := sim.Messages(ch)
	if len(msgs) != 1 || len(msgs[0].Embeds) == 0 || len(msgs[0].Attachments) != 2 || msgs[0].Attachments[0].Filename != "weekly-report.png" ||
		msgs[0].Attachments[1].Filename != "coverage-by-hour.png" {
		t.Fatalf("posted %+v", msgs)
	}
	if len(msgs[0].MentionUsers) != 0 {
		t.Errorf("the report pinged %v", msgs[0].MentionUsers)
	}
	// The post names ashbot's version and is one Discord would take.
	for _, req := range sim.Requests() {
		if req.UserAgent != "DiscordBot (https://github.com/alphabetcartel/ashbot, "+Version+")" {
			t.Errorf("%s %s: User-Agent %q", req.Method, req.Path, req.UserAgent)
		}
	}
	for _, v := range sim.Conformance(discordsim.CheckOptions{}) {
		t.Errorf("request does not conform to Discord's rules: %s", v)
	}

	// Missing access: a clear error and exit 1, no crash.
	sim.FailNext("POST", "/channels/*/messages", 403, 1)
	r = run(t, vars, "", "report", "post", "--end", "2026-11-20")
	if r.code != ExitFailed || !strings.Contains(r.stderr, ch.String()) {
		t.Fatalf("403: %+v", r)
	}

	delete(vars, "BOT_WEEKLY_REPORT_CHANNEL_ID")
	r = run(t, vars, "", "report", "post")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "BOT_WEEKLY_REPORT_CHANNEL_ID") {
		t.Fatalf("no channel: %+v", r)
	}
}

func TestReportOverAMonth(t *testing.T) {
	srv.Fresh(t)
	if r := run(t, nil, "", "events", "import", "--shift-to", "2026-09-20", "testdata/mixed.jsonl"); !strings.HasPrefix(r.stdout, "recorded 3,") {
		t.Fatalf("%+v", r)
	}
	r := run(t, map[string]string{"BOT_REPORT_TARGETS": "acknowledge=5m"}, "", "report", "--period", "month", "--end", "2026-09-05", "--format", "json")
	var s struct {
		Start    string           `json:"start_date"`
		End      string           `json:"end_date"`
		Total    int              `json:"total_alerts"`
		Period   string           `json:"period"`
		PeriodID string           `json:"period_id"`
		Targets  []map[string]any `json:"targets"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != ExitOK {
		t.Fatalf("%v %+v", err, r)
	}
	if s.Start != "2026-09-01" || s.End != "2026-09-30" || s.Total != 1 || s.Period != "month" || s.PeriodID != "2026-09" ||
		len(s.Targets) != 1 || s.Targets[0]["metric"] != "acknowledge" || s.Targets[0]["target_seconds"] != 300.0 {
		t.Errorf("month report %+v", s)
	}
	r = run(t, nil, "", "report", "--period", "quarter", "--end", "2026-08-05")
	if r.code != ExitOK || !strings.Contains(r.stdout, "Quarterly Crisis Response Report") || !strings.Contains(r.stdout, "Q3 2026 (July 1 - September 30, 2026)") {
		t.Errorf("quarter report %+v", r)
	}
}

func TestReportPeriodUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		says string
	}{
		{[]string{"report", "--period", "year"}, `unknown period "year"`},
		{[]string{"report", "--period", "month", "--end", now.Format("2006-01-02")}, "has not ended yet"},
		{[]string{"report", "--period", "month", "--end", "soon"}, "--end"},
	} {
		r := run(t, nil, "", c.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, c.says) {
			t.Errorf("%v: %+v, want usage error saying %q", c.args, r, c.says)
		}
	}
}
