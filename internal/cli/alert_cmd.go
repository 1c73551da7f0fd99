package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// alertShow prints one alert's record. It names the person in crisis, so
// it is an operator and CRT tool, never part of a report.
func alertShow(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("alert show", flag.ContinueOnError)
	format := fs.String("format", "text", "`text` or json")
	byMessage := fs.Bool("message", false, "the id given is the alert message's Discord id")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: ashbot alert show [--message] [--format text|json] ALERT_ID")
		fs.PrintDefaults()
	}
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) != 1 || (*format != "text" && *format != "json") {
		fs.Usage()
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		store := metrics.NewStore(d.rdb, e.Now)
		var a *metrics.Alert
		var err error
		if *byMessage {
			a, err = store.AlertByMessage(ctx, pos[0])
		} else {
			a, err = store.Alert(ctx, pos[0])
		}
		if errors.Is(err, metrics.ErrNotFound) {
			return fail(e, fmt.Errorf("%w (unknown, or past its %s retention)", err, days(d.cfg.Metrics.AlertTTL)))
		}
		if err != nil {
			return fail(e, err)
		}
		if *format == "json" {
			return writeJSON(e, a)
		}
		writeAlert(e.Stdout, a)
		return ExitOK
	})
}

func writeAlert(w io.Writer, a *metrics.Alert) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "alert\t%s (%s)\n", a.AlertID, a.Severity)
	fmt.Fprintf(tw, "message\t%s in channel %s\n", a.AlertMessageID, a.ChannelID)
	if a.ChannelSensitivity != 1 {
		fmt.Fprintf(tw, "sensitivity\t%g\n", a.ChannelSensitivity)
	}
	fmt.Fprintf(tw, "created\t%s\n", a.CreatedAt.Format(time.RFC3339Nano))
	step := func(name string, at *time.Time, secs *int64, detail string) {
		if at == nil {
			fmt.Fprintf(tw, "%s\t-\n", name)
			return
		}
		line := at.Format(time.RFC3339Nano)
		if secs != nil {
			line += fmt.Sprintf("  (+%s)", (time.Duration(*secs) * time.Second).String())
		}
		if detail != "" {
			line += "  " + detail
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, line)
	}
	by := func(id string) string {
		if id == "" || id == "auto" {
			return id
		}
		return "by " + id
	}
	step("acknowledged", a.AcknowledgedAt, a.TimeToAcknowledgeSeconds, by(a.AcknowledgedBy))
	step("ash contacted", a.AshContactedAt, a.TimeToAshSeconds, by(a.AshContactedBy))
	step("user opted out", a.UserOptedOutAt, nil, "")
	step("first response", a.FirstResponseAt, a.TimeToResponseSeconds, by(a.FirstResponseBy))
	step("resolved", a.ResolvedAt, a.TimeToResolveSeconds, by(a.ResolvedBy))
	step("session started", a.SessionStartedAt, nil, a.SessionID)
	step("session ended", a.SessionEndedAt, a.SessionSeconds, a.SessionEndReason)
	if a.ExpiresAt != nil {
		fmt.Fprintf(tw, "expires\t%s\n", a.ExpiresAt.Format(time.RFC3339))
	}
	tw.Flush()
}
