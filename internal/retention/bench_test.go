package retention

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// BenchmarkCleanup measures one cleanup pass over a mixed keyspace.
//
// Sizes come from ASHBOT_BENCH_SIZES (default "100000"; `make
// bench-retention` runs "100000 1000000"); the server from
// ASHBOT_BENCH_REDIS_ADDR, else the test binary's private one. Besides
// ns/op it reports keys/s, the process's peak RSS during the pass
// (VmHWM, reset just before it), the Go heap's peak, and the slowest
// command Redis logged (SLOWLOG, threshold 10 ms).
func BenchmarkCleanup(b *testing.B) {
	sizes := strings.Fields(os.Getenv("ASHBOT_BENCH_SIZES"))
	if len(sizes) == 0 {
		sizes = []string{"100000"}
	}
	addr := os.Getenv("ASHBOT_BENCH_REDIS_ADDR")
	if addr == "" {
		addr = srv.Addr
	}
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	ctx := context.Background()
	for _, s := range sizes {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatalf("ASHBOT_BENCH_SIZES: %v", err)
		}
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				now := time.Now().UTC()
				buildStart := time.Now()
				if err := buildDataset(ctx, rdb, n, now); err != nil {
					b.Fatal(err)
				}
				keys := rdb.DBSize(ctx).Val()
				build := time.Since(buildStart)
				c, err := NewCleaner(rdb, Config{Retentions: testRetentions, Clock: fixedClock(now),
					Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
				if err != nil {
					b.Fatal(err)
				}
				rdb.ConfigSet(ctx, "slowlog-log-slower-than", "10000")
				rdb.Do(ctx, "SLOWLOG", "RESET")
				debug.FreeOSMemory()
				resetPeakRSS(b)
				sampler := startHeapSampler()

				b.StartTimer()
				began := time.Now()
				rep, err := c.Run(ctx, Options{})
				wall := time.Since(began)
				b.StopTimer()

				peakHeap := sampler.stop()
				if err != nil {
					b.Fatal(err)
				}
				slow, err := rdb.SlowLogGet(ctx, 128).Result()
				if err != nil {
					b.Fatal(err)
				}
				var slowest time.Duration
				for _, e := range slow {
					slowest = max(slowest, e.Duration)
					b.Logf("slowlog: %s %q", e.Duration, e.Args)
				}
				hwm := peakRSS(b)
				b.ReportMetric(float64(keys)/wall.Seconds(), "keys/s")
				b.ReportMetric(float64(hwm)/(1<<20), "peak_rss_MiB")
				b.ReportMetric(float64(peakHeap)/(1<<20), "peak_heap_MiB")
				b.ReportMetric(float64(slowest.Microseconds()), "slowlog_max_us")
				b.Logf("keys=%d build=%s cleanup=%s keys/s=%.0f peak_rss=%.1fMiB peak_heap=%.1fMiB slowlog_entries=%d slowlog_max=%s totals=%+v",
					keys, build.Round(time.Millisecond), wall.Round(time.Millisecond), float64(keys)/wall.Seconds(),
					float64(hwm)/(1<<20), float64(peakHeap)/(1<<20), len(slow), slowest, rep.Totals)
			}
		})
	}
}

// buildDataset writes about n keys of every category and state, pipelined
// from a few goroutines: 30% alert records, 15% lookups, 20% message
// histories, 10% opt-outs, 15% sessions, 10% keys cleanup must ignore, plus
// two years of daily aggregates. A third of each category is healthy, a
// third lacks its TTL, a third is past retention.
func buildDataset(ctx context.Context, rdb *redis.Client, n int, now time.Time) error {
	if err := rdb.FlushDB(ctx).Err(); err != nil {
		return err
	}
	ms := func(ago time.Duration) int64 { return now.Add(-ago).UnixMilli() }
	const workers, chunk = 4, 1000
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for start := w * chunk; start < n; start += workers * chunk {
				_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
					for i := start; i < min(start+chunk, n); i++ {
						state := (i / 20) % 3 // 0 healthy, 1 no TTL, 2 past retention
						id := strconv.Itoa(i)
						switch i % 20 {
						case 0, 1, 2, 3, 4, 5: // alert records
							age := 10 * day
							if state == 2 {
								age = 100 * day
							}
							k := "ash:metrics:alert:" + id
							p.HSet(ctx, k, "t0", ms(age), "severity", "high", "ack_s", 150)
							if state != 1 {
								p.PExpire(ctx, k, 80*day)
							}
						case 6, 7, 8: // lookups
							k := "ash:metrics:alert_lookup:" + id
							ttl := 80 * day
							if state == 1 {
								ttl = 0
							}
							p.Set(ctx, k, id, ttl)
						case 9, 10, 11, 12: // histories
							k := "ash:history:" + id
							newest := time.Hour
							if state == 2 {
								newest = 8 * day
							}
							p.ZAdd(ctx, k, redis.Z{Score: float64(ms(9 * day)), Member: "a"},
								redis.Z{Score: float64(ms(8 * day)), Member: "b"},
								redis.Z{Score: float64(ms(newest)), Member: "c"})
							if state != 1 {
								p.PExpire(ctx, k, 7*day)
							}
						case 13, 14: // opt-outs
							age := day
							if state == 2 {
								age = 40 * day
							}
							ttl := 29 * day
							if state == 1 {
								ttl = 0
							}
							p.Set(ctx, "ash:optout:"+id, ms(age), ttl)
						case 15, 16, 17: // sessions
							age := day
							if state == 2 {
								age = 40 * day
							}
							k := "ash:session:" + id
							p.HSet(ctx, k, "updated_at", ms(age), "started_at", ms(age+time.Hour), "state", "active")
							if state != 1 {
								p.PExpire(ctx, k, 29*day)
							}
						case 18:
							p.Set(ctx, "app:cache:"+id, "x", 0)
						case 19:
							p.Set(ctx, "ash:config:"+id, "x", 0)
						}
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return err
	}
	_, err := rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for d := range 730 {
			k := "ash:metrics:daily:" + now.Add(-time.Duration(d)*day).Format(time.DateOnly)
			p.HSet(ctx, k, "total_alerts", 10, "a:1", 1, "a:2", 1, "a:3", 1)
		}
		return nil
	})
	return err
}

// resetPeakRSS makes VmHWM start again from the current RSS (Linux 4.0+).
func resetPeakRSS(b *testing.B) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		b.Logf("cannot reset VmHWM (%v): peak RSS includes the data set build", err)
	}
}

func peakRSS(b *testing.B) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Logf("no /proc/self/status: %v", err)
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

type heapSampler struct {
	stopc chan struct{}
	done  chan uint64
}

// startHeapSampler polls the live Go heap, because runtime/metrics has no
// high-water mark of its own.
func startHeapSampler() *heapSampler {
	s := &heapSampler{stopc: make(chan struct{}), done: make(chan uint64)}
	go func() {
		sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		var peak uint64
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-s.stopc:
				s.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	runtime.Gosched()
	return s
}

func (s *heapSampler) stop() uint64 {
	close(s.stopc)
	return <-s.done
}
