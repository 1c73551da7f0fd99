package discordapi

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"

	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// Concurrent posts to one channel share a rate-limit bucket; under the
// race detector this fails with disgo's own limiter and passes with ours.
func TestRESTConcurrentPostsOneBucket(t *testing.T) {
	sim := discordsim.New(discordsim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	ch := sim.AddChannel("busy")
	client, err := NewREST(Config{Token: sim.Token(), BaseURL: sim.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(context.Background())
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := client.CreateMessage(ch, discord.MessageCreate{Content: "hi"}, rest.WithCtx(context.Background())); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if n := len(sim.Messages(ch)); n != 8 {
		t.Errorf("%d messages, want 8", n)
	}
	l := client.RateLimiter().(*lockedRateLimiter)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.locks) != 0 {
		t.Errorf("%d bucket locks left", len(l.locks))
	}
}
