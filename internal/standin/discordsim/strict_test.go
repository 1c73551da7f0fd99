package discordsim

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

// restOnly is a disgo REST client against sim with the given User-Agent,
// for tests that need no gateway.
func restOnly(t *testing.T, sim *Sim, ua string) rest.Rest {
	t.Helper()
	c := rest.New(rest.NewClient(sim.Token(), rest.WithURL(sim.URL()), rest.WithUserAgent(ua), rest.WithLogger(testLogger())))
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

func wantCode(t *testing.T, what string, err error, status, code int) {
	t.Helper()
	if err == nil {
		t.Errorf("%s: accepted, want HTTP %d code %d", what, status, code)
		return
	}
	re := restErr(t, err)
	if re.Response.StatusCode != status || int(re.Code) != code {
		t.Errorf("%s: HTTP %d code %d (%v), want HTTP %d code %d", what, re.Response.StatusCode, re.Code, err, status, code)
	}
}

func TestUserAgentRequired(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	for _, ua := range []string{"", "Go-http-client/1.1", "DiscordBot", "DiscordBot (ashbot, 1.0)", "DiscordBot (https://x.example/a)"} {
		if ValidUserAgent(ua) {
			t.Errorf("User-Agent %q accepted", ua)
		}
	}
	// Without one, Cloudflare answers: 403 with an HTML page, before the
	// request reaches Discord (no message is posted).
	req, _ := http.NewRequest(http.MethodPost, sim.URL()+"/channels/"+ch.String()+"/messages", strings.NewReader(`{"content":"hi"}`))
	req.Header.Set("Authorization", "Bot "+sim.Token())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "") // Go's client then sends none
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || !bytes.Contains(body, []byte("1010")) {
		t.Errorf("no User-Agent: HTTP %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	if n := len(sim.Messages(ch)); n != 0 {
		t.Errorf("%d messages posted by a blocked request", n)
	}
	reqs := sim.Requests()
	if r := reqs[len(reqs)-1]; r.Code != CloudflareBrowserBanned || r.UserAgent != "" {
		t.Errorf("recorded %+v", r)
	}
	// disgo without rest.WithUserAgent is refused; with it, accepted.
	if _, err := restOnly(t, sim, "").CreateMessage(ch, discord.MessageCreate{Content: "hi"}); err == nil {
		t.Error("disgo without a User-Agent accepted")
	}
	ua := "DiscordBot (https://github.com/alphabetcartel/ashbot, v1.2.3) extra"
	if _, err := restOnly(t, sim, ua).CreateMessage(ch, discord.MessageCreate{Content: "hi"}); err != nil {
		t.Errorf("valid User-Agent refused: %v", err)
	}
}

func TestBotPermissions(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch, hidden := sim.AddChannel("crt"), sim.AddChannel("hidden")
	alice := sim.AddMember("alice")
	c := restOnly(t, sim, SimUserAgent)
	src, err := sim.SendMessage(ch, alice, "hello")
	if err != nil {
		t.Fatal(err)
	}
	if got := sim.BotPermissions(ch); got != DefaultBotPermissions {
		t.Errorf("default permissions %s", got)
	}

	sim.SetBotPermissions(hidden, DefaultBotPermissions&^discord.PermissionViewChannel)
	_, err = c.CreateMessage(hidden, discord.MessageCreate{Content: "x"})
	wantCode(t, "post without VIEW_CHANNEL", err, http.StatusForbidden, CodeMissingAccess)

	sim.SetBotPermissions(ch, DefaultBotPermissions&^(discord.PermissionSendMessages|discord.PermissionReadMessageHistory|discord.PermissionCreatePublicThreads))
	_, err = c.CreateMessage(ch, discord.MessageCreate{Content: "x"})
	wantCode(t, "post without SEND_MESSAGES", err, http.StatusForbidden, CodeMissingPermissions)
	_, err = c.GetMessage(ch, src.ID)
	wantCode(t, "read without READ_MESSAGE_HISTORY", err, http.StatusForbidden, CodeMissingPermissions)
	if msgs, err := c.GetMessages(ch, 0, 0, 0, 50); err != nil || len(msgs) != 0 {
		t.Errorf("history without READ_MESSAGE_HISTORY: %d messages, %v", len(msgs), err)
	}
	_, err = c.CreateThreadFromMessage(ch, src.ID, discord.ThreadCreateFromMessage{Name: "t"})
	wantCode(t, "thread without CREATE_PUBLIC_THREADS", err, http.StatusForbidden, CodeMissingPermissions)

	// Threads inherit the parent's permissions, but sending in them takes
	// SEND_MESSAGES_IN_THREADS.
	sim.SetBotPermissions(ch, DefaultBotPermissions)
	thread, err := c.CreateThreadFromMessage(ch, src.ID, discord.ThreadCreateFromMessage{Name: "t"})
	if err != nil {
		t.Fatal(err)
	}
	sim.SetBotPermissions(ch, DefaultBotPermissions&^discord.PermissionSendMessagesInThreads)
	_, err = c.CreateMessage(thread.ID(), discord.MessageCreate{Content: "x"})
	wantCode(t, "post in thread without SEND_MESSAGES_IN_THREADS", err, http.StatusForbidden, CodeMissingPermissions)
	if _, err := c.CreateMessage(ch, discord.MessageCreate{Content: "x"}); err != nil {
		t.Errorf("post in the channel itself: %v", err)
	}
	sim.SetBotPermissions(ch, DefaultBotPermissions&^discord.PermissionManageThreads)
	archived := true
	_, err = c.UpdateChannel(thread.ID(), discord.GuildThreadUpdate{Archived: &archived})
	wantCode(t, "archive without MANAGE_THREADS", err, http.StatusForbidden, CodeMissingPermissions)

	// DMs need no permission.
	sim.SetBotPermissions(0, 0)
	dm, err := sim.OpenDM(alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateMessage(dm, discord.MessageCreate{Content: "x"}); err != nil {
		t.Errorf("DM: %v", err)
	}
}

func TestRoleMentionNeedsMentionable(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("crt")
	crt := sim.AddRole("CRT")
	c := restOnly(t, sim, SimUserAgent)
	post := func() []snowflake.ID {
		t.Helper()
		m, err := c.CreateMessage(ch, discord.MessageCreate{Content: crt.Mention() + " @everyone",
			AllowedMentions: &discord.AllowedMentions{Roles: []snowflake.ID{crt.ID}, Parse: []discord.AllowedMentionType{discord.AllowedMentionTypeEveryone}}})
		if err != nil {
			t.Fatal(err)
		}
		if m.MentionEveryone != sim.BotPermissions(ch).Has(discord.PermissionMentionEveryone) {
			t.Errorf("mention_everyone %v with permissions %s", m.MentionEveryone, sim.BotPermissions(ch))
		}
		return m.MentionRoles
	}
	if got := post(); len(got) != 1 {
		t.Errorf("mentionable role: pinged %v", got)
	}
	if err := sim.SetRoleMentionable(crt.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := post(); len(got) != 0 {
		t.Errorf("role not mentionable: pinged %v", got)
	}
	if r, _ := sim.RoleByName("CRT"); r.Mentionable {
		t.Error("role still reported mentionable")
	}
	sim.SetBotPermissions(ch, DefaultBotPermissions|discord.PermissionMentionEveryone)
	if got := post(); len(got) != 1 {
		t.Errorf("MENTION_EVERYONE: pinged %v", got)
	}
}

// wallClock is a settable wall clock for Options.WallClock.
type wallClock struct {
	mu sync.Mutex
	t  time.Time
}

func (w *wallClock) Now() time.Time { w.mu.Lock(); defer w.mu.Unlock(); return w.t }
func (w *wallClock) Advance(d time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.t = w.t.Add(d)
}

func TestInteractionDeadlinesOnTheWallClock(t *testing.T) {
	wall := &wallClock{t: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)}
	sim, _ := newSim(t, Options{WallClock: wall.Now})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	c := restOnly(t, sim, SimUserAgent)
	msg, err := c.CreateMessage(ch, discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewSecondaryButton("Go", "go")))
	if err != nil {
		t.Fatal(err)
	}
	// The simulated clock stands still; 3 s pass for real.
	late, err := sim.ClickButton(msg.ID, alice, "go")
	if err != nil {
		t.Fatal(err)
	}
	wall.Advance(3*time.Second + time.Millisecond)
	err = c.CreateInteractionResponse(late.ID, late.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredUpdateMessage})
	wantCode(t, "initial response after 3 s of wall time", err, http.StatusNotFound, CodeUnknownInteraction)

	// Answered in time, follow-ups work for 15 minutes of wall time.
	in, err := sim.ClickButton(msg.ID, alice, "go")
	if err != nil {
		t.Fatal(err)
	}
	if err := c.CreateInteractionResponse(in.ID, in.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredCreateMessage}); err != nil {
		t.Fatal(err)
	}
	err = c.CreateInteractionResponse(in.ID, in.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredCreateMessage})
	wantCode(t, "second initial response", err, http.StatusBadRequest, CodeInteractionAcknowledged)
	wall.Advance(14 * time.Minute)
	if _, err := c.CreateFollowupMessage(sim.ApplicationID(), in.Token, discord.MessageCreate{Content: "done"}); err != nil {
		t.Errorf("follow-up within 15 min: %v", err)
	}
	wall.Advance(time.Minute + time.Millisecond)
	_, err = c.CreateFollowupMessage(sim.ApplicationID(), in.Token, discord.MessageCreate{Content: "late"})
	wantCode(t, "follow-up after 15 min of wall time", err, http.StatusUnauthorized, CodeInvalidWebhookToken)
}

func TestRESTContentBlankWithoutIntent(t *testing.T) {
	sim, _ := newSim(t, Options{DisallowedIntents: gateway.IntentMessageContent})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	c := restOnly(t, sim, SimUserAgent)
	secret, err := sim.SendMessageWith(ch, alice, SendOptions{Content: "secret", Files: []File{{Name: "a.txt", Data: []byte("x")}}})
	if err != nil {
		t.Fatal(err)
	}
	mention, err := sim.SendMessage(ch, alice, "hey "+sim.Bot().Mention())
	if err != nil {
		t.Fatal(err)
	}
	own, err := c.CreateMessage(ch, discord.MessageCreate{Content: "mine", Embeds: []discord.Embed{{Title: "t"}}})
	if err != nil {
		t.Fatal(err)
	}
	dm, err := sim.OpenDM(alice)
	if err != nil {
		t.Fatal(err)
	}
	private, err := sim.SendMessage(dm, alice, "private")
	if err != nil {
		t.Fatal(err)
	}
	got, err := c.GetMessage(ch, secret.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Content != "" || len(got.Attachments) != 0 {
		t.Errorf("guild message without the intent: %q, %d attachments", got.Content, len(got.Attachments))
	}
	for _, m := range []discordMsg{{ch, mention.ID, mention.Content}, {ch, own.ID, "mine"}, {dm, private.ID, "private"}} {
		got, err := c.GetMessage(m.channel, m.id)
		if err != nil || got.Content != m.want {
			t.Errorf("exempt message: %q, %v; want %q", got.Content, err, m.want)
		}
	}
	list, err := c.GetMessages(ch, 0, 0, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.ID == secret.ID && m.Content != "" {
			t.Errorf("history shows %q", m.Content)
		}
		if m.ID == own.ID && (m.Content != "mine" || len(m.Embeds) != 1) {
			t.Errorf("own message in history: %q, %d embeds", m.Content, len(m.Embeds))
		}
	}
}

type discordMsg struct {
	channel ChannelID
	id      snowflake.ID
	want    string
}

func TestComponentAndUploadLimits(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	c := restOnly(t, sim, SimUserAgent)
	long := strings.Repeat("x", 101)
	opt := func(label, value string) discord.StringSelectMenuOption {
		return discord.StringSelectMenuOption{Label: label, Value: value}
	}
	bad := map[string]discord.MessageCreate{
		"option label over 100": discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewStringSelectMenu("s", "", opt(long, "v"))),
		"option value over 100": discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewStringSelectMenu("s", "", opt("l", long))),
		"placeholder over 150":  discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewStringSelectMenu("s", strings.Repeat("p", 151), opt("l", "v"))),
		"button without label":  discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewSecondaryButton("", "b")),
		"unknown attachment":    {Embeds: []discord.Embed{{Image: &discord.EmbedResource{URL: "attachment://chart.png"}}}, Files: []*discord.File{discord.NewFile("other.png", "", bytes.NewReader([]byte("x")))}},
		"attachment not image":  {Embeds: []discord.Embed{{Image: &discord.EmbedResource{URL: "attachment://a.txt"}}}, Files: []*discord.File{discord.NewFile("a.txt", "", bytes.NewReader([]byte("x")))}},
	}
	var eleven []*discord.File
	for range 11 {
		eleven = append(eleven, discord.NewFile("f.txt", "", bytes.NewReader([]byte("x"))))
	}
	bad["11 files"] = discord.MessageCreate{Files: eleven}
	for name, m := range bad {
		_, err := c.CreateMessage(ch, m)
		wantCode(t, name, err, http.StatusBadRequest, CodeInvalidFormBody)
	}
	_, err := c.CreateMessage(ch, discord.MessageCreate{Files: []*discord.File{discord.NewFile("big.bin", "", bytes.NewReader(make([]byte, DefaultMaxFileSize+1)))}})
	wantCode(t, "file over 10 MiB", err, http.StatusRequestEntityTooLarge, CodeRequestTooLarge)

	emoji := discord.NewSecondaryButton("", "e").WithEmoji(discord.ComponentEmoji{Name: "✅"})
	good := discord.MessageCreate{
		Embeds: []discord.Embed{{Image: &discord.EmbedResource{URL: "attachment://chart.png"}}},
		Files:  []*discord.File{discord.NewFile("chart.png", "", bytes.NewReader([]byte("x")))},
	}
	good = good.AddActionRow(emoji)
	posted, err := c.CreateMessage(ch, good)
	if err != nil {
		t.Fatalf("valid message refused: %v", err)
	}

	// A modal's text input: placeholder at most 100.
	in, err := sim.ClickButton(posted.ID, sim.AddMember("alice"), "e")
	if err != nil {
		t.Fatal(err)
	}
	modal := func(placeholder string) discord.InteractionResponse {
		return discord.InteractionResponse{Type: discord.InteractionResponseTypeModal, Data: discord.NewModalCreate("m", "Why",
			discord.NewLabel("Reason", discord.NewShortTextInput("r").WithPlaceholder(placeholder)))}
	}
	err = c.CreateInteractionResponse(in.ID, in.Token, modal(long))
	wantCode(t, "text input placeholder over 100", err, http.StatusBadRequest, CodeInvalidFormBody)
	if err := c.CreateInteractionResponse(in.ID, in.Token, modal("because")); err != nil {
		t.Errorf("valid modal refused: %v", err)
	}
}
