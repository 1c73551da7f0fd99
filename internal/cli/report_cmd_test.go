package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

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
