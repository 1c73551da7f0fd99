package app

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// raise has alice say text and bob flag it, and returns the alert.
func (h *harness) raise(text, severity string, channel discordsim.ChannelID) (discordsim.Message, discordsim.Message) {
	h.t.Helper()
	src := h.say(h.alice, text)
	h.flag(h.bob, src, severity)
	alert := h.alertFor(channel, src.ID)
	h.waitStored(src.ID.String(), severity)
	return src, alert
}

// waitStored waits for the alert's state and (for auto-initiated
// severities) its timer: they are written right after the post, and a test
// that moves the clock before they exist would race the poller.
func (h *harness) waitStored(id, severity string) {
	h.t.Helper()
	h.waitFor("alert state", func() bool {
		if !h.rdb.HExists(context.Background(), alerts.StateKey(id), "alert_message_id").Val() {
			return false
		}
		if severity != "high" && severity != "critical" {
			return true
		}
		_, ok, _ := ash.NewDueSet(h.rdb, ash.AutoInitKey).When(context.Background(), id)
		return ok
	})
}

func (h *harness) dms() []discordsim.Message { return h.sim.DMs(h.alice.ID) }

func (h *harness) waitDMs(n int) []discordsim.Message {
	h.t.Helper()
	h.waitFor("DMs to alice", func() bool { return len(h.dms()) >= n })
	return h.dms()
}

// talkToAsh presses Talk to Ash as member and returns the private answer.
func (h *harness) talkToAsh(alert discordsim.Message, member discordsim.User) string {
	h.t.Helper()
	in, cb := h.click(alert.ID, member, h.buttonID(h.current(alert.ID), alerts.ActionTalkToAsh))
	if !cb.Ephemeral() {
		h.t.Fatalf("Talk to Ash answer not private: %+v", cb)
	}
	return h.answerText(in)
}

// Nobody acknowledges a high alert: after BOT_AUTO_INITIATE_DELAY_MINUTES
// Ash reaches out by DM with the welcome, the resources and the two
// buttons; the contact is recorded as automatic at the DM's time, the
// session is stored, the alert shows Ash is engaged and the thread is told.
// The chat then ends on an end phrase.
func TestAutoInitiateFiresAndChatEnds(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("nobody would even notice if I was gone", "high", h.crisis)
	id := src.ID.String()

	h.advance(2*time.Minute + 59*time.Second)
	if n := len(h.dms()); n != 0 {
		t.Fatalf("Ash reached out %d times before the delay", n)
	}
	// The poller wakes at the timer's due time, not at its next interval.
	h.advance(time.Second)
	dms := h.waitDMs(1)
	welcome := dms[0]
	if !strings.Contains(welcome.Content, "I'm Ash") || len(welcome.Embeds) != 1 ||
		!strings.Contains(welcome.Embeds[0].Description, "988") {
		t.Errorf("welcome %q embeds %+v", welcome.Content, welcome.Embeds)
	}
	var optOut, end string
	for _, b := range welcome.Buttons() {
		if btn, ok := ash.ParseButtonID(b.CustomID); ok && btn.AlertID == id {
			switch btn.Action {
			case ash.ActionOptOut:
				optOut = b.CustomID
			case ash.ActionEnd:
				end = b.CustomID
			}
		}
	}
	if optOut == "" || end == "" {
		t.Fatalf("welcome buttons %+v", welcome.Buttons())
	}

	rec := h.waitMetric(id, "ash_contacted", func(a *metrics.Alert) bool { return a.SessionStartedAt != nil })
	if !rec.WasAutoInitiated || rec.AshContactedBy != events.AutoBy || *rec.TimeToAshSeconds != 180 ||
		!rec.AshContactedAt.Equal(welcome.ID.Time()) || rec.SessionID == "" {
		t.Errorf("contact record %+v", rec)
	}
	sid := rec.SessionID
	if len(sid) != 8 {
		t.Errorf("session id %q, want 8 hex characters", sid)
	}
	sess := h.rdb.HGetAll(context.Background(), ash.SessionKey(sid)).Val()
	if sess["started_at"] != strconv.FormatInt(welcome.ID.Time().UnixMilli(), 10) || sess["updated_at"] == "" {
		t.Errorf("session hash %v", sess)
	}
	if ttl := h.rdb.PTTL(context.Background(), ash.SessionKey(sid)).Val(); ttl < 29*24*time.Hour {
		t.Errorf("session TTL %v, want the session retention", ttl)
	}
	if got := h.rdb.Get(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val(); got != sid {
		t.Errorf("user mapping %q, want %q", got, sid)
	}
	if due, ok, _ := ash.NewDueSet(h.rdb, ash.SessionDeadlinesKey).When(context.Background(), sid); !ok || !due.Equal(welcome.ID.Time().Add(5*time.Minute)) {
		t.Errorf("session deadline %v %v", due, ok)
	}
	h.waitThreadNote(alert, "Ash reached out to "+h.alice.Mention()+" by DM (automatically")
	h.waitFor("alert shows Ash", func() bool {
		_, takeover := button(h.current(alert.ID), alerts.ActionTakeOver)
		return strings.Contains(status(h.current(alert.ID)), "Ash is talking with them (started automatically)") && takeover
	})

	// A reply gets a short acknowledgment and moves the idle deadline.
	h.clock.Advance(time.Minute)
	if _, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "i just feel so alone"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("Ash's reply", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == 2 })
	if due, _, _ := ash.NewDueSet(h.rdb, ash.SessionDeadlinesKey).When(context.Background(), sid); !due.Equal(welcome.ID.Time().Add(6 * time.Minute)) {
		t.Errorf("deadline after a reply %v", due)
	}

	h.clock.Advance(time.Minute)
	bye, err := h.sim.SendMessage(welcome.ChannelID, h.alice, "Bye, Ash!")
	if err != nil {
		t.Fatal(err)
	}
	rec = h.waitMetric(id, "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndUserEnded) || !rec.SessionEndedAt.Equal(bye.ID.Time()) {
		t.Errorf("session end %+v", rec)
	}
	h.waitFor("goodbye", func() bool { return len(h.sim.BotMessages(welcome.ChannelID)) == 3 })
	if w := h.current(welcome.ID); len(w.Buttons()) != 0 {
		t.Error("welcome buttons left after the chat ended")
	}
	h.waitThreadNote(alert, "they ended the chat")
	if n := h.rdb.Exists(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val(); n != 0 {
		t.Error("user mapping left after the chat ended")
	}
}

// An acknowledgment cancels auto-initiate, and so does a manual contact:
// Ash reaches out once, as asked by the CRT member.
func TestAutoInitiateCancelled(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src1, alert1 := h.raise("first", "critical", h.critical)
	h.clock.Advance(time.Minute)
	h.click(alert1.ID, h.carol, h.buttonID(alert1, alerts.ActionAcknowledge))
	h.waitMetric(src1.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })

	timers := ash.NewDueSet(h.rdb, ash.AutoInitKey)
	if _, ok, _ := timers.When(context.Background(), src1.ID.String()); ok {
		t.Error("auto-initiate still scheduled after acknowledgment")
	}

	src2, alert2 := h.raise("second", "high", h.crisis)
	srcLow, _ := h.raise("third", "low", h.monitor)
	h.clock.Advance(30 * time.Second)
	if got := h.talkToAsh(alert2, h.dave); !strings.Contains(got, "Ash reached out") {
		t.Fatalf("Talk to Ash answered %q", got)
	}
	h.waitDMs(1)
	// Cancelled, not merely skipped when it fires: the timer is gone before
	// its due time. A low alert never had one.
	for _, src := range []discordsim.Message{src2, srcLow} {
		if _, ok, _ := timers.When(context.Background(), src.ID.String()); ok {
			t.Errorf("auto-initiate timer left for %s", src.Content)
		}
	}

	h.advance(10 * time.Minute)
	welcomes := 0
	for _, m := range h.dms() {
		if strings.Contains(m.Content, "I'm Ash") {
			welcomes++
		}
	}
	if welcomes != 1 {
		t.Errorf("alice got %d welcomes, want only the manual contact's", welcomes)
	}
	if n := h.rdb.ZCard(context.Background(), ash.AutoInitKey).Val(); n != 0 {
		t.Errorf("%d auto-initiate timers left", n)
	}
	rec := h.waitMetric(src2.ID.String(), "ash_contacted", func(a *metrics.Alert) bool { return a.AshContactedAt != nil })
	if rec.WasAutoInitiated || rec.AshContactedBy != h.dave.ID.String() || *rec.TimeToAshSeconds != 30 {
		t.Errorf("contact %+v", rec)
	}
	if a, _ := h.metricsStore().Alert(context.Background(), src1.ID.String()); a.AshContactedAt != nil {
		t.Error("acknowledged alert got an automatic contact")
	}
	h.waitThreadNote(alert2, "asked by "+h.dave.Mention())
	// One contact per alert: after the chat (it timed out meanwhile) the
	// button stays disabled.
	if _, err := h.sim.ClickButton(alert2.ID, h.carol, h.buttonID(h.current(alert2.ID), alerts.ActionTalkToAsh)); err == nil {
		t.Error("Talk to Ash usable twice on one alert")
	}
}

// DMs closed: the CRT is told in the thread and privately, nothing is
// recorded as contact, and the claim is released for a later try.
func TestAshDMClosed(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	if err := h.sim.SetDMsClosed(h.alice.ID, true); err != nil {
		t.Fatal(err)
	}
	src, alert := h.raise("can't sleep, can't stop thinking about it", "medium", h.monitor)
	got := h.talkToAsh(alert, h.carol)
	if !strings.Contains(got, "DMs are closed") {
		t.Errorf("answer %q", got)
	}
	h.waitThreadNote(alert, "Ash could not reach "+h.alice.Mention()+": their DMs are closed")
	if n := len(h.dms()); n != 0 {
		t.Errorf("%d DMs delivered", n)
	}
	st := h.rdb.HGetAll(context.Background(), alerts.StateKey(src.ID.String())).Val()
	if st["ash_by"] != "" || st["ash_status"] != string(alerts.AshUnreachable) {
		t.Errorf("state after a failed contact %v", st)
	}
	if n := h.rdb.Exists(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val(); n != 0 {
		t.Error("a session was left for an unreachable person")
	}
	h.waitFor("alert status", func() bool { return strings.Contains(status(h.current(alert.ID)), "DMs are closed") })
	if b, _ := button(h.current(alert.ID), alerts.ActionTalkToAsh); b.Disabled {
		t.Error("Talk to Ash disabled after a failed contact")
	}
	// Let the outbox deliver whatever it holds, then check nothing
	// recorded a contact.
	h.click(alert.ID, h.carol, h.buttonID(h.current(alert.ID), alerts.ActionAcknowledge))
	rec := h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AshContactedAt != nil || rec.SessionStartedAt != nil {
		t.Errorf("contact recorded for closed DMs: %+v", rec)
	}
}

// "I'd rather not": the opt-out is stored with its TTL, recorded, the chat
// ends (opted_out), the CRT is told, and auto-initiate leaves the person
// alone on their next alert.
func TestOptOut(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("everything hurts", "high", h.crisis)
	h.talkToAsh(alert, h.carol)
	welcome := h.waitDMs(1)[0]
	var optOut string
	for _, b := range welcome.Buttons() {
		if btn, ok := ash.ParseButtonID(b.CustomID); ok && btn.Action == ash.ActionOptOut {
			optOut = b.CustomID
		}
	}
	h.clock.Advance(45 * time.Second)
	in, err := h.sim.ClickButton(welcome.ID, h.alice, optOut)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	rec := h.waitMetric(src.ID.String(), "user_opted_out", func(a *metrics.Alert) bool { return a.UserOptedOut && a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndOptedOut) || !rec.UserOptedOutAt.Equal(in.ID.Time()) {
		t.Errorf("record %+v", rec)
	}
	key := ash.OptOutKey(h.alice.ID.String())
	// The earlier Ash-Bot's JSON form, so that a rollback keeps it.
	if v := h.rdb.Get(context.Background(), key).Val(); !strings.HasPrefix(v, `{"user_id": `+h.alice.ID.String()+`, "opted_out": true`) {
		t.Errorf("opt-out value %q", v)
	} else if at, _, err := ash.ParseOptOut(v); err != nil || !at.Equal(in.ID.Time()) {
		t.Errorf("opt-out value %q read as %v (%v), want %v", v, at, err, in.ID.Time())
	}
	if ttl := h.rdb.PTTL(context.Background(), key).Val(); ttl < 29*24*time.Hour || ttl > 30*24*time.Hour {
		t.Errorf("opt-out TTL %v, want BOT_USER_OPTOUT_TTL_DAYS", ttl)
	}
	h.waitThreadNote(alert, "opted out of Ash")
	h.waitFor("goodbye", func() bool {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		return strings.Contains(last.Content, "I won't message you again")
	})

	// A new high alert about alice: auto-initiate does not contact her.
	src2, alert2 := h.raise("still here i guess", "high", h.crisis)
	h.advance(3 * time.Minute)
	h.waitThreadNote(alert2, "Ash did not contact "+h.alice.Mention()+": they opted out")
	if n := len(h.sim.BotMessages(welcome.ChannelID)); n != 2 {
		t.Errorf("alice got %d bot DMs, want the welcome and the goodbye only", n)
	}
	if st := h.rdb.HGet(context.Background(), alerts.StateKey(src2.ID.String()), "ash_by").Val(); st != "" {
		t.Errorf("contact claim kept for a declined contact: %q", st)
	}
}

// The idle timeout ends a chat at the time it ran out; so does the maximum
// length, even for a chat that stays active.
func TestSessionTimeouts(t *testing.T) {
	h := newHarness(t, withEnv("BOT_ASH_SESSION_TIMEOUT", "240"), withEnv("BOT_ASH_MAX_SESSION", "300"))
	h.startBot()

	src, alert := h.raise("idle", "high", h.crisis)
	h.talkToAsh(alert, h.carol)
	h.waitDMs(1)
	h.advance(4 * time.Minute)
	rec := h.waitMetric(src.ID.String(), "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndTimeout) || *rec.SessionSeconds != 240 {
		t.Errorf("idle end %s after %ds, want timeout after 240s", rec.SessionEndReason, *rec.SessionSeconds)
	}
	h.waitThreadNote(alert, "idle timeout")

	// Bob's turn: he stays active, the maximum still ends it.
	src2 := h.say(h.bob, "so tired")
	h.flag(h.carol, src2, "high")
	alert2 := h.alertFor(h.crisis, src2.ID)
	h.waitStored(src2.ID.String(), "high")
	h.talkToAsh(alert2, h.dave)
	h.waitFor("welcome to bob", func() bool { return len(h.sim.DMs(h.bob.ID)) == 1 })
	dm := h.sim.DMs(h.bob.ID)[0].ChannelID
	h.advance(200 * time.Second)
	if _, err := h.sim.SendMessage(dm, h.bob, "still here"); err != nil {
		t.Fatal(err)
	}
	h.waitFor("reply", func() bool { return len(h.sim.BotMessages(dm)) == 2 })
	h.advance(100 * time.Second)
	rec = h.waitMetric(src2.ID.String(), "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndMaxDuration) || *rec.SessionSeconds != 300 {
		t.Errorf("max end %s after %ds, want max_duration after 300s", rec.SessionEndReason, *rec.SessionSeconds)
	}
	if n := h.rdb.ZCard(context.Background(), ash.SessionDeadlinesKey).Val(); n != 0 {
		t.Errorf("%d session deadlines left", n)
	}
}

// A CRT member takes over from Ash: the chat ends with reason handoff and
// the person is told someone from the team will continue.
func TestHandoff(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("help", "high", h.crisis)
	h.talkToAsh(alert, h.carol)
	welcome := h.waitDMs(1)[0]
	h.waitFor("take over button", func() bool { _, ok := button(h.current(alert.ID), alerts.ActionTakeOver); return ok })
	h.clock.Advance(2 * time.Minute)
	in, _ := h.click(alert.ID, h.dave, h.buttonID(h.current(alert.ID), alerts.ActionTakeOver))
	if got := h.answerText(in); !strings.Contains(got, "taken over from Ash") {
		t.Errorf("answer %q", got)
	}
	rec := h.waitMetric(src.ID.String(), "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndHandoff) || *rec.SessionSeconds != 120 {
		t.Errorf("record %+v", rec)
	}
	h.waitFor("goodbye", func() bool {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		return strings.Contains(last.Content, "continue with you personally")
	})
	h.waitThreadNote(alert, "a CRT member took over")
}

// "End chat" under Ash's welcome ends the chat (user_ended) at the click,
// takes the buttons off, says goodbye and tells the CRT.
func TestEndChatButton(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src, alert := h.raise("i keep crying", "medium", h.monitor)
	h.talkToAsh(alert, h.carol)
	welcome := h.waitDMs(1)[0]
	var end string
	for _, b := range welcome.Buttons() {
		if btn, ok := ash.ParseButtonID(b.CustomID); ok && btn.Action == ash.ActionEnd {
			end = b.CustomID
		}
	}
	if end == "" {
		t.Fatalf("welcome buttons %+v", welcome.Buttons())
	}
	rec := h.waitMetric(src.ID.String(), "session_started", func(a *metrics.Alert) bool { return a.SessionStartedAt != nil })
	sid := rec.SessionID

	h.clock.Advance(time.Minute)
	in, err := h.sim.ClickButton(welcome.ID, h.alice, end)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := in.Wait(h.ctx()); err != nil {
		t.Fatal(err)
	}
	rec = h.waitMetric(src.ID.String(), "session_ended", func(a *metrics.Alert) bool { return a.SessionEndedAt != nil })
	if rec.SessionEndReason != string(events.EndUserEnded) || !rec.SessionEndedAt.Equal(in.ID.Time()) || *rec.SessionSeconds != 60 {
		t.Errorf("session end %s at %v after %ds, want user_ended at the click after 60s", rec.SessionEndReason, rec.SessionEndedAt, *rec.SessionSeconds)
	}
	h.waitFor("goodbye", func() bool {
		last, _ := h.sim.LastMessage(welcome.ChannelID)
		return strings.Contains(last.Content, "Thank you for talking with me")
	})
	if w := h.current(welcome.ID); len(w.Buttons()) != 0 {
		t.Error("welcome buttons left after End chat")
	}
	h.waitThreadNote(alert, "they ended the chat")
	if n := h.rdb.Exists(context.Background(), ash.UserSessionKey(h.alice.ID.String())).Val(); n != 0 {
		t.Error("user mapping left after End chat")
	}
	if _, ok, _ := ash.NewDueSet(h.rdb, ash.SessionDeadlinesKey).When(context.Background(), sid); ok {
		t.Error("session deadline left after End chat")
	}
	if got := h.rdb.HGet(context.Background(), ash.SessionKey(sid), "end_reason").Val(); got != string(events.EndUserEnded) {
		t.Errorf("session end_reason %q", got)
	}
}

// With BOT_AUTO_INITIATE_ENABLED=false an alert nobody acknowledges gets
// no timer and Ash never reaches out on its own; a CRT member can still
// ask Ash to.
func TestAutoInitiateOff(t *testing.T) {
	h := newHarness(t, withEnv("BOT_AUTO_INITIATE_ENABLED", "false"))
	h.startBot()
	src := h.say(h.alice, "nobody would notice")
	h.flag(h.bob, src, "critical")
	alert := h.alertFor(h.critical, src.ID)
	h.waitMetric(src.ID.String(), "alert_created", func(*metrics.Alert) bool { return true })
	if n := h.rdb.ZCard(context.Background(), ash.AutoInitKey).Val(); n != 0 {
		t.Errorf("%d auto-initiate timers with auto-initiate off", n)
	}
	// Only the session-deadline poller waits on the clock.
	h.clock.BlockUntil(t, 1)
	h.clock.Advance(10 * time.Minute)
	h.clock.BlockUntil(t, 1)
	if dms := h.dms(); len(dms) != 0 {
		t.Fatalf("Ash reached out on its own: %d DMs", len(dms))
	}
	if got := h.talkToAsh(alert, h.carol); !strings.Contains(got, "Ash reached out") {
		t.Fatalf("Talk to Ash answered %q", got)
	}
	h.waitDMs(1)
}
