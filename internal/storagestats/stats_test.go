package storagestats

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/redis/go-redis/v9"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

type fixedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fixedClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fixedClock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func populate(t *testing.T, rdb *redis.Client) {
	t.Helper()
	ctx := context.Background()
	for i := range 10 {
		rdb.HSet(ctx, fmt.Sprintf("ash:metrics:alert:a%d", i), "t0", 1, "severity", strings.Repeat("x", i*10))
		if i >= 3 {
			rdb.Expire(ctx, fmt.Sprintf("ash:metrics:alert:a%d", i), time.Hour)
		}
	}
	for i := range 5 {
		rdb.Set(ctx, fmt.Sprintf("ash:metrics:alert_lookup:%d", i), "a", time.Hour)
	}
	// One big sorted set, measured with default sampling.
	var zs []redis.Z
	for i := range 12_000 {
		zs = append(zs, redis.Z{Score: float64(i), Member: i})
	}
	rdb.ZAdd(ctx, "ash:history:big", zs...)
	rdb.ZAdd(ctx, "ash:history:small", redis.Z{Score: 1, Member: "m"})
	rdb.Expire(ctx, "ash:history:small", time.Hour)
	for _, k := range []string{"app:1", "app:2", "other", "ash:config"} {
		rdb.Set(ctx, k, "v", 0)
	}
}

func TestCollectNumbers(t *testing.T) {
	rdb := srv.Fresh(t)
	populate(t, rdb)
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)
	c, err := NewCollector(rdb, Options{SampleSize: 1000, Clock: &fixedClock{t: at}})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.TotalKeys != 21 || st.OtherKeys != 4 || st.Masters != 1 || st.UsedMemoryBytes <= 0 || !st.CollectedAt.Equal(at) {
		t.Errorf("stats %+v", st)
	}
	want := map[retention.Category][2]int64{ // keys, without TTL
		retention.AlertMetrics:   {15, 3},
		retention.MessageHistory: {2, 1},
		retention.OptOuts:        {0, 0},
	}
	for _, cs := range st.Categories {
		w := want[cs.Category]
		if cs.Keys != w[0] || cs.KeysWithoutTTL != w[1] || cs.SampledKeys != cs.Keys {
			t.Errorf("%s: %+v, want keys %d without TTL %d", cs.Category, cs, w[0], w[1])
		}
		// Every key sampled: the estimate is the exact sum.
		var sum int64
		iter := rdb.Scan(ctx, 0, "*", 1000).Iterator()
		for iter.Next(ctx) {
			if cat, _ := retention.Classify(iter.Val()); cat == cs.Category {
				if iter.Val() == "ash:history:big" {
					sum += rdb.MemoryUsage(ctx, iter.Val()).Val()
				} else {
					sum += rdb.MemoryUsage(ctx, iter.Val(), 0).Val()
				}
			}
		}
		if cs.ApproxMemoryBytes != sum {
			t.Errorf("%s: memory %d, want %d", cs.Category, cs.ApproxMemoryBytes, sum)
		}
	}
}

func TestCollectExtrapolatesFromSample(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx := context.Background()
	for i := range 50 {
		rdb.Set(ctx, fmt.Sprintf("ash:optout:%d", i), "1700000000000", time.Hour)
	}
	c, _ := NewCollector(rdb, Options{SampleSize: 5})
	st, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	per := rdb.MemoryUsage(ctx, "ash:optout:0", 0).Val()
	for _, cs := range st.Categories {
		if cs.Category != retention.OptOuts {
			continue
		}
		if cs.SampledKeys != 5 || cs.Keys != 50 || cs.ApproxMemoryBytes != 50*per {
			t.Errorf("optouts %+v, want 50 keys of %d bytes from 5 sampled", cs, per)
		}
	}
	if !strings.Contains(st.MemoryNote, "approximate") || !strings.Contains(st.MemoryNote, "extrapolated") {
		t.Errorf("memory note %q", st.MemoryNote)
	}
}

func TestRenderings(t *testing.T) {
	rdb := srv.Fresh(t)
	populate(t, rdb)
	c, _ := NewCollector(rdb, Options{})
	st, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := WriteText(&text, st); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"total keys:  21", "alert_metrics", "without TTL", "approximate", "extrapolated", "other"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text lacks %q:\n%s", want, text.String())
		}
	}
	var js bytes.Buffer
	if err := WriteJSON(&js, st); err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"total_keys", "used_memory_bytes", "categories", "memory_note", "other_keys"} {
		if _, ok := back[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if cats := back["categories"].([]any); len(cats) != len(retention.Categories()) || cats[0].(map[string]any)["keys_without_ttl"] == nil {
		t.Errorf("JSON categories %v", cats)
	}
}

func TestCheckThresholds(t *testing.T) {
	st := Stats{UsedMemoryBytes: 2 << 20, Categories: []CategoryStats{
		{Category: retention.AlertMetrics, Keys: 100}, {Category: retention.MessageHistory, Keys: 5},
	}}
	cases := []struct {
		mem, keys int64
		want      []string
	}{
		{0, 0, nil},
		{1 << 20, 0, []string{"memory"}},
		{4 << 20, 50, []string{"category_keys:alert_metrics"}},
		{1 << 20, 4, []string{"memory", "category_keys:alert_metrics", "category_keys:message_history"}},
		{2 << 20, 100, nil}, // at the threshold is not above it
	}
	for _, c := range cases {
		var got []string
		for _, n := range CheckThresholds(st, Thresholds{MaxMemoryBytes: c.mem, MaxCategoryKeys: c.keys}) {
			got = append(got, n.Kind)
			if n.Text == "" {
				t.Error("notice without text")
			}
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") {
			t.Errorf("CheckThresholds(mem %d, keys %d) = %v, want %v", c.mem, c.keys, got, c.want)
		}
	}
}

type recordingNotifier struct {
	mu    sync.Mutex
	texts []string
	err   error
}

func (n *recordingNotifier) Notify(_ context.Context, text string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.err != nil {
		return n.err
	}
	n.texts = append(n.texts, text)
	return nil
}

func (n *recordingNotifier) count() int { n.mu.Lock(); defer n.mu.Unlock(); return len(n.texts) }

func TestAlertsOncePerDayAcrossReplicas(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	notifier := &recordingNotifier{}
	a, _ := NewAlerter(rdb, notifier, clock, quiet())
	b, _ := NewAlerter(rdb, notifier, clock, quiet())
	notices := []Notice{{Kind: "memory", Text: "mem"}, {Kind: "category_keys:optouts", Text: "keys"}}

	if sent, err := a.Alert(ctx, notices); sent != 2 || err != nil {
		t.Fatalf("first alert sent %d, %v", sent, err)
	}
	if sent, _ := b.Alert(ctx, notices); sent != 0 {
		t.Errorf("second replica sent %d the same day", sent)
	}
	clock.set(time.Date(2026, 1, 5, 23, 59, 0, 0, time.UTC))
	if sent, _ := a.Alert(ctx, notices); sent != 0 {
		t.Errorf("restart sent %d the same day", sent)
	}
	if ttl := rdb.TTL(ctx, AlertKey("memory", clock.Now())).Val(); ttl <= 0 || ttl > alertKeyTTL {
		t.Errorf("alert marker TTL %v", ttl)
	}
	clock.set(time.Date(2026, 1, 6, 0, 0, 0, 0, time.UTC))
	if sent, _ := b.Alert(ctx, notices[:1]); sent != 1 {
		t.Errorf("next day sent %d, want 1", sent)
	}
	if notifier.count() != 3 {
		t.Errorf("notified %d times, want 3", notifier.count())
	}
}

func TestFailedNotificationIsRetried(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 1, 5, 3, 0, 0, 0, time.UTC)}
	notifier := &recordingNotifier{err: errors.New("discord down")}
	a, _ := NewAlerter(rdb, notifier, clock, quiet())
	notices := []Notice{{Kind: "memory", Text: "mem"}}
	if _, err := a.Alert(ctx, notices); err == nil || !strings.Contains(err.Error(), "discord down") {
		t.Fatalf("Alert error %v", err)
	}
	notifier.err = nil
	if sent, err := a.Alert(ctx, notices); sent != 1 || err != nil {
		t.Errorf("retry sent %d, %v", sent, err)
	}
}

func TestMonitorAfterCleanup(t *testing.T) {
	rdb := srv.Fresh(t)
	populate(t, rdb)
	notifier := &recordingNotifier{}
	var logs bytes.Buffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	c, _ := NewCollector(rdb, Options{})
	a, _ := NewAlerter(rdb, notifier, nil, log)
	m, err := NewMonitor(c, a, Thresholds{MaxCategoryKeys: 10}, log)
	if err != nil {
		t.Fatal(err)
	}
	m.AfterCleanup(context.Background(), retention.Report{})
	m.AfterCleanup(context.Background(), retention.Report{})
	if notifier.count() != 1 || !strings.Contains(notifier.texts[0], "alert_metrics") {
		t.Errorf("notifications %v, want one about alert_metrics", notifier.texts)
	}
	if got := strings.Count(logs.String(), `"storage usage above threshold"`); got != 2 {
		t.Errorf("%d warnings logged, want one per check", got)
	}
}
