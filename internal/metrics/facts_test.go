package metrics

import (
	"context"
	"strings"
	"testing"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func TestPeriodOverAMonthBoundary(t *testing.T) {
	f := weekFixture(t)
	// The person the alerts are about (created's user) answers their own.
	f.mustAll(t, []events.Event{
		created("s1", "2026-01-09T08:00:00Z", events.Low),
		ev(events.Acknowledged, "s1", "2026-01-09T08:01:00Z", "555000111"),
		ev(events.Resolved, "s1", "2026-01-09T08:02:00Z", "555000111"),
	})
	s, err := f.store.Period(context.Background(), ts("2025-12-01T00:00:00Z"), ts("2026-01-31T13:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if s.StartDate != "2025-12-01" || s.EndDate != "2026-01-31" || len(s.Days) != 62 || s.TotalAlerts != 9 || len(s.Alerts) != 9 {
		t.Fatalf("%s..%s: %d days, %d alerts, %d records", s.StartDate, s.EndDate, len(s.Days), s.TotalAlerts, len(s.Alerts))
	}
	var a1, s1 *AlertFacts
	for i := range s.Alerts {
		switch s.Alerts[i].Created {
		case ts("2026-01-01T22:10:00Z"):
			a1 = &s.Alerts[i]
		case ts("2026-01-09T08:00:00Z"):
			s1 = &s.Alerts[i]
		}
	}
	want := AlertFacts{Created: ts("2026-01-01T22:10:00Z"), Severity: "high", Acknowledge: 30, AshContact: 60, FirstResponse: 120, Resolve: 1000,
		AcknowledgedBy: "111", FirstResponseBy: "222", ResolvedBy: "111", SessionEnd: 761}
	if a1 == nil || *a1 != want {
		t.Errorf("a1 = %+v, want %+v", a1, want)
	}
	if s1 == nil || s1.Acknowledge != 60 || s1.Resolve != 120 || s1.AcknowledgedBy != "" || s1.ResolvedBy != "" || s1.FirstResponse != Never {
		t.Errorf("self-handled alert = %+v: the person's own steps count but name nobody", s1)
	}
	// Every acknowledger, not only the top five; the person is not one.
	if len(s.Acknowledgers) != 4 || s.Acknowledgers[0].UserID != "111" || s.Acknowledgers[3].UserID != "999" {
		t.Errorf("acknowledgers %+v", s.Acknowledgers)
	}
}

func TestPeriodIsBounded(t *testing.T) {
	f := setup(t)
	_, err := f.store.Period(context.Background(), ts("2026-01-01T00:00:00Z"), ts("2026-04-03T00:00:00Z"))
	if err == nil || !strings.Contains(err.Error(), "1 to 92 days") {
		t.Errorf("93 days: %v", err)
	}
	if _, err := f.store.Period(context.Background(), ts("2026-01-02T00:00:00Z"), ts("2026-01-01T00:00:00Z")); err == nil {
		t.Error("a period ending before it starts was read")
	}
	s, err := f.store.Period(context.Background(), ts("2026-10-01T00:00:00Z"), ts("2026-12-31T00:00:00Z"))
	if err != nil || len(s.Days) != 92 {
		t.Errorf("a quarter of 92 days: %v", err)
	}
}
