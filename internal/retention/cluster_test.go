package retention_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
	"github.com/redis/go-redis/v9"
)

// startCluster starts a three-master Redis Cluster of private servers and
// returns a client for it.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	cl, err := redistest.StartCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Stop)
	cc := cl.Client()
	t.Cleanup(func() { cc.Close() })
	return cc
}

type clock time.Time

func (c clock) Now() time.Time { return time.Time(c) }

// On a cluster, cleanup must visit every master, stats must add them up,
// and the scheduler's claims must work with single-key commands only.
func TestCluster(t *testing.T) {
	cc := startCluster(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	const day = 24 * time.Hour
	const n = 300 // enough to land on every master
	for i := range n {
		id := strconv.Itoa(i)
		cc.Set(ctx, "ash:optout:"+id, now.Add(-40*day).UnixMilli(), 0)            // past retention
		cc.HSet(ctx, "ash:metrics:alert:"+id, "t0", now.Add(-10*day).UnixMilli()) // lost its TTL
		cc.ZAdd(ctx, "ash:history:"+id, redis.Z{Score: float64(now.Add(-9 * day).UnixMilli()), Member: "old"},
			redis.Z{Score: float64(now.UnixMilli()), Member: "new"})
		cc.Set(ctx, "app:"+id, "x", 0)
	}
	rets := retention.Retentions{AlertMetrics: 90 * day, Aggregates: 365 * day, MessageHistory: 7 * day,
		SessionData: 30 * day, OptOuts: 30 * day}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	cleaner, err := retention.NewCleaner(cc, retention.Config{Retentions: rets, Clock: clock(now), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}

	var masters atomic.Int32
	retention.ForEachMaster(ctx, cc, func(context.Context, redis.Cmdable) error { masters.Add(1); return nil })
	if masters.Load() != 3 {
		t.Fatalf("%d masters, want 3", masters.Load())
	}

	coll, _ := storagestats.NewCollector(cc, storagestats.Options{})
	st, err := coll.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Masters != 3 || st.TotalKeys != 4*n || st.OtherKeys != n {
		t.Errorf("stats masters=%d total=%d other=%d", st.Masters, st.TotalKeys, st.OtherKeys)
	}

	// Through the scheduler, as the bot runs it.
	fake := scheduletest.NewClock(time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC))
	cc.Set(ctx, schedule.DoneKey(retention.JobName, "2026-01-04", ""), "x", time.Hour)
	var rep retention.Report
	runner, err := retention.NewDailyRunner(cc, cleaner, retention.Schedule{Enabled: true, Hour: 3},
		schedule.Options{Clock: fake, Logger: quiet}, func(_ context.Context, r retention.Report) { rep = r })
	if err != nil {
		t.Fatal(err)
	}
	stop := scheduletest.Start(t, runner)
	fake.BlockUntil(t, 1)
	stop()

	// Scanned includes the scheduler's own claim and done-marker; the
	// histories had no TTL either.
	want := retention.Counts{Scanned: 3*n + 2, Removed: n, TTLRepaired: 2 * n, EntriesPruned: n}
	if rep.Totals != want {
		t.Errorf("cluster cleanup totals %+v, want %+v", rep.Totals, want)
	}
	if s := runner.Stats(); s.Runs != 1 {
		t.Errorf("runner stats %+v", s)
	}
	if v := cc.Exists(ctx, schedule.LockKey(retention.JobName, "2026-01-05", "")).Val(); v != 0 {
		t.Error("claim not released on the cluster")
	}
	for i := range n {
		id := strconv.Itoa(i)
		if cc.Exists(ctx, "ash:optout:"+id).Val() != 0 || cc.ZCard(ctx, "ash:history:"+id).Val() != 1 ||
			cc.PTTL(ctx, "ash:metrics:alert:"+id).Val() < 0 || cc.Exists(ctx, "app:"+id).Val() != 1 {
			t.Fatalf("key set %d not cleaned as expected", i)
		}
	}
}
