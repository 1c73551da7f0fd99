package app

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/redistest"
)

// Redis goes down: a flag is still answered in time and the alert still
// goes out (rate limit and de-duplication fail open); Acknowledge falls
// back to what the alert message shows. Once Redis is back, the lifecycle
// events arrive through the outbox and the alert's state is written.
func TestRedisDownAlertStillPosted(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h := newHarness(t, withRedisAddr(proxy.Addr), alone())
	h.startBot()
	src := h.say(h.alice, "I have a plan and I think tonight is the night")
	id := src.ID.String()

	proxy.Down()
	began := time.Now()
	if got := h.flag(h.bob, src, "critical"); !strings.Contains(got, "has been notified") {
		t.Errorf("flag answer %q", got)
	}
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("flag answered after %v with Redis down; Discord allows 3s", d)
	}
	alert := h.alertFor(h.critical, src.ID)
	if !strings.Contains(alert.Content, h.crtRole.Mention()) {
		t.Errorf("critical alert without the CRT ping: %q", alert.Content)
	}
	if n := h.rdb.Exists(context.Background(), "ash:metrics:alert:"+id, alerts.StateKey(id)).Val(); n != 0 {
		t.Fatalf("%d keys written while Redis was down?", n)
	}

	h.clock.Advance(time.Minute)
	_, cb := h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	if cb.Type != discord.InteractionResponseTypeUpdateMessage {
		t.Fatalf("acknowledge with Redis down answered %+v", cb)
	}
	if got := status(h.current(alert.ID)); !strings.Contains(got, "Acknowledged by "+h.carol.Mention()) {
		t.Errorf("status %q", got)
	}

	proxy.Up()
	rec := h.waitMetric(id, "acknowledged after the outage", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AlertMessageID != alert.ID.String() || rec.Severity != "critical" || rec.AcknowledgedBy != h.carol.ID.String() ||
		*rec.TimeToAcknowledgeSeconds != 60 {
		t.Errorf("record after the outage %+v", rec)
	}
	h.waitFor("alert state written after the outage", func() bool {
		st := h.rdb.HGetAll(context.Background(), alerts.StateKey(id)).Val()
		return st["alert_message_id"] == alert.ID.String() && st["ack_by"] == h.carol.ID.String()
	})
	// Buttons work on the healed state, and a refresh keeps the
	// acknowledgment made during the outage.
	in, err := h.sim.ClickButton(alert.ID, h.dave, h.buttonID(alert, alerts.ActionResolve))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.waitMetric(id, "resolved", func(a *metrics.Alert) bool { return a.ResolvedAt != nil })
	if got := status(h.current(alert.ID)); !strings.Contains(got, "Acknowledged by "+h.carol.Mention()) || !strings.Contains(got, "Resolved by") {
		t.Errorf("status after the outage %q", got)
	}
}

// Redis is down when the bot stops: the events it could not deliver within
// the shutdown bound are spooled, and the next instance records them once
// Redis is back.
func TestShutdownSpoolsUndeliveredEvents(t *testing.T) {
	proxy, err := redistest.NewProxy(srv.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	h := newHarness(t, withRedisAddr(proxy.Addr), alone())
	h.shutdown = 500 * time.Millisecond
	first := h.startBot()
	src := h.say(h.alice, "i'm not ok")
	proxy.Down()
	h.flag(h.bob, src, "medium")
	alert := h.alertFor(h.monitor, src.ID)
	h.clock.Advance(2 * time.Minute)
	h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))

	began := time.Now()
	first.stop(t)
	if d := time.Since(began); d > 2*time.Second {
		t.Errorf("shutdown took %v, bound is 500ms plus closing", d)
	}
	spool, err := os.ReadFile(h.spool)
	if err != nil {
		t.Fatalf("no spool file: %v", err)
	}
	for _, want := range []string{`"type":"alert_created"`, `"type":"acknowledged"`} {
		if !strings.Contains(string(spool), want) {
			t.Errorf("spool lacks %s:\n%s", want, spool)
		}
	}

	proxy.Up()
	h.startBot()
	rec := h.waitMetric(src.ID.String(), "events from the spool", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AcknowledgedBy != h.carol.ID.String() || *rec.TimeToAcknowledgeSeconds != 120 || !rec.CreatedAt.Equal(alert.ID.Time()) {
		t.Errorf("record from the spool %+v", rec)
	}
}
