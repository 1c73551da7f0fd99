package export

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Formats of the alert export.
const (
	CSV   = "csv"
	JSONL = "jsonl"
)

// Formats lists the alert export's formats, as the CLI documents them.
func Formats() []string { return []string{CSV, JSONL} }

// alertColumns is the CSV header, in Row's order.
func alertColumns() []string {
	return []string{"alert", "person", "created_at", "severity", "source",
		"acknowledged_at", "acknowledged_by", "time_to_acknowledge_seconds",
		"ash_contacted_at", "ash_contacted_by", "time_to_ash_contact_seconds", "user_opted_out",
		"first_response_at", "first_response_by", "time_to_first_response_seconds",
		"resolved_at", "resolved_by", "time_to_resolve_seconds",
		"session_started_at", "session_ended_at", "session_end_reason", "session_seconds"}
}

func (r Row) csv() []string {
	return []string{r.Alert, r.Person, r.CreatedAt, r.Severity, r.Source,
		r.AcknowledgedAt, r.AcknowledgedBy, secs(r.AcknowledgeSeconds),
		r.AshContactedAt, r.AshContactedBy, secs(r.AshSeconds), strconv.FormatBool(r.UserOptedOut),
		r.FirstResponseAt, r.FirstResponseBy, secs(r.FirstResponseSeconds),
		r.ResolvedAt, r.ResolvedBy, secs(r.ResolveSeconds),
		r.SessionStartedAt, r.SessionEndedAt, r.SessionEndReason, secs(r.SessionSeconds)}
}

func secs(p *int64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatInt(*p, 10)
}

// rowWriter writes rows in one format.
type rowWriter interface {
	write(Row) error
	flush() error
}

type csvRows struct{ w *csv.Writer }

func (c csvRows) write(r Row) error { return c.w.Write(r.csv()) }
func (c csvRows) flush() error      { c.w.Flush(); return c.w.Error() }

type jsonRows struct {
	b   *bufio.Writer
	enc *json.Encoder
}

func (j jsonRows) write(r Row) error { return j.enc.Encode(r) }
func (j jsonRows) flush() error      { return j.b.Flush() }

// Alerts writes the alert records of the UTC days from..to to w in
// format (CSV or JSONL), naming people and alerts by p. It returns what
// it found; Expired alerts (records past retention) are counted, not
// written, and the caller should say so.
func Alerts(ctx context.Context, src Source, w io.Writer, from, to time.Time, format string, p Pseudonyms) (metrics.EachStats, error) {
	var rw rowWriter
	switch format {
	case CSV:
		cw := csv.NewWriter(w)
		if err := cw.Write(alertColumns()); err != nil {
			return metrics.EachStats{}, fmt.Errorf("export: %w", err)
		}
		rw = csvRows{cw}
	case JSONL:
		b := bufio.NewWriter(w)
		rw = jsonRows{b: b, enc: json.NewEncoder(b)}
	default:
		return metrics.EachStats{}, fmt.Errorf("export format %q: want %s or %s", format, CSV, JSONL)
	}
	st, err := src.EachAlert(ctx, from, to, func(a *metrics.Alert) error { return rw.write(p.RowOf(a)) })
	if ferr := rw.flush(); err == nil && ferr != nil {
		err = ferr
	}
	if err != nil {
		return st, fmt.Errorf("export alerts: %w", err)
	}
	return st, nil
}

// aggregateColumns is the daily CSV's header: counts, and for each
// response time its count, total and mean, so that a spreadsheet can
// weigh days correctly; then alerts per UTC hour.
func aggregateColumns() []string {
	cols := []string{"date", "recorded", "alerts", "critical", "high", "medium", "low"}
	for _, t := range []string{"acknowledge", "ash_contact", "first_response", "resolve"} {
		cols = append(cols, t+"_count", t+"_sum_seconds", t+"_avg_seconds")
	}
	cols = append(cols, "ash_manual", "ash_auto_initiated", "user_opted_out", "sessions_started",
		"sessions_completed", "session_sum_seconds", "session_avg_seconds")
	for h := range 24 {
		cols = append(cols, fmt.Sprintf("hour_%02d_utc", h))
	}
	return cols
}

// AggregateStats says what Aggregates wrote.
type AggregateStats struct {
	Days int
	// Unreadable names days whose key holds another type of value (the
	// earlier Ash-Bot's form) and what converts it; their rows read
	// recorded false, as in the report, which leaves them out too.
	Unreadable []string
}

// Aggregates writes one CSV row per UTC day from..to. A day without an
// aggregate (no alert, or past the aggregate retention) has recorded
// false and empty figures: the export cannot tell the two apart and does
// not pretend to. Per-responder counts are left out: they are CRT
// rankings, not figures for a spreadsheet.
func Aggregates(ctx context.Context, src Source, w io.Writer, from, to time.Time) (AggregateStats, error) {
	var st AggregateStats
	cw := csv.NewWriter(w)
	if err := cw.Write(aggregateColumns()); err != nil {
		return st, fmt.Errorf("export aggregates: %w", err)
	}
	n := strconv.FormatInt
	sum := func(s metrics.Sum) []string {
		avg := ""
		if a := s.Avg(); a != nil {
			avg = strconv.FormatFloat(*a, 'f', 1, 64)
		}
		return []string{n(s.Count, 10), n(s.SumSeconds, 10), avg}
	}
	for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
		d, err := src.Daily(ctx, day)
		var wrong *metrics.WrongTypeError
		if errors.As(err, &wrong) {
			st.Unreadable = append(st.Unreadable, wrong.Error())
		}
		if errors.Is(err, metrics.ErrNotFound) || wrong != nil {
			row := append([]string{day.Format(time.DateOnly), "false"}, make([]string, len(aggregateColumns())-2)...)
			if err := cw.Write(row); err != nil {
				return st, fmt.Errorf("export aggregates: %w", err)
			}
			st.Days++
			continue
		}
		if err != nil {
			return st, fmt.Errorf("export aggregates: %w", err)
		}
		row := []string{d.Date, "true", n(d.TotalAlerts, 10),
			n(d.BySeverity["critical"], 10), n(d.BySeverity["high"], 10), n(d.BySeverity["medium"], 10), n(d.BySeverity["low"], 10)}
		for _, s := range []metrics.Sum{d.Acknowledge, d.AshContact, d.FirstResponse, d.Resolve} {
			row = append(row, sum(s)...)
		}
		row = append(row, n(d.AshManual, 10), n(d.AshAuto, 10), n(d.OptedOut, 10), n(d.SessionsStarted, 10))
		row = append(row, sum(d.SessionsCompleted)...)
		for _, c := range d.ByHour {
			row = append(row, n(c, 10))
		}
		if err := cw.Write(row); err != nil {
			return st, fmt.Errorf("export aggregates: %w", err)
		}
		st.Days++
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return st, fmt.Errorf("export aggregates: %w", err)
	}
	return st, nil
}
