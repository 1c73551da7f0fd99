package metrics

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// The benchmarks behind docs/benchmarks.md; run them with `make bench`.

// mix generates one realistic alert's lifecycle: every alert is created;
// most are acknowledged and resolved; about half reach Ash (a third of
// those automatically), some of whom opt out.
func mix(rng *rand.Rand, id string, t0 time.Time) []events.Event {
	sev := events.Severities[rng.IntN(4)]
	at := func(s int) time.Time {
		return t0.Add(time.Duration(s)*time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
	}
	crt := func() string { return strconv.Itoa(100000000000000000 + rng.IntN(12)) }
	es := []events.Event{{Type: events.AlertCreated, AlertID: id, At: t0,
		AlertMessageID: strconv.FormatInt(1300000000000000000+t0.UnixNano()/1000, 10), UserID: strconv.FormatInt(400000000000000000+rng.Int64N(1e15), 10),
		ChannelID: "900000000000000001", Severity: sev}}
	if rng.IntN(100) < 85 {
		es = append(es, events.Event{Type: events.Acknowledged, AlertID: id, At: at(30 + rng.IntN(600)), By: crt()})
	}
	if rng.IntN(100) < 55 {
		auto := rng.IntN(3) == 0
		by := crt()
		sid := fmt.Sprintf("%08x", rng.Uint32()) // the bot mints short random session ids
		if auto {
			by = events.AutoBy
		}
		es = append(es,
			events.Event{Type: events.AshContacted, AlertID: id, At: at(60 + rng.IntN(300)), By: by, Auto: auto},
			events.Event{Type: events.SessionStarted, AlertID: id, At: at(400), SessionID: sid})
		reason := events.EndCompleted
		if rng.IntN(10) == 0 {
			es = append(es, events.Event{Type: events.UserOptedOut, AlertID: id, At: at(450)})
			reason = events.EndOptedOut
		}
		es = append(es, events.Event{Type: events.SessionEnded, AlertID: id, At: at(500 + rng.IntN(1500)), SessionID: sid, Reason: reason})
	}
	if rng.IntN(100) < 70 {
		es = append(es, events.Event{Type: events.FirstResponse, AlertID: id, At: at(120 + rng.IntN(900)), By: crt()})
	}
	if rng.IntN(100) < 80 {
		es = append(es, events.Event{Type: events.Resolved, AlertID: id, At: at(2100 + rng.IntN(3600)), By: crt()})
	}
	return es
}

// workload builds n alerts spread over the days before now.
func workload(n, days int) [][]events.Event {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([][]events.Event, n)
	base := now.Add(-time.Duration(days) * 24 * time.Hour).Truncate(24 * time.Hour)
	for i := range out {
		t0 := base.Add(time.Duration(rng.Int64N(int64(days) * int64(24*time.Hour))))
		out[i] = mix(rng, fmt.Sprintf("%d", 1400000000000000000+int64(i)), t0.Truncate(time.Millisecond))
	}
	return out
}

// roundTrips counts the network round trips go-redis makes.
type roundTrips struct{ n atomic.Int64 }

func (r *roundTrips) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *roundTrips) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error { r.n.Add(1); return next(ctx, cmd) }
}
func (r *roundTrips) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error { r.n.Add(1); return next(ctx, cmds) }
}

func benchRecord(b *testing.B, writers int) {
	rdb := srv.Fresh(b)
	rt := &roundTrips{}
	rdb.AddHook(rt)
	rec, err := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	if err != nil {
		b.Fatal(err)
	}
	alerts := workload(max(b.N/4, 100), 60)
	var next atomic.Int64
	var recorded atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	b.SetParallelism((writers + 1) / 2) // GOMAXPROCS is 2 on the reference machine
	b.RunParallel(func(pb *testing.PB) {
		var queue []events.Event
		for pb.Next() {
			if len(queue) == 0 {
				i := int(next.Add(1)-1) % len(alerts)
				queue = alerts[i]
			}
			if _, err := rec.Record(ctx, queue[0]); err != nil && !IsRejected(err) {
				b.Error(err)
				return
			}
			queue = queue[1:]
			recorded.Add(1)
		}
	})
	el := time.Since(start)
	b.ReportMetric(float64(recorded.Load())/el.Seconds(), "events/s")
	b.ReportMetric(float64(rt.n.Load())/float64(recorded.Load()), "roundtrips/event")
}

func BenchmarkRecord1Writer(b *testing.B)   { benchRecord(b, 1) }
func BenchmarkRecord16Writers(b *testing.B) { benchRecord(b, 16) }

// BenchmarkRedisHSETReference runs redis-benchmark against the same server,
// so the recorder's figures can be read against what Redis itself does here.
func BenchmarkRedisHSETReference(b *testing.B) {
	_, port, _ := net.SplitHostPort(srv.Addr)
	for range b.N {
		out, err := exec.Command("redis-benchmark", "-h", "127.0.0.1", "-p", port, "-t", "hset", "-c", "16", "-n", "200000", "-q").CombinedOutput()
		if err != nil {
			b.Fatalf("redis-benchmark: %v: %s", err, out)
		}
		m := regexp.MustCompile(`HSET: ([0-9.]+) requests per second`).FindSubmatch(out)
		if m == nil {
			b.Fatalf("redis-benchmark output: %s", out)
		}
		rps, _ := strconv.ParseFloat(string(m[1]), 64)
		b.ReportMetric(rps, "hset/s")
	}
}

// BenchmarkMemoryPerAlert records 100,000 alerts with their lifecycles and
// reports Redis used_memory growth per alert, all keys together.
func BenchmarkMemoryPerAlert(b *testing.B) {
	const n = 100_000
	for range b.N {
		rdb := srv.Fresh(b)
		rec, _ := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
		ctx := context.Background()
		before := usedMemory(b, rdb)
		alerts := workload(n, 70) // about 10,000 alerts a week
		recordAll(b, rec, alerts, 16)
		after := usedMemory(b, rdb)
		b.ReportMetric(float64(after-before)/n, "bytes/alert")
		keys := rdb.DBSize(ctx).Val()
		b.ReportMetric(float64(keys)/n, "keys/alert")
	}
}

// BenchmarkWeeklyReport10k builds the weekly summary of a week of 10,000 alerts.
func BenchmarkWeeklyReport10k(b *testing.B) {
	rdb := srv.Fresh(b)
	rec, _ := NewRecorder(rdb, RecorderOptions{Enabled: true, AlertTTL: alertTTL, AggregateTTL: aggTTL, Now: func() time.Time { return now }})
	recordAll(b, rec, workload(10_000, 7), 16)
	store := NewStore(rdb, func() time.Time { return now })
	end := now.AddDate(0, 0, -1)
	b.ResetTimer()
	for range b.N {
		s, err := store.Weekly(context.Background(), end)
		if err != nil {
			b.Fatal(err)
		}
		if s.TotalAlerts < 9000 || s.TimeToAcknowledge.P90Seconds == nil {
			b.Fatalf("week holds %d alerts, p90 %v", s.TotalAlerts, s.TimeToAcknowledge.P90Seconds)
		}
	}
}

func recordAll(b *testing.B, rec *Recorder, alerts [][]events.Event, writers int) {
	var next atomic.Int64
	done := make(chan struct{})
	for range writers {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				i := int(next.Add(1) - 1)
				if i >= len(alerts) {
					return
				}
				for _, e := range alerts[i] {
					if _, err := rec.Record(context.Background(), e); err != nil {
						b.Error(err)
						return
					}
				}
			}
		}()
	}
	for range writers {
		<-done
	}
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info := rdb.Info(context.Background(), "memory").Val()
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}
