package bot

import (
	"context"
	"fmt"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// FlagCommand is the message context-menu command any member can use to
// bring a message to the CRT.
const FlagCommand = "Flag for CRT"

var severityChoices = []struct {
	sev   events.Severity
	label string
	desc  string
}{
	{events.Critical, "Critical", "Someone may be in immediate danger"},
	{events.High, "High", "Someone seems to be in crisis"},
	{events.Medium, "Medium", "Someone seems to be struggling"},
	{events.Low, "Low", "Worth keeping an eye on"},
}

// onFlag asks the member how urgent the message seems, privately.
func (b *Bot) onFlag(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.MessageCommandInteractionData) {
	if i.GuildID() == nil || i.Member() == nil {
		b.private(ctx, i, "Flag for CRT works in the server only.")
		return
	}
	target := d.TargetMessage()
	if target.Author.Bot || target.WebhookID != nil {
		b.private(ctx, i, "That message comes from a bot or an integration. Flag the message of the person you are worried about.")
		return
	}
	opts := make([]discord.StringSelectMenuOption, 0, len(severityChoices))
	for _, c := range severityChoices {
		opts = append(opts, discord.NewStringSelectMenuOption(c.label, string(c.sev)).
			WithDescription(c.desc).WithEmoji(discord.ComponentEmoji{Name: alerts.SeverityEmoji(c.sev)}))
	}
	b.flags.put(i.User().ID, target.ID, target.Author.ID, target.Content)
	menu := discord.NewStringSelectMenu(alerts.FlagSelectID(i.Channel().ID().String(), d.TargetID().String()), "How urgent does it seem?", opts...)
	err := b.respond(ctx, i, discord.InteractionResponseTypeCreateMessage, discord.MessageCreate{
		Content: "Thank you for looking out for someone. How urgent does this seem? Only the Crisis Response Team will see the alert." +
			"\nIf someone is in immediate danger, please also contact local emergency services.",
		Components:      []discord.LayoutComponent{discord.NewActionRow(menu)},
		Flags:           discord.MessageFlagEphemeral,
		AllowedMentions: discordapi.NoMentions(),
	})
	if err != nil {
		b.log.Warn("could not show the flag menu", "error", err.Error())
	}
}

// onFlagSelect turns a member's flag into an alert. The member is thanked
// while the alert is posted, and told to reach the team another way if the
// post fails.
func (b *Bot) onFlagSelect(ctx context.Context, i discord.ComponentInteraction, channelID, messageID string) {
	if i.GuildID() == nil || i.Member() == nil {
		return
	}
	data, ok := i.Data.(discord.StringSelectMenuInteractionData)
	if !ok || len(data.Values) != 1 {
		b.private(ctx, i, "Please pick one of the options.")
		return
	}
	sev, err := events.ParseSeverity(data.Values[0])
	if err != nil {
		b.private(ctx, i, "Please pick one of the options.")
		return
	}
	flagger := i.User().ID.String()
	log := b.log.With("alert_id", messageID, "severity", string(sev))
	update := func(text string) {
		none := []discord.LayoutComponent{}
		if err := b.respond(ctx, i, discord.InteractionResponseTypeUpdateMessage, discord.MessageUpdate{
			Content: &text, Components: &none, AllowedMentions: discordapi.NoMentions(),
		}); err != nil {
			log.Warn("could not answer the flag", "error", err.Error())
		}
	}

	// Rate limit and de-duplication fail open: an alert too many is a
	// nuisance, an alert lost can be a life.
	qctx, cancel := b.quick(ctx)
	n, err := b.opts.Alerts.CountFlag(qctx, flagger, b.opts.FlagWindow)
	cancel()
	switch {
	case err != nil:
		log.Warn("flag rate limit unavailable (redis); letting the flag through", "error", err.Error())
	case n > b.opts.FlagLimit:
		log.Info("flag refused: rate limit", "flags", n)
		update(fmt.Sprintf("You have flagged %d messages in the last few minutes, so this one was not sent. "+
			"If someone needs help right now, please message a Crisis Response Team member directly.", n-1))
		return
	}
	qctx, cancel = b.quick(ctx)
	won, err := b.opts.Alerts.ClaimFlag(qctx, messageID)
	cancel()
	claimed := err == nil
	switch {
	case err != nil:
		log.Warn("flag de-duplication unavailable (redis); posting the alert anyway", "error", err.Error())
	case !won:
		update("Thank you. This message was already flagged, and the Crisis Response Team has been notified.")
		return
	}
	// The thank-you goes out while the alert is read and posted: the alert
	// does not wait for it, and a follow-up waits for it (Discord takes
	// follow-ups only after the answer).
	thanked := make(chan struct{})
	go func() {
		defer close(thanked)
		defer b.recoverPanic()
		update("Thank you. The Crisis Response Team has been notified and will look into it. You did a kind thing. 💜")
	}()
	defer func() { <-thanked }()
	followUp := func(text string) {
		<-thanked
		b.followUp(ctx, i, text)
	}

	release := func() {
		if !claimed {
			return
		}
		qctx, cancel := b.quick(context.WithoutCancel(ctx))
		defer cancel()
		if err := b.opts.Alerts.ReleaseFlag(qctx, messageID); err != nil {
			log.Warn("flag claim not released; the message can be flagged again in a few minutes", "error", err.Error())
		}
	}
	chID, err1 := snowflake.Parse(channelID)
	msgID, err2 := snowflake.Parse(messageID)
	if err1 != nil || err2 != nil {
		release()
		return
	}
	target, ok := b.flags.take(i.User().ID, msgID)
	if !ok {
		// The menu outlived what this process remembers (a restart):
		// read the message again.
		m, err := b.opts.Rest.GetMessage(chID, msgID, rest.WithCtx(ctx))
		if err != nil {
			release()
			log.Warn("flagged message could not be read", "error", err.Error())
			followUp("I could not read that message (it may have been deleted), so no alert was sent. " +
				"If someone needs help, please message a Crisis Response Team member directly.")
			return
		}
		target = flagTarget{authorID: m.Author.ID, content: m.Content}
	}
	a := alerts.Alert{
		ID: messageID, Severity: sev, GuildID: i.GuildID().String(), ChannelID: channelID, MessageID: messageID,
		UserID: target.authorID.String(), Content: target.content, FlaggedBy: flagger, FlaggedByCRT: b.isCRT(i.Member()),
	}
	if _, err := b.opts.Dispatcher.Dispatch(ctx, a); err != nil {
		release()
		followUp("Something went wrong and the Crisis Response Team could not be notified. " +
			"Please message a team member directly, and contact emergency services if someone is in danger.")
	}
}
