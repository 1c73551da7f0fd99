package bot

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"

	"github.com/alphabetcartel/ashbot/internal/config"
	"github.com/alphabetcartel/ashbot/internal/configtext"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/metrics"
)

// Subcommands of /ash for the state of the bot.
const (
	SubStatus = "status"
	SubConfig = "config"
)

// StatusSource is what /ash status asks of the running process: the
// health of its parts, its queues and its schedules. Package app
// implements it; the bot reads Redis itself for the alert figures.
type StatusSource interface {
	Status(ctx context.Context) Status
}

// Status is the process's state at one moment. It holds kinds, counts and
// times, never error text.
type Status struct {
	Version string
	Started time.Time
	// Parts in the order shown: Discord, Redis, Ash-NLP, the companion.
	Parts []Part
	// OutboxPending lifecycle events wait for Redis; OutboxDropped were
	// lost because the outbox was full.
	OutboxPending int
	OutboxDropped int
	// NextReport and NextCleanup are the next scheduled runs; zero: off.
	NextReport, NextCleanup time.Time
}

// Part is one component's health, as /health/detailed shows it.
type Part struct {
	Name        string
	State       string // ok, degraded, down, off
	Detail      string
	Latency     time.Duration // 0: not measured
	LastError   string        // the kind of its last failure
	LastErrorAt time.Time
}

// statusTimeout bounds the health probes of /ash status (Ash-NLP's is an
// HTTP request).
const statusTimeout = 4 * time.Second

func statusOption() discord.ApplicationCommandOption {
	return discord.ApplicationCommandOptionSubCommand{Name: SubStatus, Description: "Show the state of the bot: Discord, Redis, Ash-NLP, Ash, queues, schedules"}
}

func configOption() discord.ApplicationCommandOption {
	return discord.ApplicationCommandOptionSubCommand{Name: SubConfig, Description: "Show the effective settings, secrets masked (admins)"}
}

func (b *Bot) statusCommand(ctx context.Context) (discord.MessageUpdate, error) {
	if b.opts.Status == nil {
		return discord.MessageUpdate{}, errors.New("the bot's status is not available in this deployment")
	}
	now := b.opts.Clock.Now()
	sctx, cancel := context.WithTimeout(ctx, statusTimeout)
	st := b.opts.Status.Status(sctx)
	cancel()

	var sb strings.Builder
	fmt.Fprintf(&sb, "**ashbot status** (version %s, up %s, since <t:%d:f>)\n", st.Version, uptime(now.Sub(st.Started)), st.Started.Unix())
	for _, p := range st.Parts {
		sb.WriteString(partLine(p) + "\n")
	}

	rctx, cancel := context.WithTimeout(ctx, commandRedisTimeout)
	defer cancel()
	sb.WriteString(b.alertsToday(rctx, now))
	sb.WriteString(b.openAlerts(rctx))
	if n, err := b.opts.Ash.ActiveChats(rctx); err != nil {
		sb.WriteString("Ash chats active: unknown (Redis did not answer)\n")
	} else {
		fmt.Fprintf(&sb, "Ash chats active: %d\n", n)
	}
	fmt.Fprintf(&sb, "Outbox: %d lifecycle events waiting for Redis", st.OutboxPending)
	if st.OutboxDropped > 0 {
		fmt.Fprintf(&sb, ", %d dropped since start-up (the outbox was full)", st.OutboxDropped)
	}
	sb.WriteString("\n")
	fmt.Fprintf(&sb, "Next weekly report: %s\nNext cleanup: %s", when(st.NextReport), when(st.NextCleanup))
	if utf8.RuneCountInString(sb.String()) > maxBlock {
		// Long details (a gateway ending's advice) would break the
		// message limit: the whole status goes as a file instead.
		return block("ashbot status", "status.txt", sb.String()), nil
	}
	return text(sb.String()), nil
}

func partLine(p Part) string {
	icon := map[string]string{"ok": "🟢", "degraded": "🟡", "down": "🔴", "off": "⚪"}[p.State]
	if icon == "" {
		icon = "⚪"
	}
	line := fmt.Sprintf("%s **%s**: %s", icon, p.Name, p.State)
	if p.Detail != "" {
		line += ", " + p.Detail
	}
	if p.Latency > 0 {
		sep := ", "
		if p.Detail != "" {
			sep = " " // the detail names what was measured
		}
		line += sep + p.Latency.Round(100*time.Microsecond).String()
	}
	if p.LastError != "" {
		line += fmt.Sprintf("; last error %s <t:%d:R>", p.LastError, p.LastErrorAt.Unix())
	}
	return line
}

// alertsToday reads today's alerts by severity from the daily aggregate.
func (b *Bot) alertsToday(ctx context.Context, now time.Time) string {
	if b.opts.Metrics == nil {
		return "Alerts today: metrics are not available in this deployment\n"
	}
	d, err := b.opts.Metrics.Daily(ctx, now.UTC())
	switch {
	case errors.Is(err, metrics.ErrNotFound):
		return "Alerts today (UTC): none\n"
	case err != nil:
		return "Alerts today: unknown (Redis did not answer)\n"
	}
	sev := make([]string, 0, 4)
	for _, s := range []events.Severity{events.Critical, events.High, events.Medium, events.Low} {
		sev = append(sev, fmt.Sprintf("%s %d", s, d.BySeverity[string(s)]))
	}
	return fmt.Sprintf("Alerts today (UTC): %d (%s)\n", d.TotalAlerts, strings.Join(sev, ", "))
}

// openStatusLimit bounds the open alerts whose states /ash status reads
// to count the unacknowledged ones (one pipelined round trip).
const openStatusLimit = 500

// openAlerts counts the alerts not yet resolved, from the open-alerts
// index, and how many of them nobody acknowledged.
func (b *Bot) openAlerts(ctx context.Context) string {
	open, err := b.opts.Alerts.Open(ctx, openStatusLimit)
	if err != nil {
		return "Open alerts: unknown (Redis did not answer)\n"
	}
	unacked := 0
	for _, st := range open.Alerts {
		if !st.Ack.Done() {
			unacked++
		}
	}
	of := ""
	if open.Total > len(open.Alerts) {
		of = fmt.Sprintf(" of the oldest %d", len(open.Alerts))
	}
	return fmt.Sprintf("Open alerts: %d not resolved, %d%s not acknowledged (`/ash open` lists them)\n", open.Total, unacked, of)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "off"
	}
	return fmt.Sprintf("<t:%d:F> (<t:%d:R>)", t.Unix(), t.Unix())
}

// uptime renders d in days, hours and minutes.
func uptime(d time.Duration) string {
	d = d.Round(time.Minute)
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		return fmt.Sprintf("%dd %dh %dm", days, d/time.Hour, (d%time.Hour)/time.Minute)
	}
	return fmt.Sprintf("%dh %dm", d/time.Hour, (d%time.Hour)/time.Minute)
}

// configCommand shows the settings as `ashbot config check` prints them;
// they are longer than a message, so they come as a file.
func (b *Bot) configCommand(cfg *config.Config) (discord.MessageUpdate, error) {
	if cfg == nil {
		return discord.MessageUpdate{}, errors.New("the settings are not available in this deployment")
	}
	var buf bytes.Buffer
	if err := configtext.Write(&buf, cfg, b.opts.Clock.Now()); err != nil {
		return discord.MessageUpdate{}, fmt.Errorf("render the settings: %w", err)
	}
	return block("Effective settings (secrets masked; the same as `ashbot config check`)", "config.txt", buf.String()), nil
}
