package alerts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Alert is what the dispatcher needs to post an alert. A member's flag
// produces it, and so does automatic detection (Detection set).
type Alert struct {
	// ID identifies the alert everywhere (state, metrics, buttons). For a
	// flagged message it is the message's id, so one message is alerted
	// once.
	ID       string
	Severity events.Severity
	GuildID  string
	// ChannelID, MessageID and UserID locate the message and name the
	// person concerned.
	ChannelID string
	MessageID string
	UserID    string
	// Content is the message text; only a short excerpt is shown, and it
	// is never stored.
	Content string
	// FlaggedBy is the member who flagged the message, shown only when
	// FlaggedByCRT: a member who flags a friend's message is not named.
	FlaggedBy    string
	FlaggedByCRT bool
	// ChannelSensitivity is the classifier's channel modifier (0 = 1.0).
	ChannelSensitivity float64
	// Detection is what the classifier said; nil for a flagged message.
	Detection *Detection
	// EscalatedFrom is the person's open alert of lower severity that this
	// one escalates; the CRT roles are then mentioned whatever the
	// severity.
	EscalatedFrom *Escalation
}

// Colours of the alert embed: the severity's until someone acknowledges.
const (
	ColorCritical     = 0xDC2626
	ColorHigh         = 0xEA580C
	ColorMedium       = 0xCA8A04
	ColorLow          = 0x16A34A
	ColorAcknowledged = 0x2563EB
	ColorResolved     = 0x6B7280
)

// SeverityColor is the embed colour of a new alert.
func SeverityColor(s events.Severity) int {
	switch s {
	case events.Critical:
		return ColorCritical
	case events.High:
		return ColorHigh
	case events.Medium:
		return ColorMedium
	}
	return ColorLow
}

// SeverityEmoji matches the weekly report's.
func SeverityEmoji(s events.Severity) string {
	switch s {
	case events.Critical:
		return "🔴"
	case events.High:
		return "🟠"
	case events.Medium:
		return "🟡"
	}
	return "🟢"
}

// Embed field names. The status field is rewritten on every change; the
// others are written once.
const (
	FieldPerson    = "Person concerned"
	FieldChannel   = "Channel"
	FieldMessage   = "Message"
	FieldFlaggedBy = "Flagged by"
	FieldSource    = "Source"
	FieldStatus    = "Status"
	// Fields of a detected alert.
	FieldClassifier = "Classifier"
	FieldFactors    = "Key factors"
	FieldSummary    = "Decision summary"
	FieldEscalated  = "Escalated from"
	FieldLate       = "Late"
)

// Discord's embed limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	maxTitle      = 256
	maxFieldValue = 1024
	maxFooter     = 2048
	// maxFactors and the per-factor and summary bounds keep a detected
	// alert far inside the 6000 characters of all embeds together,
	// whatever the classifier sends.
	maxFactors      = 5
	maxFactorRunes  = 150
	maxSummaryRunes = 600
	maxActionRunes  = 60
)

// clip cuts s to n runes, marking the cut.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}

// excerptRunes bounds the quoted message: enough for the CRT to judge
// urgency, short enough that the alert is not a copy of the message.
const excerptRunes = 300

// Excerpt quotes the start of a message for the alert.
func Excerpt(content string) string {
	content = strings.TrimSpace(content)
	if content == "" {
		return "*(no text: the message has only attachments or embeds)*"
	}
	cut := false
	if utf8.RuneCountInString(content) > excerptRunes {
		content = string([]rune(content)[:excerptRunes])
		cut = true
	}
	lines := strings.Split(content, "\n")
	if len(lines) > 8 {
		lines, cut = lines[:8], true
	}
	for i, l := range lines {
		lines[i] = "> " + l
	}
	out := strings.Join(lines, "\n")
	if cut {
		out += "…"
	}
	return out
}

// JumpURL links to a message.
func JumpURL(guildID, channelID, messageID string) string {
	return "https://discord.com/channels/" + guildID + "/" + channelID + "/" + messageID
}

// NewMessage builds the alert message. High and critical alerts mention
// the CRT roles, and allowed_mentions lets exactly those roles ping: the
// person concerned is shown as a mention in the embed (the CRT channel is
// private) but never notified.
func NewMessage(a Alert, crtRoles []snowflake.ID) (discord.MessageCreate, error) {
	source := "🚩 Flagged by a member"
	if a.Detection != nil {
		source = "🤖 Detected automatically"
	}
	fields := []discord.EmbedField{
		{Name: FieldPerson, Value: "<@" + a.UserID + ">", Inline: ptr(true)},
		{Name: FieldChannel, Value: "<#" + a.ChannelID + ">", Inline: ptr(true)},
		{Name: FieldMessage, Value: "[Jump to message](" + JumpURL(a.GuildID, a.ChannelID, a.MessageID) + ")", Inline: ptr(true)},
	}
	sourceField := discord.EmbedField{Name: FieldSource, Value: source, Inline: ptr(true)}
	if a.Detection == nil {
		flagged := "a community member"
		if a.FlaggedBy != "" && a.FlaggedByCRT {
			flagged = "<@" + a.FlaggedBy + "> (CRT)"
		}
		fields = append(fields, discord.EmbedField{Name: FieldFlaggedBy, Value: flagged, Inline: ptr(true)}, sourceField)
	} else {
		fields = append(append(fields, sourceField), detectionFields(*a.Detection)...)
	}
	if e := a.EscalatedFrom; e != nil {
		fields = append(fields, discord.EmbedField{Name: FieldEscalated, Value: clip(fmt.Sprintf(
			"%s %s alert %s: [open alert](%s)", SeverityEmoji(e.Severity), e.Severity, e.AlertID, e.URL), maxFieldValue)})
	}
	fields = append(fields, discord.EmbedField{Name: FieldStatus, Value: statusText(Status{})})
	embed := discord.Embed{
		Title:       clip(fmt.Sprintf("%s %s severity alert", SeverityEmoji(a.Severity), strings.ToUpper(string(a.Severity))), maxTitle),
		Description: Excerpt(a.Content),
		Color:       SeverityColor(a.Severity),
		Fields:      fields,
		Footer:      &discord.EmbedFooter{Text: clip("Alert "+a.ID, maxFooter)},
	}
	comps, err := Buttons(a.ID, a.UserID, Status{})
	if err != nil {
		return discord.MessageCreate{}, err
	}
	msg := discord.MessageCreate{
		Embeds:     []discord.Embed{embed},
		Components: comps,
		// Ping nobody unless a role is listed below.
		AllowedMentions: discordapi.NoMentions(),
	}
	if (a.Severity.Rank() >= events.High.Rank() || a.EscalatedFrom != nil) && len(crtRoles) > 0 {
		mentions := make([]string, len(crtRoles))
		for i, r := range crtRoles {
			mentions[i] = "<@&" + r.String() + ">"
		}
		what := " severity alert: please respond."
		if a.EscalatedFrom != nil {
			what = " severity alert, escalated from " + string(a.EscalatedFrom.Severity) + ": please respond."
		}
		msg.Content = strings.Join(mentions, " ") + " " + strings.ToLower(string(a.Severity)) + what
		msg.AllowedMentions.Roles = crtRoles
	}
	return msg, nil
}

func ptr[T any](v T) *T { return &v }

// AshStatus is Ash's part in an alert, as the alert message shows it.
type AshStatus string

// Ash statuses. Ended ones carry the end reason: "ended:timeout".
const (
	AshNone        AshStatus = ""
	AshEngaged     AshStatus = "engaged"
	AshOptedOut    AshStatus = "opted_out"   // the person opted out during the chat
	AshDeclined    AshStatus = "declined"    // not contacted: opted out earlier
	AshUnreachable AshStatus = "unreachable" // DMs closed
	ashEndedPrefix           = "ended:"
)

// AshEnded is the status of a chat that ended for reason.
func AshEnded(reason events.EndReason) AshStatus { return AshStatus(ashEndedPrefix + string(reason)) }

// EndReason returns the reason of an ended chat, or "".
func (s AshStatus) EndReason() events.EndReason {
	r, _ := strings.CutPrefix(string(s), ashEndedPrefix)
	if r == string(s) {
		return ""
	}
	return events.EndReason(r)
}

// Status is what the alert message shows of the alert loop.
type Status struct {
	Ack, Contact, Resolve Claim
	Ash                   AshStatus
	AshAt                 time.Time
}

// Answered reports whether someone acknowledged, asked Ash to reach out
// or resolved the alert.
func (st Status) Answered() bool { return st.Ack.Done() || st.Contact.Done() || st.Resolve.Done() }

func when(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return " <t:" + strconv.FormatInt(t.Unix(), 10) + ":R>"
}

// Lines of the status field. Their fixed beginnings are what ParseStatus
// reads back when Redis cannot say.
const (
	lineWaiting  = "⏳ Not acknowledged yet"
	lineAck      = "✅ Acknowledged by "
	lineResolved = "☑️ Resolved by "
	lineAsh      = "🤖 "
)

var endReasonText = map[events.EndReason]string{
	events.EndCompleted:   "the alert was resolved",
	events.EndUserEnded:   "they ended the chat",
	events.EndTimeout:     "no reply for a while",
	events.EndMaxDuration: "it reached the maximum length",
	events.EndHandoff:     "a CRT member took over",
	events.EndOptedOut:    "they opted out of Ash",
	events.EndError:       "an error",
}

func ashText(st Status) string {
	by := "automatically"
	if st.Contact.By != "" && st.Contact.By != events.AutoBy {
		by = "by <@" + st.Contact.By + ">"
	}
	switch st.Ash {
	case AshEngaged:
		return "Ash is talking with them (started " + by + ")" + when(st.AshAt)
	case AshOptedOut:
		return "They opted out of Ash; Ash will not contact them again for now" + when(st.AshAt)
	case AshDeclined:
		return "Ash did not contact them: they opted out of Ash" + when(st.AshAt)
	case AshUnreachable:
		return "Ash could not reach them: their DMs are closed" + when(st.AshAt)
	}
	if r := st.Ash.EndReason(); r != "" {
		text, ok := endReasonText[r]
		if !ok {
			text = string(r)
		}
		return "Ash's chat ended: " + text + when(st.AshAt)
	}
	return ""
}

func statusText(st Status) string {
	var lines []string
	if st.Ack.Done() {
		lines = append(lines, lineAck+"<@"+st.Ack.By+">"+when(st.Ack.At))
	} else {
		lines = append(lines, lineWaiting)
	}
	if t := ashText(st); t != "" {
		lines = append(lines, lineAsh+t)
	}
	if st.Resolve.Done() {
		lines = append(lines, lineResolved+"<@"+st.Resolve.By+">"+when(st.Resolve.At))
	}
	return strings.Join(lines, "\n")
}

var (
	reAck      = regexp.MustCompile(`^` + regexp.QuoteMeta(lineAck) + `<@(\d+)>(?: <t:(\d+):R>)?`)
	reResolved = regexp.MustCompile(`^` + regexp.QuoteMeta(lineResolved) + `<@(\d+)>(?: <t:(\d+):R>)?`)
	reStarted  = regexp.MustCompile(`\(started by <@(\d+)>\)`)
)

// ParseStatus reads the status an alert message shows. It is the fallback
// when Redis is unavailable: the message is then the only record of who
// acknowledged or resolved the alert. Times are to the second.
func ParseStatus(e discord.Embed) Status {
	var st Status
	for _, f := range e.Fields {
		if f.Name != FieldStatus {
			continue
		}
		for _, line := range strings.Split(f.Value, "\n") {
			if m := reAck.FindStringSubmatch(line); m != nil {
				st.Ack = Claim{By: m[1], At: unix(m[2])}
			}
			if m := reResolved.FindStringSubmatch(line); m != nil {
				st.Resolve = Claim{By: m[1], At: unix(m[2])}
			}
			if rest, ok := strings.CutPrefix(line, lineAsh); ok {
				if m := reStarted.FindStringSubmatch(rest); m != nil {
					st.Contact.By = m[1]
				} else if strings.Contains(rest, "(started automatically)") {
					st.Contact.By = events.AutoBy
				}
				if strings.HasPrefix(rest, "Ash is talking with them") {
					st.Ash = AshEngaged
				}
			}
		}
	}
	return st
}

func unix(s string) time.Time {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.Unix(n, 0).UTC()
}

// Render returns the alert embed e showing st: the status field rewritten
// and the colour of the loop's stage. Everything else (excerpt, person,
// links) is kept from e, which is why updates start from the posted message.
func Render(e discord.Embed, st Status) discord.Embed {
	out := e
	out.Fields = make([]discord.EmbedField, 0, len(e.Fields)+1)
	found := false
	for _, f := range e.Fields {
		if f.Name == FieldStatus {
			f.Value = statusText(st)
			found = true
		}
		out.Fields = append(out.Fields, f)
	}
	if !found {
		out.Fields = append(out.Fields, discord.EmbedField{Name: FieldStatus, Value: statusText(st)})
	}
	switch {
	case st.Resolve.Done():
		out.Color = ColorResolved
	case st.Ack.Done():
		out.Color = ColorAcknowledged
	}
	return out
}

// Buttons returns the alert's buttons for st. Acknowledge is disabled once
// done; while Ash is talking with the person, Talk to Ash becomes "Take
// over from Ash" (a CRT handoff); a resolved alert keeps no live buttons.
func Buttons(alertID, userID string, st Status) ([]discord.LayoutComponent, error) {
	resolved := st.Resolve.Done()
	ack := discord.NewPrimaryButton("Acknowledge", ButtonID(ActionAcknowledge, alertID, userID))
	if st.Ack.Done() {
		ack = ack.WithLabel("Acknowledged")
	}
	ack.Disabled = st.Ack.Done() || resolved

	var ash discord.ButtonComponent
	if st.Ash == AshEngaged && !resolved {
		ash = discord.NewDangerButton("Take over from Ash", ButtonID(ActionTakeOver, alertID, userID))
	} else {
		ash = discord.NewSecondaryButton("Talk to Ash", ButtonID(ActionTalkToAsh, alertID, userID))
		// A contact that could not happen (DMs closed, opted out) may be
		// tried again later.
		tried := st.Ash == AshUnreachable || st.Ash == AshDeclined
		ash.Disabled = (st.Contact.Done() && !tried) || resolved
	}

	res := discord.NewSuccessButton("Resolve", ButtonID(ActionResolve, alertID, userID))
	if resolved {
		res = res.WithLabel("Resolved")
	}
	res.Disabled = resolved

	for _, b := range []discord.ButtonComponent{ack, ash, res} {
		if err := checkCustomID(b.CustomID); err != nil {
			return nil, err
		}
	}
	return []discord.LayoutComponent{discord.NewActionRow(ack, ash, res)}, nil
}

// Update builds the edit that shows st on the alert message m.
func Update(m discord.Message, alertID, userID string, st Status) (discord.MessageUpdate, error) {
	if len(m.Embeds) == 0 {
		return discord.MessageUpdate{}, fmt.Errorf("alert message %s has no embed", m.ID)
	}
	embeds := append([]discord.Embed{Render(m.Embeds[0], st)}, m.Embeds[1:]...)
	comps, err := Buttons(alertID, userID, st)
	if err != nil {
		return discord.MessageUpdate{}, err
	}
	return discord.MessageUpdate{Embeds: &embeds, Components: &comps}, nil
}

var (
	reSeverity = regexp.MustCompile(`\b(LOW|MEDIUM|HIGH|CRITICAL) severity alert`)
	reChannel  = regexp.MustCompile(`^<#(\d+)>$`)
)

// CreatedFromMessage rebuilds the alert_created event of the alert message
// m. A click that finds no alert state sends it ahead of its own event:
// the dispatcher's alert_created may still be on its way (or stuck in
// another replica's outbox), and the recorder rejects an acknowledgment of
// an alert it does not know. A duplicate alert_created changes nothing.
func CreatedFromMessage(m discord.Message, btn Button) (events.Event, bool) {
	if len(m.Embeds) == 0 {
		return events.Event{}, false
	}
	e := m.Embeds[0]
	sev := reSeverity.FindStringSubmatch(e.Title)
	var channel string
	for _, f := range e.Fields {
		if f.Name == FieldChannel {
			if c := reChannel.FindStringSubmatch(f.Value); c != nil {
				channel = c[1]
			}
		}
	}
	if sev == nil || channel == "" {
		return events.Event{}, false
	}
	ev := events.Event{
		Type: events.AlertCreated, AlertID: btn.AlertID, At: m.ID.Time(), AlertMessageID: m.ID.String(),
		UserID: btn.UserID, ChannelID: channel, Severity: events.Severity(strings.ToLower(sev[1])),
	}
	return ev, ev.Validate() == nil
}

// ButtonOf finds the alert button on m, to learn the alert and person ids
// of an alert message (the thread starter, when Redis cannot say).
func ButtonOf(m discord.Message) (Button, bool) {
	for _, layout := range m.Components {
		row, ok := layout.(discord.ActionRowComponent)
		if !ok {
			continue
		}
		for _, c := range row.Components {
			if b, ok := ParseButtonID(c.GetCustomID()); ok {
				return b, true
			}
		}
	}
	return Button{}, false
}
