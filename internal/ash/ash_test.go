package ash

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

const day = 24 * time.Hour

// now is the real time: Redis counts TTLs on its own clock.
var now = time.Now().UTC().Truncate(time.Millisecond)

func TestEndPhrases(t *testing.T) {
	cases := map[string]bool{
		"bye ash": true, "Bye, Ash!": true, "  STOP ": true, "end chat.": true, "goodbye": true, "quit": true,
		"I can't stop crying": false, "stop it please": false, "bye bye": false, "": false, "ash": false,
	}
	for msg, want := range cases {
		if got := isEndPhrase(msg, DefaultEndPhrases()); got != want {
			t.Errorf("isEndPhrase(%q) = %v, want %v", msg, got, want)
		}
	}
}

func TestScripted(t *testing.T) {
	ctx := context.Background()
	manual, _ := Scripted{}.Welcome(ctx, Conversation{})
	auto, _ := Scripted{}.Welcome(ctx, Conversation{Auto: true})
	if manual == auto || !strings.Contains(auto, "I'd rather not") {
		t.Errorf("welcomes %q / %q", manual, auto)
	}
	seen := map[string]bool{}
	for turn := 1; turn <= len(replies); turn++ {
		r, _ := Scripted{}.Reply(ctx, Conversation{Turn: turn}, "whatever")
		seen[r] = true
	}
	if len(seen) != len(replies) {
		t.Errorf("replies repeat within %d turns", len(replies))
	}
	// Every end reason has a closing of its own (Closing would otherwise
	// fall back to the user_ended one).
	for _, r := range events.EndReasons {
		text, err := Scripted{}.Closing(ctx, Conversation{}, r)
		if want, ok := closings[r]; err != nil || !ok || text != want {
			t.Errorf("no closing of its own for %s: %q %v", r, text, err)
		}
	}
}

func TestDMButtonIDs(t *testing.T) {
	id := ButtonID(ActionOptOut, "18446744073709551615", "abcd1234")
	if len(id) > 100 {
		t.Errorf("custom id %d characters", len(id))
	}
	if b, ok := ParseButtonID(id); !ok || b != (DMButton{ActionOptOut, "18446744073709551615", "abcd1234"}) {
		t.Errorf("round trip %+v %v", b, ok)
	}
	for _, bad := range []string{"/ash/optout/1", "/ash/nope/1/2", "/ash/end//2", "/alert/ack/1/2"} {
		if _, ok := ParseButtonID(bad); ok {
			t.Errorf("accepted %q", bad)
		}
	}
}

func TestDueSet(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx := context.Background()
	s := NewDueSet(rdb, AutoInitKey)
	if next, err := s.Next(ctx); err != nil || !next.IsZero() {
		t.Fatalf("empty set next %v %v", next, err)
	}
	s.Add(ctx, "late", now.Add(time.Minute))
	s.Add(ctx, "early", now.Add(-time.Minute))
	s.Add(ctx, "now", now)
	if ttl := rdb.PTTL(ctx, AutoInitKey).Val(); ttl < 6*day {
		t.Errorf("set TTL %v", ttl)
	}
	due, err := s.Due(ctx, now, 10)
	if err != nil || len(due) != 2 || due[0].Member != "early" || due[1].Member != "now" || !due[1].At.Equal(now) {
		t.Fatalf("due %+v %v", due, err)
	}
	// Sixteen replicas see the same due timer: one fires it.
	var wg sync.WaitGroup
	var mu sync.Mutex
	wins := 0
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if ok, _ := s.Claim(ctx, "early"); ok {
				mu.Lock()
				wins++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if wins != 1 {
		t.Errorf("%d replicas fired one timer", wins)
	}
	if next, _ := s.Next(ctx); !next.Equal(now) {
		t.Errorf("next %v", next)
	}
	if _, ok, _ := s.When(ctx, "early"); ok {
		t.Error("claimed timer still set")
	}
}

func TestPoller(t *testing.T) {
	rdb := srv.Fresh(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := scheduletest.NewClock(now)
	s := NewDueSet(rdb, "ash:schedule:test")
	fired := make(chan Due, 10)
	calls := 0
	p, err := NewPoller(PollerOptions{Name: "test", Set: s, Clock: clock, Interval: time.Minute,
		Handle: func(_ context.Context, d Due) time.Time {
			calls++
			switch {
			case d.Member == "flaky" && calls == 1:
				return clock.Now().Add(10 * time.Second) // retry
			case d.Member == "boom":
				panic("handler bug")
			}
			fired <- d
			return time.Time{}
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.Add(ctx, "flaky", now.Add(30*time.Second))
	s.Add(ctx, "boom", now.Add(40*time.Second))
	done := make(chan struct{})
	go func() { p.Run(ctx); close(done) }()

	clock.BlockUntil(t, 1)
	// It sleeps until the first timer, not a whole interval.
	if at, _ := clock.NextDeadline(); !at.Equal(now.Add(30 * time.Second)) {
		t.Fatalf("poller wakes at %v, want the first due time", at)
	}
	clock.Advance(30 * time.Second)
	clock.BlockUntil(t, 1)
	if len(fired) != 0 {
		t.Fatal("retried timer fired at once")
	}
	if when, ok, _ := s.When(ctx, "flaky"); !ok || !when.Equal(now.Add(40*time.Second)) {
		t.Fatalf("retry set for %v %v", when, ok)
	}
	clock.Advance(10 * time.Second)
	clock.BlockUntil(t, 1)
	select {
	case d := <-fired:
		if d.Member != "flaky" {
			t.Errorf("fired %+v", d)
		}
	default:
		t.Fatal("retried timer did not fire")
	}
	if n := rdb.ZCard(ctx, "ash:schedule:test").Val(); n != 0 {
		t.Errorf("%d timers left (the panicking one must not loop)", n)
	}
	st := p.Stats()
	if st.Fired != 3 || st.Failures != 1 {
		t.Errorf("stats %+v", st)
	}
	cancel()
	<-done
}

func newStore(t testing.TB) (*Store, *redis.Client) {
	t.Helper()
	rdb := srv.Fresh(t)
	st, err := NewStore(rdb, 30*day, 30*day, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return st, rdb
}

func TestSessionStore(t *testing.T) {
	st, rdb := newStore(t)
	ctx := context.Background()
	s := Session{ID: "aaaa0001", UserID: "u1", AlertID: "a1", By: events.AutoBy, StartedAt: now}
	if existing, err := st.Begin(ctx, s); err != nil || existing != "" {
		t.Fatalf("begin %q %v", existing, err)
	}
	s2 := s
	s2.ID = "aaaa0002"
	if existing, _ := st.Begin(ctx, s2); existing != "aaaa0001" {
		t.Errorf("second chat for the same user: %q", existing)
	}
	if ttl := rdb.PTTL(ctx, SessionKey(s.ID)).Val(); ttl < 29*day {
		t.Errorf("session TTL %v", ttl)
	}
	if turn, _ := st.Touch(ctx, s.ID, now.Add(time.Minute)); turn != 1 {
		t.Errorf("turn %d", turn)
	}
	got, ok, err := st.ActiveFor(ctx, "u1")
	if err != nil || !ok || got.ID != s.ID || !got.UpdatedAt.Equal(now.Add(time.Minute)) || got.Turns != 1 || !got.Auto() {
		t.Errorf("active %+v %v %v", got, ok, err)
	}
	if won, _ := st.ClaimEnd(ctx, s.ID, events.EndTimeout, now.Add(2*time.Minute)); !won {
		t.Error("end not claimed")
	}
	if won, _ := st.ClaimEnd(ctx, s.ID, events.EndUserEnded, now.Add(3*time.Minute)); won {
		t.Error("chat ended twice")
	}
	if turn, _ := st.Touch(ctx, s.ID, now.Add(4*time.Minute)); turn != -1 {
		t.Error("ended chat touched")
	}
	if _, err := st.ClaimEnd(ctx, "nope", events.EndTimeout, now); !errors.Is(err, ErrNoSession) {
		t.Errorf("end of unknown session: %v", err)
	}
	// The mapping left behind by the ended chat does not block the next.
	if existing, err := st.Begin(ctx, s2); err != nil || existing != "" {
		t.Errorf("begin after a stale mapping: %q %v", existing, err)
	}
}

func TestOptOutStore(t *testing.T) {
	st, rdb := newStore(t)
	ctx := context.Background()
	if _, ok, err := st.OptedOut(ctx, "u1"); ok || err != nil {
		t.Fatalf("opted out before opting out: %v %v", ok, err)
	}
	until, err := st.OptOut(ctx, "u1", now)
	if err != nil || !until.Equal(now.Add(30*day)) {
		t.Fatalf("opt-out %v %v", until, err)
	}
	// The earlier bot's JSON form, which it reads back on a rollback.
	v := rdb.Get(ctx, OptOutKey("u1")).Val()
	if at, exp, err := ParseOptOut(v); err != nil || !at.Equal(now) || !exp.Equal(now.Add(30*day)) {
		t.Errorf("value %q read as %v until %v (%v), want %v until %v", v, at, exp, err, now, now.Add(30*day))
	}
	// What ashbot wrote before: unix ms text.
	if at, exp, err := ParseOptOut(msText(now)); err != nil || !at.Equal(now) || !exp.IsZero() {
		t.Errorf("ms value read as %v until %v (%v)", at, exp, err)
	}
	// Without a TTL, the expiry the value names stands.
	rdb.Persist(ctx, OptOutKey("u1"))
	if until, ok, err := st.OptedOut(ctx, "u1"); !ok || err != nil || !until.Equal(now.Add(30*day)) {
		t.Errorf("opted out without TTL: %v until %v (%v)", ok, until, err)
	}
	rdb.Expire(ctx, OptOutKey("u1"), 30*day)
	if until, ok, _ := st.OptedOut(ctx, "u1"); !ok || until.Before(now.Add(29*day)) {
		t.Errorf("opted out %v until %v", ok, until)
	}
}
