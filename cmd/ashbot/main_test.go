// disgo v0.19.6 races on closing a gateway connection (see
// internal/standin/discordsim/doc.go), which a real SIGTERM must do: this test runs
// without the race detector only.

//go:build !race

package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// The test binary doubles as ashbot: with ASHBOT_RUN_MAIN set it runs main.
func TestMain(m *testing.M) {
	if os.Getenv("ASHBOT_RUN_MAIN") == "1" {
		os.Args = append([]string{"ashbot"}, strings.Fields(os.Getenv("ASHBOT_ARGS"))...)
		main()
		return
	}
	os.Exit(m.Run())
}

// The real binary starts the bot, connects to Discord, and on SIGTERM stops
// in order and exits 0 well within the usual 30 s grace period.
func TestRunStopsOnSIGTERM(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	sim := discordsim.New(discordsim.Options{KeepGatewayOnClose: true})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	crisis := sim.AddChannel("crt-crisis")
	crt := sim.AddRole("CRT")
	host, port, _ := net.SplitHostPort(srv.Addr)

	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(),
		"ASHBOT_RUN_MAIN=1", "ASHBOT_ARGS=run",
		"BOT_REDIS_HOST="+host, "BOT_REDIS_PORT="+port, "BOT_SECRETS_DIR=", "BOT_HTTP_ADDR=",
		"BOT_DISCORD_TOKEN="+sim.Token(), "BOT_DISCORD_GUILD_ID="+sim.GuildID().String(),
		"BOT_DISCORD_API_URL="+sim.URL(), "BOT_DISCORD_GATEWAY_URL="+sim.GatewayURL(),
		"BOT_ALERT_CHANNEL_CRISIS_IDS="+crisis.String(), "BOT_CRT_ROLE_IDS="+crt.ID.String(),
	)
	var logs lockedBuffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	// Start-up is over when the bot says it runs: a SIGTERM before that
	// interrupts start-up, which exits 1 (TestSIGTERMWithSilentRedis).
	if err := sim.WaitFor(ctx, func() bool { return sim.ConnectedSessions() > 0 && len(sim.Commands()) > 0 }); err != nil {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the bot did not connect and register its commands: %v\n%s", err, logs.String())
	}
	for !strings.Contains(logs.String(), `"msg":"ashbot running`) {
		select {
		case <-ctx.Done():
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("the bot did not finish starting\n%s", logs.String())
		case <-time.After(20 * time.Millisecond):
		}
	}

	began := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\n%s", err, logs.String())
		}
	case <-time.After(25 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("still running 25s after SIGTERM\n%s", logs.String())
	}
	if took := time.Since(began); took > 10*time.Second {
		t.Errorf("shutdown took %v", took)
	}
	for _, want := range []string{"discord gateway ready", "shutting down", "shutdown complete"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
}

// A Redis that accepts connections and never answers, with 60 s timeouts:
// on SIGTERM the real binary still exits 1 within 10 s, during `ashbot
// run`'s start-up as in any command that talks to Redis.
func TestSIGTERMWithSilentRedis(t *testing.T) {
	srv, err := redistest.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Stop()
	p, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	host, port, _ := net.SplitHostPort(p.Addr)
	for _, args := range []string{"run", "report", "storage"} {
		t.Run(args, func(t *testing.T) {
			p.BlackHole()
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(),
				"ASHBOT_RUN_MAIN=1", "ASHBOT_ARGS="+args,
				"BOT_REDIS_HOST="+host, "BOT_REDIS_PORT="+port, "BOT_SECRETS_DIR=", "BOT_HTTP_ADDR=",
				"BOT_REDIS_DIAL_TIMEOUT=60s", "BOT_REDIS_READ_TIMEOUT=60s", "BOT_REDIS_WRITE_TIMEOUT=60s",
				"BOT_DISCORD_TOKEN=MTIz.c2lt.dG9rZW4", "BOT_ALERT_CHANNEL_CRISIS_IDS=900000000000000001",
				"BOT_CRT_ROLE_IDS=900000000000000002", "BOT_WEEKLY_REPORT_CHANNEL_ID=900000000000000003",
			)
			var logs bytes.Buffer
			cmd.Stdout, cmd.Stderr = &logs, &logs
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-p.Heard():
			case err := <-done:
				t.Fatalf("exited (%v) before asking Redis anything\n%s", err, logs.String())
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("no request reached Redis\n%s", logs.String())
			}
			if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				cmd.Process.Kill()
				<-done
				t.Fatalf("still running 10s after SIGTERM\n%s", logs.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != 1 || !strings.Contains(logs.String(), "stopped waiting for an answer") {
				t.Errorf("exit %d, want 1 naming the wait:\n%s", code, logs.String())
			}
		})
	}
}

// lockedBuffer is a bytes.Buffer the child's output is copied into while
// the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
