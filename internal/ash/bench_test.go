package ash

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/companion/anthropic"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
)

// benchDM is fakeDM without the record: 200 chats would only grow it.
type benchDM struct{ fakeDM }

func (d *benchDM) CreateMessage(snowflake.ID, discord.MessageCreate, ...rest.RequestOpt) (*discord.Message, error) {
	return &discord.Message{ID: snowflake.New(now.Add(time.Duration(d.next.Add(1)) * time.Millisecond))}, nil
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkChats200 runs 200 chats at once against the Anthropic stand-in
// answering in 500 ms, through the real SDK and Redis: each iteration is
// one message in every chat. It reports how far beyond the model's time
// each reply took (the bot's own latency) and the CPU time per turn of
// the process (the bot and the stand-in, which share it; Redis aside).
// `make bench-chats`; figures in docs/benchmarks.md.
func BenchmarkChats200(b *testing.B) {
	const chats, latency = 200, 500 * time.Millisecond
	sim, err := anthropicsim.Start(anthropicsim.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer sim.Close()
	sim.SetLatency(latency)
	model, err := anthropic.New(companion.Settings{Model: "claude-sonnet-5-5", MaxTokens: 500, APIKey: sim.APIKey(), BaseURL: sim.URL(), Timeout: 20 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	srv.Fresh(b)
	// The bot's client: BOT_REDIS_POOL_SIZE's default of 32 connections.
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr, Password: srv.Password, PoolSize: 32})
	defer rdb.Close()
	st, err := NewStore(rdb, 30*day, 30*day, func() time.Time { return now })
	if err != nil {
		b.Fatal(err)
	}
	cs, err := NewChats(rdb, 7*day)
	if err != nil {
		b.Fatal(err)
	}
	dm := &benchDM{}
	m, err := NewManager(Options{
		Store: st, Deadlines: NewDueSet(rdb, SessionDeadlinesKey), Chats: cs, DM: dm, Team: &fakeTeam{}, Events: nopSink{},
		Model: model, ReplyTimeout: 20 * time.Second, ResourcesText: "Call 988.", IdleTimeout: time.Hour, MaxSession: 4 * time.Hour,
		Clock: scheduletest.NewClock(now), Logger: discardLogger(),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	users := make([]string, chats)
	for i := range users {
		users[i] = fmt.Sprint(900000 + i)
		if _, err := m.Contact(ctx, ContactRequest{AlertID: fmt.Sprint(100000 + i), UserID: users[i], By: "3003"}); err != nil {
			b.Fatal(err)
		}
	}
	var over []time.Duration
	var mu sync.Mutex
	b.ResetTimer()
	cpu0 := cpuTime()
	for n := 0; n < b.N; n++ {
		var wg sync.WaitGroup
		for i, u := range users {
			id := snowflake.New(now.Add(time.Duration(n*chats+i+1) * time.Millisecond))
			wg.Go(func() {
				start := time.Now()
				if err := m.HandleMessage(ctx, u, dmChannel, id, "it has been a hard week, and I don't know who to talk to"); err != nil {
					b.Error(err)
				}
				mu.Lock()
				over = append(over, time.Since(start)-latency)
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	cpu := cpuTime() - cpu0
	b.StopTimer()
	slices.Sort(over)
	q := func(p float64) float64 { return float64(over[int(p*float64(len(over)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.5), "over-p50-ms")
	b.ReportMetric(q(0.99), "over-p99-ms")
	b.ReportMetric(q(1), "over-max-ms")
	b.ReportMetric(float64(cpu)/float64(len(over))/float64(time.Microsecond), "cpu-us/turn")
	b.ReportMetric(float64(len(sim.Recorded()))/float64(len(over)), "calls/turn")
	b.ReportMetric(0, "ns/op")
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
