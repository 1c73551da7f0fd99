package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// eventsImport records a JSONL file of lifecycle events (product.md
// section 2): counts on stdout, each rejected line on stderr, exit 1 if any
// line was rejected.
func eventsImport(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("events import", flag.ContinueOnError)
	shiftTo := fs.String("shift-to", "", "move all times by whole days so the first event falls on this UTC `date` (to replay a sample or a drill)")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: ashbot events import [--shift-to YYYY-MM-DD] [FILE|-]")
		fs.PrintDefaults()
	}
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 1 {
		fs.Usage()
		return ExitUsage
	}
	var target time.Time
	if *shiftTo != "" {
		var err error
		if target, err = parseDate(*shiftTo); err != nil {
			fmt.Fprintln(e.Stderr, "ashbot: --shift-to:", err)
			return ExitUsage
		}
	}
	in := e.Stdin
	if len(pos) == 1 && pos[0] != "-" {
		f, err := openEvents(pos[0])
		if err != nil {
			fmt.Fprintln(e.Stderr, "ashbot:", err)
			return ExitUsage
		}
		defer f.Close()
		in = f
	}
	return withRedis(ctx, e, func(d deps) int {
		if !d.cfg.Metrics.Enabled {
			return fail(e, fmt.Errorf("metrics are disabled (BOT_METRICS_ENABLED=false): nothing imported"))
		}
		rec, err := metrics.NewRecorder(d.rdb, metrics.RecorderOptions{
			Enabled: true, AlertTTL: d.cfg.Metrics.AlertTTL, AggregateTTL: d.cfg.Metrics.AggregateTTL, Now: e.Now,
		})
		if err != nil {
			return fail(e, err)
		}
		opts := metrics.ImportOptions{ShiftTo: target, OnReject: func(line int, reason string) {
			fmt.Fprintf(e.Stderr, "line %d: %s\n", line, reason)
		}}
		res, err := metrics.Import(ctx, in, rec, opts)
		fmt.Fprintln(e.Stdout, importSummary(res))
		var stop *metrics.StoppedError
		if errors.As(err, &stop) {
			why := "interrupted"
			if ctx.Err() == nil {
				why = "stopped: " + stop.Err.Error()
			}
			fmt.Fprintf(e.Stderr, "ashbot: import %s; %d lines done, resume from line %d (importing the file again is safe)\n",
				why, stop.Resume-1, stop.Resume)
			return ExitFailed
		}
		if err != nil {
			return fail(e, fmt.Errorf("import stopped: %w (importing the file again is safe)", err))
		}
		if res.Rejected > 0 {
			return ExitFailed
		}
		return ExitOK
	})
}

// openEvents opens an events file, refusing what cannot be one (a
// directory) before anything connects.
func openEvents(name string) (*os.File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err != nil || st.IsDir() {
		f.Close()
		if err == nil {
			err = fmt.Errorf("%s is a directory, not a file of events", name)
		}
		return nil, err
	}
	return f, nil
}

// importSummary is the counts line of an import. Events counted in the
// daily aggregates only (their alert is older than the alert retention)
// are named only when there are some, so the usual line stays as it was.
func importSummary(res metrics.ImportResult) string {
	agg := ""
	if res.AggregateOnly > 0 {
		agg = fmt.Sprintf(", recorded (aggregate only) %d", res.AggregateOnly)
	}
	return fmt.Sprintf("recorded %d%s, duplicate %d, rejected %d", res.Recorded, agg, res.Duplicate, res.Rejected)
}
