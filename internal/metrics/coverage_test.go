package metrics

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// setupAt is setup with the clock at at, for data far from the shared now.
func setupAt(t *testing.T, at time.Time) fixture {
	t.Helper()
	rdb := srv.Fresh(t)
	clock := func() time.Time { return at }
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	return fixture{rdb: rdb, rec: rec, store: NewStore(rdb, clock)}
}

// cellAt names a coverage cell: "Sunday 01".
func cellAt(c *Coverage) map[string]CoverageCell {
	out := map[string]CoverageCell{}
	for _, d := range c.Days {
		for _, cell := range d.Hours {
			if cell.Alerts > 0 {
				out[fmt.Sprintf("%s %02d", d.Weekday, cell.Hour)] = cell
			}
		}
	}
	return out
}

// The hour of day follows the report's zone across daylight-saving
// changes: the skipped hour of a spring-forward night stays empty, the
// repeated hour of a fall-back night holds both UTC hours, and an alert
// just after UTC midnight lands on the evening before. Counts are the
// same whether they come from the alert records or, once those have
// expired, from the UTC hours of the daily aggregates; only the records
// give medians.
func TestCoverageAcrossDaylightSaving(t *testing.T) {
	tests := []struct {
		name, zone string
		from       string // first UTC day of the week
		alerts     []string
		want       map[string]int64
	}{
		{"New York spring forward", "America/New_York", "2026-03-03",
			[]string{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z", "2026-03-09T02:00:00Z", "2026-03-04T12:15:00Z"},
			map[string]int64{"Sunday 01": 1, "Sunday 03": 1, "Sunday 22": 1, "Wednesday 07": 1}},
		{"New York fall back", "America/New_York", "2026-10-27",
			[]string{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:10:00Z", "2026-11-02T03:00:00Z"},
			map[string]int64{"Sunday 01": 2, "Sunday 02": 1, "Sunday 22": 1}},
		{"London spring forward", "Europe/London", "2026-03-24",
			[]string{"2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-28T23:59:00Z"},
			map[string]int64{"Sunday 00": 1, "Sunday 02": 1, "Saturday 23": 1}},
		{"London fall back", "Europe/London", "2026-10-20",
			[]string{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z", "2026-10-20T23:30:00Z"},
			map[string]int64{"Sunday 01": 2, "Sunday 02": 1, "Wednesday 00": 1}},
		{"UTC", "UTC", "2026-10-20",
			[]string{"2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z"},
			map[string]int64{"Sunday 00": 1, "Sunday 01": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			loc, err := time.LoadLocation(tt.zone)
			if err != nil {
				t.Fatal(err)
			}
			from := ts(tt.from + "T00:00:00Z")
			to := from.AddDate(0, 0, 6)
			f := setupAt(t, to.Add(36*time.Hour))
			for i, at := range tt.alerts {
				id := fmt.Sprintf("dst-%d", i)
				f.must(t, Recorded, created(id, at, events.High))
				// Alert i waits i+1 minutes for its acknowledgment.
				f.must(t, Recorded, ev(events.Acknowledged, id, ts(at).Add(time.Duration(i+1)*time.Minute).Format(time.RFC3339), "111"))
			}
			ctx := context.Background()
			c, err := f.store.Coverage(ctx, from, to, loc)
			if err != nil {
				t.Fatal(err)
			}
			got := cellAt(c)
			check := func(path string, withMedians bool) {
				t.Helper()
				if len(got) != len(tt.want) {
					t.Errorf("%s: cells %v, want %v", path, got, tt.want)
				}
				for k, n := range tt.want {
					cell := got[k]
					if cell.Alerts != n {
						t.Errorf("%s: %s has %d alerts, want %d (all: %v)", path, k, cell.Alerts, n, got)
					}
					if cell.Complete != withMedians || (cell.AckP50Seconds != nil) != withMedians {
						t.Errorf("%s: %s complete %v median %v, want medians %v", path, k, cell.Complete, deref(cell.AckP50Seconds), withMedians)
					}
				}
			}
			check("records", true)
			if c.TimeZone != tt.zone || c.Days[0].Weekday != "Monday" || c.Days[6].Weekday != "Sunday" {
				t.Errorf("zone %s, rows %s..%s", c.TimeZone, c.Days[0].Weekday, c.Days[6].Weekday)
			}

			// Records past retention: the aggregates' UTC hours give the
			// same cells, without medians.
			for i := range tt.alerts {
				pastRetention(t, f, fmt.Sprintf("dst-%d", i))
			}
			c, err = f.store.Coverage(ctx, from, to, loc)
			if err != nil {
				t.Fatal(err)
			}
			got = cellAt(c)
			check("aggregates", false)
		})
	}
}

// The median of a cell is over its alerts only, and an unacknowledged
// alert counts without a time.
func TestCoverageMedianPerCell(t *testing.T) {
	from := ts("2026-01-05T00:00:00Z")
	f := setupAt(t, from.AddDate(0, 0, 8))
	for i, wait := range []time.Duration{time.Minute, 3 * time.Minute, 10 * time.Minute, 0} {
		id := fmt.Sprintf("m-%d", i)
		at := from.Add(9*time.Hour + time.Duration(i)*time.Minute)
		f.must(t, Recorded, created(id, at.Format(time.RFC3339), events.Medium))
		if wait > 0 {
			f.must(t, Recorded, ev(events.Acknowledged, id, at.Add(wait).Format(time.RFC3339), "111"))
		}
	}
	c, err := f.store.Coverage(context.Background(), from, from.AddDate(0, 0, 6), nil)
	if err != nil {
		t.Fatal(err)
	}
	cell := c.Days[0].Hours[9]
	if cell.Alerts != 4 || cell.Acknowledged != 3 || deref(cell.AckP50Seconds) != int64(180) || !cell.Complete {
		t.Errorf("Monday 09: %+v (median %v)", cell, deref(cell.AckP50Seconds))
	}
	if other := c.Days[0].Hours[10]; other.Alerts != 0 || other.AckP50Seconds != nil || !other.Complete {
		t.Errorf("Monday 10: %+v", other)
	}
}

// In a zone half an hour off UTC the records still place every alert
// exactly.
func TestCoverageHalfHourZoneFromRecords(t *testing.T) {
	loc, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Fatal(err)
	}
	from := ts("2026-01-05T00:00:00Z")
	f := setupAt(t, from.AddDate(0, 0, 8))
	f.must(t, Recorded, created("k-1", "2026-01-05T18:20:00Z", events.Low)) // 23:50 IST
	f.must(t, Recorded, created("k-2", "2026-01-05T18:40:00Z", events.Low)) // 00:10 IST, Tuesday
	c, err := f.store.Coverage(context.Background(), from, from.AddDate(0, 0, 6), loc)
	if err != nil {
		t.Fatal(err)
	}
	got := cellAt(c)
	if got["Monday 23"].Alerts != 1 || got["Tuesday 00"].Alerts != 1 || len(got) != 2 {
		t.Errorf("cells %v", got)
	}
}
