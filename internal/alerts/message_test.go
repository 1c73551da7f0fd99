package alerts

import (
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/events"
)

const maxSnowflake = "18446744073709551615"

func TestButtonIDs(t *testing.T) {
	for _, action := range []string{ActionAcknowledge, ActionTalkToAsh, ActionTakeOver, ActionResolve} {
		id := ButtonID(action, maxSnowflake, maxSnowflake)
		if len(id) > MaxCustomID {
			t.Errorf("%s: custom id %d characters long", action, len(id))
		}
		got, ok := ParseButtonID(id)
		if !ok || got != (Button{Action: action, AlertID: maxSnowflake, UserID: maxSnowflake}) {
			t.Errorf("ParseButtonID(%q) = %+v, %v", id, got, ok)
		}
	}
	for _, bad := range []string{"", "/alert/", "/alert/ack/1", "/alert/ack/1/2/3", "/alert/nope/1/2", "/alert/ack//2", "/ash/optout/1/2", "alert/ack/1/2"} {
		if b, ok := ParseButtonID(bad); ok {
			t.Errorf("ParseButtonID(%q) accepted: %+v", bad, b)
		}
	}
	ch, msg, ok := ParseFlagSelectID(FlagSelectID("11", "22"))
	if !ok || ch != "11" || msg != "22" {
		t.Errorf("flag select id round trip: %s %s %v", ch, msg, ok)
	}
	for _, bad := range []string{"/flag/11", "/flag//22", "/flag/11/22/33", "/alert/ack/1/2"} {
		if _, _, ok := ParseFlagSelectID(bad); ok {
			t.Errorf("ParseFlagSelectID(%q) accepted", bad)
		}
	}
	if len(FlagSelectID(maxSnowflake, maxSnowflake)) > MaxCustomID {
		t.Error("flag select id too long")
	}
}

func TestExcerpt(t *testing.T) {
	cases := []struct {
		in, want string
	}{
		{"hello", "> hello"},
		{"  two\nlines  ", "> two\n> lines"},
		{"", "*(no text: the message has only attachments or embeds)*"},
		{strings.Repeat("é", 301), "> " + strings.Repeat("é", 300) + "…"},
		{strings.Repeat("x\n", 10), "> x\n> x\n> x\n> x\n> x\n> x\n> x\n> x…"},
	}
	for _, c := range cases {
		if got := Excerpt(c.in); got != c.want {
			t.Errorf("Excerpt(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestNewMessageMentions(t *testing.T) {
	roles := []snowflake.ID{111, 222}
	for _, sev := range events.Severities {
		a := Alert{ID: "900", Severity: sev, GuildID: "1", ChannelID: "2", MessageID: "900", UserID: "333",
			Content: "@everyone <@444> help", FlaggedBy: "555"}
		m, err := NewMessage(a, roles)
		if err != nil {
			t.Fatal(err)
		}
		am := m.AllowedMentions
		if am == nil || len(am.Parse) != 0 || len(am.Users) != 0 {
			t.Fatalf("%s: allowed mentions %+v", sev, am)
		}
		loud := sev == events.High || sev == events.Critical
		if loud != slices.Equal(am.Roles, roles) || loud != strings.Contains(m.Content, "<@&111> <@&222>") {
			t.Errorf("%s: content %q roles %v", sev, m.Content, am.Roles)
		}
		if !loud && len(am.Roles) != 0 {
			t.Errorf("%s pings roles", sev)
		}
		e := m.Embeds[0]
		if e.Color != SeverityColor(sev) || !strings.Contains(e.Title, strings.ToUpper(string(sev))) {
			t.Errorf("%s: embed %+v", sev, e)
		}
		if strings.Contains(e.Fields[3].Value, "555") {
			t.Errorf("%s: a non-CRT flagger is named", sev)
		}
	}
	m, _ := NewMessage(Alert{ID: "1", Severity: events.Low, UserID: "3", FlaggedBy: "555", FlaggedByCRT: true}, nil)
	if !strings.Contains(m.Embeds[0].Fields[3].Value, "<@555> (CRT)") {
		t.Errorf("CRT flagger not shown: %+v", m.Embeds[0].Fields[3])
	}
}

func TestRenderAndParseStatus(t *testing.T) {
	at := time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)
	m, err := NewMessage(Alert{ID: "900", Severity: events.High, UserID: "333"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	base := m.Embeds[0]
	cases := []struct {
		name       string
		st         Status
		color      int
		ackOff     bool
		ashAction  string
		ashOff     bool
		resolveOff bool
	}{
		{"new", Status{}, ColorHigh, false, ActionTalkToAsh, false, false},
		{"acknowledged", Status{Ack: Claim{"111", at}}, ColorAcknowledged, true, ActionTalkToAsh, false, false},
		{"ash engaged", Status{Contact: Claim{"auto", at}, Ash: AshEngaged, AshAt: at}, ColorHigh, false, ActionTakeOver, false, false},
		{"ash ended", Status{Contact: Claim{"222", at}, Ash: AshEnded(events.EndTimeout)}, ColorHigh, false, ActionTalkToAsh, true, false},
		{"dms closed", Status{Contact: Claim{"222", at}, Ash: AshUnreachable}, ColorHigh, false, ActionTalkToAsh, false, false},
		{"resolved", Status{Ack: Claim{"111", at}, Contact: Claim{"222", at}, Ash: AshEngaged, Resolve: Claim{"333", at.Add(time.Hour)}},
			ColorResolved, true, ActionTalkToAsh, true, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := Render(base, c.st)
			if e.Color != c.color || e.Description != base.Description || len(e.Fields) != len(base.Fields) {
				t.Errorf("rendered %+v", e)
			}
			back := ParseStatus(e)
			if back.Ack != c.st.Ack || back.Resolve != c.st.Resolve {
				t.Errorf("ParseStatus = %+v, want ack %+v resolve %+v", back, c.st.Ack, c.st.Resolve)
			}
			if c.st.Ash == AshEngaged && (back.Contact.By != c.st.Contact.By || back.Ash != AshEngaged) {
				t.Errorf("engaged Ash not read back: %+v", back)
			}
			comps, err := Buttons("900", "333", c.st)
			if err != nil {
				t.Fatal(err)
			}
			row := comps[0].(discord.ActionRowComponent).Components
			ack, ash, res := row[0].(discord.ButtonComponent), row[1].(discord.ButtonComponent), row[2].(discord.ButtonComponent)
			if b, _ := ParseButtonID(ash.CustomID); b.Action != c.ashAction {
				t.Errorf("middle button %q", ash.CustomID)
			}
			if ack.Disabled != c.ackOff || ash.Disabled != c.ashOff || res.Disabled != c.resolveOff {
				t.Errorf("disabled ack %v ash %v resolve %v", ack.Disabled, ash.Disabled, res.Disabled)
			}
		})
	}
}

func TestCreatedFromMessage(t *testing.T) {
	m, _ := NewMessage(Alert{ID: "900", Severity: events.Critical, ChannelID: "1234", MessageID: "900", UserID: "333"}, nil)
	msg := discord.Message{ID: snowflake.New(time.Date(2026, 1, 5, 12, 0, 0, 0, time.UTC)), Embeds: m.Embeds}
	ev, ok := CreatedFromMessage(msg, Button{AlertID: "900", UserID: "333"})
	if !ok || ev.Severity != events.Critical || ev.ChannelID != "1234" || ev.AlertMessageID != msg.ID.String() ||
		!ev.At.Equal(msg.ID.Time()) || ev.UserID != "333" {
		t.Errorf("rebuilt %+v %v", ev, ok)
	}
	if _, ok := CreatedFromMessage(discord.Message{ID: 1}, Button{AlertID: "900", UserID: "333"}); ok {
		t.Error("rebuilt from a message without embed")
	}
}

func TestChannelsFor(t *testing.T) {
	c := Channels{Monitor: []snowflake.ID{1}, Crisis: []snowflake.ID{2, 3}, Critical: []snowflake.ID{4}}
	cases := map[events.Severity][]snowflake.ID{
		events.Low:      {1, 2, 3, 4},
		events.Medium:   {1, 2, 3, 4},
		events.High:     {2, 3, 4, 1},
		events.Critical: {4, 2, 3, 1},
	}
	for sev, want := range cases {
		if got := c.For(sev); !slices.Equal(got, want) {
			t.Errorf("For(%s) = %v, want %v", sev, got, want)
		}
	}
	noCritical := Channels{Monitor: []snowflake.ID{1}, Crisis: []snowflake.ID{2}}
	if got := noCritical.For(events.Critical); !slices.Equal(got, []snowflake.ID{2, 1}) {
		t.Errorf("critical without critical channels: %v", got)
	}
	onlyCrisis := Channels{Crisis: []snowflake.ID{2}}
	if got := onlyCrisis.For(events.Low); !slices.Equal(got, []snowflake.ID{2}) {
		t.Errorf("low without monitor channels: %v", got)
	}
}

// Whatever the classifier sends, a detected alert stays within Discord's
// embed limits: 256 for the title, 1024 per field value, 25 fields, 6000
// in all (https://discord.com/developers/docs/resources/message#embed-object-embed-limits).
func TestDetectedAlertWithinEmbedLimits(t *testing.T) {
	huge := strings.Repeat("ünïcode and words ", 2000)
	var factors []string
	for range 40 {
		factors = append(factors, huge)
	}
	a := Alert{
		ID: "1", Severity: events.Critical, GuildID: "2", ChannelID: "3", MessageID: "1", UserID: "4", Content: huge,
		Detection: &Detection{CrisisScore: 0.97, Confidence: 0.5, RecommendedAction: huge, KeyFactors: factors,
			DecisionSummary: huge, Degraded: true, Late: 3 * time.Minute},
		EscalatedFrom: &Escalation{AlertID: "9", Severity: events.High, URL: "https://discord.com/channels/2/5/9"},
	}
	m, err := NewMessage(a, []snowflake.ID{77})
	if err != nil {
		t.Fatal(err)
	}
	e := m.Embeds[0]
	total := utf8.RuneCountInString(e.Title) + utf8.RuneCountInString(e.Description) + utf8.RuneCountInString(e.Footer.Text)
	if len(e.Fields) > 25 {
		t.Errorf("%d fields", len(e.Fields))
	}
	fields := map[string]string{}
	for _, f := range e.Fields {
		fields[f.Name] = f.Value
		if n := utf8.RuneCountInString(f.Value); n > 1024 || n == 0 {
			t.Errorf("field %s has %d characters", f.Name, n)
		}
		total += utf8.RuneCountInString(f.Name) + utf8.RuneCountInString(f.Value)
	}
	if total > 6000 {
		t.Errorf("embed has %d characters in all", total)
	}
	if n := strings.Count(fields[FieldFactors], "• "); n != 5 {
		t.Errorf("%d key factors shown, want 5", n)
	}
	for _, want := range []string{FieldSource, FieldClassifier, FieldSummary, FieldEscalated, FieldLate, FieldStatus} {
		if fields[want] == "" {
			t.Errorf("no %s field", want)
		}
	}
	if !strings.Contains(fields[FieldClassifier], "Degraded") || !strings.Contains(fields[FieldClassifier], "0.97") {
		t.Errorf("classifier field %q", fields[FieldClassifier])
	}
	if _, ok := fields[FieldFlaggedBy]; ok {
		t.Error("a detected alert names a flagger")
	}
	// The fallback that rebuilds alert_created from the message still reads it.
	posted := discord.Message{ID: 1, Embeds: m.Embeds}
	if ev, ok := CreatedFromMessage(posted, Button{AlertID: "1", UserID: "4"}); !ok || ev.Severity != events.Critical || ev.ChannelID != "3" {
		t.Errorf("CreatedFromMessage: %+v %v", ev, ok)
	}
	// An escalation mentions the CRT roles whatever its severity.
	a.Severity = events.Medium
	m, _ = NewMessage(a, []snowflake.ID{77})
	if !strings.Contains(m.Content, "<@&77>") || !strings.Contains(m.Content, "escalated from high") {
		t.Errorf("escalation content %q", m.Content)
	}
}
