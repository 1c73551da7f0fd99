package detection

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Classifier classifies one message; the Ash-NLP client is one. Any error
// means the message was not classified, never that it is safe.
type Classifier interface {
	Analyze(ctx context.Context, r ashnlp.Request) (ashnlp.Result, error)
}

// healthChecker is the optional part of a Classifier that tells, without a
// message, whether it can serve; while detection is down and no message
// waits, it is what finds out that the service is back.
type healthChecker interface {
	Health(ctx context.Context) error
}

// Dispatcher posts alerts; *alerts.Dispatcher is one.
type Dispatcher interface {
	Dispatch(ctx context.Context, a alerts.Alert) (alerts.Posted, error)
}

// Claims makes sure one message is acted on once across replicas and
// sources (a member's flag claims the same id); *alerts.Store is one.
type Claims interface {
	ClaimFlag(ctx context.Context, alertID string) (bool, error)
	ReleaseFlag(ctx context.Context, alertID string) error
}

// Poster posts notes and notices; *discordapi.Poster is one.
type Poster interface {
	Post(ctx context.Context, channelID string, msg discord.MessageCreate, nonce string) (*discord.Message, error)
}

// Options configure an Intake.
type Options struct {
	Classifier Classifier
	Dispatcher Dispatcher
	Claims     Claims
	Poster     Poster
	History    *History   // nil: no history kept or sent
	Cooldowns  *Cooldowns // nil: every qualifying message alerts

	GuildID   string         // messages of other guilds are ignored ("" = any)
	Monitored []snowflake.ID // BOT_MONITORED_CHANNELS
	// Sensitivity rescales scores per channel.
	Sensitivity Sensitivity
	// MinSeverity is the lowest severity that alerts (BOT_ALERT_MIN_SEVERITY).
	MinSeverity events.Severity
	// AlertingDisabled keeps classification and history but raises no
	// alert (BOT_ALERTING_ENABLED=false).
	AlertingDisabled bool
	// StatusChannel gets the "detection is down / back" notices.
	StatusChannel string
	// Workers bounds concurrent classifications (BOT_NLP_MAX_CONCURRENCY).
	Workers int
	// QueueSize bounds the messages waiting for a worker (default 10000);
	// past it messages go to the backlog and the CRT is told.
	QueueSize int
	// BacklogFor is how long a message that could not be classified is
	// kept for a later try (BOT_NLP_BACKLOG_MINUTES); BacklogMax bounds how
	// many are kept (default 10000).
	BacklogFor time.Duration
	BacklogMax int
	// ProbeInterval is how often a down classifier is tried again
	// (default 10s).
	ProbeInterval time.Duration
	// RedisTimeout bounds each Redis call (default 500ms): past it the
	// message goes on without (fail open).
	RedisTimeout time.Duration
	Clock        schedule.Clock
	Logger       *slog.Logger
}

// item is one message on its way through the intake.
type item struct {
	seq       uint64
	msg       Message
	received  time.Time
	backlogAt time.Time // zero unless it waited in the backlog
}

// Message is what detection needs of a Discord message.
type Message struct {
	GuildID, ChannelID, ParentID, MessageID, AuthorID string
	Content                                           string
	At                                                time.Time // when it was posted
	Edit                                              bool
}

type state int

const (
	up       state = iota
	down           // the classifier fails: probed every ProbeInterval
	overflow       // the queue was full: the backlog drains, then up
)

// Intake takes messages from the gateway without ever blocking it and
// classifies them with a bounded number of workers.
type Intake struct {
	opts      Options
	log       *slog.Logger
	monitored map[snowflake.ID]bool
	queue     *personQueue
	wake      chan struct{}
	stats     *stats
	// edits remembers a hash of the text of recent messages so that an
	// update that did not change the text (an embed unfurled) is not
	// classified again.
	edits *textMemory

	mu       sync.Mutex
	seq      uint64
	state    state
	reason   string
	since    time.Time
	draining bool
	backlog  []item
	outage   outage
	stopped  bool
	notices  sync.WaitGroup
}

// outage counts what happened to messages while detection was down.
type outage struct {
	held    int // put in the backlog
	dropped int // fell out of it (too old, too many) and were never classified
}

// New validates opts and returns an Intake. Run starts its workers.
func New(opts Options) (*Intake, error) {
	if opts.Classifier == nil || opts.Dispatcher == nil || opts.Claims == nil || opts.Poster == nil || opts.Clock == nil {
		return nil, errors.New("detection: Classifier, Dispatcher, Claims, Poster and Clock are required")
	}
	if len(opts.Monitored) == 0 {
		return nil, errors.New("detection: no monitored channel (BOT_MONITORED_CHANNELS)")
	}
	if _, err := events.ParseSeverity(string(opts.MinSeverity)); err != nil {
		return nil, errors.New("detection: minimum alert severity: " + err.Error())
	}
	if err := opts.Sensitivity.Validate(); err != nil {
		return nil, err
	}
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.QueueSize <= 0 {
		opts.QueueSize = 10000
	}
	if opts.BacklogMax <= 0 {
		opts.BacklogMax = 10000
	}
	if opts.ProbeInterval <= 0 {
		opts.ProbeInterval = 10 * time.Second
	}
	if opts.RedisTimeout <= 0 {
		opts.RedisTimeout = 500 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	in := &Intake{
		opts: opts, log: opts.Logger.With("component", "detection"), monitored: map[snowflake.ID]bool{},
		wake: make(chan struct{}, 1), stats: newStats(), edits: newTextMemory(20000),
	}
	for _, id := range opts.Monitored {
		in.monitored[id] = true
	}
	in.queue = newPersonQueue(opts.QueueSize)
	return in, nil
}

// Monitored reports whether a message in channel (a thread or forum post
// of parent, 0 for none) is classified.
func (in *Intake) Monitored(channel, parent snowflake.ID) bool {
	return in.monitored[channel] || (parent != 0 && in.monitored[parent])
}

// OnMessage takes a MESSAGE_CREATE (edit false) or MESSAGE_UPDATE (edit
// true) from the gateway; parent is the channel's parent when it is a
// thread or forum post (0 otherwise, or unknown). It never blocks.
func (in *Intake) OnMessage(m discord.Message, parent snowflake.ID, edit bool) {
	reason := in.skip(m, parent, edit)
	if reason == skipNotMonitored {
		return // not counted: most of a server's messages are not monitored
	}
	in.stats.seen.Add(1)
	if reason != "" {
		in.stats.skip(reason)
		return
	}
	msg := Message{
		GuildID: m.GuildID.String(), ChannelID: m.ChannelID.String(), MessageID: m.ID.String(),
		AuthorID: m.Author.ID.String(), Content: m.Content, At: m.ID.Time(), Edit: edit,
	}
	if parent != 0 {
		msg.ParentID = parent.String()
	}
	in.Submit(msg)
}

// Skip reasons, as /metrics shows them.
const (
	skipNotMonitored = "not_monitored"
	skipDM           = "dm"
	skipOtherGuild   = "other_guild"
	skipBot          = "bot"
	skipWebhook      = "webhook"
	skipSystem       = "system"
	skipNoText       = "no_text"
	skipUnchanged    = "unchanged_edit"
	skipRejected     = "rejected_by_classifier"
	skipStopped      = "shutting_down"
)

// SkipReasons lists every skip reason, for /metrics.
func SkipReasons() []string {
	return []string{skipDM, skipOtherGuild, skipBot, skipWebhook, skipSystem, skipNoText, skipUnchanged, skipRejected, skipStopped}
}

func (in *Intake) skip(m discord.Message, parent snowflake.ID, edit bool) string {
	if m.GuildID == nil {
		return skipDM // DMs belong to Ash
	}
	if !in.Monitored(m.ChannelID, parent) {
		return skipNotMonitored
	}
	switch {
	case in.opts.GuildID != "" && m.GuildID.String() != in.opts.GuildID:
		return skipOtherGuild
	case m.WebhookID != nil:
		return skipWebhook
	case m.Author.Bot:
		return skipBot // ashbot itself included
	case m.Author.System || (m.Type != discord.MessageTypeDefault && m.Type != discord.MessageTypeReply):
		return skipSystem
	case strings.TrimSpace(m.Content) == "":
		// Attachments or stickers only: /analyze takes text only.
		return skipNoText
	}
	if !in.edits.remember(m.ID, m.Content) && edit {
		return skipUnchanged
	}
	return ""
}

// Submit queues a message for classification. It never blocks: when the
// person's queue is full, the message goes to the backlog and the CRT is
// told that detection is behind.
func (in *Intake) Submit(m Message) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.stopped {
		in.stats.skip(skipStopped)
		return
	}
	in.seq++
	it := item{seq: in.seq, msg: m, received: in.opts.Clock.Now()}
	// Behind a backlog, new messages wait their turn so that a person's
	// messages are classified in order.
	if in.state != up || in.draining || len(in.backlog) > 0 {
		in.holdLocked(it)
		return
	}
	if ok, closed := in.queue.push(it); closed {
		in.stats.skip(skipStopped)
	} else if !ok {
		in.stats.overflow.Add(1)
		in.goDownLocked(overflow, "the queue is full: messages arrive faster than Ash-NLP classifies them")
		in.holdLocked(it)
	}
}

// holdLocked puts a message in the backlog, dropping the oldest when full.
func (in *Intake) holdLocked(it item) {
	if in.opts.BacklogFor <= 0 {
		in.outage.dropped++
		in.stats.dropped.Add(1)
		return
	}
	if it.backlogAt.IsZero() {
		it.backlogAt = in.opts.Clock.Now()
		in.outage.held++
	}
	if len(in.backlog) >= in.opts.BacklogMax {
		in.backlog = slices.Delete(in.backlog, 0, 1)
		in.outage.dropped++
		in.stats.dropped.Add(1)
	}
	in.backlog = append(in.backlog, it)
	in.signal()
}

func (in *Intake) signal() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// expireLocked drops backlog messages older than BacklogFor.
func (in *Intake) expireLocked(now time.Time) {
	n := 0
	for n < len(in.backlog) && now.Sub(in.backlog[n].received) > in.opts.BacklogFor {
		n++
	}
	if n > 0 {
		in.backlog = slices.Delete(in.backlog, 0, n)
		in.outage.dropped += n
		in.stats.dropped.Add(int64(n))
	}
}

// goDownLocked marks detection down and sends the CRT's notice, once per
// outage.
func (in *Intake) goDownLocked(s state, reason string) {
	if in.state == down || in.state == s {
		return
	}
	wasUp := in.state == up
	in.state, in.reason = s, reason
	if wasUp {
		in.since = in.opts.Clock.Now()
		in.outage = outage{}
		in.notice(downNotice(reason, in.opts.BacklogFor))
	}
	in.signal()
}

// backUpLocked marks detection up and tells the CRT what the outage cost.
func (in *Intake) backUpLocked() {
	if in.state == up {
		return
	}
	in.state = up
	took := in.opts.Clock.Now().Sub(in.since)
	in.notice(upNotice(took, in.outage, len(in.backlog)))
	in.signal()
}

// Run runs the workers and the backlog until ctx ends, then waits for the
// messages being classified and the notices being posted.
func (in *Intake) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range in.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				it, ok := in.queue.pop()
				if !ok {
					return
				}
				in.process(ctx, it)
				in.queue.done(it.msg.AuthorID)
			}
		}()
	}
	stop := context.AfterFunc(ctx, in.queue.close)
	defer stop()
	in.runBacklog(ctx)
	wg.Wait()
	in.mu.Lock()
	in.stopped = true
	left := len(in.backlog) + in.queue.depth()
	in.mu.Unlock()
	if left > 0 {
		in.log.Warn("detection stopped with messages not classified", "messages", left)
	}
	done := make(chan struct{})
	go func() { in.notices.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(noticeGrace):
		in.log.Warn("detection stopped before its status notice was posted")
	}
}

// noticeGrace is how long Run waits at shutdown for a notice being posted.
const noticeGrace = 5 * time.Second

// runBacklog probes a down classifier and drains the backlog.
func (in *Intake) runBacklog(ctx context.Context) {
	for {
		in.mu.Lock()
		in.expireLocked(in.opts.Clock.Now())
		st, n := in.state, len(in.backlog)
		in.mu.Unlock()
		switch {
		case st == down:
			select {
			case <-ctx.Done():
				return
			case <-in.opts.Clock.After(in.opts.ProbeInterval):
			}
			in.probe(ctx)
		case n > 0:
			in.drain(ctx)
		default:
			select {
			case <-ctx.Done():
				return
			case <-in.wake:
			}
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// probe tries the oldest waiting message (or the classifier's health when
// none waits); success means detection is back.
func (in *Intake) probe(ctx context.Context) {
	in.mu.Lock()
	if len(in.backlog) == 0 {
		in.mu.Unlock()
		hc, ok := in.opts.Classifier.(healthChecker)
		if !ok || hc.Health(ctx) != nil {
			return
		}
		in.mu.Lock()
		in.backUpLocked()
		in.mu.Unlock()
		return
	}
	it := in.backlog[0]
	in.mu.Unlock()

	res, err := in.classify(ctx, it)
	in.mu.Lock()
	if len(in.backlog) > 0 && in.backlog[0].seq == it.seq {
		in.backlog = in.backlog[1:]
	}
	if err != nil {
		if rejected(err) {
			in.mu.Unlock()
			in.rejected(it, err)
			return
		}
		in.stats.errorKind(errorKind(err))
		in.backlog = append([]item{it}, in.backlog...)
		in.reason = reasonOf(err)
		in.mu.Unlock()
		return
	}
	in.backUpLocked()
	in.mu.Unlock()
	in.handle(ctx, it, res)
}

// drain moves the backlog into the queues, oldest first, while detection
// works; new messages join the backlog meanwhile, so order holds.
func (in *Intake) drain(ctx context.Context) {
	for {
		in.mu.Lock()
		in.expireLocked(in.opts.Clock.Now())
		if in.state == down {
			in.draining = false
			in.mu.Unlock()
			return
		}
		if len(in.backlog) == 0 {
			in.draining = false
			in.backUpLocked() // after an overflow
			in.mu.Unlock()
			return
		}
		in.draining = true
		it := in.backlog[0]
		in.backlog = in.backlog[1:]
		in.mu.Unlock()
		if !in.queue.pushWait(ctx, it) {
			return
		}
	}
}

// failed keeps a message that could not be classified and marks detection
// down; a request the service rejects (4xx) cannot succeed later and is
// counted and logged instead.
func (in *Intake) failed(it item, err error) {
	if rejected(err) {
		in.rejected(it, err)
		return
	}
	in.stats.errorKind(errorKind(err))
	in.mu.Lock()
	defer in.mu.Unlock()
	in.goDownLocked(down, reasonOf(err))
	if in.state == down {
		in.reason = reasonOf(err)
	}
	in.holdLocked(it)
}

func (in *Intake) rejected(it item, err error) {
	in.stats.errorKind("rejected")
	in.stats.skip(skipRejected)
	in.log.Error("Ash-NLP rejected a message: not classified (a bug: please report)",
		"message_id", it.msg.MessageID, "channel_id", it.msg.ChannelID, "error", err.Error())
}

// rejected reports a 4xx answer: the same request cannot succeed later.
func rejected(err error) bool {
	var se *ashnlp.StatusError
	return errors.As(err, &se) && se.Code >= 400 && se.Code < 500
}

func errorKind(err error) string {
	var se *ashnlp.StatusError
	switch {
	case errors.Is(err, ashnlp.ErrBreakerOpen):
		return "breaker_open"
	case errors.As(err, &se) && se.Code >= 500:
		return "server_error"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	}
	return "other"
}

// ErrorKinds lists every error kind, for /metrics.
func ErrorKinds() []string {
	return []string{"breaker_open", "server_error", "timeout", "rejected", "other"}
}

func reasonOf(err error) string {
	switch errorKind(err) {
	case "breaker_open":
		return "Ash-NLP kept failing, so it is not being called for a while (circuit breaker open)"
	case "server_error":
		return "Ash-NLP answers with server errors"
	case "timeout":
		return "Ash-NLP does not answer in time"
	}
	return "Ash-NLP cannot be reached"
}
