package cli

import (
	"net"
	"strings"
	"testing"
)

// A BOT_HTTP_ADDR in use stops `ashbot run` with exit 1 and a line naming
// it, instead of a bot that runs without its health endpoint.
func TestRunStopsWhenHTTPAddrInUse(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	r := run(t, map[string]string{
		"BOT_HTTP_ADDR":                busy.Addr().String(),
		"BOT_DISCORD_TOKEN":            "token",
		"BOT_ALERT_CHANNEL_CRISIS_IDS": "123456789012345678",
		"BOT_CRT_ROLE_IDS":             "223456789012345678",
		// Should it get that far, nothing leaves this machine.
		"BOT_DISCORD_API_URL": "http://127.0.0.1:1/api", "BOT_DISCORD_GATEWAY_URL": "ws://127.0.0.1:1",
	}, "", "run")
	if r.code != ExitFailed || !strings.Contains(r.stderr, "BOT_HTTP_ADDR="+busy.Addr().String()) {
		t.Fatalf("exit %d, stderr:\n%s", r.code, r.stderr)
	}
}

// Malformed addresses never get that far: exit 2 naming the variable.
func TestBadAddressesExitTwo(t *testing.T) {
	for _, tt := range []struct{ name, value, want string }{
		{"BOT_HTTP_ADDR", ":99999", `config: BOT_HTTP_ADDR=":99999": must be empty or host:port with a port from 1 to 65535`},
		{"BOT_HTTP_ADDR", "localhost:abc", `config: BOT_HTTP_ADDR="localhost:abc": must be empty or host:port`},
		{"BOT_REDIS_HOST", "127.0.0.1:6379", `config: BOT_REDIS_HOST="127.0.0.1:6379": must be a host name or IP address without a port: use BOT_REDIS_PORT or BOT_REDIS_URL`},
		{"BOT_REDIS_HOST", "[::1]:6379", `config: BOT_REDIS_HOST="[::1]:6379": must be a host name or IP address without a port: use BOT_REDIS_PORT or BOT_REDIS_URL`},
	} {
		for _, cmd := range [][]string{{"config", "check"}, {"run"}} {
			r := run(t, map[string]string{tt.name: tt.value}, "", cmd...)
			if r.code != ExitUsage || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("%s=%s, %s: exit %d, stderr:\n%s", tt.name, tt.value, strings.Join(cmd, " "), r.code, r.stderr)
			}
		}
	}
}

// config check and the exit-2 lines mask every credential in every URL.
func TestConfigCheckMasksURLCredentials(t *testing.T) {
	urls := map[string]string{
		"BOT_REDIS_URL":           "redis://ashbot:SECRET1@" + srv.Addr + "/0",
		"BOT_DISCORD_API_URL":     "https://discord.example/api/v10?token=SECRET2",
		"BOT_DISCORD_GATEWAY_URL": "wss://SECRET3@gateway.example/?v=10",
	}
	r := run(t, urls, "", "config", "check")
	if r.code != ExitOK || strings.Contains(r.stdout+r.stderr, "SECRET") {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, want := range []string{"BOT_REDIS_URL=redis://ashbot:***@", "BOT_DISCORD_API_URL=https://discord.example/api/v10?token=***", "BOT_DISCORD_GATEWAY_URL=wss://***@gateway.example/?v=10"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("config check lacks %q:\n%s", want, r.stdout)
		}
	}

	r = run(t, map[string]string{"BOT_REDIS_URL": "redis://" + srv.Addr + "/0?password=SECRET4", "BOT_DISCORD_API_URL": "ftp://u:SECRET5@x/"}, "", "config", "check")
	if r.code != ExitUsage || strings.Contains(r.stdout+r.stderr, "SECRET") || strings.Count(r.stderr, "config: ") != 2 {
		t.Fatalf("exit %d:\n%s%s", r.code, r.stdout, r.stderr)
	}
	if !strings.Contains(r.stderr, "?password=***\": must not carry credentials in its query (password)") {
		t.Errorf("stderr:\n%s", r.stderr)
	}
}
