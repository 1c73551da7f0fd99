package report

import (
	"strings"
	"testing"
	"time"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestSpanOf(t *testing.T) {
	cases := []struct {
		period      Period
		end         string
		first, last string
		before      string // first day of the period before
		days        int
		label, id   string
	}{
		{Week, "2026-01-07", "2026-01-01", "2026-01-07", "2025-12-25", 7, "Week of January 1 - January 7, 2026", "2026-01-07"},
		{Week, "2026-01-03", "2025-12-28", "2026-01-03", "2025-12-21", 7, "Week of December 28, 2025 - January 3, 2026", "2026-01-03"},
		{Week, "2028-03-02", "2028-02-25", "2028-03-02", "2028-02-18", 7, "Week of February 25 - March 2, 2028", "2028-03-02"}, // over a leap day
		{Month, "2026-11-15", "2026-11-01", "2026-11-30", "2026-10-01", 30, "November 2026", "2026-11"},
		{Month, "2026-12-31", "2026-12-01", "2026-12-31", "2026-11-01", 31, "December 2026", "2026-12"},
		{Month, "2027-01-01", "2027-01-01", "2027-01-31", "2026-12-01", 31, "January 2027", "2027-01"},  // previous month is last year
		{Month, "2028-02-10", "2028-02-01", "2028-02-29", "2028-01-01", 29, "February 2028", "2028-02"}, // leap year
		{Month, "2026-02-28", "2026-02-01", "2026-02-28", "2026-01-01", 28, "February 2026", "2026-02"},
		{Month, "2028-03-31", "2028-03-01", "2028-03-31", "2028-02-01", 31, "March 2028", "2028-03"}, // before is the leap February
		{Quarter, "2026-01-01", "2026-01-01", "2026-03-31", "2025-10-01", 90, "Q1 2026 (January 1 - March 31, 2026)", "2026-Q1"},
		{Quarter, "2028-02-29", "2028-01-01", "2028-03-31", "2027-10-01", 91, "Q1 2028 (January 1 - March 31, 2028)", "2028-Q1"}, // leap
		{Quarter, "2026-06-30", "2026-04-01", "2026-06-30", "2026-01-01", 91, "Q2 2026 (April 1 - June 30, 2026)", "2026-Q2"},
		{Quarter, "2026-07-01", "2026-07-01", "2026-09-30", "2026-04-01", 92, "Q3 2026 (July 1 - September 30, 2026)", "2026-Q3"},
		{Quarter, "2026-12-31", "2026-10-01", "2026-12-31", "2026-07-01", 92, "Q4 2026 (October 1 - December 31, 2026)", "2026-Q4"},
	}
	for _, c := range cases {
		s := c.period.SpanOf(day(c.end))
		if !s.First.Equal(day(c.first)) || !s.Last.Equal(day(c.last)) {
			t.Errorf("%s of %s = %s..%s, want %s..%s", c.period, c.end, s.First.Format(time.DateOnly), s.Last.Format(time.DateOnly), c.first, c.last)
		}
		if b := s.Before(); !b.First.Equal(day(c.before)) || !b.Last.Equal(s.First.AddDate(0, 0, -1)) || b.Period != c.period {
			t.Errorf("%s of %s: before = %+v, want from %s to the day before %s", c.period, c.end, b, c.before, c.first)
		}
		if s.Days() != c.days || s.Label() != c.label || s.ID() != c.id {
			t.Errorf("%s of %s: %d days %q %q, want %d %q %q", c.period, c.end, s.Days(), s.Label(), s.ID(), c.days, c.label, c.id)
		}
	}
}

func TestSpanOfIgnoresTheTimeOfDayAndZone(t *testing.T) {
	// 2026-03-31 23:30 in New York is 2026-04-01 in UTC: the second quarter.
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	s := Quarter.SpanOf(time.Date(2026, 3, 31, 23, 30, 0, 0, ny))
	if s.ID() != "2026-Q2" {
		t.Errorf("quarter = %s, want 2026-Q2", s.ID())
	}
}

func TestLastBeforeAndEnded(t *testing.T) {
	cases := []struct {
		period Period
		now    string
		id     string
	}{
		{Week, "2026-01-08T09:00:00Z", "2026-01-07"},
		{Month, "2026-12-01T00:00:00Z", "2026-11"},
		{Month, "2026-12-31T23:59:59Z", "2026-11"},
		{Month, "2027-01-01T00:00:00Z", "2026-12"},
		{Quarter, "2026-01-01T00:00:01Z", "2025-Q4"},
		{Quarter, "2026-03-31T12:00:00Z", "2025-Q4"},
		{Quarter, "2026-04-01T00:00:00Z", "2026-Q1"},
	}
	for _, c := range cases {
		now, _ := time.Parse(time.RFC3339, c.now)
		s := c.period.LastBefore(now)
		if s.ID() != c.id || !s.Ended(now) {
			t.Errorf("%s before %s = %s (ended %v), want %s, ended", c.period, c.now, s.ID(), s.Ended(now), c.id)
		}
	}
	now, _ := time.Parse(time.RFC3339, "2026-11-30T23:00:00Z")
	if Month.SpanOf(now).Ended(now) {
		t.Error("November has ended on its last day")
	}
	if !Month.SpanOf(now).Ended(now.Add(time.Hour)) {
		t.Error("November has not ended on December 1")
	}
}

func TestParsePeriod(t *testing.T) {
	for in, want := range map[string]Period{"": Week, "week": Week, "Month": Month, " QUARTER ": Quarter} {
		if got, err := ParsePeriod(in); err != nil || got != want {
			t.Errorf("ParsePeriod(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := ParsePeriod("year"); err == nil {
		t.Error("year accepted")
	}
}

func TestChoose(t *testing.T) {
	now := time.Date(2026, 12, 4, 20, 0, 0, 0, time.UTC)
	cases := []struct {
		period Period
		end    string
		id     string
		err    string
	}{
		{Week, "", "2026-12-03", ""},
		{Week, "2026-12-04", "2026-12-04", ""}, // today: the weekly report always allowed it
		{Month, "", "2026-11", ""},
		{Month, "2026-11-30", "2026-11", ""},
		{Month, "2026-02-14", "2026-02", ""},
		{Month, "2026-12-01", "", "December 2026 has not ended yet, and a month report covers a whole month: the last whole one is November 2026 (end date 2026-11-30)"},
		{Quarter, "", "2026-Q3", ""},
		{Quarter, "2026-11-30", "", "Q4 2026 (October 1 - December 31, 2026) has not ended yet"},
	}
	for _, c := range cases {
		var end time.Time
		if c.end != "" {
			end = day(c.end)
		}
		s, err := Choose(c.period, end, now)
		switch {
		case c.err != "" && (err == nil || !strings.HasPrefix(err.Error(), c.err)):
			t.Errorf("%s %q: error %v, want %q", c.period, c.end, err, c.err)
		case c.err == "" && (err != nil || s.ID() != c.id):
			t.Errorf("%s %q = %s, %v; want %s", c.period, c.end, s.ID(), err, c.id)
		}
	}
}

// The volunteer load as /ash report responders:true lists it, complete
// and with expired records.
func TestLoadGolden(t *testing.T) {
	for name, s := range map[string]func() Report{
		"targets":         func() Report { return Build(targetWeek(), targetPrevWeek(), targetOptions()) },
		"targets-expired": func() Report { return Build(expiredWeek(), nil, targetOptions()) },
	} {
		r := s()
		golden(t, name+".load.txt", []byte(strings.Join(LoadLines(r.Load), "\n")+"\n"))
	}
}

func TestNightHour(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	for _, c := range []struct {
		at    string
		loc   *time.Location
		night bool
	}{
		{"2026-01-01T21:59:59Z", nil, false},
		{"2026-01-01T22:00:00Z", nil, true},
		{"2026-01-02T05:59:59Z", nil, true},
		{"2026-01-02T06:00:00Z", nil, false},
		{"2026-01-02T03:30:00Z", ny, true},  // 22:30 in New York
		{"2026-01-02T11:30:00Z", ny, false}, // 06:30
		{"2026-07-02T10:30:00Z", ny, false}, // 06:30 in summer time
		{"2026-07-02T09:30:00Z", ny, true},  // 05:30
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		if got := NightHour(at, c.loc); got != c.night {
			t.Errorf("NightHour(%s, %v) = %v", c.at, c.loc, got)
		}
	}
}
