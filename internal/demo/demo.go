// Package demo acts out a week in the life of the CRT against a simulated
// Discord (internal/standin/discordsim): members post and flag messages, the real
// bot (app.Run) posts alerts, CRT members acknowledge, talk to Ash, reply
// in threads and resolve, people chat with Ash, opt out or go quiet. Time
// runs on a manual clock over the demo week, so every lifecycle event
// carries the time of the week it belongs to; afterwards the weekly report
// of that week can be printed from Redis. `ashbot demo` (make demo) runs it.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/redisconn"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// Options configure a demo run.
type Options struct {
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
// the auto-initiate and session-deadline pollers (the schedules are off).
const pollers = 2

// Run acts out the week with the bot configured by cfg, whose Redis
// settings are used as they are and whose Discord settings are replaced by
// the simulator's. It returns once the bot has stopped and its outbox has
// delivered every event, so the caller can print the weekly report of
// Result.WeekEnd.
func Run(ctx context.Context, cfg *config.Config, opts Options) (Result, error) {
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
	rdb, err := redisconn.Connect(ctx, cfg.Redis)
	if err != nil {
		return res, fmt.Errorf("demo: %w", err)
	}
	defer rdb.Close()

	d := &driver{ctx: ctx, sim: sim, clk: clk, rdb: rdb, out: opts.Out, timeout: opts.StepTimeout, start: start,
		ch: map[string]discordsim.ChannelID{}, users: map[string]discordsim.User{}}
	botCfg := d.setUp(cfg)

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
	d.say("== %s: the bot is connected to a simulated server with #general, #vent and the CRT channels", start.Format("Monday 2006-01-02"))

	werr := d.week()
	res.Alerts = d.alerts
	if werr == nil {
		res.ReportPosted, werr = d.postReport()
	}
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

// driver acts as the members of the simulated server.
type driver struct {
	ctx     context.Context
	sim     *discordsim.Sim
	clk     *schedule.ManualClock
	rdb     redis.UniversalClient
	out     io.Writer
	timeout time.Duration
	start   time.Time
	alerts  int

	ch    map[string]discordsim.ChannelID
	users map[string]discordsim.User
}

func (d *driver) say(format string, args ...any) { fmt.Fprintf(d.out, format+"\n", args...) }

func (d *driver) note(format string, args ...any) {
	text := fmt.Sprintf(format, args...)
	// The bot's answers name people by mention; the narration by name.
	for name, u := range d.users {
		text = strings.ReplaceAll(text, u.Mention(), "@"+name)
	}
	for name, id := range d.ch {
		text = strings.ReplaceAll(text, "<#"+id.String()+">", "#"+name)
	}
	fmt.Fprintf(d.out, "%s  %s\n", d.clk.Now().Format("Mon 15:04"), text)
}

// setUp builds the server and returns cfg pointed at it.
func (d *driver) setUp(cfg *config.Config) *config.Config {
	for _, name := range []string{"general", "vent", "crt-monitor", "crt-crisis", "crt-critical", "crt-reports"} {
		d.ch[name] = d.sim.AddChannel(name)
	}
	crt, admin := d.sim.AddRole("Crisis Response Team"), d.sim.AddRole("Bot Admin")
	for _, name := range []string{"Robin", "Sam", "Alex", "Jordan", "Kai", "Riley"} {
		d.users[name] = d.sim.AddMember(name)
	}
	for _, name := range []string{"Morgan", "Casey", "Taylor"} {
		d.users[name] = d.sim.AddMember(name, crt.Name)
	}
	d.users["Avery"] = d.sim.AddMember("Avery", crt.Name, admin.Name)

	c := *cfg
	c.Discord.Token = d.sim.Token()
	c.Discord.GuildID = d.sim.GuildID().String()
	c.Discord.APIURL, c.Discord.GatewayURL = d.sim.URL(), d.sim.GatewayURL()
	c.Discord.AlertMonitorChannels = []string{d.ch["crt-monitor"].String()}
	c.Discord.AlertCrisisChannels = []string{d.ch["crt-crisis"].String()}
	c.Discord.AlertCriticalChannels = []string{d.ch["crt-critical"].String()}
	c.Discord.CRTRoleIDs = []string{crt.ID.String()}
	c.Discord.AdminRoleIDs = []string{admin.ID.String()}
	// The report is posted once, by command, at the end; the schedules
	// would only add noise to a week that runs in seconds.
	c.Report.Enabled, c.Report.ChannelIDs = false, []string{d.ch["crt-reports"].String()}
	c.Retention.Enabled = false
	c.Metrics.Enabled = true
	return &c
}

func (d *driver) wait(what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	if err := d.sim.WaitFor(ctx, cond); err != nil {
		return fmt.Errorf("%s %s: %w", d.clk.Now().Format("Mon 15:04"), what, err)
	}
	return nil
}

// to moves the clock to t once the bot's timers are idle, and waits until
// they have handled the new time.
func (d *driver) to(t time.Time) error {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	if err := d.clk.WaitIdle(ctx, pollers); err != nil {
		return err
	}
	d.clk.Set(t)
	return d.clk.WaitIdle(ctx, pollers)
}

func (d *driver) at(day, hour, minute int) error {
	return d.to(d.start.AddDate(0, 0, day).Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute))
}

func (d *driver) after(dur time.Duration) error { return d.to(d.clk.Now().Add(dur)) }

// incident is one alert as the driver follows it.
type incident struct {
	id      string
	person  discordsim.User
	channel discordsim.ChannelID
	msg     discordsim.Message // the alert message
}

func (d *driver) current(in *incident) discordsim.Message {
	m, _ := d.sim.Message(in.msg.ID)
	return m
}

var severityChannel = map[string]string{"low": "crt-monitor", "medium": "crt-monitor", "high": "crt-crisis", "critical": "crt-critical"}

// flag: author posts text in channel, flagger flags it with severity, and
// the alert appears in the CRT channel.
func (d *driver) flag(author, channel, text, flagger, severity string) (*incident, error) {
	person := d.users[author]
	src, err := d.sim.SendMessage(d.ch[channel], person, text)
	if err != nil {
		return nil, err
	}
	cmd, err := d.sim.RunMessageCommand(d.users[flagger], "Flag for CRT", src.ID)
	if err != nil {
		return nil, err
	}
	cb, err := d.answer(cmd)
	if err != nil {
		return nil, err
	}
	sel, err := d.sim.SelectMenu(cb.MessageID, d.users[flagger], alerts.FlagSelectID(src.ChannelID.String(), src.ID.String()), severity)
	if err != nil {
		return nil, err
	}
	if _, err := d.answer(sel); err != nil {
		return nil, err
	}
	in := &incident{id: src.ID.String(), person: person, channel: d.ch[severityChannel[severity]]}
	err = d.wait("alert for "+author, func() bool {
		for _, m := range d.sim.BotMessages(in.channel) {
			if len(m.Embeds) > 0 && m.Embeds[0].Footer != nil && m.Embeds[0].Footer.Text == "Alert "+in.id {
				in.msg = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return nil, err
	}
	// The alert's state and auto-initiate timer follow the post; the
	// clock must not move before they exist.
	if err := d.wait("alert state", func() bool {
		if !d.rdb.HExists(d.ctx, alerts.StateKey(in.id), "alert_message_id").Val() {
			return false
		}
		if severity != "high" && severity != "critical" {
			return true
		}
		return d.rdb.ZScore(d.ctx, ash.AutoInitKey, in.id).Err() == nil
	}); err != nil {
		return nil, err
	}
	d.alerts++
	d.note("%s says in #%s: %q; %s flags it %s -> alert in #%s", author, channel, text, flagger, strings.ToUpper(severity), severityChannel[severity])
	return in, nil
}

// answer waits for the bot's answer to an interaction.
func (d *driver) answer(in *discordsim.Interaction) (discordsim.InteractionCallback, error) {
	ctx, cancel := context.WithTimeout(d.ctx, d.timeout)
	defer cancel()
	return in.Wait(ctx)
}

// press has member press the alert button of action and waits for the answer.
func (d *driver) press(in *incident, member, action string) (*discordsim.Interaction, error) {
	var id string
	for _, b := range d.current(in).Buttons() {
		if btn, ok := alerts.ParseButtonID(b.CustomID); ok && btn.Action == action {
			id = b.CustomID
		}
	}
	if id == "" {
		return nil, fmt.Errorf("alert %s has no %s button", in.id, action)
	}
	i, err := d.sim.ClickButton(in.msg.ID, d.users[member], id)
	if err != nil {
		return nil, err
	}
	if _, err := d.answer(i); err != nil {
		return nil, err
	}
	return i, nil
}

func (d *driver) ack(in *incident, member string) error {
	if _, err := d.press(in, member, alerts.ActionAcknowledge); err != nil {
		return err
	}
	d.note("%s acknowledges %s's alert", member, in.person.Name)
	return d.wait("acknowledgment shown", func() bool { return statusHas(d.current(in), "Acknowledged by") })
}

func statusHas(m discordsim.Message, s string) bool {
	if len(m.Embeds) == 0 {
		return false
	}
	for _, f := range m.Embeds[0].Fields {
		if f.Name == alerts.FieldStatus && strings.Contains(f.Value, s) {
			return true
		}
	}
	return false
}

// deferred waits for the final text of a deferred answer.
func (d *driver) deferred(i *discordsim.Interaction) (string, error) {
	var text string
	err := d.wait("answer", func() bool {
		m, ok := i.Original()
		if !ok || m.Flags.Has(discord.MessageFlagLoading) {
			return false
		}
		text = m.Content
		return true
	})
	return text, err
}

func (d *driver) talkToAsh(in *incident, member string) error {
	i, err := d.press(in, member, alerts.ActionTalkToAsh)
	if err != nil {
		return err
	}
	text, err := d.deferred(i)
	if err != nil {
		return err
	}
	d.note("%s asks Ash to reach out to %s: %q", member, in.person.Name, text)
	return nil
}

func (d *driver) takeOver(in *incident, member string) error {
	i, err := d.press(in, member, alerts.ActionTakeOver)
	if err != nil {
		return err
	}
	if _, err := d.deferred(i); err != nil {
		return err
	}
	d.note("%s takes over from Ash and talks with %s personally", member, in.person.Name)
	return nil
}

func (d *driver) resolve(in *incident, member string) error {
	if _, err := d.press(in, member, alerts.ActionResolve); err != nil {
		return err
	}
	d.note("%s resolves %s's alert", member, in.person.Name)
	return d.wait("thread archived", func() bool {
		c, ok := d.sim.Channel(in.msg.ID)
		return !ok || c.Archived
	})
}

// reply posts in the alert's thread.
func (d *driver) reply(in *incident, member, text string) error {
	if _, err := d.sim.SendMessage(in.msg.ID, d.users[member], text); err != nil {
		return err
	}
	d.note("%s in the alert thread: %q", member, text)
	return nil
}

// welcome waits for Ash's latest welcome to who.
func (d *driver) welcome(who string) (discordsim.Message, error) {
	var w discordsim.Message
	err := d.wait("Ash's welcome to "+who, func() bool {
		for _, m := range d.sim.DMs(d.users[who].ID) {
			if len(m.Buttons()) > 0 {
				w = m
			}
		}
		return w.ID != 0
	})
	return w, err
}

// chat: who writes to Ash and waits for the answer.
func (d *driver) chat(who, text string) error {
	u := d.users[who]
	dm, ok := d.sim.DMChannel(u.ID)
	if !ok {
		return fmt.Errorf("%s has no DM with the bot", who)
	}
	before := len(d.sim.BotMessages(dm.ID))
	if _, err := d.sim.SendMessage(dm.ID, u, text); err != nil {
		return err
	}
	d.note("%s to Ash: %q", who, text)
	return d.wait("Ash's answer to "+who, func() bool { return len(d.sim.BotMessages(dm.ID)) > before })
}

// dmButton: who presses a button under Ash's welcome.
func (d *driver) dmButton(who, action string) error {
	w, err := d.welcome(who)
	if err != nil {
		return err
	}
	for _, b := range w.Buttons() {
		if btn, ok := ash.ParseButtonID(b.CustomID); ok && btn.Action == action {
			i, err := d.sim.ClickButton(w.ID, d.users[who], b.CustomID)
			if err != nil {
				return err
			}
			if _, err := d.answer(i); err != nil {
				return err
			}
			return d.wait("welcome buttons removed", func() bool {
				m, _ := d.sim.Message(w.ID)
				return len(m.Buttons()) == 0
			})
		}
	}
	return fmt.Errorf("no %s button under Ash's welcome to %s", action, who)
}

func (d *driver) threadNote(in *incident, substr string) error {
	return d.wait("thread note "+substr, func() bool {
		for _, m := range d.sim.Messages(in.msg.ID) {
			if strings.Contains(m.Content, substr) {
				return true
			}
		}
		return false
	})
}

// postReport runs `/ash report post:true` as the admin, as a CRT lead
// would the morning after the week.
func (d *driver) postReport() (bool, error) {
	if err := d.at(7, 9, 0); err != nil {
		return false, err
	}
	in, err := d.sim.RunSlashCommand(d.ch["crt-monitor"], d.users["Avery"], "ash", "report", map[string]any{"post": true})
	if err != nil {
		return false, err
	}
	text, err := d.deferred(in)
	if err != nil {
		return false, err
	}
	d.note("Avery runs /ash report post:true: %s", text)
	return len(d.sim.BotMessages(d.ch["crt-reports"])) > 0, nil
}

// week is the script, one function per day. Times are UTC; at(0, ...) is
// the first day of the week.
func (d *driver) week() error {
	return run(d.day1, d.day2, d.day3, d.day4, d.day5, d.day6, d.day7)
}

// run runs steps in order, stopping at the first error.
func run(steps ...func() error) error {
	for _, s := range steps {
		if err := s(); err != nil {
			return err
		}
	}
	return nil
}

func (d *driver) day1() error {
	var robin, kai *incident
	return run(
		func() error { return d.at(0, 9, 12) },
		func() (err error) {
			robin, err = d.flag("Robin", "general", "I haven't slept in days and I feel like I'm falling apart", "Sam", "medium")
			return err
		},
		func() error { return d.after(4 * time.Minute) },
		func() error { return d.ack(robin, "Morgan") },
		func() error { return d.after(2 * time.Minute) },
		func() error {
			return d.reply(robin, "Morgan", "I know Robin from the art channel, I'll keep an eye out")
		},
		func() error { return d.after(time.Minute) },
		func() error { return d.talkToAsh(robin, "Morgan") },
		func() error { return d.after(time.Minute) },
		func() error { return d.chat("Robin", "hi. it's just been a really bad week") },
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.chat("Robin", "thank you, that helps a bit") },
		func() error { return d.chat("Robin", "bye ash") },
		func() error { return d.threadNote(robin, "they ended the chat") },
		func() error { return d.after(20 * time.Minute) },
		func() error { return d.resolve(robin, "Morgan") },

		func() error { return d.at(0, 22, 40) },
		func() (err error) {
			kai, err = d.flag("Kai", "vent", "I don't want to be here anymore", "Riley", "high")
			return err
		},
		// Nobody acknowledges within the auto-initiate delay.
		func() error { return d.after(3 * time.Minute) },
		func() error {
			if _, err := d.welcome("Kai"); err != nil {
				return err
			}
			d.note("nobody acknowledged in 3 minutes: Ash reached out to Kai by DM")
			return nil
		},
		func() error { return d.chat("Kai", "i don't know why i'm even answering") },
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.ack(kai, "Casey") },
		func() error { return d.after(time.Minute) },
		func() error { return d.reply(kai, "Casey", "On it. Kai, if you see this, we're here.") },
		// Kai goes quiet: the chat times out.
		func() error { return d.after(5 * time.Minute) },
		func() error { return d.threadNote(kai, "idle timeout") },
		func() error {
			d.note("Kai stopped replying; Ash's chat timed out")
			return d.after(30 * time.Minute)
		},
		func() error { return d.resolve(kai, "Casey") },
	)
}

func (d *driver) day2() error {
	var jordan, sam *incident
	return run(
		func() error { return d.at(1, 14, 5) },
		func() (err error) {
			jordan, err = d.flag("Jordan", "general", "today was rough, my family misgendered me again all day", "Alex", "low")
			return err
		},
		func() error { return d.after(12 * time.Minute) },
		func() error { return d.ack(jordan, "Taylor") },
		func() error { return d.after(8 * time.Minute) },
		func() error { return d.resolve(jordan, "Taylor") },

		func() error { return d.at(1, 23, 30) },
		func() (err error) {
			sam, err = d.flag("Sam", "vent", "I've been thinking about ending it", "Robin", "critical")
			return err
		},
		func() error { return d.after(time.Minute) },
		func() error { return d.ack(sam, "Avery") },
		func() error { return d.after(time.Minute) },
		func() error { return d.reply(sam, "Avery", "I'm reaching out to Sam now") },
		func() error { return d.talkToAsh(sam, "Avery") },
		func() error { return d.after(3 * time.Minute) },
		func() error { return d.chat("Sam", "i'm scared of what i might do") },
		func() error { return d.after(3 * time.Minute) },
		func() error { return d.chat("Sam", "can someone real talk to me") },
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.takeOver(sam, "Avery") },
		func() error { return d.after(45 * time.Minute) },
		func() error { return d.resolve(sam, "Avery") },
	)
}

func (d *driver) day3() error {
	var alex, riley *incident
	return run(
		func() error { return d.at(2, 19, 20) },
		func() (err error) {
			alex, err = d.flag("Alex", "general", "nobody would notice if I disappeared", "Jordan", "high")
			return err
		},
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.ack(alex, "Morgan") },
		func() error { return d.after(time.Minute) },
		func() error { return d.talkToAsh(alex, "Morgan") },
		func() error { return d.after(time.Minute) },
		func() error {
			d.note("Alex presses \"I'd rather not\" under Ash's message")
			return d.dmButton("Alex", ash.ActionOptOut)
		},
		func() error { return d.threadNote(alex, "opted out of Ash") },
		func() error { return d.after(3 * time.Minute) },
		func() error { return d.reply(alex, "Morgan", "Alex opted out of Ash, I'll DM them myself") },
		func() error { return d.after(33 * time.Minute) },
		func() error { return d.resolve(alex, "Morgan") },

		func() error { return d.at(2, 21, 10) },
		func() (err error) {
			riley, err = d.flag("Riley", "vent", "can't stop crying", "Kai", "medium")
			return err
		},
		func() error { return d.after(6 * time.Minute) },
		func() error { return d.ack(riley, "Casey") },
		func() error { return d.after(4 * time.Minute) },
		func() error { return d.reply(riley, "Casey", "Sent Riley a message") },
		func() error { return d.after(15 * time.Minute) },
		func() error { return d.resolve(riley, "Casey") },
	)
}

func (d *driver) day4() error {
	var jordan *incident
	return run(
		func() error { return d.sim.SetDMsClosed(d.users["Jordan"].ID, true) },
		func() error { return d.at(3, 2, 15) },
		func() (err error) {
			jordan, err = d.flag("Jordan", "vent", "i can't do this", "Sam", "high")
			return err
		},
		func() error { return d.after(3 * time.Minute) },
		func() error {
			if err := d.threadNote(jordan, "their DMs are closed"); err != nil {
				return err
			}
			d.note("Ash tried to reach Jordan automatically, but Jordan's DMs are closed; the CRT is told in the thread")
			return nil
		},
		func() error { return d.after(5 * time.Minute) },
		func() error { return d.ack(jordan, "Taylor") },
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.reply(jordan, "Taylor", "Pinging Jordan in #general, they're not taking DMs") },
		func() error { return d.after(40 * time.Minute) },
		func() error { return d.resolve(jordan, "Taylor") },
	)
}

func (d *driver) day5() error {
	var robin, alex *incident
	return run(
		func() error { return d.at(4, 22, 5) },
		func() (err error) {
			robin, err = d.flag("Robin", "general", "another panic attack, I can't breathe", "Alex", "high")
			return err
		},
		func() error { return d.after(time.Minute) },
		func() error { return d.ack(robin, "Taylor") },
		func() error { return d.talkToAsh(robin, "Taylor") },
		func() error { return d.after(time.Minute) },
		func() error { return d.chat("Robin", "it's happening again") },
		func() error { return d.after(4 * time.Minute) },
		func() error { return d.chat("Robin", "ok, breathing slower now") },
		func() error { return d.after(3 * time.Minute) },
		func() error {
			d.note("Robin presses \"End chat\"")
			return d.dmButton("Robin", ash.ActionEnd)
		},
		func() error { return d.after(20 * time.Minute) },
		func() error { return d.resolve(robin, "Taylor") },

		// Alex opted out on day 3: auto-initiate leaves them alone.
		func() error { return d.at(4, 22, 50) },
		func() (err error) {
			alex, err = d.flag("Alex", "vent", "it's getting worse", "Riley", "high")
			return err
		},
		func() error { return d.after(3 * time.Minute) },
		func() error {
			if err := d.threadNote(alex, "Ash did not contact"); err != nil {
				return err
			}
			d.note("Alex opted out two days ago, so Ash does not reach out; the CRT is told")
			return d.after(time.Minute)
		},
		func() error { return d.ack(alex, "Morgan") },
		func() error { return d.after(30 * time.Minute) },
		func() error { return d.resolve(alex, "Morgan") },
	)
}

func (d *driver) day6() error {
	var riley *incident
	return run(
		func() error { return d.at(5, 16, 30) },
		func() (err error) {
			riley, err = d.flag("Riley", "general", "feeling really low today", "Sam", "low")
			return err
		},
		func() error { return d.after(15 * time.Minute) },
		func() error { return d.ack(riley, "Casey") },
		func() error { return d.after(5 * time.Minute) },
		func() error { return d.resolve(riley, "Casey") },
	)
}

func (d *driver) day7() error {
	var sam, kai *incident
	return run(
		func() error { return d.at(6, 20, 45) },
		func() (err error) {
			sam, err = d.flag("Sam", "vent", "I relapsed", "Jordan", "medium")
			return err
		},
		func() error { return d.after(3 * time.Minute) },
		func() error { return d.ack(sam, "Avery") },
		func() error { return d.after(2 * time.Minute) },
		func() error { return d.reply(sam, "Avery", "Checking in with Sam") },
		func() error { return d.after(25 * time.Minute) },
		func() error { return d.resolve(sam, "Avery") },

		func() error { return d.at(6, 23, 10) },
		func() (err error) {
			kai, err = d.flag("Kai", "vent", "I wrote a goodbye letter", "Robin", "critical")
			return err
		},
		func() error { return d.after(30 * time.Second) },
		func() error { return d.ack(kai, "Morgan") },
		func() error { return d.after(30 * time.Second) },
		func() error { return d.talkToAsh(kai, "Morgan") },
		func() error { return d.reply(kai, "Morgan", "Ash is with Kai, I'm calling the on-call lead") },
		// Kai keeps talking; the chat reaches its maximum length.
		func() error { return d.chatFor("Kai", 30*time.Minute, 4*time.Minute) },
		func() error { return d.threadNote(kai, "maximum chat length") },
		func() error {
			d.note("Kai's chat reached the maximum length; Ash hands back to the team")
			return d.after(10 * time.Minute)
		},
		func() error { return d.resolve(kai, "Morgan") },
	)
}

// chatFor has who write every interval until the chat has lasted length.
func (d *driver) chatFor(who string, length, interval time.Duration) error {
	end := d.clk.Now().Add(length)
	lines := []string{"i don't know what to do", "it's so loud in my head", "i'm still here", "talking helps a little",
		"i keep thinking about it", "thank you for staying", "i'm tired", "ok"}
	for i := 0; ; i++ {
		next := d.clk.Now().Add(interval)
		if !next.Before(end) {
			return d.to(end)
		}
		if err := d.to(next); err != nil {
			return err
		}
		if err := d.chat(who, lines[i%len(lines)]); err != nil {
			return err
		}
	}
}
