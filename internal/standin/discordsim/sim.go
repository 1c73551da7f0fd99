package discordsim

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// Default identities. They are valid, stable snowflakes so that test
// assertions and demo transcripts do not change from run to run.
const (
	DefaultGuildID   snowflake.ID = 1200000000000000001
	DefaultBotUserID snowflake.ID = 1200000000000000002
	DefaultOwnerID   snowflake.ID = 1200000000000000003

	// DefaultHeartbeatInterval is what Discord currently announces in Hello.
	DefaultHeartbeatInterval = 41250 * time.Millisecond
	// DefaultInteractionDeadline is Discord's window for the initial response.
	DefaultInteractionDeadline = 3 * time.Second
	// DefaultInteractionTokenTTL is how long follow-ups and @original edits work.
	DefaultInteractionTokenTTL = 15 * time.Minute
	// DefaultNonceWindow is how long enforce_nonce deduplicates ("a few minutes" on Discord).
	DefaultNonceWindow = 5 * time.Minute

	discordEpochMS = 1420070400000
	apiPrefix      = "/api/v10"
)

// Options configures a Sim. The zero value is usable.
type Options struct {
	// Logger receives the simulator's own diagnostics. Nil discards them.
	Logger *slog.Logger
	// Now is the simulated clock. Snowflakes, message timestamps and the
	// interaction deadlines are all derived from it, so a test that passes a
	// Clock gets fully deterministic ids and can expire interactions without
	// sleeping. Nil means time.Now.
	Now func() time.Time

	GuildID   snowflake.ID // default DefaultGuildID
	GuildName string       // default "Sim Guild"

	BotUserID     snowflake.ID // default DefaultBotUserID
	ApplicationID snowflake.ID // default BotUserID, as for every modern Discord app
	BotName       string       // default "ashbot"

	// Token, when set, is the only token REST and Identify accept. When empty
	// any non-empty token is accepted (see Sim.Token for a well-formed one).
	Token string

	// HeartbeatInterval is announced in Hello. Default DefaultHeartbeatInterval.
	// Keep the default for disgo clients under the race detector: heartbeats
	// trip it on disgo's own code (see the package documentation).
	HeartbeatInterval time.Duration
	// InteractionDeadline is the time allowed for the initial callback and
	// InteractionTokenTTL the lifetime of an interaction token for
	// webhooks. Both run on the simulated clock and on the wall clock.
	InteractionDeadline time.Duration
	InteractionTokenTTL time.Duration
	// WallClock is the wall clock the interaction deadlines also run on.
	// Nil means time.Now; the stand-in's own tests replace it to expire
	// interactions without sleeping.
	WallClock func() time.Time
	// NonceWindow is the simulated window in which enforce_nonce deduplicates.
	NonceWindow time.Duration

	// DisallowedIntents makes Identify with any of these intents close with
	// 4014, like a privileged intent that is not enabled in the developer portal.
	DisallowedIntents gateway.Intents

	// MaxLog bounds the retained Events and Requests (oldest dropped first) so a
	// long `make demo` run does not grow without limit. Default 10000.
	MaxLog int

	// KeepGatewayOnClose makes Close leave established gateway connections
	// open; they end when the client closes them or the process exits. Tests
	// run with -race want this: disgo v0.19.6's gateway touches fields from
	// several goroutines without synchronisation whenever a connection ends
	// (see the package documentation), which the race detector reports.
	KeepGatewayOnClose bool
}

// Sim is a loopback stand-in for Discord's REST API and Gateway. All methods
// are safe for concurrent use.
type Sim struct {
	opts Options
	log  *slog.Logger
	now  func() time.Time

	mu      sync.Mutex
	changed chan struct{} // closed and replaced on every state change (see WaitFor)
	st      *state

	ln      net.Listener
	srv     *http.Server
	baseURL string // http://127.0.0.1:port
	closed  bool
	wg      sync.WaitGroup
}

// New creates a simulator with an empty guild (plus the bot and an owner
// member and the @everyone role). Call Start before handing URLs to clients.
func New(opts Options) *Sim {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.WallClock == nil {
		opts.WallClock = time.Now
	}
	if opts.GuildID == 0 {
		opts.GuildID = DefaultGuildID
	}
	if opts.GuildName == "" {
		opts.GuildName = "Sim Guild"
	}
	if opts.BotUserID == 0 {
		opts.BotUserID = DefaultBotUserID
	}
	if opts.BotUserID == DefaultOwnerID {
		// The owner is a separate simulated member; sharing the id would
		// silently merge the two users.
		panic("discordsim: Options.BotUserID must differ from DefaultOwnerID")
	}
	if opts.ApplicationID == 0 {
		opts.ApplicationID = opts.BotUserID
	}
	if opts.BotName == "" {
		opts.BotName = "ashbot"
	}
	if opts.HeartbeatInterval <= 0 {
		opts.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if opts.InteractionDeadline <= 0 {
		opts.InteractionDeadline = DefaultInteractionDeadline
	}
	if opts.InteractionTokenTTL <= 0 {
		opts.InteractionTokenTTL = DefaultInteractionTokenTTL
	}
	if opts.NonceWindow <= 0 {
		opts.NonceWindow = DefaultNonceWindow
	}
	if opts.MaxLog <= 0 {
		opts.MaxLog = 10000
	}
	s := &Sim{
		opts:    opts,
		log:     opts.Logger.With(slog.String("component", "discordsim")),
		now:     opts.Now,
		changed: make(chan struct{}),
	}
	s.st = newState(s)
	return s
}

// Start listens on 127.0.0.1:0 and serves REST (under /api/v10), the gateway
// websocket (/gateway) and uploaded attachments (/attachments/...).
func (s *Sim) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("discordsim: listen: %w", err)
	}
	s.mu.Lock()
	if s.srv != nil || s.closed {
		s.mu.Unlock()
		_ = ln.Close()
		return errors.New("discordsim: Start called twice or after Close")
	}
	s.ln = ln
	s.baseURL = "http://" + ln.Addr().String()
	s.srv = &http.Server{
		Handler:           s.routes(),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	srv := s.srv
	s.mu.Unlock()

	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("serve failed", slog.Any("err", err))
		}
	}()
	s.log.Debug("started", slog.String("url", s.baseURL))
	return nil
}

// Close stops the server and drops every gateway connection. It is safe to
// call more than once.
func (s *Sim) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv := s.srv
	var conns []*gwConn
	if !s.opts.KeepGatewayOnClose {
		conns = s.st.allConns()
	}
	s.notifyLocked()
	s.mu.Unlock()

	var err error
	if srv != nil {
		// Let in-flight REST calls get their responses: the sim may already
		// have recorded their effect, and a client seeing a cut connection for
		// a request that succeeded would be a lie. Hijacked gateway
		// connections are not tracked by Shutdown.
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = srv.Shutdown(ctx)
		cancel()
		if err != nil {
			err = errors.Join(err, srv.Close())
		}
	}
	for _, c := range conns {
		c.drop()
	}
	for _, c := range conns {
		<-c.writerDone
	}
	s.wg.Wait()
	if err != nil {
		return fmt.Errorf("discordsim: close: %w", err)
	}
	return nil
}

// URL is the REST base to give rest.WithURL, e.g. http://127.0.0.1:1234/api/v10.
func (s *Sim) URL() string { return s.base() + apiPrefix }

// GatewayURL is the websocket URL to give gateway.WithURL. GET /gateway
// returns the same value, so disgo finds it on its own as well.
func (s *Sim) GatewayURL() string { return "ws" + s.base()[len("http"):] + "/gateway" }

func (s *Sim) base() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.baseURL == "" {
		// Handing out URLs before Start is a programming error in the test;
		// an obviously dead address fails fast instead of hanging.
		return "http://127.0.0.1:0"
	}
	return s.baseURL
}

// Token returns a bot token disgo accepts: disgo derives the application id
// from the base64 first segment, so it has to encode Options.ApplicationID.
func (s *Sim) Token() string {
	if s.opts.Token != "" {
		return s.opts.Token
	}
	return base64.RawStdEncoding.EncodeToString([]byte(s.opts.ApplicationID.String())) + ".c2lt.ZGlzY29yZHNpbS10b2tlbg"
}

// ClientOpts returns the disgo bot options that point a client at this
// simulator: rest.WithURL(sim.URL()), a valid User-Agent (SimUserAgent) and
// gateway.WithURL(sim.GatewayURL()), with payload compression (compress:
// true in Identify; the simulator does not speak disgo's default
// zstd-stream transport compression).
// Pass extra gateway options (intents) with bot.WithGatewayConfigOpts as usual;
// later options are appended, so they combine.
func (s *Sim) ClientOpts() []bot.ConfigOpt {
	return []bot.ConfigOpt{
		bot.WithRestClientConfigOpts(rest.WithURL(s.URL()), rest.WithUserAgent(SimUserAgent)),
		bot.WithGatewayConfigOpts(gateway.WithURL(s.GatewayURL()), gateway.WithCompression(gateway.CompressionZlibPayload)),
	}
}

// GuildID returns the id of the simulated guild.
func (s *Sim) GuildID() snowflake.ID { return s.opts.GuildID }

// ApplicationID returns the simulated application id.
func (s *Sim) ApplicationID() snowflake.ID { return s.opts.ApplicationID }

// Bot returns the bot user.
func (s *Sim) Bot() User {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.users[s.opts.BotUserID].public()
}

// notifyLocked wakes every WaitFor. Callers hold s.mu.
func (s *Sim) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitForPoll is how often WaitFor re-checks even without a state change, so
// conditions that also look at state outside the simulator (the bot's own
// stores) still complete promptly.
const waitForPoll = 10 * time.Millisecond

// WaitFor blocks until cond returns true or ctx ends. cond is evaluated now,
// after every change to the simulator's state and every 10ms, never while the
// simulator's lock is held, so it may call any inspection method.
func (s *Sim) WaitFor(ctx context.Context, cond func() bool) error {
	tick := time.NewTicker(waitForPoll)
	defer tick.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		if cond() {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("discordsim: WaitFor: %w", ctx.Err())
		case <-ch:
		case <-tick.C:
		}
	}
}

// Clock is a manual clock for Options.Now. It only moves when told to, which
// makes snowflakes and timestamps reproducible and lets tests expire
// interactions instantly.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a Clock reading start.
func NewClock(start time.Time) *Clock { return &Clock{t: start} }

// Now returns the current simulated time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// SnowflakeTime returns the creation time encoded in a Discord snowflake.
func SnowflakeTime(id snowflake.ID) time.Time {
	return time.UnixMilli(int64(id>>22) + discordEpochMS).UTC()
}

// nextIDLocked returns a strictly increasing snowflake whose timestamp is
// the simulated now (or slightly later when many ids share a millisecond or
// the clock went backwards). Callers hold s.mu.
func (s *Sim) nextIDLocked() snowflake.ID {
	ms := s.now().UnixMilli() - discordEpochMS
	if ms < 0 {
		ms = 0
	}
	st := s.st
	if ms > st.lastMS {
		st.lastMS = ms
		st.inc = 0
	} else {
		st.inc++
		if st.inc >= 1<<12 {
			st.lastMS++
			st.inc = 0
		}
	}
	// worker 1, process 0: purely cosmetic but matches real snowflakes' layout.
	return snowflake.ID(uint64(st.lastMS)<<22 | 1<<17 | uint64(st.inc))
}

// nowLocked is the simulated time used for bookkeeping (expiry checks).
func (s *Sim) nowLocked() time.Time { return s.now() }
