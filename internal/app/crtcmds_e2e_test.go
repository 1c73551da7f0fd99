package app

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// refused runs /ash sub as a member without the CRT role and checks the
// private refusal.
func (h *harness) refused(user discordsim.User, sub string, opts map[string]any) {
	h.t.Helper()
	in, err := h.sim.RunSlashCommand(h.general, user, "ash", sub, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	cb, err := in.Wait(h.ctx())
	if err != nil || !cb.Ephemeral() || cb.Message == nil || !strings.Contains(cb.Message.Content, "Only members of the Crisis Response Team") {
		h.t.Errorf("/ash %s by a member without the CRT role: %+v %v", sub, cb.Message, err)
	}
}

// /ash open, /ash history and /ash note through the Discord stand-in: their
// real output, private, for the CRT only; notes reach the alert's thread
// without pinging anyone, show in /ash alert and never in the report.
func TestCRTFollowUpCommands(t *testing.T) {
	h := newHarness(t, withEnv("BOT_ASH_SESSION_TIMEOUT", "300"))
	h.startBot()
	guild := h.sim.GuildID().String()

	// a1: medium, acknowledged by carol, still open.
	src1 := h.say(h.alice, "first message about alice")
	h.flag(h.bob, src1, "medium")
	alert1 := h.alertFor(h.monitor, src1.ID)
	h.waitStored(src1.ID.String(), "medium")
	h.clock.Advance(time.Minute)
	h.click(alert1.ID, h.carol, h.buttonID(alert1, alerts.ActionAcknowledge))
	h.waitMetric(src1.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })

	// a2: high, Ash talked with alice until the idle timeout, resolved.
	src2, alert2 := h.raise("second message about alice", "high", h.crisis)
	h.talkToAsh(alert2, h.carol)
	h.waitDMs(1)
	h.advance(5 * time.Minute)
	h.waitMetric(src2.ID.String(), "session ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	h.click(alert2.ID, h.dave, h.buttonID(h.current(alert2.ID), alerts.ActionResolve))
	h.waitMetric(src2.ID.String(), "resolved", func(a *metrics.Alert) bool { return a.ResolvedAt != nil })

	// a3: critical, about bob, nobody acknowledged it.
	h.clock.Advance(time.Hour)
	src3 := h.say(h.bob, "a message about bob")
	h.flag(h.alice, src3, "critical")
	alert3 := h.alertFor(h.critical, src3.ID)
	h.waitStored(src3.ID.String(), "critical")

	t.Run("open", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "open", nil)
		i1 := strings.Index(got, "alert "+src1.ID.String())
		i3 := strings.Index(got, "alert "+src3.ID.String())
		if !strings.Contains(got, "**Open alerts: 2**") || i1 < 0 || i3 < 0 || i1 > i3 {
			t.Fatalf("open alerts, oldest first:\n%s", got)
		}
		for _, want := range []string{
			"🟡 medium · 1h 6m old · acknowledged by " + h.carol.Mention(),
			"🔴 critical · 0m old · **not acknowledged**",
			"(" + alerts.JumpURL(guild, h.monitor.String(), alert1.ID.String()) + ")",
			"(" + alerts.JumpURL(guild, h.critical.String(), alert3.ID.String()) + ")",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("open alerts lack %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, src2.ID.String()) {
			t.Errorf("a resolved alert is listed as open:\n%s", got)
		}
	})

	t.Run("history", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "history", map[string]any{"user": h.alice})
		i1, i2 := strings.Index(got, "alert "+src1.ID.String()), strings.Index(got, "alert "+src2.ID.String())
		if !strings.Contains(got, "**Alerts about "+h.alice.Mention()+": 2** within the 90-day alert retention") || i1 < 0 || i2 < 0 || i2 > i1 {
			t.Fatalf("alice's history, newest first:\n%s", got)
		}
		lines := strings.Split(got, "\n")
		var l1, l2 string
		for _, l := range lines {
			switch {
			case strings.Contains(l, "alert "+src1.ID.String()):
				l1 = l
			case strings.Contains(l, "alert "+src2.ID.String()):
				l2 = l
			}
		}
		for _, c := range []struct{ line, want string }{
			{l1, "🟡 medium · flagged · acknowledged by " + h.carol.Mention() + " · no Ash chat · **not resolved**"},
			{l2, "🟠 high · flagged · not acknowledged · Ash talked with them (5m), ended: they stopped replying (idle timeout) · resolved"},
			{l2, "(" + alerts.JumpURL(guild, h.crisis.String(), alert2.ID.String()) + ")"},
		} {
			if !strings.Contains(c.line, c.want) {
				t.Errorf("history line lacks %q:\n%s", c.want, c.line)
			}
		}
		for _, text := range []string{src1.Content, src2.Content, src3.ID.String()} {
			if strings.Contains(got, text) {
				t.Errorf("history shows %q:\n%s", text, got)
			}
		}
		_, got = h.runAsh(h.carol, "history", map[string]any{"user": h.carol})
		if !strings.Contains(got, "No alerts about "+h.carol.Mention()) {
			t.Errorf("history of someone without alerts: %q", got)
		}
	})

	const note = "Called them: safe at a friend's tonight @everyone; follow up tomorrow"
	t.Run("note", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "note", map[string]any{"alert": src1.ID.String(), "text": note})
		if !strings.Contains(got, "Note added to [alert "+src1.ID.String()+"]") {
			t.Fatalf("note answer %q", got)
		}
		h.waitThreadNote(alert1, note)
		for _, m := range h.sim.Messages(alert1.ID) {
			if strings.Contains(m.Content, note) {
				if !strings.HasPrefix(m.Content, "📝 Note from "+h.carol.Mention()) || m.MentionEveryone || len(m.MentionUsers) != 0 || len(m.MentionRoles) != 0 {
					t.Errorf("thread note %q pings %v %v %v", m.Content, m.MentionEveryone, m.MentionUsers, m.MentionRoles)
				}
			}
		}
		// By the alert message's id too.
		_, got = h.runAsh(h.dave, "note", map[string]any{"alert": alert1.ID.String(), "text": "second note"})
		if !strings.Contains(got, "Note added") {
			t.Errorf("note by alert message id: %q", got)
		}
		_, got = h.runAsh(h.carol, "note", map[string]any{"alert": "999", "text": "lost"})
		if !strings.Contains(got, "no alert 999") || !strings.Contains(got, "not saved") {
			t.Errorf("note on an unknown alert: %q", got)
		}

		_, got = h.runAsh(h.carol, "alert", map[string]any{"alert_id": src1.ID.String()})
		for _, want := range []string{"**Notes (2)**", h.carol.Mention() + ": " + note, h.dave.Mention() + ": second note", "Acknowledged: <t:"} {
			if !strings.Contains(got, want) {
				t.Errorf("/ash alert lacks %q:\n%s", want, got)
			}
		}
		if _, err := h.sim.RunSlashCommand(h.crisis, h.carol, "ash", "note",
			map[string]any{"alert": src1.ID.String(), "text": strings.Repeat("x", alerts.MaxNoteRunes+1)}); err == nil {
			t.Error("the stand-in sent a note longer than the option's max_length")
		}
	})

	t.Run("notes never in the report", func(t *testing.T) {
		in, _ := h.runAsh(h.carol, "report", map[string]any{"end_date": h.clock.Now().Format(time.DateOnly)})
		m, _ := in.Original()
		if len(m.Embeds) == 0 {
			t.Fatalf("no report: %+v", m)
		}
		var all strings.Builder
		all.WriteString(m.Content)
		for _, e := range m.Embeds {
			all.WriteString(e.Title + e.Description)
			for _, f := range e.Fields {
				all.WriteString(f.Name + f.Value)
			}
		}
		for _, s := range []string{"safe at a friend", "second note", "follow up tomorrow"} {
			if strings.Contains(all.String(), s) {
				t.Errorf("the report shows a note (%q)", s)
			}
		}
		if !strings.Contains(all.String(), "Total Alerts: 3") {
			t.Errorf("report of the week with notes:\n%s", all.String())
		}
	})

	t.Run("storage shows the new keys", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "storage", nil)
		// alice's and bob's indexes, none without a TTL.
		if !regexp.MustCompile(`person_alerts +2 +0 `).MatchString(got) {
			t.Errorf("storage lacks the person indexes:\n%s", got)
		}
	})

	t.Run("refused outside the CRT", func(t *testing.T) {
		h.refused(h.bob, "open", nil)
		h.refused(h.bob, "history", map[string]any{"user": h.alice})
		h.refused(h.alice, "note", map[string]any{"alert": src1.ID.String(), "text": "not mine to write"})
		if n := h.rdb.LLen(context.Background(), alerts.NotesKey(src1.ID.String())).Val(); n != 2 {
			t.Errorf("%d notes after a refused one, want 2", n)
		}
	})
}

// With Redis down the commands answer that Redis did not, privately and in
// time, and no note is claimed saved.
func TestCRTCommandsRedisDown(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h := newHarness(t, withRedisAddr(proxy.Addr), alone())
	h.startBot()
	src, _ := h.raise("a message", "medium", h.monitor)

	proxy.Down()
	for _, c := range []struct {
		sub  string
		opts map[string]any
	}{
		{"open", nil},
		{"history", map[string]any{"user": h.alice}},
		{"note", map[string]any{"alert": src.ID.String(), "text": "tried to reach them"}},
	} {
		_, got := h.runAsh(h.carol, c.sub, c.opts)
		if !strings.Contains(got, "Redis did not answer") || !strings.Contains(got, "Alerts are still posted") {
			t.Errorf("/ash %s with Redis down: %q", c.sub, got)
		}
		if strings.Contains(got, "Note added") {
			t.Errorf("a note claimed saved with Redis down: %q", got)
		}
	}
	proxy.Up()
	_, got := h.runAsh(h.carol, "open", nil)
	if !strings.Contains(got, "**Open alerts: 1**") {
		t.Errorf("open alerts after the outage: %q", got)
	}
}

// Alerts posted before the open-alerts index existed are indexed when the
// bot starts, and /ash open lists them.
func TestOpenAlertsIndexedAtStart(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	created := h.clock.Now().Add(-30 * time.Minute).UnixMilli()
	// As the earlier version wrote them: state only.
	h.rdb.HSet(ctx, alerts.StateKey("1400000000000000001"), "created_at", created, "severity", "high", "user_id", "1400000000000000009",
		"alert_channel_id", h.crisis.String(), "alert_message_id", "1400000000000000002")
	h.rdb.HSet(ctx, alerts.StateKey("1400000000000000003"), "created_at", created, "severity", "low", "user_id", "1400000000000000009",
		"alert_channel_id", h.monitor.String(), "alert_message_id", "1400000000000000004", "res_by", h.carol.ID.String())
	h.startBot()
	h.waitFor("open alerts indexed", func() bool { return h.rdb.ZCard(ctx, alerts.OpenKey).Val() == 1 })
	_, got := h.runAsh(h.carol, "open", nil)
	if !strings.Contains(got, "**Open alerts: 1**") || !strings.Contains(got, "🟠 high · 30m old · **not acknowledged** · [alert 1400000000000000001]") {
		t.Errorf("open alerts:\n%s", got)
	}
}

// At debug level, /ash open, history and note leave in the log neither the
// person asked about, nor anyone's id, nor the note's text.
func TestCRTCommandsLogNoPerson(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	in := h.startBot()
	src, _ := h.raise("a message about alice", "medium", h.monitor)
	const note = "reached their partner, who is with them now"
	h.runAsh(h.carol, "open", nil)
	if _, got := h.runAsh(h.carol, "history", map[string]any{"user": h.alice}); !strings.Contains(got, "Alerts about") {
		t.Fatalf("history %q", got)
	}
	if _, got := h.runAsh(h.carol, "note", map[string]any{"alert": src.ID.String(), "text": note}); !strings.Contains(got, "Note added") {
		t.Fatalf("note %q", got)
	}
	h.runAsh(h.carol, "alert", map[string]any{"alert_id": src.ID.String()})
	in.stop(t)

	out := logs.String()
	if !strings.Contains(out, `"command":"/ash/note"`) {
		t.Fatal("the commands were not logged at all")
	}
	for what, s := range map[string]string{
		"the note": note, "alice's id": h.alice.ID.String(), "carol's id": h.carol.ID.String(), "bob's id": h.bob.ID.String(),
	} {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("the log holds %s: ...%s...", what, out[max(0, i-200):min(len(out), i+len(s)+100)])
		}
	}
}
