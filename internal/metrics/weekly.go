package metrics

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// TopResponders is how many CRT members the weekly summary ranks.
const TopResponders = 5

// Severities counts alerts per severity, in the report's order.
type Severities struct {
	Critical int64 `json:"critical"`
	High     int64 `json:"high"`
	Medium   int64 `json:"medium"`
	Low      int64 `json:"low"`
}

// Get returns the count for one severity.
func (s Severities) Get(sev events.Severity) int64 {
	switch sev {
	case events.Critical:
		return s.Critical
	case events.High:
		return s.High
	case events.Medium:
		return s.Medium
	}
	return s.Low
}

func (s *Severities) add(o Severities) {
	s.Critical += o.Critical
	s.High += o.High
	s.Medium += o.Medium
	s.Low += o.Low
}

func (s Severities) total() int64 { return s.Critical + s.High + s.Medium + s.Low }

func severitiesOf(m map[string]int64) Severities {
	return Severities{Critical: m["critical"], High: m["high"], Medium: m["medium"], Low: m["low"]}
}

// Durations summarises one response time over a week. Count and the
// average come from the daily aggregates; percentiles need every value, so
// they come from each alert's facts (the day's facts hash, else the alert
// record) and are nil when no values exist, or when Records is not Count:
// some alerts have no facts any more (past the alert retention, or imported
// when already older than it).
type Durations struct {
	Count      int64    `json:"count"`
	AvgSeconds *float64 `json:"avg_seconds"`
	P50Seconds *int64   `json:"p50_seconds"`
	P90Seconds *int64   `json:"p90_seconds"`
	// Records is how many of the period's alerts' facts hold this time.
	Records int64 `json:"records"`
}

// Ash summarises the support companion's week.
type Ash struct {
	SessionsStarted   int64    `json:"sessions_started"`
	Manual            int64    `json:"manual"`
	AutoInitiated     int64    `json:"auto_initiated"`
	UserOptedOut      int64    `json:"user_opted_out"`
	SessionsCompleted int64    `json:"sessions_completed"`
	AvgSessionSeconds *float64 `json:"avg_session_seconds"`
	// Follow-up check-ins sent about the week's alerts, and how many the
	// person answered.
	FollowupsSent     int64 `json:"followups_sent"`
	FollowupsAnswered int64 `json:"followups_answered"`
}

// Escalations counts the week's alerts that nobody acknowledged in their
// severity's escalation time: Alerts escalated at any level, ToLeads
// those that reached the leads (level 2).
type Escalations struct {
	Alerts     int64      `json:"alerts"`
	BySeverity Severities `json:"by_severity"`
	ToLeads    int64      `json:"to_leads"`
}

// PeakDay is the busiest day of the week.
type PeakDay struct {
	Date    string `json:"date"`
	Weekday string `json:"weekday"`
	Alerts  int64  `json:"alerts"`
}

// PeakHour is the busiest UTC hour of day over the week.
type PeakHour struct {
	Hour   int   `json:"hour"`
	Alerts int64 `json:"alerts"`
}

// Responder is a CRT member and how many alerts they acknowledged.
type Responder struct {
	UserID          string `json:"user_id"`
	Acknowledgments int64  `json:"acknowledgments"`
}

// Day is one day's alert counts, for charts.
type Day struct {
	Date       string     `json:"date"`
	Weekday    string     `json:"weekday"`
	Alerts     int64      `json:"alerts"`
	BySeverity Severities `json:"by_severity"`
	// Recorded is false when no aggregate exists for the day: no alert, or
	// data that has expired.
	Recorded bool `json:"recorded"`
}

// Summary is the weekly summary of product.md section 3. Its JSON form is
// the contract of `ashbot report --format json`.
type Summary struct {
	StartDate           string      `json:"start_date"`
	EndDate             string      `json:"end_date"`
	TotalAlerts         int64       `json:"total_alerts"`
	BySeverity          Severities  `json:"by_severity"`
	TimeToAcknowledge   Durations   `json:"time_to_acknowledge"`
	TimeToAshContact    Durations   `json:"time_to_ash_contact"`
	TimeToFirstResponse Durations   `json:"time_to_first_response"`
	TimeToResolve       Durations   `json:"time_to_resolve"`
	Ash                 Ash         `json:"ash"`
	Escalations         Escalations `json:"escalations"`
	PeakDay             *PeakDay    `json:"peak_day"`
	PeakHour            *PeakHour   `json:"peak_hour"`
	TopResponders       []Responder `json:"top_responders"`
	Days                []Day       `json:"days"`
	// Acknowledgers is every CRT member who acknowledged an alert of the
	// period, ranked like TopResponders, from the daily aggregates (exact
	// while they live). Reports list them all as the volunteer load.
	Acknowledgers []Responder `json:"-"`
	// Alerts holds the facts of every alert of the period that still has
	// them, for response targets and volunteer load; fewer than
	// TotalAlerts when some have passed the alert retention. Their order
	// within a day is not fixed.
	Alerts []AlertFacts `json:"-"`
	// Unreadable names the keys of the week that hold another type of
	// value than ours (left by the earlier Ash-Bot) and what fixes them;
	// the summary counts everything else.
	Unreadable []string `json:"unreadable,omitempty"`
}

// Week returns the seven UTC days ending with end (inclusive).
func Week(end time.Time) (start, last time.Time) {
	last = time.Date(end.Year(), end.Month(), end.Day(), 0, 0, 0, 0, time.UTC)
	return last.AddDate(0, 0, -6), last
}

// Weekly builds the summary of the seven UTC days ending with end.
func (s *Store) Weekly(ctx context.Context, end time.Time) (*Summary, error) {
	start, last := Week(end)
	return s.Period(ctx, start, last)
}

// Period builds the summary of the whole UTC days from..last, both
// included: a week, a calendar month or a quarter (see report.Period). It
// reads the daily aggregates in one round trip and the facts of each
// indexed alert, for exact percentiles, targets and load, in a few more
// (see dayFacts).
func (s *Store) Period(ctx context.Context, from, last time.Time) (*Summary, error) {
	start := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, time.UTC)
	last = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, time.UTC)
	n := int(last.Sub(start)/(24*time.Hour)) + 1
	if n < 1 || n > maxPeriodDays {
		return nil, fmt.Errorf("summary %s..%s: a period is 1 to %d days", start.Format(time.DateOnly), last.Format(time.DateOnly), maxPeriodDays)
	}
	sum := &Summary{StartDate: start.Format(time.DateOnly), EndDate: last.Format(time.DateOnly), TopResponders: []Responder{}}

	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, n)
	for i := range cmds {
		cmds[i] = pipe.HGetAll(ctx, dailyKey(start.AddDate(0, 0, i)))
	}
	if _, err := pipe.Exec(ctx); err != nil && !isWrongType(err) {
		return nil, fmt.Errorf("load days %s..%s: %w", sum.StartDate, sum.EndDate, err)
	}

	var ack, ash, first, res, sess Sum
	var hours [24]int64
	responders := map[string]int64{}
	ids := make([][]string, n) // the indexed alerts of each day
	for i, cmd := range cmds {
		day := start.AddDate(0, 0, i)
		d := &Daily{Date: day.Format(time.DateOnly), BySeverity: map[string]int64{}}
		if err := cmd.Err(); isWrongType(err) {
			sum.Unreadable = append(sum.Unreadable, wrongTypeReason(dailyKey(day)))
		} else if err != nil {
			return nil, fmt.Errorf("load days %s..%s: %w", sum.StartDate, sum.EndDate, err)
		}
		if h := cmd.Val(); len(h) > 0 {
			var err error
			if d, err = decodeDaily(day, h); err != nil {
				return nil, err
			}
		}
		sum.Days = append(sum.Days, Day{
			Date: d.Date, Weekday: day.Weekday().String(), Alerts: d.TotalAlerts,
			BySeverity: severitiesOf(d.BySeverity), Recorded: len(cmd.Val()) > 0,
		})
		sum.TotalAlerts += d.TotalAlerts
		sum.BySeverity.Critical += d.BySeverity["critical"]
		sum.BySeverity.High += d.BySeverity["high"]
		sum.BySeverity.Medium += d.BySeverity["medium"]
		sum.BySeverity.Low += d.BySeverity["low"]
		for h, n := range d.ByHour {
			hours[h] += n
		}
		ack.add(d.Acknowledge)
		ash.add(d.AshContact)
		first.add(d.FirstResponse)
		res.add(d.Resolve)
		sess.add(d.SessionsCompleted)
		sum.Ash.Manual += d.AshManual
		sum.Ash.AutoInitiated += d.AshAuto
		sum.Ash.UserOptedOut += d.OptedOut
		sum.Ash.FollowupsSent += d.FollowupsSent
		sum.Ash.FollowupsAnswered += d.FollowupsAnswered
		// A day without an aggregate has nil maps: zero escalations.
		esc := severitiesOf(d.Escalated)
		sum.Escalations.BySeverity.add(esc)
		sum.Escalations.Alerts += esc.total()
		sum.Escalations.ToLeads += severitiesOf(d.EscalatedLeads).total()
		for id, n := range d.Responders {
			responders[id] += n
		}
		ids[i] = d.alertIDs
		if d.TotalAlerts > 0 && (sum.PeakDay == nil || d.TotalAlerts > sum.PeakDay.Alerts) {
			sum.PeakDay = &PeakDay{Date: d.Date, Weekday: day.Weekday().String(), Alerts: d.TotalAlerts}
		}
	}
	for h, n := range hours {
		if n > 0 && (sum.PeakHour == nil || n > sum.PeakHour.Alerts) {
			sum.PeakHour = &PeakHour{Hour: h, Alerts: n}
		}
	}
	sum.Ash.SessionsStarted = ash.Count
	sum.Ash.SessionsCompleted = sess.Count
	sum.Ash.AvgSessionSeconds = sess.Avg()

	for id, n := range responders {
		sum.TopResponders = append(sum.TopResponders, Responder{UserID: id, Acknowledgments: n})
	}
	slices.SortFunc(sum.TopResponders, func(a, b Responder) int {
		if c := cmp.Compare(b.Acknowledgments, a.Acknowledgments); c != 0 {
			return c
		}
		return compareIDs(a.UserID, b.UserID)
	})
	sum.Acknowledgers = slices.Clone(sum.TopResponders)
	if len(sum.TopResponders) > TopResponders {
		sum.TopResponders = sum.TopResponders[:TopResponders]
	}

	facts, unreadable, err := s.dayFacts(ctx, start, ids)
	sum.Unreadable = append(sum.Unreadable, unreadable...)
	if err != nil {
		return nil, fmt.Errorf("load days %s..%s: %w", sum.StartDate, sum.EndDate, err)
	}
	sum.Alerts = facts
	vals := durationsOf(facts)
	sum.TimeToAcknowledge = summarise(ack, vals[0])
	sum.TimeToAshContact = summarise(ash, vals[1])
	sum.TimeToFirstResponse = summarise(first, vals[2])
	sum.TimeToResolve = summarise(res, vals[3])
	return sum, nil
}

// summarise combines the aggregate (always there while the day lives) with
// the exact values (there while the alert records live). Percentiles are
// given only when the values found are exactly the ones counted.
func summarise(agg Sum, vals []int64) Durations {
	d := Durations{Count: agg.Count, AvgSeconds: agg.Avg(), Records: int64(len(vals))}
	if agg.Count == 0 || int64(len(vals)) != agg.Count {
		return d
	}
	slices.Sort(vals)
	d.P50Seconds = nearestRank(vals, 50)
	d.P90Seconds = nearestRank(vals, 90)
	return d
}

// nearestRank is the ceil(pct/100*n)-th smallest of sorted values, in
// integer arithmetic so that no float rounding moves the rank.
func nearestRank(sorted []int64, pct int) *int64 {
	r := (pct*len(sorted) + 99) / 100
	v := sorted[max(r, 1)-1]
	return &v
}

// compareIDs orders Discord ids numerically (shorter is smaller) and other
// ids as text, so rankings are stable.
func compareIDs(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return cmp.Compare(a, b)
}
