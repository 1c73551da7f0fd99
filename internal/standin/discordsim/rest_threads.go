package discordsim

import (
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
)

// Threads: started from a message or on their own, and joined/left.

type threadBody struct {
	Name                string               `json:"name"`
	Type                *discord.ChannelType `json:"type"`
	AutoArchiveDuration *int                 `json:"auto_archive_duration"`
	Invitable           *bool                `json:"invitable"`
	RateLimitPerUser    int                  `json:"rate_limit_per_user"`
	Message             json.RawMessage      `json:"message"`
}

func (b *threadBody) validate() error {
	if n := utf8.RuneCountInString(b.Name); n < 1 || n > 100 {
		return fieldErr("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if b.AutoArchiveDuration != nil && !validArchiveDuration(*b.AutoArchiveDuration) {
		return fieldErr("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
	}
	return nil
}

func (s *Sim) createThreadFromMessage(q *apiReq) response {
	var b threadBody
	if res := q.decodeValid(&b); res != nil {
		return *res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	if c.Type != discord.ChannelTypeGuildText && c.Type != discord.ChannelTypeGuildNews {
		return invalidChannelType()
	}
	// CREATE_PUBLIC_THREADS: "Allows for creating public and announcement
	// threads" (https://discord.com/developers/docs/topics/permissions).
	if res := s.requireLocked(c, discord.PermissionCreatePublicThreads); res != nil {
		return *res
	}
	m, ok := s.messageInLocked(c, q)
	if !ok {
		return unknownMessage()
	}
	if m.ThreadID != 0 {
		return errResp(http.StatusBadRequest, CodeThreadAlreadyCreated, "A thread has already been created for this message")
	}
	typ := discord.ChannelTypeGuildPublicThread
	if c.Type == discord.ChannelTypeGuildNews {
		typ = discord.ChannelTypeGuildNewsThread
	}
	// On Discord a thread started from a message shares the message's id.
	t := s.addChannelWithIDLocked(m.ID, typ, b.Name, c.ID, s.opts.BotUserID)
	t.FromMessage = true
	if b.AutoArchiveDuration != nil {
		t.AutoArchiveDuration = *b.AutoArchiveDuration
	}
	m.ThreadID = t.ID
	m.Flags |= discord.MessageFlagHasThread
	s.dispatchThreadCreateLocked(t)
	s.recordLocked(Event{Kind: KindThreadCreate, ChannelID: t.ID, MessageID: m.ID, Channel: ptr(t.Channel)})
	return jsonResp(http.StatusCreated, s.channelWire(t))
}

func (s *Sim) createThread(q *apiReq) response {
	var b threadBody
	if res := q.decodeValid(&b); res != nil {
		return *res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	if (c.Type != discord.ChannelTypeGuildText && c.Type != discord.ChannelTypeGuildNews) || len(b.Message) > 0 {
		// Forum/media posts (a "message" body) are not simulated.
		return invalidChannelType()
	}
	typ := discord.ChannelTypeGuildPrivateThread
	if b.Type != nil {
		typ = *b.Type
	}
	switch typ {
	case discord.ChannelTypeGuildPublicThread, discord.ChannelTypeGuildPrivateThread, discord.ChannelTypeGuildNewsThread:
	default:
		return formResp(fieldErr("type", "BASE_TYPE_CHOICES", "Value must be one of {10, 11, 12}."))
	}
	need := discord.PermissionCreatePublicThreads
	if typ == discord.ChannelTypeGuildPrivateThread {
		need = discord.PermissionCreatePrivateThreads
	}
	if res := s.requireLocked(c, need); res != nil {
		return *res
	}
	t := s.addChannelLocked(typ, b.Name, c.ID, s.opts.BotUserID)
	if b.AutoArchiveDuration != nil {
		t.AutoArchiveDuration = *b.AutoArchiveDuration
	}
	if b.Invitable != nil {
		t.Invitable = *b.Invitable
	}
	s.dispatchThreadCreateLocked(t)
	s.recordLocked(Event{Kind: KindThreadCreate, ChannelID: t.ID, Channel: ptr(t.Channel)})
	return jsonResp(http.StatusCreated, s.channelWire(t))
}

func (s *Sim) threadMemberNoop(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	if !c.IsThread() {
		return invalidChannelType()
	}
	return noContent()
}
