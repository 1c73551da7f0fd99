package weekly

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
)

// BenchmarkQuarterReport is `make bench-report` (docs/benchmarks.md): the
// report of a quarter of 10,000 alerts a week, every alert record still
// there, read from Redis, built with five targets and rendered in every
// format (text, Markdown, JSON, Discord, PNG). Target: under 500 ms.
// Besides wall time it reports the CPU time of this process and of
// redis-server per report, which a loaded machine does not inflate.
func BenchmarkQuarterReport(b *testing.B) {
	rdb := srv.Fresh(b)
	quarter := report.Quarter.SpanOf(time.Date(2026, 8, 15, 0, 0, 0, 0, time.UTC))
	recNow := quarter.Last.Add(36 * time.Hour)
	rec, err := metrics.NewRecorder(rdb, metrics.RecorderOptions{Enabled: true, AlertTTL: 120 * 24 * time.Hour,
		AggregateTTL: 365 * 24 * time.Hour, Now: func() time.Time { return recNow }})
	if err != nil {
		b.Fatal(err)
	}
	n := quarter.Days() * 10_000 / 7
	seed(b, rec, quarter.First, quarter.Days(), n)
	store := metrics.NewStore(rdb, func() time.Time { return recNow })
	opts := report.Options{Version: "bench", Now: recNow, Targets: []report.Target{
		{Metric: "acknowledge", Within: 5 * time.Minute}, {Metric: "acknowledge", Severity: "critical", Within: 2 * time.Minute},
		{Metric: "first_response", Within: 15 * time.Minute}, {Metric: "resolve", Within: 2 * time.Hour},
		{Metric: "ash_contact", Severity: "high", Within: 5 * time.Minute},
	}}
	ctx := context.Background()
	runtime.GC() // the seeding's garbage is not the report's
	cpu0, redis0 := processCPU(), redisCPU(b, rdb)
	var rendering time.Duration
	b.ResetTimer()
	for range b.N {
		r, err := Build(ctx, store, quarter, opts)
		if err != nil {
			b.Fatal(err)
		}
		if r.Summary.TotalAlerts != int64(n) || !r.Targets[0].Known() || r.Load.Missing != "" {
			b.Fatalf("quarter holds %d alerts (want %d), target %+v, load %q", r.Summary.TotalAlerts, n, r.Targets[0], r.Load.Missing)
		}
		start := time.Now()
		for _, f := range []string{"text", "markdown", "json", "png"} {
			if _, err := report.Render(r, f); err != nil {
				b.Fatal(err)
			}
		}
		_ = report.Discord(r, nil)
		rendering += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(float64(rendering.Milliseconds())/float64(b.N), "render-ms/op")
	b.ReportMetric(float64((processCPU()-cpu0).Milliseconds())/float64(b.N), "bot-cpu-ms/op")
	b.ReportMetric(float64((redisCPU(b, rdb)-redis0).Milliseconds())/float64(b.N), "redis-cpu-ms/op")
	b.ReportMetric(float64(n), "alerts")
}

// seed records n alerts spread over days from first: most acknowledged,
// answered and resolved by one of twelve CRT members, some handed off.
func seed(b *testing.B, rec *metrics.Recorder, first time.Time, days, n int) {
	b.Helper()
	var wg sync.WaitGroup
	const writers = 16
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			for i := w; i < n; i += writers {
				for _, ev := range lifecycle(rng, i, first.Add(time.Duration(rng.Int64N(int64(days)*int64(24*time.Hour))).Truncate(time.Millisecond))) {
					if _, err := rec.Record(context.Background(), ev); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
}

func lifecycle(rng *rand.Rand, i int, t0 time.Time) []events.Event {
	id := strconv.Itoa(1400000000000000000 + i)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	crt := func() string { return strconv.Itoa(100000000000000000 + rng.IntN(12)) }
	es := []events.Event{{Type: events.AlertCreated, AlertID: id, At: t0, AlertMessageID: strconv.Itoa(1300000000000000000 + i),
		UserID: strconv.FormatInt(400000000000000000+rng.Int64N(1e15), 10), ChannelID: "900000000000000001", Severity: events.Severities[rng.IntN(4)]}}
	if rng.IntN(100) < 85 {
		es = append(es, events.Event{Type: events.Acknowledged, AlertID: id, At: at(30 + rng.IntN(600)), By: crt()})
	}
	if rng.IntN(100) < 55 {
		sid := fmt.Sprintf("%08x", rng.Uint32())
		reason := events.EndCompleted
		if rng.IntN(8) == 0 {
			reason = events.EndHandoff
		}
		es = append(es, events.Event{Type: events.AshContacted, AlertID: id, At: at(60 + rng.IntN(300)), By: crt()},
			events.Event{Type: events.SessionStarted, AlertID: id, At: at(400), SessionID: sid},
			events.Event{Type: events.SessionEnded, AlertID: id, At: at(500 + rng.IntN(1500)), SessionID: sid, Reason: reason})
	}
	if rng.IntN(100) < 70 {
		es = append(es, events.Event{Type: events.FirstResponse, AlertID: id, At: at(120 + rng.IntN(1800)), By: crt()})
	}
	if rng.IntN(100) < 80 {
		es = append(es, events.Event{Type: events.Resolved, AlertID: id, At: at(2100 + rng.IntN(7200)), By: crt()})
	}
	return es
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// redisCPU is redis-server's CPU time so far, from INFO cpu.
func redisCPU(b *testing.B, rdb *redis.Client) time.Duration {
	var total float64
	for _, line := range strings.Split(rdb.Info(context.Background(), "cpu").Val(), "\r\n") {
		for _, k := range []string{"used_cpu_user:", "used_cpu_sys:"} {
			if v, ok := strings.CutPrefix(line, k); ok {
				f, err := strconv.ParseFloat(v, 64)
				if err != nil {
					b.Fatalf("INFO cpu %q: %v", line, err)
				}
				total += f
			}
		}
	}
	return time.Duration(total * float64(time.Second))
}
