package discordsim

import (
	"net/http"
	"strings"
	"testing"

	"github.com/disgoorg/disgo/discord"
)

func rules(vs []Violation) string {
	var b strings.Builder
	for _, v := range vs {
		b.WriteString(v.String() + "\n")
	}
	return b.String()
}

func TestConformanceAcceptsGoodRequests(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	c := restOnly(t, sim, SimUserAgent)
	src, err := sim.SendMessage(ch, alice, "hi")
	if err != nil {
		t.Fatal(err)
	}
	m, err := c.CreateMessage(ch, discord.NewMessageCreate().WithContent("alert").AddActionRow(discord.NewPrimaryButton("Ack", "ack")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateThreadFromMessage(ch, m.ID, discord.ThreadCreateFromMessage{Name: "t", AutoArchiveDuration: discord.AutoArchiveDuration24h}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetMessage(ch, src.ID); err != nil {
		t.Fatal(err)
	}
	in, err := sim.ClickButton(m.ID, alice, "ack")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateInteractionResponse(in.ID, in.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeCreateMessage,
		Data: discord.MessageCreate{Content: "ok", Flags: discord.MessageFlagEphemeral}}); err != nil {
		t.Fatal(err)
	}
	if vs := sim.Conformance(CheckOptions{}); len(vs) != 0 {
		t.Errorf("violations in good requests:\n%s", rules(vs))
	}
}

func TestConformanceFindsEachBrokenRule(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	c := restOnly(t, sim, SimUserAgent)
	check := func(what, want string, opts CheckOptions, act func()) {
		t.Helper()
		from := len(sim.Requests())
		act()
		vs := CheckRequests(sim.Requests()[from:], opts)
		if !strings.Contains(rules(vs), want) {
			t.Errorf("%s: violations\n%s\nwant one with %q", what, rules(vs), want)
		}
	}
	check("no User-Agent", "User-Agent", CheckOptions{}, func() {
		_, _ = restOnly(t, sim, "").CreateMessage(ch, discord.MessageCreate{Content: "x"})
	})
	check("unknown request kind", "unknown to the conformance check", CheckOptions{}, func() {
		_, _ = c.CreateGlobalCommand(sim.ApplicationID(), discord.SlashCommandCreate{Name: "x", Description: "x"})
	})
	check("invalid body", "body: components.0.components.0.label", CheckOptions{}, func() {
		_, _ = c.CreateMessage(ch, discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewSecondaryButton("", "b")))
	})
	sim.SetBotPermissions(ch, DefaultBotPermissions&^discord.PermissionSendMessages)
	check("missing permission", "needs permissions", CheckOptions{}, func() {
		_, _ = c.CreateMessage(ch, discord.MessageCreate{Content: "x"})
	})
	from := len(sim.Requests())
	_, _ = c.CreateMessage(ch, discord.MessageCreate{Content: "x"})
	if vs := CheckRequests(sim.Requests()[from:], CheckOptions{AllowMissingPermissions: true}); len(vs) != 0 {
		t.Errorf("permission refusal a test arranged:\n%s", rules(vs))
	}
	req := Request{Method: http.MethodGet, Route: "GET /users/@me", UserAgent: SimUserAgent}
	if vs := CheckRequests([]Request{req}, CheckOptions{}); !strings.Contains(rules(vs), "Authorization") {
		t.Errorf("no token: %s", rules(vs))
	}
}

func TestConformanceCountsDroppedRequests(t *testing.T) {
	sim, _ := newSim(t, Options{MaxLog: 1})
	c := restOnly(t, sim, SimUserAgent)
	for range 2 {
		if _, err := c.GetCurrentUser(""); err != nil {
			t.Fatal(err)
		}
	}
	if vs := sim.Conformance(CheckOptions{}); !strings.Contains(rules(vs), "dropped") {
		t.Errorf("dropped requests not reported: %s", rules(vs))
	}
}
