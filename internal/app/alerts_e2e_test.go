package app

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/metrics"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// A member flags a message: the CRT channel for its severity gets an alert
// that pings the CRT role (and only it), names the person, links the
// message, keeps the flagger anonymous and opens a thread; the flagger is
// thanked privately; alert_created carries the alert message's time.
// Acknowledge works once, a second click is told who did it, and a member
// outside the CRT is refused privately.
func TestFlagDispatchAcknowledge(t *testing.T) {
	h := newHarness(t)
	h.startBot()

	src := h.say(h.alice, "I don't think I can keep going. Everything is too much.")
	h.clock.Advance(20 * time.Second)
	thanks := h.flag(h.bob, src, "high")
	if !strings.Contains(thanks, "Crisis Response Team has been notified") {
		t.Errorf("flagger answer %q", thanks)
	}
	alert := h.alertFor(h.crisis, src.ID)
	id := src.ID.String()
	// The flag carried the message: no REST read (Read Message History).
	if reads := h.sim.RequestsTo(http.MethodGet, "/channels/*/messages/"+id); len(reads) != 0 {
		t.Errorf("the flag read the flagged message over REST %d times", len(reads))
	}

	if len(h.sim.BotMessages(h.monitor))+len(h.sim.BotMessages(h.critical)) != 0 {
		t.Error("a high alert was posted outside the crisis channel")
	}
	e := alert.Embeds[0]
	if !strings.Contains(e.Title, "HIGH") || e.Color != alerts.ColorHigh {
		t.Errorf("title %q colour %x", e.Title, e.Color)
	}
	if !strings.Contains(e.Description, "> I don't think I can keep going") {
		t.Errorf("excerpt %q", e.Description)
	}
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Name] = f.Value
	}
	if fields[alerts.FieldPerson] != h.alice.Mention() || fields[alerts.FieldChannel] != "<#"+h.general.String()+">" ||
		!strings.Contains(fields[alerts.FieldMessage], "/channels/"+h.sim.GuildID().String()+"/"+h.general.String()+"/"+id) {
		t.Errorf("fields %v", fields)
	}
	if strings.Contains(fields[alerts.FieldFlaggedBy], h.bob.ID.String()) {
		t.Error("a non-CRT flagger is named in the alert")
	}
	if !slices.Equal(alert.MentionRoles, []snowflake.ID{h.crtRole.ID}) || len(alert.MentionUsers) != 0 || alert.MentionEveryone {
		t.Errorf("pings roles %v users %v", alert.MentionRoles, alert.MentionUsers)
	}
	h.waitFor("thread on the alert", func() bool { return len(h.sim.Threads(h.crisis)) > 0 })
	if threads := h.sim.Threads(h.crisis); len(threads) != 1 || threads[0].ID != alert.ID {
		t.Fatalf("threads %+v, want one on the alert", threads)
	}

	created := h.waitMetric(id, "alert_created", func(*metrics.Alert) bool { return true })
	if created.AlertMessageID != alert.ID.String() || !created.CreatedAt.Equal(alert.ID.Time()) ||
		created.UserID != h.alice.ID.String() || created.ChannelID != h.general.String() || created.Severity != "high" {
		t.Errorf("alert_created %+v", created)
	}
	var st map[string]string
	h.waitFor("alert state", func() bool {
		st = h.rdb.HGetAll(context.Background(), alerts.StateKey(id)).Val()
		_, ok, _ := ash.NewDueSet(h.rdb, ash.AutoInitKey).When(context.Background(), id)
		return st["alert_message_id"] != "" && ok
	})
	if st["alert_message_id"] != alert.ID.String() || st["thread_id"] != alert.ID.String() || st["user_id"] != h.alice.ID.String() {
		t.Errorf("alert state %v", st)
	}
	if ttl := h.rdb.PTTL(context.Background(), alerts.StateKey(id)).Val(); ttl < 89*24*time.Hour || ttl > 91*24*time.Hour {
		t.Errorf("alert state TTL %v, want the alert retention", ttl)
	}
	if due, ok, _ := ash.NewDueSet(h.rdb, ash.AutoInitKey).When(context.Background(), id); !ok || !due.Equal(alert.ID.Time().Add(3*time.Minute).Truncate(time.Millisecond)) {
		t.Errorf("auto-initiate timer %v %v, want alert time + 3m", due, ok)
	}

	// Flagging the same message again alerts nobody.
	again := h.flag(h.carol, src, "critical")
	if !strings.Contains(again, "already flagged") {
		t.Errorf("second flag answer %q", again)
	}

	// A member outside the CRT cannot press the buttons.
	_, cb := h.click(alert.ID, h.bob, h.buttonID(alert, alerts.ActionAcknowledge))
	if !cb.Ephemeral() || !strings.Contains(cb.Message.Content, "Only members of the Crisis Response Team") {
		t.Errorf("non-CRT click answered %+v", cb.Message)
	}
	if by := h.rdb.HGet(context.Background(), alerts.StateKey(id), "ack_by").Val(); by != "" || status(h.current(alert.ID)) != status(alert) {
		t.Errorf("a refused click changed the alert: ack_by %q, status %q", by, status(h.current(alert.ID)))
	}

	h.clock.Advance(90 * time.Second)
	_, cb = h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	if cb.Type != discord.InteractionResponseTypeUpdateMessage {
		t.Fatalf("acknowledge answered with %d", cb.Type)
	}
	acked := h.current(alert.ID)
	if acked.Embeds[0].Color != alerts.ColorAcknowledged || !strings.Contains(status(acked), "Acknowledged by "+h.carol.Mention()) {
		t.Errorf("acknowledged alert: colour %x status %q", acked.Embeds[0].Color, status(acked))
	}
	if b, _ := button(acked, alerts.ActionAcknowledge); !b.Disabled {
		t.Error("Acknowledge still enabled")
	}
	for _, a := range []string{alerts.ActionTalkToAsh, alerts.ActionResolve} {
		if b, ok := button(acked, a); !ok || b.Disabled {
			t.Errorf("%s not usable after acknowledgment", a)
		}
	}
	rec := h.waitMetric(id, "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AcknowledgedBy != h.carol.ID.String() || *rec.TimeToAcknowledgeSeconds != 90 {
		t.Errorf("acknowledged by %s after %ds, want carol after 90s", rec.AcknowledgedBy, *rec.TimeToAcknowledgeSeconds)
	}
	if _, ok, _ := ash.NewDueSet(h.rdb, ash.AutoInitKey).When(context.Background(), id); ok {
		t.Error("auto-initiate still scheduled after acknowledgment")
	}

	// The acknowledged button is disabled for everyone; a stale copy of
	// the message (another client) still sends the click.
	if _, err := h.sim.ClickButton(alert.ID, h.dave, h.buttonID(alert, alerts.ActionAcknowledge)); err == nil {
		t.Fatal("disabled button could be pressed")
	}

	// The second flag (carol, critical) posted nothing: one alert, as first
	// flagged. Checked last, so a wrong post had time to show.
	if n, c := len(alertsAbout(h.sim.BotMessages(h.crisis), id)), len(h.sim.BotMessages(h.critical)); n != 1 || c != 0 {
		t.Errorf("message flagged twice: %d alerts in crisis, %d posts in critical; want one alert", n, c)
	}
	if sev := h.rdb.HGet(context.Background(), alerts.StateKey(id), "severity").Val(); sev != "high" {
		t.Errorf("alert severity %q after the second flag, want the first flag's", sev)
	}
}

// alertsAbout returns the alerts among msgs about the message id.
func alertsAbout(msgs []discordsim.Message, id string) []discordsim.Message {
	var out []discordsim.Message
	for _, m := range msgs {
		if len(m.Embeds) > 0 && m.Embeds[0].Footer != nil && m.Embeds[0].Footer.Text == "Alert "+id {
			out = append(out, m)
		}
	}
	return out
}

// A member may flag 5 messages per 10 minutes: the sixth is refused
// privately and alerts nobody, while another member's flag of the same
// message still goes out.
func TestFlagRateLimitPerMember(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	for n := range 5 {
		src := h.say(h.alice, "message "+strconv.Itoa(n))
		if got := h.flag(h.bob, src, "low"); !strings.Contains(got, "has been notified") {
			t.Fatalf("flag %d answered %q", n+1, got)
		}
		h.alertFor(h.monitor, src.ID)
	}
	src := h.say(h.alice, "one more")
	got := h.flag(h.bob, src, "low")
	if !strings.Contains(got, "You have flagged 5 messages") || !strings.Contains(got, "was not sent") {
		t.Errorf("sixth flag answered %q", got)
	}
	if n := h.rdb.Exists(context.Background(), alerts.StateKey(src.ID.String())).Val(); n != 0 {
		t.Error("a refused flag claimed the message: nobody else could flag it")
	}
	if n := h.rdb.Get(context.Background(), alerts.FlagsKey(h.bob.ID.String())).Val(); n != "6" {
		t.Errorf("bob's flag count %q, want 6", n)
	}
	if ttl := h.rdb.PTTL(context.Background(), alerts.FlagsKey(h.bob.ID.String())).Val(); ttl <= 0 || ttl > 10*time.Minute {
		t.Errorf("flag window TTL %v, want at most 10 minutes", ttl)
	}

	// The limit is bob's alone: carol flags the same message.
	if got := h.flag(h.carol, src, "low"); !strings.Contains(got, "has been notified") {
		t.Errorf("another member's flag answered %q", got)
	}
	h.alertFor(h.monitor, src.ID)
	h.waitMetric(src.ID.String(), "alert_created", func(*metrics.Alert) bool { return true })
	if n := len(alertsAbout(h.sim.BotMessages(h.monitor), src.ID.String())); n != 1 {
		t.Errorf("%d alerts about the message, want carol's only", n)
	}
	if n := len(h.sim.BotMessages(h.monitor)); n != 6 {
		t.Errorf("%d alerts in the monitor channel, want 6", n)
	}
}

// A second Acknowledge, as from a client that had not yet seen the first,
// is told privately who acknowledged; the record keeps the first.
func TestDoubleAcknowledge(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	src := h.say(h.alice, "please help")
	h.flag(h.bob, src, "medium")
	alert := h.alertFor(h.monitor, src.ID)
	ackID := h.buttonID(alert, alerts.ActionAcknowledge)

	// Two members press at once: exactly one wins.
	in1, err := h.sim.ClickButton(alert.ID, h.carol, ackID)
	if err != nil {
		t.Fatal(err)
	}
	in2, err := h.sim.ClickButton(alert.ID, h.dave, ackID)
	if err != nil {
		t.Fatal(err)
	}
	cb1, err1 := in1.Wait(h.ctx())
	cb2, err2 := in2.Wait(h.ctx())
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	updates, refusals := 0, 0
	var winner, loserText string
	for i, cb := range []discordsim.InteractionCallback{cb1, cb2} {
		switch {
		case cb.Type == discord.InteractionResponseTypeUpdateMessage:
			updates++
			winner = []string{h.carol.ID.String(), h.dave.ID.String()}[i]
		case cb.Ephemeral():
			refusals++
			loserText = cb.Message.Content
		}
	}
	if updates != 1 || refusals != 1 {
		t.Fatalf("%d updates and %d private answers, want one each", updates, refusals)
	}
	if !strings.Contains(loserText, "Already acknowledged by <@"+winner+">") {
		t.Errorf("second click told %q, want the winner %s", loserText, winner)
	}
	rec := h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AcknowledgedBy != winner {
		t.Errorf("recorded %s, want %s", rec.AcknowledgedBy, winner)
	}
	if got := status(h.current(alert.ID)); strings.Count(got, "Acknowledged by") != 1 || !strings.Contains(got, winner) {
		t.Errorf("status %q", got)
	}
}

// A bot restarted on the same Redis (or another replica) handles a click on
// an alert the first instance posted.
func TestRestartThenClick(t *testing.T) {
	h := newHarness(t)
	first := h.startBot()
	src := h.say(h.alice, "i want to disappear")
	h.flag(h.bob, src, "critical")
	alert := h.alertFor(h.critical, src.ID)
	h.waitMetric(src.ID.String(), "alert_created", func(*metrics.Alert) bool { return true })
	first.stop(t)

	h.startBot()
	h.clock.Advance(time.Minute)
	_, cb := h.click(alert.ID, h.dave, h.buttonID(alert, alerts.ActionAcknowledge))
	if cb.Type != discord.InteractionResponseTypeUpdateMessage {
		t.Fatalf("click after restart answered %+v", cb)
	}
	if got := status(h.current(alert.ID)); !strings.Contains(got, "Acknowledged by "+h.dave.Mention()) {
		t.Errorf("status %q", got)
	}
	rec := h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })
	if rec.AcknowledgedBy != h.dave.ID.String() || *rec.TimeToAcknowledgeSeconds != 60 {
		t.Errorf("record %+v", rec)
	}
	// Only the running instance answered.
	if n := len(h.sim.InteractionCallbacks(cb.InteractionID)); n != 1 {
		t.Errorf("%d answers", n)
	}
}

// An alert the earlier Ash-Bot posted (same Discord application, its
// custom ids) gets a private answer saying what to do, not Discord's
// "This interaction failed".
func TestEarlierBotButtons(t *testing.T) {
	h := newHarness(t)
	h.startBot()
	rs, err := discordapi.NewREST(discordapi.Config{Token: h.sim.Token(), BaseURL: h.sim.URL()})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close(context.Background())
	person := h.alice.ID.String()
	old, err := rs.CreateMessage(h.crisis, discord.MessageCreate{
		Content: "Crisis alert (earlier bot)",
		Components: []discord.LayoutComponent{discord.NewActionRow(
			discord.NewPrimaryButton("Acknowledge", "ash_ack:"+person+":1234"),
			discord.NewSecondaryButton("Talk to Ash", "ash_talk:"+person+":1234"),
			discord.NewSecondaryButton("Resolve", "persistent:ash_resolve"),
		)},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"ash_ack:" + person + ":1234", "ash_talk:" + person + ":1234", "persistent:ash_resolve"} {
		in, cb := h.click(old.ID, h.carol, id)
		if cb.Type != discord.InteractionResponseTypeCreateMessage || !cb.Ephemeral() {
			t.Fatalf("%s answered %+v, want a private message", id, cb)
		}
		if got := h.answerText(in); !strings.Contains(got, "earlier Ash-Bot") {
			t.Errorf("%s answer %q", id, got)
		}
	}
}

// On a server set up with too few permissions, as Discord enforces them,
// no alert is lost: the crisis channel refuses the post (no Send
// Messages), so the alert goes to the next CRT channel, where the bot may
// not open threads; the alert still works without its thread.
func TestAlertSurvivesMissingPermissions(t *testing.T) {
	h := newHarness(t)
	h.check.AllowMissingPermissions = true
	h.sim.SetBotPermissions(h.crisis, discordsim.DefaultBotPermissions&^discord.PermissionSendMessages)
	h.sim.SetBotPermissions(h.critical, discordsim.DefaultBotPermissions&^discord.PermissionCreatePublicThreads)
	h.startBot()

	src, alert := h.raise("nobody would notice if I was gone", "high", h.critical)
	if n := len(h.sim.BotMessages(h.crisis)); n != 0 {
		t.Errorf("%d messages in a channel the bot may not post in", n)
	}
	if n := len(h.sim.Threads(h.critical)); n != 0 {
		t.Errorf("%d threads opened without Create Public Threads", n)
	}
	_, cb := h.click(alert.ID, h.carol, h.buttonID(alert, alerts.ActionAcknowledge))
	if cb.Type != discord.InteractionResponseTypeUpdateMessage {
		t.Fatalf("acknowledge answered %+v", cb)
	}
	h.waitMetric(src.ID.String(), "acknowledged", func(a *metrics.Alert) bool { return a.AcknowledgedAt != nil })

	// Without a thread, the team's notes reply to the alert in its channel.
	h.click(alert.ID, h.carol, h.buttonID(h.current(alert.ID), alerts.ActionResolve))
	note, err := h.sim.WaitMessage(h.ctx(), h.critical, func(m discordsim.Message) bool {
		return m.Reference != nil && m.Reference.MessageID != nil && *m.Reference.MessageID == alert.ID
	})
	if err != nil {
		t.Fatalf("no note on the alert: %v", err)
	}
	if !strings.Contains(note.Content, "Resolved by "+h.carol.Mention()) || len(note.MentionUsers) != 0 {
		t.Errorf("note %q pings %v", note.Content, note.MentionUsers)
	}
}
