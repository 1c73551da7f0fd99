package ash

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/rest"
	"github.com/disgoorg/snowflake/v2"

	"github.com/alphabetcartel/ashbot/internal/companion"
	"github.com/alphabetcartel/ashbot/internal/discordapi"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// Safety is the rules that do not depend on the model, read on every
// message the person sends (package safety holds Ash's own).
type Safety interface {
	// Concern reports a message about suicide, self-harm, an overdose, a
	// plan or a method, and names the topic in a word.
	Concern(text string) (topic string, ok bool)
	// WantsHuman reports a message asking for a person ("are you a bot").
	WantsHuman(text string) bool
}

// Classifier classifies one of the person's messages the way detection
// does (Ash-NLP): "" or "safe" for nothing of concern. An error means the
// message was not classified; it never holds Ash's reply back.
type Classifier interface {
	Classify(ctx context.Context, text string) (events.Severity, error)
}

// Texts Ash says when its model cannot answer. Reviewed like the scripted
// ones: they promise nothing the bot cannot keep.
const (
	HoldingText  = "I'm still here, just taking a moment to find the right words. 💜"
	FallbackText = "I'm sorry, I'm having trouble finding my words right now, but I'm still here with you. " +
		"You can keep writing, and someone from our Crisis Response Team can talk with you too. " +
		"The resources above are there any time."
)

// NoTextTurn stands for a message of the person's without text (an image
// or a sticker alone) in what the model is sent.
const NoTextTurn = "[The person sent something without text, such as an image or a sticker.]"

// FallbackEmpty is the fallback kind of a model that answered with no
// text (a refusal); the others are companion.Kind values.
const FallbackEmpty = "empty"

// maxRounds bounds how many replies one incoming message may drive: each
// answers every message that arrived before it, so more than a few means
// something keeps failing to be stored.
const maxRounds = 5

// typingEvery renews the typing indicator, which Discord shows for about
// ten seconds (https://discord.com/developers/docs/resources/channel#trigger-typing-indicator).
// It runs on the wall clock: it is what the person sees, not bot time.
const typingEvery = 8 * time.Second

// HandleMessage takes a DM from userID. Messages outside a chat are
// ignored: Ash only speaks in chats the team started. The message is
// stored with the chat (once, however many replicas got it), checked by
// the safety rules and classified, and answered: one reply is in flight
// per chat, and messages that arrive while it is written are answered
// together in the next.
func (m *Manager) HandleMessage(ctx context.Context, userID string, channelID, messageID snowflake.ID, content string) error {
	s, ok, err := m.opts.Store.ActiveFor(ctx, userID)
	if err != nil {
		return fmt.Errorf("handle DM %s: %w", messageID, err)
	}
	if !ok {
		return nil
	}
	at := messageID.Time()
	if isEndPhrase(content, m.opts.EndPhrases) {
		_, err := m.End(ctx, s.ID, events.EndUserEnded, at)
		return err
	}
	topic, concern := m.opts.Safety.Concern(content)
	text, blank := content, strings.TrimSpace(content) == ""
	if blank {
		// An image or a sticker alone: the APIs refuse an empty turn, and
		// Ash should still answer.
		text = NoTextTurn
	}
	turn := ChatTurn{Role: roleUser, Text: text, At: at.UnixMilli(), MessageID: messageID.String()}
	if concern {
		turn.Concern = topic
	}
	added, err := m.opts.Chats.Append(ctx, s.ID, turn)
	if err != nil {
		return fmt.Errorf("handle DM in session %s: %w", s.ID, err)
	}
	if !added {
		return nil // another replica has it
	}
	n, err := m.opts.Store.Touch(ctx, s.ID, at)
	if err != nil {
		return fmt.Errorf("handle DM in session %s: %w", s.ID, err)
	}
	if n < 0 {
		// Ended meanwhile: its text must not outlive it.
		return m.opts.Chats.Delete(ctx, s.ID)
	}
	if err := m.opts.Deadlines.Add(ctx, s.ID, m.deadline(s.StartedAt, at)); err != nil {
		m.log.Warn("session deadline not moved", "session_id", s.ID, "error", err.Error())
	}
	if concern {
		m.log.Info("safety rule: concern in the person's message; resources go with the reply", "session_id", s.ID, "alert_id", s.AlertID, "topic", topic)
		m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: Concern, SessionID: s.ID, By: s.By, At: at, Topic: topic})
	}
	if !blank {
		done := make(chan struct{})
		go func() {
			defer close(done)
			m.classify(context.WithoutCancel(ctx), s, n, content, at)
		}()
		defer func() { <-done }()
	}
	if m.opts.Safety.WantsHuman(content) {
		return m.handoff(ctx, s, channelID, concern, at)
	}
	return m.reply(ctx, s.ID, channelID)
}

// classify records Ash-NLP's class of message n and tells the team when it
// rises to high or critical above the alert's and what they were told.
func (m *Manager) classify(ctx context.Context, s Session, n int, text string, at time.Time) {
	if m.opts.Classifier == nil {
		return
	}
	sev, err := m.opts.Classifier.Classify(ctx, text)
	if err != nil {
		m.log.Warn("a message in an Ash chat was not classified", "session_id", s.ID, "error", err.Error())
		return
	}
	if sev == "" {
		sev = SeveritySafe
	}
	rose, err := m.opts.Store.Classified(ctx, s.ID, n, sev)
	if err != nil {
		m.log.Warn("a chat message's class not stored", "session_id", s.ID, "error", err.Error())
		return
	}
	if rose {
		m.log.Info("severity rose during an Ash chat", "session_id", s.ID, "alert_id", s.AlertID, "severity", string(sev))
		m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: SeverityRise, SessionID: s.ID, By: s.By, At: at, Severity: sev})
	}
}

// handoff answers a request for a human: the team is told (with the
// context when enabled) and the chat ends with reason handoff, whose
// closing tells the person that a CRT member is coming.
func (m *Manager) handoff(ctx context.Context, s Session, channelID snowflake.ID, concern bool, at time.Time) error {
	if concern {
		m.send(ctx, s, channelID, m.opts.ResourcesText, m.log)
	}
	u := Update{Kind: HandoffRequested, SessionID: s.ID, By: s.By, At: at}
	if m.opts.HandoffContext {
		u.Handoff = m.handoffContext(ctx, s.ID, at)
	}
	m.log.Info("the person asked for a human; handing the chat to the CRT", "session_id", s.ID, "alert_id", s.AlertID)
	m.opts.Team.AshUpdate(ctx, s.AlertID, u)
	_, err := m.End(ctx, s.ID, events.EndHandoff, at)
	return err
}

// handoffContext is what the CRT member who takes over reads: never more
// than the last three messages of the person.
func (m *Manager) handoffContext(ctx context.Context, sessionID string, at time.Time) *HandoffContext {
	s, err := m.opts.Store.Load(ctx, sessionID)
	if err != nil {
		m.log.Warn("handoff context unavailable", "session_id", sessionID, "error", err.Error())
		return nil
	}
	hc := &HandoffContext{Duration: at.Sub(s.StartedAt), Messages: s.Turns, Severities: s.SeverityList()}
	turns, err := m.opts.Chats.Turns(ctx, sessionID)
	if err != nil {
		m.log.Warn("handoff context without the person's messages", "session_id", sessionID, "error", err.Error())
	}
	for _, t := range turns {
		if t.Role == roleUser {
			hc.Last = append(hc.Last, t.Text)
		}
	}
	if len(hc.Last) > 3 {
		hc.Last = hc.Last[len(hc.Last)-3:]
	}
	return hc
}

// replyLockTTL outlives the longest reply: a call, the holding message and
// one retry, each bounded by the reply timeout. A replica that dies while
// holding it blocks the chat's replies for that long at most.
func (m *Manager) replyLockTTL() time.Duration { return 2*m.opts.ReplyTimeout + 30*time.Second }

// reply answers the person's messages that have no answer yet, one reply
// per hold of the chat's reply claim: messages that arrive while it is
// written are stored, and answered together by the next. After letting go
// it looks once more, so that a message stored just before the release
// (whose own handler found the claim taken) is never left unanswered.
func (m *Manager) reply(ctx context.Context, sessionID string, channelID snowflake.ID) error {
	for range maxRounds {
		token, err := m.opts.Chats.Lock(ctx, sessionID, m.replyLockTTL())
		if err != nil || token == "" {
			return err // "": the holder answers this message too
		}
		err = m.replyOnce(ctx, sessionID, channelID)
		if uerr := m.opts.Chats.Unlock(context.WithoutCancel(ctx), sessionID, token); uerr != nil {
			m.log.Warn("reply claim not released; it expires", "session_id", sessionID, "error", uerr.Error())
		}
		if err != nil || !m.unanswered(ctx, sessionID) {
			return err
		}
	}
	m.log.Warn("Ash stopped answering after several rounds; the next message tries again", "session_id", sessionID)
	return nil
}

// unanswered reports whether the person's latest message has no reply. An
// ended chat has no text left to answer (End deletes it).
func (m *Manager) unanswered(ctx context.Context, sessionID string) bool {
	turns, err := m.opts.Chats.Turns(ctx, sessionID)
	return err == nil && len(turns) > 0 && turns[len(turns)-1].Role == roleUser
}

// replyOnce answers, claim held, the person's messages after Ash's last
// reply, if the chat goes on.
func (m *Manager) replyOnce(ctx context.Context, sessionID string, channelID snowflake.ID) error {
	s, err := m.opts.Store.Load(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("reply in session %s: %w", sessionID, err)
	}
	if !s.Active() {
		return nil
	}
	turns, err := m.opts.Chats.Turns(ctx, sessionID)
	if err != nil {
		return fmt.Errorf("reply in session %s: %w", sessionID, err)
	}
	pending := unansweredTurns(turns)
	if len(pending) == 0 {
		return nil
	}
	text, err := m.compose(ctx, s, turns, pending, channelID)
	if err != nil {
		return err
	}
	shown := text
	for _, t := range pending {
		if t.Concern != "" {
			shown += "\n\n" + m.opts.ResourcesText
			break
		}
	}
	if err := m.send(ctx, s, channelID, shown, m.log); err != nil {
		return err
	}
	// The resources are left out of the history: they are the bot's,
	// shown with the welcome already, and would eat the budget.
	reply := ChatTurn{Role: roleAssistant, Text: text, At: m.opts.Clock.Now().UnixMilli()}
	if err := m.opts.Chats.Answer(ctx, sessionID, pending[len(pending)-1], reply); err != nil {
		return fmt.Errorf("reply in session %s: %w", sessionID, err)
	}
	return nil
}

// unansweredTurns returns the person's messages after Ash's last reply.
func unansweredTurns(turns []ChatTurn) []ChatTurn {
	i := len(turns)
	for i > 0 && turns[i-1].Role == roleUser {
		i--
	}
	return turns[i:]
}

// compose writes Ash's answer to pending: the model's when one is
// configured and working, else the scripted reply. Whatever the model
// does, the person gets an answer: past the reply timeout a holding
// message and one retry, then the fallback text.
func (m *Manager) compose(ctx context.Context, s Session, turns, pending []ChatTurn, channelID snowflake.ID) (string, error) {
	conv := Conversation{SessionID: s.ID, UserID: s.UserID, AlertID: s.AlertID, Auto: s.Auto(), Turn: s.Turns}
	if m.opts.Model == nil || m.scripted.Load() {
		return m.scriptedReply(ctx, conv, pending), nil
	}
	welcome, err := m.opts.Companion.Welcome(ctx, conv)
	if err != nil || strings.TrimSpace(welcome) == "" {
		welcome, _ = m.fallback.Welcome(ctx, conv)
	}
	system := m.system + situation(s.Auto(), welcome)
	req := companion.Request{System: system, Turns: buildTurns(system, turns, m.opts.Budget)}
	stop := m.typing(ctx, channelID, s.ID)
	defer stop()
	rep, err := m.opts.Model.Complete(ctx, req)
	if companion.KindOf(err) == companion.Timeout {
		m.send(ctx, s, channelID, HoldingText, m.log)
		rep, err = m.opts.Model.Complete(ctx, req)
	}
	if err == nil && strings.TrimSpace(rep.Text) != "" {
		return rep.Text, nil
	}
	kind := string(companion.KindOf(err))
	switch {
	case err == nil:
		kind = FallbackEmpty
	case kind == string(companion.Canceled) || ctx.Err() != nil:
		return "", fmt.Errorf("reply in session %s: %w", s.ID, err)
	case kind == "":
		kind = string(companion.Unreachable)
	}
	if kind == string(companion.Auth) {
		m.toScripted(ctx, s, err)
		return m.scriptedReply(ctx, conv, pending), nil
	}
	m.modelTrouble(ctx, s, kind)
	return FallbackText, nil
}

func (m *Manager) scriptedReply(ctx context.Context, conv Conversation, pending []ChatTurn) string {
	var texts []string
	for _, t := range pending {
		texts = append(texts, t.Text)
	}
	reply, err := m.opts.Companion.Reply(ctx, conv, strings.Join(texts, "\n\n"))
	if err != nil || strings.TrimSpace(reply) == "" {
		reply, _ = m.fallback.Reply(ctx, conv, "")
	}
	return reply
}

// toScripted switches every chat of this process to the scripted texts:
// a key the API refuses will not work on the next message either, and
// retrying would only fail each reply slowly. One loud log line and one
// notice to the team, however many chats run; a restart (with a fixed
// key) brings the model back.
func (m *Manager) toScripted(ctx context.Context, s Session, err error) {
	m.countFallback(string(companion.Auth))
	if !m.scripted.CompareAndSwap(false, true) {
		return
	}
	m.log.Error("Ash's language model refused its key (HTTP 401/403): every chat now uses the scripted texts until the bot restarts; check BOT_ASH_API_KEY",
		"session_id", s.ID, "error", err.Error())
	m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: ModelTrouble, SessionID: s.ID, By: s.By, At: m.opts.Clock.Now(), Detail: string(companion.Auth)})
}

// modelTrouble counts a fallback and tells the team, once per chat and
// kind: a model that stays down must not flood the thread.
func (m *Manager) modelTrouble(ctx context.Context, s Session, kind string) {
	m.countFallback(kind)
	m.log.Warn("Ash's model did not answer; the person got the fallback text", "session_id", s.ID, "kind", kind)
	first, err := m.opts.Store.FirstTrouble(ctx, s.ID, kind)
	if err != nil {
		m.log.Warn("model trouble not recorded; telling the team anyway", "session_id", s.ID, "error", err.Error())
	}
	if first || err != nil {
		m.opts.Team.AshUpdate(ctx, s.AlertID, Update{Kind: ModelTrouble, SessionID: s.ID, By: s.By, At: m.opts.Clock.Now(), Detail: kind})
	}
}

func (m *Manager) countFallback(kind string) {
	if m.opts.OnFallback != nil {
		m.opts.OnFallback(kind)
	}
}

// typing shows the typing indicator in channel until the returned stop is
// called.
func (m *Manager) typing(ctx context.Context, channel snowflake.ID, sessionID string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(typingEvery)
		defer t.Stop()
		for {
			if err := m.opts.DM.SendTyping(channel, rest.WithCtx(ctx)); err != nil && ctx.Err() == nil {
				m.log.Debug("typing indicator not shown", "session_id", sessionID, "error", err.Error())
			}
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return func() { cancel(); <-done }
}

// send writes text to the person as plain messages under Discord's limit
// that can mention nobody (a model's "@everyone" or "<@id>" stays text)
// and show no link previews. A DM that can no longer be sent (closed, or
// the bot blocked) ends the chat, and the team hears of it.
func (m *Manager) send(ctx context.Context, s Session, channel snowflake.ID, text string, log *slog.Logger) error {
	for _, part := range Split(text, MaxMessage) {
		_, err := m.opts.DM.CreateMessage(channel, discord.MessageCreate{
			Content: part, AllowedMentions: discordapi.NoMentions(), Flags: discord.MessageFlagSuppressEmbeds,
		}, rest.WithCtx(ctx))
		if err == nil {
			continue
		}
		if isCannotMessage(err) {
			if _, endErr := m.End(ctx, s.ID, events.EndError, m.opts.Clock.Now()); endErr != nil && !errors.Is(endErr, ErrNoSession) {
				log.Warn("could not end a chat Ash can no longer answer", "session_id", s.ID, "error", endErr.Error())
			}
		}
		return fmt.Errorf("reply in session %s: %w", s.ID, err)
	}
	return nil
}

// ModelOff reports whether the model refused its key and every chat of
// this process uses the scripted texts.
func (m *Manager) ModelOff() bool { return m.scripted.Load() }

// ActiveChats counts the chats going on, across replicas: each has a
// deadline timer until it ends.
func (m *Manager) ActiveChats(ctx context.Context) (int64, error) { return m.opts.Deadlines.Len(ctx) }

// noteOf summarises chat s, ended for reason at at: no text of it.
func noteOf(s Session, reason events.EndReason, at time.Time) *Note {
	n := &Note{Duration: at.Sub(s.StartedAt), Messages: s.Turns, Reason: reason, HandedOff: reason == events.EndHandoff}
	for _, sev := range s.SeverityList() {
		if sev.Rank() > n.Highest.Rank() || (n.Highest == "" && sev == SeveritySafe) {
			n.Highest = sev
		}
	}
	return n
}
