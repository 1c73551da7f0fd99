package retention

import (
	"fmt"
	"io"
	"log/slog"
	"strings"
)

// ProgressDisplay returns an Options.Progress function for `ashbot
// cleanup`, and a finish function to call once Run returns. On a terminal
// it redraws a one-line progress bar on out, sized by the run's key
// estimate; anywhere else (a pipe, a log collector) a bar would only be
// noise, so it logs a line about every tenth of the keyspace instead.
func ProgressDisplay(out io.Writer, isTerminal bool, log *slog.Logger) (progress func(Progress), finish func()) {
	if out != nil && isTerminal {
		return barProgress(out)
	}
	if log == nil {
		log = slog.Default()
	}
	var next int64
	return func(p Progress) {
		if p.Scanned < next {
			return
		}
		step := max(p.EstimatedKeys/10, 10_000)
		next = (p.Scanned/step + 1) * step
		log.Info("retention cleanup progress", "keys_scanned", p.Scanned, "estimated_keys", p.EstimatedKeys,
			"removed", p.Removed, "ttl_repaired", p.TTLRepaired, "entries_pruned", p.EntriesPruned, "errors", p.Errors)
	}, func() {}
}

const barWidth = 30

func barProgress(out io.Writer) (func(Progress), func()) {
	update, finish := Bar(out, "cleanup")
	return func(p Progress) {
		update(p.Scanned, p.EstimatedKeys, fmt.Sprintf("keys, %d removed, %d TTLs repaired", p.Removed, p.TTLRepaired))
	}, finish
}

// Bar returns a one-line progress bar on a terminal, labelled label, for
// any pass over the keyspace (cleanup, `ashbot migrate from-ash-bot`):
// update(done, total, detail) redraws it at most every half percent, and
// finish draws the last state and ends the line.
func Bar(out io.Writer, label string) (update func(done, total int64, detail string), finish func()) {
	var drawn, last, latestDone, latestTotal int64
	var latestDetail string
	draw := func() {
		// The total is an estimate and SCAN may repeat keys: never let
		// the bar run past its end.
		total := max(latestTotal, latestDone, 1)
		filled := int(latestDone * barWidth / total)
		fmt.Fprintf(out, "\r%s %3d%% [%s%s] %d/%d %s ", label,
			latestDone*100/total, strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled),
			latestDone, total, latestDetail)
		drawn++
	}
	return func(done, total int64, detail string) {
			latestDone, latestTotal, latestDetail = done, total, detail
			// Redraw at most every half percent: a terminal write per
			// batch would slow a run over millions of keys.
			if drawn > 0 && done-last < max(total/200, 1) {
				return
			}
			last = done
			draw()
		}, func() {
			if drawn > 0 {
				draw()
				fmt.Fprintln(out)
			}
		}
}
