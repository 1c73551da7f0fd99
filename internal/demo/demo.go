// Package demo acts out a week in the life of the CRT against a simulated
// Discord (internal/standin/discordsim), a simulated Ash-NLP
// (internal/standin/nlpsim) and a simulated Anthropic API
// (internal/standin/anthropicsim) whose replies demoModel writes: members
// post in monitored channels, the real bot (app.Run) has their messages
// classified and alerts on its own (a member's flag is the second source),
// Ash-NLP goes down for a while, CRT members acknowledge, talk to Ash,
// reply in threads and resolve, people chat with Ash, opt out, go quiet or
// answer a check-in. Time runs on a manual clock over the demo week, so
// every lifecycle event carries the time of the week it belongs to;
// afterwards the weekly report of that week can be printed from Redis.
// `ashbot demo` (make demo) runs it.
//
// The week is a story, week.story, that a person reads and edits: one
// statement a line, parsed by ParseStory (story.go) into steps whose kinds
// are the rows of statements.go, each acted out by the driver (driver.go).
package demo

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/redisconn"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/standin/anthropicsim"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// weekStory is the demo week, the story Run acts out by default.
//
//go:embed week.story
var weekStory string

// demoModelKey is the only key the demo's model stand-in takes; it is
// no secret, and no real service knows it.
const demoModelKey = "sk-ant-demo"

// channels are the simulated server's; the configuration below points the
// bot's alert and report channels at the crt-* ones and monitors the
// others.
var channels = []string{"general", "vent", "crt-monitor", "crt-crisis", "crt-critical", "crt-reports", "crt-leads"}

// monitored are the channels whose messages the bot classifies.
var monitored = []string{"general", "vent"}

// Options configure a demo run.
type Options struct {
	// Story is acted out; nil means the demo week, week.story.
	Story *Story
	// Out receives the narration, one line per step. Nil discards it.
	Out io.Writer
	// Logger receives the bot's logs. Nil discards them.
	Logger *slog.Logger
	// Start is the first day of the demo week (UTC midnight). Default:
	// eight days before now, so the week ended the day before yesterday
	// and all its events lie safely in the past.
	Start time.Time
	// StepTimeout bounds each step's wait for the bot (default 10s).
	StepTimeout time.Duration
	// KeepGatewayOpen leaves the bot's gateway connection open at the end
	// (see app.Options.KeepGatewayOpen); only tests under the race
	// detector set it.
	KeepGatewayOpen bool
}

// Result says what the demo did.
type Result struct {
	WeekStart, WeekEnd time.Time // the seven UTC days acted out
	Alerts             int
	// ReportPosted is true when `/ash report post:true` put the week's
	// report in the simulated report channel.
	ReportPosted bool
	// Violations are the requests the bot sent the stand-in that break one
	// of Discord's rules (discordsim.CheckRequests); a sound run has none.
	Violations []discordsim.Violation
}

// pollers is how many goroutines of the bot wait on the clock when idle:
// the auto-initiate, session-deadline, escalation and check-in pollers (the
// schedules are off). While detection is down, its probe waits on the
// clock too.
const pollers = 4

// Run acts out the story with the bot configured by cfg, whose Redis
// settings are used as they are and whose Discord settings are replaced by
// the simulator's. It returns once the bot has stopped and its outbox has
// delivered every event, so the caller can print the weekly report of
// Result.WeekEnd.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Result, error) {
	story := opts.Story
	if story == nil {
		var err error
		if story, err = ParseStory("week.story", weekStory); err != nil {
			return Result{}, fmt.Errorf("demo: %w", err)
		}
	}
	if opts.Out == nil {
		opts.Out = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.StepTimeout <= 0 {
		opts.StepTimeout = 10 * time.Second
	}
	start := opts.Start
	if start.IsZero() {
		start = time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -8)
	}
	start = start.UTC().Truncate(24 * time.Hour)
	res := Result{WeekStart: start, WeekEnd: start.AddDate(0, 0, 6)}

	clk := schedule.NewManualClock(start)
	sim := discordsim.New(discordsim.Options{Now: clk.Now, Logger: opts.Logger, GuildName: "Rainbow Commons",
		KeepGatewayOnClose: opts.KeepGatewayOpen})
	if err := sim.Start(); err != nil {
		return res, err
	}
	defer sim.Close()
	nlp, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	defer nlp.Close()
	model, err := anthropicsim.Start(anthropicsim.Options{APIKey: demoModelKey, Respond: demoModel})
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	defer model.Close()
	rdb, err := redisconn.Connect(ctx, cfg.Redis)
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	defer rdb.Close()

	d := &driver{ctx: ctx, sim: sim, nlp: nlp, model: model, clk: clk, rdb: rdb, out: opts.Out, timeout: opts.StepTimeout, start: start,
		ch: map[string]discordsim.ChannelID{}, users: map[string]discordsim.User{},
		posts: map[string]discordsim.Message{}, incidents: map[string][]*incident{}, checkins: map[string]int{}}
	botCfg := d.setUp(cfg, story)

	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- app.Run(runCtx, botCfg, app.Options{
			Logger: opts.Logger, Clock: clk, Version: "demo", Ready: func() { close(ready) },
			KeepGatewayOpen: opts.KeepGatewayOpen,
		})
	}()
	select {
	case <-ready:
	case err := <-done:
		return res, fmt.Errorf("demo: the bot did not start: %w", err)
	case <-time.After(30 * time.Second):
		stop()
		return res, errors.New("demo: the bot did not connect within 30s")
	}
	d.say("== %s: the bot is connected to a simulated server with #general, #vent and the CRT channels;", start.Format("Monday 2006-01-02"))
	d.say("== it reads #general and #vent and has a simulated Ash-NLP classify every message;")
	d.say("== Ash's replies come from a stand-in for Anthropic's API that writes short, fixed, warm lines (not a model)")

	werr := d.play(story)
	res.Alerts, res.ReportPosted = d.alerts, d.reportPosted
	stop()
	if err := <-done; err != nil && werr == nil {
		werr = err
	}
	if werr != nil {
		return res, fmt.Errorf("demo: %w", werr)
	}
	d.say("== the bot stopped; every lifecycle event is in Redis")
	res.Violations = sim.Conformance(discordsim.CheckOptions{})
	for _, v := range res.Violations {
		d.say("!! request Discord would refuse: %s", v)
	}
	if len(res.Violations) == 0 {
		d.say("== all %d requests to the Discord stand-in follow Discord's rules (User-Agent, bodies, limits, permissions)", len(sim.Requests()))
	}
	return res, nil
}

// play acts out the story's week, stopping at the first step that fails.
func (d *driver) play(s *Story) error {
	for _, st := range s.week {
		if st.move {
			if err := d.to(d.start.Add(st.at)); err != nil {
				return fmt.Errorf("%s:%d: moving the clock to %s: %w", s.name, st.line, offsetString(st.at), err)
			}
		}
		if st.stmt == nil {
			continue
		}
		if err := st.stmt.do(d, st.args); err != nil {
			return fmt.Errorf("%s:%d: %s: %w", s.name, st.line, st.src, err)
		}
	}
	return nil
}

// setUp builds the server with the story's cast and returns cfg pointed
// at it.
func (d *driver) setUp(cfg *config.Config, s *Story) *config.Config {
	for _, name := range channels {
		d.ch[name] = d.sim.AddChannel(name)
	}
	crt, admin := d.sim.AddRole("Crisis Response Team"), d.sim.AddRole("Bot Admin")
	d.crtRole, d.adminRole = crt.Name, admin.Name
	for _, st := range s.cast {
		st.stmt.cast(d, st.args)
	}

	c := *cfg
	c.Discord.Token = d.sim.Token()
	c.Discord.GuildID = d.sim.GuildID().String()
	c.Discord.APIURL, c.Discord.GatewayURL = d.sim.URL(), d.sim.GatewayURL()
	c.Discord.AlertMonitorChannels = []string{d.ch["crt-monitor"].String()}
	c.Discord.AlertCrisisChannels = []string{d.ch["crt-crisis"].String()}
	c.Discord.AlertCriticalChannels = []string{d.ch["crt-critical"].String()}
	c.Discord.CRTRoleIDs = []string{crt.ID.String()}
	c.Discord.AdminRoleIDs = []string{admin.ID.String()}
	// The admins are the team's leads: an alert nobody acknowledges
	// reaches them, with a notice in #crt-leads. The times are the
	// defaults, set here so that the week plays the same whatever the
	// environment says.
	c.Escalation = config.Escalation{
		Minutes: map[string]time.Duration{
			config.SeverityCritical: 5 * time.Minute, config.SeverityHigh: 15 * time.Minute, config.SeverityMedium: time.Hour,
		},
		RoleIDs: []string{admin.ID.String()}, ChannelID: d.ch["crt-leads"].String(),
	}
	// The report is posted once, by command, at the end; the schedules
	// would only add noise to a week that runs in seconds.
	c.Detection.MonitoredChannels = nil
	for _, name := range monitored {
		c.Detection.MonitoredChannels = append(c.Detection.MonitoredChannels, d.ch[name].String())
	}
	c.Detection.StatusChannelID = d.ch["crt-monitor"].String()
	// Failures end quickly; the circuit breaker waits on the wall clock
	// while the week runs in seconds, so in the demo it never opens: the
	// outage is told by detection's own notices.
	c.NLP = config.NLP{Enabled: true, BaseURL: d.nlp.URL(), Timeout: 2 * time.Second, Retries: 2,
		RetryDelay: 10 * time.Millisecond, BreakerFailures: 100, BreakerTimeout: time.Minute, BreakerSuccesses: 1}
	// Ash talks through the Anthropic provider, as a community with a
	// Claude key would run it, to the stand-in (see demoModel).
	c.Companion.Provider, c.Companion.BaseURL, c.Companion.APIKey = config.CompanionAnthropic, d.model.URL(), demoModelKey
	d.resources = c.Ash.ResourcesText
	// Check-ins with the defaults, whatever the environment says: a day
	// after a chat of 5 minutes or more about a medium or worse alert.
	c.Followup = config.Followup{Enabled: true, Delay: 24 * time.Hour, Max: 48 * time.Hour,
		MinSeverity: config.SeverityMedium, MinSession: 5 * time.Minute}
	c.Report.Enabled, c.Report.ChannelIDs = false, []string{d.ch["crt-reports"].String()}
	c.Retention.Enabled = false
	c.Metrics.Enabled = true
	// Nothing probes a demo, and a bot running on this machine may hold
	// BOT_HTTP_ADDR: binding it would stop the demo.
	c.Runtime.HTTPAddr = ""
	return &c
}
