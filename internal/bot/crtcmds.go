package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Subcommands of /ash that follow alerts over time: what is open, a
// person's earlier alerts, and notes for continuity of care. All are the
// CRT's, answered privately.
const (
	SubOpen    = "open"
	SubHistory = "history"
	SubNote    = "note"
)

var (
	openCommand = discord.ApplicationCommandOptionSubCommand{
		Name: SubOpen, Description: "List the alerts not yet resolved, oldest first",
	}
	historyCommand = discord.ApplicationCommandOptionSubCommand{
		Name: SubHistory, Description: "Show a member's earlier alerts privately (none of their messages)",
		Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionUser{Name: "user", Description: "The member", Required: true},
		},
	}
	// Discord's client refuses text over max_length, and the bot checks it
	// again (alerts.CleanNoteText).
	noteCommand = discord.ApplicationCommandOptionSubCommand{
		Name: SubNote, Description: "Add a note to an alert for the team (shown in /ash alert and its thread)",
		Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionString{Name: "alert", Description: "Alert id (from the alert's footer) or alert message id", Required: true},
			discord.ApplicationCommandOptionString{Name: "text", Description: "The note; never shown in reports", Required: true,
				MinLength: intPtr(1), MaxLength: intPtr(alerts.MaxNoteRunes)},
		},
	}
)

func intPtr(n int) *int { return &n }

// Bounds of the lists: how many entries are read, and the room their
// lines may take in one message (Discord: 2000 characters of content),
// leaving space for the heading and the "and N more" line.
const (
	listRead  = 50
	listRoom  = 1800
	noteLines = 10 // notes shown in /ash alert, the newest
)

// crtRead bounds the Redis reads of a deferred command: the person waits
// behind "thinking…", and a Redis that does not answer must give a clear
// answer, not a 15-minute spinner.
const crtRead = 5 * time.Second

// redisTrouble is the answer when Redis fails a read.
func redisTrouble(what string, err error) error {
	return fmt.Errorf("%s: Redis did not answer (%w). Alerts are still posted; try again in a minute", what, err)
}

func (b *Bot) guildOf(i discord.ApplicationCommandInteraction) string {
	if g := i.GuildID(); g != nil {
		return g.String()
	}
	return b.opts.GuildID.String()
}

// openAlertsCommand lists the open alerts, oldest first.
func (b *Bot) openAlertsCommand(ctx context.Context, i discord.ApplicationCommandInteraction) (discord.MessageUpdate, error) {
	rctx, cancel := context.WithTimeout(ctx, crtRead)
	defer cancel()
	open, err := b.opts.Alerts.Open(rctx, listRead)
	if err != nil {
		return discord.MessageUpdate{}, redisTrouble("the open alerts could not be read", err)
	}
	return text(renderOpen(open, b.guildOf(i), b.opts.Clock.Now())), nil
}

func renderOpen(open alerts.OpenAlerts, guild string, now time.Time) string {
	if open.Total == 0 || len(open.Alerts) == 0 {
		return "✅ No open alerts: every alert is resolved."
	}
	var lines []string
	room := listRoom
	for _, st := range open.Alerts {
		l := openLine(st, guild, now)
		if room -= utf8.RuneCountInString(l) + 1; room < 0 {
			break
		}
		lines = append(lines, l)
	}
	head := fmt.Sprintf("**Open alerts: %d** (not resolved, oldest first)", open.Total)
	out := head + "\n" + strings.Join(lines, "\n")
	if more := open.Total - len(lines); more > 0 {
		out += fmt.Sprintf("\n…and %d more.", more)
	}
	return out
}

func openLine(st alerts.State, guild string, now time.Time) string {
	ack := "**not acknowledged**"
	if st.Ack.Done() {
		ack = "acknowledged by " + mention(st.Ack.By)
	}
	l := fmt.Sprintf("%s %s · %s old · %s", alerts.SeverityEmoji(st.Severity), severityName(st.Severity), age(now.Sub(st.CreatedAt)), ack)
	if st.AshStatus == alerts.AshEngaged {
		l += " · Ash is talking with them"
	}
	return l + " · " + alertLink(guild, st)
}

func severityName(s events.Severity) string {
	if s == "" {
		return "unknown severity"
	}
	return string(s)
}

func alertLink(guild string, st alerts.State) string {
	if st.AlertChannelID == "" || st.AlertMessageID == "" {
		return "alert " + st.AlertID
	}
	return "[alert " + st.AlertID + "](" + alerts.JumpURL(guild, st.AlertChannelID, st.AlertMessageID) + ")"
}

// age is a short duration for a list: "45m", "3h 5m", "2d 4h".
func age(d time.Duration) string {
	d = max(d, 0).Truncate(time.Minute)
	switch {
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
}

// personHistoryCommand lists a person's alerts within the alert retention.
// It shows what the CRT did and whether Ash talked with them, never their
// messages (the records hold none).
func (b *Bot) personHistoryCommand(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) (discord.MessageUpdate, error) {
	if b.opts.Metrics == nil {
		return discord.MessageUpdate{}, errors.New("metrics are not available in this deployment, so there is no alert history")
	}
	user, ok := d.OptSnowflake("user")
	if !ok {
		return discord.MessageUpdate{}, errors.New("no member given")
	}
	rctx, cancel := context.WithTimeout(ctx, crtRead)
	defer cancel()
	pa, err := b.opts.Metrics.PersonAlerts(rctx, user.String(), listRead, b.opts.AlertRetention)
	if err != nil {
		return discord.MessageUpdate{}, redisTrouble("the member's alerts could not be read", err)
	}
	ids := make([]string, len(pa.Alerts))
	for n, a := range pa.Alerts {
		ids[n] = a.AlertID
	}
	// The alert states add the source and the alert's channel for the
	// link; without them the history still shows.
	states, err := b.opts.Alerts.LoadMany(rctx, ids)
	if err != nil {
		b.log.Warn("alert states unavailable for /ash history; showing it without sources and links", "error", err.Error())
		states = nil
	}
	return text(renderHistory(user, pa, states, b.guildOf(i), b.opts.AlertRetention)), nil
}

func renderHistory(user snowflake.ID, pa metrics.PersonAlerts, states map[string]alerts.State, guild string, retention time.Duration) string {
	within := "within the alert retention"
	if retention > 0 {
		within = fmt.Sprintf("within the %d-day alert retention", int(retention.Hours()/24))
	}
	if pa.Total == 0 || len(pa.Alerts) == 0 {
		return fmt.Sprintf("No alerts about %s %s.", mention(user.String()), within)
	}
	head := fmt.Sprintf("**Alerts about %s: %d** %s, newest first. None of their messages are kept here.", mention(user.String()), pa.Total, within)
	var lines []string
	room := listRoom
	for _, a := range pa.Alerts {
		l := historyLine(a, states[a.AlertID], guild)
		if room -= utf8.RuneCountInString(l) + 1; room < 0 {
			break
		}
		lines = append(lines, l)
	}
	out := head + "\n" + strings.Join(lines, "\n")
	if more := pa.Total - len(lines); more > 0 {
		out += fmt.Sprintf("\n…and %d earlier.", more)
	}
	return out
}

func historyLine(a *metrics.Alert, st alerts.State, guild string) string {
	source := st.Source
	if source == "" {
		source = "source unknown"
	}
	parts := []string{
		fmt.Sprintf("<t:%d:f> %s %s", a.CreatedAt.Unix(), alerts.SeverityEmoji(events.Severity(a.Severity)), severityName(events.Severity(a.Severity))),
		source,
	}
	switch {
	case a.AcknowledgedAt == nil:
		parts = append(parts, "not acknowledged")
	case a.AcknowledgedBy == a.UserID:
		parts = append(parts, "acknowledged by themselves")
	default:
		parts = append(parts, "acknowledged by "+mention(a.AcknowledgedBy))
	}
	parts = append(parts, ashPart(a))
	if a.ResolvedAt != nil {
		parts = append(parts, "resolved")
	} else {
		parts = append(parts, "**not resolved**")
	}
	link := "alert " + a.AlertID
	if st.AlertChannelID != "" && a.AlertMessageID != "" {
		link = "[alert " + a.AlertID + "](" + alerts.JumpURL(guild, st.AlertChannelID, a.AlertMessageID) + ")"
	}
	return "• " + strings.Join(append(parts, link), " · ")
}

// ashPart says whether Ash talked with the person and how it ended.
func ashPart(a *metrics.Alert) string {
	switch {
	case a.SessionStartedAt != nil && a.SessionEndedAt != nil:
		why, ok := endText[events.EndReason(a.SessionEndReason)]
		if !ok {
			why = a.SessionEndReason
		}
		if events.EndReason(a.SessionEndReason) == events.EndOptedOut {
			why = "they opted out of Ash"
		}
		return fmt.Sprintf("Ash talked with them (%s), ended: %s", age(a.SessionEndedAt.Sub(*a.SessionStartedAt)), why)
	case a.SessionStartedAt != nil:
		return "Ash is talking with them"
	case a.UserOptedOut:
		return "opted out of Ash"
	case a.AshContactedAt != nil:
		return "Ash reached out, no chat"
	}
	return "no Ash chat"
}

// addNoteCommand adds a note to an alert and posts it in the alert's
// thread, pinging nobody.
func (b *Bot) addNoteCommand(ctx context.Context, i discord.ApplicationCommandInteraction, d discord.SlashCommandInteractionData) (discord.MessageUpdate, error) {
	noteText, err := alerts.CleanNoteText(d.String("text"))
	if err != nil {
		return discord.MessageUpdate{}, err
	}
	id := strings.TrimSpace(d.String("alert"))
	rctx, cancel := context.WithTimeout(ctx, crtRead)
	defer cancel()
	st, err := b.opts.Alerts.Load(rctx, id)
	if errors.Is(err, alerts.ErrNotFound) && b.opts.Metrics != nil {
		// Perhaps the alert message's id: the metrics keep that lookup.
		if a, lerr := b.opts.Metrics.AlertByMessage(rctx, id); lerr == nil {
			st, err = b.opts.Alerts.Load(rctx, a.AlertID)
		}
	}
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		return discord.MessageUpdate{}, fmt.Errorf("no alert %s (unknown, or past its retention): the note was not saved", id)
	case err != nil:
		return discord.MessageUpdate{}, redisTrouble("the note was not saved", err)
	}
	by := i.User().ID.String()
	at := b.opts.Clock.Now()
	if err := b.opts.Alerts.AddNote(rctx, st, alerts.Note{By: by, At: at, Text: noteText}); err != nil {
		if errors.Is(err, alerts.ErrTooManyNotes) {
			return discord.MessageUpdate{}, fmt.Errorf("alert %s already has %d notes, the most it keeps; continue in its thread", st.AlertID, alerts.MaxNotes)
		}
		return discord.MessageUpdate{}, redisTrouble("the note was not saved", err)
	}
	// Team.Tell disables every mention: a note can quote anyone.
	b.opts.Team.Tell(ctx, st, fmt.Sprintf("📝 Note from %s:\n%s", mention(by), noteText))
	return text(fmt.Sprintf("📝 Note added to %s; it is in the alert's thread and in `/ash alert %s`.", alertLink(b.guildOf(i), st), st.AlertID)), nil
}

// alertNotes renders an alert's notes for /ash alert, the newest
// noteLines, each shortened so the whole stays inside one message.
func alertNotes(notes []alerts.Note, room int) string {
	if len(notes) == 0 {
		return ""
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n**Notes (%d)**", len(notes))
	shown := notes[max(0, len(notes)-noteLines):]
	if hidden := len(notes) - len(shown); hidden > 0 {
		fmt.Fprintf(&sb, " (the newest %d; %d earlier in the alert's thread)", len(shown), hidden)
	}
	per := max(40, (room-sb.Len())/len(shown)-50)
	for _, n := range shown {
		t := strings.Join(strings.Fields(n.Text), " ")
		if r := []rune(t); len(r) > per {
			t = string(r[:per-1]) + "…"
		}
		who := "someone"
		if n.By != "" {
			who = mention(n.By)
		}
		fmt.Fprintf(&sb, "\n• <t:%d:f> %s: %s", n.At.Unix(), who, t)
	}
	return sb.String()
}
