package bot

import (
	"context"
	"errors"
	"fmt"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	ev "github.com/alphabetcartel/ashbot/internal/events"
)

// humanMessage reports whether m was written by a person (not a bot, a
// webhook or Discord itself) as an ordinary message or reply.
func humanMessage(m discord.Message) bool {
	if m.Author.Bot || m.Author.System || m.WebhookID != nil {
		return false
	}
	return m.Type == discord.MessageTypeDefault || m.Type == discord.MessageTypeReply
}

// onGuildMessage records the first human response in an alert's thread:
// the first message there by someone who is neither a bot nor the person
// in crisis.
func (b *Bot) onGuildMessage(ctx context.Context, e *events.GuildMessageCreate) {
	m := e.Message
	if !humanMessage(m) {
		return
	}
	// Skip the Redis lookup for the (many) messages that are plainly not
	// in an alert thread. A channel missing from the cache is looked up.
	var parent snowflake.ID // 0: not cached
	if ch, ok := e.Channel(); ok {
		t, isThread := ch.(discord.GuildThread)
		if !isThread || t.ParentID() == nil || !b.opts.AlertChannels.Contains(*t.ParentID()) {
			return
		}
		parent = *t.ParentID()
	}
	log := b.log.With("thread_id", e.ChannelID.String())
	at, by := m.ID.Time(), m.Author.ID.String()

	qctx, cancel := b.quick(ctx)
	alertID, err := b.opts.Alerts.AlertForThread(qctx, e.ChannelID.String())
	cancel()
	if errors.Is(err, alerts.ErrNotFound) {
		return
	}
	if err != nil {
		// Redis cannot say which alert this is: the thread's starter
		// message (the alert, which shares the thread's id) can.
		log.Warn("alert of thread unavailable (redis); reading the alert message", "error", err.Error())
		starter, gerr := b.threadStarter(ctx, e.ChannelID, parent)
		if gerr != nil {
			log.Warn("first response not recorded: alert of thread unknown", "error", gerr.Error())
			return
		}
		btn, ok := alerts.ButtonOf(*starter)
		if !ok || btn.UserID == by {
			return
		}
		// The recorder keeps the first first_response; duplicates are harmless.
		b.opts.Events.Add(ev.Event{Type: ev.FirstResponse, AlertID: btn.AlertID, At: at, By: by})
		return
	}
	qctx, cancel = b.quick(ctx)
	st, err := b.opts.Alerts.Load(qctx, alertID)
	cancel()
	if err != nil {
		log.Warn("first response not recorded: alert state unavailable", "alert_id", alertID, "error", err.Error())
		return
	}
	if by == st.UserID || st.FirstResponse.Done() {
		return
	}
	qctx, cancel = b.quick(ctx)
	won, _, err := b.opts.Alerts.Claim(qctx, alertID, alerts.ClaimFirstResponse, by, at, nil)
	cancel()
	if err != nil {
		log.Warn("first response claim failed; recording anyway", "alert_id", alertID, "error", err.Error())
		won = true
	}
	if won {
		b.opts.Events.Add(ev.Event{Type: ev.FirstResponse, AlertID: alertID, At: at, By: by})
		log.Info("first human response", "alert_id", alertID)
	}
}

// onDM passes a person's DM to Ash. A DM that answers a follow-up
// check-in first starts the chat linked to its alert, of which it is then
// the first turn.
func (b *Bot) onDM(ctx context.Context, m discord.Message) {
	if m.Author.Bot || m.Author.System {
		return
	}
	user := m.Author.ID.String()
	if b.opts.Followups != nil {
		if _, err := b.opts.Followups.Answer(ctx, b.opts.Ash, user, m.ChannelID, m.ID); err != nil {
			b.log.Warn("could not tell whether a DM answers a check-in", "message_id", m.ID.String(), "error", err.Error())
		}
	}
	if err := b.opts.Ash.HandleMessage(ctx, user, m.ChannelID, m.ID, m.Content); err != nil {
		b.log.Warn("Ash could not answer a DM", "message_id", m.ID.String(), "error", err.Error())
	}
}

// threadStarter reads the message a thread was started from. It lives in
// the thread's parent channel under the thread's id
// (https://discord.com/developers/docs/topics/threads), so an uncached
// thread's parent is looked up first; a thread outside the alert
// channels has no alert to find.
func (b *Bot) threadStarter(ctx context.Context, thread, parent snowflake.ID) (*discord.Message, error) {
	if parent == 0 {
		ch, err := b.opts.Rest.GetChannel(thread, rest.WithCtx(ctx))
		if err != nil {
			return nil, fmt.Errorf("read thread: %w", err)
		}
		t, ok := ch.(discord.GuildThread)
		if !ok || t.ParentID() == nil {
			return nil, errors.New("channel is not a thread")
		}
		parent = *t.ParentID()
	}
	if !b.opts.AlertChannels.Contains(parent) {
		return nil, errors.New("thread is not in an alert channel")
	}
	m, err := b.opts.Rest.GetMessage(parent, thread, rest.WithCtx(ctx))
	if err != nil {
		return nil, fmt.Errorf("read starter message: %w", err)
	}
	return m, nil
}

// detect hands a guild message to detection, with its channel's parent
// when the channel is a thread or forum post. It runs on the gateway's
// goroutine and never waits: a thread missing from the cache is looked
// up on a goroutine of its own.
func (b *Bot) detect(e *events.GenericGuildMessage, edit bool) {
	d := b.opts.Detection
	if d == nil {
		return
	}
	ch, cached := e.Channel()
	if !cached && !d.Monitored(e.ChannelID, 0) && humanMessage(e.Message) {
		b.spawn(func(ctx context.Context) {
			c, err := b.opts.Rest.GetChannel(e.ChannelID, rest.WithCtx(ctx))
			if err != nil {
				b.log.Warn("channel of a message unknown; not classified", "channel_id", e.ChannelID.String(), "error", err.Error())
				return
			}
			d.OnMessage(e.Message, parentOf(c), edit)
		})
		return
	}
	var parent snowflake.ID
	if cached {
		parent = parentOf(ch)
	}
	d.OnMessage(e.Message, parent, edit)
}

// parentOf returns a thread's (or forum post's) parent channel, 0 for
// other channels.
func parentOf(c discord.Channel) snowflake.ID {
	if t, ok := c.(discord.GuildThread); ok && t.ParentID() != nil {
		return *t.ParentID()
	}
	return 0
}
