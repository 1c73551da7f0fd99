package app

import (
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// /ash report measures BOT_REPORT_TARGETS, covers a month or a quarter,
// and lists every CRT member's load privately; none of it names the person
// in crisis.
func TestReportPeriodsTargetsAndLoad(t *testing.T) {
	h := newHarness(t, withEnv("BOT_REPORT_TARGETS", "acknowledge=5m,critical.acknowledge=1m"))
	h.startBot()

	src, alert := h.raise("i need someone", "high", h.crisis)
	h.clock.Advance(2 * time.Minute)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	today := h.clock.Now().Format(time.DateOnly)
	crisisUser := h.alice.ID.String()

	t.Run("targets in the weekly report", func(t *testing.T) {
		in, _ := h.runAsh(h.carol, "report", map[string]any{"end_date": today, "period": "week"})
		m, _ := in.Original()
		var all strings.Builder
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				all.WriteString(f.Name + "\n" + f.Value + "\n")
			}
		}
		for _, want := range []string{"🎯 Response Targets", "Acknowledge within 5m 00s (All alerts): 100% (1 of 1)", "Acknowledge within 1m 00s (Critical): no data"} {
			if !strings.Contains(all.String(), want) {
				t.Errorf("report lacks %q:\n%s", want, all.String())
			}
		}
		if strings.Contains(all.String(), crisisUser) {
			t.Error("the report names the person in crisis")
		}
	})

	t.Run("responders", func(t *testing.T) {
		in, got := h.runAsh(h.carol, "report", map[string]any{"end_date": today, "responders": true})
		if !strings.Contains(got, "Volunteer load, Week of") || !strings.Contains(got, h.carol.Mention()+": 1 acknowledgment, 0 first responses, 0 resolutions, 0 handoffs taken over") {
			t.Errorf("load answer %q", got)
		}
		if strings.Contains(got, crisisUser) {
			t.Error("the load names the person in crisis")
		}
		if m, _ := in.Original(); len(m.MentionUsers) > 0 || len(m.MentionRoles) > 0 {
			t.Errorf("the load pinged %v %v", m.MentionUsers, m.MentionRoles)
		}
	})

	t.Run("last whole month", func(t *testing.T) {
		in, _ := h.runAsh(h.carol, "report", map[string]any{"period": "month"})
		m, _ := in.Original()
		if len(m.Embeds) == 0 || !strings.Contains(m.Embeds[0].Title, "Monthly Crisis Response Report") {
			t.Fatalf("month answer %+v", m)
		}
		last := time.Date(h.clock.Now().Year(), h.clock.Now().Month(), 0, 0, 0, 0, 0, time.UTC)
		if !strings.Contains(m.Embeds[0].Description, last.Format("January 2006")) {
			t.Errorf("month heading %q, want %s", m.Embeds[0].Description, last.Format("January 2006"))
		}
	})

	t.Run("month not over", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "report", map[string]any{"period": "month", "end_date": today})
		if !strings.Contains(got, "has not ended yet") {
			t.Errorf("answer %q", got)
		}
		_, got = h.runAsh(h.carol, "report", map[string]any{"period": "quarter", "post": true})
		if !strings.Contains(got, "only the weekly report is posted") || len(h.sim.Messages(h.reports)) != 0 {
			t.Errorf("answer %q, report channel %d messages", got, len(h.sim.Messages(h.reports)))
		}
	})
}

// /ash-me stats shows a CRT member their own figures of the last whole
// week, and nobody else's; a member without the CRT role has none.
func TestMemberStats(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("i need someone", "high", h.crisis)
	h.clock.Advance(2 * time.Minute)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	// The week that ends yesterday holds the alert.
	h.clock.Advance(24 * time.Hour)

	in, got := h.runCmd(h.general, h.carol, "ash-me", "stats", nil)
	mustContain(t, "/ash-me stats", got, "Your figures, Week of", "1 acknowledgment, 0 first responses, 0 resolutions")
	if strings.Contains(got, "<@") || strings.Contains(got, h.alice.ID.String()) {
		t.Errorf("/ash-me stats names someone: %q", got)
	}
	if m, _ := in.Original(); m.Flags&discord.MessageFlagEphemeral == 0 {
		t.Error("/ash-me stats answered publicly")
	}
	_, got = h.runCmd(h.general, h.dave, "ash-me", "stats", map[string]any{"period": "month"})
	mustContain(t, "/ash-me stats by a CRT member without alerts", got, "No acknowledgments, first responses or resolutions by you this month")
	_, got = h.runCmd(h.general, h.bob, "ash-me", "stats", nil)
	mustContain(t, "/ash-me stats by a member", got, "you do not have a CRT role")
	dm, err := h.sim.OpenDM(h.carol)
	if err != nil {
		t.Fatal(err)
	}
	_, got = h.runCmd(dm, h.carol, "ash-me", "stats", nil)
	mustContain(t, "/ash-me stats in a DM", got, "run `/ash-me stats` in the server")
}
