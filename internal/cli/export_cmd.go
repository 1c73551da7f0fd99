package cli

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/alphabetcartel/ashbot/internal/export"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// exportRange reads --from and --to (UTC dates, both required, from not
// after to).
func exportRange(e *Env, from, to string) (time.Time, time.Time, bool) {
	if from == "" || to == "" {
		fmt.Fprintln(e.Stderr, "ashbot: --from and --to are required (YYYY-MM-DD, UTC days, inclusive)")
		return time.Time{}, time.Time{}, false
	}
	f, err := parseDate(from)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot: --from:", err)
		return time.Time{}, time.Time{}, false
	}
	t, err := parseDate(to)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot: --to:", err)
		return time.Time{}, time.Time{}, false
	}
	if t.Before(f) {
		fmt.Fprintf(e.Stderr, "ashbot: --to %s is before --from %s\n", to, from)
		return time.Time{}, time.Time{}, false
	}
	return f, t, true
}

// exportOut opens --out (or stdout) for a streamed export; close flushes
// and reports the first error.
func exportOut(e *Env, out string) (io.Writer, func() error, error) {
	if out == "" {
		return e.Stdout, func() error { return nil }, nil
	}
	// 0600: the export names CRT members and holds the times of crises.
	f, err := os.OpenFile(out, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, nil, err
	}
	b := bufio.NewWriter(f)
	return b, func() error {
		if err := b.Flush(); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}, nil
}

// exportCmd writes the alert records of a range of UTC days as CSV or
// JSON lines, the person in crisis replaced by a per-export pseudonym.
func exportCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	from := fs.String("from", "", "first UTC `date` (YYYY-MM-DD)")
	to := fs.String("to", "", "last UTC `date`, inclusive")
	format := fs.String("format", export.CSV, "`format`: "+strings.Join(export.Formats(), ", "))
	out := fs.String("out", "", "write to this `file` (mode 0600) instead of standard output")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: ashbot export --from YYYY-MM-DD --to YYYY-MM-DD [--format csv|jsonl] [--out FILE]")
		fmt.Fprintln(e.Stderr, "       ashbot export aggregates --from YYYY-MM-DD --to YYYY-MM-DD [--out FILE]")
		fs.PrintDefaults()
	}
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 0 {
		fs.Usage()
		return ExitUsage
	}
	f, t, ok := exportRange(e, *from, *to)
	if !ok {
		return ExitUsage
	}
	if !slices.Contains(export.Formats(), *format) {
		fmt.Fprintf(e.Stderr, "ashbot: --format %q: want one of %s\n", *format, strings.Join(export.Formats(), ", "))
		return ExitUsage
	}
	p, err := export.RandomPseudonyms()
	if err != nil {
		return fail(e, err)
	}
	return withRedis(ctx, e, func(d deps) int {
		w, closeOut, err := exportOut(e, *out)
		if err != nil {
			return fail(e, err)
		}
		st, err := export.Alerts(ctx, metrics.NewStore(d.rdb, e.Now), w, f, t, *format, p)
		if cerr := closeOut(); err == nil && cerr != nil {
			err = cerr
		}
		for _, u := range st.Unreadable {
			fmt.Fprintln(e.Stderr, "ashbot: warning:", u)
		}
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stderr, "exported %d alerts of %s..%s", st.Alerts, *from, *to)
		if st.Expired > 0 {
			fmt.Fprintf(e.Stderr, "; %d more have no alert record any more (past BOT_METRICS_RETENTION_DAYS) and are only in `ashbot export aggregates`", st.Expired)
		}
		fmt.Fprintln(e.Stderr)
		return ExitOK
	})
}

// exportAggregatesCmd writes the daily aggregates of a range of UTC days
// as CSV.
func exportAggregatesCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("export aggregates", flag.ContinueOnError)
	from := fs.String("from", "", "first UTC `date` (YYYY-MM-DD)")
	to := fs.String("to", "", "last UTC `date`, inclusive")
	out := fs.String("out", "", "write to this `file` (mode 0600) instead of standard output")
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 0 {
		fmt.Fprintln(e.Stderr, "usage: ashbot export aggregates --from YYYY-MM-DD --to YYYY-MM-DD [--out FILE]")
		return ExitUsage
	}
	f, t, ok := exportRange(e, *from, *to)
	if !ok {
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		w, closeOut, err := exportOut(e, *out)
		if err != nil {
			return fail(e, err)
		}
		st, err := export.Aggregates(ctx, metrics.NewStore(d.rdb, e.Now), w, f, t)
		if cerr := closeOut(); err == nil && cerr != nil {
			err = cerr
		}
		for _, u := range st.Unreadable {
			fmt.Fprintln(e.Stderr, "ashbot: warning:", u)
		}
		if err != nil {
			return fail(e, err)
		}
		fmt.Fprintf(e.Stderr, "exported %d days of %s..%s\n", st.Days, *from, *to)
		return ExitOK
	})
}
