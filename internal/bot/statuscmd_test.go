package bot

import (
	"testing"
	"time"
)

func TestStatusLines(t *testing.T) {
	at := time.Unix(1796416320, 0)
	parts := []struct {
		p    Part
		want string
	}{
		{Part{Name: "Redis", State: "ok", Detail: "ping", Latency: 2340 * time.Microsecond}, "🟢 **Redis**: ok, ping 2.3ms"},
		{Part{Name: "Discord", State: "ok", Latency: 84 * time.Millisecond}, "🟢 **Discord**: ok, 84ms"},
		{Part{Name: "Ash-NLP", State: "down", Detail: "circuit breaker open", LastError: "timeout", LastErrorAt: at},
			"🔴 **Ash-NLP**: down, circuit breaker open; last error timeout <t:1796416320:R>"},
		{Part{Name: "Ash-NLP", State: "off", Detail: "BOT_NLP_BASE_URL=off"}, "⚪ **Ash-NLP**: off, BOT_NLP_BASE_URL=off"},
		{Part{Name: "Ash companion", State: "degraded", LastError: "auth", LastErrorAt: at}, "🟡 **Ash companion**: degraded; last error auth <t:1796416320:R>"},
	}
	for _, c := range parts {
		if got := partLine(c.p); got != c.want {
			t.Errorf("partLine(%+v) = %q, want %q", c.p, got, c.want)
		}
	}
	for d, want := range map[time.Duration]string{
		0: "0h 0m", 90 * time.Second: "0h 2m", 5*time.Hour + 7*time.Minute: "5h 7m", 50*time.Hour + 30*time.Second: "2d 2h 1m",
	} {
		if got := uptime(d); got != want {
			t.Errorf("uptime(%v) = %q, want %q", d, got, want)
		}
	}
}
