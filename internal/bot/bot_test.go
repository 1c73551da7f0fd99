package bot

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

func TestCommands(t *testing.T) {
	cmds := Commands(discord.PermissionManageMessages)
	if len(cmds) != 2 {
		t.Fatalf("%d commands", len(cmds))
	}
	raw, err := json.Marshal(cmds)
	if err != nil {
		t.Fatal(err)
	}
	var got []struct {
		Name        string `json:"name"`
		Type        int    `json:"type"`
		Permissions string `json:"default_member_permissions"`
		Contexts    []int  `json:"contexts"`
		Options     []struct {
			Name    string `json:"name"`
			Options []struct {
				Name     string `json:"name"`
				Required bool   `json:"required"`
			} `json:"options"`
		} `json:"options"`
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	flag, ashCmd := got[0], got[1]
	if flag.Name != FlagCommand || flag.Type != int(discord.ApplicationCommandTypeMessage) || flag.Permissions != "" {
		t.Errorf("flag command %+v: everyone must be able to flag", flag)
	}
	if ashCmd.Name != AshCommand || ashCmd.Permissions != "8192" || len(ashCmd.Contexts) != 1 || ashCmd.Contexts[0] != 0 {
		t.Errorf("/ash %+v: hidden by default, servers only", ashCmd)
	}
	subs := map[string][]string{}
	for _, o := range ashCmd.Options {
		for _, p := range o.Options {
			subs[o.Name] = append(subs[o.Name], p.Name)
		}
		if _, ok := subs[o.Name]; !ok {
			subs[o.Name] = nil
		}
	}
	want := map[string]string{SubReport: "end_date,post,period,responders", SubAlert: "alert_id", SubStorage: "", SubCleanup: "dry_run"}
	for sub, opts := range want {
		if got, ok := subs[sub]; !ok || strings.Join(got, ",") != opts {
			t.Errorf("/ash %s options %v, want %s", sub, got, opts)
		}
	}
}

func TestHasRole(t *testing.T) {
	crt := []snowflake.ID{10, 20}
	m := &discord.ResolvedMember{Member: discord.Member{RoleIDs: []snowflake.ID{5, 20}}}
	if !hasRole(m, crt) || hasRole(&discord.ResolvedMember{}, crt) || hasRole(nil, crt) || hasRole(m, nil) {
		t.Error("hasRole")
	}
}

func TestAshNotes(t *testing.T) {
	cases := []struct {
		u    ash.Update
		want string
	}{
		{ash.Update{Kind: ash.Engaged, By: "auto"}, "automatically"},
		{ash.Update{Kind: ash.Engaged, By: "7"}, "asked by <@7>"},
		{ash.Update{Kind: ash.Unreachable}, "DMs are closed"},
		{ash.Update{Kind: ash.Declined, Until: time.Unix(1000, 0)}, "opted out of Ash (until <t:1000:D>)"},
		{ash.Update{Kind: ash.Ended, Reason: events.EndMaxDuration}, "maximum chat length"},
		{ash.Update{Kind: ash.Ended, Reason: events.EndOptedOut}, "opted out of Ash and the chat ended"},
	}
	for _, c := range cases {
		if got := ashNote(c.u, "9"); !strings.Contains(got, c.want) || !strings.Contains(got, "<@9>") {
			t.Errorf("note for %+v = %q, want %q", c.u, got, c.want)
		}
	}
}

func TestBlock(t *testing.T) {
	short := block("Storage", "s.txt", "a\nb\n")
	if short.Content == nil || *short.Content != "**Storage**\n```\na\nb\n```" || len(short.Files) != 0 {
		t.Errorf("short block %+v", short)
	}
	long := block("Cleanup", "c.txt", strings.Repeat("x", 3000))
	if len(long.Files) != 1 || long.Files[0].Name != "c.txt" || len(*long.Content) > 2000 {
		t.Errorf("long output not attached: %+v", long)
	}
	// A long title (an error's text) is shortened; the file has it whole.
	title := "Cleanup did not finish: " + strings.Repeat("é", 2500)
	titled := block(title, "c.txt", "a")
	if titled.Content == nil || utf8.RuneCountInString(*titled.Content) > maxTitle+20 || len(titled.Files) != 1 {
		t.Fatalf("long title: %d characters, %d files", utf8.RuneCountInString(*titled.Content), len(titled.Files))
	}
	raw, _ := io.ReadAll(titled.Files[0].Reader)
	if !strings.HasPrefix(string(raw), title+"\n\n") || !strings.HasSuffix(string(raw), "a") {
		t.Errorf("attached file does not start with the whole title")
	}
}

func TestAlertTimeline(t *testing.T) {
	t0 := time.Unix(1_700_000_000, 0).UTC()
	ack := t0.Add(90 * time.Second)
	secs := int64(90)
	got := alertTimeline(&metrics.Alert{AlertID: "a1", Severity: "high", UserID: "5", ChannelID: "6", CreatedAt: t0,
		AcknowledgedAt: &ack, AcknowledgedBy: "7", TimeToAcknowledgeSeconds: &secs})
	for _, want := range []string{"**Alert a1** (high): <@5> in <#6>", "• Acknowledged: <t:1700000090:f> (+1m30s) by <@7>", "• Resolved: —"} {
		if !strings.Contains(got, want) {
			t.Errorf("timeline lacks %q:\n%s", want, got)
		}
	}
}

// Events of one channel run in order, other channels in parallel, and
// Stop waits for them and refuses new ones.
func TestOrderedHandling(t *testing.T) {
	b := &Bot{log: slogDiscard(), queues: map[snowflake.ID][]func(context.Context){}}
	release := make(chan struct{})
	var mu sync.Mutex
	var got []int
	record := func(n int) func(context.Context) {
		return func(context.Context) {
			if n == 0 {
				<-release // the first event of channel 1 is slow
			}
			mu.Lock()
			got = append(got, n)
			mu.Unlock()
		}
	}
	for n := range 5 {
		b.spawnOrdered(1, record(n))
	}
	otherDone := make(chan struct{})
	b.spawnOrdered(2, func(context.Context) { close(otherDone) })
	select {
	case <-otherDone:
	case <-time.After(5 * time.Second):
		t.Fatal("channel 2 waited for channel 1")
	}
	close(release)
	if err := b.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int{0, 1, 2, 3, 4}) {
		t.Errorf("order %v", got)
	}
	ran := false
	b.spawnOrdered(1, func(context.Context) { ran = true })
	b.spawn(func(context.Context) { ran = true })
	if err := b.Stop(context.Background()); err != nil || ran {
		t.Errorf("event handled after Stop: %v %v", ran, err)
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
