// Package cli is ashbot's command line: it parses arguments, loads the
// configuration, connects what a command needs and calls the packages that
// do the work. Every command returns an exit status instead of exiting, so
// tests run them in-process.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/logging"
	"github.com/alphabetcartel/ashbot/internal/redisconn"
)

// Exit statuses.
const (
	ExitOK     = 0
	ExitFailed = 1 // the command ran and failed, or rejected input
	ExitUsage  = 2 // bad arguments or configuration: nothing was done
)

// Version is set at build time with -ldflags "-X .../cli.Version=...".
var Version = "dev"

// Env is everything a command may touch of the outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	LookupEnv      func(string) (string, bool)
	Environ        []string
	ReadFile       func(string) ([]byte, error)
	Now            func() time.Time
	// StderrIsTerminal switches long commands to a progress bar.
	StderrIsTerminal bool
	// StdoutIsTerminal keeps binary output (PNG) off a terminal.
	StdoutIsTerminal bool
}

type command struct {
	name    string // e.g. "events import"
	summary string
	run     func(ctx context.Context, e *Env, args []string) int
}

func commands() []command {
	return []command{
		{"run", "run the bot (gateway, alerts, Ash, schedules) until SIGTERM", runCmd},
		{"demo", "act out a week in miniature against a local Discord stand-in, then print its report", demoCmd},
		{"config check", "validate the configuration and print the effective settings", configCheck},
		{"config template", "print an environment file with every setting and its default", func(_ context.Context, e *Env, _ []string) int {
			if err := config.WriteTemplate(e.Stdout); err != nil {
				return fail(e, err)
			}
			return ExitOK
		}},
		{"events import", "record lifecycle events from a JSONL file (or - for stdin)", eventsImport},
		{"report post", "post the weekly report to the report channel(s) now (--end)", reportPost},
		{"report", "render the weekly report without posting (--end, --format, --out)", reportCmd},
		{"export aggregates", "write the daily aggregates of --from..--to as CSV", exportAggregatesCmd},
		{"export", "write the alert records of --from..--to as CSV or JSON lines, people pseudonymised (--format, --out)", exportCmd},
		{"alert show", "print one alert's metrics and timeline", alertShow},
		{"cleanup", "run the retention cleanup now (--dry-run to only report)", cleanupCmd},
		{"storage", "print keys and memory per data category", storageCmd},
		{"migrate from-ash-bot", "carry the earlier Python Ash-Bot's Redis data over (--dry-run to only report)", migrateCmd},
		{"nlp-sim", "serve the Ash-NLP stand-in for local development (--addr, faults by flag)", nlpSimCmd},
		{"healthcheck", "exit 0 when the running bot's /readyz answers 200, 1 otherwise (for container health checks)", healthcheck},
		{"version", "print the version", func(_ context.Context, e *Env, _ []string) int {
			fmt.Fprintln(e.Stdout, "ashbot", Version)
			return ExitOK
		}},
	}
}

// Main runs the command named by args and returns the exit status.
func Main(ctx context.Context, args []string, e *Env) int {
	cmds := commands()
	// Longest match first: "report post" before "report".
	for words := min(2, len(args)); words >= 1; words-- {
		name := strings.Join(args[:words], " ")
		for _, c := range cmds {
			if c.name == name {
				return c.run(ctx, e, args[words:])
			}
		}
	}
	if len(args) > 0 && args[0] != "help" && args[0] != "-h" && args[0] != "--help" {
		fmt.Fprintf(e.Stderr, "ashbot: unknown command %q\n\n", strings.Join(args, " "))
		usage(e.Stderr, cmds)
		return ExitUsage
	}
	usage(e.Stdout, cmds)
	return ExitOK
}

func usage(w io.Writer, cmds []command) {
	fmt.Fprintln(w, "usage: ashbot <command> [flags]")
	fmt.Fprintln(w, "\ncommands:")
	for _, c := range cmds {
		fmt.Fprintf(w, "  %-21s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nSettings come from BOT_* environment variables; `ashbot config check` lists them.")
}

// loadConfig loads and validates the settings. On problems it prints one
// line per problem and returns ExitUsage; warnings go to the logger.
func loadConfig(e *Env) (*config.Config, *slog.Logger, int) {
	cfg, warnings, err := config.Load(e.LookupEnv, e.ReadFile, e.Environ...)
	if err != nil {
		var probs *config.Errors
		if errors.As(err, &probs) {
			for _, p := range probs.Problems {
				fmt.Fprintln(e.Stderr, "config:", p.String())
			}
		} else {
			fmt.Fprintln(e.Stderr, "config:", err)
		}
		return nil, nil, ExitUsage
	}
	// One logger for the command, the bot and the libraries they use,
	// go-redis included; it redacts every secret of cfg.
	log := logging.New(e.Stderr, logging.Options{
		Level: cfg.Log.Level, Format: cfg.Log.Format, Secrets: cfg.Secrets(),
		Color: logging.UseColor(e.StderrIsTerminal, e.LookupEnv),
	})
	redisconn.SetLogger(log)
	for _, w := range warnings {
		log.Warn(w)
	}
	for _, n := range cfg.Notes() {
		log.Info(n)
	}
	return cfg, log, ExitOK
}

// connect opens Redis or explains why it cannot.
func connect(ctx context.Context, e *Env, cfg *config.Config) (redis.UniversalClient, int) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Redis.DialTimeout+cfg.Redis.ReadTimeout)
	defer cancel()
	rdb, err := redisconn.Connect(ctx, cfg.Redis)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot:", err)
		return nil, ExitFailed
	}
	return rdb, ExitOK
}

// deps is what a command that works on Redis is given.
type deps struct {
	cfg *config.Config
	log *slog.Logger
	rdb redis.UniversalClient
}

// withRedis loads the settings, connects Redis, runs fn and disconnects.
func withRedis(ctx context.Context, e *Env, fn func(d deps) int) int {
	cfg, log, code := loadConfig(e)
	if cfg == nil {
		return code
	}
	rdb, code := connect(ctx, e, cfg)
	if rdb == nil {
		return code
	}
	defer rdb.Close()
	defer redisconn.CloseOnCancel(ctx, rdb, cancelGrace)()
	code = fn(deps{cfg: cfg, log: log, rdb: rdb})
	if code != ExitOK && ctx.Err() != nil {
		fmt.Fprintln(e.Stderr, "ashbot: interrupted:", context.Cause(ctx))
	}
	return code
}

// cancelGrace is how long a command that talks to Redis may take to stop
// on its own after SIGINT or SIGTERM before its Redis calls are cut off
// (well inside the 10 s an orchestrator usually waits).
const cancelGrace = 3 * time.Second

// fail reports an error the command could not get past.
func fail(e *Env, err error) int {
	fmt.Fprintln(e.Stderr, "ashbot:", err)
	return ExitFailed
}

// parseFlags parses flags that may come before or after positional
// arguments, as operators type them (`events import FILE --shift-to D`).
func parseFlags(fs *flag.FlagSet, e *Env, args []string) ([]string, bool) {
	fs.SetOutput(e.Stderr)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, false
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, true
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// parseDate reads a YYYY-MM-DD day in UTC.
func parseDate(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q is not a date like 2026-01-07", s)
	}
	return t, nil
}

func writeJSON(e *Env, v any) int {
	enc := json.NewEncoder(e.Stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fail(e, err)
	}
	return ExitOK
}
