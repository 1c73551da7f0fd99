package app

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// markerNLP is a classifier in the process for the tests of detection's
// own rules (cooldown, escalation, replicas, edits, Redis down): the
// severity is chosen by a marker in the text ("[high]"; none is safe).
// What goes over the wire to Ash-NLP (retries, breaker, outages, what is
// sent) is tested through the real client and nlpsim in
// nlpsim_e2e_test.go.
type markerNLP struct {
	mu   sync.Mutex
	seen []string
}

func (n *markerNLP) Analyze(_ context.Context, r ashnlp.Request) (ashnlp.Result, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.seen = append(n.seen, r.Message)
	for _, m := range []struct {
		marker, sev string
		score       float64
	}{{"[critical]", "critical", 0.92}, {"[high]", "high", 0.62}, {"[medium]", "medium", 0.4}, {"[low]", "low", 0.2}} {
		if strings.Contains(r.Message, m.marker) {
			return ashnlp.Result{
				CrisisDetected: true, Severity: m.sev, CrisisScore: m.score, Confidence: 0.81, RequiresIntervention: true,
				RecommendedAction: "immediate_outreach", KeyFactors: []string{"hopelessness", "a plan"},
				DecisionSummary: "Several models agree on acute distress.", IsDegraded: strings.Contains(r.Message, "degraded"),
			}, nil
		}
	}
	return ashnlp.Result{Severity: "safe", CrisisScore: 0.03, Confidence: 0.95, RecommendedAction: "none"}, nil
}

func (n *markerNLP) messages() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.seen)
}

// newDetectHarness monitors the general channel with a markerNLP.
func newDetectHarness(t *testing.T, opts ...harnessOption) (*harness, *markerNLP) {
	t.Helper()
	h := newHarness(t, opts...)
	nlp := &markerNLP{}
	h.classifier = nlp
	h.env["BOT_MONITORED_CHANNELS"] = h.general.String()
	return h, nlp
}

func fieldsOf(m discordsim.Message) map[string]string {
	out := map[string]string{}
	for _, f := range m.Embeds[0].Fields {
		out[f.Name] = f.Value
	}
	return out
}

func (h *harness) alertsIn(ch discordsim.ChannelID) []discordsim.Message {
	var out []discordsim.Message
	for _, m := range h.sim.Messages(ch) {
		if len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "severity alert") {
			out = append(out, m)
		}
	}
	return out
}

func TestDetectedCrisisAlertsInItsChannel(t *testing.T) {
	h, nlp := newDetectHarness(t)
	h.startBot()
	h.say(h.alice, "what a lovely morning")
	src := h.say(h.alice, "[high] I don't see the point of anything anymore")
	alert := h.alertFor(h.crisis, src.ID)
	f := fieldsOf(alert)
	if !strings.Contains(f[alerts.FieldSource], "Detected") || !strings.Contains(f[alerts.FieldClassifier], "0.62") ||
		!strings.Contains(f[alerts.FieldClassifier], "immediate outreach") || !strings.Contains(f[alerts.FieldFactors], "a plan") ||
		!strings.Contains(f[alerts.FieldSummary], "acute distress") || f[alerts.FieldPerson] != h.alice.Mention() {
		t.Errorf("alert fields %v", f)
	}
	if !strings.Contains(alert.Content, h.crtRole.Mention()) {
		t.Errorf("high alert without the CRT ping: %q", alert.Content)
	}
	rec := h.waitMetric(src.ID.String(), "alert_created", func(*metrics.Alert) bool { return true })
	if rec.Severity != "high" || rec.UserID != h.alice.ID.String() || rec.AlertMessageID != alert.ID.String() {
		t.Errorf("record %+v", rec)
	}
	// The safe message before it raised nothing, and both were classified.
	if n := len(h.alertsIn(h.monitor)) + len(h.alertsIn(h.crisis)) + len(h.alertsIn(h.critical)); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	if got := nlp.messages(); len(got) != 2 {
		t.Errorf("classified %q", got)
	}
	// The CRT's talk in the alert thread is never classified.
	h.waitFor("alert state", func() bool {
		return h.rdb.Exists(context.Background(), alerts.ThreadKey(alert.ID.String())).Val() == 1
	})
	if _, err := h.sim.SendMessage(alert.ID, h.carol, "[critical] on it"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("first response", func() bool {
		a, err := h.metricsStore().Alert(context.Background(), src.ID.String())
		return err == nil && a.FirstResponseAt != nil
	})
	if got := nlp.messages(); len(got) != 2 {
		t.Errorf("a message outside the monitored channels was classified: %q", got)
	}
}

func TestEditedMessageIsClassifiedAgain(t *testing.T) {
	h, nlp := newDetectHarness(t)
	h.startBot()
	src := h.say(h.alice, "I'm fine")
	h.waitFor("first classification", func() bool { return len(nlp.messages()) == 1 })
	if _, err := h.sim.EditMessage(src.ID, h.alice, "[high] I'm not fine, I want to disappear"); err != nil {
		t.Fatal(err)
	}
	h.alertFor(h.crisis, src.ID)
	// A second edit does not raise a second alert for the same message.
	if _, err := h.sim.EditMessage(src.ID, h.alice, "[critical] still the same message"); err != nil {
		t.Fatal(err)
	}
	next := h.say(h.bob, "[medium] sentinel")
	h.alertFor(h.monitor, next.ID)
	if n := len(h.alertsIn(h.crisis)) + len(h.alertsIn(h.critical)); n != 1 {
		t.Errorf("%d alerts for one message", n)
	}
}

func TestCooldownNoteAndEscalationEndToEnd(t *testing.T) {
	h, _ := newDetectHarness(t)
	h.startBot()
	first := h.say(h.alice, "[medium] today was awful")
	open := h.alertFor(h.monitor, first.ID)
	h.say(h.alice, "[medium] and it keeps getting worse")
	h.waitThreadNote(open, "Another message from the same person")
	if !slices.ContainsFunc(h.threadMessages(open), func(s string) bool { return strings.Contains(s, "keeps getting worse") }) {
		t.Errorf("note without its excerpt: %q", h.threadMessages(open))
	}
	esc := h.say(h.alice, "[critical] I have the pills in front of me")
	alert := h.alertFor(h.critical, esc.ID)
	f := fieldsOf(alert)
	if !strings.Contains(f[alerts.FieldEscalated], open.ID.String()) || !strings.Contains(alert.Content, h.crtRole.Mention()) ||
		!strings.Contains(alert.Content, "escalated from medium") {
		t.Errorf("escalation %q fields %v", alert.Content, f)
	}
	h.waitThreadNote(open, alert.ID.String())
	if n := len(h.alertsIn(h.monitor)); n != 1 {
		t.Errorf("%d monitor alerts, want 1 (the note is not an alert)", n)
	}
}

func TestTwoReplicasOneDetectedAlert(t *testing.T) {
	h, _ := newDetectHarness(t)
	h.startBot()
	h.startBot()
	var ids []snowflake.ID
	for _, u := range []discordsim.User{h.alice, h.bob, h.carol} {
		ids = append(ids, h.say(u, "[high] please someone help").ID)
	}
	for _, id := range ids {
		h.alertFor(h.crisis, id)
	}
	sentinel := h.say(h.dave, "[medium] sentinel")
	h.alertFor(h.monitor, sentinel.ID)
	h.waitFor("both replicas done", func() bool { return len(h.alertsIn(h.crisis)) >= 3 })
	if n := len(h.alertsIn(h.crisis)); n != 3 {
		t.Errorf("%d alerts for 3 messages seen by two replicas", n)
	}
}

func TestRedisDownDetectedAlertStillPosted(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h, _ := newDetectHarness(t, withRedisAddr(proxy.Addr))
	h.startBot()
	proxy.Down()
	src := h.say(h.alice, "[critical] goodbye everyone")
	alert := h.alertFor(h.critical, src.ID)
	if !strings.Contains(alert.Content, h.crtRole.Mention()) {
		t.Errorf("alert %q", alert.Content)
	}
	proxy.Up()
	h.waitMetric(src.ID.String(), "alert_created after the outage", func(*metrics.Alert) bool { return true })
}

// A message detected on its own and then flagged by a member is one alert.
func TestFlagOfADetectedMessageIsNotASecondAlert(t *testing.T) {
	h, _ := newDetectHarness(t)
	h.startBot()
	src := h.say(h.alice, "[high] I can't keep doing this")
	h.alertFor(h.crisis, src.ID)
	if got := h.flag(h.bob, src, "critical"); !strings.Contains(got, "already flagged") {
		t.Errorf("flag answer %q", got)
	}
	if n := len(h.alertsIn(h.crisis)) + len(h.alertsIn(h.critical)); n != 1 {
		t.Errorf("%d alerts for one message", n)
	}
}
