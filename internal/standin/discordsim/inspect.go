package discordsim

import (
	"context"
	"fmt"
	"log/slog"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/disgoorg/snowflake/v2"
)

// EventKind classifies entries of the simulator's event log.
type EventKind string

// Event kinds.
const (
	KindGatewayConnect      EventKind = "gateway.connect"
	KindGatewayClose        EventKind = "gateway.close"
	KindReady               EventKind = "gateway.ready"
	KindResumed             EventKind = "gateway.resumed"
	KindInvalidSession      EventKind = "gateway.invalid_session"
	KindIdentifyRejected    EventKind = "gateway.identify_rejected"
	KindHeartbeat           EventKind = "gateway.heartbeat"
	KindMessageCreate       EventKind = "message.create"
	KindMessageUpdate       EventKind = "message.update"
	KindMessageDelete       EventKind = "message.delete"
	KindNonceDeduplicated   EventKind = "message.nonce_deduplicated"
	KindReactionAdd         EventKind = "reaction.add"
	KindReactionRemove      EventKind = "reaction.remove"
	KindTyping              EventKind = "channel.typing"
	KindChannelCreate       EventKind = "channel.create"
	KindChannelUpdate       EventKind = "channel.update"
	KindChannelDelete       EventKind = "channel.delete"
	KindThreadCreate        EventKind = "thread.create"
	KindInteractionCreate   EventKind = "interaction.create"
	KindInteractionCallback EventKind = "interaction.callback"
	KindCommandsUpdate      EventKind = "commands.update"
	KindMemberUpdate        EventKind = "member.update"
)

// Event is one entry of the log. Only the fields relevant to Kind are set;
// Message, Channel and Callback are snapshots taken when the event happened.
type Event struct {
	Seq  int64
	Kind EventKind
	At   time.Time

	GuildID       snowflake.ID
	ChannelID     ChannelID
	MessageID     snowflake.ID
	InteractionID snowflake.ID
	UserID        snowflake.ID
	SessionID     string
	CloseCode     int // gateway.close: code the client sent (0 = none); identify_rejected: code the sim sent
	Replayed      int // gateway.resumed: dispatches replayed
	Emoji         string

	Message  *Message
	Channel  *Channel
	Before   *Channel // channel.update: state before the change
	Callback *InteractionCallback
}

func (e Event) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "#%d %s", e.Seq, e.Kind)
	if e.ChannelID != 0 {
		fmt.Fprintf(&b, " channel=%s", e.ChannelID)
	}
	if e.MessageID != 0 {
		fmt.Fprintf(&b, " message=%s", e.MessageID)
	}
	if e.InteractionID != 0 {
		fmt.Fprintf(&b, " interaction=%s", e.InteractionID)
	}
	if e.Message != nil && e.Message.Content != "" {
		fmt.Fprintf(&b, " content=%q", e.Message.Content)
	}
	return b.String()
}

// recordLocked appends to the event log and wakes waiters, so callers that
// record a change need no notifyLocked of their own.
func (s *Sim) recordLocked(e Event) {
	s.st.eventSeq++
	e.Seq = s.st.eventSeq
	e.At = s.nowLocked()
	s.st.events = append(s.st.events, e)
	// At debug level the log doubles as a transcript for `make demo`.
	s.log.Debug("event", slog.String("event", e.String()))
	if over := len(s.st.events) - s.opts.MaxLog; over > 0 {
		s.st.events = append(s.st.events[:0:0], s.st.events[over:]...)
	}
	s.notifyLocked()
}

// Events returns the retained event log, oldest first.
func (s *Sim) Events() []Event {
	return s.EventsSince(0)
}

// EventsSince returns the events with Seq > after.
func (s *Sim) EventsSince(after int64) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, _ := slices.BinarySearchFunc(s.st.events, after+1, func(e Event, seq int64) int {
		switch {
		case e.Seq < seq:
			return -1
		case e.Seq > seq:
			return 1
		}
		return 0
	})
	return slices.Clone(s.st.events[i:])
}

// LastEventSeq returns the Seq of the newest event; take it before acting and
// pass it to WaitEvent to wait only for what follows.
func (s *Sim) LastEventSeq() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.eventSeq
}

// WaitEvent waits for the first event after the given Seq that match accepts.
func (s *Sim) WaitEvent(ctx context.Context, after int64, match func(Event) bool) (Event, error) {
	var found Event
	err := s.WaitFor(ctx, func() bool {
		for _, e := range s.EventsSince(after) {
			after = e.Seq
			if match(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// Messages returns the channel's live (not deleted) messages, oldest first.
func (s *Sim) Messages(channel ChannelID) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.st.chanMsgs[channel] {
		if m := s.st.messages[id]; !m.Deleted {
			out = append(out, m.clone())
		}
	}
	return out
}

// AllMessages returns every message ever posted in the channel, deleted ones
// included (with Deleted set).
func (s *Sim) AllMessages(channel ChannelID) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.st.chanMsgs[channel] {
		out = append(out, s.st.messages[id].clone())
	}
	return out
}

// Message returns a message by id (deleted ones too).
func (s *Sim) Message(id snowflake.ID) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.st.messages[id]
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// LastMessage returns the newest live message in the channel.
func (s *Sim) LastMessage(channel ChannelID) (Message, bool) {
	msgs := s.Messages(channel)
	if len(msgs) == 0 {
		return Message{}, false
	}
	return msgs[len(msgs)-1], true
}

// WaitMessage waits until the channel has a live message match accepts and
// returns the oldest such message.
func (s *Sim) WaitMessage(ctx context.Context, channel ChannelID, match func(Message) bool) (Message, error) {
	var found Message
	err := s.WaitFor(ctx, func() bool {
		for _, m := range s.Messages(channel) {
			if match(m) {
				found = m
				return true
			}
		}
		return false
	})
	if err != nil {
		return Message{}, fmt.Errorf("waiting for message in %s: %w", channel, err)
	}
	return found, nil
}

// BotMessages returns the live messages the bot posted in the channel.
func (s *Sim) BotMessages(channel ChannelID) []Message {
	var out []Message
	for _, m := range s.Messages(channel) {
		if m.Author.ID == s.opts.BotUserID {
			out = append(out, m)
		}
	}
	return out
}

// Channel returns a channel, thread or DM channel by id.
func (s *Sim) Channel(id ChannelID) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.channels[id]
	if !ok {
		return Channel{}, false
	}
	return c.Channel, true
}

// Channels returns every channel, thread and DM channel in creation order.
func (s *Sim) Channels() []Channel {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Channel, 0, len(s.st.channelOrder))
	for _, id := range s.st.channelOrder {
		out = append(out, s.st.channels[id].Channel)
	}
	return out
}

// Threads returns the threads whose parent is the given channel.
func (s *Sim) Threads(parent ChannelID) []Channel {
	var out []Channel
	for _, c := range s.Channels() {
		if c.IsThread() && c.ParentID == parent {
			out = append(out, c)
		}
	}
	return out
}

// DMChannel returns the DM channel between the bot and the user, if one was
// opened.
func (s *Sim) DMChannel(userID snowflake.ID) (Channel, bool) {
	s.mu.Lock()
	id, ok := s.st.dms[userID]
	s.mu.Unlock()
	if !ok {
		return Channel{}, false
	}
	return s.Channel(id)
}

// DMs returns the live messages in the DM channel with the user.
func (s *Sim) DMs(userID snowflake.ID) []Message {
	c, ok := s.DMChannel(userID)
	if !ok {
		return nil
	}
	return s.Messages(c.ID)
}

// Commands returns the registered application commands (global and guild).
func (s *Sim) Commands() []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Command, 0, len(s.st.commands))
	for _, c := range s.st.commands {
		out = append(out, c.public())
	}
	return out
}

// Requests returns the retained REST request log, oldest first.
func (s *Sim) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.st.requests)
}

// RequestsTo returns the logged requests whose method matches ("" = any) and
// whose path matches the path.Match pattern (as in Fault.Path).
func (s *Sim) RequestsTo(method, pattern string) []Request {
	var out []Request
	for _, r := range s.Requests() {
		if method != "" && !strings.EqualFold(method, r.Method) {
			continue
		}
		if ok, _ := path.Match(pattern, r.Path); ok || pattern == "" || pattern == "**" {
			out = append(out, r)
		}
	}
	return out
}

// TypingCount returns how often the bot triggered typing in the channel.
func (s *Sim) TypingCount(channel ChannelID) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.typing[channel]
}

// Member returns a member's user and current roles.
func (s *Sim) Member(userID snowflake.ID) (User, []Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.st.members[userID]
	if !ok {
		return User{}, nil, false
	}
	var roles []Role
	for _, id := range m.roles {
		roles = append(roles, s.st.roles[id].public())
	}
	return s.st.users[userID].public(), roles, true
}
