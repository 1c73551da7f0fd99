package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/migrate"
	"github.com/alphabetcartel/ashbot/internal/retention"
)

// migrateCmd carries the earlier Python Ash-Bot's Redis data over
// (docs/migrating-from-ash-bot.md).
func migrateCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("migrate from-ash-bot", flag.ContinueOnError)
	dry := fs.Bool("dry-run", false, "report what would be converted, change nothing")
	format := fs.String("format", "text", "report `format`: text or json")
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 || (*format != "text" && *format != "json") {
		fmt.Fprintln(e.Stderr, "usage: ashbot migrate from-ash-bot [--dry-run] [--format text|json]")
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		store, err := alerts.NewStore(d.rdb, alerts.StoreOptions{TTL: d.cfg.Metrics.AlertTTL, Now: e.Now})
		if err != nil {
			return fail(e, err)
		}
		autoInit, err := ash.NewAutoInit(ash.NewDueSet(d.rdb, ash.AutoInitKey), d.cfg.Ash.AutoInitiateDelay, events.Severity(d.cfg.Ash.AutoInitiateMinSeverity))
		if err != nil {
			return fail(e, err)
		}
		var rec *metrics.Recorder
		if d.cfg.Metrics.Enabled {
			if rec, err = metrics.NewRecorder(d.rdb, metrics.RecorderOptions{
				Enabled: true, AlertTTL: d.cfg.Metrics.AlertTTL, AggregateTTL: d.cfg.Metrics.AggregateTTL, Now: e.Now,
			}); err != nil {
				return fail(e, err)
			}
		}
		opts := migrate.Options{
			DryRun: *dry, Retentions: app.Retentions(d.cfg), Recorder: rec, Alerts: store, AutoInit: autoInit,
			Now: e.Now, Logger: d.log,
		}
		finish := func() {}
		if e.StderrIsTerminal {
			var update func(done, total int64, detail string)
			update, finish = retention.Bar(e.Stderr, "migrate")
			opts.Progress = func(done, total int64) { update(done, total, "keys") }
		}
		m, err := migrate.New(d.rdb, opts)
		if err != nil {
			return fail(e, err)
		}
		rep, err := m.Run(ctx)
		finish()
		if *format == "json" {
			writeJSON(e, rep)
		} else {
			rep.WriteText(e.Stdout)
		}
		if err != nil {
			return fail(e, fmt.Errorf("migration did not finish: %w (running it again is safe)", err))
		}
		if err := rep.Err(); err != nil {
			return fail(e, err)
		}
		return ExitOK
	})
}
