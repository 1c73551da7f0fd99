package bot

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
)

// MeCommand is the members' own command: anyone may record or lift their
// opt-out from Ash with it, in the server or in a DM with the bot.
const MeCommand = "ash-me"

// Subcommands of /ash-me, and /ash optout of the CRT.
const (
	SubOptOut = "optout"
	SubOptIn  = "optin"
)

// optOutOption is /ash optout's declaration.
func optOutOption() discord.ApplicationCommandOption {
	return discord.ApplicationCommandOptionSubCommand{
		Name: SubOptOut, Description: "Show whether a member opted out of Ash and until when; clear:true lifts it",
		Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionUser{Name: "user", Description: "The member", Required: true},
			discord.ApplicationCommandOptionBool{Name: "clear", Description: "Lift the opt-out: Ash may contact them again"},
		},
	}
}

// MemberCommands returns /ash-me. It has no default_member_permissions, so
// every member sees it, and it is registered globally: Discord offers
// guild commands in their guild only, and contexts (here the server and
// the DM with the bot) apply to global commands only
// (https://discord.com/developers/docs/interactions/application-commands#application-command-object).
func MemberCommands() []discord.ApplicationCommandCreate {
	return []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{
			Name:        MeCommand,
			Description: "Your own settings with Ash, the support companion",
			Contexts:    []discord.InteractionContextType{discord.InteractionContextTypeGuild, discord.InteractionContextTypeBotDM},
			Options: []discord.ApplicationCommandOption{
				discord.ApplicationCommandOptionSubCommand{Name: SubOptOut, Description: "Ask Ash not to contact you (you can change your mind with optin)"},
				discord.ApplicationCommandOptionSubCommand{Name: SubOptIn, Description: "Let Ash contact you again if the team asks it to"},
				statsOption(),
			},
		},
	}
}

// onMeCommand answers /ash-me privately. The person's own id is never
// logged: they may be someone the CRT is looking after.
func (b *Bot) onMeCommand(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) {
	log := b.log.With("command", d.CommandPath(), "interaction_id", i.ID().String())
	if err := b.deferPrivate(ctx, i); err != nil {
		log.Warn("could not defer a command", "error", err.Error())
		return
	}
	user := i.User().ID.String()
	sub := ""
	if d.SubCommandName != nil {
		sub = *d.SubCommandName
	}
	rctx, cancel := context.WithTimeout(ctx, commandRedisTimeout)
	defer cancel()
	switch sub {
	case SubOptOut:
		until, err := b.opts.Ash.OptOutSelf(rctx, user, i.ID().Time())
		if err != nil {
			log.Warn("member opt-out not stored", "error", err.Error())
			b.finishText(ctx, i, "Sorry, I could not save that just now, so nothing has changed. Please try again in a minute, "+
				"or tell any Crisis Response Team member that you would rather not hear from Ash.")
			return
		}
		log.Info("member opted out of Ash")
		b.finishText(ctx, i, fmt.Sprintf("Done: Ash will not contact you until <t:%d:D>. "+
			"The Crisis Response Team can still reach out personally. You can change your mind any time with `/ash-me optin`.", until.Unix()))
	case SubOptIn:
		had, err := b.opts.Ash.LiftOptOut(rctx, user)
		if err != nil {
			log.Warn("member opt-in not stored", "error", err.Error())
			b.finishText(ctx, i, "Sorry, I could not save that just now, so nothing has changed. Please try again in a minute.")
			return
		}
		log.Info("member command done", "had_opted_out", had)
		if !had {
			b.finishText(ctx, i, "You had not opted out of Ash, so nothing changed.")
			return
		}
		b.finishText(ctx, i, "Done: Ash may contact you again if the Crisis Response Team asks it to, or when an alert about you goes unanswered.")
	case SubStats:
		// Building the period's load reads Redis for a while: the
		// interaction is deferred already, so the report's own timeouts
		// bound it rather than commandRedisTimeout.
		msg, err := b.myStats(ctx, i, d)
		if err != nil {
			log.Warn("member stats failed", "error", err.Error())
			b.finishText(ctx, i, "⚠️ "+err.Error())
			return
		}
		log.Info("member command done")
		b.finishText(ctx, i, msg)
	default:
		b.finishText(ctx, i, "Unknown command.")
	}
}

// commandRedisTimeout bounds the Redis work of a deferred command: the
// person sees "thinking…" meanwhile, and a Redis that does not answer
// gets a clear answer instead of a wait.
const commandRedisTimeout = 3 * time.Second

// optOutCommand shows a member's opt-out to the CRT and, with clear,
// lifts it: logged with the CRT member who did it, and noted in the
// thread of the person's latest alert.
func (b *Bot) optOutCommand(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) (discord.MessageUpdate, error) {
	target, ok := d.OptSnowflake("user")
	if !ok {
		return discord.MessageUpdate{}, errors.New("name the member: user:@member")
	}
	user := target.String()
	rctx, cancel := context.WithTimeout(ctx, commandRedisTimeout)
	defer cancel()
	until, opted, err := b.opts.Ash.OptedOut(rctx, user)
	if err != nil {
		return discord.MessageUpdate{}, fmt.Errorf("the opt-out could not be read (is Redis answering?): %w", err)
	}
	if !d.Bool("clear") {
		if !opted {
			return text(mention(user) + " has not opted out of Ash."), nil
		}
		return text(mention(user) + " opted out of Ash" + untilText(until) + ". Run `/ash optout` with `clear:true` to lift it."), nil
	}
	had := opted
	if opted {
		// It may have expired, or another CRT member lifted it, since it
		// was read: only the one who removed it tells the thread.
		if had, err = b.opts.Ash.LiftOptOut(rctx, user); err != nil {
			return discord.MessageUpdate{}, fmt.Errorf("the opt-out was not lifted (is Redis answering?): %w", err)
		}
	}
	if !had {
		return text(mention(user) + " has not opted out of Ash; nothing to lift."), nil
	}
	by := i.User().ID.String()
	where := b.noteLift(ctx, user, by)
	// Who lifted it is logged for accountability: a CRT member acting in
	// their role (product.md keeps only the person in crisis out of logs),
	// unless they lifted their own, which would say they had opted out.
	logBy := by
	if by == user {
		logBy = "self"
	}
	b.log.Info("opt-out of Ash lifted by a CRT member", "by", logBy, "alert_id", where.alertID, "interaction_id", i.ID().String())
	return text(mention(user) + "'s opt-out of Ash" + untilText(until) + " is lifted: Ash may contact them again. " + where.text), nil
}

func untilText(until time.Time) string {
	if until.IsZero() {
		return " (no end date recorded)"
	}
	return fmt.Sprintf(" until <t:%d:D>", until.Unix())
}

type liftNote struct{ alertID, text string }

// noteLift tells the team in the thread of the person's latest alert that
// by lifted their opt-out, and says where it did.
func (b *Bot) noteLift(ctx context.Context, user, by string) liftNote {
	if b.opts.Metrics == nil {
		return liftNote{text: "No alert thread was told: metrics are not available in this deployment."}
	}
	rctx, cancel := context.WithTimeout(ctx, commandRedisTimeout)
	defer cancel()
	// The person's alert index: their newest alert in one or two calls.
	latest, err := b.opts.Metrics.PersonAlerts(rctx, user, 1, b.opts.AlertRetention)
	if err != nil {
		b.log.Warn("opt-out lifted; their latest alert could not be looked up", "error", err.Error())
		return liftNote{text: "Their latest alert could not be looked up, so no thread was told."}
	}
	if len(latest.Alerts) == 0 {
		return liftNote{text: "They have no alert within the alert retention, so no thread was told."}
	}
	id := latest.Alerts[0].AlertID
	st, err := b.opts.Alerts.Load(rctx, id)
	if err != nil {
		if !errors.Is(err, alerts.ErrNotFound) {
			b.log.Warn("opt-out lifted; the alert's state could not be read", "alert_id", id, "error", err.Error())
		}
		return liftNote{alertID: id, text: "Their latest alert (" + id + ") could not be read, so no thread was told."}
	}
	b.opts.Team.Tell(ctx, st, "ℹ️ "+mention(by)+" lifted "+mention(user)+"'s opt-out of Ash: Ash may contact them again.")
	where := "the alert"
	if _, err := snowflake.Parse(st.Thread()); err == nil {
		where = "<#" + st.Thread() + ">"
	}
	return liftNote{alertID: id, text: "Noted on their latest alert, " + where + "."}
}
