package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The person in crisis appears in no export and no report format, also
// when they acknowledged their own alert; their two alerts share one
// pseudonym within an export.
func TestExportsNameNobodyInCrisis(t *testing.T) {
	srv.Fresh(t)
	const person, crt = "400000000000000007", "500000000000000001"
	lines := []string{
		`{"type":"alert_created","alert_id":"1200000000000000021","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000011","user_id":"` + person + `","channel_id":"900000000000000001","severity":"high","source":"detected"}`,
		`{"type":"acknowledged","alert_id":"1200000000000000021","at":"2026-11-18T22:11:00Z","by":"` + person + `"}`,
		`{"type":"alert_created","alert_id":"1200000000000000022","at":"2026-11-19T03:30:00Z","alert_message_id":"1300000000000000012","user_id":"` + person + `","channel_id":"900000000000000001","severity":"low","source":"flagged"}`,
		`{"type":"acknowledged","alert_id":"1200000000000000022","at":"2026-11-19T03:32:00Z","by":"` + crt + `"}`,
	}
	if r := run(t, nil, strings.Join(lines, "\n")+"\n", "events", "import", "-"); r.code != ExitOK {
		t.Fatalf("import: %+v", r)
	}
	tz := map[string]string{"BOT_REPORT_TIMEZONE": "America/New_York"}
	forbidden := []string{person, "1200000000000000021", "1200000000000000022", "1300000000000000011", "900000000000000001"}
	outputs := map[string]string{}
	for _, args := range [][]string{
		{"export", "--from", "2026-11-18", "--to", "2026-11-20"},
		{"export", "--from", "2026-11-18", "--to", "2026-11-20", "--format", "jsonl"},
		{"export", "aggregates", "--from", "2026-11-18", "--to", "2026-11-20"},
		{"report", "--end", "2026-11-20", "--format", "json"},
		{"report", "--end", "2026-11-20", "--format", "markdown"},
		{"report", "--end", "2026-11-20", "--format", "text"},
	} {
		r := run(t, tz, "", args...)
		name := strings.Join(args, " ")
		if r.code != ExitOK {
			t.Fatalf("%s: %+v", name, r)
		}
		outputs[name] = r.stdout + r.stderr
	}
	for name, out := range outputs {
		for _, id := range forbidden {
			if strings.Contains(out, id) {
				t.Errorf("%s holds %s:\n%s", name, id, out)
			}
		}
	}
	csv := outputs["export --from 2026-11-18 --to 2026-11-20"]
	rows := strings.Split(strings.TrimSpace(csv), "\n")
	if len(rows) < 4 || !strings.HasPrefix(rows[0], "alert,person,") || !strings.Contains(csv, "exported 2 alerts of 2026-11-18..2026-11-20") {
		t.Fatalf("csv export:\n%s", csv)
	}
	p1, p2 := strings.Split(rows[1], ",")[1], strings.Split(rows[2], ",")[1]
	if p1 != p2 || !strings.HasPrefix(p1, "person-") || !strings.Contains(csv, crt) {
		t.Errorf("pseudonyms %s %s, responder %s missing:\n%s", p1, p2, crt, csv)
	}
	// A second export draws a new key.
	again := run(t, nil, "", "export", "--from", "2026-11-18", "--to", "2026-11-20")
	if strings.Contains(again.stdout, p1) {
		t.Errorf("two exports share pseudonym %s", p1)
	}

	var rep struct {
		Coverage struct {
			TimeZone string `json:"time_zone"`
			Days     []struct {
				Weekday string `json:"weekday"`
				Hours   []struct {
					Alerts int `json:"alerts"`
				} `json:"hours"`
			} `json:"days"`
		} `json:"coverage"`
		Trend struct {
			Unit   string `json:"unit"`
			Points []struct {
				Alerts *int `json:"alerts"`
			} `json:"points"`
		} `json:"trend"`
	}
	js := outputs["report --end 2026-11-20 --format json"]
	if err := json.Unmarshal([]byte(js[:strings.LastIndex(js, "}")+1]), &rep); err != nil {
		t.Fatalf("%v: %s", err, js)
	}
	// 22:10 UTC on Wednesday is 17:10 in New York; 03:30 UTC on Thursday
	// is 22:30 on Wednesday.
	wed := rep.Coverage.Days[2]
	if rep.Coverage.TimeZone != "America/New_York" || wed.Weekday != "Wednesday" || wed.Hours[17].Alerts != 1 || wed.Hours[22].Alerts != 1 {
		t.Errorf("coverage %+v", rep.Coverage)
	}
	if rep.Trend.Unit != "week" || len(rep.Trend.Points) != 12 || rep.Trend.Points[11].Alerts == nil || *rep.Trend.Points[11].Alerts != 2 {
		t.Errorf("trend %+v", rep.Trend)
	}
	if md := outputs["report --end 2026-11-20 --format markdown"]; !strings.Contains(md, "## 🕒 Coverage by Hour (America/New_York)") {
		t.Errorf("markdown lacks the coverage table:\n%s", md)
	}

	out := filepath.Join(t.TempDir(), "heat.png")
	if r := run(t, tz, "", "report", "--end", "2026-11-20", "--format", "heatmap", "--out", out); r.code != ExitOK {
		t.Fatalf("heatmap: %+v", r)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "\x89PNG") {
		t.Errorf("heatmap file: %v", err)
	}
	file := filepath.Join(t.TempDir(), "alerts.csv")
	if r := run(t, nil, "", "export", "--from", "2026-11-18", "--to", "2026-11-18", "--out", file); r.code != ExitOK {
		t.Fatalf("export --out: %+v", r)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("export file: %v %v", fi, err)
	}
}

func TestExportUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"export"}, "--from and --to are required"},
		{[]string{"export", "--from", "2026-11-18"}, "--from and --to are required"},
		{[]string{"export", "--from", "2026-11-20", "--to", "2026-11-18"}, "is before --from"},
		{[]string{"export", "--from", "2026-11-18", "--to", "2026-11-20", "--format", "xlsx"}, `--format "xlsx"`},
		{[]string{"export", "aggregates", "--from", "18.11.2026", "--to", "2026-11-20"}, "--from:"},
	} {
		r := run(t, nil, "", tc.args...)
		if r.code != ExitUsage || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want usage and %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
	r := run(t, map[string]string{"BOT_REPORT_TIMEZONE": "Mars/Olympus"}, "", "report", "--end", "2026-11-20")
	if r.code != ExitUsage || !strings.Contains(r.stderr, "BOT_REPORT_TIMEZONE") {
		t.Errorf("bad zone: exit %d, stderr %q", r.code, r.stderr)
	}
}
