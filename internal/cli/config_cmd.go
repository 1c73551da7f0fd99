package cli

import (
	"context"
	"flag"
	"time"

	"github.com/alphabetcartel/ashbot/internal/configtext"
)

// configCheck validates the settings and prints what will be used, with
// secrets masked and the next scheduled runs, without touching Redis or
// Discord: it is safe to run anywhere the bot's environment is set. The
// text is configtext's, which /ash config shows too.
func configCheck(_ context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	if _, ok := parseFlags(fs, e, args); !ok {
		return ExitUsage
	}
	cfg, _, code := loadConfig(e)
	if cfg == nil {
		return code
	}
	if err := configtext.Write(e.Stdout, cfg, e.Now()); err != nil {
		return fail(e, err)
	}
	return ExitOK
}

func days(d time.Duration) string { return configtext.Days(d) }
