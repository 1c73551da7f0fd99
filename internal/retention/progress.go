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
	var drawn, last int64
	var latest Progress
	draw := func(p Progress) {
		// The estimate counts every key and SCAN may repeat some: never
		// let the bar run past its end.
		total := max(p.EstimatedKeys, p.Scanned, 1)
		filled := int(p.Scanned * barWidth / total)
		fmt.Fprintf(out, "\rcleanup %3d%% [%s%s] %d/%d keys, %d removed, %d TTLs repaired ",
			p.Scanned*100/total, strings.Repeat("=", filled), strings.Repeat(" ", barWidth-filled),
			p.Scanned, total, p.Removed, p.TTLRepaired)
		drawn++
	}
	return func(p Progress) {
			latest = p
			// Redraw at most every half percent: a terminal write per
			// batch would slow a run over millions of keys.
			if drawn > 0 && p.Scanned-last < max(p.EstimatedKeys/200, 1) {
				return
			}
			last = p.Scanned
			draw(p)
		}, func() {
			if drawn > 0 {
				draw(latest)
				fmt.Fprintln(out)
			}
		}
}
