// Package app is the ashbot process: Run connects Redis, the metrics
// recorder behind the outbox, the Discord gateway and REST clients, the
// alert and Ash machinery, the timer pollers and the two schedules (weekly
// report, retention cleanup), and stops them in order when its context
// ends. `ashbot run` calls Run; tests and the demo run it in-process.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/disgoorg/disgo"
	dbot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/cache"
	"github.com/disgoorg/disgo/discord"
	devents "github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/bot"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/detection"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/escalation"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/gatewayhealth"
	"github.com/alphabetcartel/ashbot/internal/logging"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/ops"
	"github.com/alphabetcartel/ashbot/internal/outbox"
	"github.com/alphabetcartel/ashbot/internal/redisconn"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
	"github.com/alphabetcartel/ashbot/internal/weekly"
)

// Options are what Run needs besides the configuration. The zero value
// runs a production bot without a spool file.
type Options struct {
	Logger *slog.Logger
	// Clock drives the timers (auto-initiate, session timeouts) and the
	// schedules. Tests and the demo pass a manual one; default wall clock.
	Clock schedule.Clock
	// SpoolPath keeps lifecycle events Redis has not taken yet across a
	// restart (BOT_OUTBOX_SPOOL). Empty: they are lost at shutdown, with an
	// error in the log.
	SpoolPath string
	// Version is shown in the weekly report's footer and named in the
	// User-Agent of every Discord REST request.
	Version string
	// ShutdownTimeout bounds the whole ordered shutdown (default 25s,
	// inside the usual 30s between SIGTERM and SIGKILL).
	ShutdownTimeout time.Duration
	// PollInterval is how often the auto-initiate and session-deadline
	// timers are checked (default 5s).
	PollInterval time.Duration
	// Companion writes Ash's fixed texts: welcome, closings, and the
	// replies without a model (default ash.Scripted).
	Companion ash.Companion
	// Classifier replaces the Ash-NLP client built from BOT_NLP_* as the
	// crisis classifier automatic detection uses (tests, benchmarks).
	// Without either (BOT_NLP_BASE_URL=off), BOT_MONITORED_CHANNELS is
	// ignored with a warning and alerts come from flags only.
	Classifier detection.Classifier
	// DetectionProbeInterval is how often a down classifier is tried
	// again (default 10s).
	DetectionProbeInterval time.Duration
	// OutboxMinBackoff and OutboxMaxBackoff bound the retry waits while
	// Redis is down: the outbox's, and the pings of a Redis that was
	// unreachable at start-up (defaults: 250ms to 30s).
	OutboxMinBackoff, OutboxMaxBackoff time.Duration
	// KeepGatewayOpen skips closing the gateway connection at shutdown
	// (the bot still stops handling events). Only for tests under the race
	// detector: disgo v0.19.6 reads and writes its heartbeat state without
	// synchronisation when a connection closes (see package discordsim).
	KeepGatewayOpen bool
	// GatewayStaleAfter is how long the gateway may stay silent (no
	// heartbeat ACK, no event) before /readyz says not ready (default
	// gatewayhealth.DefaultStaleAfter).
	GatewayStaleAfter time.Duration
	// Ready, when set, is called once the gateway session is ready and
	// every part of the bot runs.
	Ready func()
	// OnAshTeam, when set, is given the Team through which Ash tells the
	// CRT what happens in its chats, once it is built: tests tell it what
	// happened without scripting a whole chat.
	OnAshTeam func(ash.Team)
}

// Intents the bot needs: guilds (threads and channels in the cache), guild
// messages (monitored messages and their edits, thread replies for first
// response), message content (what detection classifies, the excerpt of a
// flagged message) and direct messages (Ash's chats).
var Intents = []gateway.Intents{
	gateway.IntentGuilds, gateway.IntentGuildMessages, gateway.IntentMessageContent, gateway.IntentDirectMessages,
}

// Run runs the bot until ctx ends, then shuts down in order: the gateway
// closes (no new events) and running handlers finish, the timer pollers
// and schedules stop, the outbox delivers what it can and spools the rest,
// and Redis closes, all within ShutdownTimeout. It returns an error when
// the bot cannot start (bad settings, Redis or Discord unreachable); a
// clean shutdown returns nil.
func Run(ctx context.Context, cfg *config.Config, opts Options) error {
	if cfg == nil {
		return errors.New("run: no configuration")
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Clock == nil {
		opts.Clock = schedule.SystemClock{}
	}
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 25 * time.Second
	}
	// Every logger handed on (to disgo's gateway, REST and rate limiters
	// among others) redacts the secrets and withholds Discord payloads,
	// whoever built opts.Logger.
	opts.Logger = slog.New(logging.Redact(opts.Logger.Handler(), cfg.Secrets()))
	log := opts.Logger
	settings, err := readSettings(cfg)
	if err != nil {
		return fmt.Errorf("run: %w", err)
	}
	// The ops port is bound before anything else starts: a bot without its
	// health endpoint would be killed by its orchestrator in a loop with no
	// clear reason, so a port that cannot be bound stops start-up here.
	var opsLn net.Listener
	if cfg.Runtime.HTTPAddr != "" {
		if opsLn, err = ops.Listen(cfg.Runtime.HTTPAddr); err != nil {
			return fmt.Errorf("run: BOT_HTTP_ADDR=%s: %w", cfg.Runtime.HTTPAddr, err)
		}
	}
	// Until run serves it, a failed start-up closes it.
	closeOps := func() {
		if opsLn != nil {
			opsLn.Close()
		}
	}

	// redisconn's client honours context deadlines on every call, which
	// the dispatch path's short timeouts rely on.
	rdb, err := redisconn.Open(cfg.Redis)
	if err != nil {
		closeOps()
		return fmt.Errorf("run: %w", err)
	}
	s := &stack{log: log, rdb: rdb, redis: redisconn.NewHealth(rdb, cfg.Redis, opts.Clock.Now), started: opts.Clock.Now()}
	defer s.closeRedis()
	// A Redis that is down is waited for, not a reason to stay down:
	// alerts go out without it and their events wait in the outbox. Only
	// what Redis would refuse again (credentials, ACL) stops start-up.
	err = s.redis.FirstPing(ctx)
	if err != nil && (!redisconn.Retryable(err) || ctx.Err() != nil) {
		closeOps()
		return fmt.Errorf("run: %w", err)
	}
	if err != nil {
		log.Error("redis unreachable at start-up: starting without it and retrying; alerts go out, "+
			"their events wait in the outbox, schedules and timers start once it answers", "error", err.Error())
	}

	if err := s.build(cfg, settings, opts); err != nil {
		closeOps()
		return fmt.Errorf("run: %w", err)
	}
	return s.run(ctx, cfg, opts, opsLn)
}

// settings are the Discord ids of the configuration, parsed once.
type settings struct {
	guild     snowflake.ID
	channels  alerts.Channels
	crt       []snowflake.ID
	admin     []snowflake.ID
	monitored []snowflake.ID
	notes     []snowflake.ID
	// leads and escalation are BOT_ESCALATION_ROLE_IDS and
	// BOT_ESCALATION_CHANNEL_ID (0: none).
	leads      []snowflake.ID
	escalation snowflake.ID
}

// CheckSettings lists what the running bot needs and the configuration
// lacks, one problem per entry, so `ashbot run` can refuse to start with
// every problem named at once.
func CheckSettings(cfg *config.Config) []string {
	_, problems := parseSettings(cfg)
	return problems
}

func readSettings(cfg *config.Config) (settings, error) {
	s, problems := parseSettings(cfg)
	if len(problems) > 0 {
		return s, errors.New("cannot start the bot: " + strings.Join(problems, "; "))
	}
	return s, nil
}

func parseSettings(cfg *config.Config) (settings, []string) {
	var s settings
	var problems []string
	if strings.TrimSpace(cfg.Discord.Token) == "" {
		problems = append(problems, "BOT_DISCORD_TOKEN is empty")
	}
	parse := func(name string, in []string) []snowflake.ID {
		out := make([]snowflake.ID, 0, len(in))
		for _, v := range in {
			id, err := snowflake.Parse(v)
			if err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a Discord id", name, v))
				continue
			}
			out = append(out, id)
		}
		return out
	}
	s.channels = alerts.Channels{
		Monitor:  parse("BOT_ALERT_CHANNEL_MONITOR_IDS", cfg.Discord.AlertMonitorChannels),
		Crisis:   parse("BOT_ALERT_CHANNEL_CRISIS_IDS", cfg.Discord.AlertCrisisChannels),
		Critical: parse("BOT_ALERT_CHANNEL_CRITICAL_IDS", cfg.Discord.AlertCriticalChannels),
	}
	s.crt = parse("BOT_CRT_ROLE_IDS", cfg.Discord.CRTRoleIDs)
	s.admin = parse("BOT_ADMIN_ROLE_IDS", cfg.Discord.AdminRoleIDs)
	s.monitored = parse("BOT_MONITORED_CHANNELS", cfg.Detection.MonitoredChannels)
	s.notes = parse("BOT_CRT_NOTES_CHANNEL_IDS", cfg.Ash.NotesChannelIDs)
	s.leads = parse("BOT_ESCALATION_ROLE_IDS", cfg.Escalation.RoleIDs)
	if cfg.Escalation.ChannelID != "" {
		if c := parse("BOT_ESCALATION_CHANNEL_ID", []string{cfg.Escalation.ChannelID}); len(c) == 1 {
			s.escalation = c[0]
		}
	}
	if cfg.Discord.GuildID != "" {
		if g := parse("BOT_DISCORD_GUILD_ID", []string{cfg.Discord.GuildID}); len(g) == 1 {
			s.guild = g[0]
		}
	}
	if s.channels.Empty() {
		problems = append(problems, "no alert channel: set BOT_ALERT_CHANNEL_CRISIS_IDS (and _MONITOR_IDS, _CRITICAL_IDS)")
	}
	if len(s.crt) == 0 {
		problems = append(problems, "BOT_CRT_ROLE_IDS is empty: nobody could answer alerts")
	}
	return s, problems
}

// stack holds the running parts, in the order they are built.
type stack struct {
	log *slog.Logger
	rdb redis.UniversalClient
	// redis follows whether Redis answers: /readyz, /health/detailed, and
	// the timers and schedules, which start once it has answered.
	redis   *redisconn.Health
	started time.Time

	outbox     *outbox.Outbox
	rest       rest.Rest
	limiter    *discordapi.RateLimiter // the REST client's, for /metrics
	dispatcher *alerts.Dispatcher
	intake     *detection.Intake // nil: detection off
	bot        *bot.Bot
	client     *dbot.Client
	workers    []func(ctx context.Context)
	runners    map[string]runnerStats // by job name, for /metrics
	pollers    map[string]*ash.Poller // by timer name, for /metrics
	escalator  *escalation.Escalator  // nil: escalation off
	followups  *followup.Checkins     // nil: BOT_FOLLOWUP_ENABLED=false
	// nlp is the Ash-NLP client, nil when BOT_NLP_BASE_URL=off; the
	// detection side classifies monitored messages with it.
	nlp        *ashnlp.Client
	nlpLatency *prometheus.HistogramVec
	nlpLast    atomic.Int64 // duration of the last Ash-NLP attempt, for /health/detailed
	restLast   atomic.Int64 // duration of the last Discord REST exchange, likewise
	// health follows the gateway session for /readyz and the logs.
	health *gatewayhealth.Monitor
	// reg holds the metrics /metrics serves; parts register theirs as
	// they are built.
	reg *prometheus.Registry
	// companion is the language model behind Ash (none when scripted).
	companion companionPart
	// off lists the parts that run reduced, for the start-up summary.
	off []string
	// nlpChecked gets the outcome of Ash-NLP's start-up health check (nil
	// when BOT_NLP_BASE_URL=off); intakeUsesNLP says detection depends on it.
	nlpChecked    chan error
	intakeUsesNLP bool
}

func (s *stack) closeRedis() {
	// A signal during the start-up ping has closed it already.
	if err := s.rdb.Close(); err != nil && !errors.Is(err, redis.ErrClosed) {
		s.log.Warn("redis close", "error", err.Error())
	}
}

func (s *stack) build(cfg *config.Config, set settings, opts Options) error {
	clock, log := opts.Clock, opts.Logger
	s.reg = ops.NewRegistry()
	var err error
	if s.companion, err = buildCompanion(cfg.Companion, s.reg, log); err != nil {
		return err
	}
	rec, err := metrics.NewRecorder(s.rdb, metrics.RecorderOptions{
		Enabled: cfg.Metrics.Enabled, AlertTTL: cfg.Metrics.AlertTTL, AggregateTTL: cfg.Metrics.AggregateTTL, Now: clock.Now,
	})
	if err != nil {
		return err
	}
	if s.outbox, err = outbox.New(rec, outbox.Options{
		SpoolPath: opts.SpoolPath, MinBackoff: opts.OutboxMinBackoff, MaxBackoff: opts.OutboxMaxBackoff, Logger: log,
	}); err != nil {
		return err
	}
	s.limiter = discordapi.NewRateLimiter(discordapi.RateLimiterConfig{Logger: log.With("component", "discord_rest")})
	if s.rest, err = discordapi.NewREST(discordapi.Config{Token: cfg.Discord.Token, BaseURL: cfg.Discord.APIURL, Version: opts.Version, Logger: log, RateLimiter: s.limiter,
		RoundTrip: func(d time.Duration) { s.restLast.Store(int64(d)) }}); err != nil {
		return err
	}
	alertStore, err := alerts.NewStore(s.rdb, alerts.StoreOptions{TTL: cfg.Metrics.AlertTTL, Now: clock.Now})
	if err != nil {
		return err
	}
	autoInit, err := ash.NewAutoInit(ash.NewDueSet(s.rdb, ash.AutoInitKey), cfg.Ash.AutoInitiateDelay, events.Severity(cfg.Ash.AutoInitiateMinSeverity))
	if err != nil {
		return err
	}
	// Off, no alert gets a timer; the bot still cancels timers set before
	// it was switched off, and their poller does not run.
	var scheduler alerts.AutoInitScheduler
	if cfg.Ash.AutoInitiate {
		scheduler = autoInit
	} else {
		log.Info("auto-initiate off (BOT_AUTO_INITIATE_ENABLED=false): Ash reaches out only when a CRT member asks")
	}
	if s.escalator, err = s.buildEscalation(cfg, set, alertStore, clock); err != nil {
		return err
	}
	var escalate alerts.AutoInitScheduler
	var cancelEscalation bot.Canceller
	if s.escalator != nil {
		escalate, cancelEscalation = s.escalator, s.escalator
	}
	if s.dispatcher, err = alerts.NewDispatcher(alerts.DispatcherOptions{
		Discord: s.rest, Store: alertStore, Events: s.outbox, AutoInit: scheduler, Escalation: escalate,
		Channels: set.channels, CRTRoles: set.crt, Logger: log,
	}); err != nil {
		return err
	}
	team, err := bot.NewTeam(s.rest, alertStore, bot.TeamOptions{
		GuildID: set.guild, CRTRoles: set.crt, NotesChannels: set.notes, HandoffContext: cfg.Ash.HandoffContext,
	}, log)
	if err != nil {
		return err
	}
	if opts.OnAshTeam != nil {
		opts.OnAshTeam(team)
	}
	ashStore, err := ash.NewStore(s.rdb, cfg.Retention.SessionData, cfg.Retention.OptOut, clock.Now)
	if err != nil {
		return err
	}
	deadlines := ash.NewDueSet(s.rdb, ash.SessionDeadlinesKey)
	var onEnded func(context.Context, ash.Session)
	if cfg.Followup.Enabled {
		if s.followups, err = followup.New(followup.Options{
			Redis: s.rdb, Alerts: alertStore, People: ashStore, DM: s.rest, Team: team, Events: s.outbox,
			ResourcesText: cfg.Ash.ResourcesText, Delay: cfg.Followup.Delay, Max: cfg.Followup.Max,
			MinSeverity: events.Severity(cfg.Followup.MinSeverity), MinSession: cfg.Followup.MinSession, Clock: clock, Logger: log,
		}); err != nil {
			return err
		}
		onEnded = s.followups.OnEnded
	} else {
		s.reduced("follow-up check-ins", "off, BOT_FOLLOWUP_ENABLED=false")
	}
	s.noteSchedules(cfg)
	if err := s.buildNLP(cfg); err != nil {
		return err
	}
	manager, err := s.ashManager(cfg, opts, ashStore, deadlines, team, onEnded)
	if err != nil {
		return err
	}

	metricsStore := metrics.NewStore(s.rdb, clock.Now)
	poster := discordapi.NewPoster(s.rest)
	trigger, err := weekly.NewTrigger(metricsStore, poster, weekly.Options{Version: opts.Version, Logger: log,
		Targets: ReportTargets(cfg), Now: clock.Now, Zone: cfg.Report.Location,
		Extras: &weekly.ExtrasOptions{Source: metricsStore, Location: cfg.Report.Location, Retention: metrics.Retention{Alerts: cfg.Metrics.AlertTTL, Aggregates: cfg.Metrics.AggregateTTL}}})
	if err != nil {
		return err
	}
	cleaner, err := retention.NewCleaner(s.rdb, retention.Config{Retentions: Retentions(cfg), Clock: clock, Logger: log})
	if err != nil {
		return err
	}
	collector, err := storagestats.NewCollector(s.rdb, storagestats.Options{Clock: clock})
	if err != nil {
		return err
	}

	var detect bot.Detection
	var followups bot.Followups // a nil *Checkins must not become a non-nil interface
	if s.followups != nil {
		followups = s.followups
	}
	if s.intake, err = s.detection(cfg, set, opts, alertStore, poster); err != nil {
		return err
	}
	if s.intake != nil {
		detect = s.intake
		s.workers = append(s.workers, s.intake.Run)
	}

	if s.bot, err = bot.New(bot.Options{
		Rest: s.rest, GuildID: set.guild, CRTRoles: set.crt, AdminRoles: set.admin, AlertChannels: set.channels,
		Alerts: alertStore, Dispatcher: s.dispatcher, Team: team, Ash: manager, AutoInit: autoInit, Escalation: cancelEscalation, Events: s.outbox,
		Detection: detect, Followups: followups, Metrics: metricsStore, Reports: trigger, ReportChannels: cfg.Report.ChannelIDs, Cleaner: cleaner, Storage: collector,
		Status: statusSource{s: s, cfg: cfg, version: opts.Version, now: clock.Now}, Config: cfg,
		Clock: clock, Logger: log,
		AlertRetention: cfg.Metrics.AlertTTL,
	}); err != nil {
		return err
	}

	s.workers = append(s.workers, s.afterRedis(s.indexOpenAlerts(alertStore)))
	s.pollers = map[string]*ash.Poller{}
	polls := []ash.PollerOptions{{Name: "session-deadlines", Set: deadlines, Handle: manager.OnDeadline}}
	if cfg.Ash.AutoInitiate {
		polls = append(polls, ash.PollerOptions{Name: "auto-initiate", Set: autoInit.Set(), Handle: s.bot.AutoInitiate})
	}
	if s.escalator != nil {
		polls = append(polls, ash.PollerOptions{Name: "escalation", Set: s.escalator.Set(), Handle: s.escalator.Fire})
	}
	if s.followups != nil {
		polls = append(polls, ash.PollerOptions{Name: "followups", Set: s.followups.Timers(), Handle: s.followups.Fire})
	}
	for _, p := range polls {
		p.Clock, p.Interval, p.Logger = clock, opts.PollInterval, log
		poller, err := ash.NewPoller(p)
		if err != nil {
			return err
		}
		s.workers = append(s.workers, s.afterRedis(poller.Run))
		s.pollers[p.Name] = poller
	}

	schedOpts := schedule.Options{Clock: clock, Logger: log}
	reportRunner, err := weekly.NewRunner(s.rdb, trigger, weekly.Schedule{
		Enabled: cfg.Report.Enabled, Channels: cfg.Report.ChannelIDs, Day: cfg.Report.Day, Hour: cfg.Report.Hour,
	}, schedOpts)
	if err != nil {
		return err
	}
	s.runners = map[string]runnerStats{}
	if reportRunner != nil {
		s.workers = append(s.workers, s.runner(reportRunner))
		s.runners[weekly.JobName] = reportRunner
	}
	var notifier storagestats.Notifier
	if len(cfg.Report.ChannelIDs) > 0 {
		notifier = channelNotifier{poster: poster, channels: cfg.Report.ChannelIDs}
	}
	alerter, err := storagestats.NewAlerter(s.rdb, notifier, clock, log)
	if err != nil {
		return err
	}
	monitor, err := storagestats.NewMonitor(collector, alerter, storagestats.Thresholds{
		MaxMemoryBytes: cfg.Retention.MaxMemoryBytes, MaxCategoryKeys: cfg.Retention.MaxCategoryKeys,
	}, log)
	if err != nil {
		return err
	}
	cleanupRunner, err := retention.NewDailyRunner(s.rdb, cleaner, retention.Schedule{
		Enabled: cfg.Retention.Enabled, Hour: cfg.Retention.CleanupHour,
	}, schedOpts, monitor.AfterCleanup)
	if err != nil {
		return err
	}
	if cleanupRunner != nil {
		s.workers = append(s.workers, s.runner(cleanupRunner))
		s.runners["retention-cleanup"] = cleanupRunner
	}
	return nil
}

func (s *stack) runner(r *schedule.Runner) func(ctx context.Context) {
	return s.afterRedis(func(ctx context.Context) {
		if err := r.Run(ctx); err != nil {
			s.log.Error("schedule stopped", "error", err.Error())
		}
	})
}

// afterRedis makes w wait until Redis has answered once: a timer or
// schedule is state in Redis, so without it there is nothing to run, only
// errors to log. Later outages they ride out themselves (retries, backoff).
func (s *stack) afterRedis(w func(ctx context.Context)) func(ctx context.Context) {
	return func(ctx context.Context) {
		select {
		case <-s.redis.Up():
			w(ctx)
		case <-ctx.Done():
		}
	}
}

// awaitRedis is the worker that pings a Redis unreachable at start-up
// until it answers.
func (s *stack) awaitRedis(opts Options) func(ctx context.Context) {
	lo, hi := opts.OutboxMinBackoff, opts.OutboxMaxBackoff
	if lo <= 0 {
		lo = 250 * time.Millisecond
	}
	if hi <= 0 {
		hi = 30 * time.Second
	}
	hi = max(hi, lo)
	return func(ctx context.Context) { s.redis.Await(ctx, lo, hi, s.log.With("component", "redis")) }
}

// Retentions maps the settings onto the cleanup policies; alert records
// and aggregates use the effective (shorter) retention, like the recorder.
func Retentions(cfg *config.Config) retention.Retentions {
	return retention.Retentions{
		AlertMetrics:   cfg.Metrics.AlertTTL,
		Aggregates:     cfg.Metrics.AggregateTTL,
		MessageHistory: cfg.Retention.MessageHistory,
		SessionData:    cfg.Retention.SessionData,
		OptOuts:        cfg.Retention.OptOut,
	}
}

// channelNotifier posts storage usage alerts to the report channels.
type channelNotifier struct {
	poster   *discordapi.Poster
	channels []string
}

func (n channelNotifier) Notify(ctx context.Context, text string) error {
	var errs []error
	for _, ch := range n.channels {
		msg := discord.MessageCreate{Content: "⚠️ " + text, AllowedMentions: discordapi.NoMentions()}
		if _, err := n.poster.Post(ctx, ch, msg, ""); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// startTimeout bounds connecting to Discord and registering commands.
const startTimeout = 30 * time.Second

// run starts the bot; opsLn, when not nil, is the bound BOT_HTTP_ADDR.
func (s *stack) run(ctx context.Context, cfg *config.Config, opts Options, opsLn net.Listener) error {
	log := s.log
	// Before the ops server, whose /readyz reads it.
	s.health = gatewayhealth.New(gatewayhealth.Config{StaleAfter: opts.GatewayStaleAfter, Logger: log.With("component", "gateway_health")})
	if opsLn != nil {
		// Served until the very end of shutdown, so probes see it through.
		opsCtx, stopOps := context.WithCancel(context.WithoutCancel(ctx))
		defer stopOps()
		srv := s.opsServer()
		s.detailedHealth(srv, opts)
		go func() {
			if err := srv.Serve(opsCtx, opsLn); err != nil {
				log.Error("ops http stopped", "error", err.Error())
			}
		}()
	}
	obCtx, stopOutbox := context.WithCancel(context.WithoutCancel(ctx))
	obDone := make(chan struct{})
	go func() { defer close(obDone); s.outbox.Run(obCtx) }()

	var readyOnce sync.Once
	// compress: true in Identify (zlib-compressed large payloads), which
	// Discord and the stand-in both speak, rather than disgo's default
	// zstd-stream transport compression.
	gwOpts := []gateway.ConfigOpt{gateway.WithIntents(Intents...), gateway.WithCompression(gateway.CompressionZlibPayload),
		gateway.WithCloseHandler(s.health.OnClose)}
	if cfg.Discord.GatewayURL != "" {
		gwOpts = append(gwOpts, gateway.WithURL(cfg.Discord.GatewayURL))
	}
	client, err := disgo.New(cfg.Discord.Token,
		dbot.WithRest(s.rest),
		dbot.WithLogger(log),
		dbot.WithGatewayConfigOpts(gwOpts...),
		dbot.WithCacheConfigOpts(cache.WithCaches(cache.FlagGuilds, cache.FlagChannels)),
		dbot.WithEventListeners(s.bot, s.health),
		dbot.WithEventListenerFunc(func(e *devents.Ready) {
			log.Info("discord gateway ready", "session_id", e.SessionID, "bot_user_id", e.User.ID.String())
			readyOnce.Do(func() {
				if opts.Ready != nil {
					go opts.Ready()
				}
			})
		}),
	)
	if err != nil {
		s.stopOutbox(stopOutbox, obDone, opts.ShutdownTimeout)
		return fmt.Errorf("run: discord client: %w", err)
	}
	s.client = client
	s.health.Attach(client.Gateway.Status)

	sctx, cancel := context.WithTimeout(ctx, startTimeout)
	if err := s.bot.RegisterCommands(sctx, client.ApplicationID); err != nil {
		// Discord keeps commands registered earlier; alerts can still be
		// answered, so this is no reason to stay down.
		log.Error("commands not registered; earlier registrations stay in effect", "error", err.Error())
	}
	cancel()

	// Timers and schedules run until shutdown says so, not until ctx
	// ends: shutdown stops them in their turn.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	var workers sync.WaitGroup
	for _, w := range append(s.workers, s.health.Run, s.awaitRedis(opts)) {
		workers.Add(1)
		go func() { defer workers.Done(); w(workCtx) }()
	}

	sctx, cancel = context.WithTimeout(ctx, startTimeout)
	err = client.OpenGateway(sctx)
	cancel()
	if err != nil {
		s.shutdown(opts, stopWork, &workers, stopOutbox, obDone)
		if ended, ok := gatewayhealth.Ended(err); ok {
			err = ended // says what to do
		}
		return fmt.Errorf("run: cannot connect to the Discord gateway: %w", err)
	}
	s.logSummary(ctx, cfg, opts)

	<-ctx.Done()
	log.Info("shutting down", "reason", context.Cause(ctx).Error())
	s.shutdown(opts, stopWork, &workers, stopOutbox, obDone)
	return nil
}

// shutdown stops everything in order within opts.ShutdownTimeout.
func (s *stack) shutdown(opts Options, stopWork context.CancelFunc, workers *sync.WaitGroup, stopOutbox context.CancelFunc, obDone chan struct{}) {
	log := s.log
	ctx, cancel := context.WithTimeout(context.Background(), opts.ShutdownTimeout)
	defer cancel()
	began := time.Now()

	// 1. No new events; let the handlers that run finish.
	if s.health != nil {
		s.health.Stopping()
	}
	if s.client != nil && !opts.KeepGatewayOpen {
		s.client.Gateway.Close(ctx)
	}
	if err := s.bot.Stop(ctx); err != nil {
		log.Warn("shutdown: event handlers cut short", "error", err.Error())
	}
	// 2. Timers and schedules. Their state is in Redis: a timer or run
	// that was due and not finished is picked up by the next process.
	stopWork()
	if !wait(ctx, workers.Wait) {
		log.Warn("shutdown: pollers or schedules still running")
	}
	s.dispatcher.Close()
	// 3. Lifecycle events: deliver what Redis takes, spool the rest.
	s.stopOutbox(stopOutbox, obDone, time.Until(deadline(ctx)))
	if s.rest != nil {
		s.rest.Close(ctx)
	}
	log.Info("shutdown complete", "took", time.Since(began).Round(time.Millisecond).String())
}

func deadline(ctx context.Context) time.Time {
	d, _ := ctx.Deadline()
	return d
}

// stopOutbox drains the outbox for at most within, stops it and spools
// what is left.
func (s *stack) stopOutbox(stop context.CancelFunc, done chan struct{}, within time.Duration) {
	ctx, cancel := context.WithTimeout(context.Background(), max(within, 0))
	if err := s.outbox.Drain(ctx); err != nil {
		s.log.Warn("shutdown: outbox not drained", "error", err.Error())
	}
	cancel()
	stop()
	<-done
	if err := s.outbox.Close(); err != nil {
		s.log.Error("shutdown: lifecycle events lost", "error", err.Error())
	}
	st := s.outbox.Stats()
	s.log.Info("outbox stopped", "delivered", st.Delivered, "duplicates", st.Duplicates, "rejected", st.Rejected,
		"retries", st.Retries, "dropped", st.Dropped)
}

func wait(ctx context.Context, f func()) bool {
	done := make(chan struct{})
	go func() { f(); close(done) }()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}
