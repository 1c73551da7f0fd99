package cli

import (
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A directory is refused like a missing file: exit 2, before connecting.
func TestImportDirectoryExitsTwoBeforeConnecting(t *testing.T) {
	for _, arg := range []string{t.TempDir(), filepath.Join(t.TempDir(), "missing.jsonl")} {
		r := run(t, map[string]string{"BOT_REDIS_HOST": "127.0.0.1", "BOT_REDIS_PORT": "1"}, "", "events", "import", arg)
		if r.code != ExitUsage || r.stdout != "" || strings.Contains(r.stderr, "redis") {
			t.Errorf("import %s: %+v", arg, r)
		}
	}
}

// A file saved with a byte-order mark imports cleanly.
func TestImportFileWithByteOrderMark(t *testing.T) {
	srv.Fresh(t)
	name := filepath.Join(t.TempDir(), "bom.jsonl")
	line := `{"type":"alert_created","alert_id":"a1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"low"}`
	if err := os.WriteFile(name, []byte("\uFEFF"+line+"\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := run(t, nil, "", "events", "import", name)
	if r.code != ExitOK || r.stdout != "recorded 1, duplicate 0, rejected 0\n" {
		t.Fatalf("%+v", r)
	}
}

// An acknowledgment before its alert's creation counts on the first import.
func TestImportOutOfOrderCountsOnFirstImport(t *testing.T) {
	srv.Fresh(t)
	in := `{"type":"acknowledged","alert_id":"a1","at":"2026-11-18T22:12:30Z","by":"111"}` + "\n" +
		`{"type":"alert_created","alert_id":"a1","at":"2026-11-18T22:10:00Z","alert_message_id":"1300000000000000001","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"low"}` + "\n"
	r := run(t, nil, in, "events", "import", "-")
	if r.code != ExitOK || r.stdout != "recorded 2, duplicate 0, rejected 0\n" {
		t.Fatalf("%+v", r)
	}
	r = run(t, nil, in, "events", "import", "-")
	if r.stdout != "recorded 0, duplicate 2, rejected 0\n" {
		t.Fatalf("second import: %+v", r)
	}
}

// oldHistory is two alerts of about 200 days ago, past the alert retention
// (90 days by default) and within the aggregate retention (365 days), with
// their later events.
var oldHistory = []string{
	`{"type":"alert_created","alert_id":"o1","at":"2026-05-11T09:00:00Z","alert_message_id":"1300000000000000011","user_id":"400000000000000011","channel_id":"900000000000000001","severity":"high"}`,
	`{"type":"acknowledged","alert_id":"o1","at":"2026-05-11T09:02:00Z","by":"111"}`,
	`{"type":"ash_contacted","alert_id":"o1","at":"2026-05-11T09:05:00Z","by":"auto","auto":true}`,
	`{"type":"session_started","alert_id":"o1","session_id":"s1","at":"2026-05-11T09:05:00Z"}`,
	`{"type":"session_ended","alert_id":"o1","session_id":"s1","at":"2026-05-11T09:15:00Z","reason":"completed"}`,
	`{"type":"resolved","alert_id":"o1","at":"2026-05-11T10:00:00Z","by":"111"}`,
	`{"type":"alert_created","alert_id":"o2","at":"2026-05-12T10:00:00Z","alert_message_id":"1300000000000000012","user_id":"400000000000000012","channel_id":"900000000000000001","severity":"medium"}`,
	`{"type":"acknowledged","alert_id":"o2","at":"2026-05-12T10:04:00Z","by":"222"}`,
}

func shuffledLines(lines []string, seed uint64) string {
	out := slices.Clone(lines)
	rand.New(rand.NewPCG(seed, seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return strings.Join(out, "\n") + "\n"
}

// History older than the alert retention is recorded in the daily
// aggregates only, exit 0, exactly once in any order; the report of its
// week shows counts and averages and says the percentiles are not
// available.
func TestImportOfHistoryOlderThanAlertRetention(t *testing.T) {
	srv.Fresh(t)
	r := run(t, nil, shuffledLines(oldHistory, 1), "events", "import", "-")
	if r.code != ExitOK || r.stdout != "recorded 0, recorded (aggregate only) 8, duplicate 0, rejected 0\n" || strings.Contains(r.stderr, "line ") {
		t.Fatalf("%+v", r)
	}
	r = run(t, nil, shuffledLines(oldHistory, 2), "events", "import", "-")
	if r.code != ExitOK || r.stdout != "recorded 0, duplicate 8, rejected 0\n" {
		t.Fatalf("second import: %+v", r)
	}

	r = run(t, nil, "", "report", "--end", "2026-05-17")
	for _, want := range []string{
		"Total Alerts:           2",
		"Avg. Time to Acknowledge:    3m 00s",
		"Avg. Time to Resolve:        1h 00m",
		"Alerts Acknowledged:         2\n├─ Median (p50):             not available: 2 of 2 alert records past retention\n└─ 90th Percentile (p90):    not available\n",
		"Ash Sessions Started:         1",
		"Avg. Session Duration:       10m 00s",
		"1. <@111> - 1 acknowledgment",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("report lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, nil, "", "report", "--end", "2026-05-17", "--format", "json")
	var s struct {
		Ack struct {
			Count   int      `json:"count"`
			Avg     float64  `json:"avg_seconds"`
			P50     *float64 `json:"p50_seconds"`
			Records *int     `json:"records"`
		} `json:"time_to_acknowledge"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || s.Ack.Count != 2 || s.Ack.Avg != 180 || s.Ack.P50 != nil || s.Ack.Records == nil || *s.Ack.Records != 0 {
		t.Errorf("JSON report %+v %v:\n%s", s, err, r.stdout)
	}
}

// An alert older than the aggregate retention is rejected with the reason.
func TestImportRejectsHistoryOlderThanAggregateRetention(t *testing.T) {
	srv.Fresh(t)
	in := `{"type":"alert_created","alert_id":"o1","at":"2025-10-20T09:00:00Z","alert_message_id":"1300000000000000011","user_id":"400000000000000011","channel_id":"900000000000000001","severity":"high"}` + "\n"
	r := run(t, nil, in, "events", "import", "-")
	if r.code != ExitFailed || r.stdout != "recorded 0, duplicate 0, rejected 1\n" ||
		!strings.Contains(r.stderr, "\nline 1: alert created 2025-10-20T09:00:00Z is older than the aggregate retention (365 days): nothing of it would be kept\n") {
		t.Fatalf("%+v", r)
	}
}
