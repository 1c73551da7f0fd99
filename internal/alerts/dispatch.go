package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Discord is the part of Discord's REST API the dispatcher uses; disgo's
// rest.Rest is one.
type Discord interface {
	rest.Channels
	CreateThreadFromMessage(channelID, messageID snowflake.ID, t discord.ThreadCreateFromMessage, opts ...rest.RequestOpt) (*discord.GuildThread, error)
}

// EventSink takes lifecycle events without waiting; *outbox.Outbox is one.
type EventSink interface {
	Add(events.Event)
}

// AutoInitScheduler arranges for Ash to reach out if nobody acknowledges
// the alert in time, or for others to be told (escalation). It decides
// itself which severities qualify.
type AutoInitScheduler interface {
	Schedule(ctx context.Context, alertID string, severity events.Severity, created time.Time) error
}

// Channels are the CRT channels per severity (BOT_ALERT_CHANNEL_*_IDS).
type Channels struct {
	Monitor  []snowflake.ID // low and medium
	Crisis   []snowflake.ID // high, and critical when Critical is empty
	Critical []snowflake.ID
}

// For returns the channels to try for an alert of severity sev, in order:
// the severity's own (critical falls back to crisis), then every other
// configured alert channel. The first one that takes the post gets the
// alert; the rest are fallbacks, so a deleted channel or a lost permission
// never drops an alert.
func (c Channels) For(sev events.Severity) []snowflake.ID {
	var primary []snowflake.ID
	switch sev {
	case events.Critical:
		primary = c.Critical
		if len(primary) == 0 {
			primary = c.Crisis
		}
	case events.High:
		primary = c.Crisis
	default:
		primary = c.Monitor
	}
	var out []snowflake.ID
	for _, list := range [][]snowflake.ID{primary, c.Crisis, c.Critical, c.Monitor} {
		for _, id := range list {
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Contains reports whether id is one of the alert channels.
func (c Channels) Contains(id snowflake.ID) bool {
	return slices.Contains(c.Monitor, id) || slices.Contains(c.Crisis, id) || slices.Contains(c.Critical, id)
}

// Empty reports whether no alert channel is configured at all.
func (c Channels) Empty() bool { return len(c.Monitor)+len(c.Crisis)+len(c.Critical) == 0 }

// DispatcherOptions configure a Dispatcher.
type DispatcherOptions struct {
	Discord  Discord
	Store    *Store
	Events   EventSink
	AutoInit AutoInitScheduler // optional
	// Escalation sets the alert's escalation timers (optional).
	Escalation AutoInitScheduler
	Channels   Channels
	CRTRoles   []snowflake.ID
	// RedisTimeout bounds each Redis call on the dispatch path (default
	// 500ms): past it the alert goes on without, and the write is retried
	// in the background.
	RedisTimeout time.Duration
	// PostAttempts is how often a post that failed in a way that may pass
	// (5xx, network, rate limit) is tried per channel (default 3), with
	// RetryDelay between tries (default 500ms, doubling).
	PostAttempts int
	RetryDelay   time.Duration
	// RetryFor bounds background retries of Redis writes (default 1h).
	RetryFor time.Duration
	After    func(time.Duration) <-chan time.Time // default time.After
	Logger   *slog.Logger
}

// Dispatcher posts alerts to the CRT.
type Dispatcher struct {
	opts   DispatcherOptions
	poster *discordapi.Poster
	log    *slog.Logger
	later  *retrier

	mu     sync.Mutex
	posted map[PostedKey]int64
}

// PostedKey groups posted alerts for /metrics.
type PostedKey struct {
	Source   string // SourceDetected or SourceFlagged
	Severity events.Severity
}

// NewDispatcher validates opts and returns a Dispatcher. Close it to stop
// its background retries.
func NewDispatcher(opts DispatcherOptions) (*Dispatcher, error) {
	if opts.Discord == nil || opts.Store == nil || opts.Events == nil {
		return nil, errors.New("alerts: dispatcher needs Discord, Store and Events")
	}
	if opts.Channels.Empty() {
		return nil, errors.New("alerts: no alert channel configured (BOT_ALERT_CHANNEL_MONITOR_IDS, _CRISIS_IDS, _CRITICAL_IDS)")
	}
	if opts.RedisTimeout <= 0 {
		opts.RedisTimeout = 500 * time.Millisecond
	}
	if opts.PostAttempts <= 0 {
		opts.PostAttempts = 3
	}
	if opts.RetryDelay <= 0 {
		opts.RetryDelay = 500 * time.Millisecond
	}
	if opts.RetryFor <= 0 {
		opts.RetryFor = time.Hour
	}
	if opts.After == nil {
		opts.After = time.After
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	log := opts.Logger.With("component", "alerts")
	return &Dispatcher{
		opts:   opts,
		poster: discordapi.NewPoster(opts.Discord),
		log:    log,
		later:  newRetrier(log, opts.RetryFor, opts.After),
		posted: map[PostedKey]int64{},
	}, nil
}

// PostedCount returns how many alerts of a source and severity this
// dispatcher posted.
func (d *Dispatcher) PostedCount(k PostedKey) int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.posted[k]
}

// Close stops background retries and waits for them. Writes still pending
// are lost: their data is on the alert message, from which clicks heal it.
func (d *Dispatcher) Close() { d.later.close() }

// Later retries fn in the background until it succeeds, Close, or the
// retry bound; the bot uses it for writes that must not hold up a reply.
func (d *Dispatcher) Later(what string, fn func(ctx context.Context) error) { d.later.run(what, fn) }

// Posted says where an alert went.
type Posted struct {
	ChannelID snowflake.ID
	MessageID snowflake.ID
	ThreadID  snowflake.ID // 0 if the thread could not be opened
	At        time.Time    // the alert message's time: the alert's creation
}

// Dispatch posts a to the CRT channel for its severity, opens a thread on
// it for CRT discussion, stores the alert loop state, records
// alert_created and schedules auto-initiate and escalation. Only the post itself can fail
// the dispatch: everything after it is best effort, logged and retried,
// because an alert that is out must never be reported as failed.
func (d *Dispatcher) Dispatch(ctx context.Context, a Alert) (Posted, error) {
	if _, err := events.ParseSeverity(string(a.Severity)); err != nil {
		return Posted{}, fmt.Errorf("dispatch alert %s: %w", a.ID, err)
	}
	msg, err := NewMessage(a, d.opts.CRTRoles)
	if err != nil {
		return Posted{}, fmt.Errorf("dispatch alert %s: %w", a.ID, err)
	}
	log := d.log.With("alert_id", a.ID, "severity", string(a.Severity))
	m, err := d.post(ctx, a, msg, log)
	if err != nil {
		log.Error("alert NOT posted to any CRT channel", "error", err.Error())
		return Posted{}, fmt.Errorf("dispatch alert %s: %w", a.ID, err)
	}
	p := Posted{ChannelID: m.ChannelID, MessageID: m.ID, At: m.ID.Time()}
	d.mu.Lock()
	d.posted[PostedKey{a.Source(), a.Severity}]++
	d.mu.Unlock()
	log = log.With("alert_channel_id", p.ChannelID.String(), "alert_message_id", p.MessageID.String())
	if missing := unpinged(msg, m); len(missing) > 0 {
		// Discord posts the alert but notifies nobody when a role is not
		// mentionable and the bot lacks Mention Everyone
		// (https://discord.com/developers/docs/resources/message#allowed-mentions-object).
		log.Error("alert posted but the CRT role was NOT pinged: make the role mentionable or give the bot the Mention Everyone permission",
			"role_ids", strings.Join(missing, ","))
	}

	// Queued before anything else, so that it precedes any event of a
	// click on the alert in this process's outbox.
	d.opts.Events.Add(events.Event{
		Type: events.AlertCreated, AlertID: a.ID, At: p.At, AlertMessageID: p.MessageID.String(),
		UserID: a.UserID, ChannelID: a.ChannelID, Severity: a.Severity, ChannelSensitivity: a.ChannelSensitivity,
		Source: a.Source(),
	})
	if t, err := d.thread(ctx, a, m); err != nil {
		log.Warn("alert posted but its CRT thread could not be opened; the bot needs Create Public Threads in the alert channel", "error", err.Error())
	} else {
		p.ThreadID = t
	}

	st := State{
		AlertID: a.ID, CreatedAt: p.At, Severity: a.Severity, UserID: a.UserID, ChannelID: a.ChannelID,
		SourceMessageID: a.MessageID, AlertChannelID: p.ChannelID.String(), AlertMessageID: p.MessageID.String(),
		Source: a.Source(),
	}
	if p.ThreadID != 0 {
		st.ThreadID = p.ThreadID.String()
	}
	// Once a write has timed out Redis is taken as down for the rest of
	// this dispatch: the others go straight to the background, so the
	// caller waits for one timeout at most, not one per write.
	redisDown := false
	write := func(what string, fn func(ctx context.Context) error) {
		if redisDown {
			d.later.run(what, fn)
			return
		}
		redisDown = !d.now(what, ctx, fn)
	}
	write("save alert state", func(ctx context.Context) error { return d.opts.Store.SaveCreated(ctx, st) })
	if d.opts.AutoInit != nil {
		write("schedule auto-initiate", func(ctx context.Context) error {
			return d.opts.AutoInit.Schedule(ctx, a.ID, a.Severity, p.At)
		})
	}
	if d.opts.Escalation != nil {
		write("schedule escalation", func(ctx context.Context) error {
			return d.opts.Escalation.Schedule(ctx, a.ID, a.Severity, p.At)
		})
	}
	log.Info("alert posted", "thread_id", p.ThreadID.String(), "channel_id", a.ChannelID)
	return p, nil
}

// now tries a Redis write once within the short timeout and hands it to
// the background retrier when that fails; it reports whether the write
// was done.
func (d *Dispatcher) now(what string, ctx context.Context, fn func(ctx context.Context) error) bool {
	tctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), d.opts.RedisTimeout)
	err := fn(tctx)
	cancel()
	if err == nil {
		return true
	}
	d.log.Warn("alerts: redis write failed; retrying in the background", "what", what, "error", err.Error())
	d.later.run(what, fn)
	return false
}

func (d *Dispatcher) post(ctx context.Context, a Alert, msg discord.MessageCreate, log *slog.Logger) (*discord.Message, error) {
	var errs []error
	for _, ch := range d.opts.Channels.For(a.Severity) {
		// The nonce makes a retry after a lost reply return the message
		// already posted instead of alerting twice.
		nonce := discordapi.Nonce("alert", a.ID, ch.String())
		delay := d.opts.RetryDelay
		for attempt := 1; ; attempt++ {
			m, err := d.poster.Post(ctx, ch.String(), msg, nonce)
			if err == nil {
				if len(errs) > 0 {
					log.Warn("alert posted to a fallback channel", "channel_id", ch.String(), "earlier_failures", errors.Join(errs...).Error())
				}
				return m, nil
			}
			errs = append(errs, err)
			if !discordapi.IsRetryable(err) || attempt >= d.opts.PostAttempts || ctx.Err() != nil {
				break
			}
			log.Warn("alert post failed; retrying", "channel_id", ch.String(), "attempt", attempt, "error", err.Error())
			select {
			case <-ctx.Done():
			case <-d.opts.After(delay):
			}
			delay *= 2
		}
	}
	return nil, errors.Join(errs...)
}

// unpinged lists the roles msg meant to ping that the posted message m does
// not mention.
func unpinged(msg discord.MessageCreate, m *discord.Message) []string {
	if msg.AllowedMentions == nil {
		return nil
	}
	var out []string
	for _, r := range msg.AllowedMentions.Roles {
		if !slices.Contains(m.MentionRoles, r) {
			out = append(out, r.String())
		}
	}
	return out
}

func (d *Dispatcher) thread(ctx context.Context, a Alert, m *discord.Message) (snowflake.ID, error) {
	name := fmt.Sprintf("%s %s alert %s", SeverityEmoji(a.Severity), a.Severity, a.ID)
	if len([]rune(name)) > 100 {
		name = string([]rune(name)[:100])
	}
	var err error
	for attempt := 1; attempt <= 2; attempt++ {
		var t *discord.GuildThread
		t, err = d.opts.Discord.CreateThreadFromMessage(m.ChannelID, m.ID, discord.ThreadCreateFromMessage{
			Name: name, AutoArchiveDuration: discord.AutoArchiveDuration24h,
		}, rest.WithCtx(ctx))
		if err == nil {
			return t.ID(), nil
		}
		// A refusal (a missing Create Public Threads permission, 403/50013)
		// will not pass by trying again; only other failures are retried.
		if re := (*rest.Error)(nil); errors.As(err, &re) && re.Response != nil && re.Response.StatusCode < 500 {
			break
		}
	}
	return 0, fmt.Errorf("open thread: %w", err)
}

// retrier retries writes in the background with backoff, for a bounded time.
type retrier struct {
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	log    *slog.Logger
	maxAge time.Duration
	after  func(time.Duration) <-chan time.Time
}

func newRetrier(log *slog.Logger, maxAge time.Duration, after func(time.Duration) <-chan time.Time) *retrier {
	ctx, cancel := context.WithCancel(context.Background())
	return &retrier{ctx: ctx, cancel: cancel, log: log, maxAge: maxAge, after: after}
}

// attemptTimeout bounds one background attempt; nothing waits on it.
const attemptTimeout = 5 * time.Second

func (r *retrier) run(what string, fn func(ctx context.Context) error) {
	if r.ctx.Err() != nil {
		r.log.Error("alerts: write dropped during shutdown", "what", what)
		return
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		start := time.Now()
		delay := 250 * time.Millisecond
		for attempt := 1; ; attempt++ {
			select {
			case <-r.ctx.Done():
				r.log.Error("alerts: write abandoned at shutdown", "what", what, "attempts", attempt-1)
				return
			case <-r.after(delay):
			}
			ctx, cancel := context.WithTimeout(r.ctx, attemptTimeout)
			err := fn(ctx)
			cancel()
			if err == nil {
				r.log.Info("alerts: delayed write done", "what", what, "attempts", attempt)
				return
			}
			if time.Since(start) > r.maxAge {
				r.log.Error("alerts: write given up", "what", what, "attempts", attempt, "error", err.Error())
				return
			}
			delay = min(delay*2, 30*time.Second)
		}
	}()
}

func (r *retrier) close() {
	r.cancel()
	r.wg.Wait()
}
