package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// healthcheck asks the running bot's /readyz and exits 0 when it answers
// 200, 1 otherwise: a container HEALTHCHECK for images without curl (the
// scratch image has nothing but ashbot). It reads BOT_HTTP_ADDR like the
// bot does, so the image needs no second setting, and loads nothing else:
// a health probe must not fail because an unrelated setting is off.
func healthcheck(ctx context.Context, e *Env, args []string) int {
	fs := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	url := fs.String("url", "", "readiness URL (default: /readyz on BOT_HTTP_ADDR)")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if _, ok := parseFlags(fs, e, args); !ok {
		return ExitUsage
	}
	if *url == "" {
		addr, _ := e.LookupEnv("BOT_HTTP_ADDR")
		u, err := readyURL(addr)
		if err != nil {
			fmt.Fprintln(e.Stderr, "ashbot healthcheck:", err)
			return ExitUsage
		}
		*url = u
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, *url, nil)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot healthcheck:", err)
		return ExitUsage
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Fprintln(e.Stderr, "ashbot healthcheck: not ready:", err)
		return ExitFailed
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintf(e.Stderr, "ashbot healthcheck: not ready: %s %s\n", resp.Status, body)
		return ExitFailed
	}
	fmt.Fprintf(e.Stdout, "ready %s\n", body)
	return ExitOK
}

// readyURL turns a listen address into the URL a local probe calls: a
// wildcard host (":30881", "0.0.0.0:30881", "[::]:30881") is reached on
// loopback.
func readyURL(addr string) (string, error) {
	if addr == "" {
		return "", errors.New("BOT_HTTP_ADDR is not set: the bot serves no health endpoint (or pass --url)")
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("BOT_HTTP_ADDR=%q: %w", addr, err)
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::":
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/readyz", nil
}
