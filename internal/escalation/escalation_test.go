package escalation

import (
	"context"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

type sink struct {
	mu  sync.Mutex
	evs []events.Event
}

func (s *sink) Add(e events.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs = append(s.evs, e)
}

func (s *sink) escalations() []events.Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []events.Event
	for _, e := range s.evs {
		if e.Type == events.Escalated {
			out = append(out, e)
		}
	}
	return out
}

// fixture is a simulated server with alert channels, the real alert
// dispatcher and store on a real Redis, and a manual clock near the real
// time (Redis counts TTLs on its own clock).
type fixture struct {
	t                        *testing.T
	sim                      *discordsim.Sim
	clock                    *scheduletest.Clock
	rdb                      redis.UniversalClient
	client                   rest.Rest
	store                    *alerts.Store
	events                   *sink
	general, crisis, leadsCh discordsim.ChannelID
	alice                    discordsim.User
	crt, leads               discordsim.Role
	after                    map[events.Severity]time.Duration
	escalator, otherReplica  *Escalator
	dispatcher               *alerts.Dispatcher
	replicas                 []*ash.Poller
	log                      *slog.Logger // the escalators' (default: discarded)
}

func newFixture(t *testing.T, rdb redis.UniversalClient) *fixture {
	t.Helper()
	clock := scheduletest.NewClock(time.Now().UTC().Truncate(time.Second))
	sim := discordsim.New(discordsim.Options{Now: clock.Now})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	f := &fixture{t: t, sim: sim, clock: clock, rdb: rdb, events: &sink{}, log: slog.New(slog.DiscardHandler),
		after: map[events.Severity]time.Duration{events.Critical: 5 * time.Minute, events.High: 15 * time.Minute}}
	f.general, f.crisis, f.leadsCh = sim.AddChannel("general"), sim.AddChannel("crisis"), sim.AddChannel("leads")
	f.alice = sim.AddMember("alice")
	f.crt, f.leads = sim.AddRole("CRT"), sim.AddRole("Leads")
	client, err := discordapi.NewREST(discordapi.Config{Token: sim.Token(), BaseURL: sim.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	f.client = client
	if f.store, err = alerts.NewStore(rdb, alerts.StoreOptions{TTL: 90 * 24 * time.Hour, Now: clock.Now}); err != nil {
		t.Fatal(err)
	}
	f.escalator = f.newEscalator()
	if f.dispatcher, err = alerts.NewDispatcher(alerts.DispatcherOptions{
		Discord: client, Store: f.store, Events: f.events, Escalation: f.escalator,
		Channels: alerts.Channels{Crisis: []snowflake.ID{f.crisis}}, CRTRoles: []snowflake.ID{f.crt.ID},
		RedisTimeout: 300 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.dispatcher.Close)
	f.otherReplica = f.newEscalator()
	f.replicas = []*ash.Poller{f.poller(f.escalator), f.poller(f.otherReplica)}
	return f
}

// newEscalator is one replica's escalator (or the one after a restart).
func (f *fixture) newEscalator() *Escalator {
	f.t.Helper()
	e, err := New(Options{
		Set: ash.NewDueSet(f.rdb, Key), Store: f.store, Discord: f.client, Events: f.events, After: f.after,
		CRTRoles: []snowflake.ID{f.crt.ID}, LeadRoles: []snowflake.ID{f.leads.ID}, Channel: f.leadsCh,
		GuildID: f.sim.GuildID(), Clock: f.clock, Logger: f.log,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return e
}

func (f *fixture) poller(e *Escalator) *ash.Poller {
	f.t.Helper()
	p, err := ash.NewPoller(ash.PollerOptions{Name: "escalation", Set: e.Set(), Handle: e.Fire, Clock: f.clock,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

// posted is an alert the dispatcher posted.
type posted struct {
	alerts.Posted
	ID string // the alert id (the source message's)
}

// alert posts an alert of sev about alice through the dispatcher.
func (f *fixture) alert(sev events.Severity) posted {
	f.t.Helper()
	m, err := f.sim.SendMessage(f.general, f.alice, "please")
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.dispatcher.Dispatch(context.Background(), alerts.Alert{ID: m.ID.String(), Severity: sev,
		GuildID: f.sim.GuildID().String(), ChannelID: f.general.String(), MessageID: m.ID.String(),
		UserID: f.alice.ID.String(), Content: m.Content})
	if err != nil {
		f.t.Fatal(err)
	}
	return posted{p, m.ID.String()}
}

// at moves the clock to created+d and lets every replica poll, twice: a
// second round finds nothing left to do if the first did it all.
func (f *fixture) at(p posted, d time.Duration) {
	f.t.Helper()
	if now := f.clock.Now(); p.At.Add(d).After(now) {
		f.clock.Advance(p.At.Add(d).Sub(now))
	}
	for range 2 {
		for _, r := range f.replicas {
			r.Poll(context.Background())
		}
	}
}

// thread returns the bot's messages in the alert's thread.
func (f *fixture) thread(p posted) []discordsim.Message { return f.sim.BotMessages(p.ThreadID) }

func TestLevelsFireOnceAcrossReplicas(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	p := f.alert(events.Critical)

	f.at(p, 4*time.Minute+59*time.Second)
	if msgs := f.thread(p); len(msgs) != 0 {
		t.Fatalf("escalated before its time: %q", msgs[0].Content)
	}

	f.at(p, 5*time.Minute)
	msgs := f.thread(p)
	if len(msgs) != 1 {
		t.Fatalf("level 1: %d thread posts, want 1", len(msgs))
	}
	l1 := msgs[0]
	if !strings.Contains(l1.Content, "Still unacknowledged after 5 minutes") || !strings.Contains(l1.Content, f.crt.Mention()) ||
		strings.Contains(l1.Content, "late") {
		t.Errorf("level 1 text %q", l1.Content)
	}
	if !slices.Equal(l1.MentionRoles, []snowflake.ID{f.crt.ID}) || len(l1.MentionUsers) != 0 || l1.MentionEveryone {
		t.Errorf("level 1 pings roles %v users %v", l1.MentionRoles, l1.MentionUsers)
	}
	if n := len(f.sim.BotMessages(f.leadsCh)); n != 0 {
		t.Errorf("level 1 posted %d notices in the leads channel", n)
	}

	f.at(p, 10*time.Minute)
	msgs = f.thread(p)
	if len(msgs) != 2 {
		t.Fatalf("level 2: %d thread posts, want 2", len(msgs))
	}
	l2 := msgs[1]
	if !strings.Contains(l2.Content, "Escalated: still unacknowledged after 10 minutes") || !strings.Contains(l2.Content, f.leads.Mention()) {
		t.Errorf("level 2 text %q", l2.Content)
	}
	if !slices.Equal(l2.MentionRoles, []snowflake.ID{f.leads.ID}) || len(l2.MentionUsers) != 0 {
		t.Errorf("level 2 pings roles %v users %v", l2.MentionRoles, l2.MentionUsers)
	}
	notices := f.sim.BotMessages(f.leadsCh)
	if len(notices) != 1 {
		t.Fatalf("%d notices in the leads channel, want 1", len(notices))
	}
	n := notices[0]
	link := alerts.JumpURL(f.sim.GuildID().String(), f.crisis.String(), p.MessageID.String())
	if !strings.Contains(n.Content, "critical alert unacknowledged for 10 minutes") || !strings.Contains(n.Content, link) {
		t.Errorf("notice %q, want severity, age and %s", n.Content, link)
	}
	// The notice names nobody: not the person, not their message.
	if strings.Contains(n.Content, f.alice.ID.String()) || strings.Contains(n.Content, "please") || len(n.MentionRoles)+len(n.MentionUsers) != 0 {
		t.Errorf("notice %q names or pings someone (roles %v users %v)", n.Content, n.MentionRoles, n.MentionUsers)
	}

	f.at(p, 3*time.Hour)
	if len(f.thread(p)) != 2 || len(f.sim.BotMessages(f.leadsCh)) != 1 {
		t.Error("a step was posted again")
	}
	evs := f.events.escalations()
	if len(evs) != 2 || evs[0].Level != events.EscalationTeam || evs[1].Level != events.EscalationLeads ||
		!evs[0].At.Equal(l1.ID.Time()) || !evs[1].At.Equal(l2.ID.Time()) || evs[0].AlertID != p.ID {
		t.Fatalf("escalated events %+v", evs)
	}
	for _, e := range evs {
		if err := e.Validate(); err != nil {
			t.Errorf("invalid event: %v", err)
		}
	}
	var posted int64
	for _, r := range f.replicas {
		posted += r.Stats().Fired
	}
	if posted != 2 {
		t.Errorf("the replicas fired %d timers, want 2 (one per level)", posted)
	}
	// Each step is counted by the replica that posted it, none as late.
	var team, leads, late int64
	for _, e := range []*Escalator{f.escalator, f.otherReplica} {
		s := e.Stats()
		team += s.Posted[CountKey{Team, events.Critical}]
		leads += s.Posted[CountKey{Leads, events.Critical}]
		for _, n := range s.Late {
			late += n
		}
	}
	if team != 1 || leads != 1 || late != 0 {
		t.Errorf("counted level 1 %d, level 2 %d, late %d; want 1, 1, 0", team, leads, late)
	}
	if n, _ := f.rdb.ZCard(context.Background(), Key).Result(); n != 0 {
		t.Errorf("%d timers left after both levels", n)
	}
}

// The timers are in Redis: a new process (a restart) fires them.
func TestRestartKeepsTimers(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	p := f.alert(events.High)
	f.replicas = []*ash.Poller{f.poller(f.newEscalator())} // the dispatcher's escalator is gone
	f.at(p, 15*time.Minute)
	if msgs := f.thread(p); len(msgs) != 1 || !strings.Contains(msgs[0].Content, "after 15 minutes") {
		t.Fatalf("after a restart: thread %v", msgs)
	}
}

func TestAnsweredNeverEscalates(t *testing.T) {
	for _, tt := range []struct {
		name   string
		kind   alerts.ClaimKind
		cancel bool
	}{
		{"acknowledged", alerts.ClaimAck, true},
		{"resolved", alerts.ClaimResolve, true},
		// The cancel was lost (Redis failed): the timer finds the state.
		{"acknowledged, timers left", alerts.ClaimAck, false},
		{"resolved, timers left", alerts.ClaimResolve, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, srv.Fresh(t))
			p := f.alert(events.Critical)
			f.clock.Advance(2 * time.Minute)
			if _, _, err := f.store.Claim(context.Background(), p.ID, tt.kind, "123456789012345678", f.clock.Now(), nil); err != nil {
				t.Fatal(err)
			}
			if tt.cancel {
				if err := f.escalator.Cancel(context.Background(), p.ID); err != nil {
					t.Fatal(err)
				}
				if n, _ := f.rdb.ZCard(context.Background(), Key).Result(); n != 0 {
					t.Errorf("%d timers left after cancel", n)
				}
			}
			f.at(p, time.Hour)
			if msgs := f.thread(p); len(msgs) != 0 || len(f.sim.BotMessages(f.leadsCh)) != 0 || len(f.events.escalations()) != 0 {
				t.Errorf("an answered alert escalated: %d thread posts", len(msgs))
			}
		})
	}
}

// After downtime a step is posted once, saying how late it is; with both
// levels past, only level 2 is.
func TestLateAfterDowntime(t *testing.T) {
	t.Run("level 1 late", func(t *testing.T) {
		f := newFixture(t, srv.Fresh(t))
		p := f.alert(events.High) // 15 and 30 minutes
		f.at(p, 20*time.Minute)
		msgs := f.thread(p)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "after 20 minutes") ||
			!strings.Contains(msgs[0].Content, "This escalation is 5 minutes late") {
			t.Fatalf("thread %v", contents(msgs))
		}
		if s := f.escalator.Stats(); s.Late[CountKey{Team, events.High}] != 1 {
			t.Errorf("late count %+v", s.Late)
		}
	})
	t.Run("both levels past", func(t *testing.T) {
		f := newFixture(t, srv.Fresh(t))
		p := f.alert(events.High)
		f.at(p, 77*time.Minute)
		msgs := f.thread(p)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "Escalated: still unacknowledged after 1 hour 17 minutes") ||
			!strings.Contains(msgs[0].Content, "This escalation is 47 minutes late") {
			t.Fatalf("thread %v, want level 2 alone, 47 minutes late", contents(msgs))
		}
		notices := f.sim.BotMessages(f.leadsCh)
		if len(notices) != 1 || !strings.Contains(notices[0].Content, "47 minutes late") {
			t.Errorf("notices %v", contents(notices))
		}
		if evs := f.events.escalations(); len(evs) != 1 || evs[0].Level != events.EscalationLeads {
			t.Errorf("events %+v", evs)
		}
		// A level 1 timer set again (a late retry of the dispatcher's
		// write) must not post level 1 after level 2.
		if err := f.escalator.Schedule(context.Background(), p.ID, events.High, p.At); err != nil {
			t.Fatal(err)
		}
		f.at(p, 78*time.Minute)
		if len(f.thread(p)) != 1 {
			t.Errorf("a step was posted again: %v", contents(f.thread(p)))
		}
	})
}

func TestSeverityWithoutSettingNeverEscalates(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	p := f.alert(events.Medium) // only critical and high are set
	if n, _ := f.rdb.ZCard(context.Background(), Key).Result(); n != 0 {
		t.Errorf("%d timers for a severity without a setting", n)
	}
	f.at(p, 12*time.Hour)
	if msgs := f.thread(p); len(msgs) != 0 {
		t.Errorf("a medium alert escalated: %v", contents(msgs))
	}
}

// The timers are one key of the scheduler category, with a TTL: `ashbot
// storage` counts them there and cleanup owns them.
func TestTimersInSchedulerCategory(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	f.alert(events.Critical)
	c, err := storagestats.NewCollector(f.rdb, storagestats.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Collect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range st.Categories {
		if cs.Category == retention.Scheduler && (cs.Keys != 1 || cs.KeysWithoutTTL != 0) {
			t.Errorf("scheduler category %+v, want the one timer set with a TTL", cs)
		}
	}
	if ttl := f.rdb.PTTL(context.Background(), Key).Val(); ttl <= 0 || ttl > retention.SchedulerRetention {
		t.Errorf("timer set TTL %v", ttl)
	}
}

func TestMinutes(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "1 minute", 90 * time.Second: "1 minute", 47 * time.Minute: "47 minutes",
		time.Hour: "1 hour", 125 * time.Minute: "2 hours 5 minutes", 61 * time.Minute: "1 hour 1 minute",
	} {
		if got := Minutes(d); got != want {
			t.Errorf("Minutes(%v) = %q, want %q", d, got, want)
		}
	}
}

func contents(msgs []discordsim.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Content
	}
	return out
}
