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
	"sync/atomic"
	"time"

	dbot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
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
