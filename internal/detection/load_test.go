package detection

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// The intake under load (`make bench-intake`, docs/benchmarks.md): a
// classifier answering in 20 ms, real Redis for history, claims and
// cooldowns. Skipped unless ASHBOT_BENCH_INTAKE is set.

// slowNLP answers after a fixed delay; one message in 50 is medium or above.
type slowNLP struct{ delay time.Duration }

func (s slowNLP) Analyze(ctx context.Context, r ashnlp.Request) (ashnlp.Result, error) {
	select {
	case <-time.After(s.delay):
	case <-ctx.Done():
		return ashnlp.Result{}, ctx.Err()
	}
	for _, m := range markers {
		if len(r.Message) > len(m.marker) && r.Message[:len(m.marker)] == m.marker {
			return ashnlp.Result{Severity: m.sev, CrisisScore: m.score, Confidence: 0.8, RecommendedAction: "priority_response"}, nil
		}
	}
	return ashnlp.Result{Severity: "safe", CrisisScore: 0.02, Confidence: 0.9}, nil
}

// countingDispatcher counts alerts per id, to find lost or doubled ones.
type countingDispatcher struct {
	mu  sync.Mutex
	ids map[string]int
	n   snowflake.ID
}

func (d *countingDispatcher) Dispatch(_ context.Context, a alerts.Alert) (alerts.Posted, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.ids[a.ID]++
	d.n++
	return alerts.Posted{ChannelID: 1, MessageID: d.n, ThreadID: d.n}, nil
}

type countingPoster struct {
	mu    sync.Mutex
	notes int
}

func (p *countingPoster) Post(context.Context, string, discord.MessageCreate, string) (*discord.Message, error) {
	p.mu.Lock()
	p.notes++
	p.mu.Unlock()
	return &discord.Message{ID: 1}, nil
}

func loadIntake(t *testing.T, workers int) (*Intake, *countingDispatcher, *countingPoster, func()) {
	t.Helper()
	rdb := srv.Fresh(t)
	clock := schedule.SystemClock{}
	store, _ := alerts.NewStore(rdb, alerts.StoreOptions{TTL: 90 * day, Now: clock.Now})
	hist, _ := NewHistory(rdb, 100, 7*day, clock.Now)
	cool, _ := NewCooldowns(rdb, 300*time.Second, time.Now)
	disp := &countingDispatcher{ids: map[string]int{}}
	post := &countingPoster{}
	in, err := New(Options{
		Classifier: slowNLP{20 * time.Millisecond}, Dispatcher: disp, Claims: store, Poster: post, History: hist, Cooldowns: cool,
		Monitored: []snowflake.ID{monitored}, Sensitivity: Sensitivity{Default: 1, LowRange: Range{0.3, 0.6},
			MediumRange: Range{0.6, 0.9}, HighRange: Range{1, 1.5}},
		MinSeverity: events.Medium, StatusChannel: status, Workers: workers, BacklogFor: 15 * time.Minute,
		Clock: clock, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	return in, disp, post, func() { cancel(); <-done }
}

// loadMessage is message i of a stream over users people; every 50th is
// medium or above, and each alerting message is by a person of its own so
// that every one of them must become an alert.
func loadMessage(i, users int, at time.Time) discord.Message {
	g := snowflake.ID(guild)
	user := snowflake.ID(100000 + i%users)
	text := "just a normal message about the weather and games, number " + strconv.Itoa(i)
	switch {
	case i%50 == 0:
		text, user = "[high] "+text, snowflake.ID(1_000_000+i)
	case i%10 == 0:
		text = "[low] " + text
	}
	return discord.Message{
		ID: snowflake.New(at) + snowflake.ID(i%(1<<22)), GuildID: &g, ChannelID: monitored, Author: discord.User{ID: user},
		Content: text, Type: discord.MessageTypeDefault,
	}
}

func percentile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*q))]
}

func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

func TestIntakeLoad(t *testing.T) {
	if os.Getenv("ASHBOT_BENCH_INTAKE") == "" {
		t.Skip("set ASHBOT_BENCH_INTAKE=1 (make bench-intake)")
	}
	seconds := 60
	if v, err := strconv.Atoi(os.Getenv("ASHBOT_BENCH_SECONDS")); err == nil && v > 0 {
		seconds = v
	}
	const rate = 1000
	workers := 32
	if v, err := strconv.Atoi(os.Getenv("ASHBOT_BENCH_WORKERS")); err == nil && v > 0 {
		workers = v
	}
	t.Run("sustained", func(t *testing.T) {
		in, disp, _, stop := loadIntake(t, workers)
		defer stop()
		total := rate * seconds
		start := time.Now()
		heap := []float64{heapMB()}
		lastSample := start
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		sent := 0
		for sent < total {
			<-tick.C
			due := min(int(time.Since(start).Seconds()*rate), total)
			for ; sent < due; sent++ {
				in.OnMessage(loadMessage(sent, 2000, time.Now()), 0, false)
			}
			if time.Since(lastSample) >= 10*time.Second {
				heap, lastSample = append(heap, heapMB()), time.Now()
			}
		}
		sendTook := time.Since(start)
		waitHandled(t, in, int64(total))
		took := time.Since(start)
		lat := in.Latencies()
		st := in.Stats()
		alerted := checkAlerts(t, disp, total)
		fmt.Printf("sustained: %d messages offered at %d/s over %v, all handled after %v (%.0f msg/s)\n",
			total, rate, sendTook.Round(time.Millisecond), took.Round(time.Millisecond), float64(total)/took.Seconds())
		fmt.Printf("  workers %d, overflow %d, dropped %d, alerts %d\n", workers, st.Overflow, st.Dropped, alerted)
		fmt.Printf("  gateway event -> /analyze sent: p50 %v p99 %v; answer -> alert post: p50 %v p99 %v (last %d / %d)\n",
			percentile(lat.ToClassify, 0.5), percentile(lat.ToClassify, 0.99), percentile(lat.ToAlert, 0.5), percentile(lat.ToAlert, 0.99),
			len(lat.ToClassify), len(lat.ToAlert))
		fmt.Printf("  of which waiting for a worker: p50 %v p99 %v\n", percentile(lat.Queued, 0.5), percentile(lat.Queued, 0.99))
		fmt.Printf("  heap MB every 10 s: %.1f\n", heap)
		if st.Dropped != 0 {
			t.Errorf("%d messages dropped", st.Dropped)
		}
	})
	t.Run("burst", func(t *testing.T) {
		in, disp, _, stop := loadIntake(t, workers)
		defer stop()
		const n = 10000
		start := time.Now()
		for i := range n {
			in.OnMessage(loadMessage(i, 2000, start), 0, false)
		}
		accepted := time.Since(start)
		waitHandled(t, in, n)
		took := time.Since(start)
		st := in.Stats()
		alerted := checkAlerts(t, disp, n)
		fmt.Printf("burst: %d messages taken in %v (gateway never blocked), all handled after %v; overflow %d (to the backlog, told once), dropped %d, alerts %d\n",
			n, accepted.Round(time.Microsecond), took.Round(time.Millisecond), st.Overflow, st.Dropped, alerted)
	})
}

func waitHandled(t *testing.T, in *Intake, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for in.Stats().Handled < n {
		if time.Now().After(deadline) {
			t.Fatalf("handled %d of %d", in.Stats().Handled, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// checkAlerts fails on a lost or doubled alert: every 50th message must
// have made exactly one.
func checkAlerts(t *testing.T, d *countingDispatcher, total int) int {
	t.Helper()
	d.mu.Lock()
	defer d.mu.Unlock()
	want := 0
	for i := 0; i < total; i += 50 {
		want++
	}
	if len(d.ids) != want {
		t.Errorf("%d alerts, want %d", len(d.ids), want)
	}
	for id, n := range d.ids {
		if n != 1 {
			t.Errorf("alert %s posted %d times", id, n)
		}
	}
	return len(d.ids)
}
