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
	line("**Week of ", r.Period, "**")

	line()
	line("## 📈 Alert Summary")
	line()
	if r.Empty {
		line("No alerts this week", dChange(r.Total.Change))
	} else {
		line("| Severity | Alerts | Since last week |")
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

	line()
	line("## 🤖 Ash Engagement")
	line()
	if r.Empty {
		line("No Ash sessions this week")
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
	line("- Peak day: **", r.PeakDay.Text, "**", mdLastWeek(r.PeakDay.Previous))
	line("- Peak hour (UTC): **", r.PeakHour.Text, "**", mdLastWeek(r.PeakHour.Previous))

	line()
	line("## 🏆 CRT Responders")
	line()
	if len(r.Responders) == 0 {
		line(noResponders(r))
	}
	for _, p := range r.Responders {
		line(responderLine(p))
	}

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

func mdLastWeek(prev string) string {
	if prev == "" {
		return ""
	}
	return " (last week: " + prev + ")"
}
