package report

import (
	"bytes"
	"sort"
	"strings"
	"unicode/utf16"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
)

// Discord's message limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
const (
	MaxEmbedTitle       = 256
	MaxEmbedDescription = 4096
	MaxFieldName        = 256
	MaxFieldValue       = 1024
	MaxFields           = 25
	MaxFooter           = 2048
	MaxEmbedChars       = 6000 // all embeds of one message together
	MaxEmbeds           = 10
)

// ChartImageURL is how the embed refers to the chart attached to the same
// message.
const ChartImageURL = "attachment://" + ChartFile

// EmbedColor is the report's embed colour, the chart's "this week" purple.
const EmbedColor = 0x7B4FBF

// Discord renders the report as a Discord message: embeds that stay inside
// Discord's limits whatever the summary holds, with chart (when not nil)
// attached as ChartFile and shown as the embed image. Responders are
// mentions, which show each reader the member's current name; the allowed
// mentions ping nobody, because a weekly statistic is no reason to notify
// anyone.
//
// The file reader of the returned message is consumed when it is sent:
// build a new message for every attempt.
func Discord(r Report, chart []byte) discord.MessageCreate {
	head := discord.Embed{
		Title:       truncate("📊 "+r.Title, MaxEmbedTitle),
		Description: truncate("Week of "+r.Period, MaxEmbedDescription),
		Color:       EmbedColor,
	}
	footer := &discord.EmbedFooter{Text: truncate(r.Footer, MaxFooter)}
	budget := MaxEmbedChars - discordLen(head.Title) - discordLen(head.Description) - discordLen(footer.Text)

	fixed := packFields(discordSections(r))
	for _, f := range fixed {
		budget -= discordLen(f.Name) + discordLen(f.Value)
	}
	fields := append(fixed, responderFields(r.Responders, noResponders(r), budget)...)

	var embeds []discord.Embed
	for len(fields) > 0 && len(embeds) < MaxEmbeds {
		e := discord.Embed{Color: EmbedColor}
		if len(embeds) == 0 {
			e = head
		}
		n := min(MaxFields, len(fields))
		e.Fields = fields[:n]
		fields = fields[n:]
		embeds = append(embeds, e)
	}
	if len(embeds) == 0 {
		embeds = append(embeds, head)
	}
	if chart != nil {
		embeds[0].Image = &discord.EmbedResource{URL: ChartImageURL}
	}
	embeds[len(embeds)-1].Footer = footer

	msg := discord.MessageCreate{
		Embeds:          embeds,
		AllowedMentions: discordapi.NoMentions(),
	}
	if chart != nil {
		msg.Files = []*discord.File{discord.NewFile(ChartFile,
			"Chart: alerts per day by severity, and median response times", bytes.NewReader(chart))}
	}
	return msg
}

type section struct {
	name  string
	lines []string
}

func discordSections(r Report) []section {
	var alerts []string
	if r.Empty {
		alerts = append(alerts, "No alerts this week"+dChange(r.Total.Change))
	} else {
		alerts = append(alerts, "**Total Alerts: "+r.Total.Text()+"**"+dChange(r.Total.Change))
		for i, s := range r.Severities {
			alerts = append(alerts, branch(i, len(r.Severities))+s.Emoji+" "+s.Label+": "+s.Text()+dChange(s.Change))
		}
		if e := r.Escalations; e.Show {
			alerts = append(alerts, "Needed Escalation: **"+e.Total.Text()+"**"+dChange(e.Total.Change))
			n := len(e.BySeverity) + 1
			for i, s := range e.BySeverity {
				alerts = append(alerts, branch(i, n)+s.Emoji+" "+s.Label+": "+s.Text()+dChange(s.Change))
			}
			alerts = append(alerts, branch(n-1, n)+"Reached Leads: "+e.ToLeads.Text()+dChange(e.ToLeads.Change))
		}
	}

	var times []string
	for _, t := range r.Times {
		times = append(times, "Avg. "+t.Label+": **"+t.Avg.Text+"**"+dChange(t.Avg.Change))
		if r.Empty {
			continue
		}
		detail := "└─ " + plural(t.Count.Value, "alert", "alerts") + dChange(t.Count.Change)
		switch {
		case t.Missing != "":
			detail += " · p50 and p90 " + NotAvailable + " (" + t.Missing + ")"
		case t.Count.Value > 0:
			detail += " · p50 " + t.P50.Text + dChange(t.P50.Change) + " · p90 " + t.P90.Text + dChange(t.P90.Change)
		}
		times = append(times, detail)
	}

	var ash []string
	if r.Empty {
		ash = append(ash, "No Ash sessions this week")
	} else {
		a := r.Ash
		ash = append(ash,
			"Ash Sessions Started: **"+a.Started.Text()+"**"+dChange(a.Started.Change),
			"├─ Manual (button): "+a.Manual.Text()+dChange(a.Manual.Change),
			"├─ Auto-initiated: "+a.Auto.Text()+dChange(a.Auto.Change),
			"└─ User Opted Out: "+a.OptedOut.Text()+dChange(a.OptedOut.Change),
			"Sessions Completed: **"+a.Completed.Text()+"**"+dChange(a.Completed.Change),
			"Avg. Session Duration: **"+a.AvgSession.Text+"**"+dChange(a.AvgSession.Change),
		)
		if a.ShowFollowups {
			ash = append(ash,
				"Check-ins Sent: **"+a.Followups.Text()+"**"+dChange(a.Followups.Change),
				"└─ Answered: "+a.Answered.Text()+dChange(a.Answered.Change),
			)
		}
	}

	busiest := []string{
		"Peak Day: **" + r.PeakDay.Text + "**" + mdLastWeek(r.PeakDay.Previous),
		"Peak Hour (UTC): **" + r.PeakHour.Text + "**" + mdLastWeek(r.PeakHour.Previous),
	}
	return []section{
		{"📈 Alert Summary", alerts},
		{"⏱️ Response Times", times},
		{"🤖 Ash Engagement", ash},
		{"📅 Busiest Times", busiest},
	}
}

const respondersName = "🏆 CRT Responders"

// responderFields lists the responders in as many fields as they need (or
// the none line when there are none),
// within budget characters; those that do not fit are summed up in a last
// line, so a report is never refused for naming too many people.
func responderFields(rs []Responder, none string, budget int) []discord.EmbedField {
	if len(rs) == 0 {
		return packFields([]section{{respondersName, []string{none}}})
	}
	lines := make([]string, len(rs))
	for i, p := range rs {
		lines[i] = responderLine(p)
	}
	fit := func(n int) ([]discord.EmbedField, bool) {
		shown := lines[:n:n]
		if n < len(lines) {
			shown = append(shown, "…and "+plural(int64(len(lines)-n), "more CRT responder", "more CRT responders"))
		}
		fields := packFields([]section{{respondersName, shown}})
		used := 0
		for _, f := range fields {
			used += discordLen(f.Name) + discordLen(f.Value)
		}
		return fields, used <= budget
	}
	if fields, ok := fit(len(lines)); ok {
		return fields
	}
	// Each responder line costs more than the remainder line saves, so the
	// size grows with the number shown and the most that fit can be found
	// by bisection, even for thousands of names.
	n := sort.Search(len(lines), func(n int) bool { _, ok := fit(n); return !ok }) - 1
	fields, _ := fit(max(n, 0))
	return fields
}

// packFields turns sections into embed fields of at most MaxFieldValue
// characters, breaking only between lines; a section that needs several
// fields continues under "<name> (cont.)".
func packFields(sections []section) []discord.EmbedField {
	var out []discord.EmbedField
	for _, s := range sections {
		name := truncate(s.name, MaxFieldName)
		var cur []string
		size := 0
		flush := func() {
			if len(cur) == 0 {
				return
			}
			out = append(out, discord.EmbedField{Name: name, Value: strings.Join(cur, "\n")})
			name = truncate(s.name+" (cont.)", MaxFieldName)
			cur, size = nil, 0
		}
		for _, l := range s.lines {
			l = truncate(l, MaxFieldValue)
			n := discordLen(l)
			if len(cur) > 0 && size+1+n > MaxFieldValue {
				flush()
			}
			if len(cur) > 0 {
				size++
			}
			cur = append(cur, l)
			size += n
		}
		flush()
	}
	return out
}

// dChange is a change in parentheses after a figure, or "" when there is
// nothing to compare with.
func dChange(c *Change) string {
	if c == nil {
		return ""
	}
	return " (" + c.String() + ")"
}

// discordLen counts characters as Discord's limits do, in UTF-16 code
// units: an emoji outside the basic plane counts two. Counting code points
// instead would let a message full of emoji pass here and fail there.
func discordLen(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// truncate cuts s to at most max UTF-16 units, marking the cut with "…".
func truncate(s string, max int) string {
	if discordLen(s) <= max {
		return s
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		l := utf16.RuneLen(r)
		if n+l > max-1 {
			break
		}
		b.WriteRune(r)
		n += l
	}
	b.WriteString("…")
	return b.String()
}
