package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/escalation"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// escalationHarness switches escalation on (critical=5) with a leads role
// and an escalation channel.
func escalationHarness(t *testing.T) (*harness, discordsim.Role, discordsim.ChannelID) {
	h := newHarness(t, withEnv("BOT_ESCALATION_MINUTES", "critical=5,high=15"))
	leads, ch := h.sim.AddRole("CRT Leads"), h.sim.AddChannel("crt-leads")
	h.env["BOT_ESCALATION_ROLE_IDS"], h.env["BOT_ESCALATION_CHANNEL_ID"] = leads.ID.String(), ch.String()
	return h, leads, ch
}

// threadPost returns the bot's message in the alert's thread that
// contains substr.
func (h *harness) threadPost(alert discordsim.Message, substr string) discordsim.Message {
	h.t.Helper()
	h.waitThreadNote(alert, substr)
	for _, m := range h.sim.Messages(alert.ID) {
		if strings.Contains(m.Content, substr) {
			return m
		}
	}
	h.t.Fatalf("no thread post %q", substr)
	return discordsim.Message{}
}

// A critical alert nobody acknowledges: after 5 minutes the CRT role is
// mentioned again in its thread (and only it pings), after 10 the leads'
// role is, and the escalation channel gets a notice with the alert's link
// that names nobody. /metrics counts both levels.
func TestEscalationUnacknowledged(t *testing.T) {
	h, leads, leadsCh := escalationHarness(t)
	get := serveOps(h)
	src := h.say(h.alice, "I want to end it all tonight")
	h.flag(h.bob, src, "critical")
	alert := h.alertFor(h.critical, src.ID)
	h.waitFor("escalation timers", func() bool {
		return h.rdb.ZCard(context.Background(), escalation.Key).Val() == 2
	})

	h.advance(3 * time.Minute) // Ash reaches out on its own; nobody from the team yet
	h.waitThreadNote(alert, "Ash reached out")
	if slices.ContainsFunc(h.threadMessages(alert), func(s string) bool { return strings.Contains(s, "unacknowledged") }) {
		t.Fatal("escalated before 5 minutes")
	}
	h.advance(2 * time.Minute)
	l1 := h.threadPost(alert, "Still unacknowledged after 5 minutes")
	if !strings.Contains(l1.Content, h.crtRole.Mention()) || !slices.Equal(l1.MentionRoles, []snowflake.ID{h.crtRole.ID}) ||
		len(l1.MentionUsers) != 0 || l1.MentionEveryone {
		t.Errorf("level 1 %q pings roles %v users %v", l1.Content, l1.MentionRoles, l1.MentionUsers)
	}
	if n := len(h.sim.BotMessages(leadsCh)); n != 0 {
		t.Errorf("level 1 posted %d notices for the leads", n)
	}

	h.advance(5 * time.Minute)
	l2 := h.threadPost(alert, "Escalated: still unacknowledged after 10 minutes")
	if !strings.Contains(l2.Content, leads.Mention()) || !slices.Equal(l2.MentionRoles, []snowflake.ID{leads.ID}) || len(l2.MentionUsers) != 0 {
		t.Errorf("level 2 %q pings roles %v users %v", l2.Content, l2.MentionRoles, l2.MentionUsers)
	}
	var notice discordsim.Message
	h.waitFor("escalation notice", func() bool {
		msgs := h.sim.BotMessages(leadsCh)
		if len(msgs) > 0 {
			notice = msgs[0]
		}
		return len(msgs) == 1
	})
	link := alerts.JumpURL(h.sim.GuildID().String(), h.critical.String(), alert.ID.String())
	if !strings.Contains(notice.Content, "critical alert unacknowledged for 10 minutes") || !strings.Contains(notice.Content, link) {
		t.Errorf("notice %q, want severity, age and %s", notice.Content, link)
	}
	if strings.Contains(notice.Content, h.alice.ID.String()) || strings.Contains(notice.Content, "end it all") ||
		len(notice.MentionUsers)+len(notice.MentionRoles) != 0 {
		t.Errorf("notice %q names or pings someone", notice.Content)
	}

	// Both steps are recorded with the times of the thread posts.
	rec := h.waitMetric(src.ID.String(), "both escalations", func(a *metrics.Alert) bool {
		return a.EscalatedAt != nil && a.EscalatedLeadsAt != nil
	})
	if !rec.EscalatedAt.Equal(l1.ID.Time()) || !rec.EscalatedLeadsAt.Equal(l2.ID.Time()) {
		t.Errorf("recorded escalations %v %v, want %v %v", rec.EscalatedAt, rec.EscalatedLeadsAt, l1.ID.Time(), l2.ID.Time())
	}

	_, body := get("/metrics")
	for _, want := range []string{
		`ashbot_escalations_total{level="1",severity="critical"} 1`, `ashbot_escalations_total{level="2",severity="critical"} 1`,
		`ashbot_escalations_late_total{level="2",severity="critical"} 0`, `ashbot_timers_fired_total{timer="escalation"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// An acknowledged alert never escalates: the acknowledgment removes its
// timers, and nothing is posted at 5 or 10 minutes.
func TestEscalationAcknowledged(t *testing.T) {
	h, _, leadsCh := escalationHarness(t)
	h.startBot()
	src := h.say(h.alice, "I want to end it all tonight")
	h.flag(h.bob, src, "critical")
	alert := h.alertFor(h.critical, src.ID)
	h.waitFor("escalation timers", func() bool {
		return h.rdb.ZCard(context.Background(), escalation.Key).Val() == 2
	})
	h.clock.Advance(time.Minute)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	h.waitFor("escalation timers removed", func() bool {
		return h.rdb.ZCard(context.Background(), escalation.Key).Val() == 0
	})
	h.advance(4 * time.Minute)
	h.advance(5 * time.Minute)
	h.advance(time.Hour)
	for _, m := range h.threadMessages(alert) {
		if strings.Contains(m, "unacknowledged") {
			t.Errorf("an acknowledged alert escalated: %q", m)
		}
	}
	if n := len(h.sim.BotMessages(leadsCh)); n != 0 {
		t.Errorf("%d notices for an acknowledged alert", n)
	}
	rec := h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.EscalatedAt != nil || rec.EscalatedLeadsAt != nil {
		t.Errorf("an acknowledged alert recorded as escalated: %v %v", rec.EscalatedAt, rec.EscalatedLeadsAt)
	}
}

// Redis is down when a critical alert is posted: the alert goes out at
// once, its escalation timers are set in the background once Redis is
// back, and nobody acknowledging still gets the CRT told at 5 minutes.
func TestEscalationAfterRedisOutage(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h := newHarness(t, withRedisAddr(proxy.Addr), withEnv("BOT_ESCALATION_MINUTES", "critical=5"))
	h.startBot()
	src := h.say(h.alice, "I have a plan and I think tonight is the night")
	proxy.Down()
	h.flag(h.bob, src, "critical")
	alert := h.alertFor(h.critical, src.ID)
	if n := h.rdb.ZCard(context.Background(), escalation.Key).Val(); n != 0 {
		t.Fatalf("%d timers written while Redis was down?", n)
	}
	proxy.Up()
	h.waitFor("escalation timers set after the outage", func() bool {
		return h.rdb.ZCard(context.Background(), escalation.Key).Val() == 2
	})
	h.advance(5 * time.Minute)
	l1 := h.threadPost(alert, "Still unacknowledged after 5 minutes")
	if !slices.Equal(l1.MentionRoles, []snowflake.ID{h.crtRole.ID}) {
		t.Errorf("level 1 pings %v", l1.MentionRoles)
	}
}

// A detected alert goes through the same dispatch: nobody acknowledging
// a high one gets the CRT told at 15 minutes.
func TestEscalationDetected(t *testing.T) {
	h, _ := newDetectHarness(t, withEnv("BOT_ESCALATION_MINUTES", "high=15"))
	h.startBot()
	src := h.say(h.alice, "[high] I don't see the point of anything anymore")
	alert := h.alertFor(h.crisis, src.ID)
	h.waitFor("escalation timers", func() bool {
		return h.rdb.ZCard(context.Background(), escalation.Key).Val() == 2
	})
	h.advance(15 * time.Minute)
	l1 := h.threadPost(alert, "Still unacknowledged after 15 minutes")
	if !slices.Equal(l1.MentionRoles, []snowflake.ID{h.crtRole.ID}) {
		t.Errorf("level 1 pings %v", l1.MentionRoles)
	}
}
