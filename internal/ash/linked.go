package ash

import (
	"context"
	"fmt"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// LinkedBy is the `by` of a linked chat: one the person started by
// answering a follow-up check-in about an alert, rather than one a CRT
// member or auto-initiate started.
const LinkedBy = "followup"

// Linked reports whether the chat answers a follow-up check-in. The
// metrics count one Ash session per alert, the first one, so a linked chat
// records followup_answered instead of session_started and no
// session_ended.
func (s Session) Linked() bool { return s.By == LinkedBy }

// LinkedRequest starts a chat that answers a follow-up check-in.
type LinkedRequest struct {
	AlertID     string
	UserID      string
	DMChannelID snowflake.ID
	// CheckinMessageID is the check-in the person answered; it stands for
	// the welcome (its buttons come off when the chat ends).
	CheckinMessageID snowflake.ID
	At               time.Time // the person's answer
}

// StartLinked begins a chat about req.AlertID without a welcome: the
// check-in was it. It records followup_answered and tells the team; the
// person's message is then the chat's first turn (HandleMessage). It
// returns ErrOptedOut or ErrActive without starting anything.
func (m *Manager) StartLinked(ctx context.Context, req LinkedRequest) (Session, error) {
	_, opted, err := m.opts.Store.OptedOut(ctx, req.UserID)
	if err != nil {
		return Session{}, fmt.Errorf("answer a check-in about alert %s: %w", req.AlertID, err)
	}
	if opted {
		return Session{}, ErrOptedOut
	}
	id, err := NewSessionID()
	if err != nil {
		return Session{}, err
	}
	s := Session{ID: id, UserID: req.UserID, AlertID: req.AlertID, By: LinkedBy, StartedAt: req.At, UpdatedAt: req.At,
		DMChannelID: req.DMChannelID.String()}
	if req.CheckinMessageID != 0 {
		s.WelcomeMessageID = req.CheckinMessageID.String()
	}
	existing, err := m.opts.Store.Begin(ctx, s)
	if err != nil {
		return Session{}, fmt.Errorf("answer a check-in about alert %s: %w", req.AlertID, err)
	}
	if existing != "" {
		return Session{ID: existing}, ErrActive
	}
	log := m.log.With("alert_id", req.AlertID, "session_id", id)
	m.opts.Events.Add(events.Event{Type: events.FollowupAnswered, AlertID: req.AlertID, At: req.At, SessionID: id})
	if err := m.opts.Store.Started(ctx, id, req.At, s.DMChannelID, s.WelcomeMessageID); err != nil {
		log.Error("linked chat started but not fully stored", "error", err.Error())
	}
	if err := m.opts.Deadlines.Add(ctx, id, m.deadline(req.At, req.At)); err != nil {
		log.Error("session deadline not set; the chat will not time out", "error", err.Error())
	}
	log.Info("the person answered a check-in; Ash chat started")
	m.opts.Team.AshUpdate(ctx, req.AlertID, Update{Kind: FollowupAnswered, SessionID: id, At: req.At})
	return s, nil
}

// CannotMessage reports whether err is Discord's "Cannot send messages to
// this user" (403, code 50007): DMs closed or the bot blocked.
func CannotMessage(err error) bool { return isCannotMessage(err) }
