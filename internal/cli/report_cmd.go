package cli

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/app"
	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/report"
	"github.com/alphabetcartel/ashbot/internal/weekly"
)

// reportCmd renders the report of a week (the 7 UTC days ending --end,
// yesterday by default), a calendar month or a quarter, without posting it.
func reportCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	period := fs.String("period", "week", "`period`: week, month or quarter (UTC calendar months and quarters)")
	end := fs.String("end", "", "UTC `date`: the last day of the week, or any day of the month or quarter (default: the last whole period before today)")
	format := fs.String("format", "text", "`format`: "+strings.Join(report.Formats(), ", "))
	out := fs.String("out", "", "write to this `file` instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: ashbot report [--period week|month|quarter] [--end YYYY-MM-DD] [--format "+strings.Join(report.Formats(), "|")+"] [--out FILE]")
		fmt.Fprintln(e.Stderr, "       ashbot report post [--end YYYY-MM-DD]")
		fs.PrintDefaults()
	}
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 0 {
		fs.Usage()
		return ExitUsage
	}
	p, err := report.ParsePeriod(*period)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot: --period:", err)
		return ExitUsage
	}
	var endDay time.Time
	if *end != "" {
		if endDay, err = parseDate(*end); err != nil {
			fmt.Fprintln(e.Stderr, "ashbot: --end:", err)
			return ExitUsage
		}
	}
	span, err := report.Choose(p, endDay, e.Now())
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot: --end:", err)
		return ExitUsage
	}
	if !slices.Contains(report.Formats(), *format) {
		fmt.Fprintf(e.Stderr, "ashbot: --format %q: want one of %s\n", *format, strings.Join(report.Formats(), ", "))
		return ExitUsage
	}
	if (*format == "png" || *format == "heatmap") && *out == "" && e.StdoutIsTerminal {
		fmt.Fprintf(e.Stderr, "ashbot: --format %s writes binary data (PNG): give --out FILE or redirect standard output\n", *format)
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		warn := func(msg string) { fmt.Fprintln(e.Stderr, "ashbot: warning:", msg) }
		store := metrics.NewStore(d.rdb, e.Now)
		r, err := weekly.Build(ctx, weekly.WarnUnreadable(store, warn), span,
			report.Options{Version: Version, Targets: app.ReportTargets(d.cfg), Now: e.Now(), Zone: d.cfg.Report.Location})
		if err != nil {
			return fail(e, err)
		}
		if err := weekly.AddExtras(ctx, &r, reportExtras(d.cfg, store)); err != nil {
			if *format == "heatmap" {
				return fail(e, err)
			}
			warn(err.Error())
		}
		return render(e, r, *format, *out)
	})
}

// render writes the report in format to the file out, or to stdout.
func render(e *Env, r report.Report, format, out string) int {
	b, err := report.Render(r, format)
	if err != nil {
		return fail(e, err)
	}
	if out != "" {
		if err := os.WriteFile(out, b, 0o644); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stderr, "wrote %s (%s, %s %s..%s)\n", out, format, r.Noun, r.Summary.StartDate, r.Summary.EndDate)
		return ExitOK
	}
	if _, err := e.Stdout.Write(b); err != nil {
		return fail(e, err)
	}
	return ExitOK
}

// reportPost posts the weekly report now, through the same trigger as the
// schedule and the /ash report slash command.
func reportPost(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("report post", flag.ContinueOnError)
	end := fs.String("end", "", "last UTC `date` of the week (default yesterday)")
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 0 {
		fmt.Fprintln(e.Stderr, "usage: ashbot report post [--end YYYY-MM-DD]")
		return ExitUsage
	}
	last, code := weekEnd(e, *end)
	if code != ExitOK {
		return code
	}
	return withRedis(ctx, e, func(d deps) int {
		if len(d.cfg.Report.ChannelIDs) == 0 {
			return fail(e, fmt.Errorf("no report channel: set BOT_WEEKLY_REPORT_CHANNEL_ID"))
		}
		if d.cfg.Discord.Token == "" {
			return fail(e, fmt.Errorf("no Discord token: set BOT_DISCORD_TOKEN (or BOT_DISCORD_TOKEN_FILE)"))
		}
		client, err := discordapi.NewREST(discordapi.Config{Token: d.cfg.Discord.Token, BaseURL: d.cfg.Discord.APIURL, Version: Version, Logger: d.log})
		if err != nil {
			return fail(e, err)
		}
		defer client.Close(context.WithoutCancel(ctx))
		store := metrics.NewStore(d.rdb, e.Now)
		extras := reportExtras(d.cfg, store)
		tr, err := weekly.NewTrigger(store, discordapi.NewPoster(client), weekly.Options{Version: Version, Logger: d.log,
			Targets: app.ReportTargets(d.cfg), Now: e.Now, Zone: d.cfg.Report.Location, Extras: &extras})
		if err != nil {
			return fail(e, err)
		}
		if err := tr.Post(ctx, last, d.cfg.Report.ChannelIDs); err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stdout, "posted the report of the week ending %s to %d channel(s)\n", last.Format(time.DateOnly), len(d.cfg.Report.ChannelIDs))
		return ExitOK
	})
}

// weekEnd reads --end, defaulting to yesterday (UTC).
func weekEnd(e *Env, end string) (time.Time, int) {
	if end == "" {
		return weekly.WeekEndingBefore(e.Now()), ExitOK
	}
	last, err := parseDate(end)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot: --end:", err)
		return time.Time{}, ExitUsage
	}
	return last, ExitOK
}

// reportExtras is where the report's trend and coverage come from, and
// how they read: the same settings as the running bot's.
func reportExtras(cfg *config.Config, store *metrics.Store) weekly.ExtrasOptions {
	return weekly.ExtrasOptions{Source: store, Location: cfg.Report.Location, Retention: metrics.Retention{Alerts: cfg.Metrics.AlertTTL, Aggregates: cfg.Metrics.AggregateTTL}}
}
