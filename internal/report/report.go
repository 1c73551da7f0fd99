// Package report turns a week's metrics summary into the weekly CRT report
// (phase8-plan.md step 8.2): one content model, built once by Build, and the
// renderers that lay it out as text, Markdown, JSON, a Discord message and
// a PNG chart.
//
// Every figure is decided here, not in the renderers: what reads "no data",
// what reads "No alerts this week", and how each figure moved since the week
// before. Renderers only arrange what the model says, so the CLI, the
// scheduled post and the slash command can never disagree about a number.
//
// The person in crisis never appears: the summary holds no id, name or
// message of theirs, and the only people the model names are CRT
// responders, by Discord mention.
package report

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Title heads every rendering of the weekly report; TitleOf names the
// others.
const Title = "Weekly Crisis Response Report"

// TitleOf is the title of a report over period p.
func TitleOf(p Period) string {
	switch p {
	case Month:
		return "Monthly Crisis Response Report"
	case Quarter:
		return "Quarterly Crisis Response Report"
	}
	return Title
}

// Options are the parts of a report that do not come from metrics.
type Options struct {
	// Version is the ashbot version named in the footer, e.g. "v1.4.0".
	Version string
	// Period is what the summaries cover; "" is Week.
	Period Period
	// Targets are the response targets to measure (BOT_REPORT_TARGETS).
	Targets []Target
	// Now is when the report is built: an alert whose target time has not
	// passed by then is pending, not missed. Zero counts every alert.
	Now time.Time
	// Zone is the time zone of the night hours of the volunteer load;
	// nil is UTC.
	Zone *time.Location
}

// Direction says how a figure moved since the previous week.
type Direction int

// Directions of a Change.
const (
	Same Direction = iota
	Up
	Down
)

func (d Direction) String() string {
	switch d {
	case Up:
		return "up"
	case Down:
		return "down"
	}
	return "same"
}

// Change compares a figure with the previous week's.
type Change struct {
	Direction Direction
	// Previous is last week's value as the report shows it ("9", "3m 10s").
	Previous string
	// Noun names the period compared with: "week" (when empty), "month".
	Noun string
}

// String reads "up from 9", "down from 3m 10s" or "same as last week".
func (c Change) String() string {
	if c.Direction == Same {
		return "same as last " + Period(c.Noun).Noun()
	}
	return c.Direction.String() + " from " + c.Previous
}

// Count is a counted figure. Counts are measurements even when zero, as
// long as the week has alerts; Build decides where a zero would mislead.
type Count struct {
	Value int64
	// Change is nil when the previous week has no data to compare with.
	Change *Change
}

// Text is the count as a number.
func (c Count) Text() string { return strconv.FormatInt(c.Value, 10) }

// Duration is a time figure: an average or a percentile.
type Duration struct {
	// Seconds is nil when nothing could be measured.
	Seconds *float64
	// Text is the formatted duration, or NoData.
	Text   string
	Change *Change
	// Previous is last week's value in seconds, nil when unknown. Charts
	// draw it even when this week's value is missing.
	Previous *float64
}

// Known reports whether the figure was measured.
func (d Duration) Known() bool { return d.Seconds != nil }

// Timing is one response time of the week: how long alerts waited for an
// acknowledgment, for Ash, for a human, or to be resolved.
type Timing struct {
	// Key is the summary's JSON name without "time_to_" ("acknowledge").
	Key string
	// Label names the time in the report ("Time to Acknowledge").
	Label string
	// Short names it where space is tight ("Acknowledge").
	Short string
	// CountLabel names the alerts behind the figure ("Alerts Acknowledged").
	CountLabel string
	// Count is how many alerts the figures are computed over.
	Count Count
	Avg   Duration
	P50   Duration
	P90   Duration
	// Missing is set when the percentiles are not available because some
	// of the Count alerts have no alert record any more (past the alert
	// retention): "4 of 10 alert records past retention". P50 and P90 then
	// read NotAvailable, not a figure over the other alerts.
	Missing string
}

// SeverityCount is the week's alerts of one severity.
type SeverityCount struct {
	Key   string // "critical"
	Label string // "Critical"
	Emoji string // "🔴"
	Count
}

// Ash is the support companion's week.
type Ash struct {
	Started    Count
	Manual     Count
	Auto       Count
	OptedOut   Count
	Completed  Count
	AvgSession Duration
	// Follow-up check-ins sent about the week's alerts and answered;
	// shown when this week or the one before had any.
	Followups     Count
	Answered      Count
	ShowFollowups bool
}

// Escalations are the week's alerts that nobody acknowledged within their
// severity's escalation time. Shown when this week or the one before had
// any: a team that has not set up escalation reads no line of zeros.
type Escalations struct {
	Show  bool
	Total Count
	// BySeverity lists the severities with escalated alerts this week or
	// the week before.
	BySeverity []SeverityCount
	ToLeads    Count
}

// Peak is the busiest day or hour.
type Peak struct {
	// Text is "Wednesday (4 alerts)" or "10 PM - 11 PM (3 alerts)", or
	// NoData in an empty week.
	Text string
	// Previous is last week's peak, "Monday, 3 alerts", "" when unknown.
	Previous string
}

// Responder is one ranked CRT member.
type Responder struct {
	Rank            int
	UserID          string
	Mention         string
	Acknowledgments int64
}

// Report is the content of one weekly report.
type Report struct {
	// Summary is this week's summary as given; JSON renders exactly this.
	Summary *metrics.Summary
	// Previous is the week before, or nil.
	Previous *metrics.Summary

	Title  string
	Period string // "January 1 - January 7, 2026"
	// Span is the period covered; Heading names it under the title
	// ("Week of January 1 - January 7, 2026", "November 2026"), and Noun
	// in running text ("week": "No alerts this week").
	Span    Span
	Heading string
	Noun    string
	// Empty is true when no alert was recorded this week: renderers then
	// say "No alerts this week" instead of a column of zeros.
	Empty bool

	Total       Count
	Severities  []SeverityCount // critical, high, medium, low
	Times       []Timing        // acknowledge, Ash contact, human response, resolve
	Ash         Ash
	Escalations Escalations
	PeakDay     Peak
	PeakHour    Peak
	Responders  []Responder
	// Targets are the response targets of BOT_REPORT_TARGETS, in the
	// order configured; Load is every CRT member's work.
	Targets []TargetResult
	Load    Load
	Footer  string

	// Trends and Coverage are read beside the summary (weekly.AddExtras)
	// and set by the caller; nil leaves the trend panel and the coverage
	// sections out.
	Trends   *Trends
	Coverage *metrics.Coverage
}

// Build makes the report for this week, compared with previous (nil, or a
// week without alerts, means nothing to compare with). A nil this is read
// as a week without data. Build never fails: whatever is missing reads
// "no data".
func Build(this, previous *metrics.Summary, opts Options) Report {
	if this == nil {
		this = &metrics.Summary{}
	}
	version := opts.Version
	if version == "" {
		version = "dev"
	}
	// A week without alerts has nothing to compare against: its zeros and
	// missing averages would turn every change into a misleading "up from 0".
	prev := previous
	if prev != nil && prev.TotalAlerts == 0 {
		prev = nil
	}

	period := opts.Period
	if period == "" {
		period = Week
	}
	span := spanOfSummary(period, this)
	noun := period.Noun()
	r := Report{
		Summary:  this,
		Previous: previous,
		Title:    TitleOf(period),
		Period:   FormatWeek(this.StartDate, this.EndDate),
		Span:     span,
		Heading:  span.Label(),
		Noun:     noun,
		Empty:    this.TotalAlerts == 0,
		Footer:   "Generated by ashbot " + version + " | The Alphabet Cartel",
	}
	if span.First.IsZero() {
		r.Heading = "Week of " + r.Period
	}

	count := func(v int64, pick func(*metrics.Summary) int64) Count {
		c := Count{Value: v}
		if prev != nil {
			c.Change = countChange(v, pick(prev))
			c.Change.Noun = noun
		}
		return c
	}
	duration := func(cur, old *float64) Duration {
		d := duration(cur, old)
		if d.Change != nil {
			d.Change.Noun = noun
		}
		return d
	}
	r.Total = count(this.TotalAlerts, func(s *metrics.Summary) int64 { return s.TotalAlerts })
	for _, sev := range severityTable() {
		r.Severities = append(r.Severities, SeverityCount{
			Key: sev.key, Label: sev.label, Emoji: sev.emoji,
			Count: count(sev.get(this.BySeverity), func(s *metrics.Summary) int64 { return sev.get(s.BySeverity) }),
		})
	}

	for _, t := range timingTable() {
		cur := t.get(this)
		tm := Timing{Key: t.key, Label: t.label, Short: t.short, CountLabel: t.countLabel}
		tm.Count = count(cur.Count, func(s *metrics.Summary) int64 { return t.get(s).Count })
		var old metrics.Durations // all nil: nothing to compare with
		if prev != nil {
			old = t.get(prev)
		}
		tm.Avg = duration(cur.AvgSeconds, old.AvgSeconds)
		tm.P50 = duration(intSeconds(cur.P50Seconds), intSeconds(old.P50Seconds))
		tm.P90 = duration(intSeconds(cur.P90Seconds), intSeconds(old.P90Seconds))
		if cur.Count > 0 && cur.P50Seconds == nil && cur.Records < cur.Count {
			tm.Missing = fmt.Sprintf("%d of %d alert records past retention", cur.Count-cur.Records, cur.Count)
			tm.P50.Text, tm.P90.Text = NotAvailable, NotAvailable
		}
		r.Times = append(r.Times, tm)
	}

	var prevAsh metrics.Ash
	if prev != nil {
		prevAsh = prev.Ash
	}
	ash := func(pick func(metrics.Ash) int64) Count {
		return count(pick(this.Ash), func(s *metrics.Summary) int64 { return pick(s.Ash) })
	}
	r.Ash = Ash{
		Started:    ash(func(a metrics.Ash) int64 { return a.SessionsStarted }),
		Manual:     ash(func(a metrics.Ash) int64 { return a.Manual }),
		Auto:       ash(func(a metrics.Ash) int64 { return a.AutoInitiated }),
		OptedOut:   ash(func(a metrics.Ash) int64 { return a.UserOptedOut }),
		Completed:  ash(func(a metrics.Ash) int64 { return a.SessionsCompleted }),
		AvgSession: duration(this.Ash.AvgSessionSeconds, prevAsh.AvgSessionSeconds),
		Followups:  ash(func(a metrics.Ash) int64 { return a.FollowupsSent }),
		Answered:   ash(func(a metrics.Ash) int64 { return a.FollowupsAnswered }),
	}
	r.Ash.ShowFollowups = this.Ash.FollowupsSent > 0 || prevAsh.FollowupsSent > 0

	var prevEsc metrics.Escalations
	if prev != nil {
		prevEsc = prev.Escalations
	}
	esc := func(pick func(metrics.Escalations) int64) Count {
		return count(pick(this.Escalations), func(s *metrics.Summary) int64 { return pick(s.Escalations) })
	}
	r.Escalations = Escalations{
		Show:    this.Escalations.Alerts > 0 || prevEsc.Alerts > 0,
		Total:   esc(func(e metrics.Escalations) int64 { return e.Alerts }),
		ToLeads: esc(func(e metrics.Escalations) int64 { return e.ToLeads }),
	}
	for _, sev := range severityTable() {
		if n := sev.get(this.Escalations.BySeverity); n > 0 || sev.get(prevEsc.BySeverity) > 0 {
			r.Escalations.BySeverity = append(r.Escalations.BySeverity, SeverityCount{
				Key: sev.key, Label: sev.label, Emoji: sev.emoji,
				Count: count(n, func(s *metrics.Summary) int64 { return sev.get(s.Escalations.BySeverity) }),
			})
		}
	}

	r.PeakDay = Peak{Text: peakDay(this.PeakDay, period)}
	r.PeakHour = Peak{Text: peakHour(this.PeakHour)}
	if prev != nil {
		if p := prev.PeakDay; p != nil {
			r.PeakDay.Previous = p.Weekday + ", " + plural(p.Alerts, "alert", "alerts")
		}
		if p := prev.PeakHour; p != nil {
			r.PeakHour.Previous = FormatHourRange(p.Hour) + ", " + plural(p.Alerts, "alert", "alerts")
		}
	}

	// The summary is ranked already; sort a copy anyway so that a summary
	// built by hand (tests, imports) renders in the documented order.
	ranked := slices.Clone(this.TopResponders)
	slices.SortStableFunc(ranked, func(a, b metrics.Responder) int {
		if a.Acknowledgments != b.Acknowledgments {
			if a.Acknowledgments > b.Acknowledgments {
				return -1
			}
			return 1
		}
		return compareIDs(a.UserID, b.UserID)
	})
	for i, resp := range ranked {
		r.Responders = append(r.Responders, Responder{
			Rank: i + 1, UserID: resp.UserID, Mention: Mention(resp.UserID), Acknowledgments: resp.Acknowledgments,
		})
	}
	r.Targets = buildTargets(opts.Targets, this, prev, opts.Now, noun)
	r.Load = buildLoad(this, opts.Zone)
	return r
}

// spanOfSummary is the period a summary covers, from its dates.
func spanOfSummary(p Period, s *metrics.Summary) Span {
	first, err1 := time.Parse(time.DateOnly, s.StartDate)
	last, err2 := time.Parse(time.DateOnly, s.EndDate)
	if err1 != nil || err2 != nil {
		// A summary built by hand without dates; the heading then shows
		// its raw dates through Period.
		return Span{Period: p}
	}
	return Span{Period: p, First: first, Last: last}
}

type severityDef struct {
	key, label, emoji string
	get               func(metrics.Severities) int64
}

// severityTable lists the severities in report order. It is a function so
// that no caller can change the table for everyone.
func severityTable() []severityDef {
	return []severityDef{
		{"critical", "Critical", "🔴", func(s metrics.Severities) int64 { return s.Critical }},
		{"high", "High", "🟠", func(s metrics.Severities) int64 { return s.High }},
		{"medium", "Medium", "🟡", func(s metrics.Severities) int64 { return s.Medium }},
		{"low", "Low", "🟢", func(s metrics.Severities) int64 { return s.Low }},
	}
}

type timingDef struct {
	key, label, short, countLabel string
	get                           func(*metrics.Summary) metrics.Durations
}

// timingTable lists the response times in report order.
func timingTable() []timingDef {
	return []timingDef{
		{"acknowledge", "Time to Acknowledge", "Acknowledge", "Alerts Acknowledged",
			func(s *metrics.Summary) metrics.Durations { return s.TimeToAcknowledge }},
		{"ash_contact", "Time to Ash Contact", "Ash Contact", "Alerts Contacted by Ash",
			func(s *metrics.Summary) metrics.Durations { return s.TimeToAshContact }},
		{"first_response", "Time to Human Response", "Human Response", "Alerts With Human Response",
			func(s *metrics.Summary) metrics.Durations { return s.TimeToFirstResponse }},
		{"resolve", "Time to Resolve", "Resolve", "Alerts Resolved",
			func(s *metrics.Summary) metrics.Durations { return s.TimeToResolve }},
	}
}

func countChange(cur, old int64) *Change { return change(cur, old, strconv.FormatInt(old, 10)) }

// change compares cur with old, which the report shows as previous.
func change(cur, old int64, previous string) *Change {
	c := &Change{Previous: previous}
	switch {
	case cur > old:
		c.Direction = Up
	case cur < old:
		c.Direction = Down
	}
	return c
}

// duration builds a time figure from this week's value and last week's
// (nil when unknown).
func duration(cur, old *float64) Duration {
	d := Duration{Seconds: cur, Text: NoData, Previous: old}
	if cur == nil {
		return d
	}
	d.Text = FormatDuration(*cur)
	if old == nil {
		return d
	}
	// Compared as shown, so that two equal-looking values are the same.
	d.Change = change(displaySeconds(*cur), displaySeconds(*old), FormatDuration(*old))
	return d
}

func intSeconds(p *int64) *float64 {
	if p == nil {
		return nil
	}
	v := float64(*p)
	return &v
}

// peakDay names the busiest day by weekday in a week, and with its date
// in a month or quarter, where a weekday alone names a dozen days.
func peakDay(p *metrics.PeakDay, period Period) string {
	if p == nil {
		return NoData
	}
	name := p.Weekday
	if d, err := time.Parse(time.DateOnly, p.Date); err == nil && period != Week {
		name += ", " + d.Format("January 2")
	}
	return name + " (" + plural(p.Alerts, "alert", "alerts") + ")"
}

func peakHour(p *metrics.PeakHour) string {
	if p == nil {
		return NoData
	}
	return FormatHourRange(p.Hour) + " (" + plural(p.Alerts, "alert", "alerts") + ")"
}

// compareIDs orders Discord ids numerically (shorter is smaller), the tie
// break of product.md section 3.
func compareIDs(a, b string) int {
	switch {
	case len(a) != len(b):
		return len(a) - len(b)
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// noResponders is the responders section of a week that ranks nobody. An
// alert acknowledged only by the person it is about counts as acknowledged
// but ranks nobody (the person in crisis never appears in a report), so
// "no acknowledgments" would then be untrue.
func noResponders(r Report) string {
	if r.Summary != nil && r.Summary.TimeToAcknowledge.Count > 0 {
		return "No CRT responders to list this " + r.Noun
	}
	return "No acknowledgments this " + r.Noun
}
