package cli

import (
	"context"
	"flag"
	"fmt"

	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// nlpSimCmd serves the Ash-NLP stand-in for local development until
// SIGINT or SIGTERM; the flags set faults that last the whole run.
func nlpSimCmd(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("nlp-sim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:30880", "`host:port` to listen on")
	latency := fs.Duration("latency", 0, "delay every /analyze answer by this `duration`")
	status := fs.Int("status", 0, "answer every valid /analyze with this HTTP `code` (e.g. 503)")
	degraded := fs.Bool("degraded", false, "mark every answer is_degraded")
	notReady := fs.Bool("not-ready", false, "answer /health with 503 {\"ready\": false}")
	hang := fs.Bool("hang", false, "never answer /analyze (clients time out)")
	if pos, ok := parseFlags(fs, e, args); !ok || len(pos) > 0 {
		fmt.Fprintln(e.Stderr, "usage: ashbot nlp-sim [--addr HOST:PORT] [--latency D] [--status CODE] [--degraded] [--not-ready] [--hang]")
		return ExitUsage
	}
	if *status != 0 && (*status < 400 || *status > 599) {
		fmt.Fprintln(e.Stderr, "ashbot nlp-sim: --status must be an HTTP error code from 400 to 599")
		return ExitUsage
	}
	sim, err := nlpsim.Start(*addr)
	if err != nil {
		return fail(e, err)
	}
	defer sim.Close()
	sim.SetFaults(nlpsim.Faults{Latency: *latency, Status: *status, Degraded: *degraded, NotReady: *notReady, Hang: *hang})
	fmt.Fprintf(e.Stderr, "ashbot nlp-sim: Ash-NLP stand-in on %s (POST /analyze, GET /health); set BOT_NLP_BASE_URL=%s\n", sim.URL(), sim.URL())
	<-ctx.Done()
	fmt.Fprintf(e.Stderr, "ashbot nlp-sim: stopped after %d requests\n", len(sim.Calls()))
	return ExitOK
}
