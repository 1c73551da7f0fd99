package bot

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// What happens inside an Ash chat, as the CRT reads it. Alarms (a concern,
// a severity rise, a request for a human) mention the CRT roles and only
// them; every other post pings nobody. Nothing the person wrote is posted,
// except the last three messages of a handoff's context, which are quoted
// as plain text that can neither ping nor format.

// isChatUpdate reports whether u is about what happens inside a chat
// rather than about its start and end, which the alert message shows.
func isChatUpdate(k ash.UpdateKind) bool {
	switch k {
	case ash.Concern, ash.SeverityRise, ash.HandoffRequested, ash.ModelTrouble, ash.SessionNote, ash.FollowupSent, ash.FollowupAnswered:
		return true
	}
	return false
}

func isAlarm(k ash.UpdateKind) bool {
	return k == ash.Concern || k == ash.SeverityRise || k == ash.HandoffRequested
}

// chatUpdate tells the CRT what happened in a chat: in the alert's thread,
// or for a session note in the notes channels when they are set.
func (t *Team) chatUpdate(ctx context.Context, alertID string, u ash.Update) {
	log := t.log.With("alert_id", alertID, "update", updateName(u.Kind))
	st, err := t.store.Load(ctx, alertID)
	if err != nil {
		// Without the alert's state there is no thread to post in. An alarm
		// or a note still reaches the notes channels when there are any.
		if (isAlarm(u.Kind) || u.Kind == ash.SessionNote) && len(t.opts.NotesChannels) > 0 {
			st = alerts.State{AlertID: alertID}
			log.Warn("alert state unavailable: posting in the CRT notes channel instead of the thread", "error", err.Error())
			for _, m := range t.chatMessages(st, u) {
				m.Content = clip(m.Content, maxContent-80) + "\n(Alert " + alertID + ": its thread could not be found.)"
				t.postNotes(ctx, st, m)
			}
			return
		}
		log.Error("Ash update for the CRT lost: alert state unavailable", "error", err.Error())
		return
	}
	msgs := t.chatMessages(st, u)
	if u.Kind == ash.SessionNote && len(t.opts.NotesChannels) > 0 {
		t.postNotes(ctx, st, msgs[0])
		return
	}
	for i, m := range msgs {
		posted, err := t.post(ctx, st, m)
		if err != nil {
			continue // post logged it
		}
		if i == 0 && isAlarm(u.Kind) {
			t.checkPinged(st, m, posted)
		}
	}
}

// postNotes posts m in the first notes channel that takes it; the others
// are fallbacks, so that one summary is never posted twice. When none
// takes it, the alert's thread gets it.
func (t *Team) postNotes(ctx context.Context, st alerts.State, m discord.MessageCreate) {
	log := t.log.With("alert_id", st.AlertID)
	for _, ch := range t.opts.NotesChannels {
		posted, err := t.rest.CreateMessage(ch, m, rest.WithCtx(ctx))
		if err == nil {
			t.checkPinged(st, m, posted)
			return
		}
		log.Warn("could not post in the CRT notes channel; trying the next", "channel_id", ch.String(), "error", err.Error())
	}
	if st.AlertMessageID == "" {
		log.Error("Ash update for the CRT lost: no notes channel took it and the alert's thread is unknown")
		return
	}
	if posted, err := t.post(ctx, st, m); err == nil {
		t.checkPinged(st, m, posted)
	}
}

// checkPinged logs when Discord posted an alarm but notified none of the
// roles it was meant to: a role that is not mentionable is only pinged by
// an author with Mention Everyone
// (https://discord.com/developers/docs/resources/message#allowed-mentions-object).
func (t *Team) checkPinged(st alerts.State, sent discord.MessageCreate, posted *discord.Message) {
	if sent.AllowedMentions == nil || posted == nil {
		return
	}
	var missing []string
	for _, r := range sent.AllowedMentions.Roles {
		found := false
		for _, got := range posted.MentionRoles {
			found = found || got == r
		}
		if !found {
			missing = append(missing, r.String())
		}
	}
	if len(missing) > 0 {
		t.log.Error("Ash alarm posted but the CRT role was NOT pinged: make the role mentionable or give the bot the Mention Everyone permission",
			"alert_id", st.AlertID, "role_ids", strings.Join(missing, ","))
	}
}

// alarm returns a message that pings the CRT roles, and only them.
func (t *Team) alarm(text string) discord.MessageCreate {
	am := discordapi.NoMentions()
	var b strings.Builder
	for _, r := range t.opts.CRTRoles {
		b.WriteString("<@&" + r.String() + "> ")
		am.Roles = append(am.Roles, r)
	}
	return discord.MessageCreate{Content: b.String() + text, AllowedMentions: am}
}

func plain(text string) discord.MessageCreate {
	return discord.MessageCreate{Content: text, AllowedMentions: discordapi.NoMentions()}
}

var topicText = map[string]string{
	"suicide":   "suicide",
	"self_harm": "self-harm",
	"overdose":  "an overdose",
	"plan":      "a plan to end their life",
	"method":    "a way to end their life",
}

var troubleText = map[string]string{
	"rate_limited": "the model's API refused more requests for now (rate limited)",
	"overloaded":   "the model's API is overloaded",
	"server":       "the model's API failed",
	"timeout":      "the model did not answer in time (BOT_ASH_REPLY_TIMEOUT)",
	"unreachable":  "the model's API cannot be reached",
	"bad_request":  "the model's API refused the request (check BOT_ASH_MODEL)",
}

// chatMessages renders u: the first message is the one that pings, when
// any does; a handoff's quoted messages follow in messages of their own.
func (t *Team) chatMessages(st alerts.State, u ash.Update) []discord.MessageCreate {
	who := "the person"
	if st.UserID != "" {
		who = mention(st.UserID)
	}
	switch u.Kind {
	case ash.Concern:
		topic, ok := topicText[u.Topic]
		if !ok {
			topic = "suicide, self-harm or an overdose"
		}
		return []discord.MessageCreate{t.alarm("🚨 " + who + " wrote to Ash of " + topic +
			". Ash added the crisis resources to its reply. Please check in with them.")}
	case ash.SeverityRise:
		was := ""
		if st.Severity != "" {
			was = " (the alert was " + string(st.Severity) + ")"
		}
		return []discord.MessageCreate{t.alarm("🚨 Ash-NLP classified a message " + who + " wrote to Ash as **" +
			string(u.Severity) + "**" + was + ". Please check in with them.")}
	case ash.HandoffRequested:
		return t.handoff(who, u.Handoff)
	case ash.ModelTrouble:
		if u.Detail == "auth" {
			return []discord.MessageCreate{plain("⚠️ Ash switched to its scripted texts: the model's key was refused; fix BOT_ASH_API_KEY.")}
		}
		why, ok := troubleText[u.Detail]
		if !ok {
			why = "the model failed"
		}
		return []discord.MessageCreate{plain("⚠️ Ash answered " + who + " with its fallback text: " + why + ".")}
	case ash.SessionNote:
		return []discord.MessageCreate{plain(t.noteText(st, u.Note))}
	case ash.FollowupSent:
		return []discord.MessageCreate{plain("💌 Ash sent " + who + " a follow-up check-in about this alert.")}
	case ash.FollowupAnswered:
		return []discord.MessageCreate{plain("💬 " + who + " answered Ash's check-in; a new chat with Ash started, linked to this alert.")}
	}
	return nil
}

// handoff renders a request for a human: the alarm with what the CRT
// member taking over needs to know, then the person's last messages.
func (t *Team) handoff(who string, hc *ash.HandoffContext) []discord.MessageCreate {
	text := "🙋 " + who + " asked Ash for a human. Ash told them a CRT member is coming and ended the chat. " +
		"Please reach out to them by DM now."
	if !t.opts.HandoffContext || hc == nil {
		return []discord.MessageCreate{t.alarm(text)}
	}
	text += fmt.Sprintf("\nThey talked with Ash for %s and wrote %d %s.", duration(hc.Duration), hc.Messages, plural(hc.Messages, "message"))
	text += severitiesText(hc.Severities)
	msgs := []discord.MessageCreate{t.alarm(clip(text, maxContent-len(t.alarm("").Content)))}
	last := hc.Last
	if len(last) > maxHandoffQuotes {
		last = last[len(last)-maxHandoffQuotes:]
	}
	if len(last) == 0 {
		return msgs
	}
	quotes := make([]string, len(last))
	for i, m := range last {
		quotes[i] = quote(m)
	}
	head := fmt.Sprintf("Their last %d %s to Ash, oldest first:", len(last), plural(len(last), "message"))
	for _, chunk := range packQuotes(head, quotes, maxContent) {
		m := plain(chunk)
		// A link in their text must not unfurl into a preview either.
		m.Flags = discord.MessageFlagSuppressEmbeds
		msgs = append(msgs, m)
	}
	return msgs
}

// maxSeverities is how many of Ash-NLP's classes a handoff lists one by
// one; a longer chat is summarised by counts, so the alarm stays one
// message.
const maxSeverities = 12

// severitiesText says how the person's messages were classified: each in
// order in a short chat, else how many of each and the last ones in order.
func severitiesText(sev []events.Severity) string {
	if len(sev) == 0 {
		return ""
	}
	names := func(ss []events.Severity) string {
		out := make([]string, len(ss))
		for i, s := range ss {
			out[i] = string(s)
		}
		return strings.Join(out, ", ")
	}
	if len(sev) <= maxSeverities {
		return " Ash-NLP classified them, in order: " + names(sev) + "."
	}
	count := map[events.Severity]int{}
	for _, s := range sev {
		count[s]++
	}
	var parts []string
	for _, s := range []events.Severity{events.Critical, events.High, events.Medium, events.Low} {
		if count[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
			delete(count, s)
		}
	}
	for _, s := range slices.Sorted(maps.Keys(count)) { // classes this version does not know
		parts = append(parts, fmt.Sprintf("%s %d", s, count[s]))
	}
	return fmt.Sprintf(" Ash-NLP classified them: %s; the last %d in order: %s.", strings.Join(parts, ", "), maxSeverities, names(sev[len(sev)-maxSeverities:]))
}

// clip cuts text to at most n characters, marking the cut.
func clip(text string, n int) string {
	rs := []rune(text)
	if len(rs) <= n {
		return text
	}
	return string(rs[:n-1]) + "…"
}

// maxHandoffQuotes is how many of the person's messages a handoff shows,
// never more (issue 11: the last three).
const maxHandoffQuotes = 3

// maxContent is Discord's limit on a message's content
// (https://discord.com/developers/docs/resources/message#create-message).
const maxContent = 2000

// quote renders text the person wrote as a Markdown block quote of plain
// text: Markdown is escaped so it shows as typed, and mentions are broken
// with a zero-width space so that, whatever allowed_mentions says, they
// can never ping.
func quote(text string) string {
	var b strings.Builder
	for i, line := range strings.Split(strings.TrimSpace(text), "\n") {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString("> " + escapePlain(line))
	}
	return b.String()
}

var plainReplacer = strings.NewReplacer(
	`\`, `\\`, "*", `\*`, "_", `\_`, "~", `\~`, "`", "\\`", "|", `\|`, ">", `\>`, "#", `\#`,
	"[", `\[`, "]", `\]`, "(", `\(`, ")", `\)`, "-", `\-`,
	"<@", "<\u200b@", "<#", "<\u200b#", "<:", "<\u200b:", "<t:", "<\u200bt:",
	"@everyone", "@\u200beveryone", "@here", "@\u200bhere",
	"://", ":\u200b//",
)

func escapePlain(s string) string { return plainReplacer.Replace(s) }

// packQuotes puts head and the quotes into as few messages under limit
// characters as they fit in; a quote longer than a message is split.
func packQuotes(head string, quotes []string, limit int) []string {
	var out []string
	cur := head
	for _, q := range quotes {
		for _, part := range splitQuote(q, limit-1) {
			if len([]rune(cur))+1+len([]rune(part)) > limit {
				out = append(out, cur)
				cur = part
				continue
			}
			if cur == "" {
				cur = part
			} else {
				cur += "\n" + part
			}
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// splitQuote cuts a quote into parts of at most n characters, each
// part a quote of its own.
func splitQuote(q string, n int) []string {
	rs := []rune(q)
	var out []string
	for len(rs) > n {
		out = append(out, string(rs[:n]))
		rs = append([]rune("> "), rs[n:]...)
	}
	return append(out, string(rs))
}

// noteText summarises an ended chat: no text of it, and in a notes
// channel no one's id, only the alert and a link to it.
func (t *Team) noteText(st alerts.State, n *ash.Note) string {
	where := "Alert " + st.AlertID
	if t.opts.GuildID != 0 && st.AlertChannelID != "" && st.AlertMessageID != "" {
		where += " (" + alerts.JumpURL(t.opts.GuildID.String(), st.AlertChannelID, st.AlertMessageID) + ")"
	}
	if n == nil {
		return "📝 " + where + ": an Ash chat ended."
	}
	reason, ok := endText[n.Reason]
	if !ok {
		reason = string(n.Reason)
	}
	highest := "none classified"
	if n.Highest != "" {
		highest = string(n.Highest)
	}
	handed := "no"
	if n.HandedOff || n.Reason == events.EndHandoff {
		handed = "yes"
	}
	return fmt.Sprintf("📝 %s: Ash chat summary\n• Duration: %s\n• Messages from the person: %d\n• Ended: %s\n• Highest Ash-NLP class: %s\n• Handed off to the CRT: %s",
		where, duration(n.Duration), n.Messages, reason, highest, handed)
}

// duration writes d for people: "45 s", "12 min", "1 h 05 min".
func duration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", int(d.Round(time.Second)/time.Second))
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d.Round(time.Minute)/time.Minute))
	}
	d = d.Round(time.Minute)
	return fmt.Sprintf("%d h %02d min", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

func plural(n int, word string) string {
	if n == 1 {
		return word
	}
	return word + "s"
}

func updateName(k ash.UpdateKind) string {
	switch k {
	case ash.Concern:
		return "concern"
	case ash.SeverityRise:
		return "severity_rise"
	case ash.HandoffRequested:
		return "handoff_requested"
	case ash.ModelTrouble:
		return "model_trouble"
	case ash.SessionNote:
		return "session_note"
	case ash.FollowupSent:
		return "followup_sent"
	case ash.FollowupAnswered:
		return "followup_answered"
	}
	return "other"
}

// post sends m in the alert's thread, or when the thread cannot take it
// (never opened, deleted, or the bot lacks Send Messages in Threads there)
// in the alert's channel as a reply to the alert, so the team still reads
// it. Its failure is logged here.
func (t *Team) post(ctx context.Context, st alerts.State, m discord.MessageCreate) (*discord.Message, error) {
	log := t.log.With("alert_id", st.AlertID)
	id := st.Thread()
	ch, err := snowflake.Parse(id)
	if err == nil {
		posted, perr := t.rest.CreateMessage(ch, m, rest.WithCtx(ctx))
		if perr == nil {
			return posted, nil
		}
		log.Warn("could not post in the alert thread; replying to the alert instead", "thread_id", id, "error", perr.Error())
	}
	alertCh, err1 := snowflake.Parse(st.AlertChannelID)
	alertMsg, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 != nil || err2 != nil {
		log.Warn("alert has neither thread nor message to post a note on")
		return nil, fmt.Errorf("alert %s has neither thread nor message", st.AlertID)
	}
	m.MessageReference = &discord.MessageReference{MessageID: &alertMsg, ChannelID: &alertCh}
	posted, err := t.rest.CreateMessage(alertCh, m, rest.WithCtx(ctx))
	if err != nil {
		log.Error("note for the CRT lost: neither the alert thread nor the alert channel took it", "error", err.Error())
		return nil, fmt.Errorf("post for alert %s: %w", st.AlertID, err)
	}
	return posted, nil
}
