package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Team keeps the CRT informed in an alert's thread and on its message. It
// implements ash.Team.
type Team struct {
	rest  rest.Rest
	store *alerts.Store
	log   *slog.Logger
}

// NewTeam returns a Team posting through r.
func NewTeam(r rest.Rest, store *alerts.Store, log *slog.Logger) (*Team, error) {
	if r == nil || store == nil {
		return nil, errors.New("bot: team needs a REST client and the alert store")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Team{rest: r, store: store, log: log.With("component", "team")}, nil
}

// ashStatus maps an Ash update to what the alert message shows.
func ashStatus(u ash.Update) alerts.AshStatus {
	switch u.Kind {
	case ash.Engaged:
		return alerts.AshEngaged
	case ash.Unreachable:
		return alerts.AshUnreachable
	case ash.Declined:
		return alerts.AshDeclined
	case ash.OptedOut:
		return alerts.AshOptedOut
	}
	if u.Reason == events.EndOptedOut {
		return alerts.AshOptedOut
	}
	return alerts.AshEnded(u.Reason)
}

var endText = map[events.EndReason]string{
	events.EndCompleted:   "the alert was resolved",
	events.EndUserEnded:   "they ended the chat",
	events.EndTimeout:     "they stopped replying (idle timeout)",
	events.EndMaxDuration: "it reached the maximum chat length; please check in with them",
	events.EndHandoff:     "a CRT member took over",
	events.EndError:       "an error on Ash's side; please check in with them",
}

func until(u ash.Update) string {
	if u.Until.IsZero() {
		return ""
	}
	return fmt.Sprintf(" (until <t:%d:D>)", u.Until.Unix())
}

func ashNote(u ash.Update, userID string) string {
	who := mention(userID)
	switch u.Kind {
	case ash.Engaged:
		by := "automatically: nobody acknowledged the alert in time"
		if u.By != events.AutoBy {
			by = "asked by " + mention(u.By)
		}
		return "🤖 Ash reached out to " + who + " by DM (" + by + ")."
	case ash.Unreachable:
		return "⚠️ Ash could not reach " + who + ": their DMs are closed. Please reach out another way."
	case ash.Declined:
		return "ℹ️ Ash did not contact " + who + ": they opted out of Ash" + until(u) + ". Please follow up personally if needed."
	case ash.OptedOut:
		return "ℹ️ " + who + " opted out of Ash" + until(u) + ". Ash will not contact them; please follow up personally if needed."
	}
	if u.Reason == events.EndOptedOut {
		return "ℹ️ " + who + " opted out of Ash and the chat ended. Ash will not contact them for now; please follow up personally if needed."
	}
	text, ok := endText[u.Reason]
	if !ok {
		text = string(u.Reason)
	}
	return "🤖 Ash's chat with " + who + " ended: " + text + "."
}

// AshUpdate records Ash's part on the alert, tells the CRT in the thread
// and refreshes the alert message.
func (t *Team) AshUpdate(ctx context.Context, alertID string, u ash.Update) {
	log := t.log.With("alert_id", alertID)
	sid := ""
	if u.Kind == ash.Engaged {
		sid = u.SessionID
	}
	if err := t.store.SetAsh(ctx, alertID, ashStatus(u), u.At, sid); err != nil {
		log.Warn("Ash status not stored on the alert", "error", err.Error())
	}
	st, err := t.store.Load(ctx, alertID)
	if err != nil {
		log.Warn("cannot tell the CRT about Ash: alert state unavailable", "error", err.Error())
		return
	}
	t.Tell(ctx, st, ashNote(u, st.UserID))
	t.Refresh(ctx, st)
}

// Tell posts text in the alert's thread, pinging nobody. When the thread
// cannot take it (never opened, deleted, or the bot lacks Send Messages in
// Threads there) the note goes to the alert's channel as a reply to the
// alert, so the team still reads it.
func (t *Team) Tell(ctx context.Context, st alerts.State, text string) {
	log := t.log.With("alert_id", st.AlertID)
	msg := discord.MessageCreate{Content: text, AllowedMentions: discordapi.NoMentions()}
	id := st.Thread()
	ch, err := snowflake.Parse(id)
	if err == nil {
		if _, err = t.rest.CreateMessage(ch, msg, rest.WithCtx(ctx)); err == nil {
			return
		}
		log.Warn("could not post in the alert thread; replying to the alert instead", "thread_id", id, "error", err.Error())
	}
	alertCh, err1 := snowflake.Parse(st.AlertChannelID)
	alertMsg, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 != nil || err2 != nil {
		log.Warn("alert has neither thread nor message to post a note on")
		return
	}
	msg.MessageReference = &discord.MessageReference{MessageID: &alertMsg, ChannelID: &alertCh}
	if _, err := t.rest.CreateMessage(alertCh, msg, rest.WithCtx(ctx)); err != nil {
		log.Error("note for the CRT lost: neither the alert thread nor the alert channel took it", "error", err.Error())
	}
}

// Refresh shows st on the alert message.
func (t *Team) Refresh(ctx context.Context, st alerts.State) {
	ch, err1 := snowflake.Parse(st.AlertChannelID)
	msgID, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 != nil || err2 != nil {
		return
	}
	m, err := t.rest.GetMessage(ch, msgID, rest.WithCtx(ctx))
	if err != nil {
		t.log.Warn("could not read the alert message", "alert_id", st.AlertID, "error", err.Error())
		return
	}
	u, err := alerts.Update(*m, st.AlertID, st.UserID, st.Status())
	if err != nil {
		t.log.Warn("could not render the alert message", "alert_id", st.AlertID, "error", err.Error())
		return
	}
	if _, err := t.rest.UpdateMessage(ch, msgID, u, rest.WithCtx(ctx)); err != nil {
		t.log.Warn("could not update the alert message", "alert_id", st.AlertID, "error", err.Error())
	}
}
