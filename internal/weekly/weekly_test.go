package weekly

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/report"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

// The test calendar: reports post on Mondays at 09:00 UTC. The first due
// time, 2026-01-12 09:00, reports the week of Monday 5 to Sunday 11.
var (
	due       = time.Date(2026, 1, 12, 9, 0, 0, 0, time.UTC)
	weekEnd   = time.Date(2026, 1, 11, 0, 0, 0, 0, time.UTC)
	crisisUID = "555000111222333444" // the person in crisis: never in a report
	crtA      = "111111111111111111"
	crtB      = "222222222222222222"
)

// lockedBuffer collects log output from several goroutines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	rdb      *redis.Client
	sim      *discordsim.Sim
	clock    *scheduletest.Clock
	trigger  *Trigger
	store    *metrics.Store
	channels []string
	logs     *lockedBuffer
	log      *slog.Logger
}

// setup records a small history, starts a Discord stand-in with two
// report channels and returns a Trigger wired to both, with the clock at
// start.
func setup(t *testing.T, start time.Time) *env {
	t.Helper()
	e := &env{rdb: srv.Fresh(t), clock: scheduletest.NewClock(start), logs: &lockedBuffer{}}
	e.log = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	recNow := func() time.Time { return time.Date(2026, 1, 12, 8, 0, 0, 0, time.UTC) }
	rec, err := metrics.NewRecorder(e.rdb, metrics.RecorderOptions{
		Enabled: true, AlertTTL: 90 * 24 * time.Hour, AggregateTTL: 365 * 24 * time.Hour, Now: recNow,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, ev := range history() {
		if _, err := rec.Record(context.Background(), ev); err != nil {
			t.Fatalf("record %s %s: %v", ev.Type, ev.AlertID, err)
		}
	}
	e.store = metrics.NewStore(e.rdb, e.clock.Now)

	e.sim = discordsim.New(discordsim.Options{Now: e.clock.Now})
	if err := e.sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.sim.Close() })
	t.Cleanup(func() {
		for _, v := range e.sim.Conformance(discordsim.CheckOptions{}) {
			t.Errorf("request does not conform to Discord's rules: %s", v)
		}
	})
	e.channels = []string{e.sim.AddChannel("crt-leads").String(), e.sim.AddChannel("crt-general").String()}

	client, err := discordapi.NewREST(discordapi.Config{Token: e.sim.Token(), BaseURL: e.sim.URL(), Logger: e.log, RateLimitRetries: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	e.trigger, err = NewTrigger(e.store, discordapi.NewPoster(client), Options{Version: "v-test", Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// history is three alerts in the report week and one the week before.
func history() []events.Event {
	created := func(id, when string, sev events.Severity) events.Event {
		return events.Event{Type: events.AlertCreated, AlertID: id, At: at(when), AlertMessageID: "9" + id[1:],
			UserID: crisisUID, ChannelID: "777000111222333444", Severity: sev}
	}
	by := func(typ events.Type, id, when, who string) events.Event {
		return events.Event{Type: typ, AlertID: id, At: at(when), By: who, Auto: who == events.AutoBy}
	}
	return []events.Event{
		created("100000000000000001", "2026-01-05T22:10:00Z", events.High),
		by(events.Acknowledged, "100000000000000001", "2026-01-05T22:12:30Z", crtA),
		by(events.AshContacted, "100000000000000001", "2026-01-05T22:11:00Z", crtA),
		by(events.FirstResponse, "100000000000000001", "2026-01-05T22:17:00Z", crtB),
		by(events.Resolved, "100000000000000001", "2026-01-05T23:15:00Z", crtA),
		created("100000000000000002", "2026-01-07T22:30:00Z", events.Critical),
		by(events.Acknowledged, "100000000000000002", "2026-01-07T22:33:20Z", crtB),
		by(events.AshContacted, "100000000000000002", "2026-01-07T22:40:00Z", events.AutoBy),
		created("100000000000000003", "2026-01-07T03:00:00Z", events.Low),
		created("100000000000000004", "2026-01-01T12:00:00Z", events.Medium),
		by(events.Acknowledged, "100000000000000004", "2026-01-01T12:05:00Z", crtA),
	}
}

func (e *env) messages(i int) []discordsim.Message {
	return e.sim.Messages(snowflake.MustParse(e.channels[i]))
}

// markDone records that period was already posted to every channel, as a
// previous process would have.
func (e *env) markDone(t *testing.T, period string) {
	t.Helper()
	for _, ch := range e.channels {
		if err := e.rdb.Set(context.Background(), schedule.DoneKey(JobName, period, ch), "earlier", time.Hour).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

func (e *env) posts() []discordsim.Request {
	return e.sim.RequestsTo("POST", "/channels/*/messages")
}

func (e *env) runner(t *testing.T, clock *scheduletest.Clock, owner string) *schedule.Runner {
	t.Helper()
	r, err := NewRunner(e.rdb, e.trigger, Schedule{Enabled: true, Channels: e.channels, Day: time.Monday, Hour: 9},
		schedule.Options{Clock: clock, Logger: e.log, Owner: owner})
	if err != nil || r == nil {
		t.Fatalf("NewRunner = %v, %v", r, err)
	}
	return r
}

func week(m discordsim.Message) string {
	if len(m.Embeds) == 0 {
		return ""
	}
	return strings.TrimPrefix(m.Embeds[0].Description, "Week of ")
}

func fields(m discordsim.Message) string {
	var b strings.Builder
	for _, e := range m.Embeds {
		for _, f := range e.Fields {
			b.WriteString(f.Name + "\n" + f.Value + "\n")
		}
	}
	return b.String()
}

func TestPostEndToEnd(t *testing.T) {
	e := setup(t, due)
	if err := e.trigger.Post(context.Background(), weekEnd, e.channels); err != nil {
		t.Fatal(err)
	}
	r, err := e.trigger.Build(context.Background(), weekEnd)
	if err != nil {
		t.Fatal(err)
	}
	wantPNG, err := report.PNG(r)
	if err != nil {
		t.Fatal(err)
	}
	for i := range e.channels {
		msgs := e.messages(i)
		if len(msgs) != 1 {
			t.Fatalf("channel %d holds %d messages, want 1", i, len(msgs))
		}
		m := msgs[0]
		if got := week(m); got != "January 5 - January 11, 2026" {
			t.Errorf("week %q", got)
		}
		text := fields(m)
		for _, want := range []string{
			"**Total Alerts: 3** (up from 1)", "├─ 🔴 Critical: 1", "Avg. Time to Acknowledge: **2m 55s**",
			"Peak Day: **Wednesday (2 alerts)**", "Peak Hour (UTC): **10 PM - 11 PM (2 alerts)**",
			"1. <@" + crtA + "> - 1 acknowledgment", "2. <@" + crtB + "> - 1 acknowledgment",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("message lacks %q:\n%s", want, text)
			}
		}
		if img := m.Embeds[0].Image; img == nil || img.URL != report.ChartImageURL {
			t.Errorf("embed image %+v", img)
		}
		a, ok := m.Attachment(report.ChartFile)
		if !ok || !bytes.Equal(a.Data, wantPNG) {
			t.Fatalf("attachment %s missing or not the chart", report.ChartFile)
		}
		if cfg, err := png.DecodeConfig(bytes.NewReader(a.Data)); err != nil || cfg.Width != report.ChartWidth || cfg.Height != report.ChartHeight {
			t.Errorf("attachment decodes to %+v, %v", cfg, err)
		}
		if len(m.MentionUsers) != 0 || len(m.MentionRoles) != 0 || m.MentionEveryone {
			t.Errorf("the report pings %v %v %v", m.MentionUsers, m.MentionRoles, m.MentionEveryone)
		}
		if want := discordapi.Nonce(JobName, "2026-01-11", e.channels[i]); m.Nonce != want || !m.EnforceNonce {
			t.Errorf("nonce %q (enforced %v), want %q", m.Nonce, m.EnforceNonce, want)
		}
	}
	for _, req := range e.posts() {
		if !strings.HasPrefix(req.Path, "/channels/") || !bytes.Contains(req.Body, []byte(`name="payload_json"`)) ||
			!bytes.Contains(req.Body, []byte(`filename="`+report.ChartFile+`"`)) {
			t.Errorf("request %s is not a multipart post with the chart", req.Path)
		}
		if bytes.Contains(req.Body, []byte(crisisUID)) {
			t.Error("the person in crisis appears in a posted report")
		}
		payload := req.Body[bytes.Index(req.Body, []byte("{")):]
		var body struct {
			AllowedMentions struct{ Parse []string } `json:"allowed_mentions"`
			EnforceNonce    bool                     `json:"enforce_nonce"`
		}
		if err := json.NewDecoder(bytes.NewReader(payload)).Decode(&body); err != nil || body.AllowedMentions.Parse == nil || !body.EnforceNonce {
			t.Errorf("payload_json %+v (%v): want parse [] and enforce_nonce", body, err)
		}
	}
}

// TestPostFailures posts to two channels with one of them failing.
func TestPostFailures(t *testing.T) {
	cases := []struct {
		name      string
		fault     *discordsim.Fault
		channel   string // replaces the first channel when set
		retryable bool
		posted    bool // the failing channel gets its message in the end
	}{
		{name: "403 missing access", fault: &discordsim.Fault{Status: 403}},
		{name: "404 unknown channel", channel: "123456789012345678"},
		{name: "500", fault: &discordsim.Fault{Status: 500}, retryable: true},
		{name: "429 waited out by disgo", fault: &discordsim.Fault{Status: 429, Times: 2}, posted: true},
		{name: "429 beyond the limiter", fault: &discordsim.Fault{Status: 429, Times: 10}, retryable: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := setup(t, due)
			chans := append([]string(nil), e.channels...)
			if c.channel != "" {
				chans[0] = c.channel
			}
			if c.fault != nil {
				f := *c.fault
				f.Method, f.Path = "POST", "/channels/"+chans[0]+"/messages"
				if err := e.sim.InjectFault(f); err != nil {
					t.Fatal(err)
				}
			}
			err := e.trigger.Post(context.Background(), weekEnd, chans)
			if c.posted {
				if err != nil {
					t.Fatalf("Post: %v", err)
				}
			} else {
				var de *discordapi.Error
				if !errors.As(err, &de) || de.ChannelID != chans[0] || de.Retryable != c.retryable {
					t.Fatalf("Post: %v, want a *discordapi.Error for %s, retryable %v", err, chans[0], c.retryable)
				}
			}
			if n := len(e.messages(1)); n != 1 {
				t.Errorf("the healthy channel got %d messages, want 1", n)
			}
			if want := map[bool]int{true: 1, false: 0}[c.posted]; c.channel == "" && len(e.messages(0)) != want {
				t.Errorf("the failing channel got %d messages, want %d", len(e.messages(0)), want)
			}
		})
	}
}

func TestPostNeedsChannels(t *testing.T) {
	e := setup(t, due)
	if err := e.trigger.Post(context.Background(), weekEnd, nil); err == nil {
		t.Error("Post without channels succeeded")
	}
	if len(e.posts()) != 0 {
		t.Error("posted without channels")
	}
}

func TestNextRunEveryDayAndHour(t *testing.T) {
	// Wednesday 2026-01-07 12:00 UTC.
	now := time.Date(2026, 1, 7, 12, 0, 0, 0, time.UTC)
	for day := time.Sunday; day <= time.Saturday; day++ {
		for hour := range 24 {
			s := Schedule{Enabled: true, Channels: []string{"123456789012345678"}, Day: day, Hour: hour}
			got, ok, err := NextRun(s, now)
			if err != nil || !ok {
				t.Fatalf("NextRun(%s %d) = %v, %v", day, hour, ok, err)
			}
			// Independently: the first matching hour strictly after now.
			want := time.Date(2026, 1, 7, hour, 0, 0, 0, time.UTC)
			for want.Weekday() != day || !want.After(now) {
				want = want.AddDate(0, 0, 1)
			}
			if !got.Equal(want) {
				t.Errorf("NextRun(%s %02d:00) = %v, want %v", day, hour, got, want)
			}
			if end := WeekEndingBefore(got); !end.Equal(time.Date(got.Year(), got.Month(), got.Day()-1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("report posted %v covers the week ending %v", got, end)
			}
		}
	}
	for _, s := range []Schedule{
		{Enabled: false, Channels: []string{"123456789012345678"}, Day: time.Monday, Hour: 9},
		{Enabled: true, Day: time.Monday, Hour: 9},
	} {
		if _, ok, err := NextRun(s, now); ok || err != nil {
			t.Errorf("NextRun(%+v) = %v, %v; want off", s, ok, err)
		}
	}
	if _, _, err := NextRun(Schedule{Enabled: true, Channels: []string{"1"}, Hour: 24}, now); err == nil {
		t.Error("hour 24 accepted")
	}
}

func TestWeekEndingBefore(t *testing.T) {
	cases := []struct{ posted, want string }{
		{"2026-01-12T09:00:00Z", "2026-01-11"}, // Monday: Mon 5 .. Sun 11
		{"2026-01-12T00:00:00Z", "2026-01-11"},
		{"2026-01-11T23:00:00Z", "2026-01-10"},
		{"2026-01-01T09:00:00Z", "2025-12-31"},
		{"2026-01-12T02:00:00+05:00", "2026-01-10"}, // 21:00 UTC on Sunday 11
	}
	for _, c := range cases {
		if got := WeekEndingBefore(at(c.posted)).Format(time.DateOnly); got != c.want {
			t.Errorf("WeekEndingBefore(%s) = %s, want %s", c.posted, got, c.want)
		}
	}
}

func TestScheduledPostOncePerChannelPerWeek(t *testing.T) {
	e := setup(t, due.Add(-time.Hour))
	e.markDone(t, "2026-W02")
	r := e.runner(t, e.clock, "a")
	if got := r.Next(); !got.Equal(due) {
		t.Errorf("Next = %v, want %v", got, due)
	}
	scheduletest.Start(t, r)
	e.clock.BlockUntil(t, 1)
	if n := len(e.posts()); n != 0 {
		t.Fatalf("%d posts before the due time", n)
	}

	e.clock.Set(due)
	e.clock.BlockUntil(t, 1)
	for i := range e.channels {
		msgs := e.messages(i)
		if len(msgs) != 1 || week(msgs[0]) != "January 5 - January 11, 2026" {
			t.Fatalf("channel %d: %d messages (%v), want the week of January 5", i, len(msgs), msgs)
		}
	}
	if at, _ := e.clock.NextDeadline(); !at.Equal(due.AddDate(0, 0, 7)) {
		t.Errorf("next wake-up %v, want next Monday 09:00", at)
	}

	e.clock.Set(due.AddDate(0, 0, 7))
	e.clock.BlockUntil(t, 1)
	for i := range e.channels {
		msgs := e.messages(i)
		if len(msgs) != 2 || week(msgs[1]) != "January 12 - January 18, 2026" {
			t.Fatalf("channel %d after two weeks: %d messages", i, len(msgs))
		}
		if !strings.Contains(fields(msgs[1]), "No alerts this week (down from 3)") {
			t.Errorf("empty second week reads:\n%s", fields(msgs[1]))
		}
	}
	if s := r.Stats(); s.Runs != 4 || s.Failures != 0 {
		t.Errorf("stats %+v, want 4 runs (2 channels x 2 weeks)", s)
	}
	if !strings.Contains(e.logs.String(), `"next_run":"2026-01-12T09:00:00Z"`) {
		t.Error("start-up did not log the next run")
	}
}

func TestRestartInPostingWindowDoesNotRepost(t *testing.T) {
	e := setup(t, due)
	first := e.runner(t, e.clock, "a")
	stop := scheduletest.Start(t, first)
	e.clock.BlockUntil(t, 1)
	stop()
	if n := len(e.posts()); n != 2 {
		t.Fatalf("%d posts, want one per channel", n)
	}

	// A new process 30 minutes later, with its own clock: the stopped
	// runner's abandoned wait would count as a waiter on the old one.
	clock := scheduletest.NewClock(due.Add(30 * time.Minute))
	second := e.runner(t, clock, "b")
	scheduletest.Start(t, second)
	clock.BlockUntil(t, 1)
	if n := len(e.posts()); n != 2 {
		t.Errorf("%d posts after a restart in the window, want still 2", n)
	}
	if s := second.Stats(); s.Runs != 0 || s.Skips != 2 {
		t.Errorf("restarted runner stats %+v, want 2 skips", s)
	}
}

func TestTwoReplicasPostOnce(t *testing.T) {
	e := setup(t, due.Add(-time.Minute))
	e.markDone(t, "2026-W02")
	a, b := e.runner(t, e.clock, "a"), e.runner(t, e.clock, "b")
	scheduletest.Start(t, a)
	scheduletest.Start(t, b)
	e.clock.BlockUntil(t, 2)
	e.clock.Set(due)
	// Whichever replica lost a claim polls until the winner has finished.
	for range 3 {
		e.clock.BlockUntil(t, 2)
		e.clock.Advance(schedule.DefaultPoll)
	}
	e.clock.BlockUntil(t, 2)

	// Count requests, not messages: the nonce would hide a second post
	// from the channel, and exactly once must not depend on it.
	if n := len(e.posts()); n != len(e.channels) {
		t.Fatalf("%d posts by two replicas, want %d", n, len(e.channels))
	}
	for _, ev := range e.sim.Events() {
		if ev.Kind == discordsim.KindNonceDeduplicated {
			t.Error("a duplicate post reached Discord")
		}
	}
	sa, sb := a.Stats(), b.Stats()
	if sa.Runs+sb.Runs != 2 || sa.Failures+sb.Failures != 0 {
		t.Errorf("stats a=%+v b=%+v, want 2 runs between them", sa, sb)
	}
}

func TestDowntimeCatchUpPostsLastWeekOnce(t *testing.T) {
	// Down from before Monday 09:00 until Thursday afternoon.
	back := time.Date(2026, 1, 15, 14, 0, 0, 0, time.UTC)
	e := setup(t, back)
	r := e.runner(t, e.clock, "a")
	scheduletest.Start(t, r)
	e.clock.BlockUntil(t, 1)
	for i := range e.channels {
		msgs := e.messages(i)
		// The report of the week before the missed Monday, not of the 7
		// days before Thursday.
		if len(msgs) != 1 || week(msgs[0]) != "January 5 - January 11, 2026" {
			t.Fatalf("channel %d: %d messages after catch-up, want the week of January 5", i, len(msgs))
		}
	}
	if at, _ := e.clock.NextDeadline(); !at.Equal(due.AddDate(0, 0, 7)) {
		t.Errorf("next wake-up %v, want next Monday", at)
	}
}

func TestPermanentFailureIsNotRetried(t *testing.T) {
	e := setup(t, due)
	if err := e.sim.InjectFault(discordsim.Fault{Method: "POST", Path: "/channels/" + e.channels[0] + "/messages", Status: 403, Times: 1000}); err != nil {
		t.Fatal(err)
	}
	r := e.runner(t, e.clock, "a")
	scheduletest.Start(t, r)
	e.clock.BlockUntil(t, 1)
	// Hours pass: a retried unit would be tried again after 1, 2, 4... min.
	for range 6 {
		e.clock.Advance(time.Hour)
		e.clock.BlockUntil(t, 1)
	}
	if n := len(e.sim.RequestsTo("POST", "/channels/"+e.channels[0]+"/messages")); n != 1 {
		t.Errorf("forbidden channel tried %d times, want once", n)
	}
	if n := len(e.messages(1)); n != 1 {
		t.Errorf("healthy channel got %d messages, want 1", n)
	}
	logs := e.logs.String()
	for _, want := range []string{`"channel_id":"` + e.channels[0] + `"`, `"reason":"missing access`, `"status":403`, "not retried"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %s", want)
		}
	}
	done := e.rdb.Exists(context.Background(), schedule.DoneKey(JobName, "2026-W03", e.channels[0])).Val()
	if done != 1 {
		t.Error("the forbidden channel's unit is not marked done")
	}
	if s := r.Stats(); s.Runs != 1 || s.Failures != 1 {
		t.Errorf("stats %+v, want 1 run (the healthy channel) and 1 failure (the forbidden one)", s)
	}
}

func TestPassingFailureIsRetriedWithBackoff(t *testing.T) {
	e := setup(t, due)
	if err := e.sim.InjectFault(discordsim.Fault{Method: "POST", Path: "/channels/" + e.channels[0] + "/messages", Status: 500, Times: 2}); err != nil {
		t.Fatal(err)
	}
	r := e.runner(t, e.clock, "a")
	scheduletest.Start(t, r)
	for _, backoff := range []time.Duration{schedule.DefaultBackoffInitial, 2 * schedule.DefaultBackoffInitial} {
		e.clock.BlockUntil(t, 1)
		at, _ := e.clock.NextDeadline()
		if got := at.Sub(e.clock.Now()); got != backoff {
			t.Fatalf("retry in %v, want %v", got, backoff)
		}
		e.clock.Set(at)
	}
	e.clock.BlockUntil(t, 1)
	if n := len(e.messages(0)); n != 1 {
		t.Errorf("channel with passing 500s got %d messages, want 1", n)
	}
	if n := len(e.messages(1)); n != 1 {
		t.Errorf("healthy channel got %d messages, want 1 (not reposted on retries)", n)
	}
	if s := r.Stats(); s.Runs != 2 || s.Failures != 2 {
		t.Errorf("stats %+v, want 2 runs and 2 failures", s)
	}
}

func TestDisabledOrNoChannel(t *testing.T) {
	e := setup(t, due)
	for _, s := range []Schedule{
		{Enabled: false, Channels: e.channels, Day: time.Monday, Hour: 9},
		{Enabled: true, Day: time.Monday, Hour: 9},
	} {
		r, err := NewRunner(e.rdb, e.trigger, s, schedule.Options{Clock: e.clock, Logger: e.log})
		if r != nil || err != nil {
			t.Errorf("NewRunner(%+v) = %v, %v; want nothing scheduled and no error", s, r, err)
		}
	}
	if !strings.Contains(e.logs.String(), "weekly report has no channel") {
		t.Error("missing channel not warned about")
	}
	if _, err := e.trigger.Job(Schedule{Enabled: true, Day: time.Monday, Hour: 9}); err == nil {
		t.Error("Job without channels accepted")
	}
	job, err := e.trigger.Job(Schedule{Enabled: true, Channels: []string{e.channels[0], e.channels[0]}, Day: time.Monday, Hour: 9})
	if err != nil || len(job.Targets) != 1 {
		t.Errorf("a channel listed twice gives targets %v, %v; want it once", job.Targets, err)
	}
	if _, err := NewTrigger(nil, nil, Options{}); err == nil {
		t.Error("NewTrigger without dependencies accepted")
	}
}

// failingSummaries makes Redis look down.
type failingSummaries struct{}

func (failingSummaries) Period(context.Context, time.Time, time.Time) (*metrics.Summary, error) {
	return nil, errors.New("redis: connection refused")
}

func TestStoreFailureIsRetryable(t *testing.T) {
	e := setup(t, due)
	tr, err := NewTrigger(failingSummaries{}, discordapi.NewPoster(nil), Options{Logger: e.log})
	if err != nil {
		t.Fatal(err)
	}
	err = tr.Post(context.Background(), weekEnd, e.channels)
	if err == nil || !discordapi.IsRetryable(err) || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("Post = %v, want a retryable store error", err)
	}
}
