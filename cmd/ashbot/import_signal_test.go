//go:build !race

package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// importFile writes n alerts with four later events each, all in the week
// that ended yesterday (the real binary runs on the real clock).
func importFile(t *testing.T, n int) (string, int, string) {
	t.Helper()
	end := time.Now().UTC().Truncate(24 * time.Hour).Add(-24 * time.Hour)
	t0 := end.Add(-5 * 24 * time.Hour)
	var b bytes.Buffer
	for i := range n {
		at := t0.Add(time.Duration(i) * 10 * time.Second)
		ts := func(d time.Duration) string { return at.Add(d).Format(time.RFC3339) }
		id := fmt.Sprintf("load-%d", i)
		fmt.Fprintf(&b, `{"type":"alert_created","alert_id":%q,"at":%q,"alert_message_id":"%d","user_id":"400000000000000001","channel_id":"900000000000000001","severity":"high"}`+"\n", id, ts(0), 1300000000000000000+i)
		fmt.Fprintf(&b, `{"type":"acknowledged","alert_id":%q,"at":%q,"by":"%d"}`+"\n", id, ts(30*time.Second), 111+i%7)
		fmt.Fprintf(&b, `{"type":"ash_contacted","alert_id":%q,"at":%q,"by":"auto","auto":true}`+"\n", id, ts(time.Minute))
		fmt.Fprintf(&b, `{"type":"first_response","alert_id":%q,"at":%q,"by":"222"}`+"\n", id, ts(2*time.Minute))
		fmt.Fprintf(&b, `{"type":"resolved","alert_id":%q,"at":%q,"by":"222"}`+"\n", id, ts(9*time.Minute))
	}
	name := filepath.Join(t.TempDir(), "load.jsonl")
	if err := os.WriteFile(name, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return name, 5 * n, end.Format(time.DateOnly)
}

type exit struct {
	code           int
	stdout, stderr string
}

func ashbot(srv *redistest.Server, args ...string) *exec.Cmd {
	host, port, _ := net.SplitHostPort(srv.Addr)
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "ASHBOT_RUN_MAIN=1", "ASHBOT_ARGS="+strings.Join(args, " "),
		"BOT_REDIS_HOST="+host, "BOT_REDIS_PORT="+port, "BOT_SECRETS_DIR=")
	return cmd
}

func runAshbot(t *testing.T, srv *redistest.Server, args ...string) exit {
	t.Helper()
	cmd := ashbot(srv, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return exit{cmd.ProcessState.ExitCode(), out.String(), errb.String()}
}

// SIGINT and SIGTERM stop `events import` at once, with how far it got and
// a non-zero exit; importing the file again then gives the same report as
// one uninterrupted import.
func TestImportStopsOnSignal(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	rdb := srv.Client(0)
	defer rdb.Close()
	ctx := context.Background()
	file, lines, end := importFile(t, 6000)

	rdb.FlushAll(ctx)
	if r := runAshbot(t, srv, "events", "import", file); r.code != 0 {
		t.Fatalf("clean import: %+v", r)
	}
	want := runAshbot(t, srv, "report", "--end", end, "--format", "json")

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		rdb.FlushAll(ctx)
		cmd := ashbot(srv, "events", "import", file)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for rdb.DBSize(ctx).Val() < 100 {
			time.Sleep(5 * time.Millisecond)
		}
		began := time.Now()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Fatalf("%v: still importing 20s after the signal", sig)
		}
		if took := time.Since(began); took > 2*time.Second {
			t.Errorf("%v: stopped %v after the signal", sig, took)
		}
		if code := cmd.ProcessState.ExitCode(); code != 1 {
			t.Errorf("%v: exit %d, want 1; stderr %s", sig, code, errb.String())
		}
		m := regexp.MustCompile(`import interrupted; (\d+) lines done, resume from line (\d+) `).FindStringSubmatch(errb.String())
		if m == nil {
			t.Fatalf("%v: stderr %q", sig, errb.String())
		}
		resume, _ := strconv.Atoi(m[2])
		if m[1] != strconv.Itoa(resume-1) || resume < 2 || resume > lines {
			t.Errorf("%v: %s", sig, m[0])
		}
		if !strings.HasPrefix(out.String(), "recorded ") {
			t.Errorf("%v: stdout %q", sig, out.String())
		}

		again := runAshbot(t, srv, "events", "import", file)
		var rec, dup int
		if _, err := fmt.Sscanf(again.stdout, "recorded %d, duplicate %d, rejected 0", &rec, &dup); err != nil || again.code != 0 || rec+dup != lines || dup == 0 {
			t.Errorf("%v: re-run %+v", sig, again)
		}
		if got := runAshbot(t, srv, "report", "--end", end, "--format", "json"); got.stdout != want.stdout || got.code != 0 {
			t.Errorf("%v: report after the re-run differs:\n%s\nwant\n%s", sig, got.stdout, want.stdout)
		}
	}
}
