package report

import (
	"strconv"
	"strings"
)

// Column positions of the plan's 8.2.1 layout, in terminal columns. The
// plan's example is the contract ("line for line"), so its spacing is kept
// exactly, including the Ash counts that end one column right of their
// tree items.
const (
	heavyRule = 59 // ═ lines of the title and footer boxes
	lightRule = 60 // ─ lines under section headers

	alertCountEnd = 25 // counts of the alert summary end here
	timeValueCol  = 29 // durations (and detail counts) start here
	ashCountEnd   = 31 // "Ash Sessions Started", "Sessions Completed"
	ashItemEnd    = 30 // the tree items under "Ash Sessions Started"
	peakValueCol  = 13 // "Peak Day:    Wednesday"
)

// Text renders the report in the plan's 8.2.1 layout. Figures the plan's
// example does not have (time to resolve, counts and percentiles, the
// change since last week) are added as lines or suffixes in the same style,
// so every line of the example still appears, in order, for its data.
func Text(r Report) string {
	var b strings.Builder
	line := func(parts ...string) {
		for _, p := range parts {
			b.WriteString(p)
		}
		b.WriteByte('\n')
	}
	heavy := strings.Repeat("═", heavyRule)
	section := func(header string) {
		line()
		line(header)
		line(strings.Repeat("─", lightRule))
	}

	line(heavy)
	line("📊 ", r.Title)
	line("Week of ", r.Period)
	line(heavy)

	section("📈 ALERT SUMMARY")
	if r.Empty {
		line("No alerts this week", suffix(r.Total.Change))
	} else {
		line(alignRight("Total Alerts:", r.Total.Text(), alertCountEnd), suffix(r.Total.Change))
		for i, s := range r.Severities {
			line(alignRight(branch(i, len(r.Severities))+s.Emoji+" "+s.Label+":", s.Text(), alertCountEnd), suffix(s.Change))
		}
		if e := r.Escalations; e.Show {
			line()
			line(alignRight("Needed Escalation:", e.Total.Text(), alertCountEnd), suffix(e.Total.Change))
			n := len(e.BySeverity) + 1
			for i, s := range e.BySeverity {
				line(alignRight(branch(i, n)+s.Emoji+" "+s.Label+":", s.Text(), alertCountEnd), suffix(s.Change))
			}
			line(alignRight(branch(n-1, n)+"Reached Leads:", e.ToLeads.Text(), alertCountEnd), suffix(e.ToLeads.Change))
		}
	}

	section("⏱️ RESPONSE TIMES")
	for _, t := range r.Times {
		line(padRight("Avg. "+t.Label+":", timeValueCol), t.Avg.Text, suffix(t.Avg.Change))
	}
	if !r.Empty {
		line()
		for _, t := range r.Times {
			line(padRight(t.CountLabel+":", timeValueCol), t.Count.Text(), suffix(t.Count.Change))
			if t.Count.Value == 0 {
				continue
			}
			line(padRight(branch(0, 2)+"Median (p50):", timeValueCol), t.P50.Text, missing(t.Missing), suffix(t.P50.Change))
			line(padRight(branch(1, 2)+"90th Percentile (p90):", timeValueCol), t.P90.Text, suffix(t.P90.Change))
		}
	}

	section("🤖 ASH ENGAGEMENT")
	if r.Empty {
		line("No Ash sessions this week")
	} else {
		a := r.Ash
		line(alignRight("Ash Sessions Started:", a.Started.Text(), ashCountEnd), suffix(a.Started.Change))
		items := []struct {
			label string
			c     Count
		}{{"Manual (button):", a.Manual}, {"Auto-initiated:", a.Auto}, {"User Opted Out:", a.OptedOut}}
		for i, it := range items {
			line(alignRight(branch(i, len(items))+it.label, it.c.Text(), ashItemEnd), suffix(it.c.Change))
		}
		line()
		line(alignRight("Sessions Completed:", a.Completed.Text(), ashCountEnd), suffix(a.Completed.Change))
		line(padRight("Avg. Session Duration:", timeValueCol), a.AvgSession.Text, suffix(a.AvgSession.Change))
		if a.ShowFollowups {
			line()
			line(alignRight("Check-ins Sent:", a.Followups.Text(), ashCountEnd), suffix(a.Followups.Change))
			line(alignRight(branch(0, 1)+"Answered:", a.Answered.Text(), ashItemEnd), suffix(a.Answered.Change))
		}
	}

	section("📅 BUSIEST TIMES")
	line(padRight("Peak Day:", peakValueCol), r.PeakDay.Text, lastWeek(r.PeakDay.Previous))
	line(padRight("Peak Hour:", peakValueCol), r.PeakHour.Text, lastWeek(r.PeakHour.Previous))

	section("🏆 CRT RESPONDERS")
	if len(r.Responders) == 0 {
		line(noResponders(r))
	}
	for _, p := range r.Responders {
		line(responderLine(p))
	}

	line()
	line(heavy)
	line(r.Footer)
	line(heavy)
	return b.String()
}

// branch is the tree prefix of item i of n: "├─ " and, for the last, "└─ ".
func branch(i, n int) string {
	if i == n-1 {
		return "└─ "
	}
	return "├─ "
}

// suffix appends a week-over-week change to a line, or nothing.
func suffix(c *Change) string {
	if c == nil {
		return ""
	}
	return "  (" + c.String() + ")"
}

func lastWeek(prev string) string {
	if prev == "" {
		return ""
	}
	return "  (last week: " + prev + ")"
}

func responderLine(p Responder) string {
	return strconv.Itoa(p.Rank) + ". " + p.Mention + " - " + plural(p.Acknowledgments, "acknowledgment", "acknowledgments")
}

// missing explains, after "not available", why a percentile is not.
func missing(why string) string {
	if why == "" {
		return ""
	}
	return ": " + why
}
