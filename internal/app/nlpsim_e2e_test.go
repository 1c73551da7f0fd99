package app

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
	"github.com/alphabetcartel/ashbot/internal/standin/nlpsim"
)

// End to end through the real Ash-NLP client and the Ash-NLP stand-in:
// the bot is configured as in production (BOT_NLP_*), only the address
// points at nlpsim, whose texts pick the severity (its package comment).

// newNLPHarness monitors the general channel with the real client against
// a stand-in. Its settings are short so failures end quickly: retries 10 ms
// apart, and a breaker that waits 1 s (the shortest BOT_CB_NLP_TIMEOUT).
func newNLPHarness(t *testing.T, opts ...harnessOption) (*harness, *nlpsim.Server) {
	t.Helper()
	sim, err := nlpsim.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	base := []harnessOption{
		withEnv("BOT_NLP_BASE_URL", sim.URL()),
		withEnv("BOT_NLP_TIMEOUT", "2s"),
		withEnv("BOT_NLP_RETRY_DELAY", "10ms"),
		withEnv("BOT_CB_NLP_TIMEOUT", "1s"),
	}
	h := newHarness(t, append(base, opts...)...)
	h.env["BOT_MONITORED_CHANNELS"] = h.general.String()
	return h, sim
}

// analyzedTexts are the messages the stand-in was asked to classify.
func analyzedTexts(sim *nlpsim.Server) []string {
	var out []string
	for _, r := range sim.Analyzed() {
		out = append(out, r.Message)
	}
	return out
}

// noticesIn counts the bot's messages in ch that contain substr.
func (h *harness) noticesIn(ch discordsim.ChannelID, substr string) int {
	n := 0
	for _, m := range h.sim.BotMessages(ch) {
		if strings.Contains(m.Content, substr) {
			n++
		}
	}
	return n
}

func TestNLPCrisisAlertsSafeDoesNot(t *testing.T) {
	h, sim := newNLPHarness(t)
	h.startBot()
	safe := h.say(h.bob, "nice weather for the picnic today")
	src := h.say(h.alice, "I want to end it all tonight")
	alert := h.alertFor(h.critical, src.ID)
	f := fieldsOf(alert)
	// nlpsim scores "end it all" 0.92, critical, with its factor and
	// summary; the alert shows what the classifier said.
	if !strings.Contains(f[alerts.FieldSource], "Detected") || !strings.Contains(f[alerts.FieldClassifier], "0.92") ||
		!strings.Contains(f[alerts.FieldClassifier], "immediate outreach") ||
		!strings.Contains(f[alerts.FieldFactors], "expressed intent to end their life") ||
		!strings.Contains(f[alerts.FieldSummary], "Crisis indicators found") || f[alerts.FieldPerson] != h.alice.Mention() {
		t.Errorf("alert fields %v", f)
	}
	if !strings.Contains(alert.Content, h.crtRole.Mention()) {
		t.Errorf("critical alert without the CRT ping: %q", alert.Content)
	}
	h.waitFor("both classified", func() bool { return len(sim.Analyzed()) == 2 })
	for _, ch := range []discordsim.ChannelID{h.monitor, h.crisis, h.critical} {
		for _, m := range h.alertsIn(ch) {
			if m.Embeds[0].Footer.Text == "Alert "+safe.ID.String() {
				t.Errorf("the safe message raised an alert in %s", ch)
			}
		}
	}
	if n := len(h.alertsIn(h.monitor)) + len(h.alertsIn(h.crisis)) + len(h.alertsIn(h.critical)); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	got := sim.Analyzed()
	for _, r := range got {
		if !r.IncludeExplanation || r.UserID == "" || r.ChannelID != h.general.String() {
			t.Errorf("request %+v", r)
		}
	}
}

// A 503 is retried; the second attempt's answer raises the one alert.
func TestNLPServerErrorRetried(t *testing.T) {
	h, sim := newNLPHarness(t)
	h.startBot()
	sim.FailNext(1, 503)
	src := h.say(h.alice, "I can't go on like this")
	h.alertFor(h.crisis, src.ID)
	if got := analyzedTexts(sim); !slices.Equal(got, []string{"I can't go on like this", "I can't go on like this"}) {
		t.Errorf("the stand-in saw %q, want the message twice (a 503, then the answer)", got)
	}
	if n := len(h.alertsIn(h.crisis)); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	if n := h.noticesIn(h.monitor, "detection is DOWN"); n != 0 {
		t.Errorf("a retried 503 announced an outage (%d notices)", n)
	}
}

// A 422 is the service refusing the request: not retried, not an outage,
// and not a breaker failure (with BOT_CB_NLP_FAILURES=1 one failure would
// open it and the next message would not be sent).
func TestNLPRejectionNotRetriedNotABreakerFailure(t *testing.T) {
	h, sim := newNLPHarness(t, withEnv("BOT_CB_NLP_FAILURES", "1"))
	h.startBot()
	sim.FailNext(1, 422)
	refused := h.say(h.alice, "I want to end it all")
	h.waitFor("the refused message", func() bool { return len(sim.Analyzed()) == 1 })
	src := h.say(h.alice, "I can't go on anymore")
	h.alertFor(h.crisis, src.ID)
	if got := analyzedTexts(sim); !slices.Equal(got, []string{"I want to end it all", "I can't go on anymore"}) {
		t.Errorf("the stand-in saw %q: a 422 must not be retried", got)
	}
	for _, ch := range []discordsim.ChannelID{h.crisis, h.critical} {
		for _, m := range h.alertsIn(ch) {
			if m.Embeds[0].Footer.Text == "Alert "+refused.ID.String() {
				t.Error("the refused message raised an alert")
			}
		}
	}
	if n := h.noticesIn(h.monitor, "detection is DOWN"); n != 0 {
		t.Errorf("a 422 announced an outage (%d notices)", n)
	}
}

// Ash-NLP answers 503 to everything: three failed attempts open the
// breaker, the CRT is told once, messages wait; once it answers again the
// CRT hears how many were not classified and the waiting crisis message
// raises a late alert.
func TestNLPOutageBreakerNoticesAndLateAlert(t *testing.T) {
	addr := freeAddr(t)
	// Retries 200 ms apart: after the outage, the backlog's messages
	// beyond the half-open breaker's two trial calls wait for them.
	h, sim := newNLPHarness(t, withEnv("BOT_CB_NLP_FAILURES", "3"), withEnv("BOT_NLP_RETRIES", "2"),
		withEnv("BOT_NLP_RETRY_DELAY", "200ms"), withEnv("BOT_HTTP_ADDR", addr))
	h.startBot()
	sim.SetFaults(nlpsim.Faults{Status: 503})
	src := h.say(h.alice, "I feel hopeless and I can't go on")
	notice, err := h.sim.WaitMessage(h.ctx(), h.monitor, func(m discordsim.Message) bool {
		return strings.Contains(m.Content, "detection is DOWN")
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(notice.Content, "server errors") || !strings.Contains(notice.Content, "15m") {
		t.Errorf("down notice %q", notice.Content)
	}
	h.say(h.bob, "just chatting")
	h.say(h.alice, "still here")
	// Both wait in the backlog with the first; the breaker is open.
	h.waitFor("three messages waiting, the breaker open", func() bool {
		_, body := getOps(t, addr, "/metrics")
		return strings.Contains(body, "ashbot_detection_backlog 3") && strings.Contains(body, "ashbot_nlp_breaker_state 2")
	})
	if n := len(sim.Analyzed()); n != 3 {
		t.Errorf("the stand-in saw %d requests during the outage, want 3 (one message, two retries)", n)
	}

	sim.SetFaults(nlpsim.Faults{})
	// The breaker waits BOT_CB_NLP_TIMEOUT on the wall clock; then the
	// detection probe, on the bot's clock, tries the oldest message.
	h.waitFor("the breaker half-open", func() bool {
		_, body := getOps(t, addr, "/metrics")
		return strings.Contains(body, "ashbot_nlp_breaker_state 1")
	})
	h.clock.BlockUntil(t, 3)
	h.clock.Advance(3 * time.Minute)
	h.waitFor("detection back", func() bool { return h.noticesIn(h.monitor, "detection is back") > 0 })
	var back string
	for _, m := range h.sim.BotMessages(h.monitor) {
		if strings.Contains(m.Content, "detection is back") {
			back = m.Content
		}
	}
	if !strings.Contains(back, "3 message(s) could not be classified") {
		t.Errorf("back notice %q", back)
	}
	alert := h.alertFor(h.crisis, src.ID)
	late := fieldsOf(alert)[alerts.FieldLate]
	d, err := time.ParseDuration(strings.Fields(strings.TrimPrefix(late, "⏰ Classified "))[0])
	if err != nil || d < 3*time.Minute {
		t.Errorf("late field %q: want the delay of at least the 3 minutes the clock moved", late)
	}
	h.waitFor("the backlog classified", func() bool { return len(analyzedTexts(sim)) >= 6 })
	if got := analyzedTexts(sim); !slices.Contains(got, "just chatting") || !slices.Contains(got, "still here") {
		t.Errorf("the backlog was not classified: %q", got)
	}
	if n := h.noticesIn(h.monitor, "detection is DOWN"); n != 1 {
		t.Errorf("%d down notices, want 1 (none when the backlog meets the half-open breaker)", n)
	}
}

func TestNLPNeverSendsBotsOrAttachmentsOnly(t *testing.T) {
	h, sim := newNLPHarness(t)
	h.startBot()
	other := h.sim.AddBotMember("another-bot")
	if _, err := h.sim.SendMessage(h.general, other, "I want to end it all (automated post)"); err != nil {
		t.Fatal(err)
	}
	if _, err := h.sim.SendMessageWith(h.general, h.alice, discordsim.SendOptions{
		Files: []discordsim.File{{Name: "photo.png", Data: []byte("png")}},
	}); err != nil {
		t.Fatal(err)
	}
	// A thread of the monitored channel is monitored too.
	thread, err := h.sim.StartThread(h.general, h.alice, "vent")
	if err != nil {
		t.Fatal(err)
	}
	src, err := h.sim.SendMessage(thread, h.alice, "I feel so alone lately")
	if err != nil {
		t.Fatal(err)
	}
	h.alertFor(h.monitor, src.ID)
	if got := analyzedTexts(sim); !slices.Equal(got, []string{"I feel so alone lately"}) {
		t.Errorf("the stand-in saw %q: bots and attachment-only messages must never be sent", got)
	}
}

// Each message goes with the person's earlier ones, oldest first.
func TestNLPHistorySentOldestFirst(t *testing.T) {
	h, sim := newNLPHarness(t)
	h.startBot()
	texts := []string{"I feel so alone", "I'm so stressed about everything", "I can't go on"}
	first := h.say(h.alice, texts[0])
	h.alertFor(h.monitor, first.ID)
	h.say(h.alice, texts[1]) // low: kept in the history, no alert
	third := h.say(h.alice, texts[2])
	h.alertFor(h.crisis, third.ID) // high: an escalation
	got := sim.Analyzed()
	if len(got) != 3 {
		t.Fatalf("%d requests", len(got))
	}
	for i, r := range got {
		var hist []string
		for _, m := range r.MessageHistory {
			hist = append(hist, m.Message)
		}
		if r.Message != texts[i] || !slices.Equal(hist, texts[:i]) {
			t.Errorf("request %d: %q with history %q, want the earlier messages oldest first", i, r.Message, hist)
		}
	}
	if ts := got[2].MessageHistory; len(ts) == 2 && (ts[0].MessageID != first.ID.String() || ts[0].CrisisScore == nil || *ts[0].CrisisScore != 0.4) {
		t.Errorf("history item %+v", ts[0])
	}
}
