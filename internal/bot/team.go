package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Team keeps the CRT informed in an alert's thread and on its message. It
// implements ash.Team.
type Team struct {
	rest  rest.Rest
	store *alerts.Store
	opts  TeamOptions
	log   *slog.Logger
}

// TeamOptions say whom the Team's alarms ping and where chat summaries go.
type TeamOptions struct {
	GuildID  snowflake.ID   // for links to alerts; 0 leaves them out
	CRTRoles []snowflake.ID // BOT_CRT_ROLE_IDS: the roles an alarm mentions
	// NotesChannels get the summary of each ended chat, the first that
	// takes it (BOT_CRT_NOTES_CHANNEL_IDS); none: the alert's thread.
	NotesChannels []snowflake.ID
	// HandoffContext shows the context of a handoff, the person's last
	// three messages included (BOT_HANDOFF_CONTEXT_ENABLED). Off, the
	// thread gets the alarm alone even if Ash sent a context.
	HandoffContext bool
}

// NewTeam returns a Team posting through r.
func NewTeam(r rest.Rest, store *alerts.Store, opts TeamOptions, log *slog.Logger) (*Team, error) {
	if r == nil || store == nil {
		return nil, errors.New("bot: team needs a REST client and the alert store")
	}
	if len(opts.CRTRoles) == 0 {
		return nil, errors.New("bot: team needs the CRT roles its alarms mention")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Team{rest: r, store: store, opts: opts, log: log.With("component", "team")}, nil
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
//
// What happens inside a chat (a concern, a handoff, a summary...) leaves
// the alert message as it is: see chatUpdate.
func (t *Team) AshUpdate(ctx context.Context, alertID string, u ash.Update) {
	if isChatUpdate(u.Kind) {
		t.chatUpdate(ctx, alertID, u)
		if u.Kind == ash.FollowupAnswered {
			t.showLinked(ctx, alertID, u)
		}
		return
	}
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

// showLinked shows the chat that answered a check-in on the alert
// message as Ash's chat: its Take over button must reach that chat.
func (t *Team) showLinked(ctx context.Context, alertID string, u ash.Update) {
	log := t.log.With("alert_id", alertID)
	if err := t.store.SetAsh(ctx, alertID, alerts.AshEngaged, u.At, u.SessionID); err != nil {
		log.Warn("linked chat not stored on the alert: Take over cannot reach it", "error", err.Error())
		return
	}
	st, err := t.store.Load(ctx, alertID)
	if err != nil {
		log.Warn("alert message not refreshed for the linked chat", "error", err.Error())
		return
	}
	t.Refresh(ctx, st)
}

// Tell posts text in the alert's thread, pinging nobody. When the thread
// cannot take it the note goes to the alert's channel as a reply to the
// alert (see post).
func (t *Team) Tell(ctx context.Context, st alerts.State, text string) {
	_, _ = t.post(ctx, st, plain(text)) // post logs a failure
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
