package followup

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// CheckinText is what Ash writes: short and warm, asking nothing of the
// person; replying is enough to talk again.
const CheckinText = "Hi, it's Ash again 💜 I wanted to check in after our chat. How are you doing today?\n\n" +
	"If you'd like to talk, just reply here. No pressure if you're not up for it; I only wanted you to know someone cares."

// OptOutLabel is the check-in's one button: the opt-out of Ash's welcome,
// handled the same way.
const OptOutLabel = "I'd rather not hear from Ash"

const (
	// retry is how soon a check-in that failed for a passing reason
	// (Redis, Discord 5xx) is tried again, while it is not too late.
	retry = time.Minute
	// postpone is how long a check-in waits while the person is in
	// another chat with Ash, rather than interrupt it.
	postpone = 30 * time.Minute
)

// Fire is the check-in poller's handler: it sends the check-in of alert
// d.Member, or skips it (see the package comment). The poller's ZREM and
// the check-in's state claim make it go out once across replicas; a
// replica that dies between the claim and the send loses it rather than
// risk sending it twice.
func (c *Checkins) Fire(ctx context.Context, d ash.Due) time.Time {
	now := c.opts.Clock.Now()
	log := c.log.With("alert_id", d.Member)
	ci, ok, err := c.load(ctx, d.Member)
	if err != nil {
		log.Warn("check-in: cannot read it; retrying", "error", err.Error())
		return now.Add(retry)
	}
	if !ok || ci.State != stateScheduled {
		return time.Time{}
	}
	if late := now.Sub(ci.EndedAt.Add(c.opts.Max)); late >= 0 {
		c.skip(ctx, ci, stateScheduled, SkipTooLate, log.With("late_by", late.Round(time.Minute).String()))
		return time.Time{}
	}
	_, opted, err := c.opts.People.OptedOut(ctx, ci.UserID)
	if err != nil {
		log.Warn("check-in: opt-out unknown; retrying", "error", err.Error())
		return now.Add(retry)
	}
	if opted {
		c.skip(ctx, ci, stateScheduled, SkipOptedOut, log)
		return time.Time{}
	}
	if _, active, err := c.opts.People.ActiveFor(ctx, ci.UserID); err != nil {
		log.Warn("check-in: cannot tell whether the person is in a chat; retrying", "error", err.Error())
		return now.Add(retry)
	} else if active {
		if err := c.timers.Add(ctx, ci.AlertID, now.Add(postpone)); err != nil {
			return now.Add(postpone)
		}
		log.Info("check-in postponed: the person is talking with Ash")
		return time.Time{}
	}
	won, err := c.move(ctx, ci.AlertID, stateScheduled, stateSending)
	if err != nil {
		log.Warn("check-in: claim failed; retrying", "error", err.Error())
		return now.Add(retry)
	}
	if !won {
		return time.Time{} // another replica has it
	}
	slot, err := c.takeSlot(ctx, ci.UserID, now)
	if err != nil {
		return c.unclaim(ctx, ci, log, err)
	}
	if !slot {
		c.skip(ctx, ci, stateSending, SkipRecent, log)
		return time.Time{}
	}
	msg, err := c.send(ctx, ci)
	if err != nil {
		if rerr := c.releaseSlot(context.WithoutCancel(ctx), ci.UserID, now); rerr != nil {
			log.Warn("check-in slot not released", "error", rerr.Error())
		}
		if ash.CannotMessage(err) {
			c.skip(ctx, ci, stateSending, SkipUnreachable, log)
			return time.Time{}
		}
		return c.unclaim(ctx, ci, log, err)
	}
	at := msg.ID.Time()
	// From here on the person has the check-in: record it whatever else
	// fails, so the metrics tell the truth.
	c.opts.Events.Add(events.Event{Type: events.FollowupSent, AlertID: ci.AlertID, At: at})
	c.sent.Add(1)
	if _, err := c.move(ctx, ci.AlertID, stateSending, stateSent,
		"sent_at", msText(at), "dm_channel_id", msg.ChannelID.String(), "message_id", msg.ID.String()); err != nil {
		log.Error("check-in sent but not stored as sent; a reply to it will not start a chat", "error", err.Error())
	} else if err := c.setPending(ctx, ci.UserID, ci.AlertID); err != nil {
		log.Error("check-in sent, but a reply to it will not start a chat", "error", err.Error())
	}
	log.Info("check-in sent", "session_id", ci.SessionID)
	c.opts.Team.AshUpdate(ctx, ci.AlertID, ash.Update{Kind: ash.FollowupSent, SessionID: ci.SessionID, At: at})
	return time.Time{}
}

// unclaim puts a claimed check-in back to be tried again after a failure
// that may pass.
func (c *Checkins) unclaim(ctx context.Context, ci checkin, log *slog.Logger, cause error) time.Time {
	log.Warn("check-in not sent; retrying", "error", cause.Error())
	if _, err := c.move(context.WithoutCancel(ctx), ci.AlertID, stateSending, stateScheduled); err != nil {
		log.Error("check-in lost: it could not be set to be tried again", "error", err.Error())
		return time.Time{}
	}
	return c.opts.Clock.Now().Add(retry)
}

// skip marks a check-in in state from skipped for reason and counts it.
func (c *Checkins) skip(ctx context.Context, ci checkin, from, reason string, log *slog.Logger) {
	ok, err := c.move(ctx, ci.AlertID, from, stateSkipped, "reason", reason)
	if err != nil {
		log.Warn("check-in skip not stored", "reason", reason, "error", err.Error())
	} else if !ok {
		return // another replica decided it
	}
	c.countSkip(reason)
	log.Info("check-in skipped", "reason", reason)
}

// send DMs the check-in with the crisis resources and the opt-out button.
// The button names the chat that ended, so that opting out from it
// confirms in the same words as from the welcome.
func (c *Checkins) send(ctx context.Context, ci checkin) (*discord.Message, error) {
	uid, err := snowflake.Parse(ci.UserID)
	if err != nil {
		// Not wrapped: the parse error quotes the value, which may be a
		// person's id, and errors reach the logs.
		return nil, fmt.Errorf("check-in of alert %s: the person's user id is not a snowflake", ci.AlertID)
	}
	ch, err := c.opts.DM.CreateDMChannel(uid, rest.WithCtx(ctx))
	if err != nil {
		return nil, fmt.Errorf("check-in of alert %s: open DM: %w", ci.AlertID, err)
	}
	msg, err := c.opts.DM.CreateMessage(ch.ID(), discord.MessageCreate{
		Content: CheckinText,
		Embeds:  []discord.Embed{ash.ResourcesEmbed(c.opts.ResourcesText)},
		Components: []discord.LayoutComponent{discord.NewActionRow(
			discord.NewSecondaryButton(OptOutLabel, ash.ButtonID(ash.ActionOptOut, ci.AlertID, ci.SessionID)),
		)},
		AllowedMentions: discordapi.NoMentions(),
	}, rest.WithCtx(ctx))
	if err != nil {
		return nil, fmt.Errorf("check-in of alert %s: send: %w", ci.AlertID, err)
	}
	return msg, nil
}
