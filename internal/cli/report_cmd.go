package cli

import (
	"context"
	"flag"
	"fmt"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// reportCmd prints the weekly summary of the 7 UTC days ending --end
// (yesterday by default).
func reportCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	end := fs.String("end", "", "last UTC `date` of the week (default yesterday)")
	format := fs.String("format", "text", "`format`: text or json")
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: ashbot report [--end YYYY-MM-DD] [--format text|json]")
		fs.PrintDefaults()
	}
	pos, ok := parseFlags(fs, e, args)
	if !ok || len(pos) > 0 {
		fs.Usage()
		return ExitUsage
	}
	last := e.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	if *end != "" {
		var err error
		if last, err = parseDate(*end); err != nil {
			fmt.Fprintln(e.Stderr, "ashbot: --end:", err)
			return ExitUsage
		}
	}
	if *format != "json" && *format != "text" {
		fmt.Fprintf(e.Stderr, "ashbot: --format %q: want text or json\n", *format)
		return ExitUsage
	}
	return withRedis(ctx, e, func(d deps) int {
		sum, err := metrics.NewStore(d.rdb, e.Now).Weekly(ctx, last)
		if err != nil {
			return fail(e, err)
		}
		return writeJSON(e, sum)
	})
}
