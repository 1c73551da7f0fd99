package discordsim

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/disgoorg/disgo"
	"github.com/disgoorg/disgo/bot"
	"github.com/disgoorg/disgo/cache"
	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/events"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"
)

var testStart = time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)

func TestMain(m *testing.M) {
	flag.Parse()
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		_ = flag.Set("test.parallel", "8")
	}
	os.Exit(m.Run())
}

// testLogger discards unless DISCORDSIM_DEBUG is set: disgo goroutines can
// log after a test ends, which t.Log does not allow.
func testLogger() *slog.Logger {
	if os.Getenv("DISCORDSIM_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// newSim makes t parallel: each test has a simulator of its own, and
// most of a test's time is disgo's idle wait before it connects (1 s in
// v0.19.6, gateway.go's doReconnect), so TestMain lets more run at once.
func newSim(t *testing.T, opts Options) (*Sim, *Clock) {
	t.Helper()
	t.Parallel()
	clock := NewClock(testStart)
	if opts.Now == nil {
		opts.Now = clock.Now
	}
	opts.Logger = testLogger()
	// disgo clients in these tests are never closed (see connect), so the
	// sim must not cut their connections either.
	opts.KeepGatewayOnClose = true
	sim := New(opts)
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := sim.Close(); err != nil {
			t.Error(err)
		}
	})
	return sim, clock
}

func ctxT(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

var allIntents = []gateway.Intents{
	gateway.IntentGuilds, gateway.IntentGuildMembers, gateway.IntentGuildMessages,
	gateway.IntentDirectMessages, gateway.IntentMessageContent, gateway.IntentGuildMessageReactions,
}

// connect builds a real disgo client against the sim, opens the gateway and
// waits until the sim has sent Ready.
//
// The client is deliberately never closed. disgo v0.19.6 writes
// gatewayImpl.heartbeatCancel on its heartbeat goroutine and reads it
// unsynchronised whenever the connection ends (client.Close, a server close,
// op 7/9), so closing would make `go test -race` fail on disgo's own code.
// Leaving the client connected until the test binary exits is harmless: with
// the default heartbeat interval it stays idle.
func connect(t *testing.T, sim *Sim, intents []gateway.Intents, opts ...bot.ConfigOpt) *bot.Client {
	t.Helper()
	all := append(sim.ClientOpts(),
		bot.WithLogger(testLogger()),
		bot.WithGatewayConfigOpts(gateway.WithIntents(intents...)),
		bot.WithCacheConfigOpts(cache.WithCaches(cache.FlagsAll)),
	)
	all = append(all, opts...)
	client, err := disgo.New(sim.Token(), all...)
	if err != nil {
		t.Fatal(err)
	}
	seq := sim.LastEventSeq()
	ctx := ctxT(t)
	if err := client.OpenGateway(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.WaitEvent(ctx, seq, func(e Event) bool { return e.Kind == KindReady }); err != nil {
		t.Fatal(err)
	}
	return client
}

func restErr(t *testing.T, err error) *rest.Error {
	t.Helper()
	var re *rest.Error
	if !errors.As(err, &re) {
		t.Fatalf("want rest.Error, got %T: %v", err, err)
	}
	return re
}

func TestGatewayReadyAndGuildCreate(t *testing.T) {
	sim, _ := newSim(t, Options{})
	general := sim.AddChannel("general")
	alice := sim.AddMember("alice", "CRT")

	ready := make(chan *events.Ready, 1)
	guildReady := make(chan *events.GuildReady, 1)
	client := connect(t, sim, allIntents,
		bot.WithEventListenerFunc(func(e *events.Ready) { ready <- e }),
		bot.WithEventListenerFunc(func(e *events.GuildReady) { guildReady <- e }),
	)
	ctx := ctxT(t)
	select {
	case e := <-ready:
		if e.User.ID != DefaultBotUserID || !e.User.Bot {
			t.Errorf("ready user = %+v", e.User)
		}
		if e.Application.ID != sim.ApplicationID() || len(e.Guilds) != 1 || !e.Guilds[0].Unavailable {
			t.Errorf("ready = %+v", e.EventReady)
		}
		if !strings.HasSuffix(e.ResumeGatewayURL, "/gateway/resume") || e.SessionID == "" {
			t.Errorf("resume url %q session %q", e.ResumeGatewayURL, e.SessionID)
		}
	case <-ctx.Done():
		t.Fatal("no Ready")
	}
	select {
	case e := <-guildReady:
		if e.Guild.ID != sim.GuildID() {
			t.Errorf("guild id %s", e.Guild.ID)
		}
	case <-ctx.Done():
		t.Fatal("no GUILD_CREATE")
	}
	if client.ApplicationID != sim.ApplicationID() || client.ID() != DefaultBotUserID {
		t.Errorf("client ids app=%s self=%s", client.ApplicationID, client.ID())
	}
	if ch, ok := client.Caches.Channel(general); !ok || ch.Name() != "general" {
		t.Errorf("channel not cached: %v %v", ch, ok)
	}
	m, ok := client.Caches.Member(sim.GuildID(), alice.ID)
	if !ok || len(m.RoleIDs) != 1 {
		t.Fatalf("member not cached with role: %+v %v", m, ok)
	}
	crt, _ := sim.RoleByName("CRT")
	if r, ok := client.Caches.Role(sim.GuildID(), crt.ID); !ok || r.Name != "CRT" || m.RoleIDs[0] != crt.ID {
		t.Errorf("role cache %+v %v", r, ok)
	}

	// Later guild changes reach the connected client.
	created := make(chan snowflake.ID, 1)
	client.AddEventListeners(bot.NewListenerFunc(func(e *events.GuildChannelCreate) { created <- e.ChannelID }))
	ops := sim.AddChannel("ops")
	select {
	case id := <-created:
		if id != ops {
			t.Errorf("CHANNEL_CREATE for %s, want %s", id, ops)
		}
	case <-ctx.Done():
		t.Fatal("no CHANNEL_CREATE")
	}

	reacted := make(chan string, 1)
	client.AddEventListeners(bot.NewListenerFunc(func(e *events.GuildMessageReactionAdd) { reacted <- *e.Emoji.Name + " " + e.UserID.String() }))
	status, err := sim.SendMessage(general, alice, "status?")
	if err != nil {
		t.Fatal(err)
	}
	if err := sim.React(status.ID, alice, "👍"); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-reacted:
		if got != "👍 "+alice.ID.String() {
			t.Errorf("reaction event %q", got)
		}
	case <-ctx.Done():
		t.Fatal("no MESSAGE_REACTION_ADD")
	}
}

func TestButtonUpdateMessage(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("crisis")
	alice := sim.AddMember("alice", "CRT")
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ComponentInteractionCreate) {
		if e.Member() == nil || len(e.Member().RoleIDs) != 1 {
			t.Errorf("interaction member without roles: %+v", e.Member())
		}
		if e.Message.ID == 0 || e.Token() == "" {
			t.Errorf("interaction without message or token")
		}
		err := e.UpdateMessage(discord.NewMessageUpdate().
			WithContent("claimed by " + e.User().Username).
			ClearComponents())
		if err != nil {
			t.Errorf("update message: %v", err)
		}
	}))
	msg, err := client.Rest.CreateMessage(ch, discord.NewMessageCreate().
		WithContent("new alert").
		AddActionRow(discord.NewPrimaryButton("Claim", "claim")))
	if err != nil {
		t.Fatal(err)
	}
	h, err := sim.ClickButton(msg.ID, alice, "claim")
	if err != nil {
		t.Fatal(err)
	}
	cb, err := h.Wait(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != discord.InteractionResponseTypeUpdateMessage || cb.MessageID != msg.ID {
		t.Errorf("callback = %+v", cb)
	}
	got, _ := sim.Message(msg.ID)
	if got.Content != "claimed by alice" || len(got.Components) != 0 || len(got.Edits) != 1 || got.Edits[0].Content != "new alert" {
		t.Errorf("message after update = %+v", got)
	}
	if got.EditedAt.IsZero() {
		t.Error("EditedAt not set")
	}
	if _, err := sim.ClickButton(msg.ID, alice, "claim"); err == nil {
		t.Error("clicking a removed button should fail")
	}
}

func testPNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 3, 2))
	img.Set(1, 1, color.RGBA{R: 255, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMessageWithEmbedComponentsAttachment(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("reports")
	client := connect(t, sim, allIntents)
	pngData := testPNG(t)
	msg, err := client.Rest.CreateMessage(ch, discord.NewMessageCreate().
		WithContent("weekly report").
		AddEmbeds(discord.NewEmbed().WithTitle("Alerts").WithDescription("3 handled").AddField("open", "0", true)).
		AddActionRow(discord.NewPrimaryButton("Ack", "ack"), discord.NewLinkButton("Docs", "https://example.org")).
		AddFile("chart.png", "alerts per day", bytes.NewReader(pngData)).
		WithAllowedMentions(&discord.AllowedMentions{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(msg.Attachments) != 1 || msg.Attachments[0].Filename != "chart.png" {
		t.Fatalf("response attachments = %+v", msg.Attachments)
	}
	got, ok := sim.LastMessage(ch)
	if !ok || got.ID != msg.ID {
		t.Fatalf("last message %+v %v", got, ok)
	}
	if got.Content != "weekly report" || len(got.Embeds) != 1 || got.Embeds[0].Title != "Alerts" || got.Embeds[0].Fields[0].Name != "open" {
		t.Errorf("stored message = %+v", got)
	}
	if b, ok := got.Button("ack"); !ok || b.Label != "Ack" || len(got.Buttons()) != 2 {
		t.Errorf("buttons = %+v", got.Buttons())
	}
	a, ok := got.Attachment("chart.png")
	if !ok || !bytes.Equal(a.Data, pngData) || a.ContentType != "image/png" || a.Width != 3 || a.Height != 2 || a.Description != "alerts per day" {
		t.Errorf("attachment = %+v", a)
	}
	if got.AllowedMentions == nil || got.CreatedAt != SnowflakeTime(got.ID) || !got.CreatedAt.Equal(testStart) {
		t.Errorf("allowed mentions / timestamp: %+v %v", got.AllowedMentions, got.CreatedAt)
	}
	// The attachment URL serves the bytes, as Discord's CDN would.
	rs, err := http.Get(msg.Attachments[0].URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(rs.Body)
	_ = rs.Body.Close()
	if !bytes.Equal(body, pngData) {
		t.Error("attachment URL does not serve the uploaded bytes")
	}
	// And the message reads back through REST with its components intact.
	back, err := client.Rest.GetMessage(ch, msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Components) != 1 || len(back.Embeds) != 1 || back.Attachments[0].Size != len(pngData) {
		t.Errorf("GET message = %+v", back)
	}

	// Discord's validation: a top-level button is rejected with 50035.
	_, err = client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "x", Components: []discord.LayoutComponent{
		discord.NewActionRow(discord.NewPrimaryButton("a", "dup"), discord.NewPrimaryButton("b", "dup")),
	}})
	if re := restErr(t, err); re.Code != CodeInvalidFormBody {
		t.Errorf("duplicate custom ids: %v", err)
	}
	_, err = client.Rest.CreateMessage(ch, discord.MessageCreate{})
	if re := restErr(t, err); re.Code != CodeCannotSendEmptyMessage {
		t.Errorf("empty message: %v", err)
	}
	_, err = client.Rest.CreateMessage(snowflake.ID(42), discord.MessageCreate{Content: "x"})
	if re := restErr(t, err); re.Code != CodeUnknownChannel || re.Response.StatusCode != http.StatusNotFound {
		t.Errorf("unknown channel: %v", err)
	}
	if r := sim.RequestsTo(http.MethodPost, "/channels/42/messages"); len(r) != 1 || r[0].Status != 404 {
		t.Errorf("request log = %+v", r)
	} else if rs := r[0]; rs.Route != "POST /channels/{channel}/messages" {
		t.Errorf("route = %q", rs.Route)
	}
}

func TestThreadFromMessageAndArchive(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("alerts")
	threads := make(chan *events.ThreadCreate, 1)
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ThreadCreate) { threads <- e }))
	msg, err := client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "alert #1"})
	if err != nil {
		t.Fatal(err)
	}
	thread, err := client.Rest.CreateThreadFromMessage(ch, msg.ID, discord.ThreadCreateFromMessage{Name: "alert-1", AutoArchiveDuration: discord.AutoArchiveDuration24h})
	if err != nil {
		t.Fatal(err)
	}
	if thread.ID() != msg.ID || thread.ParentID() == nil || *thread.ParentID() != ch || thread.Type() != discord.ChannelTypeGuildPublicThread {
		t.Errorf("thread = id %s parent %v type %d", thread.ID(), thread.ParentID(), thread.Type())
	}
	select {
	case e := <-threads:
		if e.Thread.ID() != msg.ID {
			t.Errorf("THREAD_CREATE for %s", e.Thread.ID())
		}
	case <-ctxT(t).Done():
		t.Fatal("no THREAD_CREATE")
	}
	if _, err := client.Rest.CreateThreadFromMessage(ch, msg.ID, discord.ThreadCreateFromMessage{Name: "again"}); restErr(t, err).Code != CodeThreadAlreadyCreated {
		t.Errorf("second thread: %v", err)
	}
	if _, err := client.Rest.CreateMessage(thread.ID(), discord.MessageCreate{Content: "in thread"}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Rest.UpdateChannel(thread.ID(), discord.GuildThreadUpdate{Archived: ptr(true), Locked: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	c, _ := sim.Channel(thread.ID())
	if !c.Archived || !c.Locked || !c.FromMessage || c.AutoArchiveDuration != 1440 || c.MessageCount != 1 {
		t.Errorf("thread state = %+v", c)
	}
	starter, _ := sim.Message(msg.ID)
	if starter.ThreadID != thread.ID() || !starter.Flags.Has(discord.MessageFlagHasThread) {
		t.Errorf("starter = %+v", starter)
	}
	_, err = client.Rest.CreateMessage(thread.ID(), discord.MessageCreate{Content: "late"})
	if restErr(t, err).Code != CodeThreadArchived {
		t.Errorf("post in locked thread: %v", err)
	}
	if got := sim.Threads(ch); len(got) != 1 || got[0].Name != "alert-1" {
		t.Errorf("threads = %+v", got)
	}
}

func TestDMClosedGives50007(t *testing.T) {
	sim, _ := newSim(t, Options{})
	bob := sim.AddMember("bob")
	if err := sim.SetDMsClosed(bob.ID, true); err != nil {
		t.Fatal(err)
	}
	carol := sim.AddMember("carol")
	client := connect(t, sim, allIntents)

	dm, err := client.Rest.CreateDMChannel(bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.Rest.CreateMessage(dm.ID(), discord.MessageCreate{Content: "check-in"})
	re := restErr(t, err)
	if re.Code != CodeCannotMessageUser || re.Response.StatusCode != http.StatusForbidden || re.Message != "Cannot send messages to this user" {
		t.Errorf("err = %v (status %d)", err, re.Response.StatusCode)
	}
	if !errors.Is(err, &rest.Error{Code: CodeCannotMessageUser}) {
		t.Error("errors.Is with rest.Error code should match")
	}

	dm2, err := client.Rest.CreateDMChannel(carol.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Rest.CreateMessage(dm2.ID(), discord.MessageCreate{Content: "hi carol"}); err != nil {
		t.Fatal(err)
	}
	if msgs := sim.DMs(carol.ID); len(msgs) != 1 || msgs[0].Content != "hi carol" || msgs[0].GuildID != 0 {
		t.Errorf("DMs = %+v", msgs)
	}
	if c, ok := sim.DMChannel(bob.ID); !ok || c.RecipientID != bob.ID || len(sim.DMs(bob.ID)) != 0 {
		t.Errorf("bob's DM channel %+v %v", c, ok)
	}
}

func TestRateLimitThenSuccess(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	client := connect(t, sim, allIntents)
	sim.FailNext(http.MethodPost, "/channels/*/messages", http.StatusTooManyRequests, 2)
	msg, err := client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "eventually"})
	if err != nil {
		t.Fatal(err)
	}
	reqs := sim.RequestsTo(http.MethodPost, "/channels/*/messages")
	if len(reqs) != 3 || reqs[0].Status != 429 || !reqs[0].Injected || reqs[1].Status != 429 || reqs[2].Status != 200 {
		t.Errorf("requests = %+v", reqs)
	}
	if msgs := sim.Messages(ch); len(msgs) != 1 || msgs[0].ID != msg.ID {
		t.Errorf("messages = %+v", msgs)
	}
	if sim.PendingFaults() != 0 {
		t.Error("faults left over")
	}
}

func TestServerErrorAndForbidden(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	client := connect(t, sim, allIntents)

	sim.FailNext("", "/channels/*/messages", http.StatusInternalServerError, 1)
	_, err := client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "boom"})
	if re := restErr(t, err); re.Response.StatusCode != http.StatusInternalServerError {
		t.Errorf("want 500, got %v", err)
	}
	if len(sim.Messages(ch)) != 0 {
		t.Error("a failed request must not create a message")
	}

	sim.FailNext(http.MethodPost, "/channels/*/messages", http.StatusForbidden, 1)
	_, err = client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "nope"})
	if re := restErr(t, err); re.Code != CodeMissingAccess || re.Response.StatusCode != http.StatusForbidden {
		t.Errorf("want 403/50001, got %v", err)
	}
	if _, err := client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "fine"}); err != nil {
		t.Errorf("after faults: %v", err)
	}
}

func TestNonceDedup(t *testing.T) {
	sim, clock := newSim(t, Options{})
	ch := sim.AddChannel("general")
	client := connect(t, sim, allIntents)
	send := func(enforce bool) *discord.Message {
		t.Helper()
		m, err := client.Rest.CreateMessage(ch, discord.MessageCreate{Content: "page CRT", Nonce: "alert-77", EnforceNonce: enforce})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	first := send(true)
	second := send(true)
	if first.ID != second.ID || len(sim.Messages(ch)) != 1 {
		t.Errorf("enforce_nonce should dedupe: %s vs %s, %d messages", first.ID, second.ID, len(sim.Messages(ch)))
	}
	if string(second.Nonce) != "alert-77" {
		t.Errorf("nonce = %q", second.Nonce)
	}
	third := send(false)
	if third.ID == first.ID {
		t.Error("without enforce_nonce a new message is created")
	}
	clock.Advance(DefaultNonceWindow + time.Second)
	if fourth := send(true); fourth.ID == third.ID || fourth.ID == first.ID {
		t.Error("nonce dedup must expire")
	}
}

func TestInteractionDoubleAnswerAndExpiry(t *testing.T) {
	sim, clock := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	answer := make(chan bool, 1)
	// handled makes the test's own REST calls wait for the handler's: disgo's
	// rate limiter reads bucket fields unlocked, so concurrent calls on one
	// bucket are a data race inside disgo.
	handled := make(chan struct{}, 1)
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ComponentInteractionCreate) {
		if <-answer {
			if err := e.DeferUpdateMessage(); err != nil {
				t.Errorf("defer: %v", err)
			}
		}
		handled <- struct{}{}
	}))
	msg, err := client.Rest.CreateMessage(ch, discord.NewMessageCreate().WithContent("x").AddActionRow(discord.NewSecondaryButton("Go", "go")))
	if err != nil {
		t.Fatal(err)
	}

	answer <- true
	h, err := sim.ClickButton(msg.ID, alice, "go")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Wait(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	<-handled
	err = client.Rest.CreateInteractionResponse(h.ID, h.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredUpdateMessage})
	if re := restErr(t, err); re.Code != CodeInteractionAcknowledged || re.Response.StatusCode != http.StatusBadRequest {
		t.Errorf("double answer: %v", err)
	}
	if n := len(h.Callbacks()); n != 1 {
		t.Errorf("%d callbacks recorded", n)
	}

	// An interaction answered after 3 s of simulated time is unknown.
	answer <- false
	h2, err := sim.ClickButton(msg.ID, alice, "go")
	if err != nil {
		t.Fatal(err)
	}
	<-handled
	clock.Advance(3*time.Second + time.Millisecond)
	err = client.Rest.CreateInteractionResponse(h2.ID, h2.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredUpdateMessage})
	if re := restErr(t, err); re.Code != CodeUnknownInteraction || re.Response.StatusCode != http.StatusNotFound {
		t.Errorf("late answer: %v", err)
	}
}

func TestSlashCommandDeferAndFollowup(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice", "CRT")
	bob := sim.AddMember("bob")
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ApplicationCommandInteractionCreate) {
		d := e.SlashCommandInteractionData()
		if d.SubCommandName == nil || *d.SubCommandName != "assign" {
			t.Errorf("subcommand = %v", d.SubCommandName)
		}
		target := d.User("who")
		if err := e.DeferCreateMessage(true); err != nil {
			t.Errorf("defer: %v", err)
			return
		}
		_, err := e.Client().Rest.CreateFollowupMessage(e.ApplicationID(), e.Token(), discord.MessageCreate{
			Content: "assigned " + target.Username + " priority " + d.String("priority"),
		})
		if err != nil {
			t.Errorf("followup: %v", err)
		}
		if _, err := e.Client().Rest.CreateFollowupMessage(e.ApplicationID(), e.Token(), discord.MessageCreate{Content: "second"}); err != nil {
			t.Errorf("second followup: %v", err)
		}
	}))
	_, err := client.Rest.SetGlobalCommands(client.ApplicationID, []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{Name: "case", Description: "case tools", Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionSubCommand{Name: "assign", Description: "assign a case", Options: []discord.ApplicationCommandOption{
				discord.ApplicationCommandOptionUser{Name: "who", Description: "responder", Required: true},
				discord.ApplicationCommandOptionString{Name: "priority", Description: "p", Required: false},
			}},
		}},
		discord.MessageCommandCreate{Name: "Escalate"},
	})
	if err != nil {
		t.Fatal(err)
	}
	cmds := sim.Commands()
	if len(cmds) != 2 || cmds[0].ID == 0 {
		t.Fatalf("commands = %+v", cmds)
	}
	// Overwriting again keeps ids, as on Discord.
	again, err := client.Rest.SetGlobalCommands(client.ApplicationID, []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{Name: "case", Description: "case tools v2"},
	})
	if err != nil || len(again) != 1 || again[0].ID() != cmds[0].ID {
		t.Fatalf("overwrite: %v %+v", err, again)
	}
	if _, err := client.Rest.SetGlobalCommands(client.ApplicationID, []discord.ApplicationCommandCreate{
		discord.SlashCommandCreate{Name: "case", Description: "case tools", Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionSubCommand{Name: "assign", Description: "assign a case", Options: []discord.ApplicationCommandOption{
				discord.ApplicationCommandOptionUser{Name: "who", Description: "responder", Required: true},
				discord.ApplicationCommandOptionString{Name: "priority", Description: "p"},
			}},
		}},
	}); err != nil {
		t.Fatal(err)
	}

	if _, err := sim.RunSlashCommand(ch, alice, "case", "assign", map[string]any{"priority": "high"}); err == nil {
		t.Error("missing required option must fail")
	}
	h, err := sim.RunSlashCommand(ch, alice, "case", "assign", map[string]any{"who": bob, "priority": "high"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	cb, err := h.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Type != discord.InteractionResponseTypeDeferredCreateMessage || !cb.Ephemeral() || !cb.Message.Flags.Has(discord.MessageFlagLoading) {
		t.Errorf("callback = %+v", cb)
	}
	if err := sim.WaitFor(ctx, func() bool { return len(h.Followups()) == 1 }); err != nil {
		t.Fatal(err)
	}
	orig, ok := h.Original()
	if !ok || orig.Content != "assigned bob priority high" || orig.Flags.Has(discord.MessageFlagLoading) || !orig.Ephemeral() || orig.Type != discord.MessageTypeSlashCommand {
		t.Errorf("original = %+v", orig)
	}
	if f := h.Followups(); f[0].Content != "second" || f[0].InteractionID != h.ID {
		t.Errorf("followups = %+v", f)
	}
}

func TestMessageCommandModalAndSubmit(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	client := connect(t, sim, allIntents,
		bot.WithEventListenerFunc(func(e *events.ApplicationCommandInteractionCreate) {
			d := e.MessageCommandInteractionData()
			if d.TargetMessage().Content != "I need help" {
				t.Errorf("target = %+v", d.TargetMessage())
			}
			err := e.Modal(discord.NewModalCreate("esc:"+d.TargetID().String(), "Escalate",
				discord.NewLabel("Reason", discord.NewParagraphTextInput("reason").WithRequired(true))))
			if err != nil {
				t.Errorf("modal: %v", err)
			}
		}),
		bot.WithEventListenerFunc(func(e *events.ModalSubmitInteractionCreate) {
			if err := e.CreateMessage(discord.MessageCreate{Content: "escalated: " + e.Data.Text("reason")}); err != nil {
				t.Errorf("respond: %v", err)
			}
		}),
	)
	if _, err := client.Rest.SetGuildCommands(client.ApplicationID, sim.GuildID(), []discord.ApplicationCommandCreate{
		discord.MessageCommandCreate{Name: "Escalate"},
	}); err != nil {
		t.Fatal(err)
	}
	target, err := sim.SendMessage(ch, alice, "I need help")
	if err != nil {
		t.Fatal(err)
	}
	h, err := sim.RunMessageCommand(alice, "Escalate", target.ID)
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	cb, err := h.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cb.Modal == nil || cb.Modal.Title != "Escalate" || len(cb.Modal.TextInputs()) != 1 {
		t.Fatalf("callback = %+v", cb)
	}
	sub, err := sim.SubmitModal(h, map[string]string{"reason": "at risk"})
	if err != nil {
		t.Fatal(err)
	}
	cb2, err := sub.Wait(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cb2.Message == nil || cb2.Message.Content != "escalated: at risk" || cb2.Message.ChannelID != ch {
		t.Errorf("modal answer = %+v", cb2)
	}
}

func TestUserMessagesAndContentIntent(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	seen := make(chan string, 3)
	// No MESSAGE_CONTENT intent: content only arrives when the bot is mentioned.
	connect(t, sim, []gateway.Intents{gateway.IntentGuilds, gateway.IntentGuildMessages, gateway.IntentDirectMessages},
		bot.WithEventListenerFunc(func(e *events.MessageCreate) { seen <- e.Message.Content }))
	if _, err := sim.SendMessage(ch, alice, "secret"); err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SendMessage(ch, alice, "hey "+sim.Bot().Mention()); err != nil {
		t.Fatal(err)
	}
	dm, err := sim.OpenDM(alice)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SendMessage(dm, alice, "private"); err != nil {
		t.Fatal(err)
	}
	ctx := ctxT(t)
	for i, want := range []string{"", "hey " + sim.Bot().Mention(), "private"} {
		select {
		case got := <-seen:
			if got != want {
				t.Errorf("message %d content %q, want %q", i, got, want)
			}
		case <-ctx.Done():
			t.Fatalf("message %d not delivered", i)
		}
	}
}

func TestDMButtonInteractionHasUser(t *testing.T) {
	sim, _ := newSim(t, Options{})
	dave := sim.AddMember("dave")
	got := make(chan *events.ComponentInteractionCreate, 1)
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ComponentInteractionCreate) {
		got <- e
		_ = e.CreateMessage(discord.MessageCreate{Content: "thanks"})
	}))
	dm, err := client.Rest.CreateDMChannel(dave.ID)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := client.Rest.CreateMessage(dm.ID(), discord.NewMessageCreate().WithContent("ok?").AddActionRow(discord.NewSuccessButton("I'm ok", "ok")))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.ClickButton(msg.ID, sim.AddMember("eve"), "ok"); err == nil {
		t.Error("a stranger cannot click in someone else's DM")
	}
	h, err := sim.ClickButton(msg.ID, dave, "ok")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case e := <-got:
		if e.Member() != nil || e.GuildID() != nil || e.User().ID != dave.ID || e.Context() != discord.InteractionContextTypeBotDM {
			t.Errorf("DM interaction member=%v guild=%v user=%s", e.Member(), e.GuildID(), e.User().ID)
		}
	case <-ctxT(t).Done():
		t.Fatal("no interaction")
	}
	cb, err := h.Wait(ctxT(t))
	if err != nil || cb.Message.ChannelID != dm.ID() {
		t.Errorf("callback %+v %v", cb, err)
	}
}

func TestRESTMessageLifecycle(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("ops")
	alice := sim.AddMember("alice")
	crt := sim.AddRole("CRT")
	client := connect(t, sim, allIntents)
	rs := client.Rest

	first, err := rs.CreateMessage(ch, discord.NewMessageCreate().WithContent("v1").
		AddFile("a.txt", "", strings.NewReader("alpha")))
	if err != nil {
		t.Fatal(err)
	}
	keep := first.Attachments[0].ID
	upd, err := rs.UpdateMessage(ch, first.ID, discord.MessageUpdate{
		Content:     ptr("v2"),
		Attachments: &[]discord.AttachmentUpdate{discord.AttachmentKeep{ID: keep}},
		Files:       []*discord.File{discord.NewFile("b.txt", "second", strings.NewReader("beta"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if upd.Content != "v2" || len(upd.Attachments) != 2 || upd.EditedTimestamp == nil {
		t.Errorf("updated = %+v", upd)
	}
	got, _ := sim.Message(first.ID)
	if b, ok := got.Attachment("b.txt"); !ok || string(b.Data) != "beta" || b.Description != "second" || len(got.Edits) != 1 || got.Edits[0].Content != "v1" {
		t.Errorf("stored = %+v", got)
	}

	userMsg, err := sim.SendMessage(ch, alice, "can someone help?")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rs.UpdateMessage(ch, userMsg.ID, discord.MessageUpdate{Content: ptr("hijack")}); restErr(t, err).Code != CodeCannotEditOthersMessage {
		t.Errorf("editing another user's message: %v", err)
	}
	reply, err := rs.CreateMessage(ch, discord.MessageCreate{
		Content:          "on it " + crt.Mention() + " " + alice.Mention(),
		MessageReference: &discord.MessageReference{MessageID: &userMsg.ID},
		AllowedMentions:  &discord.AllowedMentions{Parse: []discord.AllowedMentionType{discord.AllowedMentionTypeRoles}},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, _ := sim.Message(reply.ID)
	if r.Type != discord.MessageTypeReply || r.Reference == nil || *r.Reference.MessageID != userMsg.ID || reply.ReferencedMessage == nil {
		t.Errorf("reply = %+v", r)
	}
	if len(r.MentionRoles) != 1 || r.MentionRoles[0] != crt.ID || len(r.MentionUsers) != 0 {
		t.Errorf("mentions roles=%v users=%v (allowed_mentions limits pings)", r.MentionRoles, r.MentionUsers)
	}
	if _, err := rs.CreateMessage(ch, discord.MessageCreate{Content: "x", MessageReference: &discord.MessageReference{MessageID: ptr(snowflake.ID(12345))}}); restErr(t, err).Code != CodeInvalidFormBody {
		t.Errorf("reply to unknown message: %v", err)
	}

	if err := rs.AddReaction(ch, userMsg.ID, "✅"); err != nil {
		t.Fatal(err)
	}
	if m, _ := sim.Message(userMsg.ID); len(m.Reactions) != 1 || m.Reactions[0].Emoji != "✅" || m.Reactions[0].UserIDs[0] != DefaultBotUserID {
		t.Errorf("reactions = %+v", m.Reactions)
	}
	if err := rs.SendTyping(ch); err != nil || sim.TypingCount(ch) != 1 {
		t.Errorf("typing: %v %d", err, sim.TypingCount(ch))
	}

	list, err := rs.GetMessages(ch, 0, 0, 0, 2)
	if err != nil || len(list) != 2 || list[0].ID != reply.ID || list[1].ID != userMsg.ID {
		t.Errorf("GetMessages = %v %+v", err, list)
	}
	if err := rs.DeleteMessage(ch, reply.ID); err != nil {
		t.Fatal(err)
	}
	if d, _ := sim.Message(reply.ID); !d.Deleted || len(sim.Messages(ch)) != 2 || len(sim.AllMessages(ch)) != 3 {
		t.Errorf("after delete: %+v", d)
	}
	if _, err := rs.GetMessage(ch, reply.ID); restErr(t, err).Code != CodeUnknownMessage {
		t.Errorf("GET deleted: %v", err)
	}

	if err := rs.AddMemberRole(sim.GuildID(), alice.ID, crt.ID); err != nil {
		t.Fatal(err)
	}
	if _, roles, _ := sim.Member(alice.ID); len(roles) != 1 || roles[0].Name != "CRT" {
		t.Errorf("roles = %+v", roles)
	}
	if m, err := rs.GetMember(sim.GuildID(), alice.ID); err != nil || len(m.RoleIDs) != 1 || m.User.Username != "alice" {
		t.Errorf("GetMember = %+v %v", m, err)
	}

	cmd, err := rs.CreateGlobalCommand(client.ApplicationID, discord.SlashCommandCreate{Name: "ping", Description: "ping"})
	if err != nil {
		t.Fatal(err)
	}
	if cmds, err := rs.GetGlobalCommands(client.ApplicationID, false); err != nil || len(cmds) != 1 || cmds[0].Name() != "ping" {
		t.Errorf("commands = %v %v", cmds, err)
	}
	if err := rs.DeleteGlobalCommand(client.ApplicationID, cmd.ID()); err != nil || len(sim.Commands()) != 0 {
		t.Errorf("delete command: %v %v", err, sim.Commands())
	}
	_, err = rs.CreateGlobalCommand(client.ApplicationID, discord.SlashCommandCreate{Name: "Bad Name", Description: "x"})
	if restErr(t, err).Code != CodeInvalidFormBody {
		t.Errorf("invalid command name: %v", err)
	}
}

func TestFollowupBeforeAckAndSelectMenu(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("ops")
	alice := sim.AddMember("alice")
	picked := make(chan []string, 1)
	client := connect(t, sim, allIntents, bot.WithEventListenerFunc(func(e *events.ComponentInteractionCreate) {
		if d, ok := e.Data.(discord.StringSelectMenuInteractionData); ok {
			if d.Values[0] == "high" {
				_ = e.DeferUpdateMessage()
			}
			picked <- d.Values
		}
	}))
	msg, err := client.Rest.CreateMessage(ch, discord.NewMessageCreate().WithContent("risk?").
		AddActionRow(discord.NewStringSelectMenu("risk", "level",
			discord.NewStringSelectMenuOption("Low", "low"), discord.NewStringSelectMenuOption("High", "high"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sim.SelectMenu(msg.ID, alice, "risk", "extreme"); err == nil {
		t.Error("unknown option accepted")
	}
	h, err := sim.SelectMenu(msg.ID, alice, "risk", "high")
	if err != nil {
		t.Fatal(err)
	}
	select {
	case v := <-picked:
		if len(v) != 1 || v[0] != "high" {
			t.Errorf("values = %v", v)
		}
	case <-ctxT(t).Done():
		t.Fatal("no select interaction")
	}
	if cb, err := h.Wait(ctxT(t)); err != nil || cb.Type != discord.InteractionResponseTypeDeferredUpdateMessage {
		t.Errorf("callback %+v %v", cb, err)
	}

	// An interaction the bot has not acknowledged has no webhook yet.
	h2, err := sim.SelectMenu(msg.ID, alice, "risk", "low")
	if err != nil {
		t.Fatal(err)
	}
	<-picked
	_, err = client.Rest.CreateFollowupMessage(client.ApplicationID, h2.Token, discord.MessageCreate{Content: "early"})
	if re := restErr(t, err); re.Code != CodeUnknownWebhook {
		t.Errorf("follow-up before ack: %v", err)
	}
	if err := client.Rest.CreateInteractionResponse(h2.ID, h2.Token, discord.InteractionResponse{Type: discord.InteractionResponseTypeDeferredUpdateMessage}); err != nil {
		t.Fatal(err)
	}
	f, err := client.Rest.CreateFollowupMessage(client.ApplicationID, h2.Token, discord.MessageCreate{Content: "noted", Flags: discord.MessageFlagEphemeral})
	if err != nil {
		t.Fatal(err)
	}
	if fs := h2.Followups(); len(fs) != 1 || fs[0].ID != f.ID || !fs[0].Ephemeral() || fs[0].WebhookID != sim.ApplicationID() {
		t.Errorf("followups = %+v", fs)
	}
	if orig, ok := h2.Original(); !ok || orig.ID != msg.ID {
		t.Errorf("@original of a deferred update is the component's message: %+v", orig)
	}
	h3, err := sim.RunUserCommand(ch, alice, "nope", alice)
	if err == nil || h3 != nil {
		t.Error("unregistered user command must fail")
	}
}

// String option lengths: Discord refuses a command declaring them out of
// range, and its client sends no text outside them.
func TestStringOptionLengths(t *testing.T) {
	sim, _ := newSim(t, Options{})
	ch := sim.AddChannel("general")
	alice := sim.AddMember("alice")
	client := connect(t, sim, allIntents)
	n := func(v int) *int { return &v }
	cmd := func(minLen, maxLen *int) discord.SlashCommandCreate {
		return discord.SlashCommandCreate{Name: "note", Description: "Add a note", Options: []discord.ApplicationCommandOption{
			discord.ApplicationCommandOptionString{Name: "text", Description: "The note", Required: true, MinLength: minLen, MaxLength: maxLen},
		}}
	}
	for _, bad := range []discord.SlashCommandCreate{cmd(nil, n(6001)), cmd(nil, n(0)), cmd(n(-1), nil), cmd(n(6001), nil)} {
		if _, err := client.Rest.SetGuildCommands(client.ApplicationID, sim.GuildID(), []discord.ApplicationCommandCreate{bad}); err == nil {
			t.Errorf("command with lengths %v..%v accepted", bad.Options[0].(discord.ApplicationCommandOptionString).MinLength,
				bad.Options[0].(discord.ApplicationCommandOptionString).MaxLength)
		}
	}
	if _, err := client.Rest.SetGuildCommands(client.ApplicationID, sim.GuildID(), []discord.ApplicationCommandCreate{cmd(n(2), n(5))}); err != nil {
		t.Fatal(err)
	}
	for text, ok := range map[string]bool{"a": false, "ab": true, "abcde": true, "abcdéf": false, "ééééé": true} {
		_, err := sim.RunSlashCommand(ch, alice, "note", "", map[string]any{"text": text})
		if (err == nil) != ok {
			t.Errorf("text %q: %v", text, err)
		}
	}
}
