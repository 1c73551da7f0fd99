package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/omit"

	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
)

// AshCommand is the slash command group of the CRT's tools.
const AshCommand = "ash"

// Subcommands of /ash.
const (
	SubReport  = "report"
	SubAlert   = "alert"
	SubStorage = "storage"
	SubCleanup = "cleanup"
)

// Commands returns the bot's application commands. /ash is hidden from
// members without perms (Discord's default_member_permissions; admins can
// grant it to the CRT role) and usable in servers only; the bot checks the
// CRT and admin roles again when it runs, because the permission is only
// a default that server settings can change.
func Commands(perms discord.Permissions) []discord.ApplicationCommandCreate {
	guildOnly := []discord.InteractionContextType{discord.InteractionContextTypeGuild}
	return []discord.ApplicationCommandCreate{
		discord.MessageCommandCreate{Name: FlagCommand, Contexts: guildOnly},
		discord.SlashCommandCreate{
			Name:                     AshCommand,
			Description:              "Crisis Response Team tools",
			DefaultMemberPermissions: omit.NewPtr(perms),
			Contexts:                 guildOnly,
			Options: []discord.ApplicationCommandOption{
				discord.ApplicationCommandOptionSubCommand{
					Name: SubReport, Description: "Show the CRT report privately, or post the weekly one to the report channel",
					Options: []discord.ApplicationCommandOption{
						discord.ApplicationCommandOptionString{Name: "end_date", Description: "Last UTC day of the week, or any day of the month or quarter, YYYY-MM-DD"},
						discord.ApplicationCommandOptionBool{Name: "post", Description: "Post it to the report channel instead of showing it to you"},
						discord.ApplicationCommandOptionString{Name: "period", Description: "Week (default), calendar month or quarter (UTC)",
							Choices: []discord.ApplicationCommandOptionChoiceString{
								{Name: "week", Value: string(report.Week)}, {Name: "month", Value: string(report.Month)}, {Name: "quarter", Value: string(report.Quarter)},
							}},
						discord.ApplicationCommandOptionBool{Name: "responders", Description: "Show every CRT member's load instead of the report"},
					},
				},
				discord.ApplicationCommandOptionSubCommand{
					Name: SubAlert, Description: "Show one alert's timeline privately",
					Options: []discord.ApplicationCommandOption{
						discord.ApplicationCommandOptionString{Name: "alert_id", Description: "Alert id (from the alert's footer) or alert message id", Required: true},
					},
				},
				discord.ApplicationCommandOptionSubCommand{Name: SubStorage, Description: "Show what the bot keeps in Redis"},
				openCommand,
				historyCommand,
				noteCommand,
				discord.ApplicationCommandOptionSubCommand{
					Name: SubCleanup, Description: "Run the data retention cleanup now (admins)",
					Options: []discord.ApplicationCommandOption{
						discord.ApplicationCommandOptionBool{Name: "dry_run", Description: "Only report what would be removed"},
					},
				},
				optOutOption(),
				statusOption(), configOption(),
			},
		},
	}
}

// adminOnly are the subcommands for bot administrators: cleanup deletes
// data, and the settings name every id and address the bot uses.
func adminOnly(sub string) bool { return sub == SubCleanup || sub == SubConfig }

func (b *Bot) onAshCommand(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) {
	m := i.Member()
	log := b.log.With("command", d.CommandPath(), "interaction_id", i.ID().String())
	sub := ""
	if d.SubCommandName != nil {
		sub = *d.SubCommandName
	}
	// Reports, timelines and storage are the CRT's (a timeline names the
	// person in crisis); cleanup deletes data, which is the admins' call.
	switch {
	case adminOnly(sub) && !b.isAdmin(m):
		log.Info("command refused: not an admin")
		b.private(ctx, i, "Only bot administrators can run /ash "+sub+".")
		return
	case !adminOnly(sub) && !b.isCRT(m):
		log.Info("command refused: not CRT")
		b.private(ctx, i, refusalCRT)
		return
	}
	// Everything below reads Redis or builds a report: answer within
	// Discord's three seconds by deferring, privately.
	if err := b.deferPrivate(ctx, i); err != nil {
		log.Warn("could not defer a command", "error", err.Error())
		return
	}
	var u discord.MessageUpdate
	var err error
	switch sub {
	case SubReport:
		u, err = b.reportCommand(ctx, d)
	case SubAlert:
		u, err = b.alertCommand(ctx, d.String("alert_id"))
	case SubStorage:
		u, err = b.storageCommand(ctx)
	case SubCleanup:
		u, err = b.cleanupCommand(ctx, d.Bool("dry_run"))
	case SubOptOut:
		u, err = b.optOutCommand(ctx, i, d)
	case SubStatus:
		u, err = b.statusCommand(ctx)
	case SubConfig:
		u, err = b.configCommand(b.opts.Config)
	case SubOpen:
		u, err = b.openAlertsCommand(ctx, i)
	case SubHistory:
		u, err = b.personHistoryCommand(ctx, i, d)
	case SubNote:
		u, err = b.addNoteCommand(ctx, i, d)
	default:
		err = fmt.Errorf("unknown subcommand %q", sub)
	}
	if err != nil {
		log.Warn("command failed", "error", err.Error())
		b.finishText(ctx, i, "⚠️ "+err.Error())
		return
	}
	log.Info("command done")
	b.finish(ctx, i, u)
}

func text(s string) discord.MessageUpdate { return discord.MessageUpdate{Content: &s} }

func (b *Bot) reportCommand(ctx context.Context, d discord.SlashCommandInteractionData) (discord.MessageUpdate, error) {
	if b.opts.Reports == nil {
		return discord.MessageUpdate{}, errors.New("the weekly report is not available in this deployment")
	}
	p, err := report.ParsePeriod(d.String("period"))
	if err != nil {
		return discord.MessageUpdate{}, err
	}
	var endDay time.Time
	if s, ok := d.OptString("end_date"); ok && s != "" {
		t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
		if err != nil {
			return discord.MessageUpdate{}, fmt.Errorf("end_date %q is not a date like 2026-01-07", s)
		}
		endDay = t
	}
	span, err := report.Choose(p, endDay, b.opts.Clock.Now())
	if err != nil {
		return discord.MessageUpdate{}, err
	}
	end := span.Last
	week := span.First.Format(time.DateOnly) + " to " + end.Format(time.DateOnly)
	if d.Bool("post") {
		if p != report.Week {
			// The report channel gets the weekly report on its schedule; a
			// month or quarter is for a lead to read, privately.
			return discord.MessageUpdate{}, errors.New("only the weekly report is posted to the report channel; leave out post to see the " + p.Noun() + " privately")
		}
		if len(b.opts.ReportChannels) == 0 {
			return discord.MessageUpdate{}, errors.New("no report channel is configured (BOT_WEEKLY_REPORT_CHANNEL_ID)")
		}
		if err := b.opts.Reports.Post(ctx, end, b.opts.ReportChannels); err != nil {
			return discord.MessageUpdate{}, fmt.Errorf("the report for %s was not posted everywhere: %w", week, err)
		}
		where := make([]string, len(b.opts.ReportChannels))
		for i, ch := range b.opts.ReportChannels {
			where[i] = "<#" + ch + ">"
		}
		return text("Posted the weekly report for " + week + " to " + strings.Join(where, ", ") + "."), nil
	}
	r, err := b.opts.Reports.BuildPeriod(ctx, span)
	if err != nil {
		return discord.MessageUpdate{}, fmt.Errorf("the report for %s could not be built: %w", week, err)
	}
	if d.Bool("responders") {
		return loadMessage(r), nil
	}
	chart, err := report.PNG(r)
	if err != nil {
		b.log.Warn("report chart failed; showing the report without it", "error", err.Error())
		chart = nil
	}
	msg := report.Discord(r, chart)
	if r.Coverage != nil {
		if heat, err := report.HeatmapPNG(r); err != nil {
			b.log.Warn("report heatmap failed; showing the report without it", "error", err.Error())
		} else {
			msg.Files = append(msg.Files, report.HeatmapAttachment(heat))
		}
	}
	return discord.MessageUpdate{Embeds: &msg.Embeds, Files: msg.Files, AllowedMentions: msg.AllowedMentions}, nil
}

func (b *Bot) alertCommand(ctx context.Context, id string) (discord.MessageUpdate, error) {
	if b.opts.Metrics == nil {
		return discord.MessageUpdate{}, errors.New("metrics are not available in this deployment")
	}
	id = strings.TrimSpace(id)
	a, err := b.opts.Metrics.Alert(ctx, id)
	if errors.Is(err, metrics.ErrNotFound) {
		a, err = b.opts.Metrics.AlertByMessage(ctx, id)
	}
	if errors.Is(err, metrics.ErrNotFound) {
		return discord.MessageUpdate{}, fmt.Errorf("no alert %s (unknown, or past its retention)", id)
	}
	if err != nil {
		return discord.MessageUpdate{}, fmt.Errorf("alert %s could not be read: %w", id, err)
	}
	timeline := alertTimeline(a)
	notes, err := b.opts.Alerts.Notes(ctx, a.AlertID)
	if err != nil {
		b.log.Warn("notes of an alert unavailable", "alert_id", a.AlertID, "error", err.Error())
		return text(timeline + "\n⚠️ The alert's notes could not be read."), nil
	}
	return text(timeline + alertNotes(notes, maxBlock-utf8.RuneCountInString(timeline))), nil
}

// alertTimeline renders an alert's record for the CRT. It names the person
// concerned: it is only ever shown privately to CRT members.
func alertTimeline(a *metrics.Alert) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "**Alert %s** (%s): %s in <#%s>, posted <t:%d:f>\n", a.AlertID, a.Severity, mention(a.UserID), a.ChannelID, a.CreatedAt.Unix())
	step := func(name string, at *time.Time, secs *int64, by string) {
		if at == nil {
			fmt.Fprintf(&sb, "• %s: —\n", name)
			return
		}
		fmt.Fprintf(&sb, "• %s: <t:%d:f>", name, at.Unix())
		if secs != nil {
			fmt.Fprintf(&sb, " (+%s)", (time.Duration(*secs) * time.Second).String())
		}
		switch by {
		case "":
		case events.AutoBy:
			sb.WriteString(" automatically")
		default:
			sb.WriteString(" by " + mention(by))
		}
		sb.WriteString("\n")
	}
	step("Acknowledged", a.AcknowledgedAt, a.TimeToAcknowledgeSeconds, a.AcknowledgedBy)
	step("Ash contacted", a.AshContactedAt, a.TimeToAshSeconds, a.AshContactedBy)
	step("Opted out of Ash", a.UserOptedOutAt, nil, "")
	step("First human response", a.FirstResponseAt, a.TimeToResponseSeconds, a.FirstResponseBy)
	step("Resolved", a.ResolvedAt, a.TimeToResolveSeconds, a.ResolvedBy)
	if a.SessionStartedAt != nil {
		step("Ash session started", a.SessionStartedAt, nil, "")
		step("Ash session ended", a.SessionEndedAt, a.SessionSeconds, "")
		if a.SessionEndReason != "" {
			fmt.Fprintf(&sb, "• Session end reason: %s\n", a.SessionEndReason)
		}
	}
	if a.ExpiresAt != nil {
		fmt.Fprintf(&sb, "Record expires <t:%d:D>.", a.ExpiresAt.Unix())
	}
	return sb.String()
}

func (b *Bot) storageCommand(ctx context.Context) (discord.MessageUpdate, error) {
	if b.opts.Storage == nil {
		return discord.MessageUpdate{}, errors.New("storage stats are not available in this deployment")
	}
	st, err := b.opts.Storage.Collect(ctx)
	if err != nil {
		return discord.MessageUpdate{}, fmt.Errorf("storage stats could not be collected: %w", err)
	}
	var buf bytes.Buffer
	if err := storagestats.WriteText(&buf, st); err != nil {
		return discord.MessageUpdate{}, err
	}
	return block("Storage", "storage.txt", buf.String()), nil
}

func (b *Bot) cleanupCommand(ctx context.Context, dryRun bool) (discord.MessageUpdate, error) {
	if b.opts.Cleaner == nil {
		return discord.MessageUpdate{}, errors.New("cleanup is not available in this deployment")
	}
	rep, err := b.opts.Cleaner.Run(ctx, retention.Options{DryRun: dryRun})
	var buf bytes.Buffer
	if werr := rep.WriteText(&buf); werr != nil {
		return discord.MessageUpdate{}, werr
	}
	title := "Cleanup"
	if err != nil {
		title = "Cleanup did not finish: " + err.Error()
	}
	return block(title, "cleanup.txt", buf.String()), nil
}

// maxBlock keeps a code block and its title inside Discord's 2000
// characters for content; longer output is attached as a file instead.
// maxTitle bounds the title shown (an error's text can be long); a longer
// one is shortened and given whole at the top of the file.
const (
	maxBlock = 1900
	maxTitle = 200
)

func block(title, file, body string) discord.MessageUpdate {
	body = strings.TrimRight(body, "\n")
	shown := title
	if r := []rune(title); len(r) > maxTitle {
		shown = string(r[:maxTitle-1]) + "…"
	}
	if shown == title && utf8.RuneCountInString(title)+utf8.RuneCountInString(body)+12 <= maxBlock {
		return text("**" + title + "**\n```\n" + body + "\n```")
	}
	if shown != title {
		body = title + "\n\n" + body
	}
	content := "**" + shown + "** (attached)"
	return discord.MessageUpdate{Content: &content, Files: []*discord.File{discord.NewFile(file, "", io.Reader(strings.NewReader(body)))}}
}
