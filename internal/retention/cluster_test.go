package retention_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"
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

// startCluster builds a three-master Redis Cluster from private servers.
func startCluster(t *testing.T) *redis.ClusterClient {
	t.Helper()
	ctx := context.Background()
	var addrs []string
	var nodes []*redis.Client
	for i := range 3 {
		s, err := redistest.Start("cluster-enabled yes", "cluster-config-file nodes.conf", "cluster-node-timeout 2000")
		if err != nil {
			t.Skipf("cannot start cluster node: %v", err)
		}
		t.Cleanup(s.Stop)
		c := s.Client(0)
		t.Cleanup(func() { c.Close() })
		lo, hi := i*16384/3, (i+1)*16384/3-1
		if err := c.ClusterAddSlotsRange(ctx, lo, hi).Err(); err != nil {
			t.Fatalf("addslots: %v", err)
		}
		addrs = append(addrs, s.Addr)
		nodes = append(nodes, c)
	}
	for _, a := range addrs[1:] {
		host, port, _ := strings.Cut(a, ":")
		if err := nodes[0].ClusterMeet(ctx, host, port).Err(); err != nil {
			t.Fatalf("meet: %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for _, n := range nodes {
		for !strings.Contains(n.ClusterInfo(ctx).Val(), "cluster_state:ok") ||
			!strings.Contains(n.ClusterInfo(ctx).Val(), "cluster_known_nodes:3") {
			if time.Now().After(deadline) {
				t.Fatalf("cluster did not form: %s", n.ClusterInfo(ctx).Val())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs})
	t.Cleanup(func() { cc.Close() })
	for time.Now().Before(deadline) {
		if cc.Set(ctx, "probe", 1, time.Second).Err() == nil && cc.Set(ctx, "probe2", 1, time.Second).Err() == nil {
			cc.Del(ctx, "probe")
			cc.Del(ctx, "probe2")
			return cc
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("cluster client never ready")
	return nil
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
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); runner.Run(runCtx) }()
	fake.BlockUntil(t, 1)
	cancel()
	<-done

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
			t.Fatalf("key set %s not cleaned as expected", fmt.Sprint(i))
		}
	}
}
