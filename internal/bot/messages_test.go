package bot

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// An uncached thread's starter message is read from the thread's parent
// channel (where Discord keeps it), not from the thread.
func TestThreadStarterOfUncachedThread(t *testing.T) {
	sim := discordsim.New(discordsim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	crisis, general := sim.AddChannel("crt-crisis"), sim.AddChannel("general")
	client, err := discordapi.NewREST(discordapi.Config{Token: sim.Token(), BaseURL: sim.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close(context.Background())
	b := &Bot{opts: Options{Rest: client, AlertChannels: alerts.Channels{Crisis: []discordsim.ChannelID{crisis}}}}
	thread := func(ch discordsim.ChannelID) discord.GuildThread {
		t.Helper()
		m, err := client.CreateMessage(ch, discord.MessageCreate{Content: "alert"}, rest.WithCtx(context.Background()))
		if err != nil {
			t.Fatal(err)
		}
		th, err := client.CreateThreadFromMessage(ch, m.ID, discord.ThreadCreateFromMessage{Name: "alert"})
		if err != nil {
			t.Fatal(err)
		}
		return *th
	}

	th := thread(crisis)
	m, err := b.threadStarter(context.Background(), th.ID(), 0)
	if err != nil || m.ID != th.ID() || m.ChannelID != crisis {
		t.Fatalf("starter %+v, %v", m, err)
	}
	if reads := sim.RequestsTo(http.MethodGet, "/channels/"+th.ID().String()+"/messages/*"); len(reads) != 0 {
		t.Errorf("read the starter from the thread itself: %+v", reads)
	}
	if _, err := b.threadStarter(context.Background(), thread(general).ID(), 0); err == nil {
		t.Error("a thread outside the alert channels gave a starter")
	}
}
