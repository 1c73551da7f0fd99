package detection

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
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

func newHistory(t *testing.T, max int) (*History, *redis.Client) {
	t.Helper()
	rdb := srv.Fresh(t)
	h, err := NewHistory(rdb, max, 7*day, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	return h, rdb
}

func TestHistoryLayoutOrderAndTrim(t *testing.T) {
	h, rdb := newHistory(t, 3)
	ctx := context.Background()
	long := strings.Repeat("é", 600)
	for i := range 5 {
		text := fmt.Sprintf("message %d", i)
		if i == 4 {
			text = long
		}
		at := now.Add(time.Duration(i-10) * time.Minute)
		if err := h.Add(ctx, "g", "u", fmt.Sprint(100+i), text, at, events.Medium, 0.3+float64(i)/100); err != nil {
			t.Fatal(err)
		}
	}
	// Safe messages are not kept.
	if err := h.Add(ctx, "g", "u", "999", "hello", now, Safe, 0.01); err != nil {
		t.Fatal(err)
	}
	zs := rdb.ZRangeWithScores(ctx, "ash:history:g:u", 0, -1).Val()
	if len(zs) != 3 {
		t.Fatalf("kept %d members, want the newest 3", len(zs))
	}
	// The earlier bot's layout: score in unix seconds, JSON members.
	first := now.Add(-8 * time.Minute)
	if got := zs[0].Score; got < float64(first.Unix())-1 || got > float64(first.Unix())+1 {
		t.Errorf("score %v, want unix seconds %d", got, first.Unix())
	}
	var e map[string]any
	if err := json.Unmarshal([]byte(zs[2].Member.(string)), &e); err != nil {
		t.Fatal(err)
	}
	if len([]rune(e["message"].(string))) != 500 || e["severity"] != "medium" || e["message_id"] != "104" {
		t.Errorf("member %v", e)
	}
	if _, err := time.Parse(time.RFC3339Nano, e["timestamp"].(string)); err != nil {
		t.Errorf("timestamp %v", e["timestamp"])
	}
	// Expiry: the retention after the newest member.
	ttl := rdb.PTTL(ctx, "ash:history:g:u").Val()
	want := 7*day - 6*time.Minute
	if ttl < want-time.Minute || ttl > want+time.Minute {
		t.Errorf("ttl %v, want about %v", ttl, want)
	}
	got, err := h.Recent(ctx, "g", "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].MessageID != "102" || got[2].MessageID != "104" || *got[0].CrisisScore != 0.32 {
		t.Errorf("recent %+v, want 102..104 oldest first", got)
	}
}

func TestHistoryEditReplacesAndOldIsLeftOut(t *testing.T) {
	h, rdb := newHistory(t, 100)
	ctx := context.Background()
	// The earlier bot's member, with an older one past the retention.
	old, _ := json.Marshal(Entry{Message: "old", Timestamp: now.Add(-8 * day).Format(time.RFC3339), Severity: "low", MessageID: "1"})
	rdb.ZAdd(ctx, "ash:history:g:u", redis.Z{Score: float64(now.Add(-8 * day).Unix()), Member: string(old)})
	for _, text := range []string{"first text", "edited text"} {
		if err := h.Add(ctx, "g", "u", "2", text, now.Add(-time.Minute), events.High, 0.6); err != nil {
			t.Fatal(err)
		}
	}
	if n := rdb.ZCard(ctx, "ash:history:g:u").Val(); n != 2 {
		t.Errorf("%d members, want the old one and the edited one", n)
	}
	got, err := h.Recent(ctx, "g", "u")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Message != "edited text" {
		t.Errorf("recent %+v, want only the edited text", got)
	}
	if len(got) > 20 {
		t.Error("more than 20 items")
	}
}

func TestHistoryRecentIsAtMostTwenty(t *testing.T) {
	h, _ := newHistory(t, 100)
	ctx := context.Background()
	for i := range 30 {
		if err := h.Add(ctx, "g", "u", fmt.Sprint(i), "m", now.Add(time.Duration(i-40)*time.Second), events.Low, 0.2); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := h.Recent(ctx, "g", "u")
	if len(got) != 20 || got[0].MessageID != "10" || got[19].MessageID != "29" {
		t.Errorf("got %d items from %s", len(got), got[0].MessageID)
	}
}

func TestScoreTime(t *testing.T) {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if got := ScoreTime(float64(at.Unix()) + 0.5); !got.Equal(at.Add(500 * time.Millisecond)) {
		t.Errorf("seconds: %v", got)
	}
	if got := ScoreTime(float64(at.UnixMilli())); !got.Equal(at) {
		t.Errorf("milliseconds: %v", got)
	}
}

func TestCooldownRules(t *testing.T) {
	rdb := srv.Fresh(t)
	c, _ := NewCooldowns(rdb, 300*time.Second, time.Now)
	ctx := context.Background()
	d, _, err := c.Decide(ctx, "u", "a1", events.Medium)
	if err != nil || d != Alert {
		t.Fatalf("first message: %v %v", d, err)
	}
	// While a1 is being posted, same and lower severity wait for it.
	d, prev, _ := c.Decide(ctx, "u", "a2", events.Medium)
	if d != Note || prev.AlertID != "a1" || prev.Posted() {
		t.Errorf("same severity: %v %+v", d, prev)
	}
	if err := c.Posted(ctx, "u", Open{AlertID: "a1", Severity: events.Medium, AlertChannelID: "c", AlertMessageID: "m1", ThreadID: "m1"}); err != nil {
		t.Fatal(err)
	}
	d, prev, _ = c.Decide(ctx, "u", "a3", events.Low)
	if d != Note || prev.ThreadID != "m1" {
		t.Errorf("lower severity: %v %+v", d, prev)
	}
	d, prev, _ = c.Decide(ctx, "u", "a4", events.High)
	if d != Escalate || prev.AlertID != "a1" {
		t.Errorf("higher severity: %v %+v", d, prev)
	}
	// a4 holds the cooldown now: a late Posted of a1 does not take it back.
	_ = c.Posted(ctx, "u", Open{AlertID: "a1", Severity: events.Medium, AlertMessageID: "m1"})
	if o, _, _ := c.Load(ctx, "u"); o.AlertID != "a4" {
		t.Errorf("open alert %+v, want a4", o)
	}
	if ttl := rdb.PTTL(ctx, CooldownKey("u")).Val(); ttl <= 0 || ttl > 300*time.Second {
		t.Errorf("cooldown ttl %v", ttl)
	}
	// Another person is not affected; a released cooldown alerts again.
	if d, _, _ := c.Decide(ctx, "v", "b1", events.Medium); d != Alert {
		t.Errorf("other person: %v", d)
	}
	if err := c.Release(ctx, "u", "a4"); err != nil {
		t.Fatal(err)
	}
	if d, _, _ := c.Decide(ctx, "u", "a5", events.Low); d != Alert {
		t.Errorf("after release: %v", d)
	}
	off, _ := NewCooldowns(rdb, 0, time.Now)
	for range 2 {
		if d, _, _ := off.Decide(ctx, "w", "x", events.High); d != Alert {
			t.Errorf("cooldown off: %v", d)
		}
	}
}

func TestCooldownRedisDownFails(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer rdb.Close()
	c, _ := NewCooldowns(rdb, time.Minute, time.Now)
	if d, _, err := c.Decide(context.Background(), "u", "a", events.High); err == nil || d != Alert {
		t.Errorf("redis down: %v %v, want Alert with an error", d, err)
	}
}

// The cooldown ends on the bot's clock, not Redis's: a clock that runs
// ahead (the demo, tests) or a Redis whose clock differs sees it end at
// taken+period, and posting the alert does not move that end.
func TestCooldownEndsOnTheBotsClock(t *testing.T) {
	rdb := srv.Fresh(t)
	clk := scheduletest.NewClock(time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC))
	c, _ := NewCooldowns(rdb, 5*time.Minute, clk.Now)
	ctx := context.Background()
	if d, _, _ := c.Decide(ctx, "u", "a1", events.Medium); d != Alert {
		t.Fatalf("first message: %v", d)
	}
	clk.Advance(4 * time.Minute)
	if err := c.Posted(ctx, "u", Open{AlertID: "a1", Severity: events.Medium, AlertMessageID: "m1", ThreadID: "m1"}); err != nil {
		t.Fatal(err)
	}
	if o, ok, _ := c.Load(ctx, "u"); !ok || o.ThreadID != "m1" || o.UntilMS != time.Date(2026, 1, 5, 12, 5, 0, 0, time.UTC).UnixMilli() {
		t.Errorf("after posting: %+v %v, want the cooldown's end kept", o, ok)
	}
	if d, _, _ := c.Decide(ctx, "u", "a2", events.Medium); d != Note {
		t.Errorf("within the cooldown: %v, want Note", d)
	}
	clk.Advance(time.Minute) // 12:05: over, although Redis still keeps the key
	if _, ok, _ := c.Load(ctx, "u"); ok {
		t.Error("Load: the cooldown is over on the bot's clock")
	}
	d, prev, _ := c.Decide(ctx, "u", "a3", events.Low)
	if d != Alert || prev.AlertID != "" {
		t.Errorf("after the cooldown: %v %+v, want a new alert", d, prev)
	}
}
