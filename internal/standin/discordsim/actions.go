package discordsim

import (
	"errors"
	"fmt"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// File is an attachment a simulated user uploads.
type File struct {
	Name        string
	Description string
	Data        []byte
}

// SendOptions describes a message a simulated user sends.
type SendOptions struct {
	Content string
	// ReplyTo makes the message a reply to that message (same channel).
	ReplyTo snowflake.ID
	Files   []File
}

// SendMessage posts content as author in a guild channel, thread or DM
// channel and dispatches MESSAGE_CREATE. In guild channels author must be a
// member; in DM channels the DM's recipient.
func (s *Sim) SendMessage(channel ChannelID, author User, content string) (Message, error) {
	return s.SendMessageWith(channel, author, SendOptions{Content: content})
}

// SendMessageWith is SendMessage with replies and attachments.
func (s *Sim) SendMessageWith(channel ChannelID, author User, opts SendOptions) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.channels[channel]
	if !ok {
		return Message{}, fmt.Errorf("discordsim: unknown channel %s", channel)
	}
	if err := s.checkActorLocked(c, author.ID); err != nil {
		return Message{}, err
	}
	p := &parsed{}
	p.Content = &opts.Content
	if opts.ReplyTo != 0 {
		p.MessageReference = &discord.MessageReference{MessageID: &opts.ReplyTo}
	}
	if len(opts.Files) > 0 {
		refs := make([]attachmentRef, len(opts.Files))
		for i, f := range opts.Files {
			p.uploads = append(p.uploads, upload{index: i, filename: f.Name, data: f.Data})
			refs[i] = attachmentRef{ID: []byte(fmt.Sprint(i)), Description: ptr(f.Description)}
		}
		p.Attachments = &refs
	}
	if err := p.validate(true); err != nil {
		return Message{}, fmt.Errorf("discordsim: invalid message: %w", err)
	}
	if res := s.canPostLocked(c, author.ID); res != nil {
		return Message{}, fmt.Errorf("discordsim: cannot post in %s: %v", channel, res.body)
	}
	m, res := s.buildMessageLocked(c, author.ID, p, channelFlagsAllowed)
	if res != nil {
		return Message{}, fmt.Errorf("discordsim: cannot post in %s: %v", channel, res.body)
	}
	s.insertMessageLocked(m)
	return m.clone(), nil
}

func (s *Sim) checkActorLocked(c *channelRec, user snowflake.ID) error {
	u, ok := s.st.users[user]
	if !ok {
		return fmt.Errorf("discordsim: unknown user %s", user)
	}
	if user == s.opts.BotUserID {
		return errors.New("discordsim: act as the bot through the REST API, not the simulator")
	}
	if c.GuildID != 0 {
		if _, ok := s.st.members[user]; !ok {
			return fmt.Errorf("discordsim: %s is not a member of the guild", u.name)
		}
		return nil
	}
	if c.RecipientID != user {
		return fmt.Errorf("discordsim: %s is not the recipient of DM channel %s", u.name, c.ID)
	}
	return nil
}

// React adds a unicode emoji reaction as user and dispatches
// MESSAGE_REACTION_ADD (to sessions with the reactions intent).
func (s *Sim) React(messageID snowflake.ID, user User, emoji string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.st.messages[messageID]
	if !ok || m.Deleted {
		return fmt.Errorf("discordsim: unknown message %s", messageID)
	}
	c := s.st.channels[m.ChannelID]
	if c == nil {
		return fmt.Errorf("discordsim: message %s is in an unknown channel", messageID)
	}
	if err := s.checkActorLocked(c, user.ID); err != nil {
		return err
	}
	s.reactLocked(m, user.ID, emoji, true)
	return nil
}
