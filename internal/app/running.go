package app

import (
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/disgoorg/disgo"
	dbot "github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/cache"
	devents "github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/gatewayhealth"
)

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
