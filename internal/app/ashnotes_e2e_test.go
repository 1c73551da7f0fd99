package app

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

// withAshTeam keeps the running instance's ash.Team in *team.
func withAshTeam(team *ash.Team) harnessOption {
	return func(h *harness) { h.onAshTeam = func(t ash.Team) { *team = t } }
}

// botPosts returns the bot's messages in channel after the first skip.
func (h *harness) botPosts(channel snowflake.ID, skip int) []discordsim.Message {
	msgs := h.sim.BotMessages(channel)
	if len(msgs) <= skip {
		return nil
	}
	return msgs[skip:]
}

// What happens in an Ash chat reaches the alert's thread as the running
// bot is configured: alarms ping exactly the CRT role, the handoff's
// quoted words ping nobody, and a chat's summary goes to
// BOT_CRT_NOTES_CHANNEL_IDS, not the thread.
func TestAshChatUpdatesInTheThread(t *testing.T) {
	var team ash.Team
	h := newHarness(t, withAshTeam(&team))
	notes := h.sim.AddChannel("crt-notes")
	h.env["BOT_CRT_NOTES_CHANNEL_IDS"] = notes.String()
	h.startBot()
	src, alert := h.raise("I can't do this anymore", "high", h.crisis)
	id := src.ID.String()
	ctx := context.Background()
	before := len(h.sim.BotMessages(alert.ID))

	team.AshUpdate(ctx, id, ash.Update{Kind: ash.Concern, Topic: "method", At: h.clock.Now()})
	team.AshUpdate(ctx, id, ash.Update{Kind: ash.HandoffRequested, At: h.clock.Now(), Handoff: &ash.HandoffContext{
		Duration: 8 * time.Minute, Messages: 3, Severities: []events.Severity{events.Medium, events.High, events.High},
		Last: []string{"one", "two <@" + h.carol.ID.String() + ">", "three @everyone"},
	}})
	team.AshUpdate(ctx, id, ash.Update{Kind: ash.SessionNote, At: h.clock.Now(), Note: &ash.Note{
		Duration: 8 * time.Minute, Messages: 3, Reason: events.EndHandoff, Highest: events.High, HandedOff: true,
	}})

	posts := h.botPosts(alert.ID, before)
	if len(posts) != 3 {
		t.Fatalf("%d posts in the thread, want the concern, the handoff and its quotes: %+v", len(posts), posts)
	}
	crt := []snowflake.ID{h.crtRole.ID}
	for i, m := range posts[:2] {
		am := m.AllowedMentions
		if am == nil || !slices.Equal(am.Roles, crt) || len(am.Users) != 0 || len(am.Parse) != 0 {
			t.Errorf("alarm %d allowed_mentions %+v, want exactly the CRT role", i, am)
		}
		if !slices.Equal(m.MentionRoles, crt) || len(m.MentionUsers) != 0 || m.MentionEveryone {
			t.Errorf("alarm %d pinged roles %v, users %v, everyone %v", i, m.MentionRoles, m.MentionUsers, m.MentionEveryone)
		}
	}
	if !strings.Contains(posts[0].Content, "a way to end their life") || !strings.Contains(posts[1].Content, "asked Ash for a human") {
		t.Errorf("alarms %q, %q", posts[0].Content, posts[1].Content)
	}
	quotes := posts[2]
	if !strings.Contains(quotes.Content, "> one") || len(quotes.MentionUsers) != 0 || len(quotes.MentionRoles) != 0 || quotes.MentionEveryone {
		t.Errorf("quoted words %q pinged users %v, roles %v, everyone %v", quotes.Content, quotes.MentionUsers, quotes.MentionRoles, quotes.MentionEveryone)
	}

	summary := h.sim.BotMessages(notes)
	if len(summary) != 1 || !strings.Contains(summary[0].Content, "Alert "+id) || !strings.Contains(summary[0].Content, "/"+alert.ID.String()) ||
		!strings.Contains(summary[0].Content, "Handed off to the CRT: yes") {
		t.Fatalf("notes channel got %+v", summary)
	}
	if strings.Contains(summary[0].Content, h.alice.ID.String()) || len(summary[0].MentionUsers) != 0 {
		t.Errorf("the summary names the person: %q", summary[0].Content)
	}
}

// Without BOT_CRT_NOTES_CHANNEL_IDS the summary goes to the thread, and a
// model whose key was refused is a plain notice.
func TestAshSessionNoteInTheThread(t *testing.T) {
	var team ash.Team
	h := newHarness(t, withAshTeam(&team))
	h.startBot()
	src, alert := h.raise("everything is too much", "high", h.crisis)
	before := len(h.sim.BotMessages(alert.ID))
	ctx := context.Background()
	team.AshUpdate(ctx, src.ID.String(), ash.Update{Kind: ash.ModelTrouble, Detail: "auth", At: h.clock.Now()})
	team.AshUpdate(ctx, src.ID.String(), ash.Update{Kind: ash.SessionNote, At: h.clock.Now(), Note: &ash.Note{
		Duration: 3 * time.Minute, Messages: 2, Reason: events.EndUserEnded,
	}})
	posts := h.botPosts(alert.ID, before)
	if len(posts) != 2 || posts[0].Content != "⚠️ Ash switched to its scripted texts: the model's key was refused; fix BOT_ASH_API_KEY." ||
		!strings.Contains(posts[1].Content, "Ended: they ended the chat") {
		t.Fatalf("thread posts %+v", posts)
	}
	for _, m := range posts {
		if len(m.MentionRoles) != 0 || len(m.MentionUsers) != 0 || m.MentionEveryone {
			t.Errorf("a plain notice pinged: %q", m.Content)
		}
	}
}
