package metrics

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/events"
)

func TestTrendRanges(t *testing.T) {
	tests := []struct {
		unit              TrendUnit
		end               string
		first, last, prev string // first point's start, last point's start, the point before the last's end
	}{
		{TrendWeeks, "2026-01-07", "2025-10-16", "2026-01-01", "2025-12-31"},
		{TrendMonths, "2026-03-31", "2025-04-01", "2026-03-01", "2026-02-28"},
		{TrendMonths, "2024-03-31", "2023-04-01", "2024-03-01", "2024-02-29"}, // leap year
		{TrendMonths, "2026-12-31", "2026-01-01", "2026-12-01", "2026-11-30"},
	}
	for _, tt := range tests {
		starts, ends, err := TrendRanges(ts(tt.end+"T15:00:00Z"), tt.unit)
		if err != nil {
			t.Fatal(err)
		}
		d := func(t time.Time) string { return t.Format(time.DateOnly) }
		if len(starts) != TrendPoints || d(starts[0]) != tt.first || d(starts[TrendPoints-1]) != tt.last ||
			d(ends[TrendPoints-1]) != tt.end || d(ends[TrendPoints-2]) != tt.prev {
			t.Errorf("%s %s: starts %v ends %v", tt.unit, tt.end, starts, ends)
		}
		for i := 1; i < len(starts); i++ {
			if !starts[i].Equal(ends[i-1].AddDate(0, 0, 1)) {
				t.Errorf("%s %s: point %d starts %s after %s", tt.unit, tt.end, i, d(starts[i]), d(ends[i-1]))
			}
		}
	}
	if _, _, err := TrendRanges(now, "day"); err == nil {
		t.Error("unit day accepted")
	}
}

// Weeks with alerts give volume and median; a week whose records have
// expired keeps its volume and loses its median (a gap, not a zero); a
// week past the aggregate retention loses both.
func TestTrendWeeksWithGaps(t *testing.T) {
	end := ts("2026-03-01T00:00:00Z") // the last week is Feb 23 .. Mar 1
	f := setupAt(t, end.Add(36*time.Hour))
	ctx := context.Background()
	// Week -1 (Feb 16..22): two alerts, 1 and 5 minutes; week 0: one, 2 minutes.
	for i, a := range []struct {
		at   string
		wait time.Duration
	}{{"2026-02-16T10:00:00Z", time.Minute}, {"2026-02-22T23:00:00Z", 5 * time.Minute}, {"2026-02-25T08:00:00Z", 2 * time.Minute}, {"2026-02-09T08:00:00Z", time.Minute}} {
		id := fmt.Sprintf("t-%d", i)
		f.must(t, Recorded, created(id, a.at, events.High))
		f.must(t, Recorded, ev(events.Acknowledged, id, ts(a.at).Add(a.wait).Format(time.RFC3339), "111"))
	}
	// An unacknowledged alert counts in the volume only.
	f.must(t, Recorded, created("t-open", "2026-02-26T08:00:00Z", events.Low))
	// Week -2's record expired.
	pastRetention(t, f, "t-3")

	tr, err := f.store.Trend(ctx, end, TrendWeeks, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Unit != TrendWeeks || len(tr.Points) != TrendPoints {
		t.Fatalf("trend %+v", tr)
	}
	last, prev, prev2 := tr.Points[11], tr.Points[10], tr.Points[9]
	if last.StartDate != "2026-02-23" || deref(last.Alerts) != int64(2) || last.Acknowledged != 1 || deref(last.AckP50Seconds) != int64(120) {
		t.Errorf("last week %+v", last)
	}
	if prev.StartDate != "2026-02-16" || deref(prev.Alerts) != int64(2) || deref(prev.AckP50Seconds) != int64(60) {
		t.Errorf("week before %+v (median %v)", prev, deref(prev.AckP50Seconds))
	}
	if deref(prev2.Alerts) != int64(1) || prev2.Acknowledged != 1 || prev2.Records != 0 || prev2.AckP50Seconds != nil {
		t.Errorf("week with an expired record %+v", prev2)
	}
	if first := tr.Points[0]; deref(first.Alerts) != int64(0) || first.AckP50Seconds != nil {
		t.Errorf("empty week %+v", first)
	}

	// With 30 days of aggregate retention the weeks that reach further
	// back have no volume at all.
	tr, err = f.store.Trend(ctx, end, TrendWeeks, Retention{Aggregates: 30 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Points[0].Alerts != nil || tr.Points[7].Alerts != nil || tr.Points[8].Alerts == nil || tr.Points[11].Alerts == nil {
		t.Errorf("retention gaps: %v %v %v %v", tr.Points[0].Alerts, tr.Points[7].Alerts, tr.Points[8].Alerts, tr.Points[11].Alerts)
	}

	// Records older than the alert retention are not read: with 10 days
	// (back to Feb 20), the week of Feb 16 keeps its volume and has no
	// median; the last week still has its own.
	tr, err = f.store.Trend(ctx, end, TrendWeeks, Retention{Alerts: 10 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if p := tr.Points[10]; deref(p.Alerts) != int64(2) || p.AckP50Seconds != nil || p.Records != 1 {
		t.Errorf("week of Feb 16 past the alert retention %+v", p)
	}
	if p := tr.Points[11]; deref(p.AckP50Seconds) != int64(120) {
		t.Errorf("last week %+v", p)
	}
}

func TestTrendMonths(t *testing.T) {
	end := ts("2026-03-31T00:00:00Z")
	f := setupAt(t, end.Add(36*time.Hour))
	f.must(t, Recorded, created("m-1", "2026-02-28T23:59:00Z", events.High), created("m-2", "2026-03-01T00:01:00Z", events.High))
	tr, err := f.store.Trend(context.Background(), end, TrendMonths, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	feb, mar := tr.Points[10], tr.Points[11]
	if feb.StartDate != "2026-02-01" || feb.EndDate != "2026-02-28" || deref(feb.Alerts) != int64(1) ||
		mar.StartDate != "2026-03-01" || deref(mar.Alerts) != int64(1) || mar.AckP50Seconds != nil {
		t.Errorf("feb %+v mar %+v", feb, mar)
	}
}

// One pass gives what the two reads give apart, and refuses a coverage
// that reaches before the trend.
func TestTrendCoverageIsTrendAndCoverage(t *testing.T) {
	end := ts("2026-03-08T00:00:00Z")
	f := setupAt(t, end.Add(36*time.Hour))
	for i, at := range []string{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z", "2026-03-02T12:00:00Z", "2026-02-10T01:00:00Z"} {
		id := fmt.Sprintf("tc-%d", i)
		f.must(t, Recorded, created(id, at, events.High))
		f.must(t, Recorded, ev(events.Acknowledged, id, ts(at).Add(time.Duration(i+1)*time.Minute).Format(time.RFC3339), "111"))
	}
	ctx := context.Background()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	from := end.AddDate(0, 0, -6)
	tr, c, err := f.store.TrendCoverage(ctx, end, TrendWeeks, Retention{}, from, loc)
	if err != nil {
		t.Fatal(err)
	}
	wantTr, err := f.store.Trend(ctx, end, TrendWeeks, Retention{})
	if err != nil {
		t.Fatal(err)
	}
	wantC, err := f.store.Coverage(ctx, from, end, loc)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(tr, wantTr) || !reflect.DeepEqual(c, wantC) {
		t.Errorf("one pass differs:\n%+v\n%+v", c, wantC)
	}
	if len(cellAt(c)) != 3 {
		t.Errorf("coverage cells %v", cellAt(c))
	}
	if _, _, err := f.store.TrendCoverage(ctx, end, TrendWeeks, Retention{}, end.AddDate(0, 0, -100), loc); err == nil {
		t.Error("a coverage before the trend accepted")
	}
}
