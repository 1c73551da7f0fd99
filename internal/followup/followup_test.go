package followup

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

// now is the real time: Redis counts TTLs on its own clock.
var now = time.Now().UTC().Truncate(time.Millisecond)

const (
	user  = "111111111111111111"
	alert = "222222222222222222"
)

// dm is Discord's DM side: it keeps what was sent, stamps messages with
// the clock (as Discord's snowflakes would) and fails when told.
type dm struct {
	clock *scheduletest.Clock
	mu    sync.Mutex
	sent  []discord.MessageCreate
	to    []snowflake.ID
	fail  error
}

func (d *dm) CreateDMChannel(userID snowflake.ID, _ ...rest.RequestOpt) (*discord.DMChannel, error) {
	var ch discord.DMChannel
	if err := json.Unmarshal(fmt.Appendf(nil, `{"id":"%d","type":1}`, userID+1), &ch); err != nil {
		return nil, err
	}
	return &ch, nil
}

func (d *dm) CreateMessage(channelID snowflake.ID, m discord.MessageCreate, _ ...rest.RequestOpt) (*discord.Message, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.fail != nil {
		return nil, d.fail
	}
	d.sent = append(d.sent, m)
	d.to = append(d.to, channelID)
	return &discord.Message{ID: snowflake.New(d.clock.Now()) + snowflake.ID(len(d.sent)), ChannelID: channelID, Content: m.Content}, nil
}

func (d *dm) UpdateMessage(channelID, messageID snowflake.ID, _ discord.MessageUpdate, _ ...rest.RequestOpt) (*discord.Message, error) {
	return &discord.Message{ID: messageID, ChannelID: channelID}, nil
}

// SendTyping is Ash's typing indicator while the model works; the
// check-ins' tests do not look at it.
func (d *dm) SendTyping(snowflake.ID, ...rest.RequestOpt) error { return nil }

func (d *dm) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.sent)
}

type team struct {
	mu      sync.Mutex
	updates []ash.Update
}

func (t *team) AshUpdate(_ context.Context, _ string, u ash.Update) {
	t.mu.Lock()
	t.updates = append(t.updates, u)
	t.mu.Unlock()
}

func (t *team) kinds(k ash.UpdateKind) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, u := range t.updates {
		if u.Kind == k {
			n++
		}
	}
	return n
}

type sink struct {
	mu sync.Mutex
	ev []events.Event
}

func (s *sink) Add(e events.Event) {
	s.mu.Lock()
	s.ev = append(s.ev, e)
	s.mu.Unlock()
}

func (s *sink) count(t events.Type) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, e := range s.ev {
		if e.Type == t {
			n++
		}
	}
	return n
}

type severities map[string]events.Severity

func (s severities) Load(_ context.Context, id string) (alerts.State, error) {
	sev, ok := s[id]
	if !ok {
		return alerts.State{}, alerts.ErrNotFound
	}
	return alerts.State{AlertID: id, Severity: sev}, nil
}

// fixture is one replica: check-ins, Ash and their fakes on a shared Redis.
type fixture struct {
	t      *testing.T
	rdb    redis.UniversalClient
	clock  *scheduletest.Clock
	dm     *dm
	team   *team
	events *sink
	store  *ash.Store
	ash    *ash.Manager
	c      *Checkins
}

func newFixture(t *testing.T, rdb redis.UniversalClient, clock *scheduletest.Clock) *fixture {
	t.Helper()
	f := &fixture{t: t, rdb: rdb, clock: clock, dm: &dm{clock: clock}, team: &team{}, events: &sink{}}
	var err error
	if f.store, err = ash.NewStore(rdb, 30*24*time.Hour, 30*24*time.Hour, clock.Now); err != nil {
		t.Fatal(err)
	}
	if f.c, err = New(Options{
		Redis: rdb, Alerts: severities{alert: events.High, "333": events.Low, "444": events.Medium, "666": events.Critical}, People: f.store,
		DM: f.dm, Team: f.team, Events: f.events, ResourcesText: "call 988",
		Delay: 24 * time.Hour, Max: 48 * time.Hour, MinSeverity: events.Medium, MinSession: 5 * time.Minute, Clock: clock,
	}); err != nil {
		t.Fatal(err)
	}
	chats, err := ash.NewChats(rdb, 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if f.ash, err = ash.NewManager(ash.Options{
		Store: f.store, Deadlines: ash.NewDueSet(rdb, ash.SessionDeadlinesKey), Chats: chats, DM: f.dm, Team: f.team, Events: f.events,
		ResourcesText: "call 988", IdleTimeout: time.Hour, MaxSession: 4 * time.Hour, Clock: clock, OnEnded: f.c.OnEnded,
	}); err != nil {
		t.Fatal(err)
	}
	return f
}

// chat runs an Ash chat about alertID of the given length that ends for
// reason, through the Manager, so the check-in is scheduled by its hook.
func (f *fixture) chat(alertID, userID string, length time.Duration, reason events.EndReason) ash.Session {
	f.t.Helper()
	ctx := context.Background()
	s, err := f.ash.Contact(ctx, ash.ContactRequest{AlertID: alertID, UserID: userID, By: "999999999999999999"})
	if err != nil {
		f.t.Fatalf("contact: %v", err)
	}
	f.clock.Advance(length)
	if ended, err := f.ash.End(ctx, s.ID, reason, f.clock.Now()); err != nil || !ended {
		f.t.Fatalf("end: %v %v", ended, err)
	}
	return s
}

func (f *fixture) poll() {
	f.t.Helper()
	p, err := ash.NewPoller(ash.PollerOptions{Name: "followups", Set: f.c.Timers(), Handle: f.c.Fire, Clock: f.clock})
	if err != nil {
		f.t.Fatal(err)
	}
	p.Poll(context.Background())
}

func (f *fixture) state(alertID string) (string, string) {
	h := f.rdb.HGetAll(context.Background(), CheckinKey(alertID)).Val()
	return h["state"], h["reason"]
}

func TestScheduling(t *testing.T) {
	tests := []struct {
		name   string
		alert  string
		length time.Duration
		reason events.EndReason
		want   bool
	}{
		{"high, 10 minutes, timeout", alert, 10 * time.Minute, events.EndTimeout, true},
		{"medium is the minimum", "444", 10 * time.Minute, events.EndUserEnded, true},
		{"handoff", alert, 10 * time.Minute, events.EndHandoff, true},
		{"resolved", alert, 10 * time.Minute, events.EndCompleted, true},
		{"maximum length", alert, 10 * time.Minute, events.EndMaxDuration, true},
		{"exactly the minimum length", alert, 5 * time.Minute, events.EndTimeout, true},
		{"low severity", "333", 10 * time.Minute, events.EndTimeout, false},
		{"too short", alert, 4*time.Minute + 59*time.Second, events.EndUserEnded, false},
		{"opted out", alert, 10 * time.Minute, events.EndOptedOut, false},
		{"error", alert, 10 * time.Minute, events.EndError, false},
		{"unknown alert", "555", 10 * time.Minute, events.EndTimeout, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := scheduletest.NewClock(now)
			f := newFixture(t, srv.Fresh(t), clock)
			s := f.chat(tt.alert, user, tt.length, tt.reason)
			due, ok, err := f.c.Timers().When(context.Background(), tt.alert)
			if err != nil || ok != tt.want {
				t.Fatalf("timer set %v (%v), want %v", ok, err, tt.want)
			}
			if got := f.c.Stats().Scheduled; got != map[bool]int64{true: 1, false: 0}[tt.want] {
				t.Errorf("scheduled counter %d", got)
			}
			if !tt.want {
				if f.rdb.Exists(context.Background(), CheckinKey(tt.alert)).Val() != 0 {
					t.Error("check-in stored without a timer")
				}
				return
			}
			if want := now.Add(tt.length + 24*time.Hour); !due.Equal(want) {
				t.Errorf("due %v, want the chat's end plus the delay, %v", due, want)
			}
			h := f.rdb.HGetAll(context.Background(), CheckinKey(tt.alert)).Val()
			if h["state"] != stateScheduled || h["user_id"] != user || h["session_id"] != s.ID || h["updated_at"] == "" {
				t.Errorf("stored %v", h)
			}
			if ttl := f.rdb.PTTL(context.Background(), CheckinKey(tt.alert)).Val(); ttl < 96*time.Hour {
				t.Errorf("check-in TTL %v: gone before a reply could count", ttl)
			}
		})
	}
}

// One alert gets one check-in, however many chats about it end.
func TestOnePerAlert(t *testing.T) {
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	first := f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	f.chat(alert, user, 10*time.Minute, events.EndUserEnded)
	if n := f.c.Stats().Scheduled; n != 1 {
		t.Errorf("%d check-ins scheduled for one alert", n)
	}
	if h := f.rdb.HGet(context.Background(), CheckinKey(alert), "session_id").Val(); h != first.ID {
		t.Errorf("check-in of session %s, want the first chat's %s", h, first.ID)
	}
}

func TestSendAndAnswer(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	first := f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	sentBefore := f.dm.count() // welcome and closing

	clock.Advance(23 * time.Hour)
	f.poll()
	if f.dm.count() != sentBefore {
		t.Fatal("check-in sent before it was due")
	}
	clock.Advance(time.Hour)
	f.poll()
	if f.dm.count() != sentBefore+1 {
		t.Fatalf("check-in not sent when due: %d messages", f.dm.count())
	}
	m := f.dm.sent[len(f.dm.sent)-1]
	if m.Content != CheckinText || len(m.Embeds) != 1 || m.Embeds[0].Description != "call 988" || m.AllowedMentions == nil {
		t.Errorf("check-in %+v", m)
	}
	row := m.Components[0].(discord.ActionRowComponent)
	btn, ok := ash.ParseButtonID(row.Components[0].(discord.ButtonComponent).CustomID)
	if !ok || btn.Action != ash.ActionOptOut || btn.AlertID != alert || btn.SessionID != first.ID {
		t.Errorf("opt-out button %+v %v", btn, ok)
	}
	if f.events.count(events.FollowupSent) != 1 || f.team.kinds(ash.FollowupSent) != 1 {
		t.Errorf("followup_sent events %d, team told %d times", f.events.count(events.FollowupSent), f.team.kinds(ash.FollowupSent))
	}
	if st, _ := f.state(alert); st != stateSent {
		t.Errorf("state %s", st)
	}
	// Polling again sends nothing more.
	clock.Advance(time.Hour)
	f.poll()
	if f.dm.count() != sentBefore+1 {
		t.Error("check-in sent twice")
	}

	// The person replies: a new chat linked to the alert, without a welcome.
	ch := f.dm.to[len(f.dm.to)-1]
	reply := snowflake.New(clock.Now())
	started, err := f.c.Answer(ctx, f.ash, user, ch, reply)
	if err != nil || !started {
		t.Fatalf("answer %v %v", started, err)
	}
	s, active, err := f.store.ActiveFor(ctx, user)
	if err != nil || !active || !s.Linked() || s.AlertID != alert || s.ID == first.ID || s.WelcomeMessageID == "" {
		t.Fatalf("linked chat %+v %v %v", s, active, err)
	}
	if f.dm.count() != sentBefore+1 {
		t.Error("the linked chat sent a welcome")
	}
	if f.events.count(events.FollowupAnswered) != 1 || f.events.count(events.SessionStarted) != 1 || f.team.kinds(ash.FollowupAnswered) != 1 {
		t.Errorf("events: answered %d, sessions started %d (the metrics count one per alert); team told %d",
			f.events.count(events.FollowupAnswered), f.events.count(events.SessionStarted), f.team.kinds(ash.FollowupAnswered))
	}
	// The reply is the chat's first turn.
	if err := f.ash.HandleMessage(ctx, user, ch, reply, "a bit better today"); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.store.ActiveFor(ctx, user); got.Turns != 1 || f.dm.count() != sentBefore+2 {
		t.Errorf("turns %d, messages %d: Ash did not answer", got.Turns, f.dm.count())
	}
	// A second message is part of that chat, not another answer.
	if again, err := f.c.Answer(ctx, f.ash, user, ch, snowflake.New(clock.Now())); again || err != nil {
		t.Errorf("second answer %v %v", again, err)
	}
	// The linked chat's end records no session_ended (the metrics' one
	// session per alert ended already) and schedules no second check-in.
	clock.Advance(10 * time.Minute)
	if _, err := f.ash.End(ctx, s.ID, events.EndUserEnded, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if n := f.events.count(events.SessionEnded); n != 1 {
		t.Errorf("%d session_ended events, want the first chat's only", n)
	}
	if n := f.c.Stats(); n.Scheduled != 1 || n.Sent != 1 || n.Answered != 1 {
		t.Errorf("stats %+v", n)
	}
	if st, _ := f.state(alert); st != stateAnswered {
		t.Errorf("state %s", st)
	}
}

// A bot that was down past BOT_FOLLOWUP_MAX_HOURS skips the check-in.
func TestTooLate(t *testing.T) {
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	before := f.dm.count()
	clock.Advance(48 * time.Hour) // down since before it was due
	f.poll()
	if f.dm.count() != before || f.events.count(events.FollowupSent) != 0 {
		t.Fatal("stale check-in sent")
	}
	if st, reason := f.state(alert); st != stateSkipped || reason != SkipTooLate {
		t.Errorf("state %s, reason %s", st, reason)
	}
	if n := f.c.Stats().Skipped[SkipTooLate]; n != 1 {
		t.Errorf("too_late counted %d", n)
	}
}

// Opting out after the chat, even from the check-in's own kind of button,
// is read when the check-in is due.
func TestOptedOutAtSendTime(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	s := f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(time.Hour)
	if _, err := f.ash.OptOut(ctx, user, alert, s.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	before := f.dm.count()
	clock.Advance(24 * time.Hour)
	f.poll()
	if f.dm.count() != before {
		t.Fatal("check-in sent to someone who opted out")
	}
	if st, reason := f.state(alert); st != stateSkipped || reason != SkipOptedOut || f.c.Stats().Skipped[SkipOptedOut] != 1 {
		t.Errorf("state %s, reason %s, stats %+v", st, reason, f.c.Stats())
	}
}

// A person who opts out after the check-in was sent starts no chat by
// replying.
func TestOptedOutAnswer(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	s := f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	f.poll()
	if _, err := f.ash.OptOut(ctx, user, alert, s.ID, clock.Now()); err != nil {
		t.Fatal(err)
	}
	if started, err := f.c.Answer(ctx, f.ash, user, 1, snowflake.New(clock.Now())); started || err != nil {
		t.Errorf("answer after opting out: %v %v", started, err)
	}
	if f.rdb.Exists(ctx, PendingKey(user)).Val() != 0 {
		t.Error("pending check-in kept for someone who opted out")
	}
}

// A reply after the window starts nothing.
func TestAnswerWindow(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	f.poll()
	clock.Advance(48*time.Hour + time.Minute)
	if started, err := f.c.Answer(ctx, f.ash, user, 1, snowflake.New(clock.Now())); started || err != nil {
		t.Errorf("late answer %v %v", started, err)
	}
	if _, active, _ := f.store.ActiveFor(ctx, user); active {
		t.Error("a late reply started a chat")
	}
}

// At most one check-in per person per 24 hours, whatever the alerts.
func TestOnePerPersonPerDay(t *testing.T) {
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(time.Hour)
	f.chat("444", user, 10*time.Minute, events.EndTimeout) // a second alert an hour later
	before := f.dm.count()
	clock.Advance(24 * time.Hour)
	f.poll()
	if got := f.dm.count() - before; got != 1 {
		t.Fatalf("%d check-ins within a day", got)
	}
	if st, reason := f.state("444"); st != stateSkipped || reason != SkipRecent || f.c.Stats().Skipped[SkipRecent] != 1 {
		t.Errorf("second check-in: state %s, reason %s", st, reason)
	}
	// A day after the first, the person can get one again.
	clock.Advance(24 * time.Hour)
	if ok, err := f.c.takeSlot(context.Background(), user, clock.Now()); !ok || err != nil {
		t.Errorf("slot a day later: %v %v", ok, err)
	}
}

// Two replicas polling the same Redis send a check-in once; a replica
// started later (a restart) finds the timers the first one set.
func TestReplicasAndRestart(t *testing.T) {
	rdb := srv.Fresh(t)
	clock := scheduletest.NewClock(now)
	a := newFixture(t, rdb, clock)
	a.chat(alert, user, 10*time.Minute, events.EndTimeout)
	a.chat("444", "333333333333333333", 10*time.Minute, events.EndTimeout)

	// "Restart": new instances on the same Redis, nothing in memory.
	b, c := newFixture(t, rdb, clock), newFixture(t, rdb, clock)
	clock.Advance(24 * time.Hour)
	var wg sync.WaitGroup
	for _, f := range []*fixture{b, c, b, c} {
		wg.Add(1)
		go func() { defer wg.Done(); f.poll() }()
	}
	wg.Wait()
	if got := b.dm.count() + c.dm.count(); got != 2 {
		t.Errorf("%d check-ins sent for two alerts", got)
	}
	if got := b.events.count(events.FollowupSent) + c.events.count(events.FollowupSent); got != 2 {
		t.Errorf("%d followup_sent events", got)
	}

	// Even a timer that fires on several replicas at once (set again
	// while it was being handled) sends once: the check-in's state is
	// claimed too.
	a.chat("666", "444444444444444444", 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	before := b.dm.count() + c.dm.count()
	for _, f := range []*fixture{b, c, b, c, b, c} {
		wg.Add(1)
		go func() { defer wg.Done(); f.c.Fire(context.Background(), ash.Due{Member: "666"}) }()
	}
	wg.Wait()
	if got := b.dm.count() + c.dm.count() - before; got != 1 {
		t.Errorf("%d check-ins sent by six simultaneous firings", got)
	}

	// The claim itself: of many replicas, one moves a check-in on.
	var mu sync.Mutex
	wins := 0
	rdb.HSet(context.Background(), CheckinKey("777"), "state", stateScheduled)
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, err := b.c.move(context.Background(), "777", stateScheduled, stateSending); ok && err == nil {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d replicas claimed one check-in", wins)
	}
}

// A Discord failure that may pass is tried again; closed DMs are a skip.
func TestSendFailures(t *testing.T) {
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	before := f.dm.count()
	clock.Advance(24 * time.Hour)
	f.dm.fail = errors.New("discord: 503")
	f.poll()
	if st, _ := f.state(alert); st != stateScheduled {
		t.Fatalf("state after a failure %s", st)
	}
	if due, ok, _ := f.c.Timers().When(context.Background(), alert); !ok || !due.Equal(clock.Now().Add(retry)) {
		t.Fatalf("retry at %v %v", due, ok)
	}
	// The failed try did not use the person's slot for the day.
	f.dm.fail = nil
	clock.Advance(retry)
	f.poll()
	if f.dm.count() != before+1 {
		t.Fatalf("retry did not send: %d", f.dm.count()-before)
	}

	g := newFixture(t, srv.Fresh(t), clock)
	g.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	g.dm.fail = &rest.Error{Code: 50007, Message: "Cannot send messages to this user"}
	g.poll()
	if st, reason := g.state(alert); st != stateSkipped || reason != SkipUnreachable {
		t.Errorf("closed DMs: state %s, reason %s", st, reason)
	}
}

// A check-in due while the person is talking with Ash waits.
func TestPostponedDuringChat(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	f := newFixture(t, srv.Fresh(t), clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	if _, err := f.ash.Contact(ctx, ash.ContactRequest{AlertID: "444", UserID: user, By: "999999999999999999"}); err != nil {
		t.Fatal(err)
	}
	f.poll()
	if f.events.count(events.FollowupSent) != 0 {
		t.Fatal("check-in sent in the middle of a chat")
	}
	if due, ok, _ := f.c.Timers().When(ctx, alert); !ok || !due.Equal(clock.Now().Add(postpone)) {
		t.Errorf("postponed to %v %v", due, ok)
	}
}

// Every key a check-in writes has a TTL and a retention category, the
// keys naming a person one whose keys are never named in reports
// (session_data), and `ashbot storage` counts them.
func TestKeysHaveCategoryAndTTL(t *testing.T) {
	ctx := context.Background()
	clock := scheduletest.NewClock(now)
	rdb := srv.Fresh(t)
	f := newFixture(t, rdb, clock)
	f.chat(alert, user, 10*time.Minute, events.EndTimeout)
	clock.Advance(24 * time.Hour)
	f.poll()
	f.chat("444", "333333333333333333", 10*time.Minute, events.EndTimeout) // one still scheduled

	want := map[string]retention.Category{
		TimersKey: retention.Scheduler, CheckinKey(alert): retention.SessionData, CheckinKey("444"): retention.SessionData,
		LastKey(user): retention.SessionData, PendingKey(user): retention.SessionData,
	}
	for key, cat := range want {
		if got, ok := retention.Classify(key); !ok || got != cat {
			t.Errorf("%s: category %q, want %q", key, got, cat)
		}
		if ttl := rdb.PTTL(ctx, key).Val(); ttl <= 0 {
			t.Errorf("%s: TTL %v", key, ttl)
		}
	}
	for _, key := range rdb.Keys(ctx, "ash:*followup*").Val() {
		if _, ok := want[key]; !ok {
			t.Errorf("unexpected key %s", key)
		}
	}

	c, err := storagestats.NewCollector(rdb, storagestats.Options{Clock: clock})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.Collect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, cs := range st.Categories {
		if cs.KeysWithoutTTL != 0 {
			t.Errorf("%s: %d keys without TTL", cs.Category, cs.KeysWithoutTTL)
		}
		if cs.Category == retention.Scheduler && cs.Keys < 1 || cs.Category == retention.SessionData && cs.Keys < 4 {
			t.Errorf("%s: %d keys counted", cs.Category, cs.Keys)
		}
	}
}
