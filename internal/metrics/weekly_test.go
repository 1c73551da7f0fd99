package metrics

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func weekFixture(t *testing.T) fixture {
	f := setup(t)
	f.mustAll(t, weekEvents())
	return f
}

func (f fixture) mustAll(t *testing.T, es []events.Event) {
	t.Helper()
	f.must(t, Recorded, es...)
}

// weekEvents is a week (2026-01-01..07) with one alert on each side of it.
func weekEvents() []events.Event {
	sess := func(typ events.Type, id, at, sid string, why events.EndReason) events.Event {
		return events.Event{Type: typ, AlertID: id, At: ts(at), SessionID: sid, Reason: why}
	}
	return []events.Event{
		created("w0", "2025-12-31T23:59:59Z", events.High), // the day before the week
		ev(events.Acknowledged, "w0", "2026-01-01T00:00:10Z", "999"),

		created("a1", "2026-01-01T22:10:00Z", events.High),
		ev(events.Acknowledged, "a1", "2026-01-01T22:10:30Z", "111"),
		ev(events.AshContacted, "a1", "2026-01-01T22:11:00Z", "111"),
		sess(events.SessionStarted, "a1", "2026-01-01T22:11:01Z", "s1", ""),
		ev(events.FirstResponse, "a1", "2026-01-01T22:12:00Z", "222"),
		sess(events.SessionEnded, "a1", "2026-01-01T22:22:41Z", "s1", events.EndCompleted),
		ev(events.Resolved, "a1", "2026-01-01T22:26:40Z", "111"),
		{Type: events.FollowupSent, AlertID: "a1", At: ts("2026-01-02T22:30:00Z")},
		sess(events.FollowupAnswered, "a1", "2026-01-02T23:00:00Z", "s1b", ""),

		created("a2", "2026-01-01T22:40:00Z", events.Medium),
		ev(events.Acknowledged, "a2", "2026-01-01T22:41:30Z", "222"),
		ev(events.AshContacted, "a2", "2026-01-01T22:43:00Z", "auto"),
		sess(events.SessionStarted, "a2", "2026-01-01T22:43:00Z", "s2", ""),
		events.Event{Type: events.UserOptedOut, AlertID: "a2", At: ts("2026-01-01T22:43:20Z")},
		sess(events.SessionEnded, "a2", "2026-01-01T22:43:20Z", "s2", events.EndOptedOut),
		{Type: events.FollowupSent, AlertID: "a2", At: ts("2026-01-02T22:45:00Z")},

		created("a3", "2026-01-03T10:05:00Z", events.Low),
		ev(events.Acknowledged, "a3", "2026-01-03T10:07:30Z", "222"),

		created("a4", "2026-01-03T22:00:00Z", events.Critical),
		{Type: events.Escalated, AlertID: "a4", At: ts("2026-01-03T22:02:00Z"), Level: events.EscalationTeam},
		{Type: events.Escalated, AlertID: "a4", At: ts("2026-01-03T22:04:00Z"), Level: events.EscalationLeads},
		ev(events.Acknowledged, "a4", "2026-01-03T22:05:00Z", "333"),
		ev(events.AshContacted, "a4", "2026-01-03T22:00:45Z", "333"),
		sess(events.SessionStarted, "a4", "2026-01-03T22:00:45Z", "s4", ""),
		sess(events.SessionEnded, "a4", "2026-01-03T22:17:25Z", "s4", events.EndTimeout),

		created("a5", "2026-01-07T00:00:00Z", events.Medium),
		// Found late after downtime: only the second level is posted.
		{Type: events.Escalated, AlertID: "a5", At: ts("2026-01-07T04:00:00Z"), Level: events.EscalationLeads},
		created("a6", "2026-01-07T10:30:00Z", events.Low),
		ev(events.Acknowledged, "a6", "2026-01-07T10:40:00.5Z", "111"),

		created("a7", "2026-01-08T00:00:00Z", events.Critical), // the day after
		// Escalated, but counted on the day before the week.
		{Type: events.Escalated, AlertID: "w0", At: ts("2026-01-01T00:00:05Z"), Level: events.EscalationTeam},
	}
}

const wantWeek = `{
  "start_date": "2026-01-01", "end_date": "2026-01-07",
  "total_alerts": 6,
  "by_severity": {"critical": 1, "high": 1, "medium": 2, "low": 2},
  "time_to_acknowledge":    {"count": 5, "avg_seconds": 234, "p50_seconds": 150, "p90_seconds": 600, "records": 5},
  "time_to_ash_contact":    {"count": 3, "avg_seconds": 95, "p50_seconds": 60, "p90_seconds": 180, "records": 3},
  "time_to_first_response": {"count": 1, "avg_seconds": 120, "p50_seconds": 120, "p90_seconds": 120, "records": 1},
  "time_to_resolve":        {"count": 1, "avg_seconds": 1000, "p50_seconds": 1000, "p90_seconds": 1000, "records": 1},
  "ash": {"sessions_started": 3, "manual": 2, "auto_initiated": 1, "user_opted_out": 1,
          "sessions_completed": 2, "avg_session_seconds": 850,
          "followups_sent": 2, "followups_answered": 1},
  "escalations": {"alerts": 2, "by_severity": {"critical": 1, "high": 0, "medium": 1, "low": 0}, "to_leads": 2},
  "peak_day": {"date": "2026-01-01", "weekday": "Thursday", "alerts": 2},
  "peak_hour": {"hour": 22, "alerts": 3},
  "top_responders": [{"user_id": "111", "acknowledgments": 2}, {"user_id": "222", "acknowledgments": 2},
                     {"user_id": "333", "acknowledgments": 1}]
}`

// contract drops the per-day breakdown so the comparison is against the
// documented contract of product.md section 3.
func contract(t *testing.T, s *Summary) map[string]any {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	delete(m, "days")
	return m
}

func jsonEqual(t *testing.T, got map[string]any, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatal(err)
	}
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("summary\n got %s\nwant %s", gb, wb)
	}
}

func TestWeeklySummary(t *testing.T) {
	f := weekFixture(t)
	s, err := f.store.Weekly(context.Background(), ts("2026-01-07T15:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, contract(t, s), wantWeek)
	if len(s.Days) != 7 || s.Days[0].Date != "2026-01-01" || s.Days[2].BySeverity.Critical != 1 || s.Days[1].Recorded {
		t.Errorf("days = %+v", s.Days)
	}
}

func TestWeeklyWithoutAlertRecordsKeepsCountsAndAverages(t *testing.T) {
	f := weekFixture(t)
	ctx := context.Background()
	// As if the alert records (and their days' facts, which share their
	// retention) had passed it while aggregates live.
	for id, day := range map[string]string{"a3": "2026-01-03T00:00:00Z", "a6": "2026-01-07T00:00:00Z"} {
		f.rdb.Del(ctx, alertKey(id))
		f.rdb.HDel(ctx, factsKey(ts(day)), id)
	}
	s, err := f.store.Weekly(ctx, ts("2026-01-07T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	ack := s.TimeToAcknowledge
	if ack.Count != 5 || *ack.AvgSeconds != 234 || ack.P50Seconds != nil || ack.P90Seconds != nil || ack.Records != 3 {
		t.Errorf("ack = %+v", ack)
	}
	// The other durations still have all of their records.
	if s.TimeToAshContact.P50Seconds == nil || *s.TimeToAshContact.P50Seconds != 60 {
		t.Errorf("ash = %+v", s.TimeToAshContact)
	}
}

func TestEmptyWeek(t *testing.T) {
	f := weekFixture(t)
	s, err := f.store.Weekly(context.Background(), ts("2025-12-24T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, contract(t, s), `{
	  "start_date": "2025-12-18", "end_date": "2025-12-24", "total_alerts": 0,
	  "by_severity": {"critical": 0, "high": 0, "medium": 0, "low": 0},
	  "time_to_acknowledge":    {"count": 0, "avg_seconds": null, "p50_seconds": null, "p90_seconds": null, "records": 0},
	  "time_to_ash_contact":    {"count": 0, "avg_seconds": null, "p50_seconds": null, "p90_seconds": null, "records": 0},
	  "time_to_first_response": {"count": 0, "avg_seconds": null, "p50_seconds": null, "p90_seconds": null, "records": 0},
	  "time_to_resolve":        {"count": 0, "avg_seconds": null, "p50_seconds": null, "p90_seconds": null, "records": 0},
	  "ash": {"sessions_started": 0, "manual": 0, "auto_initiated": 0, "user_opted_out": 0,
	          "sessions_completed": 0, "avg_session_seconds": null, "followups_sent": 0, "followups_answered": 0},
	  "escalations": {"alerts": 0, "by_severity": {"critical": 0, "high": 0, "medium": 0, "low": 0}, "to_leads": 0},
	  "peak_day": null, "peak_hour": null, "top_responders": []}`)
}

func TestPeakTiesGoToTheEarliest(t *testing.T) {
	f := setup(t)
	f.must(t, Recorded,
		created("x1", "2026-01-06T05:00:00Z", events.Low),
		created("x2", "2026-01-05T03:00:00Z", events.Low),
	)
	s, err := f.store.Weekly(context.Background(), ts("2026-01-07T00:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if s.PeakDay.Date != "2026-01-05" || s.PeakDay.Weekday != "Monday" || s.PeakHour.Hour != 3 || s.PeakHour.Alerts != 1 {
		t.Errorf("peak day %+v hour %+v", s.PeakDay, s.PeakHour)
	}
}

func TestNearestRank(t *testing.T) {
	cases := []struct {
		vals []int64
		pct  int
		want int64
	}{
		{[]int64{7}, 50, 7},
		{[]int64{7}, 90, 7},
		{[]int64{1, 2}, 50, 1},
		{[]int64{1, 2}, 90, 2},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 50, 5},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10},
		{[]int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 50, 6},
	}
	for _, c := range cases {
		if got := *nearestRank(c.vals, c.pct); got != c.want {
			t.Errorf("p%d of %v = %d, want %d", c.pct, c.vals, got, c.want)
		}
	}
}
