// Package ash is Ash, the CRT's support companion: reaching a person in
// crisis by DM (on a CRT member's request or automatically when nobody
// acknowledged an alert in time), the chat that follows, opt-outs, and
// every way a chat ends.
//
// State lives in Redis so chats and timers survive restarts and work on any
// replica:
//
//	ash:session:{session_id}       hash   ids and times of one chat (never its text)
//	ash:session:user:{user_id}     string the user's active session
//	ash:optout:{user_id}           string the earlier bot's JSON opt-out (unix ms text read too), TTL BOT_USER_OPTOUT_TTL_DAYS
//	ash:schedule:autoinit          zset   alert id -> auto-initiate due time (ms)
//	ash:schedule:session-deadlines zset   session id -> idle/max deadline (ms)
//
//	ash:chat:{session_id}          list   what the person and Ash said (message history), deleted at the end
//	ash:schedule:ash-reply:{session_id}:lock  string  the replica writing the chat's reply
//
// What Ash says comes from a language model (Model) when one is
// configured, with the scripted Companion as the default and the
// fallback; safety rules that do not depend on the model read every
// message.
package ash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// DM is the part of Discord's REST API Ash uses; disgo's rest.Rest is one.
type DM interface {
	CreateDMChannel(userID snowflake.ID, opts ...rest.RequestOpt) (*discord.DMChannel, error)
	CreateMessage(channelID snowflake.ID, m discord.MessageCreate, opts ...rest.RequestOpt) (*discord.Message, error)
	UpdateMessage(channelID, messageID snowflake.ID, m discord.MessageUpdate, opts ...rest.RequestOpt) (*discord.Message, error)
	SendTyping(channelID snowflake.ID, opts ...rest.RequestOpt) error
}

// EventSink takes lifecycle events without waiting; *outbox.Outbox is one.
type EventSink interface {
	Add(events.Event)
}

// UpdateKind says what happened between Ash and the person.
type UpdateKind int

// Update kinds.
const (
	Engaged     UpdateKind = iota // Ash reached the person; a chat started
	Unreachable                   // their DMs are closed: nothing was sent
	Declined                      // not contacted: they opted out earlier
	OptedOut                      // they opted out (the chat, if any, ended)
	Ended                         // the chat ended for Reason

	// What happens inside a chat that the CRT must hear of. The bot posts
	// each in the alert's thread; those marked "alarm" mention the CRT
	// roles, the others ping nobody.
	Concern          // alarm: the person wrote of Topic (suicide, self-harm, overdose, a plan or a method); resources were appended to Ash's reply
	SeverityRise     // alarm: Ash-NLP classified one of the person's messages in the chat as Severity (high or critical), above the alert's
	HandoffRequested // alarm: the person asked for a human; the chat ends with reason handoff; Handoff holds the context when enabled
	ModelTrouble     // the language model failed (Detail says how); Ash answered with its fallback text, or switched to scripted texts (Detail "auth")
	SessionNote      // a chat ended: Note summarises it (no message text); goes to BOT_CRT_NOTES_CHANNEL_IDS when set, else the thread
	FollowupSent     // Ash sent the person a follow-up check-in about the alert
	FollowupAnswered // the person answered the check-in; a new chat (SessionID) started, linked to the alert
)

// HandoffContext is what the CRT member who takes over a chat reads in the
// thread (BOT_HANDOFF_CONTEXT_ENABLED): how long the chat went, how the
// person's messages were classified, and their last three messages, never
// more.
type HandoffContext struct {
	Duration   time.Duration
	Messages   int               // messages from the person
	Severities []events.Severity // Ash-NLP's class of each message, in order (empty: detection not configured)
	Last       []string          // the person's last messages, oldest first, at most three
}

// Note summarises an ended chat for the team: no text of it.
type Note struct {
	Duration  time.Duration
	Messages  int // messages from the person
	Reason    events.EndReason
	Highest   events.Severity // the highest Ash-NLP class of their messages; empty when none was classified
	HandedOff bool
}

// Update tells the team about Ash's part in an alert.
type Update struct {
	Kind      UpdateKind
	SessionID string
	By        string // who asked Ash to reach out ("auto" for auto-initiate)
	Reason    events.EndReason
	At        time.Time
	Until     time.Time // OptedOut, Declined: when the opt-out ends (zero: unknown)

	Topic    string          // Concern: what the message was about, a word (never its text)
	Severity events.Severity // SeverityRise: the new class
	Detail   string          // ModelTrouble: companion.Kind of the failure ("auth": switched to scripted)
	Handoff  *HandoffContext // HandoffRequested, when BOT_HANDOFF_CONTEXT_ENABLED
	Note     *Note           // SessionNote
}

// Team is how Ash keeps the CRT informed: the bot posts in the alert's
// thread and shows the status on the alert message.
type Team interface {
	AshUpdate(ctx context.Context, alertID string, u Update)
}

// Errors of Contact. None of them records a contact.
var (
	ErrOptedOut    = errors.New("the person opted out of Ash")
	ErrActive      = errors.New("the person is already talking with Ash")
	ErrUnreachable = errors.New("the person's DMs are closed")
)

// Options configure a Manager.
type Options struct {
	Store     *Store
	Deadlines *DueSet
	// Chats keeps what is said in each chat (message history).
	Chats  *Chats
	DM     DM
	Team   Team
	Events EventSink
	// Companion writes the welcome and closings, and the replies when no
	// Model is set or the model refused its key (default Scripted).
	Companion Companion
	// Model writes Ash's replies when set (BOT_ASH_PROVIDER); nil keeps
	// the scripted replies.
	Model Model
	// SystemPrompt is the model's persona (BOT_ASH_SYSTEM_PROMPT_FILE);
	// default DefaultPersona.
	SystemPrompt string
	// Budget bounds the context sent to the model (default DefaultBudget).
	Budget Budget
	// ReplyTimeout is BOT_ASH_REPLY_TIMEOUT, which bounds each model call;
	// the chat's reply claim outlives two of them.
	ReplyTimeout time.Duration
	// Safety holds the rules read on every message, model or not
	// (default SafetyRules).
	Safety Safety
	// Classifier classifies the person's messages (Ash-NLP); nil when
	// detection is not configured.
	Classifier Classifier
	// HandoffContext is BOT_HANDOFF_CONTEXT_ENABLED: a handoff tells the
	// team how the chat went and the person's last three messages.
	HandoffContext bool
	// OnFallback counts each reply the model could not write, by kind
	// (a companion.Kind, or FallbackEmpty).
	OnFallback func(kind string)
	// ResourcesText is BOT_ASH_RESOURCES_TEXT, shown with every welcome
	// and with every reply to a message the safety rules flag.
	ResourcesText string
	IdleTimeout   time.Duration // BOT_ASH_SESSION_TIMEOUT
	MaxSession    time.Duration // BOT_ASH_MAX_SESSION
	EndPhrases    []string      // default DefaultEndPhrases
	Clock         schedule.Clock
	Logger        *slog.Logger

	// OnEnded, when set, is called once for every chat that ends, after
	// the team was told (follow-up check-ins are scheduled from it).
	OnEnded func(ctx context.Context, s Session)
}

// Manager runs Ash's chats.
type Manager struct {
	opts     Options
	fallback Scripted
	system   string
	// scripted is set, once per process, when the model refused its key.
	scripted atomic.Bool
	log      *slog.Logger
}

// NewManager validates opts and returns a Manager.
func NewManager(opts Options) (*Manager, error) {
	if opts.Store == nil || opts.Deadlines == nil || opts.Chats == nil || opts.DM == nil || opts.Team == nil || opts.Events == nil ||
		opts.Clock == nil {
		return nil, errors.New("ash: manager needs Store, Deadlines, Chats, DM, Team, Events and Clock")
	}
	if opts.Safety == nil {
		opts.Safety = SafetyRules{}
	}
	if strings.TrimSpace(opts.ResourcesText) == "" {
		return nil, errors.New("ash: the crisis resources text is empty")
	}
	if opts.IdleTimeout <= 0 || opts.MaxSession <= 0 {
		return nil, fmt.Errorf("ash: session timeout (%v) and maximum (%v) must be positive", opts.IdleTimeout, opts.MaxSession)
	}
	if opts.Companion == nil {
		opts.Companion = Scripted{}
	}
	if opts.Model != nil && opts.ReplyTimeout <= 0 {
		return nil, fmt.Errorf("ash: the reply timeout (%v) must be positive", opts.ReplyTimeout)
	}
	if opts.Budget == (Budget{}) {
		opts.Budget = DefaultBudget
	}
	system := strings.TrimSpace(opts.SystemPrompt)
	if system == "" {
		system = DefaultPersona()
	}
	if opts.EndPhrases == nil {
		opts.EndPhrases = DefaultEndPhrases()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Manager{opts: opts, system: system, log: opts.Logger.With("component", "ash")}, nil
}

// Custom ids of the buttons under Ash's welcome message. They carry the
// alert and session so that any replica can handle them, even after the
// session ended or its data expired.
const (
	ActionOptOut = "optout"
	ActionEnd    = "end"
	buttonPrefix = "/ash/"
)

// ButtonID returns the custom id of a DM button.
func ButtonID(action, alertID, sessionID string) string {
	return buttonPrefix + action + "/" + alertID + "/" + sessionID
}

// DMButton is one click under a welcome message.
type DMButton struct{ Action, AlertID, SessionID string }

// ParseButtonID reads a custom id made by ButtonID.
func ParseButtonID(customID string) (DMButton, bool) {
	rest, ok := strings.CutPrefix(customID, buttonPrefix)
	if !ok {
		return DMButton{}, false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 || (parts[0] != ActionOptOut && parts[0] != ActionEnd) || parts[1] == "" || parts[2] == "" {
		return DMButton{}, false
	}
	return DMButton{Action: parts[0], AlertID: parts[1], SessionID: parts[2]}, true
}

// ContactRequest asks Ash to reach out about an alert.
type ContactRequest struct {
	AlertID string
	UserID  string // the person concerned
	By      string // the CRT member, or "auto"
	// Severity is the alert's: a class of the person's messages in the
	// chat above it is news for the team (SeverityRise).
	Severity events.Severity
}

// Contact reaches the person by DM with a welcome, the crisis resources and
// the opt-out and end buttons, and starts a chat. It records ash_contacted
// and session_started at the time of Ash's message, and tells the team. It
// returns ErrOptedOut, ErrActive or ErrUnreachable without contacting
// anyone (the team is told of the first and last); any other error means
// nothing was recorded and the contact may be tried again.
//
// Ash needs Redis to keep the chat: when Redis is down, Contact fails
// rather than start a chat it could not follow.
func (m *Manager) Contact(ctx context.Context, req ContactRequest) (Session, error) {
	log := m.log.With("alert_id", req.AlertID)
	uid, err := snowflake.Parse(req.UserID)
	if err != nil {
		return Session{}, fmt.Errorf("contact for alert %s: the person's user id: %w", req.AlertID, err)
	}
	until, opted, err := m.opts.Store.OptedOut(ctx, req.UserID)
	if err != nil {
		return Session{}, fmt.Errorf("contact for alert %s: %w", req.AlertID, err)
	}
	if opted {
		log.Info("Ash did not reach out: the person opted out")
		m.opts.Team.AshUpdate(ctx, req.AlertID, Update{Kind: Declined, By: req.By, At: m.opts.Clock.Now(), Until: until})
		return Session{}, ErrOptedOut
	}
	id, err := NewSessionID()
	if err != nil {
		return Session{}, err
	}
	now := m.opts.Clock.Now()
	s := Session{ID: id, UserID: req.UserID, AlertID: req.AlertID, By: req.By, StartedAt: now, UpdatedAt: now, AlertSeverity: req.Severity}
	existing, err := m.opts.Store.Begin(ctx, s)
	if err != nil {
		return Session{}, fmt.Errorf("contact for alert %s: %w", req.AlertID, err)
	}
	if existing != "" {
		return Session{ID: existing}, ErrActive
	}
	abort := func(cause error) (Session, error) {
		if err := m.opts.Store.Abort(context.WithoutCancel(ctx), s); err != nil {
			log.Error("could not remove a session that never started", "session_id", id, "error", err.Error())
		}
		if isCannotMessage(cause) {
			log.Info("Ash could not reach the person: DMs closed", "session_id", id)
			m.opts.Team.AshUpdate(ctx, req.AlertID, Update{Kind: Unreachable, By: req.By, At: m.opts.Clock.Now()})
			return Session{}, ErrUnreachable
		}
		return Session{}, fmt.Errorf("contact for alert %s: %w", req.AlertID, cause)
	}
	ch, err := m.opts.DM.CreateDMChannel(uid, rest.WithCtx(ctx))
	if err != nil {
		return abort(fmt.Errorf("open DM: %w", err))
	}
	conv := Conversation{SessionID: id, UserID: req.UserID, AlertID: req.AlertID, Auto: s.Auto()}
	welcome, err := m.opts.Companion.Welcome(ctx, conv)
	if err != nil || strings.TrimSpace(welcome) == "" {
		log.Warn("companion welcome failed; using the scripted one", "error", errText(err))
		welcome, _ = m.fallback.Welcome(ctx, conv)
	}
	msg, err := m.opts.DM.CreateMessage(ch.ID(), discord.MessageCreate{
		Content: welcome,
		Embeds:  []discord.Embed{ResourcesEmbed(m.opts.ResourcesText)},
		Components: []discord.LayoutComponent{discord.NewActionRow(
			discord.NewSecondaryButton("I'd rather not", ButtonID(ActionOptOut, req.AlertID, id)),
			discord.NewSecondaryButton("End chat", ButtonID(ActionEnd, req.AlertID, id)),
		)},
		AllowedMentions: discordapi.NoMentions(),
	}, rest.WithCtx(ctx))
	if err != nil {
		return abort(fmt.Errorf("send welcome: %w", err))
	}
	at := msg.ID.Time()
	s.StartedAt, s.UpdatedAt, s.DMChannelID, s.WelcomeMessageID = at, at, ch.ID().String(), msg.ID.String()
	// From here on the person has Ash's message: record the contact
	// whatever else fails, so the metrics tell the truth.
	m.opts.Events.Add(events.Event{Type: events.AshContacted, AlertID: req.AlertID, At: at, By: req.By, Auto: s.Auto()})
	m.opts.Events.Add(events.Event{Type: events.SessionStarted, AlertID: req.AlertID, At: at, SessionID: id})
	if err := m.opts.Store.Started(ctx, id, at, s.DMChannelID, s.WelcomeMessageID); err != nil {
		log.Error("session started but not fully stored", "session_id", id, "error", err.Error())
	}
	if err := m.opts.Deadlines.Add(ctx, id, m.deadline(s.StartedAt, s.UpdatedAt)); err != nil {
		log.Error("session deadline not set; the chat will not time out", "session_id", id, "error", err.Error())
	}
	log.Info("Ash reached out", "session_id", id, "auto", s.Auto())
	m.opts.Team.AshUpdate(ctx, req.AlertID, Update{Kind: Engaged, SessionID: id, By: req.By, At: at})
	return s, nil
}

// ResourcesEmbed is the crisis resources as Ash shows them under a
// message that opens a conversation: the welcome, a follow-up check-in.
func ResourcesEmbed(text string) discord.Embed {
	return discord.Embed{Title: "If you need help right now", Description: text, Color: 0x8B5CF6}
}

// deadline is when a chat started at started and last active at updated
// ends by itself: the idle timeout or the maximum, whichever comes first.
func (m *Manager) deadline(started, updated time.Time) time.Time {
	idle, maxAt := updated.Add(m.opts.IdleTimeout), started.Add(m.opts.MaxSession)
	if maxAt.Before(idle) {
		return maxAt
	}
	return idle
}

// End ends a chat for reason at at, once: it records session_ended (not
// for a linked chat, see Session.Linked), takes the buttons off the
// welcome, says goodbye, tells the team and calls OnEnded. It reports
// whether this call ended it.
func (m *Manager) End(ctx context.Context, sessionID string, reason events.EndReason, at time.Time) (bool, error) {
	won, err := m.opts.Store.ClaimEnd(ctx, sessionID, reason, at)
	if err != nil || !won {
		return false, err
	}
	s, err := m.opts.Store.Load(ctx, sessionID)
	if err != nil {
		return true, fmt.Errorf("end session %s: %w", sessionID, err)
	}
	log := m.log.With("session_id", sessionID, "alert_id", s.AlertID, "reason", string(reason))
	if !s.Linked() {
		m.opts.Events.Add(events.Event{Type: events.SessionEnded, AlertID: s.AlertID, At: at, SessionID: sessionID, Reason: reason})
	}
	if err := m.opts.Deadlines.Remove(ctx, sessionID); err != nil {
		log.Warn("session deadline not removed; it will find the session ended", "error", err.Error())
	}
	if err := m.opts.Store.ReleaseUser(ctx, s.UserID, sessionID); err != nil {
		log.Warn("user mapping not released; the next contact clears it", "error", err.Error())
	}
	// What was said goes with the chat (product.md's privacy rule); the
	// retention TTL removes it should this fail.
	if err := m.opts.Chats.Delete(ctx, sessionID); err != nil {
		log.Warn("chat text not deleted; it expires with the message-history retention", "error", err.Error())
	}
	m.goodbye(ctx, s, reason, log)
	log.Info("Ash chat ended")
	m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: Ended, SessionID: sessionID, By: s.By, Reason: reason, At: at})
	m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: SessionNote, SessionID: sessionID, By: s.By, Reason: reason, At: at, Note: noteOf(s, reason, at)})
	if m.opts.OnEnded != nil {
		m.opts.OnEnded(ctx, s)
	}
	return true, nil
}

// goodbye takes the buttons off the welcome of chat s and sends the
// closing that fits reason.
func (m *Manager) goodbye(ctx context.Context, s Session, reason events.EndReason, log *slog.Logger) {
	ch, err := snowflake.Parse(s.DMChannelID)
	if err != nil {
		return // never reached the person
	}
	if welcome, err := snowflake.Parse(s.WelcomeMessageID); err == nil {
		none := []discord.LayoutComponent{}
		if _, err := m.opts.DM.UpdateMessage(ch, welcome, discord.MessageUpdate{Components: &none}, rest.WithCtx(ctx)); err != nil {
			log.Warn("could not remove the buttons from Ash's welcome", "error", err.Error())
		}
	}
	m.sayClosing(ctx, ch, s, reason, log)
}

// sayClosing sends the companion's closing for reason in chat s (the
// scripted one if the companion fails).
func (m *Manager) sayClosing(ctx context.Context, ch snowflake.ID, s Session, reason events.EndReason, log *slog.Logger) {
	conv := Conversation{SessionID: s.ID, UserID: s.UserID, AlertID: s.AlertID, Auto: s.Auto(), Turn: s.Turns}
	text, err := m.opts.Companion.Closing(ctx, conv, reason)
	if err != nil || strings.TrimSpace(text) == "" {
		text, _ = m.fallback.Closing(ctx, conv, reason)
	}
	if _, err := m.opts.DM.CreateMessage(ch, discord.MessageCreate{Content: text, AllowedMentions: discordapi.NoMentions()}, rest.WithCtx(ctx)); err != nil {
		log.Warn("could not send Ash's closing message", "session_id", s.ID, "reason", string(reason), "error", err.Error())
	}
}

// OptOut records that userID wants no contact from Ash, from the
// welcome of sessionID about alertID: the opt-out is stored for its
// retention, user_opted_out is recorded, the chat ends (opted_out) and the
// team is told. It returns when the opt-out ends.
func (m *Manager) OptOut(ctx context.Context, userID, alertID, sessionID string, at time.Time) (time.Time, error) {
	until, err := m.opts.Store.OptOut(ctx, userID, at)
	if err != nil {
		return time.Time{}, fmt.Errorf("opt out: %w", err)
	}
	m.opts.Events.Add(events.Event{Type: events.UserOptedOut, AlertID: alertID, At: at})
	ended, err := m.End(ctx, sessionID, events.EndOptedOut, at)
	if err != nil && !errors.Is(err, ErrNoSession) {
		m.log.Warn("opt-out stored, but ending the chat failed", "session_id", sessionID, "error", err.Error())
	}
	if !ended {
		// The chat had already ended: still confirm to the person and tell
		// the team, who would otherwise ask Ash to try again.
		if s, err := m.opts.Store.Load(ctx, sessionID); err == nil {
			if ch, err := snowflake.Parse(s.DMChannelID); err == nil {
				m.sayClosing(ctx, ch, s, events.EndOptedOut, m.log)
			}
		}
		m.opts.Team.AshUpdate(ctx, alertID, Update{Kind: OptedOut, SessionID: sessionID, At: at, Until: until})
	}
	m.log.Info("person opted out of Ash", "alert_id", alertID, "session_id", sessionID, "until", until)
	return until, nil
}

// Session loads a chat.
func (m *Manager) Session(ctx context.Context, id string) (Session, error) {
	return m.opts.Store.Load(ctx, id)
}

// deadlineRetry is how soon a deadline that could not be handled is tried
// again.
const deadlineRetry = 30 * time.Second

// OnDeadline is the session-deadline poller's handler: it ends chats that
// were idle for the timeout or reached the maximum length, at the time
// they did, and moves the timer of chats that were active meanwhile.
func (m *Manager) OnDeadline(ctx context.Context, d Due) time.Time {
	now := m.opts.Clock.Now()
	s, err := m.opts.Store.Load(ctx, d.Member)
	if errors.Is(err, ErrNoSession) {
		return time.Time{}
	}
	if err != nil {
		m.log.Warn("session deadline: cannot load the session; retrying", "session_id", d.Member, "error", err.Error())
		return now.Add(deadlineRetry)
	}
	if !s.Active() {
		return time.Time{}
	}
	at := m.deadline(s.StartedAt, s.UpdatedAt)
	if at.After(now) {
		// Active since the timer was set: wait for the new deadline.
		if err := m.opts.Deadlines.Add(ctx, s.ID, at); err != nil {
			m.log.Warn("session deadline not moved; retrying", "session_id", s.ID, "error", err.Error())
			return now.Add(deadlineRetry)
		}
		return time.Time{}
	}
	reason := events.EndTimeout
	if at.Equal(s.StartedAt.Add(m.opts.MaxSession)) {
		reason = events.EndMaxDuration
	}
	if _, err := m.End(ctx, s.ID, reason, at); err != nil {
		m.log.Warn("session deadline: ending failed; retrying", "session_id", s.ID, "error", err.Error())
		return now.Add(deadlineRetry)
	}
	return time.Time{}
}

// isCannotMessage reports Discord's "Cannot send messages to this user"
// (403, code 50007): DMs closed or the bot blocked.
func isCannotMessage(err error) bool {
	var re *rest.Error
	return errors.As(err, &re) && re.Code == 50007
}

func errText(err error) string {
	if err == nil {
		return "empty text"
	}
	return err.Error()
}
