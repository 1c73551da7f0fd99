package app

import (
	"bytes"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// syncBuffer collects a log written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The bot at debug level, with a Redis password, through a flag, an Ash
// chat, a first response in the alert thread and a weekly report (shown
// and posted): the whole log, disgo's gateway, REST and rate-limiter
// records included, holds neither secret, nor anyone's user id or name,
// nor any message text.
func TestDebugLogHoldsNoSecretOrPerson(t *testing.T) {
	// Characters JSON and URLs escape, so every written form is tried.
	const password = `rd-pw"<&>-9f3k2`
	rs, err := redistest.StartWithPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rs.Stop)
	var logs syncBuffer
	h := newHarness(t, withRedisServer(rs),
		withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	in := h.startBot()

	const crisisText = "nobody would even notice if i disappeared tonight"
	const dmText = "i keep thinking about the bridge near my flat"
	const threadText = "here with you, reading the alert now"
	const byeText = "Bye, Ash!"
	src, alert := h.raise(crisisText, "high", h.crisis)
	if got := h.talkToAsh(alert, h.carol); !strings.Contains(got, "Ash reached out") {
		t.Fatalf("Talk to Ash: %q", got)
	}
	welcome := h.waitDMs(1)[0]
	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, dmText); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Ash's reply", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == 2 })
	if _, err := h.sim.SendMessage(alert.ID, h.carol, threadText); err != nil {
		t.Fatal(err)
	}
	h.waitMetric(src.ID.String(), "first response", func(a *metrics.Alert) bool { return a.FirstResponseAt != nil })
	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, byeText); err != nil {
		t.Fatal(err)
	}
	h.waitMetric(src.ID.String(), "session end", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	today := h.clock.Now().Format(time.DateOnly)
	h.runAsh(h.carol, "report", map[string]any{"end_date": today})
	if _, got := h.runAsh(h.dave, "report", map[string]any{"end_date": today, "post": true}); !strings.Contains(got, "Posted the weekly report") {
		t.Fatalf("report post: %q", got)
	}
	in.stop(t)

	out := logs.String()
	// The log is the real thing: disgo's payload records were written,
	// and withheld.
	for _, want := range []string{`"level":"DEBUG"`, "received gateway message", "sending gateway message",
		"new request", "payload withheld", "t=MESSAGE_CREATE", "alert posted", "shutdown complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	token := h.env["BOT_DISCORD_TOKEN"]
	leaks := map[string]string{
		"the Discord token": token, "the token's secret part": token[strings.LastIndex(token, ".")+1:],
		"the Redis password": password, "the Redis password, JSON-escaped": `rd-pw\"\u003c\u0026\u003e-9f3k2`,
		"the crisis message": crisisText, "the DM to Ash": dmText, "the goodbye": byeText, "the thread reply": threadText,
	}
	for who, u := range map[string]string{"alice": h.alice.ID.String(), "bob": h.bob.ID.String(),
		"carol": h.carol.ID.String(), "dave": h.dave.ID.String()} {
		leaks[who+"'s user id"] = u
	}
	for what, s := range leaks {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("the log holds %s: ...%s...", what, out[max(0, i-200):min(len(out), i+len(s)+100)])
		}
	}
	for _, name := range []string{"alice", "bob", "carol", "dave"} {
		if loc := regexp.MustCompile(`(?i)\b` + name + `\b`).FindStringIndex(out); loc != nil {
			t.Errorf("the log names %s: ...%s...", name, out[max(0, loc[0]-200):min(len(out), loc[1]+100)])
		}
	}
}
