package weekly

import (
	"context"
	"runtime"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// BenchmarkWeeklyExtras is `make bench-extras` (docs/benchmarks.md): what
// the trend panel and the coverage by hour add to a weekly report of a
// community with 10,000 alerts a week, twelve weeks of history with every
// alert record kept: AddExtras (the 84 daily aggregates and every alert
// record's creation and acknowledgment, in one pass) and the two PNGs.
func BenchmarkWeeklyExtras(b *testing.B) {
	rdb := srv.Fresh(b)
	end := time.Date(2026, 8, 30, 0, 0, 0, 0, time.UTC)
	first := end.AddDate(0, 0, -7*metrics.TrendPoints+1)
	recNow := end.Add(36 * time.Hour)
	rec, err := metrics.NewRecorder(rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: 90 * 24 * time.Hour,
		AggregateTTL: 365 * 24 * time.Hour, Now: func() time.Time { return recNow }})
	if err != nil {
		b.Fatal(err)
	}
	days := 7 * metrics.TrendPoints
	n := days * 10_000 / 7
	seed(b, rec, first, days, n)
	store := metrics.NewStore(rdb, func() time.Time { return recNow })
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		b.Fatal(err)
	}
	base := report.Build(&metrics.Summary{StartDate: end.AddDate(0, 0, -6).Format(time.DateOnly), EndDate: end.Format(time.DateOnly)}, nil,
		report.Options{Targets: []report.Target{{Metric: "acknowledge", Within: 5 * time.Minute}}})
	opts := ExtrasOptions{Source: store, Location: loc, Retention: metrics.Retention{Alerts: 90 * 24 * time.Hour, Aggregates: 365 * 24 * time.Hour}}
	ctx := context.Background()
	runtime.GC()
	cpu0, redis0 := processCPU(), redisCPU(b, rdb)
	var rendering time.Duration
	b.ResetTimer()
	for range b.N {
		r := base
		if err := AddExtras(ctx, &r, opts); err != nil {
			b.Fatal(err)
		}
		if p := r.Trends.Trend.Points; len(p) != metrics.TrendPoints || p[0].AckP50Seconds == nil || *p[11].Alerts < 9000 {
			b.Fatalf("trend %+v", p)
		}
		start := time.Now()
		if _, err := report.PNG(r); err != nil {
			b.Fatal(err)
		}
		if _, err := report.HeatmapPNG(r); err != nil {
			b.Fatal(err)
		}
		rendering += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(rendering.Milliseconds())/float64(b.N), "render-ms/op")
	b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "bot-cpu-ms/op")
	b.ReportMetric(float64((redisCPU(b, rdb)-redis0).Milliseconds())/float64(b.N), "redis-cpu-ms/op")
	b.ReportMetric(float64(n), "alerts")
}
