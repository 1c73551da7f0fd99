// Command ashbot is the Crisis Response Team's Discord bot and its operator
// tools. Everything but process wiring lives in internal/.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/alphabetcartel/ashbot/internal/cli"
	"github.com/alphabetcartel/ashbot/internal/config"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], &cli.Env{
		Stdin:            os.Stdin,
		Stdout:           os.Stdout,
		Stderr:           os.Stderr,
		LookupEnv:        os.LookupEnv,
		Environ:          os.Environ(),
		ReadFile:         config.ReadFile,
		Now:              time.Now,
		StderrIsTerminal: term.IsTerminal(int(os.Stderr.Fd())),
		StdoutIsTerminal: term.IsTerminal(int(os.Stdout.Fd())),
	})
	stop()
	os.Exit(code)
}
