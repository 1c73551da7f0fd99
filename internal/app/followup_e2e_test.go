package app

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/followup"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// withFollowups switches follow-up check-ins on, with their poller (off
// in the harness, so that other tests count the pollers they know).
func withFollowups() harnessOption { return withEnv("BOT_FOLLOWUP_ENABLED", "true") }

// chatWithAsh has carol ask Ash to reach alice about alert, alice write
// once three minutes in and say goodbye three minutes later: a chat of six
// minutes, long enough for a check-in. It returns the welcome.
func (h *harness) chatWithAsh(id string, alert discordsim.Message) discordsim.Message {
	h.t.Helper()
	before := len(h.dms())
	h.talkToAsh(alert, h.carol)
	welcome := h.waitDMs(before + 1)[before]
	h.clock.Advance(3 * time.Minute)
	bot := len(h.sim.BotMessages(welcome.ChannelID))
	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "it was a really hard night"); err != nil {
		h.t.Fatal(err)
	}
	h.waitFor("Ash's reply", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == bot+1 })
	h.clock.Advance(3 * time.Minute)
	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "bye ash"); err != nil {
		h.t.Fatal(err)
	}
	h.waitMetric(id, "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	h.waitFor("Ash's goodbye", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == bot+2 })
	return welcome
}

// A chat ends; a day later Ash checks in by DM and the thread is told;
// alice answers, which starts a new chat linked to the alert in which Ash
// answers her, and the thread is told again.
func TestFollowupCheckinAnswered(t *testing.T) {
	h := newHarness(t, withFollowups())
	get := serveOps(h)
	src, alert := h.raise("i don't think i can keep going", "high", h.crisis)
	id := src.ID.String()
	welcome := h.chatWithAsh(id, alert)
	ended := *h.waitMetric(id, "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	first := ended.SessionID

	timers := ash.NewDueSet(h.rdb, followup.TimersKey)
	h.waitFor("check-in timer", func() bool { _, ok, _ := timers.When(context.Background(), id); return ok })
	if due, _, _ := timers.When(context.Background(), id); !due.Equal(ended.SessionEndedAt.Add(24 * time.Hour)) {
		t.Errorf("check-in due %v, want a day after the chat ended (%v)", due, ended.SessionEndedAt)
	}
	dmsBefore := len(h.sim.BotMessages(welcome.ChannelID))

	h.advance(23*time.Hour + 50*time.Minute)
	if n := len(h.sim.BotMessages(welcome.ChannelID)); n != dmsBefore {
		t.Fatalf("check-in sent %d messages early", n-dmsBefore)
	}
	h.advance(10 * time.Minute)
	h.waitFor("check-in DM", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == dmsBefore+1 })
	checkin, _ := h.sim.LastMessage(welcome.ChannelID)
	if checkin.Content != followup.CheckinText || len(checkin.Embeds) != 1 || !strings.Contains(checkin.Embeds[0].Description, "988") {
		t.Errorf("check-in %q embeds %+v", checkin.Content, checkin.Embeds)
	}
	if b := checkin.Buttons(); len(b) != 1 || b[0].Label != followup.OptOutLabel {
		t.Errorf("check-in buttons %+v", b)
	} else if btn, ok := ash.ParseButtonID(b[0].CustomID); !ok || btn.Action != ash.ActionOptOut || btn.AlertID != id || btn.SessionID != first {
		t.Errorf("opt-out button %+v", btn)
	}
	h.waitThreadNote(alert, "Ash sent "+h.alice.Mention()+" a follow-up check-in")
	rec := h.waitMetric(id, "followup_sent", func(a *metrics.Alert) bool { return a.FollowupSentAt != nil })
	if !rec.FollowupSentAt.Equal(checkin.ID.Time()) {
		t.Errorf("followup_sent at %v, want the check-in's time %v", rec.FollowupSentAt, checkin.ID.Time())
	}

	// Alice answers an hour later: Ash answers in a new chat linked to the
	// alert, without a second welcome.
	h.clock.Advance(time.Hour)
	answer, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "hey ash, a little better today")
	if err != nil {
		t.Fatal(err)
	}
	h.waitFor("Ash answers the reply", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == dmsBefore+2 })
	sid := h.rdb.Get(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val()
	s := h.rdb.HGetAll(context.Background(), ash.SessionKey(sid)).Val()
	if sid == "" || sid == first || s["alert_id"] != id || s["by"] != ash.LinkedBy || s["turns"] != "1" ||
		s["welcome_message_id"] != checkin.ID.String() || s["started_at"] == "" {
		t.Errorf("linked chat %s: %v", sid, s)
	}
	if st := h.rdb.HGet(context.Background(), followup.CheckinKey(id), "state").Val(); st != "answered" {
		t.Errorf("check-in state %q", st)
	}
	h.waitThreadNote(alert, "answered Ash's check-in")
	// The metrics keep the alert's first chat as its session.
	rec = h.waitMetric(id, "followup_answered", func(a *metrics.Alert) bool { return a.FollowupAnsweredAt != nil })
	if rec.SessionID != first || rec.FollowupSessionID != sid || !rec.FollowupAnsweredAt.Equal(answer.ID.Time()) {
		t.Errorf("alert's session %s (want the first chat %s), answer %s at %v (want %s at %v)",
			rec.SessionID, first, rec.FollowupSessionID, rec.FollowupAnsweredAt, sid, answer.ID.Time())
	}
	if !answer.ID.Time().After(checkin.ID.Time()) {
		t.Error("clock did not move")
	}

	// The alert message shows the linked chat, and its Take over reaches
	// it: a CRT member can step in as in any chat. Its end takes the
	// check-in's button off and schedules no second check-in.
	var takeOver string
	h.waitFor("alert shows the linked chat", func() bool {
		b, ok := button(h.current(alert.ID), alerts.ActionTakeOver)
		takeOver = b.CustomID
		return ok && strings.Contains(status(h.current(alert.ID)), "Ash is talking with them")
	})
	h.clock.Advance(time.Minute)
	tin, _ := h.click(alert.ID, h.carol, takeOver)
	if got := h.answerText(tin); !strings.Contains(got, "You have taken over from Ash") {
		t.Fatalf("Take over of the linked chat answered %q", got)
	}
	if got := h.rdb.HGet(context.Background(), ash.SessionKey(sid), "end_reason").Val(); got != string(events.EndHandoff) {
		t.Errorf("linked chat ended %q, want handoff", got)
	}
	h.waitFor("check-in button removed", func() bool { return len(h.current(checkin.ID).Buttons()) == 0 })
	if st := h.rdb.HGet(context.Background(), followup.CheckinKey(id), "state").Val(); st != "answered" {
		t.Errorf("check-in state after the linked chat %q", st)
	}
	if n := h.rdb.ZCard(context.Background(), followup.TimersKey).Val(); n != 0 {
		t.Errorf("%d check-ins scheduled after the linked chat", n)
	}
	_, body := get("/metrics")
	for _, want := range []string{"ashbot_followups_scheduled_total 1", "ashbot_followups_sent_total 1", "ashbot_followups_answered_total 1",
		`ashbot_followups_skipped_total{reason="too_late"} 0`, `ashbot_timers_fired_total{timer="followups"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

// Alice opts out of Ash after her chat (from a later alert's welcome): the
// check-in due the next day is not sent, nor is the thread told.
func TestFollowupRespectsOptOut(t *testing.T) {
	h := newHarness(t, withFollowups())
	h.startBot()
	src, alert := h.raise("i feel like a burden", "high", h.crisis)
	id := src.ID.String()
	welcome := h.chatWithAsh(id, alert)
	timers := ash.NewDueSet(h.rdb, followup.TimersKey)
	h.waitFor("check-in timer", func() bool { _, ok, _ := timers.When(context.Background(), id); return ok })

	// A second alert an hour later; alice opts out from its welcome.
	h.clock.Advance(time.Hour)
	src2, alert2 := h.raise("please just leave me alone", "medium", h.monitor)
	before := len(h.dms())
	h.talkToAsh(alert2, h.carol)
	welcome2 := h.waitDMs(before + 1)[before]
	var optOut string
	for _, b := range welcome2.Buttons() {
		if btn, ok := ash.ParseButtonID(b.CustomID); ok && btn.Action == ash.ActionOptOut {
			optOut = b.CustomID
		}
	}
	in, err := h.sim.ClickButton(welcome2.ID, h.alice, optOut)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.waitMetric(src2.ID.String(), "user_opted_out", func(a *metrics.Alert) bool { return a.UserOptedOut && a.SessionEndedAt != nil })
	h.waitFor("goodbye", func() bool {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		return last.ID != welcome2.ID && strings.HasPrefix(last.Content, "Understood. I won't message you again")
	})
	dms := len(h.sim.BotMessages(welcome.ChannelID))
	notes := len(h.threadMessages(alert))

	h.advance(24 * time.Hour)
	h.waitFor("check-in skipped", func() bool {
		return h.rdb.HGet(context.Background(), followup.CheckinKey(id), "reason").Val() == followup.SkipOptedOut
	})
	if n := len(h.sim.BotMessages(welcome.ChannelID)); n != dms {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		t.Errorf("alice got %d DMs after opting out, the last %q", n-dms, last.Content)
	}
	if n := len(h.threadMessages(alert)); n != notes {
		t.Errorf("%d thread notes about a check-in that was not sent", n-notes)
	}
	// The second chat ended by opt-out: it has no check-in at all.
	if h.rdb.Exists(context.Background(), followup.CheckinKey(src2.ID.String())).Val() != 0 {
		t.Error("a chat that ended by opt-out got a check-in")
	}
	if rec, _ := h.metricsStore().Alert(context.Background(), id); rec.SessionEndReason != string(events.EndUserEnded) {
		t.Errorf("first chat ended %q", rec.SessionEndReason)
	}
}

// Alice opts out from the check-in's own button: Ash confirms, the button
// goes, and her reply afterwards starts no chat.
func TestFollowupCheckinOptOut(t *testing.T) {
	h := newHarness(t, withFollowups())
	h.startBot()
	src, alert := h.raise("i can't do this anymore", "high", h.crisis)
	id := src.ID.String()
	welcome := h.chatWithAsh(id, alert)
	timers := ash.NewDueSet(h.rdb, followup.TimersKey)
	h.waitFor("check-in timer", func() bool { _, ok, _ := timers.When(context.Background(), id); return ok })
	dms := len(h.sim.BotMessages(welcome.ChannelID))
	h.advance(24 * time.Hour)
	h.waitFor("check-in DM", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == dms+1 })
	checkin, _ := h.sim.LastMessage(welcome.ChannelID)

	h.clock.Advance(time.Hour)
	in, err := h.sim.ClickButton(checkin.ID, h.alice, checkin.Buttons()[0].CustomID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	h.waitFor("opt-out confirmed", func() bool {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		return strings.HasPrefix(last.Content, "Understood. I won't message you again")
	})
	h.waitFor("check-in button removed", func() bool { return len(h.current(checkin.ID).Buttons()) == 0 })
	h.waitMetric(id, "user_opted_out", func(a *metrics.Alert) bool { return a.UserOptedOut })
	dms = len(h.sim.BotMessages(welcome.ChannelID))

	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "actually, hi"); err != nil {
		t.Fatal(err)
	}
	// Handling the reply clears what it would have answered.
	h.waitFor("reply handled", func() bool {
		return h.rdb.Exists(context.Background(), followup.PendingKey(h.alice.ID.String())).Val() == 0
	})
	if n := len(h.sim.BotMessages(welcome.ChannelID)); n != dms {
		t.Errorf("Ash wrote %d messages to someone who opted out", n-dms)
	}
	if h.rdb.Exists(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val() != 0 {
		t.Error("a reply after opting out started a chat")
	}
}
