package detection

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
)

// fakeNLP classifies by a marker in the text ("[high]" and so on; no
// marker is safe) and fails while fail is set.
type fakeNLP struct {
	mu    sync.Mutex
	fail  error
	delay time.Duration
	block chan struct{} // when set, each call waits for a receive
	reqs  []ashnlp.Request
}

var markers = []struct {
	marker string
	sev    string
	score  float64
}{{"[critical]", "critical", 0.9}, {"[high]", "high", 0.6}, {"[medium]", "medium", 0.35}, {"[low]", "low", 0.2}}

func (f *fakeNLP) Analyze(ctx context.Context, r ashnlp.Request) (ashnlp.Result, error) {
	f.mu.Lock()
	fail, delay, block := f.fail, f.delay, f.block
	f.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return ashnlp.Result{}, ctx.Err()
		}
	}
	if delay > 0 {
		time.Sleep(delay)
	}
	if fail != nil {
		return ashnlp.Result{}, fail
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, r)
	f.mu.Unlock()
	res := ashnlp.Result{Severity: "safe", CrisisScore: 0.05, Confidence: 0.9, RecommendedAction: "none", RequestID: "r"}
	for _, m := range markers {
		if strings.Contains(r.Message, m.marker) {
			res = ashnlp.Result{
				CrisisDetected: true, Severity: m.sev, CrisisScore: m.score, Confidence: 0.8,
				RecommendedAction: "priority_response", KeyFactors: []string{"hopelessness", "isolation"},
				DecisionSummary: "Signals of distress.", IsDegraded: strings.Contains(r.Message, "[degraded]"),
			}
			break
		}
	}
	return res, nil
}

func (f *fakeNLP) setFail(err error) { f.mu.Lock(); f.fail = err; f.mu.Unlock() }

func (f *fakeNLP) requests() []ashnlp.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ashnlp.Request(nil), f.reqs...)
}

// fakeDispatcher records alerts and answers as if each was posted in
// channel 500 with a thread of the alert message's id.
type fakeDispatcher struct {
	mu     sync.Mutex
	alerts []alerts.Alert
	next   snowflake.ID
	fail   bool
	// block, when set, holds every post until it is closed.
	block chan struct{}
	held  int
}

func (d *fakeDispatcher) waiting() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.held
}

func (d *fakeDispatcher) Dispatch(_ context.Context, a alerts.Alert) (alerts.Posted, error) {
	d.mu.Lock()
	if b := d.block; b != nil {
		d.held++
		d.mu.Unlock()
		<-b
		d.mu.Lock()
		d.held--
	}
	defer d.mu.Unlock()
	if d.fail {
		return alerts.Posted{}, context.DeadlineExceeded
	}
	d.alerts = append(d.alerts, a)
	d.next++
	id := 9000 + d.next
	return alerts.Posted{ChannelID: 500, MessageID: id, ThreadID: id}, nil
}

func (d *fakeDispatcher) sent() []alerts.Alert {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]alerts.Alert(nil), d.alerts...)
}

type post struct {
	channel, content string
}

type fakePoster struct {
	mu    sync.Mutex
	posts []post
}

func (p *fakePoster) Post(_ context.Context, ch string, m discord.MessageCreate, _ string) (*discord.Message, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.posts = append(p.posts, post{ch, m.Content})
	return &discord.Message{ID: 1}, nil
}

func (p *fakePoster) in(channel string) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, x := range p.posts {
		if x.channel == channel {
			out = append(out, x.content)
		}
	}
	return out
}

const (
	guild     = 1000
	monitored = 2000
	other     = 2001
	status    = "3000"
)

type fixture struct {
	t     *testing.T
	nlp   *fakeNLP
	disp  *fakeDispatcher
	post  *fakePoster
	clock *scheduletest.Clock
	rdb   redis.UniversalClient
	in    *Intake
	stop  func()
	id    snowflake.ID
}

func newFixture(t *testing.T, rdb redis.UniversalClient, tweak func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, nlp: &fakeNLP{}, disp: &fakeDispatcher{}, post: &fakePoster{}, clock: scheduletest.NewClock(now), rdb: rdb, id: 5000}
	f.start(tweak)
	return f
}

// start builds and runs an intake on the fixture's fakes and Redis.
func (f *fixture) start(tweak func(*Options)) *Intake {
	f.t.Helper()
	store, err := alerts.NewStore(f.rdb, alerts.StoreOptions{TTL: 90 * day, Now: f.clock.Now})
	if err != nil {
		f.t.Fatal(err)
	}
	hist, _ := NewHistory(f.rdb, 100, 7*day, f.clock.Now)
	cool, _ := NewCooldowns(f.rdb, 300*time.Second, f.clock.Now)
	opts := Options{
		Classifier: f.nlp, Dispatcher: f.disp, Claims: store, Poster: f.post, History: hist, Cooldowns: cool,
		GuildID: snowflake.ID(guild).String(), Monitored: []snowflake.ID{monitored},
		Sensitivity: Sensitivity{Default: 1, LowRange: Range{0.3, 0.6}, MediumRange: Range{0.6, 0.9}, HighRange: Range{1, 1.5}},
		MinSeverity: events.Medium, StatusChannel: status, Workers: 4, BacklogFor: 15 * time.Minute,
		RedisTimeout: 300 * time.Millisecond, Clock: f.clock, Logger: quiet,
	}
	if tweak != nil {
		tweak(&opts)
	}
	in, err := New(opts)
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); in.Run(ctx) }()
	stop := func() { cancel(); <-done }
	f.t.Cleanup(stop)
	if f.in == nil {
		f.in, f.stop = in, stop
	}
	return in
}

// msg builds a message by user in channel.
func (f *fixture) msg(user snowflake.ID, channel snowflake.ID, text string) discord.Message {
	f.id++
	g := snowflake.ID(guild)
	return discord.Message{
		ID: snowflake.New(now.Add(time.Duration(f.id) * time.Millisecond)), GuildID: &g, ChannelID: channel,
		Author: discord.User{ID: user}, Content: text, Type: discord.MessageTypeDefault,
	}
}

func (f *fixture) send(user snowflake.ID, text string) discord.Message {
	m := f.msg(user, monitored, text)
	f.in.OnMessage(m, 0, false)
	return m
}

// wait polls cond for up to ten seconds of real time.
func (f *fixture) wait(what string, cond func() bool) {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			f.t.Fatalf("timed out waiting for %s; stats %+v", what, f.in.Stats())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// handled waits until n messages have been classified and acted on.
func (f *fixture) handled(in *Intake, n int64) {
	f.t.Helper()
	f.wait("handled messages", func() bool { return in.Stats().Handled >= n })
}
