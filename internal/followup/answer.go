package followup

import (
	"context"
	"errors"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/ash"
)

// stateAnswered: the person replied and a linked chat started.
const stateAnswered = "answered"

// Answer starts a new chat linked to the alert when a DM from userID
// answers their check-in: it was sent, no more than BOT_FOLLOWUP_MAX_HOURS
// before the DM, and they are in no chat with Ash. It reports whether it
// started one; the caller then gives the message to Ash as the chat's first
// turn (ash.Manager.HandleMessage).
func (c *Checkins) Answer(ctx context.Context, l Linker, userID string, channelID, messageID snowflake.ID) (bool, error) {
	alertID, ok, err := c.pending(ctx, userID)
	if err != nil || !ok {
		return false, err
	}
	log := c.log.With("alert_id", alertID)
	ci, found, err := c.load(ctx, alertID)
	if err != nil {
		return false, err
	}
	at := messageID.Time()
	if !found || ci.State != stateSent || ci.UserID != userID || at.Sub(ci.SentAt) > c.opts.Max {
		// Answered already, expired, or past the window for replies.
		if err := c.clearPending(ctx, userID, alertID); err != nil {
			log.Warn("stale pending check-in not cleared", "error", err.Error())
		}
		return false, nil
	}
	checkinMsg, _ := snowflake.Parse(ci.MessageID)
	s, err := l.StartLinked(ctx, ash.LinkedRequest{AlertID: alertID, UserID: userID, DMChannelID: channelID, CheckinMessageID: checkinMsg, At: at})
	switch {
	case errors.Is(err, ash.ErrActive):
		return false, nil // in a chat already: the message is part of it
	case errors.Is(err, ash.ErrOptedOut):
		if err := c.clearPending(ctx, userID, alertID); err != nil {
			log.Warn("pending check-in of a person who opted out not cleared", "error", err.Error())
		}
		return false, nil
	case err != nil:
		return false, err
	}
	c.answered.Add(1)
	if err := c.clearPending(ctx, userID, alertID); err != nil {
		log.Warn("pending check-in not cleared; the chat's mapping keeps later messages in it", "error", err.Error())
	}
	if _, err := c.move(ctx, alertID, stateSent, stateAnswered, "answered_at", msText(at), "answer_session_id", s.ID); err != nil {
		log.Warn("answered check-in not marked", "error", err.Error())
	}
	return true, nil
}
