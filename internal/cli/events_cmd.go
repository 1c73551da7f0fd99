package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
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
		f, err := os.Open(pos[0])
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
		opts := metrics.ImportOptions{OnReject: func(line int, reason string) {
			fmt.Fprintf(e.Stderr, "line %d: %s\n", line, reason)
		}}
		if !target.IsZero() {
			if in, opts.Shift, err = shiftToDate(in, target); err != nil {
				return fail(e, err)
			}
		}
		res, err := metrics.Import(ctx, in, rec, opts)
		fmt.Fprintf(e.Stdout, "recorded %d, duplicate %d, rejected %d\n", res.Recorded, res.Duplicate, res.Rejected)
		if err != nil {
			return fail(e, fmt.Errorf("import stopped: %w (importing the file again is safe)", err))
		}
		if res.Rejected > 0 {
			return ExitFailed
		}
		return ExitOK
	})
}

// shiftToDate reads the first event's time to compute the shift, and
// returns a reader that still yields the whole input.
func shiftToDate(in io.Reader, target time.Time) (io.Reader, time.Duration, error) {
	first, rest, err := metrics.PeekFirstTime(in)
	if err != nil {
		return nil, 0, fmt.Errorf("--shift-to: %w", err)
	}
	day := first.UTC().Truncate(24 * time.Hour)
	return rest, target.Sub(day), nil
}
