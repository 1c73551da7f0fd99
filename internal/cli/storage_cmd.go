package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/retention"
	"github.com/alphabetcartel/ashbot/internal/schedule"
	"github.com/alphabetcartel/ashbot/internal/storagestats"
)

// cleanupCmd runs the same cleanup pass as the daily schedule, now.
func cleanupCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("cleanup", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "report what would be removed or repaired, change nothing")
	format := fs.String("format", "text", "report `format`: text or json")
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(e.Stderr, "usage: ashbot cleanup [--dry-run] [--format text|json]")
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		cleaner, err := retention.NewCleaner(d.rdb, retention.Config{Retentions: app.Retentions(d.cfg), Clock: clockOf(e), Logger: d.log})
		if err != nil {
			return fail(e, err)
		}
		progress, finish := retention.ProgressDisplay(e.Stderr, e.StderrIsTerminal, d.log)
		rep, err := cleaner.Run(ctx, retention.Options{DryRun: *dry, Progress: progress})
		finish()
		if *format == "json" {
			writeJSON(e, rep)
		} else {
			rep.WriteText(e.Stdout)
		}
		if err != nil {
			return fail(e, fmt.Errorf("cleanup did not finish: %w", err))
		}
		if err := rep.Err(); err != nil {
			return fail(e, err)
		}
		return ExitOK
	})
}

// storageCmd prints keys and memory per data category.
func storageCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("storage", flag.ContinueOnError)
	format := fs.String("format", "text", "`format`: text or json")
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(e.Stderr, "usage: ashbot storage [--format text|json]")
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		collector, err := storagestats.NewCollector(d.rdb, storagestats.Options{Clock: clockOf(e)})
		if err != nil {
			return fail(e, err)
		}
		stats, err := collector.Collect(ctx)
		if err != nil {
			return fail(e, err)
		}
		if *format == "json" {
			err = storagestats.WriteJSON(e.Stdout, stats)
		} else {
			err = storagestats.WriteText(e.Stdout, stats)
		}
		if err != nil {
			return fail(e, err)
		}
		if *format == "text" {
			writePolicies(e.Stdout, retention.Policies(app.Retentions(d.cfg)))
		}
		return ExitOK
	})
}

// envClock adapts the command's clock to the scheduler's interface.
type envClock struct{ now func() time.Time }

func (c envClock) Now() time.Time                         { return c.now() }
func (c envClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

func clockOf(e *Env) schedule.Clock { return envClock{e.Now} }

// writePolicies says, under the stats, how long each category is kept and
// how cleanup reads a key's age.
func writePolicies(w io.Writer, policies []retention.Policy) {
	fmt.Fprintln(w, "\nretention policies:")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, p := range policies {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", p.Category, p.Pattern, days(p.Retention), p.Age)
	}
	tw.Flush()
}
