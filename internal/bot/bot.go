// Package bot is ashbot's Discord front: it turns gateway events
// (interactions, thread messages, DMs) into the work of packages alerts and
// ash, and answers people. It owns the commands ("Flag for CRT", /ash), who
// may use what (CRT and admin roles), and the alert loop's glue: buttons,
// auto-initiate, first response, resolution.
//
// Every event is handled on its own goroutine so the gateway never waits,
// and every interaction is answered (or deferred) within Discord's three
// seconds: Redis calls on those paths have a short timeout.
package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
)

// Reports builds and posts the weekly report, and builds the report of
// any period; *weekly.Trigger is one.
type Reports interface {
	Build(ctx context.Context, end time.Time) (report.Report, error)
	BuildPeriod(ctx context.Context, span report.Span) (report.Report, error)
	Post(ctx context.Context, end time.Time, channels []string) error
}

// Options configure a Bot.
type Options struct {
	Rest rest.Rest
	// GuildID is where the commands are registered (BOT_DISCORD_GUILD_ID);
	// 0 registers them globally, still usable in servers only.
	GuildID    snowflake.ID
	CRTRoles   []snowflake.ID // BOT_CRT_ROLE_IDS
	AdminRoles []snowflake.ID // BOT_ADMIN_ROLE_IDS
	// AlertChannels are the CRT channels, to recognise alert threads.
	AlertChannels alerts.Channels

	Alerts     *alerts.Store
	Dispatcher *alerts.Dispatcher
	Team       *Team
	Ash        *ash.Manager
	AutoInit   *ash.AutoInit
	// Escalation cancels an alert's escalation timers when someone
	// acknowledges or resolves it (nil: escalation off).
	Escalation Canceller
	Events     alerts.EventSink
	// Detection takes the messages of the monitored channels (nil: off).
	Detection Detection
	// Followups starts the chat a reply to a check-in asks for (nil:
	// check-ins are off).
	Followups Followups

	Metrics        *metrics.Store
	Reports        Reports // nil: /ash report says the report is unavailable
	ReportChannels []string
	Cleaner        *retention.Cleaner
	Storage        *storagestats.Collector
	// Status answers /ash status (nil: unavailable); Config is what
	// /ash config shows (nil: unavailable).
	Status StatusSource
	Config *config.Config
	// AlertRetention is how long alert records live (config
	// Metrics.AlertTTL): /ash history shows the alerts within it.
	AlertRetention time.Duration

	Clock  schedule.Clock
	Logger *slog.Logger

	// RedisTimeout bounds Redis calls while someone waits for an answer
	// (default 500ms).
	RedisTimeout time.Duration
	// FlagLimit flags per member per FlagWindow (default 5 per 10 minutes).
	FlagLimit  int64
	FlagWindow time.Duration
	// CommandPermissions hides /ash from members without them (default
	// Manage Messages); server admins can grant it to the CRT role.
	CommandPermissions discord.Permissions
}

// Canceller removes an alert's timers; *escalation.Escalator is one.
type Canceller interface {
	Cancel(ctx context.Context, alertID string) error
}

// Detection classifies monitored messages; *detection.Intake is one.
type Detection interface {
	Monitored(channel, parent snowflake.ID) bool
	// OnMessage never blocks.
	OnMessage(m discord.Message, parent snowflake.ID, edit bool)
}

// Followups answers follow-up check-ins; *followup.Checkins is one.
type Followups interface {
	Answer(ctx context.Context, l followup.Linker, userID string, channelID, messageID snowflake.ID) (bool, error)
}

// Bot handles Discord events for the CRT.
type Bot struct {
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	stopped bool
	wg      sync.WaitGroup
	// queues holds the pending messages of each channel that has a drain
	// goroutine; see spawnOrdered.
	queues map[snowflake.ID][]func(context.Context)
	flags  *flagTargets
}

// New validates opts and returns a Bot.
func New(opts Options) (*Bot, error) {
	if opts.Rest == nil || opts.Alerts == nil || opts.Dispatcher == nil || opts.Team == nil || opts.Ash == nil ||
		opts.AutoInit == nil || opts.Events == nil || opts.Clock == nil {
		return nil, errors.New("bot: Rest, Alerts, Dispatcher, Team, Ash, AutoInit, Events and Clock are required")
	}
	if len(opts.CRTRoles) == 0 {
		return nil, errors.New("bot: no CRT role configured (BOT_CRT_ROLE_IDS): nobody could answer alerts")
	}
	if opts.RedisTimeout <= 0 {
		opts.RedisTimeout = 500 * time.Millisecond
	}
	if opts.FlagLimit <= 0 {
		opts.FlagLimit = 5
	}
	if opts.FlagWindow <= 0 {
		opts.FlagWindow = 10 * time.Minute
	}
	if opts.CommandPermissions == 0 {
		opts.CommandPermissions = discord.PermissionManageMessages
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Bot{opts: opts, log: opts.Logger.With("component", "bot"), queues: map[snowflake.ID][]func(context.Context){},
		flags: newFlagTargets(opts.Clock.Now)}, nil
}

// handlerTimeout bounds the work of one event. Interaction tokens allow
// follow-ups for 15 minutes; nothing else should take a fraction of that.
const handlerTimeout = 10 * time.Minute

// OnEvent implements bot.EventListener. It returns at once: each event is
// handled on its own goroutine, tracked so Stop can wait for it.
func (b *Bot) OnEvent(e bot.Event) {
	switch ev := e.(type) {
	case *events.InteractionCreate:
		b.spawn(func(ctx context.Context) { b.onInteraction(ctx, ev.Interaction) })
	case *events.GuildMessageCreate:
		b.detect(ev.GenericGuildMessage, false)
		// Messages of one channel are handled in order: the first reply in
		// a thread must be recorded as the first response, and a chat's
		// messages answered in the order they were written.
		b.spawnOrdered(ev.ChannelID, func(ctx context.Context) { b.onGuildMessage(ctx, ev) })
	case *events.GuildMessageUpdate:
		b.detect(ev.GenericGuildMessage, true)
	case *events.DMMessageCreate:
		b.spawnOrdered(ev.ChannelID, func(ctx context.Context) { b.onDM(ctx, ev.Message) })
	}
}

// spawn handles one event on its own goroutine.
func (b *Bot) spawn(f func(ctx context.Context)) {
	if !b.track() {
		return
	}
	go func() {
		defer b.wg.Done()
		b.handle(f)
	}()
}

// spawnOrdered queues f behind the earlier events of key and starts a
// goroutine draining the queue if none runs: events of one key run one
// after the other, different keys in parallel.
func (b *Bot) spawnOrdered(key snowflake.ID, f func(ctx context.Context)) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return
	}
	b.wg.Add(1)
	q, draining := b.queues[key]
	b.queues[key] = append(q, f)
	if !draining {
		go b.drain(key)
	}
}

func (b *Bot) drain(key snowflake.ID) {
	for {
		b.mu.Lock()
		q := b.queues[key]
		if len(q) == 0 {
			delete(b.queues, key)
			b.mu.Unlock()
			return
		}
		f := q[0]
		b.queues[key] = q[1:]
		b.mu.Unlock()
		b.handle(f)
		b.wg.Done()
	}
}

// track counts an event in, unless the bot has stopped.
func (b *Bot) track() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return false
	}
	b.wg.Add(1)
	return true
}

func (b *Bot) handle(f func(ctx context.Context)) {
	defer b.recoverPanic()
	ctx, cancel := context.WithTimeout(context.Background(), handlerTimeout)
	defer cancel()
	f(ctx)
}

// recoverPanic, deferred, logs a panic of the goroutine instead of letting
// it take the bot down.
func (b *Bot) recoverPanic() {
	if v := recover(); v != nil {
		b.log.Error("event handler panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	}
}

// Stop makes the bot ignore new events and waits, until ctx ends, for the
// ones being handled.
func (b *Bot) Stop(ctx context.Context) error {
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	done := make(chan struct{})
	go func() { b.wg.Wait(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("bot: event handlers still running at shutdown: %w", ctx.Err())
	}
}

// RegisterCommands installs the bot's commands for application appID,
// replacing older ones: the CRT's in the guild (globally without one),
// and the members' /ash-me globally, so that it works in DMs too.
func (b *Bot) RegisterCommands(ctx context.Context, appID snowflake.ID) error {
	cmds := Commands(b.opts.CommandPermissions)
	if b.opts.GuildID == 0 {
		if _, err := b.opts.Rest.SetGlobalCommands(appID, append(cmds, MemberCommands()...), rest.WithCtx(ctx)); err != nil {
			return fmt.Errorf("register commands: %w", err)
		}
		return nil
	}
	var errs []error
	if _, err := b.opts.Rest.SetGuildCommands(appID, b.opts.GuildID, cmds, rest.WithCtx(ctx)); err != nil {
		errs = append(errs, fmt.Errorf("register the guild's commands: %w", err))
	}
	if _, err := b.opts.Rest.SetGlobalCommands(appID, MemberCommands(), rest.WithCtx(ctx)); err != nil {
		errs = append(errs, fmt.Errorf("register /%s: %w", MeCommand, err))
	}
	return errors.Join(errs...)
}

func (b *Bot) onInteraction(ctx context.Context, in discord.Interaction) {
	switch i := in.(type) {
	case discord.ApplicationCommandInteraction:
		switch d := i.Data.(type) {
		case discord.MessageCommandInteractionData:
			if d.CommandName() == FlagCommand {
				b.onFlag(ctx, i, d)
			}
		case discord.SlashCommandInteractionData:
			switch d.CommandName() {
			case AshCommand:
				b.onAshCommand(ctx, i, d)
			case MeCommand:
				b.onMeCommand(ctx, i, d)
			}
		}
	case discord.ComponentInteraction:
		id := i.Data.CustomID()
		if btn, ok := alerts.ParseButtonID(id); ok {
			b.onAlertButton(ctx, i, btn)
			return
		}
		if ch, msg, ok := alerts.ParseFlagSelectID(id); ok {
			b.onFlagSelect(ctx, i, ch, msg)
			return
		}
		if btn, ok := ash.ParseButtonID(id); ok {
			b.onAshButton(ctx, i, btn)
			return
		}
		if earlierBotButton(id) {
			b.private(ctx, i, earlierBotButtonText)
			b.log.Info("button of the earlier Ash-Bot pressed", "message_id", i.Message.ID.String())
			return
		}
		// An unknown custom id may still carry ids of people (an alert
		// button of another version): log its shape only.
		b.log.Warn("unknown component", "custom_id", digits.ReplaceAllString(id, "#"))
	}
}

// digits are the ids inside a custom id.
var digits = regexp.MustCompile(`[0-9]+`)

// earlierBotButtonText answers a press on an alert the earlier Ash-Bot
// posted: its handlers are gone, and without an answer Discord shows
// "This interaction failed" to a CRT member in the middle of a crisis.
const earlierBotButtonText = "This alert was posted by the earlier Ash-Bot, whose buttons no longer work. " +
	"Reply in this alert's channel or reach the person directly; " +
	"alerts posted from now on have working buttons."

// earlierBotButton reports whether id is one of the earlier Ash-Bot's
// custom ids: ash_ack:{user}:{message}, ash_talk:{user}:{message} and
// persistent:ash_* (shared/spec/earlier-bot.md).
func earlierBotButton(id string) bool {
	return strings.HasPrefix(id, "ash_ack:") || strings.HasPrefix(id, "ash_talk:") || strings.HasPrefix(id, "persistent:ash_")
}

// hasRole reports whether the interaction's member holds one of roles.
func hasRole(m *discord.ResolvedMember, roles []snowflake.ID) bool {
	if m == nil {
		return false
	}
	for _, r := range m.RoleIDs {
		if slices.Contains(roles, r) {
			return true
		}
	}
	return false
}

func (b *Bot) isCRT(m *discord.ResolvedMember) bool { return hasRole(m, b.opts.CRTRoles) }

func (b *Bot) isAdmin(m *discord.ResolvedMember) bool { return hasRole(m, b.opts.AdminRoles) }

// quick returns a context for a Redis call someone is waiting on.
func (b *Bot) quick(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, b.opts.RedisTimeout)
}

func (b *Bot) respond(ctx context.Context, i discord.Interaction, typ discord.InteractionResponseType, data discord.InteractionResponseData) error {
	err := b.opts.Rest.CreateInteractionResponse(i.ID(), i.Token(), discord.InteractionResponse{Type: typ, Data: data}, rest.WithCtx(ctx))
	if err != nil {
		return fmt.Errorf("answer interaction %s: %w", i.ID(), err)
	}
	return nil
}

// private answers only the person who interacted.
func (b *Bot) private(ctx context.Context, i discord.Interaction, text string) {
	err := b.respond(ctx, i, discord.InteractionResponseTypeCreateMessage, discord.MessageCreate{
		Content: text, Flags: discord.MessageFlagEphemeral, AllowedMentions: discordapi.NoMentions(),
	})
	if err != nil {
		b.log.Warn("private answer failed", "interaction_id", i.ID().String(), "error", err.Error())
	}
}

// deferPrivate shows "thinking…" to the person only, for answers that may
// take longer than Discord's three seconds.
func (b *Bot) deferPrivate(ctx context.Context, i discord.Interaction) error {
	return b.respond(ctx, i, discord.InteractionResponseTypeDeferredCreateMessage, discord.MessageCreate{Flags: discord.MessageFlagEphemeral})
}

// finish replaces a deferred answer.
func (b *Bot) finish(ctx context.Context, i discord.Interaction, u discord.MessageUpdate) {
	if u.AllowedMentions == nil {
		u.AllowedMentions = discordapi.NoMentions()
	}
	if _, err := b.opts.Rest.UpdateInteractionResponse(i.ApplicationID(), i.Token(), u, rest.WithCtx(ctx)); err != nil {
		b.log.Warn("could not complete an answer", "interaction_id", i.ID().String(), "error", err.Error())
	}
}

func (b *Bot) finishText(ctx context.Context, i discord.Interaction, text string) {
	b.finish(ctx, i, discord.MessageUpdate{Content: &text})
}

// followUp sends a further private message after an answer.
func (b *Bot) followUp(ctx context.Context, i discord.Interaction, text string) {
	_, err := b.opts.Rest.CreateFollowupMessage(i.ApplicationID(), i.Token(), discord.MessageCreate{
		Content: text, Flags: discord.MessageFlagEphemeral, AllowedMentions: discordapi.NoMentions(),
	}, rest.WithCtx(ctx))
	if err != nil {
		b.log.Warn("follow-up failed", "interaction_id", i.ID().String(), "error", err.Error())
	}
}

const refusalCRT = "Only members of the Crisis Response Team can use this."

func mention(id string) string { return "<@" + id + ">" }

func relTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return fmt.Sprintf(" <t:%d:R>", t.Unix())
}
