package app

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// runAsh runs /ash sub as user in channel and returns the private answer.
func (h *harness) runAsh(user discordsim.User, sub string, opts map[string]any) (*discordsim.Interaction, string) {
	h.t.Helper()
	in, err := h.sim.RunSlashCommand(h.crisis, user, "ash", sub, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	cb, err := in.Wait(h.ctx())
	if err != nil {
		h.t.Fatal(err)
	}
	if !cb.Ephemeral() {
		h.t.Fatalf("/ash %s answered publicly: %+v", sub, cb)
	}
	return in, h.answerText(in)
}

// The commands are registered for the guild only; /ash is hidden by
// default_member_permissions and every subcommand checks the roles again.
func TestSlashCommands(t *testing.T) {
	h := newHarness(t)
	h.startBot()

	var ashCmd, flagCmd *discordsim.Command
	for _, c := range h.sim.Commands() {
		c := c
		switch c.Name {
		case "ash":
			ashCmd = &c
		case "Flag for CRT":
			flagCmd = &c
		}
	}
	if ashCmd == nil || flagCmd == nil || ashCmd.GuildID != h.sim.GuildID() || flagCmd.GuildID != h.sim.GuildID() {
		t.Fatalf("commands %+v", h.sim.Commands())
	}
	var raw map[string]any
	if err := json.Unmarshal(ashCmd.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	if raw["default_member_permissions"] != "8192" { // Manage Messages
		t.Errorf("default_member_permissions %v", raw["default_member_permissions"])
	}

	// Some data: an alert acknowledged after two minutes.
	src, alert := h.raise("i need someone", "high", h.crisis)
	h.clock.Advance(2 * time.Minute)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	today := h.clock.Now().Format(time.DateOnly)

	t.Run("refused outside the CRT", func(t *testing.T) {
		in, err := h.sim.RunSlashCommand(h.general, h.bob, "ash", "storage", nil)
		if err != nil {
			t.Fatal(err)
		}
		cb, err := in.Wait(h.ctx())
		if err != nil || !cb.Ephemeral() || !strings.Contains(cb.Message.Content, "Only members of the Crisis Response Team") {
			t.Errorf("answer %+v %v", cb.Message, err)
		}
	})

	t.Run("report", func(t *testing.T) {
		in, _ := h.runAsh(h.carol, "report", map[string]any{"end_date": today})
		m, _ := in.Original()
		if len(m.Embeds) == 0 || !strings.Contains(m.Embeds[0].Title, "Weekly Crisis Response Report") {
			t.Fatalf("report answer %+v", m)
		}
		// The private answer has the chart and the heatmap too.
		if len(m.Attachments) != 2 || m.Attachments[1].Filename != "coverage-by-hour.png" {
			t.Errorf("report attachments %+v", m.Attachments)
		}
		var all strings.Builder
		for _, e := range m.Embeds {
			for _, f := range e.Fields {
				all.WriteString(f.Name + " " + f.Value + "\n")
			}
		}
		if !strings.Contains(all.String(), "Total Alerts: 1") || !strings.Contains(all.String(), h.carol.Mention()) {
			t.Errorf("report fields:\n%s", all.String())
		}
		if strings.Contains(all.String(), h.alice.ID.String()) {
			t.Error("the report names the person in crisis")
		}
		if len(h.sim.Messages(h.reports)) != 0 {
			t.Error("a private report was posted")
		}
	})

	t.Run("report post", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "report", map[string]any{"end_date": today, "post": true})
		if !strings.Contains(got, "Posted the weekly report") {
			t.Errorf("answer %q", got)
		}
		posted := h.sim.BotMessages(h.reports)
		// The chart (with its trend panel) and the coverage heatmap.
		if len(posted) != 1 || len(posted[0].Embeds) == 0 || len(posted[0].Attachments) != 2 ||
			posted[0].Attachments[0].Filename != "weekly-report.png" || posted[0].Attachments[1].Filename != "coverage-by-hour.png" {
			t.Fatalf("report channel %+v", posted)
		}
	})

	t.Run("alert", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "alert", map[string]any{"alert_id": src.ID.String()})
		for _, want := range []string{"Alert " + src.ID.String(), "(high)", h.alice.Mention(), "Acknowledged: <t:", "(+2m0s) by " + h.carol.Mention()} {
			if !strings.Contains(got, want) {
				t.Errorf("timeline lacks %q:\n%s", want, got)
			}
		}
		_, got = h.runAsh(h.carol, "alert", map[string]any{"alert_id": alert.ID.String()})
		if !strings.Contains(got, "Alert "+src.ID.String()) {
			t.Errorf("lookup by alert message id: %q", got)
		}
		_, got = h.runAsh(h.carol, "alert", map[string]any{"alert_id": "999"})
		if !strings.Contains(got, "no alert 999") {
			t.Errorf("unknown alert: %q", got)
		}
	})

	t.Run("storage", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "storage", nil)
		for _, want := range []string{"Redis storage", "alert_metrics", "alert_state", "scheduler"} {
			if !strings.Contains(got, want) {
				t.Errorf("storage lacks %q:\n%s", want, got)
			}
		}
	})

	t.Run("cleanup", func(t *testing.T) {
		in, err := h.sim.RunSlashCommand(h.crisis, h.carol, "ash", "cleanup", map[string]any{"dry_run": true})
		if err != nil {
			t.Fatal(err)
		}
		cb, err := in.Wait(h.ctx())
		if err != nil || !strings.Contains(cb.Message.Content, "Only bot administrators") {
			t.Errorf("CRT member ran cleanup: %+v %v", cb.Message, err)
		}
		_, got := h.runAsh(h.dave, "cleanup", map[string]any{"dry_run": true})
		if !strings.Contains(got, "dry run: nothing was changed") || !strings.Contains(got, "alert_state") {
			t.Errorf("cleanup answer %q", got)
		}
		_, got = h.runAsh(h.dave, "cleanup", nil)
		if !strings.Contains(got, "Retention cleanup") || strings.Contains(got, "dry run") {
			t.Errorf("cleanup answer %q", got)
		}
		// Young data survives a real pass.
		if _, err := h.metricsStore().Alert(h.ctx(), src.ID.String()); err != nil {
			t.Errorf("cleanup removed a young alert: %v", err)
		}
	})
}

// The weekly report and the retention cleanup run on their schedules; a
// bot started after their due time catches up, and the storage check after
// cleanup posts its alert to the report channel.
func TestSchedulesWired(t *testing.T) {
	h := newHarness(t, withEnv("BOT_WEEKLY_REPORT_ENABLED", "true"), withEnv("BOT_RETENTION_ENABLED", "true"),
		withEnv("BOT_STORAGE_ALERT_CATEGORY_KEYS", "2"))
	for _, u := range []string{"1", "2", "3"} {
		h.rdb.Set(h.ctx(), "ash:optout:"+u, h.clock.Now().UnixMilli(), 24*time.Hour)
	}
	h.startBot()
	h.waitFor("weekly report, cleanup and storage alert", func() bool {
		var report, alert bool
		for _, m := range h.sim.BotMessages(h.reports) {
			report = report || len(m.Embeds) > 0 && strings.Contains(m.Embeds[0].Title, "Weekly Crisis Response Report")
			alert = alert || strings.Contains(m.Content, "3 optouts keys")
		}
		return report && alert &&
			len(h.rdb.Keys(h.ctx(), "ash:schedule:weekly-report:*:done").Val()) == 1 &&
			len(h.rdb.Keys(h.ctx(), "ash:schedule:retention-cleanup:*:done").Val()) == 1
	})
	if n := len(h.sim.BotMessages(h.reports)); n != 2 {
		t.Errorf("%d posts in the report channel, want the report and the storage alert", n)
	}
}
