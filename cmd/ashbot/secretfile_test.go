// Runs the real binary through TestMain in main_test.go, so it shares that
// file's build constraint.

//go:build !race && unix

package main

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The real binary reads secret files without blocking: a FIFO named by a
// _FILE variable is refused with exit 2, where opening it would wait for a
// writer for ever.
func TestSecretFIFORefused(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "discord_token")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0])
	cmd.Env = append(os.Environ(), "ASHBOT_RUN_MAIN=1", "ASHBOT_ARGS=config check",
		"BOT_SECRETS_DIR=", "BOT_DISCORD_TOKEN_FILE="+fifo)
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("config check blocked on the FIFO:\n%s", out)
	}
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "BOT_DISCORD_TOKEN_FILE=") ||
		!strings.Contains(string(out), "is a named pipe (FIFO), not a regular file") {
		t.Fatalf("exit %v, output:\n%s", err, out)
	}
}
