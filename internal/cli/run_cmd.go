package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/demo"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
	"github.com/alphabetcartel/ashbot/internal/weekly"
)

// runCmd runs the bot until SIGINT or SIGTERM, then stops it in order.
func runCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 {
		fmt.Fprintln(e.Stderr, "usage: ashbot run")
		return ExitUsage
	}
	cfg, log, code := loadConfig(e)
	if cfg == nil {
		return code
	}
	if problems := app.CheckSettings(cfg); len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(e.Stderr, "config:", p)
		}
		return ExitUsage
	}
	log.Info("ashbot starting", "version", Version)
	if err := app.Run(ctx, cfg, app.Options{Logger: log, SpoolPath: cfg.Runtime.OutboxSpool, Version: Version}); err != nil {
		// The bot's interface is its log: one structured record says why.
		log.Error("ashbot stopped", "error", err.Error())
		return ExitFailed
	}
	return ExitOK
}

// demoCmd acts out a week in miniature: the real bot against the local
// Discord stand-in and the configured Redis, then the week's report.
func demoCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	png := fs.String("png", "", "also write the week's report chart to this `file`")
	storyFile := fs.String("story", "", "act out this story `file` instead of the built-in week (format: see its header)")
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 {
		fmt.Fprintln(e.Stderr, "usage: ashbot demo [--png FILE] [--story FILE]")
		return ExitUsage
	}
	var story *demo.Story
	if *storyFile != "" {
		// A bad story is bad input: say where, before anything starts.
		src, err := e.ReadFile(*storyFile)
		if err == nil {
			story, err = demo.ParseStory(*storyFile, string(src))
		}
		if err != nil {
			fmt.Fprintln(e.Stderr, "ashbot demo:", err)
			return ExitUsage
		}
	}
	return withRedis(ctx, e, func(d deps) int {
		res, err := demo.Run(ctx, d.cfg, demo.Options{Story: story, Out: e.Stdout, Logger: d.log})
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stdout, "\n== %d alerts acted out; the weekly report of %s..%s:\n\n",
			res.Alerts, res.WeekStart.Format(time.DateOnly), res.WeekEnd.Format(time.DateOnly))
		store := metrics.NewStore(d.rdb, e.Now)
		r, err := weekly.Build(ctx, store, report.Week.SpanOf(res.WeekEnd),
			report.Options{Version: Version, Targets: app.ReportTargets(d.cfg), Now: e.Now(), Zone: d.cfg.Report.Location})
		if err != nil {
			return fail(e, err)
		}
		if err := weekly.AddExtras(ctx, &r, reportExtras(d.cfg, store)); err != nil {
			fmt.Fprintln(e.Stderr, "ashbot demo: warning:", err)
		}
		if code := render(e, r, "text", ""); code != ExitOK {
			return code
		}
		if *png != "" {
			return render(e, r, "png", *png)
		}
		return ExitOK
	})
}
