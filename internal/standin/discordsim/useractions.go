package discordsim

import (
	"fmt"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// AddBotMember creates another bot user (an integration, not the bot under
// test) and adds it to the guild, so tests can post messages by bots.
func (s *Sim) AddBotMember(name string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &userRec{id: s.nextIDLocked(), name: name, bot: true}
	s.st.users[u.id] = u
	m := &memberRec{userID: u.id, joinedAt: s.nowLocked()}
	s.st.members[u.id] = m
	s.st.memberOrder = append(s.st.memberOrder, u.id)
	s.dispatchMemberLocked("GUILD_MEMBER_ADD", m)
	s.notifyLocked()
	return u.public()
}

// EditMessage changes the text of a message as its author does in the
// client: the edited_timestamp is set and MESSAGE_UPDATE is dispatched
// with the whole message, as Discord does.
func (s *Sim) EditMessage(id snowflake.ID, author User, content string) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.st.messages[id]
	if !ok || m.Deleted {
		return Message{}, fmt.Errorf("discordsim: unknown message %s", id)
	}
	if m.Author.ID != author.ID {
		// Discord: 50005 Cannot edit a message authored by another user.
		return Message{}, fmt.Errorf("discordsim: %s did not write message %s", author.Name, id)
	}
	p := &parsed{}
	p.Content = &content
	if err := p.validate(false); err != nil {
		return Message{}, fmt.Errorf("discordsim: invalid edit: %w", err)
	}
	s.editMessageLocked(m, p, 0)
	s.notifyLocked()
	return m.clone(), nil
}

// StartThread opens a public thread in a text channel as user, without a
// starter message (as the client's "Create Thread" does), and dispatches
// THREAD_CREATE.
func (s *Sim) StartThread(channel ChannelID, user User, name string) (ChannelID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.channels[channel]
	if !ok {
		return 0, fmt.Errorf("discordsim: unknown channel %s", channel)
	}
	if err := s.checkActorLocked(c, user.ID); err != nil {
		return 0, err
	}
	if c.Type != discord.ChannelTypeGuildText {
		return 0, fmt.Errorf("discordsim: threads are started in text channels, not %v", c.Type)
	}
	t := s.addChannelLocked(discord.ChannelTypeGuildPublicThread, name, c.ID, user.ID)
	s.dispatchThreadCreateLocked(t)
	s.recordLocked(Event{Kind: KindThreadCreate, ChannelID: t.ID, Channel: ptr(t.Channel)})
	s.notifyLocked()
	return t.ID, nil
}
