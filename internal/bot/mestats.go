package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/report"
)

// SubStats is /ash-me stats: a CRT member's own volunteer load.
const SubStats = "stats"

// statsOption is /ash-me stats's period choice.
func statsOption() discord.ApplicationCommandOption {
	return discord.ApplicationCommandOptionSubCommand{
		Name: SubStats, Description: "Crisis Response Team members: your own figures for the last week or month",
		Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionString{Name: "period", Description: "week (default) or month",
				Choices: []discord.ApplicationCommandOptionChoiceString{
					{Name: "last week", Value: string(report.Week)}, {Name: "last month", Value: string(report.Month)},
				}},
		},
	}
}

// myStats answers /ash-me stats: the member's own line of the volunteer
// load of the last whole week or month, the same figures a lead sees with
// /ash report responders:true. Only CRT members have figures, and roles
// are known in the server only, so in a DM the member is asked to run it
// there. Nobody else's figures are shown and nobody is pinged.
func (b *Bot) myStats(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) (string, error) {
	if b.opts.Reports == nil {
		return "", errors.New("reports are not available in this deployment")
	}
	m := i.Member()
	if m == nil {
		return "Your figures are for Crisis Response Team members: run `/ash-me stats` in the server, where the bot can see your roles.", nil
	}
	if !b.isCRT(m) {
		return "`/ash-me stats` shows a Crisis Response Team member's own figures; you do not have a CRT role.", nil
	}
	p := report.Week
	if s, ok := d.OptString("period"); ok && s != "" {
		var err error
		if p, err = report.ParsePeriod(s); err != nil || p == report.Quarter {
			return "", errors.New("period must be week or month")
		}
	}
	span := p.LastBefore(b.opts.Clock.Now())
	r, err := b.opts.Reports.BuildPeriod(ctx, span)
	if err != nil {
		return "", errors.New("your figures could not be read just now (is Redis answering?); please try again in a minute")
	}
	return myLoadText(r, m.User.ID.String()), nil
}

// myLoadText is the member's own load in r, or that they have none.
func myLoadText(r report.Report, userID string) string {
	head := "**Your figures, " + r.Heading + "** (night hours " + r.Load.NightLabel() + ")\n"
	mine := ownLoad(r.Load, userID)
	if mine == nil {
		return head + "No acknowledgments, first responses or resolutions by you this " + r.Noun + ". Thank you for being on the team. 💜"
	}
	line := report.LoadLines(report.Load{Members: mine, Missing: r.Load.Missing})[0]
	// The line starts with the member's mention: "you" reads better in a
	// private answer.
	_, figures, _ := strings.Cut(line, ": ")
	out := head + figures + "."
	if r.Load.Missing != "" {
		out += "\n_First responses, resolutions, handoffs and night-hour alerts are not available: " + r.Load.Missing + "._"
	}
	return out
}

// ownLoad is l's entry of userID, alone.
func ownLoad(l report.Load, userID string) []report.MemberLoad {
	for _, m := range l.Members {
		if m.UserID == userID {
			return []report.MemberLoad{m}
		}
	}
	return nil
}
