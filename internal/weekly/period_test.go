package weekly

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// selfHandled is an alert the person in crisis (a CRT member too)
// acknowledged, answered and resolved themselves, after Ash handed off.
func selfHandled() []events.Event {
	id := "100000000000000009"
	return []events.Event{
		{Type: events.AlertCreated, AlertID: id, At: at("2026-01-06T23:00:00Z"), AlertMessageID: "900000000000000009",
			UserID: crisisUID, ChannelID: "777000111222333444", Severity: events.High},
		{Type: events.Acknowledged, AlertID: id, At: at("2026-01-06T23:01:00Z"), By: crisisUID},
		{Type: events.SessionStarted, AlertID: id, At: at("2026-01-06T23:02:00Z"), SessionID: "s9"},
		{Type: events.SessionEnded, AlertID: id, At: at("2026-01-06T23:05:00Z"), SessionID: "s9", Reason: events.EndHandoff},
		{Type: events.FirstResponse, AlertID: id, At: at("2026-01-06T23:06:00Z"), By: crisisUID},
		{Type: events.Resolved, AlertID: id, At: at("2026-01-06T23:30:00Z"), By: crisisUID},
	}
}

// recorder records more history at the time setup's history was recorded.
func (e *env) recorder(t *testing.T) *metrics.Recorder {
	t.Helper()
	rec, err := metrics.NewRecorder(e.rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: 90 * 24 * time.Hour,
		AggregateTTL: 365 * 24 * time.Hour, Now: func() time.Time { return time.Date(2026, 1, 12, 8, 0, 0, 0, time.UTC) }})
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

func monthReport(t *testing.T, e *env) report.Report {
	t.Helper()
	targets := []report.Target{
		{Metric: "acknowledge", Within: 5 * time.Minute},
		{Metric: "resolve", Severity: "high", Within: time.Hour},
	}
	r, err := Build(context.Background(), e.store, report.Month.SpanOf(at("2026-01-20T00:00:00Z")),
		report.Options{Version: "v-test", Targets: targets, Now: at("2026-02-02T10:00:00Z")})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A month of the store's history, through every format: the targets and
// the load are counted from the records, and the person in crisis, who
// handled their own alert, appears nowhere.
func TestMonthReportFromTheStore(t *testing.T) {
	e := setup(t, due)
	rec := e.recorder(t)
	for _, ev := range selfHandled() {
		if _, err := rec.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	r := monthReport(t, e)
	if r.Title != "Monthly Crisis Response Report" || r.Heading != "January 2026" || r.Summary.StartDate != "2026-01-01" || r.Summary.EndDate != "2026-01-31" || len(r.Summary.Days) != 31 {
		t.Fatalf("report %q %q %s..%s, %d days", r.Title, r.Heading, r.Summary.StartDate, r.Summary.EndDate, len(r.Summary.Days))
	}
	// Five alerts: acknowledged after 2m30s, 3m20s, never, 5m, 1m.
	if ack := r.Targets[0]; ack.Text != "80% (4 of 5)" {
		t.Errorf("acknowledge target %+v", ack)
	}
	// High: resolved after 65 minutes, and 30 minutes.
	if res := r.Targets[1]; res.Text != "50% (1 of 2)" {
		t.Errorf("resolve target %+v", res)
	}
	js, err := report.JSON(r)
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Targets    []map[string]any `json:"targets"`
		Responders struct {
			Handoffs  int64            `json:"handoffs"`
			TakenOver int64            `json:"handoffs_taken_over"`
			Members   []map[string]any `json:"members"`
		} `json:"responders"`
	}
	if err := json.Unmarshal(js, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Targets) != 2 || out.Targets[0]["met"] != 4.0 || out.Targets[0]["total"] != 5.0 || out.Targets[0]["share"] != 0.8 {
		t.Errorf("targets JSON %v", out.Targets)
	}
	// The handoff was taken over by the person themselves: by nobody.
	if out.Responders.Handoffs != 1 || out.Responders.TakenOver != 0 || len(out.Responders.Members) != 2 {
		t.Fatalf("responders JSON %+v", out.Responders)
	}
	a := out.Responders.Members[0]
	if a["user_id"] != crtA || a["acknowledgments"] != 2.0 || a["resolutions"] != 1.0 || a["first_responses"] != 0.0 || a["night_hour_alerts"] != 1.0 {
		t.Errorf("crtA %v", a)
	}
	b := out.Responders.Members[1]
	if b["user_id"] != crtB || b["acknowledgments"] != 1.0 || b["first_responses"] != 1.0 || b["night_hour_alerts"] != 2.0 {
		t.Errorf("crtB %v", b)
	}

	all := []string{report.Text(r), report.Markdown(r), string(js), strings.Join(report.LoadLines(r.Load), "\n")}
	dj, err := json.Marshal(report.Discord(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	all = append(all, string(dj))
	for i, s := range all {
		if strings.Contains(s, crisisUID) {
			t.Errorf("rendering %d names the person in crisis:\n%s", i, s)
		}
	}
}

// Where alert records have passed retention, targets and the load beyond
// acknowledgments say so instead of counting the records that are left.
func TestMonthReportWithExpiredRecords(t *testing.T) {
	e := setup(t, due)
	ctx := context.Background()
	const id = "100000000000000004"
	if err := e.rdb.Del(ctx, "ash:metrics:alert:"+id).Err(); err != nil {
		t.Fatal(err)
	}
	// The day's facts of each alert share the records' retention.
	days, err := e.rdb.Keys(ctx, "ash:metrics:facts:*").Result()
	if err != nil || len(days) == 0 {
		t.Fatalf("facts keys %v: %v", days, err)
	}
	for _, k := range days {
		e.rdb.HDel(ctx, k, id)
	}
	r := monthReport(t, e)
	if ack := r.Targets[0]; ack.Known() || ack.Missing != "1 of 4 alert records past retention" {
		t.Errorf("acknowledge target %+v", ack)
	}
	// The high alert's record is still there: that target is exact.
	if res := r.Targets[1]; res.Text != "0% (0 of 1)" {
		t.Errorf("resolve target %+v", res)
	}
	if r.Load.Missing == "" || r.Load.Members[0].FirstResponses != nil || r.Load.Members[0].Acknowledgments != 2 {
		t.Errorf("load %+v", r.Load)
	}
	if md := report.Markdown(r); !strings.Contains(md, "| Acknowledge | All alerts | 5m 00s | not available | – |") {
		t.Errorf("markdown:\n%s", md)
	}
}
