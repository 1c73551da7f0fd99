package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/configtext"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// runCmd runs /name sub as user in channel and returns the interaction
// and the private answer.
func (h *harness) runCmd(channel discordsim.ChannelID, user discordsim.User, name, sub string, opts map[string]any) (*discordsim.Interaction, string) {
	h.t.Helper()
	in, err := h.sim.RunSlashCommand(channel, user, name, sub, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	cb, err := in.Wait(h.ctx())
	if err != nil {
		h.t.Fatal(err)
	}
	if !cb.Ephemeral() {
		h.t.Fatalf("/%s %s answered publicly: %+v", name, sub, cb)
	}
	return in, h.answerText(in)
}

func mustContain(t *testing.T, what, got string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, got)
		}
	}
}

// /ash-me is a global command every member sees, usable in the server and
// in a DM with the bot; it records and lifts the member's own opt-out,
// which Ash then respects. /ash optout shows it to the CRT and lifts it,
// noted in the person's latest alert thread; nobody else may use it.
func TestOptOutCommands(t *testing.T) {
	var logs syncBuffer
	h := newHarness(t, withLogger(slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	h.startBot()
	ctx := context.Background()

	i := slices.IndexFunc(h.sim.Commands(), func(c discordsim.Command) bool { return c.Name == "ash-me" })
	if i < 0 {
		t.Fatalf("/ash-me not registered: %+v", h.sim.Commands())
	}
	me := h.sim.Commands()[i]
	var raw struct {
		Perms    *string `json:"default_member_permissions"`
		Contexts []int   `json:"contexts"`
	}
	if err := json.Unmarshal(me.Raw, &raw); err != nil {
		t.Fatal(err)
	}
	if me.GuildID != 0 || raw.Perms != nil || !slices.Equal(raw.Contexts, []int{0, 1}) {
		t.Errorf("/ash-me: guild %v, default_member_permissions %v, contexts %v; want global, none, [0 1]", me.GuildID, raw.Perms, raw.Contexts)
	}

	// An alert about alice first, so that her opt-out has a thread to
	// be noted in.
	src, alert := h.raise("i can't do this anymore", "medium", h.monitor)
	h.waitMetric(src.ID.String(), "created", func(*metrics.Alert) bool { return true })

	_, got := h.runCmd(h.general, h.alice, "ash-me", "optout", nil)
	mustContain(t, "/ash-me optout", got, "Ash will not contact you until <t:", "/ash-me optin")
	v := h.rdb.Get(ctx, ash.OptOutKey(h.alice.ID.String())).Val()
	if _, exp, err := ash.ParseOptOut(v); err != nil || exp.IsZero() {
		t.Errorf("opt-out stored as %q (%v), want the earlier JSON form", v, err)
	}
	// Ash respects it.
	if got := h.talkToAsh(alert, h.carol); !strings.Contains(got, "opted out") {
		t.Errorf("Talk to Ash after the opt-out: %q", got)
	}
	if n := len(h.dms()); n != 0 {
		t.Errorf("Ash sent %d DMs to someone who opted out", n)
	}

	t.Run("shown to the CRT", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "optout", map[string]any{"user": h.alice})
		mustContain(t, "/ash optout", got, h.alice.Mention()+" opted out of Ash until <t:", "clear:true")
		_, got = h.runAsh(h.carol, "optout", map[string]any{"user": h.bob})
		mustContain(t, "/ash optout of bob", got, h.bob.Mention()+" has not opted out of Ash.")
	})

	t.Run("refused outside the CRT", func(t *testing.T) {
		_, got := h.runCmd(h.general, h.bob, "ash", "optout", map[string]any{"user": h.alice, "clear": true})
		mustContain(t, "refusal", got, "Only members of the Crisis Response Team")
		if h.rdb.Exists(ctx, ash.OptOutKey(h.alice.ID.String())).Val() != 1 {
			t.Error("a refused command lifted the opt-out")
		}
	})

	t.Run("lifted by the CRT", func(t *testing.T) {
		_, got := h.runAsh(h.carol, "optout", map[string]any{"user": h.alice, "clear": true})
		mustContain(t, "/ash optout clear", got, "opt-out of Ash until <t:", "is lifted", "Noted on their latest alert, <#"+alert.ID.String()+">")
		if h.rdb.Exists(ctx, ash.OptOutKey(h.alice.ID.String())).Val() != 0 {
			t.Error("opt-out still stored")
		}
		h.waitThreadNote(alert, "lifted "+h.alice.Mention()+"'s opt-out of Ash")
		notes := strings.Join(h.threadMessages(alert), "\n")
		mustContain(t, "thread", notes, h.carol.Mention()+" lifted")
		_, got = h.runAsh(h.carol, "optout", map[string]any{"user": h.alice, "clear": true})
		mustContain(t, "second lift", got, "has not opted out of Ash; nothing to lift")
		// Logged with who lifted it (a CRT member in their role) and the
		// alert told, never the person.
		var line map[string]any
		for _, l := range strings.Split(logs.String(), "\n") {
			if strings.Contains(l, "opt-out of Ash lifted") {
				json.Unmarshal([]byte(l), &line)
			}
		}
		if line["by"] != h.carol.ID.String() || line["alert_id"] != src.ID.String() {
			t.Errorf("lift log line %v", line)
		}
	})

	t.Run("member's own, in a DM", func(t *testing.T) {
		_, got := h.runCmd(h.general, h.alice, "ash-me", "optin", nil)
		mustContain(t, "/ash-me optin without opt-out", got, "You had not opted out of Ash")
		dm, err := h.sim.OpenDM(h.alice)
		if err != nil {
			t.Fatal(err)
		}
		_, got = h.runCmd(dm, h.alice, "ash-me", "optout", nil)
		mustContain(t, "/ash-me optout in a DM", got, "Ash will not contact you until")
		if _, ok, _ := h.ashStore().OptedOut(ctx, h.alice.ID.String()); !ok {
			t.Error("the DM opt-out was not stored")
		}
		_, got = h.runCmd(dm, h.alice, "ash-me", "optin", nil)
		mustContain(t, "/ash-me optin in a DM", got, "Ash may contact you again")
		if _, ok, _ := h.ashStore().OptedOut(ctx, h.alice.ID.String()); ok {
			t.Error("opt-in did not lift the opt-out")
		}
		// /ash stays a server command.
		if _, err := h.sim.RunSlashCommand(dm, h.alice, "ash", "status", nil); err == nil {
			t.Error("/ash offered in a DM")
		}
		if i := strings.Index(logs.String(), h.alice.ID.String()); i >= 0 {
			t.Errorf("the log names the person: ...%s...", logs.String()[max(0, i-200):min(len(logs.String()), i+100)])
		}
	})
}

func (h *harness) ashStore() *ash.Store {
	h.t.Helper()
	st, err := ash.NewStore(h.rdb, 24*time.Hour, 24*time.Hour, h.clock.Now)
	if err != nil {
		h.t.Fatal(err)
	}
	return st
}

// /ash status shows every part, today's alerts and the schedules to the
// CRT; /ash config shows the settings to admins, as `config check` does,
// with no secret in it.
func TestStatusAndConfigCommands(t *testing.T) {
	h := newHarness(t, withEnv("BOT_RETENTION_ENABLED", "true"), withEnv("BOT_RETENTION_CLEANUP_HOUR", "3"),
		withEnv("BOT_NLP_BASE_URL", "off"))
	h.startBot()
	src, alert := h.raise("i need someone", "high", h.crisis)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })

	_, got := h.runAsh(h.carol, "status", nil)
	mustContain(t, "/ash status", got,
		"version test", "**Discord**: ok, gateway session up", "**Redis**: ok, ping ", "**Ash-NLP**: off", "**Ash companion**: ok, scripted",
		"Alerts today (UTC): 1 (critical 0, high 1, medium 0, low 0)", "Open alerts: 1 not resolved, 0 not acknowledged",
		"Ash chats active: 0", "Outbox: 0 lifecycle events waiting", "Next weekly report: off", "Next cleanup: <t:")
	if strings.Contains(got, h.alice.ID.String()) {
		t.Error("status names the person in crisis")
	}

	_, got = h.runCmd(h.general, h.bob, "ash", "status", nil)
	mustContain(t, "status refusal", got, "Only members of the Crisis Response Team")

	_, got = h.runAsh(h.carol, "config", nil)
	mustContain(t, "config refusal", got, "Only bot administrators")

	in, got := h.runAsh(h.dave, "config", nil)
	mustContain(t, "/ash config", got, "Effective settings", "(attached)")
	m, _ := in.Original()
	if len(m.Attachments) != 1 || m.Attachments[0].Filename != "config.txt" {
		t.Fatalf("attachments %+v", m.Attachments)
	}
	body := string(m.Attachments[0].Data)
	mustContain(t, "config.txt", body, "BOT_CRT_ROLE_IDS=", "BOT_DISCORD_TOKEN=", "effective:", "cleanup:        on", "Ash companion:  scripted texts")
	if strings.Contains(body, h.sim.Token()) {
		t.Error("/ash config shows the Discord token")
	}
	var want strings.Builder
	writeConfigText(t, &want, h)
	if body != strings.TrimRight(want.String(), "\n") {
		t.Errorf("/ash config differs from config check's text:\n%s\n---\n%s", body, want.String())
	}
}

// With Redis down every command still answers, saying what it could not
// do; nothing hangs.
func TestCommandsRedisDown(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h := newHarness(t, withRedisAddr(proxy.Addr), alone())
	h.startBot()
	proxy.Down()

	_, got := h.runAsh(h.carol, "status", nil)
	mustContain(t, "/ash status", got, "**Redis**: down", "Alerts today: unknown (Redis did not answer)", "Open alerts: unknown", "Ash chats active: unknown", "**Discord**: ok")
	_, got = h.runAsh(h.carol, "optout", map[string]any{"user": h.alice})
	mustContain(t, "/ash optout", got, "could not be read (is Redis answering?)")
	_, got = h.runCmd(h.general, h.alice, "ash-me", "optout", nil)
	mustContain(t, "/ash-me optout", got, "could not save that just now, so nothing has changed")
	_, got = h.runAsh(h.dave, "config", nil)
	mustContain(t, "/ash config", got, "Effective settings")
	proxy.Up()
	_, got = h.runCmd(h.general, h.alice, "ash-me", "optout", nil)
	mustContain(t, "/ash-me optout after the outage", got, "Ash will not contact you")
}

// writeConfigText writes what `ashbot config check` prints for the
// harness's settings.
func writeConfigText(t *testing.T, w io.Writer, h *harness) {
	t.Helper()
	if err := configtext.Write(w, h.config(), h.clock.Now()); err != nil {
		t.Fatal(err)
	}
}

// /ash-me optout during a chat with Ash, from the DM: the chat ends as
// opted_out and the alert records user_opted_out at the command's time,
// as the welcome's button would.
func TestMemberOptOutEndsChat(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("everything hurts", "high", h.crisis)
	h.talkToAsh(alert, h.carol)
	h.waitDMs(1)
	dm, ok := h.sim.DMChannel(h.alice.ID)
	if !ok {
		t.Fatal("no DM channel with alice")
	}
	h.clock.Advance(30 * time.Second)
	in, got := h.runCmd(dm.ID, h.alice, "ash-me", "optout", nil)
	mustContain(t, "/ash-me optout in a chat", got, "Ash will not contact you until")
	rec := h.waitMetric(src.ID.String(), "user_opted_out", func(a *metrics.Alert) bool { return a.UserOptedOut && a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndOptedOut) || !rec.UserOptedOutAt.Equal(in.ID.Time()) {
		t.Errorf("record: ended %s, opted out at %v; want opted_out at %v", rec.SessionEndReason, rec.UserOptedOutAt, in.ID.Time())
	}
	h.waitThreadNote(alert, "opted out of Ash")
}
