package alerts

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

type sink struct {
	mu  sync.Mutex
	evs []events.Event
}

func (s *sink) Add(e events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs = append(s.evs, e)
}

func (s *sink) all() []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]events.Event(nil), s.evs...)
}

type autoInits struct {
	mu  sync.Mutex
	ids []string
}

func (a *autoInits) Schedule(_ context.Context, id string, _ events.Severity, _ time.Time) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.ids = append(a.ids, id)
	return nil
}

// instant makes every wait return at once, so retries cost no time.
func instant(time.Duration) <-chan time.Time {
	c := make(chan time.Time, 1)
	c <- time.Time{}
	return c
}

type fixture struct {
	sim                      *discordsim.Sim
	monitor, crisis, general discordsim.ChannelID
	alice                    discordsim.User
	crt                      discordsim.Role
	events                   *sink
	auto                     *autoInits
	logs                     *logBuffer
	d                        *Dispatcher
}

// logBuffer collects the dispatcher's log lines.
type logBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func newFixture(t *testing.T, rdb redis.UniversalClient) *fixture {
	t.Helper()
	sim := discordsim.New(discordsim.Options{Now: func() time.Time { return now }})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	f := &fixture{sim: sim, events: &sink{}, auto: &autoInits{}, logs: &logBuffer{}}
	f.general, f.monitor, f.crisis = sim.AddChannel("general"), sim.AddChannel("monitor"), sim.AddChannel("crisis")
	f.alice = sim.AddMember("alice")
	f.crt = sim.AddRole("CRT")
	client, err := discordapi.NewREST(discordapi.Config{Token: sim.Token(), BaseURL: sim.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	store, err := NewStore(rdb, StoreOptions{TTL: 90 * day, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	f.d, err = NewDispatcher(DispatcherOptions{
		Discord: client, Store: store, Events: f.events, AutoInit: f.auto,
		Channels: Channels{Monitor: []snowflake.ID{f.monitor}, Crisis: []snowflake.ID{f.crisis}},
		CRTRoles: []snowflake.ID{f.crt.ID}, RedisTimeout: 200 * time.Millisecond, After: instant,
		Logger: slog.New(slog.NewTextHandler(f.logs, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.d.Close)
	return f
}

func (f *fixture) alert(t *testing.T, sev events.Severity) Alert {
	t.Helper()
	m, err := f.sim.SendMessage(f.general, f.alice, "please")
	if err != nil {
		t.Fatal(err)
	}
	return Alert{ID: m.ID.String(), Severity: sev, GuildID: f.sim.GuildID().String(), ChannelID: f.general.String(),
		MessageID: m.ID.String(), UserID: f.alice.ID.String(), Content: m.Content}
}

func TestDispatch(t *testing.T) {
	rdb := srv.Fresh(t)
	f := newFixture(t, rdb)
	a := f.alert(t, events.High)
	p, err := f.d.Dispatch(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if p.ChannelID != f.crisis || p.ThreadID != p.MessageID || !p.At.Equal(p.MessageID.Time()) {
		t.Errorf("posted %+v", p)
	}
	evs := f.events.all()
	if len(evs) != 1 || evs[0].Type != events.AlertCreated || evs[0].AlertMessageID != p.MessageID.String() || !evs[0].At.Equal(p.At) {
		t.Errorf("events %+v", evs)
	}
	if err := evs[0].Validate(); err != nil {
		t.Errorf("invalid alert_created: %v", err)
	}
	st, err := rdb.HGetAll(context.Background(), StateKey(a.ID)).Result()
	if err != nil || st["thread_id"] != p.ThreadID.String() || st["severity"] != "high" {
		t.Errorf("state %v %v", st, err)
	}
	if len(f.auto.ids) != 1 || f.auto.ids[0] != a.ID {
		t.Errorf("auto-initiate scheduled %v", f.auto.ids)
	}
}

// A channel that refuses the post (permissions lost, channel deleted)
// hands the alert to the next configured channel; a 5xx is retried in
// place, and the nonce keeps a retry from posting twice.
func TestDispatchRetriesAndFailsOver(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	f.sim.FailNext(http.MethodPost, "/channels/"+f.crisis.String()+"/messages", http.StatusForbidden, 1)
	p, err := f.d.Dispatch(context.Background(), f.alert(t, events.Critical))
	if err != nil || p.ChannelID != f.monitor {
		t.Fatalf("failover: %+v %v", p, err)
	}

	f.sim.FailNext(http.MethodPost, "/channels/"+f.crisis.String()+"/messages", http.StatusInternalServerError, 2)
	p, err = f.d.Dispatch(context.Background(), f.alert(t, events.High))
	if err != nil || p.ChannelID != f.crisis {
		t.Fatalf("retry: %+v %v", p, err)
	}
	if n := len(f.sim.BotMessages(f.crisis)); n != 1 {
		t.Errorf("%d alerts in crisis after retries, want 1", n)
	}

	// Nowhere to post: the dispatch fails and nothing is recorded.
	f.sim.FailNext(http.MethodPost, "/channels/*/messages", http.StatusForbidden, 10)
	before := len(f.events.all())
	if _, err := f.d.Dispatch(context.Background(), f.alert(t, events.Low)); err == nil || !strings.Contains(err.Error(), "403") {
		t.Errorf("dispatch with every channel refusing: %v", err)
	}
	if len(f.events.all()) != before {
		t.Error("alert_created recorded for an alert that was not posted")
	}
	f.sim.ClearFaults()

	// A thread that cannot be opened does not fail a posted alert.
	f.sim.FailNext(http.MethodPost, "/channels/*/messages/*/threads", http.StatusForbidden, 1)
	p, err = f.d.Dispatch(context.Background(), f.alert(t, events.Medium))
	if err != nil || p.ThreadID != 0 || p.ChannelID != f.monitor {
		t.Errorf("thread failure: %+v %v", p, err)
	}
}

// Permissions missing on the server as Discord enforces them: an alert
// channel the bot may not post in hands the alert on, a channel where it
// may not open threads still gets the alert, and a CRT role that does not
// ping is logged as an error, never a silent loss.
func TestDispatchCopesWithMissingPermissions(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	f.sim.SetBotPermissions(f.crisis, discordsim.DefaultBotPermissions&^discord.PermissionSendMessages)
	f.sim.SetBotPermissions(f.monitor, discordsim.DefaultBotPermissions&^discord.PermissionCreatePublicThreads)
	if err := f.sim.SetRoleMentionable(f.crt.ID, false); err != nil {
		t.Fatal(err)
	}
	p, err := f.d.Dispatch(context.Background(), f.alert(t, events.High))
	if err != nil || p.ChannelID != f.monitor || p.ThreadID != 0 {
		t.Fatalf("posted %+v, %v; want the monitor channel without a thread", p, err)
	}
	if n := len(f.sim.RequestsTo(http.MethodPost, "/channels/*/messages/*/threads")); n != 1 {
		t.Errorf("%d thread attempts, want 1: a refusal does not pass by retrying", n)
	}
	logs := f.logs.String()
	for _, want := range []string{"alert posted to a fallback channel", "Create Public Threads", "CRT role was NOT pinged"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}

	// Mentionable again: pinged, no error.
	if err := f.sim.SetRoleMentionable(f.crt.ID, true); err != nil {
		t.Fatal(err)
	}
	before := strings.Count(f.logs.String(), "NOT pinged")
	p, err = f.d.Dispatch(context.Background(), f.alert(t, events.High))
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := f.sim.Message(p.MessageID); len(m.MentionRoles) != 1 || strings.Count(f.logs.String(), "NOT pinged") != before {
		t.Errorf("mentionable role: pinged %v", m.MentionRoles)
	}
}

// With Redis down the alert goes out without waiting, and its state is
// written once Redis is back.
func TestDispatchRedisDown(t *testing.T) {
	direct := srv.Fresh(t)
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer proxy.Close()
	rdb := redis.NewClient(&redis.Options{Addr: proxy.Addr, ContextTimeoutEnabled: true, DialTimeout: 100 * time.Millisecond})
	defer rdb.Close()
	f := newFixture(t, rdb)
	proxy.Down()
	a := f.alert(t, events.High)
	began := time.Now()
	p, err := f.d.Dispatch(context.Background(), a)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("dispatch took %v with Redis down", d)
	}
	if len(f.events.all()) != 1 {
		t.Error("alert_created not handed over")
	}
	proxy.Up()
	deadline := time.Now().Add(5 * time.Second)
	for direct.HGet(context.Background(), StateKey(a.ID), "alert_message_id").Val() != p.MessageID.String() {
		if time.Now().After(deadline) {
			t.Fatal("state not written after Redis came back")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
