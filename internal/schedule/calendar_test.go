package schedule_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/schedule"
)

func utc(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, time.UTC)
}

func TestDailyEveryHour(t *testing.T) {
	for hour := range 24 {
		cal, err := schedule.Daily(hour)
		if err != nil {
			t.Fatal(err)
		}
		due := utc(2026, time.January, 5, hour, 0)
		cases := []struct {
			name     string
			now      time.Time
			wantDue  time.Time
			wantID   string
			wantNext time.Time
		}{
			{"exactly at due", due, due, "2026-01-05", due.AddDate(0, 0, 1)},
			{"one ns before", due.Add(-time.Nanosecond), due.AddDate(0, 0, -1), "2026-01-04", due},
			{"one ns after", due.Add(time.Nanosecond), due, "2026-01-05", due.AddDate(0, 0, 1)},
			{"last ns of period", due.AddDate(0, 0, 1).Add(-time.Nanosecond), due, "2026-01-05", due.AddDate(0, 0, 1)},
		}
		for _, c := range cases {
			t.Run(fmt.Sprintf("h%02d/%s", hour, c.name), func(t *testing.T) {
				p := cal.Due(c.now)
				if !p.Due.Equal(c.wantDue) || p.ID != c.wantID || !p.End.Equal(c.wantDue.AddDate(0, 0, 1)) {
					t.Errorf("Due(%v) = %+v, want due %v id %s", c.now, p, c.wantDue, c.wantID)
				}
				if got := cal.Next(c.now); !got.Equal(c.wantNext) {
					t.Errorf("Next(%v) = %v, want %v", c.now, got, c.wantNext)
				}
			})
		}
	}
}

func TestDailyBoundaries(t *testing.T) {
	cal, _ := schedule.Daily(3)
	cases := []struct {
		now    time.Time
		wantID string
	}{
		{utc(2026, time.January, 1, 2, 59), "2025-12-31"},
		{utc(2028, time.March, 1, 0, 0), "2028-02-29"},
		// Time zones must not matter: 04:00 in UTC+5 is 23:00 UTC the day before.
		{time.Date(2026, time.January, 5, 4, 0, 0, 0, time.FixedZone("X", 5*3600)), "2026-01-04"},
	}
	for _, c := range cases {
		if got := cal.Due(c.now).ID; got != c.wantID {
			t.Errorf("Due(%v).ID = %s, want %s", c.now, got, c.wantID)
		}
	}
}

func TestWeeklyEveryDayAndHour(t *testing.T) {
	// 2026-01-05 is a Monday; the week of it holds one date per weekday.
	monday := utc(2026, time.January, 5, 0, 0)
	for offset := range 7 {
		date := monday.AddDate(0, 0, offset)
		for hour := range 24 {
			cal, err := schedule.Weekly(date.Weekday(), hour)
			if err != nil {
				t.Fatal(err)
			}
			due := date.Add(time.Duration(hour) * time.Hour)
			week := due.AddDate(0, 0, 7)
			cases := []struct {
				name     string
				now      time.Time
				wantDue  time.Time
				wantNext time.Time
			}{
				{"exactly at due", due, due, week},
				{"one ns before", due.Add(-time.Nanosecond), due.AddDate(0, 0, -7), due},
				{"one ns after", due.Add(time.Nanosecond), due, week},
				{"last ns of period", week.Add(-time.Nanosecond), due, week},
			}
			for _, c := range cases {
				t.Run(fmt.Sprintf("%s/h%02d/%s", date.Weekday(), hour, c.name), func(t *testing.T) {
					p := cal.Due(c.now)
					y, w := c.wantDue.ISOWeek()
					if !p.Due.Equal(c.wantDue) || !p.End.Equal(c.wantDue.AddDate(0, 0, 7)) ||
						p.ID != fmt.Sprintf("%04d-W%02d", y, w) {
						t.Errorf("Due(%v) = %+v, want due %v", c.now, p, c.wantDue)
					}
					if got := cal.Next(c.now); !got.Equal(c.wantNext) {
						t.Errorf("Next(%v) = %v, want %v", c.now, got, c.wantNext)
					}
				})
			}
		}
	}
}

func TestWeeklyIDsAcrossYearEnd(t *testing.T) {
	cal, _ := schedule.Weekly(time.Monday, 9)
	cases := []struct {
		now    time.Time
		wantID string
	}{
		{utc(2027, time.January, 1, 12, 0), "2026-W53"},
		{utc(2027, time.January, 4, 9, 0), "2027-W01"},
		{utc(2026, time.January, 5, 8, 59), "2026-W01"},
		{utc(2026, time.January, 5, 9, 0), "2026-W02"},
	}
	for _, c := range cases {
		if got := cal.Due(c.now).ID; got != c.wantID {
			t.Errorf("Due(%v).ID = %s, want %s", c.now, got, c.wantID)
		}
	}
}

func TestCalendarValidation(t *testing.T) {
	for _, h := range []int{-1, 24} {
		if _, err := schedule.Daily(h); err == nil {
			t.Errorf("Daily(%d) accepted", h)
		}
		if _, err := schedule.Weekly(time.Monday, h); err == nil {
			t.Errorf("Weekly(Monday, %d) accepted", h)
		}
	}
	if _, err := schedule.Weekly(time.Weekday(7), 3); err == nil {
		t.Error("Weekly(7, 3) accepted")
	}
}
