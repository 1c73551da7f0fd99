package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// The first message in the alert's thread by a human who is neither a bot
// nor the person concerned is the first response; later ones change
// nothing. Resolve records the resolution, ends Ash's chat (completed),
// greys the alert out and archives the thread.
func TestFirstResponseAndResolve(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("i'm scared", "high", h.crisis)
	id := src.ID.String()
	h.waitFor("thread", func() bool { return len(h.sim.Threads(h.crisis)) == 1 })
	thread := alert.ID

	h.clock.Advance(30 * time.Second)
	if _, err := h.sim.SendMessage(thread, h.alice, "it's me"); err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(30 * time.Second)
	first, err := h.sim.SendMessage(thread, h.carol, "I'm on it, reaching out now")
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(time.Minute)
	if _, err := h.sim.SendMessage(thread, h.dave, "thanks carol"); err != nil {
		t.Fatal(err)
	}
	rec := h.waitMetric(id, "first_response", func(a *metrics.Alert) bool { return a.FirstResponseAt != nil })
	if rec.FirstResponseBy != h.carol.ID.String() || !rec.FirstResponseAt.Equal(first.ID.Time()) || *rec.TimeToResponseSeconds != 60 {
		t.Errorf("first response %+v", rec)
	}
	if by := h.rdb.HGet(context.Background(), alerts.StateKey(id), "fr_by").Val(); by != h.carol.ID.String() {
		t.Errorf("first response claim %q", by)
	}

	h.talkToAsh(alert, h.carol)
	h.waitDMs(1)
	h.clock.Advance(4 * time.Minute)
	_, cb := h.click(alert.ID, h.dave, h.buttonID(h.current(alert.ID), alerts.ActionResolve))
	if cb.Type != discord.InteractionResponseTypeUpdateMessage {
		t.Fatalf("resolve answered %+v", cb)
	}
	resolved := h.current(alert.ID)
	if resolved.Embeds[0].Color != alerts.ColorResolved || !strings.Contains(status(resolved), "Resolved by "+h.dave.Mention()) {
		t.Errorf("resolved alert colour %x status %q", resolved.Embeds[0].Color, status(resolved))
	}
	for _, b := range resolved.Buttons() {
		if !b.Disabled {
			t.Errorf("button %q still enabled on a resolved alert", b.Label)
		}
	}
	rec = h.waitMetric(id, "resolved", func(a *metrics.Alert) bool { return a.ResolvedAt != nil && a.SessionEndedAt != nil })
	if rec.ResolvedBy != h.dave.ID.String() || *rec.TimeToResolveSeconds != 360 || rec.SessionEndReason != string(events.EndCompleted) {
		t.Errorf("resolution %+v", rec)
	}
	h.waitFor("thread archived", func() bool { c, _ := h.sim.Channel(thread); return c.Archived })
	notes := strings.Join(h.threadMessages(alert), "\n")
	if !strings.Contains(notes, "Resolved by "+h.dave.Mention()) {
		t.Errorf("thread notes %q", notes)
	}
}
