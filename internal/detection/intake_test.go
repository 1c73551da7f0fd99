package detection

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/events"
)

var quiet = slog.New(slog.DiscardHandler)

const alice, bob snowflake.ID = 7001, 7002

func TestCrisisMessageAlertsAndSafeDoesNot(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	f.send(alice, "nice weather today")
	crisis := f.send(bob, "[high] I can't do this anymore")
	f.handled(f.in, 2)
	got := f.disp.sent()
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1: %+v", len(got), got)
	}
	a := got[0]
	if a.ID != crisis.ID.String() || a.Severity != events.High || a.UserID != bob.String() || a.Detection == nil ||
		a.Detection.CrisisScore != 0.6 || a.Detection.RecommendedAction != "priority_response" || len(a.Detection.KeyFactors) != 2 ||
		a.Detection.Late != 0 || a.Source() != "detected" || a.ChannelSensitivity != 0 {
		t.Errorf("alert %+v detection %+v", a, a.Detection)
	}
	st := f.in.Stats()
	if st.Seen != 2 || st.Classified[Safe] != 1 || st.Classified[events.High] != 1 || st.Alerts[events.High] != 1 {
		t.Errorf("stats %+v", st)
	}
	// The crisis message is in its author's history, the safe one is not.
	if n := f.rdb.ZCard(context.Background(), HistoryKey(snowflake.ID(guild).String(), bob.String())).Val(); n != 1 {
		t.Errorf("bob's history has %d members", n)
	}
	if n := f.rdb.Exists(context.Background(), HistoryKey(snowflake.ID(guild).String(), alice.String())).Val(); n != 0 {
		t.Error("a safe message was kept")
	}
}

func TestWhatIsNeverSent(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	otherGuild := snowflake.ID(99)
	hook := snowflake.ID(1)
	cases := map[string]discord.Message{}
	m := f.msg(alice, monitored, "[high] from a bot")
	m.Author.Bot = true
	cases["bot"] = m
	m = f.msg(alice, monitored, "[high] from a webhook")
	m.WebhookID = &hook
	cases["webhook"] = m
	m = f.msg(alice, monitored, "[high] joined")
	m.Type = discord.MessageTypeUserJoin
	cases["system"] = m
	m = f.msg(alice, monitored, "  ")
	m.Attachments = []discord.Attachment{{Filename: "a.png"}}
	cases["no_text"] = m
	m = f.msg(alice, monitored, "[high] dm")
	m.GuildID = nil
	cases["dm"] = m
	m = f.msg(alice, monitored, "[high] elsewhere")
	m.GuildID = &otherGuild
	cases["other_guild"] = m
	for _, m := range cases {
		f.in.OnMessage(m, 0, false)
	}
	f.in.OnMessage(f.msg(alice, other, "[high] not monitored"), 0, false)
	// A thread whose parent is monitored is classified.
	f.in.OnMessage(f.msg(alice, 4444, "[low] in a thread"), monitored, false)
	f.handled(f.in, 1)
	reqs := f.nlp.requests()
	if len(reqs) != 1 || reqs[0].Message != "[low] in a thread" {
		t.Errorf("classified %+v", reqs)
	}
	st := f.in.Stats()
	for reason := range cases {
		if st.Skipped[reason] != 1 {
			t.Errorf("skipped %s = %d", reason, st.Skipped[reason])
		}
	}
	if st.Seen != int64(len(cases)+1) {
		t.Errorf("seen %d: messages in channels not monitored are not counted", st.Seen)
	}
}

func TestEditsAndOneAlertPerMessage(t *testing.T) {
	rdb := srv.Fresh(t)
	f := newFixture(t, rdb, nil)
	m := f.send(alice, "I'm fine")
	f.handled(f.in, 1)
	// An update that leaves the text (an embed unfurled) is not classified.
	f.in.OnMessage(m, 0, true)
	m.Content = "[medium] actually I'm not fine"
	f.in.OnMessage(m, 0, true)
	f.handled(f.in, 2)
	if got := f.disp.sent(); len(got) != 1 || got[0].ID != m.ID.String() {
		t.Fatalf("alerts %+v", got)
	}
	// A second replica sees the same edit: no second alert, no note.
	second := f.start(nil)
	second.OnMessage(m, 0, true)
	m.Content = "[critical] edited again"
	f.in.OnMessage(m, 0, true)
	f.handled(second, 1)
	f.handled(f.in, 3)
	if got := f.disp.sent(); len(got) != 1 {
		t.Errorf("%d alerts for one message", len(got))
	}
	if st := f.in.Stats(); st.Skipped["unchanged_edit"] != 1 {
		t.Errorf("skipped %v", st.Skipped)
	}
	if notes := f.post.in(snowflake.ID(9001).String()); len(notes) != 0 {
		t.Errorf("notes for the alerted message itself: %q", notes)
	}
}

func TestTwoReplicasRaiseOneAlert(t *testing.T) {
	rdb := srv.Fresh(t)
	f := newFixture(t, rdb, nil)
	second := f.start(nil)
	for i := range 20 {
		m := f.msg(snowflake.ID(8000+i), monitored, "[high] help")
		f.in.OnMessage(m, 0, false)
		second.OnMessage(m, 0, false)
	}
	f.handled(f.in, 20)
	f.handled(second, 20)
	if got := len(f.disp.sent()); got != 20 {
		t.Errorf("%d alerts for 20 messages seen by two replicas", got)
	}
}

func TestCooldownNoteThenEscalation(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	first := f.send(alice, "[medium] rough day")
	f.handled(f.in, 1)
	f.send(alice, "[medium] really rough")
	f.send(alice, "[low] meh")
	f.handled(f.in, 3)
	got := f.disp.sent()
	if len(got) != 1 || got[0].ID != first.ID.String() {
		t.Fatalf("alerts %+v", got)
	}
	thread := snowflake.ID(9001).String()
	notes := f.post.in(thread)
	if len(notes) != 1 || !strings.Contains(notes[0], "Another message from the same person") ||
		!strings.Contains(notes[0], "really rough") || !strings.Contains(notes[0], "/channels/") {
		t.Errorf("notes %q (the low one is below the alert threshold)", notes)
	}
	esc := f.send(alice, "[critical] goodbye")
	f.handled(f.in, 4)
	got = f.disp.sent()
	if len(got) != 2 || got[1].ID != esc.ID.String() || got[1].Severity != events.Critical ||
		got[1].EscalatedFrom == nil || got[1].EscalatedFrom.AlertID != first.ID.String() ||
		!strings.Contains(got[1].EscalatedFrom.URL, "/500/9001") {
		t.Fatalf("escalation %+v", got)
	}
	f.wait("escalation note", func() bool { return len(f.post.in(thread)) == 2 })
	if n := f.post.in(thread)[1]; !strings.Contains(n, "Escalated") || !strings.Contains(n, "/500/9002") {
		t.Errorf("note in the open alert %q", n)
	}
	// The escalated alert holds the cooldown now: high is a note in its thread.
	f.send(alice, "[high] still here")
	f.handled(f.in, 5)
	if len(f.disp.sent()) != 2 || len(f.post.in(snowflake.ID(9002).String())) != 1 {
		t.Errorf("after escalation: %d alerts, notes %q", len(f.disp.sent()), f.post.in(snowflake.ID(9002).String()))
	}
	// Another person is not held by alice's cooldown.
	f.send(bob, "[medium] me too")
	f.handled(f.in, 6)
	if len(f.disp.sent()) != 3 {
		t.Error("bob's alert held by alice's cooldown")
	}
}

func TestHistoryGoesWithTheMessageInOrder(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	var texts []string
	for i := range 30 {
		texts = append(texts, fmt.Sprintf("[low] message %02d", i))
		f.send(alice, texts[i])
	}
	f.handled(f.in, 30)
	reqs := f.nlp.requests()
	var order []string
	for _, r := range reqs {
		order = append(order, r.Message)
	}
	if !slices.Equal(order, texts) {
		t.Fatalf("one person's messages classified out of order: %v", order)
	}
	last := reqs[29]
	if len(last.History) != 20 || last.History[0].Message != texts[9] || last.History[19].Message != texts[28] {
		t.Errorf("history of the last message: %d items from %q", len(last.History), last.History[0].Message)
	}
}

func TestMinSeverityAndAlertingOff(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), func(o *Options) { o.MinSeverity = events.High })
	f.send(alice, "[medium] sad")
	f.send(bob, "[high] very sad")
	f.handled(f.in, 2)
	if got := f.disp.sent(); len(got) != 1 || got[0].UserID != bob.String() {
		t.Errorf("min severity high: %+v", got)
	}
	g := newFixture(t, srv.Fresh(t), func(o *Options) { o.AlertingDisabled = true })
	g.send(alice, "[critical] bye")
	g.handled(g.in, 1)
	if len(g.disp.sent()) != 0 {
		t.Error("alerting off still alerts")
	}
	if n := g.rdb.ZCard(context.Background(), HistoryKey(snowflake.ID(guild).String(), alice.String())).Val(); n != 1 {
		t.Error("alerting off stopped history")
	}
}

func TestSensitivityInAlert(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), func(o *Options) {
		o.Sensitivity.High = map[string]float64{snowflake.ID(monitored).String(): 1}
	})
	f.send(alice, "[medium] hmm") // 0.35 * 1.5 = 0.525: medium
	f.send(bob, "[high] hmm")     // 0.6 * 1.5 = 0.9: critical
	f.handled(f.in, 2)
	got := f.disp.sent()
	sev := map[string]events.Severity{}
	for _, a := range got {
		sev[a.UserID] = a.Severity
		if a.ChannelSensitivity != 1.5 {
			t.Errorf("channel_sensitivity %v", a.ChannelSensitivity)
		}
	}
	if sev[alice.String()] != events.Medium || sev[bob.String()] != events.Critical {
		t.Errorf("severities %v", sev)
	}
}

func TestDetectionDownNoticeBacklogAndRecovery(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	f.nlp.setFail(&ashnlp.StatusError{Code: 503, Detail: "down"})
	f.send(alice, "[high] first")
	f.wait("down notice", func() bool { return len(f.post.in(status)) == 1 })
	f.send(alice, "[medium] second")
	f.send(bob, "hello")
	f.nlp.setFail(ashnlp.ErrBreakerOpen)
	f.wait("backlog", func() bool { return f.in.Stats().Backlog == 3 })
	if n := f.post.in(status)[0]; !strings.Contains(n, "DOWN") || !strings.Contains(n, "server errors") {
		t.Errorf("down notice %q", n)
	}
	// Still down at the next probe: no second notice, nothing alerted.
	f.clock.BlockUntil(t, 1)
	f.clock.Advance(10 * time.Second)
	f.clock.BlockUntil(t, 1)
	if len(f.post.in(status)) != 1 || len(f.disp.sent()) != 0 {
		t.Fatalf("notices %q alerts %d", f.post.in(status), len(f.disp.sent()))
	}
	f.nlp.setFail(nil)
	f.clock.Advance(2 * time.Minute)
	f.wait("back notice", func() bool { return len(f.post.in(status)) == 2 })
	f.handled(f.in, 3)
	back := f.post.in(status)[1]
	if !strings.Contains(back, "back") || !strings.Contains(back, "3 message(s) could not be classified") {
		t.Errorf("back notice %q", back)
	}
	got := f.disp.sent()
	if len(got) != 1 || got[0].Detection.Late < 2*time.Minute {
		t.Fatalf("late alerts %+v", got)
	}
	// The second message of alice went to the first one's thread, in order.
	f.wait("note", func() bool { return len(f.post.in(snowflake.ID(9001).String())) == 1 })
	if st := f.in.Stats(); st.Down || st.Backlog != 0 || st.Errors["server_error"] == 0 || st.Errors["breaker_open"] == 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestBacklogExpiresAndIsCounted(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	f.nlp.setFail(context.DeadlineExceeded)
	f.send(alice, "[high] one")
	f.send(bob, "[high] two")
	f.wait("backlog", func() bool { return f.in.Stats().Backlog == 2 })
	f.clock.BlockUntil(t, 1)
	f.clock.Advance(16 * time.Minute)
	f.wait("expiry", func() bool { return f.in.Stats().Dropped == 2 })
	f.nlp.setFail(nil)
	f.send(alice, "[high] three")
	f.clock.BlockUntil(t, 1)
	f.clock.Advance(10 * time.Second)
	f.wait("back notice", func() bool { return len(f.post.in(status)) == 2 })
	if back := f.post.in(status)[1]; !strings.Contains(back, "2 message(s) were never classified") {
		t.Errorf("back notice %q", back)
	}
	f.handled(f.in, 1)
	if got := f.disp.sent(); len(got) != 1 || !strings.Contains(got[0].Content, "three") {
		t.Errorf("alerts %+v", got)
	}
}

func TestQueueFullIsToldAndNothingLost(t *testing.T) {
	block := make(chan struct{})
	f := newFixture(t, srv.Fresh(t), func(o *Options) { o.Workers, o.QueueSize = 1, 2 })
	f.nlp.block = block
	for i := range 8 {
		f.send(snowflake.ID(8000+i), fmt.Sprintf("[high] %d", i))
	}
	f.wait("overflow notice", func() bool { return len(f.post.in(status)) == 1 })
	if n := f.post.in(status)[0]; !strings.Contains(n, "queue is full") {
		t.Errorf("notice %q", n)
	}
	close(block)
	f.handled(f.in, 8)
	f.wait("back notice", func() bool { return len(f.post.in(status)) == 2 })
	if got := len(f.disp.sent()); got != 8 {
		t.Errorf("%d alerts, want 8", got)
	}
	if st := f.in.Stats(); st.Overflow == 0 || st.Dropped != 0 || st.Notices != 2 {
		t.Errorf("stats %+v (one notice when it fell behind, one when it caught up)", st)
	}
}

func TestRejectedMessageIsNotBacklogged(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	f.nlp.setFail(&ashnlp.StatusError{Code: 422, Detail: "bad"})
	f.send(alice, "[high] x")
	f.wait("rejection", func() bool { return f.in.Stats().Skipped["rejected_by_classifier"] == 1 })
	if st := f.in.Stats(); st.Down || st.Backlog != 0 || len(f.post.in(status)) != 0 {
		t.Errorf("a 422 is not an outage: %+v", st)
	}
}

func TestRedisDownTheAlertStillGoesOut(t *testing.T) {
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 50 * time.Millisecond})
	t.Cleanup(func() { dead.Close() })
	f := newFixture(t, dead, nil)
	m := f.send(alice, "[critical] now")
	f.handled(f.in, 1)
	if got := f.disp.sent(); len(got) != 1 || got[0].ID != m.ID.String() {
		t.Errorf("alerts with Redis down: %+v", got)
	}
}

func TestDispatchFailureReleasesClaims(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	f.disp.fail = true
	m := f.send(alice, "[high] x")
	f.handled(f.in, 1)
	f.disp.mu.Lock()
	f.disp.fail = false
	f.disp.mu.Unlock()
	m.Content = "[high] x, edited"
	f.in.OnMessage(m, 0, true)
	f.handled(f.in, 2)
	if got := f.disp.sent(); len(got) != 1 {
		t.Errorf("after a failed post the message could not alert again: %+v", got)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	if _, err := New(Options{}); err == nil {
		t.Error("empty options accepted")
	}
	f := newFixture(t, srv.Fresh(t), nil)
	_, err := New(Options{Classifier: f.nlp, Dispatcher: f.disp, Claims: fakeClaims{}, Poster: f.post, Clock: f.clock,
		Monitored: []snowflake.ID{1}, MinSeverity: "urgent"})
	if err == nil || !strings.Contains(err.Error(), "severity") {
		t.Errorf("bad severity: %v", err)
	}
}

type fakeClaims struct{}

func (fakeClaims) ClaimFlag(context.Context, string) (bool, error) { return true, nil }
func (fakeClaims) ReleaseFlag(context.Context, string) error       { return nil }

// healthyNLP is a fakeNLP with the client's health check.
type healthyNLP struct {
	*fakeNLP
	healthy chan bool
}

func (h healthyNLP) Health(context.Context) error {
	if <-h.healthy {
		return nil
	}
	return errors.New("not ready")
}

func TestBackWhenHealthyWithNothingWaiting(t *testing.T) {
	nlp := healthyNLP{fakeNLP: &fakeNLP{}, healthy: make(chan bool, 1)}
	f := newFixture(t, srv.Fresh(t), func(o *Options) { o.BacklogFor = 0 })
	f.stop()
	f.in = nil
	f.nlp = nlp.fakeNLP
	f.start(func(o *Options) { o.Classifier, o.BacklogFor = nlp, 0 })
	f.nlp.setFail(context.DeadlineExceeded)
	f.send(alice, "[high] lost")
	f.wait("down notice", func() bool { return len(f.post.in(status)) == 1 })
	if n := f.post.in(status)[0]; !strings.Contains(n, "NOT classified and will not be kept") {
		t.Errorf("down notice without a backlog %q", n)
	}
	nlp.healthy <- false
	f.clock.BlockUntil(t, 1)
	f.clock.Advance(10 * time.Second)
	f.clock.BlockUntil(t, 1)
	if len(f.post.in(status)) != 1 {
		t.Fatal("back while the health check fails")
	}
	nlp.healthy <- true
	f.clock.Advance(10 * time.Second)
	f.wait("back notice", func() bool { return len(f.post.in(status)) == 2 })
	if back := f.post.in(status)[1]; !strings.Contains(back, "1 message(s) were never classified") {
		t.Errorf("back notice %q", back)
	}
}

// A classifier that fails its health check at start-up is announced
// down at once, and back when the probe finds it healthy.
func TestDownAtStart(t *testing.T) {
	nlp := healthyNLP{fakeNLP: &fakeNLP{}, healthy: make(chan bool, 1)}
	f := newFixture(t, srv.Fresh(t), nil)
	f.stop()
	f.in = nil
	f.nlp = nlp.fakeNLP
	in := f.start(func(o *Options) { o.Classifier = nlp })
	in.DownAtStart()
	f.wait("down notice", func() bool { return len(f.post.in(status)) == 1 })
	if n := f.post.in(status)[0]; !strings.Contains(n, "DOWN") || !strings.Contains(n, "health check when ashbot started") {
		t.Errorf("down notice %q", n)
	}
	if !in.Stats().Down {
		t.Error("not down after DownAtStart")
	}
	nlp.healthy <- true
	f.clock.BlockUntil(t, 1)
	f.clock.Advance(10 * time.Second)
	f.wait("back notice", func() bool { return len(f.post.in(status)) == 2 })
	if back := f.post.in(status)[1]; !strings.Contains(back, "detection is back") {
		t.Errorf("back notice %q", back)
	}
}

// Two replicas see every message of one person: the first raises one
// alert, the second is one note in its thread, whichever replica acts.
func TestTwoReplicasShareTheCooldown(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	second := f.start(nil)
	first := f.msg(alice, monitored, "[medium] one")
	again := f.msg(alice, monitored, "[medium] two")
	for _, in := range []*Intake{f.in, second} {
		in.OnMessage(first, 0, false)
	}
	f.handled(f.in, 1)
	f.handled(second, 1)
	for _, in := range []*Intake{second, f.in} {
		in.OnMessage(again, 0, false)
	}
	f.handled(f.in, 2)
	f.handled(second, 2)
	if got := f.disp.sent(); len(got) != 1 || got[0].ID != first.ID.String() {
		t.Fatalf("alerts %+v", got)
	}
	if notes := f.post.in(snowflake.ID(9001).String()); len(notes) != 1 {
		t.Errorf("notes %q, want one", notes)
	}
}

// The second message is decided while the first one's alert is still
// being posted by the other replica: the note waits for it.
func TestNoteWaitsForTheOpenAlert(t *testing.T) {
	f := newFixture(t, srv.Fresh(t), nil)
	second := f.start(nil)
	block := make(chan struct{})
	f.disp.mu.Lock()
	f.disp.block = block
	f.disp.mu.Unlock()
	first := f.msg(alice, monitored, "[medium] one")
	again := f.msg(bob, monitored, "x") // bob only to take a distinct id
	again.Author.ID, again.Content = alice, "[medium] two"
	f.in.OnMessage(first, 0, false)
	f.wait("alert being posted", func() bool { return f.disp.waiting() == 1 })
	second.OnMessage(again, 0, false)
	// Its claim is taken just before it finds the cooldown held.
	f.wait("second message claimed", func() bool {
		return f.rdb.Exists(context.Background(), "ash:alert:"+again.ID.String()).Val() == 1
	})
	close(block)
	f.handled(f.in, 1)
	f.handled(second, 1)
	if got := f.disp.sent(); len(got) != 1 {
		t.Fatalf("alerts %+v", got)
	}
	if notes := f.post.in(snowflake.ID(9001).String()); len(notes) != 1 {
		t.Errorf("notes %q, want one", notes)
	}
}
