package detection

import (
	"context"
	"errors"
	"log/slog"
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

	noticeMu sync.Mutex
	noticeQ  []string
	posting  bool
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
