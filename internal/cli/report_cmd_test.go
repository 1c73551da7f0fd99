package cli

import (
	"bytes"
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
