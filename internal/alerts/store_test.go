package alerts

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

const day = 24 * time.Hour

// now is the real time: Redis counts TTLs on its own clock.
var now = time.Now().UTC().Truncate(time.Millisecond)

func newStore(t *testing.T) (*Store, *redis.Client) {
	t.Helper()
	rdb := srv.Fresh(t)
	s, err := NewStore(rdb, StoreOptions{TTL: 90 * day, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	return s, rdb
}

func posted(id string) State {
	return State{AlertID: id, CreatedAt: now.Add(-time.Hour), Severity: events.High, UserID: "333", ChannelID: "444",
		SourceMessageID: id, AlertChannelID: "555", AlertMessageID: "666", ThreadID: "666"}
}

func TestClaimFlagOnce(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	var wins sync.WaitGroup
	results := make(chan bool, 16)
	for range 16 {
		wins.Add(1)
		go func() {
			defer wins.Done()
			ok, err := s.ClaimFlag(ctx, "m1")
			if err != nil {
				t.Error(err)
			}
			results <- ok
		}()
	}
	wins.Wait()
	close(results)
	n := 0
	for ok := range results {
		if ok {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d members won the claim, want 1", n)
	}
	if ttl := rdb.PTTL(ctx, StateKey("m1")).Val(); ttl <= 0 || ttl > 10*time.Minute {
		t.Errorf("pending claim TTL %v, want at most 10 minutes", ttl)
	}
	// An alert that was not posted can be flagged again at once...
	if err := s.ReleaseFlag(ctx, "m1"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimFlag(ctx, "m1"); !ok {
		t.Error("released claim not claimable")
	}
	// ...but a posted alert's state is never released.
	if err := s.SaveCreated(ctx, posted("m2")); err != nil {
		t.Fatal(err)
	}
	if err := s.ReleaseFlag(ctx, "m2"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.ClaimFlag(ctx, "m2"); ok {
		t.Error("a posted alert was claimed again")
	}
}

func TestCountFlag(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	for want := int64(1); want <= 3; want++ {
		n, err := s.CountFlag(ctx, "u1", time.Minute)
		if err != nil || n != want {
			t.Fatalf("count %d %v, want %d", n, err, want)
		}
	}
	if ttl := rdb.PTTL(ctx, FlagsKey("u1")).Val(); ttl <= 0 || ttl > time.Minute {
		t.Errorf("window TTL %v", ttl)
	}
	rdb.Persist(ctx, FlagsKey("u1"))
	if _, err := s.CountFlag(ctx, "u1", time.Minute); err != nil {
		t.Fatal(err)
	}
	if ttl := rdb.PTTL(ctx, FlagsKey("u1")).Val(); ttl <= 0 {
		t.Error("a counter that lost its TTL did not get it back")
	}
}

func TestSaveAndLoad(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	st := posted("a1")
	if err := s.SaveCreated(ctx, st); err != nil {
		t.Fatal(err)
	}
	got, err := s.Load(ctx, "a1")
	if err != nil {
		t.Fatal(err)
	}
	if got.AlertMessageID != "666" || got.UserID != "333" || got.Severity != events.High || !got.CreatedAt.Equal(st.CreatedAt) || got.Restored {
		t.Errorf("loaded %+v", got)
	}
	ttl := rdb.PTTL(ctx, StateKey("a1")).Val()
	if want := 90*day - time.Hour; ttl < want-time.Minute || ttl > want+time.Second {
		t.Errorf("state TTL %v, want retention from creation (%v)", ttl, want)
	}
	if id, err := s.AlertForThread(ctx, "666"); err != nil || id != "a1" {
		t.Errorf("thread lookup %q %v", id, err)
	}
	if rdb.PTTL(ctx, ThreadKey("666")).Val() <= 0 {
		t.Error("thread map without TTL")
	}
	if _, err := s.Load(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing alert: %v", err)
	}
	if _, err := s.AlertForThread(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing thread: %v", err)
	}
}

// Sixteen CRT members press Acknowledge at once: one wins, everyone
// learns who.
func TestClaimConcurrent(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	if err := s.SaveCreated(ctx, posted("a1")); err != nil {
		t.Fatal(err)
	}
	type result struct {
		won bool
		st  State
	}
	results := make(chan result, 16)
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			by := string(rune('a' + i))
			won, st, err := s.Claim(ctx, "a1", ClaimAck, by, now.Add(time.Duration(i)*time.Millisecond), nil)
			if err != nil {
				t.Error(err)
			}
			results <- result{won, st}
		}()
	}
	wg.Wait()
	close(results)
	var winner string
	winners := 0
	var holders []string
	for r := range results {
		if r.won {
			winners++
			winner = r.st.Ack.By
		}
		holders = append(holders, r.st.Ack.By)
	}
	if winners != 1 {
		t.Fatalf("%d winners", winners)
	}
	for _, h := range holders {
		if h != winner {
			t.Errorf("a caller was told %q won, the winner is %q", h, winner)
		}
	}
}

// A click on an alert whose state Redis lost (or never got) rebuilds it
// from the message, with the alert's TTL; without fallback it is unknown.
func TestClaimRestoresState(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	if _, _, err := s.Claim(ctx, "a1", ClaimAck, "111", now, nil); !errors.Is(err, ErrNotFound) {
		t.Fatalf("claim on unknown alert without fallback: %v", err)
	}
	if rdb.Exists(ctx, StateKey("a1")).Val() != 0 {
		t.Fatal("a failed claim left a key")
	}
	fb := State{AlertID: "a1", CreatedAt: now.Add(-day), UserID: "333", AlertChannelID: "555", AlertMessageID: "666", ThreadID: "666"}
	won, st, err := s.Claim(ctx, "a1", ClaimAck, "111", now, &fb)
	if err != nil || !won || !st.Restored || st.UserID != "333" || st.Ack.By != "111" || !st.Ack.At.Equal(now) {
		t.Fatalf("restored claim %v %+v %v", won, st, err)
	}
	if ttl := rdb.PTTL(ctx, StateKey("a1")).Val(); ttl < 88*day || ttl > 89*day {
		t.Errorf("restored TTL %v, want retention from the alert's creation", ttl)
	}
	if id, _ := s.AlertForThread(ctx, "666"); id != "a1" {
		t.Errorf("thread map not restored: %q", id)
	}
	// A pending flag claim (no alert_message_id) is completed the same way.
	if ok, _ := s.ClaimFlag(ctx, "a2"); !ok {
		t.Fatal("claim a2")
	}
	fb.AlertID = "a2"
	if won, st, err := s.Claim(ctx, "a2", ClaimResolve, "222", now, &fb); err != nil || !won || st.AlertMessageID != "666" || st.ClaimedAt.IsZero() {
		t.Errorf("pending state completed: %v %+v %v", won, st, err)
	}
	if ttl := rdb.PTTL(ctx, StateKey("a2")).Val(); ttl < day {
		t.Errorf("pending TTL kept after restore: %v", ttl)
	}
}

func TestReleaseOnlyOwnClaim(t *testing.T) {
	s, _ := newStore(t)
	ctx := context.Background()
	s.SaveCreated(ctx, posted("a1"))
	if won, _, _ := s.Claim(ctx, "a1", ClaimContact, "auto", now, nil); !won {
		t.Fatal("claim")
	}
	if err := s.Release(ctx, "a1", ClaimContact, "111"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Load(ctx, "a1"); st.Contact.By != "auto" {
		t.Error("someone else's claim released")
	}
	if err := s.Release(ctx, "a1", ClaimContact, "auto"); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.Load(ctx, "a1"); st.Contact.Done() {
		t.Error("own claim not released")
	}
}

func TestSetAsh(t *testing.T) {
	s, rdb := newStore(t)
	ctx := context.Background()
	if err := s.SetAsh(ctx, "gone", AshEngaged, now, "abcd1234"); err != nil {
		t.Fatal(err)
	}
	if rdb.Exists(ctx, StateKey("gone")).Val() != 0 {
		t.Error("SetAsh created state for an unknown alert")
	}
	s.SaveCreated(ctx, posted("a1"))
	if err := s.SetAsh(ctx, "a1", AshEnded(events.EndTimeout), now, ""); err != nil {
		t.Fatal(err)
	}
	st, _ := s.Load(ctx, "a1")
	if st.AshStatus.EndReason() != events.EndTimeout || !st.AshStatusAt.Equal(now) {
		t.Errorf("ash status %+v", st)
	}
}
