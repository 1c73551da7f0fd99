package bot

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/redistest"
	"github.com/alphabetcartel/ashbot/internal/standin/discordsim"
)

var srv *redistest.Server

func TestMain(m *testing.M) { os.Exit(redistest.Main(m, &srv)) }

// canary stands for what the person wrote: it may reach the thread only
// as a handoff's quoted messages.
const canary = "CANARY-their-words"

var crtRoles = []snowflake.ID{1001, 1002}

func chatUpdates() map[string]ash.Update {
	return map[string]ash.Update{
		"concern":       {Kind: ash.Concern, Topic: "plan"},
		"severity rise": {Kind: ash.SeverityRise, Severity: events.Critical},
		"handoff":       {Kind: ash.HandoffRequested, Handoff: &ash.HandoffContext{Duration: 12 * time.Minute, Messages: 4, Severities: []events.Severity{events.Low, events.High}, Last: []string{canary + " 1", canary + " 2", canary + " 3", canary + " 4"}}},
		"model trouble": {Kind: ash.ModelTrouble, Detail: "timeout"},
		"model auth":    {Kind: ash.ModelTrouble, Detail: "auth"},
		"session note":  {Kind: ash.SessionNote, Note: &ash.Note{Duration: 65 * time.Minute, Messages: 7, Reason: events.EndHandoff, Highest: events.High, HandedOff: true}},
		"followup sent": {Kind: ash.FollowupSent},
		"followup done": {Kind: ash.FollowupAnswered, SessionID: "s2"},
	}
}

// Alarms allow exactly the CRT roles to ping; every other post, and every
// quote of the person's words, allows nobody.
func TestChatUpdateMentions(t *testing.T) {
	team := &Team{opts: TeamOptions{CRTRoles: crtRoles, HandoffContext: true}}
	st := alerts.State{AlertID: "a1", UserID: "777", Severity: events.High}
	for name, u := range chatUpdates() {
		t.Run(name, func(t *testing.T) {
			msgs := team.chatMessages(st, u)
			if len(msgs) == 0 {
				t.Fatal("nothing to post")
			}
			for i, m := range msgs {
				am := m.AllowedMentions
				if am == nil || len(am.Parse) != 0 || len(am.Users) != 0 || am.RepliedUser {
					t.Fatalf("message %d allows more than roles: %+v", i, am)
				}
				if i == 0 && isAlarm(u.Kind) {
					if !slices.Equal(am.Roles, crtRoles) || !strings.HasPrefix(m.Content, "<@&1001> <@&1002> ") {
						t.Errorf("alarm does not ping exactly the CRT roles: %+v %q", am.Roles, m.Content)
					}
					continue
				}
				if len(am.Roles) != 0 || strings.Contains(m.Content, "<@&") {
					t.Errorf("message %d pings roles: %+v %q", i, am.Roles, m.Content)
				}
			}
			for i, m := range msgs {
				if strings.Contains(m.Content, "CANARY") && (u.Kind != ash.HandoffRequested || i == 0) {
					t.Errorf("message %d carries the person's text: %q", i, m.Content)
				}
			}
		})
	}
}

func TestChatUpdateTexts(t *testing.T) {
	team := &Team{opts: TeamOptions{CRTRoles: crtRoles, HandoffContext: true, GuildID: 42}}
	st := alerts.State{AlertID: "a1", UserID: "777", Severity: events.High, AlertChannelID: "55", AlertMessageID: "66"}
	u := chatUpdates()
	cases := []struct {
		name string
		want []string
	}{
		{"concern", []string{"<@777> wrote to Ash of a plan to end their life", "crisis resources"}},
		{"severity rise", []string{"as **critical** (the alert was high)"}},
		{"handoff", []string{"<@777> asked Ash for a human", "12 min", "wrote 4 messages", "low, high"}},
		{"model trouble", []string{"fallback text", "did not answer in time"}},
		{"model auth", []string{"Ash switched to its scripted texts: the model's key was refused; fix BOT_ASH_API_KEY."}},
		{"session note", []string{"Alert a1 (https://discord.com/channels/42/55/66)", "Duration: 1 h 05 min", "Messages from the person: 7",
			"Ended: a CRT member took over", "Highest Ash-NLP class: high", "Handed off to the CRT: yes"}},
		{"followup sent", []string{"follow-up check-in"}},
		{"followup done", []string{"answered Ash's check-in"}},
	}
	for _, c := range cases {
		got := team.chatMessages(st, u[c.name])[0].Content
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", c.name, got, w)
			}
		}
	}
	// A summary names no one: a notes channel may be read by more people
	// than the alert's thread.
	if got := team.chatMessages(st, u["session note"])[0].Content; strings.Contains(got, "777") {
		t.Errorf("session note names the person: %q", got)
	}
}

// The handoff context shows at most the last three messages, as quotes
// that can neither ping nor format, and nothing when the setting is off.
func TestHandoffContext(t *testing.T) {
	st := alerts.State{AlertID: "a1", UserID: "777"}
	hc := &ash.HandoffContext{Duration: time.Minute, Messages: 5, Last: []string{
		"msg-one", "msg-two", "hey <@123> and <@&1001> @everyone @here *bold* `code` > quote",
		"see https://example.com/x", "multi\nline\n# heading",
	}}
	on := &Team{opts: TeamOptions{CRTRoles: crtRoles, HandoffContext: true}}
	msgs := on.chatMessages(st, ash.Update{Kind: ash.HandoffRequested, Handoff: hc})
	if len(msgs) != 2 {
		t.Fatalf("%d messages, want the alarm and one of quotes", len(msgs))
	}
	q := msgs[1]
	if strings.Contains(q.Content, "msg-one") || strings.Contains(q.Content, "msg-two") {
		t.Errorf("more than the last three messages: %q", q.Content)
	}
	if !strings.HasPrefix(q.Content, "Their last 3 messages to Ash, oldest first:\n> hey") {
		t.Errorf("quotes %q", q.Content)
	}
	for _, live := range []string{"<@123>", "<@&1001>", "@everyone", "@here", "*bold*", "`code`", "https://", "\n# heading", " > quote"} {
		if strings.Contains(q.Content, live) {
			t.Errorf("quoted text keeps %q live: %q", live, q.Content)
		}
	}
	if !strings.Contains(q.Content, "> multi\n> line\n> \\# heading") {
		t.Errorf("multi-line message not quoted line by line: %q", q.Content)
	}
	if q.Flags != discord.MessageFlagSuppressEmbeds {
		t.Errorf("quotes may unfurl links: flags %v", q.Flags)
	}

	off := &Team{opts: TeamOptions{CRTRoles: crtRoles, HandoffContext: false}}
	msgs = off.chatMessages(st, ash.Update{Kind: ash.HandoffRequested, Handoff: hc})
	if len(msgs) != 1 || strings.Contains(msgs[0].Content, "msg-two") || strings.Contains(msgs[0].Content, "They talked") {
		t.Errorf("BOT_HANDOFF_CONTEXT_ENABLED=false still shows the context: %+v", msgs)
	}
}

// Long messages are quoted whole, across messages under Discord's limit.
func TestPackQuotes(t *testing.T) {
	long, longer := strings.Repeat("é", 1900), strings.Repeat("é", 2500)
	quotes := []string{quote(long), quote("short"), quote(longer)}
	out := packQuotes("head:", quotes, maxContent)
	if len(out) != 3 {
		t.Fatalf("%d messages", len(out))
	}
	total := 0
	for _, m := range out {
		if n := utf8.RuneCountInString(m); n > maxContent {
			t.Errorf("message of %d characters", n)
		}
		total += strings.Count(m, "é")
	}
	if total != 4400 {
		t.Errorf("%d of 4400 characters quoted", total)
	}
}

// A long chat's classes are counted, so the handoff alarm stays one
// message under Discord's limit.
func TestHandoffOfALongChat(t *testing.T) {
	sev := make([]events.Severity, 400)
	for i := range sev {
		sev[i] = events.Low
	}
	sev[10], sev[399] = events.Critical, events.High
	team := &Team{opts: TeamOptions{CRTRoles: crtRoles, HandoffContext: true}}
	msgs := team.chatMessages(alerts.State{UserID: "777"}, ash.Update{Kind: ash.HandoffRequested,
		Handoff: &ash.HandoffContext{Duration: 3 * time.Hour, Messages: 400, Severities: sev}})
	got := msgs[0].Content
	if utf8.RuneCountInString(got) > maxContent || !strings.Contains(got, "critical 1, high 1, low 398; the last 12 in order: low,") ||
		!strings.HasSuffix(got, "low, high.") {
		t.Errorf("alarm of a long chat (%d characters): %q", utf8.RuneCountInString(got), got)
	}
	if len(msgs) != 1 {
		t.Errorf("%d messages without quotes", len(msgs))
	}
}

// A quote longer than a message goes on as a quote in the next.
func TestSplitQuote(t *testing.T) {
	parts := splitQuote(quote(strings.Repeat("a", 25)), 10)
	if len(parts) != 4 || parts[0] != "> aaaaaaaa" || parts[1] != "> aaaaaaaa" || parts[3] != "> a" {
		t.Errorf("parts %q", parts)
	}
}

func TestDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{45 * time.Second: "45 s", 12 * time.Minute: "12 min", 65 * time.Minute: "1 h 05 min"} {
		if got := duration(d); got != want {
			t.Errorf("duration(%v) = %q, want %q", d, got, want)
		}
	}
}

// teamFixture is a Team posting to the Discord stand-in, with one alert
// and its thread.
type teamFixture struct {
	sim     *discordsim.Sim
	team    *Team
	st      alerts.State
	alertCh discordsim.ChannelID
	thread  snowflake.ID
	crt     snowflake.ID
	logs    *bytes.Buffer
}

func newTeamFixture(t *testing.T, notes int) *teamFixture {
	t.Helper()
	sim := discordsim.New(discordsim.Options{})
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sim.Close() })
	crt := sim.AddRole("crt").ID
	alertCh := sim.AddChannel("crt-crisis")
	client, err := discordapi.NewREST(discordapi.Config{Token: sim.Token(), BaseURL: sim.URL(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close(context.Background()) })
	ctx := context.Background()
	m, err := client.CreateMessage(alertCh, discord.MessageCreate{Content: "alert"}, rest.WithCtx(ctx))
	if err != nil {
		t.Fatal(err)
	}
	th, err := client.CreateThreadFromMessage(alertCh, m.ID, discord.ThreadCreateFromMessage{Name: "alert"})
	if err != nil {
		t.Fatal(err)
	}
	store, err := alerts.NewStore(srv.Fresh(t), alerts.StoreOptions{TTL: time.Hour, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	st := alerts.State{AlertID: "a1", CreatedAt: time.Now(), Severity: events.High, UserID: "777", ChannelID: "444",
		SourceMessageID: "888", AlertChannelID: alertCh.String(), AlertMessageID: m.ID.String(), ThreadID: th.ID().String()}
	if err := store.SaveCreated(ctx, st); err != nil {
		t.Fatal(err)
	}
	var notesCh []snowflake.ID
	for i := range notes {
		notesCh = append(notesCh, sim.AddChannel("crt-notes-"+string(rune('a'+i))))
	}
	logs := &bytes.Buffer{}
	team, err := NewTeam(client, store, TeamOptions{CRTRoles: []snowflake.ID{crt}, NotesChannels: notesCh, HandoffContext: true},
		slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return &teamFixture{sim: sim, team: team, st: st, alertCh: alertCh, thread: th.ID(), crt: crt, logs: logs}
}

// A role pings only when it is mentionable or the bot has Mention
// Everyone; when neither holds, the alarm is still posted and the bot
// says loudly that nobody was notified.
func TestAlarmPingsOnlyAMentionableRole(t *testing.T) {
	f := newTeamFixture(t, 0)
	ctx := context.Background()
	concern := ash.Update{Kind: ash.Concern, Topic: "suicide"}

	f.team.AshUpdate(ctx, "a1", concern)
	m, ok := f.sim.LastMessage(f.thread)
	if !ok || !slices.Equal(m.MentionRoles, []snowflake.ID{f.crt}) || len(m.MentionUsers) != 0 || m.MentionEveryone {
		t.Fatalf("alarm in the thread: %+v", m)
	}
	if strings.Contains(f.logs.String(), "NOT pinged") {
		t.Errorf("a ping reported as missing: %s", f.logs)
	}

	if err := f.sim.SetRoleMentionable(f.crt, false); err != nil {
		t.Fatal(err)
	}
	f.team.AshUpdate(ctx, "a1", concern)
	m, _ = f.sim.LastMessage(f.thread)
	if len(m.MentionRoles) != 0 {
		t.Fatalf("an unmentionable role was pinged: %+v", m.MentionRoles)
	}
	if !strings.Contains(f.logs.String(), "Ash alarm posted but the CRT role was NOT pinged") || !strings.Contains(f.logs.String(), f.crt.String()) {
		t.Errorf("missing ping not logged: %s", f.logs)
	}

	f.sim.SetBotPermissions(f.alertCh, discordsim.DefaultBotPermissions|discord.PermissionMentionEveryone)
	f.team.AshUpdate(ctx, "a1", concern)
	if m, _ = f.sim.LastMessage(f.thread); !slices.Equal(m.MentionRoles, []snowflake.ID{f.crt}) {
		t.Errorf("Mention Everyone did not let the bot ping the role: %+v", m.MentionRoles)
	}
	if strings.Contains(f.logs.String(), "777") {
		t.Errorf("the person's id in the logs: %s", f.logs)
	}
}

// Mentions in the person's quoted words ping nobody on Discord.
func TestHandoffQuotesPingNobody(t *testing.T) {
	f := newTeamFixture(t, 0)
	user := f.sim.AddMember("friend")
	f.team.AshUpdate(context.Background(), "a1", ash.Update{Kind: ash.HandoffRequested, Handoff: &ash.HandoffContext{
		Duration: time.Minute, Messages: 1, Last: []string{"tell <@" + user.ID.String() + "> and <@&" + f.crt.String() + "> @everyone"},
	}})
	msgs := f.sim.Messages(f.thread)
	if len(msgs) < 2 {
		t.Fatalf("%d messages in the thread", len(msgs))
	}
	alarm, quotes := msgs[len(msgs)-2], msgs[len(msgs)-1]
	if !slices.Equal(alarm.MentionRoles, []snowflake.ID{f.crt}) {
		t.Errorf("the handoff alarm did not ping the CRT: %+v", alarm.MentionRoles)
	}
	if len(quotes.MentionRoles) != 0 || len(quotes.MentionUsers) != 0 || quotes.MentionEveryone || !strings.Contains(quotes.Content, "tell") {
		t.Errorf("quoted words pinged: %+v", quotes)
	}
}

// A summary goes to the first notes channel that takes it, once; when
// none does, to the alert's thread.
func TestSessionNoteRouting(t *testing.T) {
	f := newTeamFixture(t, 2)
	ctx := context.Background()
	note := ash.Update{Kind: ash.SessionNote, Note: &ash.Note{Duration: time.Minute, Messages: 2, Reason: events.EndUserEnded}}
	first, second := f.team.opts.NotesChannels[0], f.team.opts.NotesChannels[1]

	f.team.AshUpdate(ctx, "a1", note)
	if n1, n2, nt := len(f.sim.Messages(first)), len(f.sim.Messages(second)), len(f.sim.Messages(f.thread)); n1 != 1 || n2 != 0 || nt != 0 {
		t.Fatalf("summary posted %d, %d times in the notes channels and %d in the thread; want once in the first", n1, n2, nt)
	}
	f.sim.FailNext(http.MethodPost, "/channels/"+first.String()+"/messages", http.StatusForbidden, 1)
	f.team.AshUpdate(ctx, "a1", note)
	if n1, n2 := len(f.sim.Messages(first)), len(f.sim.Messages(second)); n1 != 1 || n2 != 1 {
		t.Fatalf("first notes channel refused: %d, %d; want the second to take it", n1, n2)
	}
	f.sim.FailNext(http.MethodPost, "/channels/"+first.String()+"/messages", http.StatusForbidden, 1)
	f.sim.FailNext(http.MethodPost, "/channels/"+second.String()+"/messages", http.StatusForbidden, 1)
	f.team.AshUpdate(ctx, "a1", note)
	if nt := len(f.sim.Messages(f.thread)); nt != 1 {
		t.Fatalf("no notes channel took it: %d in the thread, want 1", nt)
	}
}

// When the thread refuses a post, it replies to the alert in its channel.
func TestChatUpdateFallsBackToTheAlertChannel(t *testing.T) {
	f := newTeamFixture(t, 0)
	f.sim.FailNext(http.MethodPost, "/channels/"+f.thread.String()+"/messages", http.StatusForbidden, 1)
	f.team.AshUpdate(context.Background(), "a1", ash.Update{Kind: ash.SeverityRise, Severity: events.Critical})
	m, ok := f.sim.LastMessage(f.alertCh)
	if !ok || m.Reference == nil || m.Reference.MessageID == nil || m.Reference.MessageID.String() != f.st.AlertMessageID ||
		!slices.Equal(m.MentionRoles, []snowflake.ID{f.crt}) {
		t.Fatalf("fallback post %+v", m)
	}
	if strings.Contains(f.logs.String(), "777") {
		t.Errorf("the person's id in the logs: %s", f.logs)
	}
}

// Without the alert's state there is no thread: an alarm goes to the notes
// channel, naming the alert.
func TestAlarmWithoutAlertState(t *testing.T) {
	f := newTeamFixture(t, 1)
	f.team.AshUpdate(context.Background(), "gone", ash.Update{Kind: ash.HandoffRequested})
	msgs := f.sim.Messages(f.team.opts.NotesChannels[0])
	if len(msgs) != 1 || !strings.Contains(msgs[0].Content, "Alert gone: its thread could not be found") ||
		!slices.Equal(msgs[0].MentionRoles, []snowflake.ID{f.crt}) {
		t.Fatalf("notes channel got %+v", msgs)
	}

	lone := newTeamFixture(t, 0)
	lone.team.AshUpdate(context.Background(), "gone", ash.Update{Kind: ash.Concern, Topic: "suicide"})
	if !strings.Contains(lone.logs.String(), "Ash update for the CRT lost") {
		t.Errorf("a lost alarm is not logged: %s", lone.logs)
	}
}
