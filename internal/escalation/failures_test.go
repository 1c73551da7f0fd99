package escalation

import (
	"bytes"
	"context"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// A replica that claimed a step and died before finishing it leaves its
// guard timer: after the lease another replica posts the step, and
// Discord's nonce answers with the message already posted.
func TestReplicaDiesWhilePosting(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	p := f.alert(events.Critical)
	f.clock.Advance(5 * time.Minute)
	id := p.ID
	// The dead replica: it took the timer and the claim, set its guard,
	// and stopped.
	if won, err := f.escalator.Set().Claim(context.Background(), Member(id, Team)); err != nil || !won {
		t.Fatal(won, err)
	}
	if c, _, err := f.store.ClaimEscalation(context.Background(), id, Team, f.clock.Now(), 2*time.Minute); err != nil || c != alerts.StepWon {
		t.Fatal(c, err)
	}
	if err := f.escalator.Set().Add(context.Background(), Member(id, Team), f.clock.Now().Add(2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	f.at(p, 6*time.Minute)
	if len(f.thread(p)) != 0 {
		t.Fatal("another replica posted while the claim was live")
	}
	f.at(p, 7*time.Minute)
	if msgs := f.thread(p); len(msgs) != 1 {
		t.Fatalf("after the lease: thread %v, want the step posted once", contents(msgs))
	}
}

// With Redis down the alert still goes out at once; the timers are set
// when Redis is back.
func TestRedisDownAlertStillPosts(t *testing.T) {
	rdb, db := srv.FreshDB(t)
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	viaProxy := redis.NewClient(&redis.Options{Addr: proxy.Addr, Password: srv.Password, DB: db,
		DialTimeout: 100 * time.Millisecond, ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { viaProxy.Close() })
	f := newFixture(t, viaProxy)
	proxy.Down()
	p := f.alert(events.Critical)
	if _, ok := f.sim.Message(p.MessageID); !ok {
		t.Fatal("alert not posted")
	}
	// The write is retried in the background while Redis is down.
	deadline := time.Now().Add(10 * time.Second)
	for f.escalator.Stats().ScheduleFailures == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the timer write was never retried")
		}
		time.Sleep(50 * time.Millisecond)
	}
	proxy.Up()
	for {
		n, _ := rdb.ZCard(context.Background(), Key).Result()
		if n == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("timers never set after Redis came back (%d)", n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A post Discord fails with a 5xx is tried again a minute later, once
// posted; a refusal (403) on the thread falls back to a reply to the
// alert in its channel.
func TestDiscordFailures(t *testing.T) {
	t.Run("5xx retried", func(t *testing.T) {
		f := newFixture(t, srv.Fresh(t))
		p := f.alert(events.Critical)
		f.sim.FailNext("POST", "/channels/*/messages", 500, 20)
		f.at(p, 5*time.Minute)
		if len(f.thread(p)) != 0 {
			t.Fatal("posted through a failing Discord?")
		}
		f.sim.ClearFaults()
		f.at(p, 6*time.Minute)
		msgs := f.thread(p)
		if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "after 6 minutes") || strings.Contains(msgs[0].Content, "late") {
			t.Fatalf("after the retry: %v", contents(msgs))
		}
	})
	t.Run("thread refused", func(t *testing.T) {
		f := newFixture(t, srv.Fresh(t))
		p := f.alert(events.Critical)
		f.sim.FailNext("POST", "/channels/"+p.ThreadID.String()+"/messages", 403, 1)
		f.at(p, 5*time.Minute)
		var reply *discordsim.Message
		for _, m := range f.sim.BotMessages(f.crisis) {
			if m.Reference != nil && m.Reference.MessageID != nil && *m.Reference.MessageID == p.MessageID {
				reply = &m
			}
		}
		if reply == nil || !strings.Contains(reply.Content, "Still unacknowledged") || !slices.Equal(reply.MentionRoles, []snowflake.ID{f.crt.ID}) {
			t.Fatalf("no level 1 reply to the alert in its channel: %+v", reply)
		}
	})
}

// Discord pings a role only when it is mentionable (or the bot has Mention
// Everyone): the step still goes out, and the log says loudly what to fix.
func TestRoleNotMentionable(t *testing.T) {
	f := newFixture(t, srv.Fresh(t))
	var logs bytes.Buffer
	f.log = slog.New(slog.NewTextHandler(&logs, nil))
	f.replicas = []*ash.Poller{f.poller(f.newEscalator())}
	if err := f.sim.SetRoleMentionable(f.crt.ID, false); err != nil {
		t.Fatal(err)
	}
	p := f.alert(events.Critical)
	f.at(p, 5*time.Minute)
	msgs := f.thread(p)
	if len(msgs) != 1 || len(msgs[0].MentionRoles) != 0 {
		t.Fatalf("thread %v", contents(msgs))
	}
	if !strings.Contains(logs.String(), "roles were NOT pinged") || !strings.Contains(logs.String(), f.crt.ID.String()) {
		t.Errorf("log lacks the unpinged role:\n%s", logs.String())
	}
}
