// Package escalation tells more people when nobody acknowledges an alert:
// at its severity's time (BOT_ESCALATION_MINUTES) the bot mentions the CRT
// roles again in the alert's thread (level 1), at twice that it mentions
// the escalation roles (BOT_ESCALATION_ROLE_IDS) there and posts a short
// notice with the alert's link in BOT_ESCALATION_CHANNEL_ID (level 2).
//
// The timers live in one Redis sorted set, ash:schedule:escalation (member
// {alert_id}/{level}, score the due time in unix ms; retention category
// "scheduler"), fired by an ash.Poller, so they survive restarts and fire
// on one replica. Each step is also claimed on the alert's state hash
// (alerts.Store.ClaimEscalation), atomically with the check that nobody
// acknowledged or resolved the alert: a timer set again by a late retry
// can never post a step twice, and a replica that dies while posting
// leaves a guard timer behind that lets another one finish the step
// (Discord's enforce_nonce makes the second post return the first).
//
// A step found late (the bot or Redis was down) is posted once, saying how
// late; when both levels are due, only level 2 is posted. Every write is
// on a single key, so Redis Cluster needs nothing special.
package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/alerts"
	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Key holds the escalation timers.
const Key = schedule.KeyPrefix + "escalation"

// Levels of an escalation (events.EscalationTeam and EscalationLeads).
const (
	Team  = events.EscalationTeam
	Leads = events.EscalationLeads
)

// Store is the part of the alert store escalation uses; *alerts.Store is
// one.
type Store interface {
	ClaimEscalation(ctx context.Context, alertID string, level int, now time.Time, lease time.Duration) (alerts.StepClaim, alerts.State, error)
	EscalationDone(ctx context.Context, alertID string, level int, at time.Time) error
	ReleaseEscalation(ctx context.Context, alertID string, level int) error
}

// EventSink takes lifecycle events without waiting; *outbox.Outbox is one.
type EventSink interface {
	Add(events.Event)
}

// Options configure an Escalator.
type Options struct {
	Set     *ash.DueSet // the timers, at Key
	Store   Store
	Discord rest.Channels
	Events  EventSink
	// After is, per severity, how long an alert may stay unacknowledged
	// before level 1; level 2 comes at twice that. A severity that is not
	// in the map never escalates.
	After     map[events.Severity]time.Duration
	CRTRoles  []snowflake.ID // mentioned at level 1
	LeadRoles []snowflake.ID // mentioned at level 2; empty: the CRT roles
	Channel   snowflake.ID   // level 2's notice; 0: none
	// GuildID builds the notice's jump link; 0: read from the alert's
	// channel.
	GuildID snowflake.ID
	Clock   schedule.Clock
	// Grace is how late a step may fire and still count as on time
	// (default 1 minute: the poll interval and a short Redis blip).
	Grace time.Duration
	// Lease is how long a replica holds a step while posting it before
	// another may take it over (default 2 minutes, inside the few minutes
	// for which Discord honours a nonce).
	Lease time.Duration
	// Retry is the wait after a failure that may pass (default 1 minute).
	Retry  time.Duration
	Logger *slog.Logger
}

// Escalator schedules and posts escalations.
type Escalator struct {
	opts   Options
	poster *discordapi.Poster
	log    *slog.Logger

	mu     sync.Mutex
	posted map[CountKey]int64
	late   map[CountKey]int64
	failed int64
}

// CountKey groups posted escalations for /metrics.
type CountKey struct {
	Level    int
	Severity events.Severity
}

// New validates opts and returns an Escalator.
func New(opts Options) (*Escalator, error) {
	if opts.Set == nil || opts.Store == nil || opts.Discord == nil || opts.Events == nil || opts.Clock == nil {
		return nil, errors.New("escalation: Set, Store, Discord, Events and Clock are required")
	}
	if len(opts.CRTRoles) == 0 {
		return nil, errors.New("escalation: no CRT role to mention")
	}
	for sev, d := range opts.After {
		if _, err := events.ParseSeverity(string(sev)); err != nil {
			return nil, fmt.Errorf("escalation: %w", err)
		}
		if d <= 0 {
			return nil, fmt.Errorf("escalation: time for %s must be positive, got %v", sev, d)
		}
	}
	if opts.Grace <= 0 {
		opts.Grace = time.Minute
	}
	if opts.Lease <= 0 {
		opts.Lease = 2 * time.Minute
	}
	if opts.Retry <= 0 {
		opts.Retry = time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Escalator{opts: opts, poster: discordapi.NewPoster(opts.Discord), log: opts.Logger.With("component", "escalation"),
		posted: map[CountKey]int64{}, late: map[CountKey]int64{}}, nil
}

// Set returns the timers' set, for the poller.
func (e *Escalator) Set() *ash.DueSet { return e.opts.Set }

// Member names the timer of an alert's level.
func Member(alertID string, level int) string { return alertID + "/" + strconv.Itoa(level) }

func parseMember(m string) (alertID string, level int, ok bool) {
	id, lvl, found := strings.Cut(m, "/")
	if !found || id == "" || (lvl != "1" && lvl != "2") {
		return "", 0, false
	}
	return id, int(lvl[0] - '0'), true
}

// Schedule sets both levels' timers of an alert created at created, if
// its severity escalates. It implements alerts.AutoInitScheduler, so the
// dispatcher calls it for flagged and detected alerts alike, with its
// short timeout and background retries.
func (e *Escalator) Schedule(ctx context.Context, alertID string, sev events.Severity, created time.Time) error {
	after, ok := e.opts.After[sev]
	if !ok {
		return nil
	}
	for _, level := range []int{Team, Leads} {
		if err := e.opts.Set.Add(ctx, Member(alertID, level), created.Add(time.Duration(level)*after)); err != nil {
			e.mu.Lock()
			e.failed++
			e.mu.Unlock()
			return fmt.Errorf("schedule escalation of alert %s: %w", alertID, err)
		}
	}
	return nil
}

// Cancel removes an alert's timers: someone acknowledged or resolved it.
// A timer that survives a failed cancel still finds the alert answered
// when it fires.
func (e *Escalator) Cancel(ctx context.Context, alertID string) error {
	var errs []error
	for _, level := range []int{Team, Leads} {
		if err := e.opts.Set.Remove(ctx, Member(alertID, level)); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("cancel escalation of alert %s: %w", alertID, err)
	}
	return nil
}

// Stats counts what this replica did, for /metrics.
type Stats struct {
	Posted map[CountKey]int64 // steps posted
	Late   map[CountKey]int64 // of which posted later than the grace
	// ScheduleFailures counts attempts to set an alert's timers that
	// failed (Redis); the dispatcher retries them.
	ScheduleFailures int64
}

// Stats returns a copy of the counters.
func (e *Escalator) Stats() Stats {
	e.mu.Lock()
	defer e.mu.Unlock()
	s := Stats{Posted: map[CountKey]int64{}, Late: map[CountKey]int64{}, ScheduleFailures: e.failed}
	for k, v := range e.posted {
		s.Posted[k] = v
	}
	for k, v := range e.late {
		s.Late[k] = v
	}
	return s
}

// Fire is the poller's handler for one due timer. It returns a retry time
// after a failure that may pass.
func (e *Escalator) Fire(ctx context.Context, d ash.Due) time.Time {
	alertID, level, ok := parseMember(d.Member)
	if !ok {
		e.log.Warn("escalation timer with an unknown name dropped", "timer", d.Member)
		return time.Time{}
	}
	log := e.log.With("alert_id", alertID, "level", level)
	now := e.opts.Clock.Now()
	claim, st, err := e.opts.Store.ClaimEscalation(ctx, alertID, level, now, e.opts.Lease)
	switch {
	case errors.Is(err, alerts.ErrNotFound):
		log.Warn("escalation dropped: the alert's state is gone")
		return time.Time{}
	case err != nil:
		log.Warn("escalation delayed: alert state unavailable; retrying", "error", err.Error())
		return now.Add(e.opts.Retry)
	case claim == alerts.StepBusy:
		// Another replica is posting it; come back after its lease to
		// finish the step if it died meanwhile.
		return now.Add(e.opts.Lease)
	case claim != alerts.StepWon:
		return time.Time{}
	}
	log = log.With("severity", string(st.Severity))
	after, ok := e.opts.After[st.Severity]
	if !ok {
		log.Info("escalation dropped: its severity no longer escalates (BOT_ESCALATION_MINUTES)")
		return time.Time{}
	}
	if level == Team && !now.Before(st.CreatedAt.Add(2*after)) {
		// Both levels are due (the bot was down): level 2's own timer
		// posts the one message that matters.
		log.Info("escalation level 1 skipped: level 2 is due as well")
		e.done(ctx, alertID, level, now, log)
		return time.Time{}
	}
	if e.answeredOnMessage(ctx, st, log) {
		return time.Time{}
	}
	// Should this replica die while posting, the guard fires after the
	// lease and another one finishes the step.
	if err := e.opts.Set.Add(ctx, d.Member, now.Add(e.opts.Lease)); err != nil {
		log.Warn("escalation guard timer not set", "error", err.Error())
	}
	due := st.CreatedAt.Add(time.Duration(level) * after)
	late := now.Sub(due)
	if late <= e.opts.Grace {
		late = 0
	}
	at, retryable, err := e.post(ctx, st, level, now.Sub(st.CreatedAt), late, log)
	if err != nil {
		if rerr := e.opts.Store.ReleaseEscalation(ctx, alertID, level); rerr != nil {
			log.Warn("escalation claim not released; the retry waits for the lease", "error", rerr.Error())
		}
		if retryable {
			log.Warn("escalation not posted; retrying", "error", err.Error())
			return now.Add(e.opts.Retry)
		}
		log.Error("escalation NOT posted: Discord refused it", "error", err.Error())
		// Trying again would be refused the same way until the settings
		// or permissions change; the guard timer goes too.
		if err := e.opts.Set.Remove(ctx, d.Member); err != nil {
			log.Warn("escalation guard timer not removed; it will be refused again", "error", err.Error())
		}
		return time.Time{}
	}
	e.done(ctx, alertID, level, at, log)
	if err := e.opts.Set.Remove(ctx, d.Member); err != nil {
		log.Warn("escalation guard timer not removed; it will find the step done", "error", err.Error())
	}
	e.opts.Events.Add(events.Event{Type: events.Escalated, AlertID: alertID, At: at, Level: level})
	k := CountKey{Level: level, Severity: st.Severity}
	e.mu.Lock()
	e.posted[k]++
	if late > 0 {
		e.late[k]++
	}
	e.mu.Unlock()
	log.Info("alert escalated", "late_by", late.String())
	return time.Time{}
}

func (e *Escalator) done(ctx context.Context, alertID string, level int, at time.Time, log *slog.Logger) {
	if err := e.opts.Store.EscalationDone(ctx, alertID, level, at); err != nil {
		// The guard timer comes back after the lease and posts with the
		// same nonce, which Discord answers with this message.
		log.Warn("escalation posted but not recorded as done", "error", err.Error())
	}
}

// answeredOnMessage reports whether the alert message shows an
// acknowledgment or resolution Redis does not hold yet (a click during an
// outage whose write is still pending): the message is what the team
// sees, and nobody must be paged over an alert someone took.
func (e *Escalator) answeredOnMessage(ctx context.Context, st alerts.State, log *slog.Logger) bool {
	ch, err1 := snowflake.Parse(st.AlertChannelID)
	id, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 != nil || err2 != nil {
		return false
	}
	m, err := e.opts.Discord.GetMessage(ch, id, rest.WithCtx(ctx))
	if err != nil {
		log.Warn("alert message unreadable; going by the stored state", "error", err.Error())
		return false
	}
	if len(m.Embeds) == 0 {
		return false
	}
	if s := alerts.ParseStatus(m.Embeds[0]); s.Ack.Done() || s.Resolve.Done() {
		log.Info("escalation skipped: the alert message shows it acknowledged or resolved")
		return true
	}
	return false
}

// post sends the step's messages and returns the time of the thread post,
// or whether trying again later may help.
func (e *Escalator) post(ctx context.Context, st alerts.State, level int, age, late time.Duration, log *slog.Logger) (time.Time, bool, error) {
	roles := e.opts.CRTRoles
	if level == Leads && len(e.opts.LeadRoles) > 0 {
		roles = e.opts.LeadRoles
	}
	m, retryable, err := e.postInThread(ctx, st, discord.MessageCreate{
		Content: threadText(level, st.Severity, age, late, roles), AllowedMentions: rolesOnly(roles),
	}, Member(st.AlertID, level))
	if err != nil {
		return time.Time{}, retryable, err
	}
	if missing := unpinged(roles, m); len(missing) > 0 {
		// Discord posts the message but notifies nobody when a role is
		// not mentionable and the bot lacks Mention Everyone
		// (https://discord.com/developers/docs/resources/message#allowed-mentions-object).
		log.Error("escalation posted but its roles were NOT pinged: make the roles mentionable or give the bot the Mention Everyone permission",
			"role_ids", strings.Join(missing, ","))
	}
	if level == Leads && e.opts.Channel != 0 {
		e.notice(ctx, st, age, late, log)
	}
	return m.ID.Time(), false, nil
}

// postInThread posts in the alert's thread, or as a reply to the alert in
// its channel when the thread does not take it (never opened, deleted, no
// Send Messages in Threads), as the team's other notes do. retryable is
// true when either refusal may pass.
func (e *Escalator) postInThread(ctx context.Context, st alerts.State, msg discord.MessageCreate, what string) (m *discord.Message, retryable bool, err error) {
	var errs []error
	if th := st.Thread(); th != "" {
		m, err := e.poster.Post(ctx, th, msg, discordapi.Nonce("escalation", what, th))
		if err == nil {
			return m, false, nil
		}
		errs = append(errs, err)
	}
	ch, err1 := snowflake.Parse(st.AlertChannelID)
	id, err2 := snowflake.Parse(st.AlertMessageID)
	if err1 == nil && err2 == nil {
		msg.MessageReference = &discord.MessageReference{MessageID: &id, ChannelID: &ch}
		m, err := e.poster.Post(ctx, ch.String(), msg, discordapi.Nonce("escalation", what, ch.String()))
		if err == nil {
			return m, false, nil
		}
		errs = append(errs, err)
	} else {
		errs = append(errs, errors.New("alert has no message to reply to"))
	}
	// Every post error is a *discordapi.Error that says whether it may
	// pass; an alert message that is not there never comes back.
	for _, err := range errs {
		var de *discordapi.Error
		if errors.As(err, &de) && de.Retryable {
			retryable = true
		}
	}
	return nil, retryable, errors.Join(errs...)
}

// notice posts level 2's notice in the escalation channel. It names no
// one: the channel may be seen by people who are not CRT. A failure is
// logged, not retried: the thread post, which pinged the leads, is out.
func (e *Escalator) notice(ctx context.Context, st alerts.State, age, late time.Duration, log *slog.Logger) {
	guild := e.opts.GuildID
	if guild == 0 {
		if ch, err := snowflake.Parse(st.AlertChannelID); err == nil {
			if c, err := e.opts.Discord.GetChannel(ch, rest.WithCtx(ctx)); err == nil {
				if gc, ok := c.(discord.GuildChannel); ok {
					guild = gc.GuildID()
				}
			}
		}
	}
	link := "(link unavailable)"
	if guild != 0 {
		link = alerts.JumpURL(guild.String(), st.AlertChannelID, st.AlertMessageID)
	}
	msg := discord.MessageCreate{Content: noticeText(st.Severity, age, late, link), AllowedMentions: discordapi.NoMentions()}
	ch := e.opts.Channel.String()
	if _, err := e.poster.Post(ctx, ch, msg, discordapi.Nonce("escalation-notice", st.AlertID, ch)); err != nil {
		log.Error("escalation notice not posted in BOT_ESCALATION_CHANNEL_ID", "channel_id", ch, "error", err.Error())
	}
}
