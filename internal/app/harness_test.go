package app

import (
	"context"
	"flag"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/detection"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/schedule/scheduletest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

var srv *redistest.Server

func TestMain(m *testing.M) {
	flag.Parse()
	// Most of an end-to-end test's time is spent idle in disgo's wait
	// before each gateway connection (1 s in v0.19.6, gateway.go's
	// doReconnect), not on the CPU: run more of them at once than
	// -test.parallel's default (GOMAXPROCS) unless told otherwise.
	if !flagGiven("test.parallel") {
		_ = flag.Set("test.parallel", "6")
	}
	os.Exit(redistest.Main(m, &srv))
}

func flagGiven(name string) bool {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == name })
	return given
}

// testStart is the real time when the tests start: Redis applies TTLs and
// PEXPIREAT on its own clock, so the simulated time must stay close to it
// (tests move it by minutes). The schedules are off in tests, so the day
// does not matter.
var testStart = time.Now().UTC().Truncate(time.Minute)

// testLogger discards unless ASHBOT_TEST_LOG is set: disgo and the bot log
// from goroutines that may outlive a test, which t.Log does not allow.
func testLogger() *slog.Logger {
	if os.Getenv("ASHBOT_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// harness is one simulated server, a Redis database and the bot's
// configuration; start runs bot instances against them.
type harness struct {
	t     *testing.T
	sim   *discordsim.Sim
	clock *scheduletest.Clock
	rdb   *redis.Client // direct, never through a proxy
	env   map[string]string
	spool string
	// shutdown is each instance's ShutdownTimeout.
	shutdown time.Duration
	// log is the bot instances' logger (default testLogger).
	log *slog.Logger
	// check loosens the conformance check run when the test ends.
	check discordsim.CheckOptions
	// staleAfter is each instance's GatewayStaleAfter (0: the default).
	staleAfter time.Duration
	serial     bool // see alone
	// classifier is the crisis classifier detection uses (nil: off).
	classifier detection.Classifier
	// onAshTeam gets each instance's ash.Team (Options.OnAshTeam).
	onAshTeam func(ash.Team)

	general, monitor, crisis, critical, reports discordsim.ChannelID
	crtRole, adminRole                          discordsim.Role
	alice                                       discordsim.User // the person in crisis
	bob                                         discordsim.User // a member who flags
	carol                                       discordsim.User // CRT
	dave                                        discordsim.User // CRT and admin
}

type harnessOption func(h *harness)

// withRedisAddr points the bot at addr (a proxy) instead of the server.
func withRedisAddr(addr string) harnessOption {
	return func(h *harness) {
		host, port, _ := net.SplitHostPort(addr)
		h.env["BOT_REDIS_HOST"], h.env["BOT_REDIS_PORT"] = host, port
	}
}

func withEnv(k, v string) harnessOption { return func(h *harness) { h.env[k] = v } }

// withRedisServer points the bot and the test's client at s, with its
// password.
func withRedisServer(s *redistest.Server) harnessOption {
	return func(h *harness) {
		if h.t == nil {
			return // the probe of newHarnessSim: options are applied again
		}
		h.rdb = s.Fresh(h.t)
		host, port, _ := net.SplitHostPort(s.Addr)
		h.env["BOT_REDIS_HOST"], h.env["BOT_REDIS_PORT"], h.env["BOT_REDIS_PASSWORD"] = host, port, s.Password
		h.env["BOT_REDIS_DB"] = "0"
	}
}

// withLogger gives the bot instances log instead of testLogger.
func withLogger(log *slog.Logger) harnessOption { return func(h *harness) { h.log = log } }

// checkConformance fails the test for every request to the stand-in that
// broke one of Discord's rules (discordsim.CheckRequests).
func (h *harness) checkConformance() {
	for _, v := range h.sim.Conformance(h.check) {
		h.t.Errorf("request does not conform to Discord's rules: %s", v)
	}
}

// alone keeps the test out of the parallel phase: it bounds how long
// something takes on the wall clock, which other tests' load would blur.
func alone() harnessOption { return func(h *harness) { h.serial = true } }

// newHarness makes t parallel (see TestMain) unless alone() is among opts:
// each test has its own simulator, Redis database, clock and spool.
func newHarness(t *testing.T, opts ...harnessOption) *harness {
	t.Helper()
	return newHarnessSim(t, discordsim.Options{}, opts...)
}

// newHarnessSim is newHarness with a simulator configured by simOpts
// (its clock and logger are the harness's).
func newHarnessSim(t *testing.T, simOpts discordsim.Options, opts ...harnessOption) *harness {
	t.Helper()
	probe := &harness{env: map[string]string{}}
	for _, o := range opts {
		o(probe)
	}
	if !probe.serial {
		t.Parallel()
	}
	rdb, db := srv.FreshDB(t)
	clock := scheduletest.NewClock(testStart)
	simOpts.Now, simOpts.Logger = clock.Now, testLogger()
	// Bot instances may leave their gateway open (see startBot).
	simOpts.KeepGatewayOnClose = true
	sim := discordsim.New(simOpts)
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	h := &harness{t: t, sim: sim, clock: clock, rdb: rdb, spool: filepath.Join(t.TempDir(), "outbox.jsonl"),
		shutdown: 5 * time.Second, log: testLogger()}
	// Runs after the bot instances stopped (cleanups run last-in first-out):
	// every request of the scenario must be one Discord would take.
	t.Cleanup(func() { h.checkConformance() })
	h.general = sim.AddChannel("general")
	h.monitor = sim.AddChannel("crt-monitor")
	h.crisis = sim.AddChannel("crt-crisis")
	h.critical = sim.AddChannel("crt-critical")
	h.reports = sim.AddChannel("crt-reports")
	h.crtRole, h.adminRole = sim.AddRole("CRT"), sim.AddRole("Bot Admin")
	h.alice = sim.AddMember("alice")
	h.bob = sim.AddMember("bob")
	h.carol = sim.AddMember("carol", "CRT")
	h.dave = sim.AddMember("dave", "CRT", "Bot Admin")
	host, port, _ := net.SplitHostPort(srv.Addr)
	h.env = map[string]string{
		"BOT_LOG_LEVEL":                   "debug",
		"BOT_HTTP_ADDR":                   "", // TestOpsEndpoints sets a free port
		"BOT_SECRETS_DIR":                 t.TempDir(),
		"BOT_DISCORD_TOKEN":               sim.Token(),
		"BOT_DISCORD_GUILD_ID":            sim.GuildID().String(),
		"BOT_DISCORD_API_URL":             sim.URL(),
		"BOT_DISCORD_GATEWAY_URL":         sim.GatewayURL(),
		"BOT_ALERT_CHANNEL_MONITOR_IDS":   h.monitor.String(),
		"BOT_ALERT_CHANNEL_CRISIS_IDS":    h.crisis.String(),
		"BOT_ALERT_CHANNEL_CRITICAL_IDS":  h.critical.String(),
		"BOT_CRT_ROLE_IDS":                h.crtRole.ID.String(),
		"BOT_ADMIN_ROLE_IDS":              h.adminRole.ID.String(),
		"BOT_WEEKLY_REPORT_CHANNEL_ID":    h.reports.String(),
		"BOT_WEEKLY_REPORT_ENABLED":       "false", // tests post it by command
		"BOT_RETENTION_ENABLED":           "false",
		"BOT_AUTO_INITIATE_DELAY_MINUTES": "3",
		"BOT_AUTO_INITIATE_MIN_SEVERITY":  "high",
		"BOT_ASH_SESSION_TIMEOUT":         "300",
		"BOT_ASH_MAX_SESSION":             "1800",
		"BOT_FOLLOWUP_ENABLED":            "false", // withFollowups
		"BOT_REDIS_HOST":                  host,
		"BOT_REDIS_PORT":                  port,
		"BOT_REDIS_DB":                    strconv.Itoa(db),
		"BOT_REDIS_DIAL_TIMEOUT":          "200ms",
		"BOT_REDIS_READ_TIMEOUT":          "500ms",
		"BOT_REDIS_WRITE_TIMEOUT":         "500ms",
	}
	// Off unless a test switches it on (escalation_e2e_test.go): its
	// poller is one more goroutine on the clock, and its thread posts
	// would join every other test's scenario.
	h.env["BOT_ESCALATION_MINUTES"] = ""
	for _, o := range opts {
		o(h)
	}
	return h
}

func (h *harness) config() *config.Config {
	h.t.Helper()
	lookup := func(k string) (string, bool) { v, ok := h.env[k]; return v, ok }
	cfg, _, err := config.Load(lookup, os.ReadFile)
	if err != nil {
		h.t.Fatalf("config: %v", err)
	}
	return cfg
}

// instance is one running bot.
type instance struct {
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// startBot runs a bot instance and waits until its gateway session is
// ready. Under the race detector the instance leaves its gateway open at
// shutdown (Options.KeepGatewayOpen): disgo v0.19.6 races on close.
func (h *harness) startBot() *instance {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	in := &instance{cancel: cancel, done: make(chan error, 1)}
	cfg := h.config()
	go func() {
		in.done <- Run(ctx, cfg, Options{
			Logger: h.log, Clock: h.clock, SpoolPath: h.spool, Version: "test",
			ShutdownTimeout: h.shutdown, PollInterval: 5 * time.Second,
			OutboxMinBackoff: 20 * time.Millisecond, OutboxMaxBackoff: 100 * time.Millisecond,
			KeepGatewayOpen: raceEnabled, GatewayStaleAfter: h.staleAfter, Classifier: h.classifier,
			Ready: func() { close(ready) }, OnAshTeam: h.onAshTeam,
		})
	}()
	select {
	case <-ready:
	case err := <-in.done:
		h.t.Fatalf("bot stopped before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		h.t.Fatal("bot not ready after 10s")
	}
	h.t.Cleanup(func() { in.stop(h.t) })
	return in
}

// stop cancels the instance and waits for Run to return; it may be called
// more than once.
func (in *instance) stop(t *testing.T) {
	t.Helper()
	in.once.Do(func() {
		in.cancel()
		select {
		case err := <-in.done:
			if err != nil {
				t.Errorf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Error("bot did not stop within 10s")
		}
	})
}

func (h *harness) ctx() context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	h.t.Cleanup(cancel)
	return ctx
}

// waitPollers waits until the timer pollers (auto-initiate, chat
// deadlines, escalation and follow-up check-ins when they are on) wait on
// the clock, i.e. they have done all they can at the current time.
func (h *harness) waitPollers() {
	n := 2
	if h.env["BOT_ESCALATION_MINUTES"] != "" {
		n++
	}
	if h.env["BOT_FOLLOWUP_ENABLED"] == "true" {
		n++
	}
	h.clock.BlockUntil(h.t, n)
}

// advance moves time on once the pollers are idle, and waits until they
// have handled the new time.
func (h *harness) advance(d time.Duration) {
	h.t.Helper()
	h.waitPollers()
	h.clock.Advance(d)
	h.waitPollers()
}

// say posts content in general as author.
func (h *harness) say(author discordsim.User, content string) discordsim.Message {
	h.t.Helper()
	m, err := h.sim.SendMessage(h.general, author, content)
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// flag has flagger flag msg with severity, checks the private thank-you and
// returns the answer text.
func (h *harness) flag(flagger discordsim.User, msg discordsim.Message, severity string) string {
	h.t.Helper()
	ctx := h.ctx()
	in, err := h.sim.RunMessageCommand(flagger, "Flag for CRT", msg.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	cb, err := in.Wait(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if !cb.Ephemeral() || cb.Message == nil {
		h.t.Fatalf("flag menu not private: %+v", cb)
	}
	menuID := alerts.FlagSelectID(msg.ChannelID.String(), msg.ID.String())
	sel, err := h.sim.SelectMenu(cb.MessageID, flagger, menuID, severity)
	if err != nil {
		h.t.Fatal(err)
	}
	scb, err := sel.Wait(ctx)
	if err != nil {
		h.t.Fatal(err)
	}
	if scb.Type != discord.InteractionResponseTypeUpdateMessage || scb.Message == nil || !scb.Message.Ephemeral() {
		h.t.Fatalf("flag answer: %+v", scb)
	}
	return scb.Message.Content
}

// alertFor waits for the alert about message id in channel.
func (h *harness) alertFor(channel discordsim.ChannelID, id snowflake.ID) discordsim.Message {
	h.t.Helper()
	m, err := h.sim.WaitMessage(h.ctx(), channel, func(m discordsim.Message) bool {
		return len(m.Embeds) > 0 && m.Embeds[0].Footer != nil && m.Embeds[0].Footer.Text == "Alert "+id.String()
	})
	if err != nil {
		h.t.Fatal(err)
	}
	return m
}

// click presses a button and returns the bot's answer.
func (h *harness) click(msgID snowflake.ID, user discordsim.User, customID string) (*discordsim.Interaction, discordsim.InteractionCallback) {
	h.t.Helper()
	in, err := h.sim.ClickButton(msgID, user, customID)
	if err != nil {
		h.t.Fatal(err)
	}
	cb, err := in.Wait(h.ctx())
	if err != nil {
		h.t.Fatal(err)
	}
	return in, cb
}

// answerText is the text the person who interacted finally sees: a deferred
// answer's edited original, or the callback's own message.
func (h *harness) answerText(in *discordsim.Interaction) string {
	h.t.Helper()
	var text string
	err := h.sim.WaitFor(h.ctx(), func() bool {
		m, ok := in.Original()
		if !ok || m.Flags.Has(discord.MessageFlagLoading) {
			return false
		}
		text = m.Content
		return true
	})
	if err != nil {
		h.t.Fatalf("no answer: %v", err)
	}
	return text
}

func (h *harness) metricsStore() *metrics.Store { return metrics.NewStore(h.rdb, h.clock.Now) }

// waitMetric waits until the alert's metrics record satisfies cond.
func (h *harness) waitMetric(alertID string, what string, cond func(a *metrics.Alert) bool) *metrics.Alert {
	h.t.Helper()
	var got *metrics.Alert
	err := h.sim.WaitFor(h.ctx(), func() bool {
		a, err := h.metricsStore().Alert(context.Background(), alertID)
		if err != nil {
			return false
		}
		got = a
		return cond(a)
	})
	if err != nil {
		h.t.Fatalf("alert %s: %s never recorded; last record %+v", alertID, what, got)
	}
	return got
}

// waitFor fails the test if cond does not hold within the context's time.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	if err := h.sim.WaitFor(h.ctx(), cond); err != nil {
		h.t.Fatalf("%s: %v", what, err)
	}
}

func status(m discordsim.Message) string {
	for _, f := range m.Embeds[0].Fields {
		if f.Name == alerts.FieldStatus {
			return f.Value
		}
	}
	return ""
}

func button(m discordsim.Message, action string) (discord.ButtonComponent, bool) {
	for _, b := range m.Buttons() {
		if btn, ok := alerts.ParseButtonID(b.CustomID); ok && btn.Action == action {
			return b, true
		}
	}
	return discord.ButtonComponent{}, false
}

func (h *harness) buttonID(m discordsim.Message, action string) string {
	h.t.Helper()
	b, ok := button(m, action)
	if !ok {
		h.t.Fatalf("alert %s has no %s button: %v", m.ID, action, m.Buttons())
	}
	return b.CustomID
}

// current returns the latest version of a message.
func (h *harness) current(id snowflake.ID) discordsim.Message {
	h.t.Helper()
	m, ok := h.sim.Message(id)
	if !ok {
		h.t.Fatalf("message %s gone", id)
	}
	return m
}

// threadMessages returns the bot's notes in an alert's thread.
func (h *harness) threadMessages(alert discordsim.Message) []string {
	var out []string
	for _, m := range h.sim.Messages(alert.ID) {
		out = append(out, m.Content)
	}
	return out
}

func (h *harness) waitThreadNote(alert discordsim.Message, substr string) {
	h.t.Helper()
	h.waitFor("thread note "+substr, func() bool {
		return slices.ContainsFunc(h.threadMessages(alert), func(s string) bool { return strings.Contains(s, substr) })
	})
}
