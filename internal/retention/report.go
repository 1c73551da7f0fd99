package retention

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"
)

// Counts are what cleanup did (or, in a dry run, would do) to some keys.
type Counts struct {
	Scanned       int64 `json:"keys_scanned"`
	Removed       int64 `json:"removed"`        // keys unlinked
	TTLRepaired   int64 `json:"ttl_repaired"`   // keys given a TTL, or a shorter one
	EntriesPruned int64 `json:"entries_pruned"` // sorted-set members and a:* index fields removed
	Errors        int64 `json:"errors"`         // keys that could not be read or changed
}

func (c *Counts) add(o Counts) {
	c.Scanned += o.Scanned
	c.Removed += o.Removed
	c.TTLRepaired += o.TTLRepaired
	c.EntriesPruned += o.EntriesPruned
	c.Errors += o.Errors
}

// maxErrorSamples bounds the error messages kept per category: enough to
// diagnose, bounded however many keys fail.
const maxErrorSamples = 3

// CategoryReport is the outcome for one category.
type CategoryReport struct {
	Counts
	ErrorSamples []string `json:"error_samples,omitempty"`
}

// Report is the outcome of one cleanup run.
type Report struct {
	DryRun    bool          `json:"dry_run"`
	StartedAt time.Time     `json:"started_at"`
	Duration  time.Duration `json:"duration_ns"`
	// Completed is false when the run stopped early (Redis unreachable,
	// context cancelled); the counts then cover the keys seen so far.
	Completed  bool                         `json:"completed"`
	Categories map[Category]*CategoryReport `json:"categories"`
	Totals     Counts                       `json:"totals"`
	// Ignored counts ash: keys of no category, seen and left untouched.
	Ignored int64 `json:"keys_ignored"`
}

func newReport(dryRun bool, started time.Time) Report {
	r := Report{DryRun: dryRun, StartedAt: started, Categories: make(map[Category]*CategoryReport)}
	for _, c := range Categories() {
		r.Categories[c] = &CategoryReport{}
	}
	return r
}

func (r *Report) merge(b *batchResult) {
	for i, c := range Categories() {
		cr := r.Categories[c]
		cr.add(b.counts[i])
		r.Totals.add(b.counts[i])
		for _, s := range b.samples[i] {
			cr.ErrorSamples = addSample(cr.ErrorSamples, s)
		}
	}
	r.Ignored += b.ignored
}

// Err summarises the categories that had errors, or returns nil. Cleanup
// goes on past such errors, so Run does not return them; callers that must
// fail on them (a CLI exit status) ask here.
func (r Report) Err() error {
	var errs []error
	for _, c := range Categories() {
		if cr := r.Categories[c]; cr != nil && cr.Errors > 0 {
			errs = append(errs, fmt.Errorf("%s: %d errors, e.g. %s", c, cr.Errors, strings.Join(cr.ErrorSamples, "; ")))
		}
	}
	return errors.Join(errs...)
}

// logAttrs flattens the report into one structured log record.
func (r Report) logAttrs() []any {
	attrs := []any{
		"dry_run", r.DryRun,
		"completed", r.Completed,
		"duration_ms", r.Duration.Milliseconds(),
		"keys_scanned", r.Totals.Scanned,
		"removed", r.Totals.Removed,
		"ttl_repaired", r.Totals.TTLRepaired,
		"entries_pruned", r.Totals.EntriesPruned,
		"errors", r.Totals.Errors,
		"keys_ignored", r.Ignored,
	}
	for _, c := range Categories() {
		cr := r.Categories[c]
		group := []any{
			"keys_scanned", cr.Scanned, "removed", cr.Removed, "ttl_repaired", cr.TTLRepaired,
			"entries_pruned", cr.EntriesPruned, "errors", cr.Errors,
		}
		if len(cr.ErrorSamples) > 0 {
			group = append(group, "error_samples", cr.ErrorSamples)
		}
		attrs = append(attrs, slog.Group(string(c), group...))
	}
	return attrs
}

// WriteText renders the report as a table for people.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	title := "Retention cleanup"
	if r.DryRun {
		title += " (dry run: nothing was changed; counts are what would be done)"
	}
	fmt.Fprintf(&b, "%s\nstarted %s, took %s", title, r.StartedAt.UTC().Format(time.RFC3339), r.Duration.Round(time.Millisecond))
	if !r.Completed {
		b.WriteString(", STOPPED EARLY")
	}
	b.WriteString("\n\n")
	fmt.Fprintf(&b, "%-16s %12s %10s %12s %14s %8s\n", "category", "keys_scanned", "removed", "ttl_repaired", "entries_pruned", "errors")
	row := func(name string, c Counts) {
		fmt.Fprintf(&b, "%-16s %12d %10d %12d %14d %8d\n", name, c.Scanned, c.Removed, c.TTLRepaired, c.EntriesPruned, c.Errors)
	}
	for _, c := range Categories() {
		row(string(c), r.Categories[c].Counts)
	}
	row("total", r.Totals)
	fmt.Fprintf(&b, "\nash: keys of no category, left untouched: %d\n", r.Ignored)
	for _, c := range Categories() {
		for _, s := range r.Categories[c].ErrorSamples {
			fmt.Fprintf(&b, "error in %s: %s\n", c, s)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
