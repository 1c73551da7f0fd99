package bot

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// onAlertButton handles Acknowledge, Talk to Ash, Take over and Resolve.
// Only CRT members may press them; the role check uses the roles Discord
// sends with the click, so it holds on any replica and after a restart.
func (b *Bot) onAlertButton(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button) {
	log := b.log.With("alert_id", btn.AlertID, "action", btn.Action, "interaction_id", i.ID().String())
	if !b.isCRT(i.Member()) {
		log.Info("alert button refused: not a CRT member")
		b.private(ctx, i, refusalCRT)
		return
	}
	switch btn.Action {
	case alerts.ActionAcknowledge:
		b.acknowledge(ctx, i, btn, log)
	case alerts.ActionTalkToAsh:
		b.talkToAsh(ctx, i, btn, log)
	case alerts.ActionTakeOver:
		b.takeOver(ctx, i, btn, log)
	case alerts.ActionResolve:
		b.resolve(ctx, i, btn, log)
	}
}

// fallbackState is what the alert message itself tells of the alert, used
// to rebuild state Redis lost or never got.
func fallbackState(m discord.Message, btn alerts.Button) *alerts.State {
	return &alerts.State{
		AlertID: btn.AlertID, CreatedAt: m.ID.Time(), UserID: btn.UserID,
		AlertChannelID: m.ChannelID.String(), AlertMessageID: m.ID.String(),
		// A thread started from a message has the message's id.
		ThreadID: m.ID.String(),
	}
}

func firstEmbed(m discord.Message) discord.Embed {
	if len(m.Embeds) == 0 {
		return discord.Embed{}
	}
	return m.Embeds[0]
}

// claimStored records a once-per-alert step for a click in Redis,
// rebuilding the alert's state from the alert message when Redis lost it
// (and then queuing the alert_created the recorder may lack).
func (b *Bot) claimStored(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, kind alerts.ClaimKind, fallback *alerts.State) (bool, alerts.State, error) {
	qctx, cancel := b.quick(ctx)
	won, state, err := b.opts.Alerts.Claim(qctx, btn.AlertID, kind, i.User().ID.String(), i.ID().Time(), fallback)
	cancel()
	if err == nil && state.Restored {
		b.ensureCreated(i, btn)
	}
	return won, state, err
}

// claim records a once-per-alert step for a click. When Redis cannot
// answer, the alert message decides: it shows whether the step was done,
// and by whom. fromMessage is true in that case, which callers log.
func (b *Bot) claim(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, kind alerts.ClaimKind, log *slog.Logger) (won bool, st alerts.Status, state alerts.State, fromMessage bool) {
	fallback := fallbackState(i.Message, btn)
	won, state, err := b.claimStored(ctx, i, btn, kind, fallback)
	if err == nil {
		return won, state.Status(), state, false
	}
	b.ensureCreated(i, btn)
	log.Warn("alert state unavailable (redis); using what the alert message shows", "error", err.Error())
	st = alerts.ParseStatus(firstEmbed(i.Message))
	state = *fallback
	by, at := i.User().ID.String(), i.ID().Time()
	var done *alerts.Claim
	switch kind {
	case alerts.ClaimAck:
		done = &st.Ack
	case alerts.ClaimResolve:
		done = &st.Resolve
	case alerts.ClaimContact:
		done = &st.Contact
	default:
		return true, st, state, true
	}
	if done.Done() {
		return false, st, state, true
	}
	*done = alerts.Claim{By: by, At: at}
	// The message now shows the step; the state must too once Redis is
	// back, or a later refresh from state would undo it.
	b.opts.Dispatcher.Later("store "+string(kind)+" of alert "+btn.AlertID, func(ctx context.Context) error {
		_, _, err := b.opts.Alerts.Claim(ctx, btn.AlertID, kind, by, at, fallback)
		return err
	})
	return true, st, state, true
}

// ensureCreated queues the alert_created event rebuilt from the alert
// message ahead of a click's event, for alerts whose state was missing.
func (b *Bot) ensureCreated(i discord.ComponentInteraction, btn alerts.Button) {
	if ev, ok := alerts.CreatedFromMessage(i.Message, btn); ok {
		b.opts.Events.Add(ev)
	}
}

func (b *Bot) updateAlert(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, st alerts.Status, log *slog.Logger) bool {
	u, err := alerts.Update(i.Message, btn.AlertID, btn.UserID, st)
	if err == nil {
		err = b.respond(ctx, i, discord.InteractionResponseTypeUpdateMessage, u)
	}
	if err != nil {
		log.Error("could not update the alert message", "error", err.Error())
		return false
	}
	return true
}

func (b *Bot) acknowledge(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, log *slog.Logger) {
	won, st, _, _ := b.claim(ctx, i, btn, alerts.ClaimAck, log)
	if !won {
		b.private(ctx, i, "Already acknowledged by "+mention(st.Ack.By)+relTime(st.Ack.At)+".")
		return
	}
	b.updateAlert(ctx, i, btn, st, log)
	// The timer goes before the event is handed on, so that whoever sees
	// the acknowledgment recorded also sees Ash's automatic contact off.
	b.cancelAutoInit(ctx, btn.AlertID)
	b.cancelEscalation(ctx, btn.AlertID)
	b.opts.Events.Add(events.Event{Type: events.Acknowledged, AlertID: btn.AlertID, At: st.Ack.At, By: st.Ack.By})
	log.Info("alert acknowledged")
}

// cancelAutoInit stops Ash from reaching out on its own. If Redis fails,
// the write is retried; the timer also checks the alert state when it
// fires.
func (b *Bot) cancelAutoInit(ctx context.Context, alertID string) {
	qctx, cancel := b.quick(ctx)
	err := b.opts.AutoInit.Cancel(qctx, alertID)
	cancel()
	if err != nil {
		b.log.Warn("auto-initiate not cancelled yet; retrying in the background", "alert_id", alertID, "error", err.Error())
		b.opts.Dispatcher.Later("cancel auto-initiate", func(ctx context.Context) error { return b.opts.AutoInit.Cancel(ctx, alertID) })
	}
}

// cancelEscalation stops the alert's escalation timers, retrying in the
// background when Redis fails; a timer that fires anyway finds the alert
// acknowledged or resolved and posts nothing.
func (b *Bot) cancelEscalation(ctx context.Context, alertID string) {
	if b.opts.Escalation == nil {
		return
	}
	qctx, cancel := b.quick(ctx)
	err := b.opts.Escalation.Cancel(qctx, alertID)
	cancel()
	if err != nil {
		b.log.Warn("escalation not cancelled yet; retrying in the background", "alert_id", alertID, "error", err.Error())
		b.opts.Dispatcher.Later("cancel escalation", func(ctx context.Context) error { return b.opts.Escalation.Cancel(ctx, alertID) })
	}
}

func (b *Bot) talkToAsh(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, log *slog.Logger) {
	if err := b.deferPrivate(ctx, i); err != nil {
		log.Warn("could not defer Talk to Ash", "error", err.Error())
		return
	}
	by := i.User().ID.String()
	won, state, err := b.claimStored(ctx, i, btn, alerts.ClaimContact, fallbackState(i.Message, btn))
	if err != nil {
		log.Warn("Talk to Ash unavailable: alert state unavailable (redis)", "error", err.Error())
		b.finishText(ctx, i, "Ash cannot start a chat right now (the bot's storage is unavailable). Please reach out to "+
			mention(btn.UserID)+" personally.")
		return
	}
	if !won {
		who := "automatically"
		if state.Contact.By != events.AutoBy {
			who = "by " + mention(state.Contact.By)
		}
		b.finishText(ctx, i, "Ash was already asked to reach out ("+who+relTime(state.Contact.At)+").")
		return
	}
	b.cancelAutoInit(ctx, btn.AlertID)
	_, err = b.opts.Ash.Contact(ctx, ash.ContactRequest{AlertID: btn.AlertID, UserID: state.UserID, By: by, Severity: state.Severity})
	if err == nil {
		b.finishText(ctx, i, "Ash reached out to "+mention(state.UserID)+" by DM. Updates will appear in the alert's thread.")
		return
	}
	b.releaseContact(ctx, btn.AlertID, by)
	switch {
	case errors.Is(err, ash.ErrOptedOut):
		b.finishText(ctx, i, mention(state.UserID)+" opted out of Ash, so Ash did not contact them. Please follow up personally if needed.")
	case errors.Is(err, ash.ErrActive):
		b.finishText(ctx, i, "Ash is already talking with "+mention(state.UserID)+" about another alert.")
	case errors.Is(err, ash.ErrUnreachable):
		b.finishText(ctx, i, "Ash could not reach "+mention(state.UserID)+": their DMs are closed. Please reach out another way.")
	default:
		log.Error("Ash could not reach out", "error", err.Error())
		b.finishText(ctx, i, "Ash could not reach out (an error on the bot's side). Please reach out to "+mention(state.UserID)+" personally.")
	}
}

// releaseContact gives back a contact claim after Ash could not reach the
// person, so the team (or a later try) can ask again.
func (b *Bot) releaseContact(ctx context.Context, alertID, by string) {
	if err := b.opts.Alerts.Release(context.WithoutCancel(ctx), alertID, alerts.ClaimContact, by); err != nil {
		b.log.Warn("contact claim not released; Talk to Ash stays disabled on this alert", "alert_id", alertID, "error", err.Error())
	}
}

// takeOver is a CRT handoff: Ash steps back and tells the person a team
// member will continue personally.
func (b *Bot) takeOver(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, log *slog.Logger) {
	if err := b.deferPrivate(ctx, i); err != nil {
		log.Warn("could not defer Take over", "error", err.Error())
		return
	}
	st, err := b.opts.Alerts.Load(ctx, btn.AlertID)
	if err != nil || st.SessionID == "" {
		b.finishText(ctx, i, "Ash is not in a chat for this alert.")
		return
	}
	ended, err := b.opts.Ash.End(ctx, st.SessionID, events.EndHandoff, i.ID().Time())
	switch {
	case err != nil:
		log.Error("handoff failed", "error", err.Error())
		b.finishText(ctx, i, "Ash could not step back (an error on the bot's side). Please tell "+mention(st.UserID)+" yourself that you are taking over.")
	case !ended:
		b.finishText(ctx, i, "Ash's chat had already ended.")
	default:
		log.Info("CRT took over from Ash")
		b.finishText(ctx, i, "You have taken over from Ash. "+mention(st.UserID)+" was told that a CRT member will continue with them personally.")
	}
}

func (b *Bot) resolve(ctx context.Context, i discord.ComponentInteraction, btn alerts.Button, log *slog.Logger) {
	won, st, state, fromMessage := b.claim(ctx, i, btn, alerts.ClaimResolve, log)
	if !won {
		b.private(ctx, i, "Already resolved by "+mention(st.Resolve.By)+relTime(st.Resolve.At)+".")
		return
	}
	b.updateAlert(ctx, i, btn, st, log)
	b.opts.Events.Add(events.Event{Type: events.Resolved, AlertID: btn.AlertID, At: st.Resolve.At, By: st.Resolve.By})
	log.Info("alert resolved")
	b.cancelAutoInit(ctx, btn.AlertID)
	b.cancelEscalation(ctx, btn.AlertID)
	if !fromMessage && state.SessionID != "" {
		if _, err := b.opts.Ash.End(ctx, state.SessionID, events.EndCompleted, st.Resolve.At); err != nil && !errors.Is(err, ash.ErrNoSession) {
			log.Warn("Ash's chat not ended on resolution", "session_id", state.SessionID, "error", err.Error())
		}
	}
	b.opts.Team.Tell(ctx, state, "☑️ Resolved by "+mention(st.Resolve.By)+". Thread archived; posting here reopens it.")
	thread := state.Thread()
	if id, err := snowflake.Parse(thread); err == nil {
		archived := true
		if _, err := b.opts.Rest.UpdateChannel(id, discord.GuildThreadUpdate{Archived: &archived}, rest.WithCtx(ctx)); err != nil {
			log.Warn("alert thread not archived", "thread_id", thread, "error", err.Error())
		}
	}
}

// AutoInitiate is the auto-initiate poller's handler: Ash reaches out when
// an alert's timer fires and nobody acknowledged it, asked Ash, or resolved
// it meanwhile. A failure that may pass is retried a minute later; an alert
// that stayed unanswered for longer than autoInitStale is left to the team.
func (b *Bot) AutoInitiate(ctx context.Context, d ash.Due) time.Time {
	log := b.log.With("alert_id", d.Member, "due", d.At)
	now := b.opts.Clock.Now()
	st, err := b.opts.Alerts.Load(ctx, d.Member)
	if errors.Is(err, alerts.ErrNotFound) {
		log.Warn("auto-initiate: alert state not found; not reaching out")
		return time.Time{}
	}
	if err != nil {
		log.Warn("auto-initiate: alert state unavailable; retrying", "error", err.Error())
		return now.Add(autoInitRetry)
	}
	switch {
	case st.Status().Answered():
		return time.Time{}
	case now.Sub(d.At) > autoInitStale:
		log.Warn("auto-initiate skipped: the timer is hours late (bot or redis down)", "late_by", now.Sub(d.At).String())
		return time.Time{}
	case b.answeredOnMessage(ctx, st, log):
		return time.Time{}
	}
	won, state, err := b.opts.Alerts.Claim(ctx, d.Member, alerts.ClaimContact, events.AutoBy, now, nil)
	if err != nil {
		log.Warn("auto-initiate: claim failed; retrying", "error", err.Error())
		return now.Add(autoInitRetry)
	}
	if !won {
		return time.Time{}
	}
	_, err = b.opts.Ash.Contact(ctx, ash.ContactRequest{AlertID: d.Member, UserID: state.UserID, By: events.AutoBy, Severity: state.Severity})
	if err == nil {
		return time.Time{}
	}
	b.releaseContact(ctx, d.Member, events.AutoBy)
	switch {
	case errors.Is(err, ash.ErrOptedOut), errors.Is(err, ash.ErrUnreachable), errors.Is(err, ash.ErrActive):
		log.Info("auto-initiate: Ash did not reach out", "reason", err.Error())
		return time.Time{}
	}
	log.Warn("auto-initiate failed; retrying", "error", err.Error())
	return now.Add(autoInitRetry)
}

// answeredOnMessage reports whether the alert message shows an
// acknowledgment, contact or resolution that Redis does not (a click
// during an outage whose write is still pending): the message is what the
// team sees, and Ash must not reach out over an answered alert.
func (b *Bot) answeredOnMessage(ctx context.Context, st alerts.State, log *slog.Logger) bool {
	ch, err1 := snowflake.Parse(st.AlertChannelID)
	id, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 != nil || err2 != nil {
		return false
	}
	m, err := b.opts.Rest.GetMessage(ch, id, rest.WithCtx(ctx))
	if err != nil {
		log.Warn("auto-initiate: alert message unreadable; going by the stored state", "error", err.Error())
		return false
	}
	if alerts.ParseStatus(firstEmbed(*m)).Answered() {
		log.Info("auto-initiate skipped: the alert message shows it answered")
		return true
	}
	return false
}

const (
	autoInitRetry = time.Minute
	autoInitStale = 6 * time.Hour
)

// onAshButton handles "I'd rather not" and "End chat" under Ash's welcome,
// and the opt-out under a follow-up check-in.
func (b *Bot) onAshButton(ctx context.Context, i discord.ComponentInteraction, btn ash.DMButton) {
	user := i.User().ID.String()
	at := i.ID().Time()
	log := b.log.With("alert_id", btn.AlertID, "session_id", btn.SessionID, "action", btn.Action)
	if err := b.respond(ctx, i, discord.InteractionResponseTypeDeferredUpdateMessage, nil); err != nil {
		log.Warn("could not answer a DM button", "error", err.Error())
	}
	switch btn.Action {
	case ash.ActionOptOut:
		if _, err := b.opts.Ash.OptOut(ctx, user, btn.AlertID, btn.SessionID, at); err != nil {
			log.Error("opt-out failed", "error", err.Error())
			b.followUp(ctx, i, "Sorry, I could not save that just now. Please press the button again in a moment, "+
				"or tell any Crisis Response Team member that you would rather not hear from Ash.")
		} else if s, err := b.opts.Ash.Session(ctx, btn.SessionID); err == nil && s.WelcomeMessageID != i.Message.ID.String() {
			// A check-in's button: ending the chat takes the buttons off
			// its welcome, not off the check-in.
			b.clearButtons(ctx, i)
		}
	case ash.ActionEnd:
		s, err := b.opts.Ash.Session(ctx, btn.SessionID)
		if err != nil || s.UserID != user {
			b.clearButtons(ctx, i)
			return
		}
		ended, err := b.opts.Ash.End(ctx, btn.SessionID, events.EndUserEnded, at)
		if err != nil {
			log.Error("ending the chat failed", "error", err.Error())
		}
		if !ended {
			b.clearButtons(ctx, i)
		}
	}
}

// clearButtons takes the buttons off the message a click came from.
func (b *Bot) clearButtons(ctx context.Context, i discord.ComponentInteraction) {
	none := []discord.LayoutComponent{}
	if _, err := b.opts.Rest.UpdateMessage(i.Message.ChannelID, i.Message.ID, discord.MessageUpdate{Components: &none}, rest.WithCtx(ctx)); err != nil {
		b.log.Warn("could not remove buttons", "error", err.Error())
	}
}
