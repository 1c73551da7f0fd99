package report

import (
	"strings"
)

// Markdown renders the report as GitHub-flavoured Markdown: the same
// sections as Text, with the response times as one table so a lead can
// read count, average, median and 90th percentile side by side.
func Markdown(r Report) string {
	var b strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}

	line("# 📊 ", r.Title)
	line()
	line("**", r.Heading, "**")

	line()
	line("## 📈 Alert Summary")
	line()
	if r.Empty {
		line("No alerts this ", r.Noun, dChange(r.Total.Change))
	} else {
		line("| Severity | Alerts | Since last ", r.Noun, " |")
		line("|---|---:|---|")
		line("| **Total** | **", r.Total.Text(), "** | ", mdCell(r.Total.Change), " |")
		for _, s := range r.Severities {
			line("| ", s.Emoji, " ", s.Label, " | ", s.Text(), " | ", mdCell(s.Change), " |")
		}
		if e := r.Escalations; e.Show {
			line()
			line("- Needed escalation: **", e.Total.Text(), "**", dChange(e.Total.Change))
			for _, s := range e.BySeverity {
				line("  - ", s.Emoji, " ", s.Label, ": ", s.Text(), dChange(s.Change))
			}
			line("  - Reached the leads: ", e.ToLeads.Text(), dChange(e.ToLeads.Change))
		}
	}

	line()
	line("## ⏱️ Response Times")
	line()
	if r.Empty {
		// A table of zero counts would read like measurements.
		for _, t := range r.Times {
			line("- Average ", strings.ToLower(t.Label[:1]), t.Label[1:], ": ", t.Avg.Text)
		}
	} else {
		line("| Time to | Alerts | Average | Median (p50) | 90th percentile (p90) |")
		line("|---|---:|---:|---:|---:|")
		for _, t := range r.Times {
			line("| ", t.Short, " | ", t.Count.Text(), dChange(t.Count.Change),
				" | ", mdDuration(t.Avg), " | ", mdDuration(t.P50), " | ", mdDuration(t.P90), " |")
		}
		if note := missingPercentiles(r); note != "" {
			line()
			line("_", note, "_")
		}
	}

	if len(r.Targets) > 0 {
		line()
		line("## 🎯 Response Targets")
		line()
		line("| Time to | Severity | Target | Met | Since last ", r.Noun, " |")
		line("|---|---|---:|---:|---|")
		var missing []string
		for _, t := range r.Targets {
			line("| ", t.Label, " | ", t.SeverityLabel, " | ", t.WithinText(), " | ", t.Text, pendingNote(t), " | ", mdCell(t.Change), " |")
			if t.Missing != "" {
				missing = append(missing, t.Label+" ("+t.SeverityLabel+"): "+t.Missing)
			}
		}
		if len(missing) > 0 {
			line()
			line("_Not available where alert records have passed their retention (", strings.Join(missing, "; "), "): whether those alerts met the target is unknown._")
		}
	}

	line()
	line("## 🤖 Ash Engagement")
	line()
	if r.Empty {
		line("No Ash sessions this ", r.Noun)
	} else {
		a := r.Ash
		line("- Ash sessions started: **", a.Started.Text(), "**", dChange(a.Started.Change))
		line("  - Manual (button): ", a.Manual.Text(), dChange(a.Manual.Change))
		line("  - Auto-initiated: ", a.Auto.Text(), dChange(a.Auto.Change))
		line("  - User opted out: ", a.OptedOut.Text(), dChange(a.OptedOut.Change))
		line("- Sessions completed: **", a.Completed.Text(), "**", dChange(a.Completed.Change))
		line("- Average session duration: **", a.AvgSession.Text, "**", dChange(a.AvgSession.Change))
		if a.ShowFollowups {
			line("- Follow-up check-ins sent: **", a.Followups.Text(), "**", dChange(a.Followups.Change))
			line("  - Answered: ", a.Answered.Text(), dChange(a.Answered.Change))
		}
	}

	line()
	line("## 📅 Busiest Times")
	line()
	line("- Peak day: **", r.PeakDay.Text, "**", mdLastWeek(r.Noun, r.PeakDay.Previous))
	line("- Peak hour (UTC): **", r.PeakHour.Text, "**", mdLastWeek(r.Noun, r.PeakHour.Previous))

	line()
	line("## 🏆 CRT Responders")
	line()
	if len(r.Responders) == 0 {
		line(noResponders(r))
	}
	for _, p := range r.Responders {
		line(responderLine(p))
	}
	markdownCoverage(&b, r)

	line()
	line("---")
	line()
	line("_", r.Footer, "_")
	return b.String()
}

func mdDuration(d Duration) string { return d.Text + dChange(d.Change) }

// mdCell is a change in a table cell: a dash when there is nothing to
// compare with.
func mdCell(c *Change) string {
	if c == nil {
		return "–"
	}
	return c.String()
}

func mdLastWeek(noun, prev string) string {
	if prev == "" {
		return ""
	}
	return " (last " + noun + ": " + prev + ")"
}
