package discordsim

import (
	"net/http"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
)

// channelFlagsAllowed are the flags a bot may set on an ordinary message.
const channelFlagsAllowed = discord.MessageFlagSuppressEmbeds | discord.MessageFlagSuppressNotifications | discord.MessageFlagIsVoiceMessage

func (s *Sim) channelLocked(q *apiReq) (*channelRec, bool) {
	id, ok := q.id("channel")
	if !ok {
		return nil, false
	}
	c, ok := s.st.channels[id]
	return c, ok
}

func (s *Sim) messageInLocked(c *channelRec, q *apiReq) (*Message, bool) {
	id, ok := q.id("message")
	if !ok {
		return nil, false
	}
	m, ok := s.st.messages[id]
	if !ok || m.ChannelID != c.ID || m.Deleted {
		return nil, false
	}
	return m, true
}

// channelMessageLocked resolves {channel} and {message}, answering 10003 or
// 10008 when either is unknown.
func (s *Sim) channelMessageLocked(q *apiReq) (*Message, *response) {
	c, ok := s.channelLocked(q)
	if !ok {
		return nil, ptr(unknownChannel())
	}
	m, ok := s.messageInLocked(c, q)
	if !ok {
		return nil, ptr(unknownMessage())
	}
	return m, nil
}

// messageResp is the REST rendering of a message.
func (s *Sim) messageResp(m *Message) response {
	return jsonResp(http.StatusOK, s.messageWire(m, s.restBlankLocked(), false, 0))
}

func (s *Sim) getChannel(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	return jsonResp(http.StatusOK, s.channelWire(c))
}

func (s *Sim) deleteChannel(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	// MANAGE_CHANNELS, or MANAGE_THREADS for a thread
	// (https://discord.com/developers/docs/resources/channel#deleteclose-channel).
	need := discord.PermissionManageChannels
	if c.IsThread() {
		need = discord.PermissionManageThreads
	}
	if res := s.requireLocked(c, need); res != nil {
		return *res
	}
	w := s.channelWire(c)
	delete(s.st.channels, c.ID)
	s.st.channelOrder = slices.DeleteFunc(s.st.channelOrder, func(id snowflake.ID) bool { return id == c.ID })
	if c.Type == discord.ChannelTypeDM {
		delete(s.st.dms, c.RecipientID)
	} else if c.IsThread() {
		s.dispatchGuildLocked("THREAD_DELETE", gateway.IntentGuilds, map[string]any{"id": c.ID, "guild_id": c.GuildID, "parent_id": c.ParentID, "type": c.Type})
	} else {
		s.dispatchGuildLocked("CHANNEL_DELETE", gateway.IntentGuilds, w)
	}
	s.recordLocked(Event{Kind: KindChannelDelete, ChannelID: c.ID, Channel: ptr(c.Channel)})
	return jsonResp(http.StatusOK, w)
}

func (s *Sim) updateChannel(q *apiReq) response {
	var d struct {
		Name                *string `json:"name"`
		Topic               *string `json:"topic"`
		Archived            *bool   `json:"archived"`
		Locked              *bool   `json:"locked"`
		Invitable           *bool   `json:"invitable"`
		AutoArchiveDuration *int    `json:"auto_archive_duration"`
	}
	if res := q.decodeValid(&d); res != nil {
		return *res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	if c.Type == discord.ChannelTypeDM {
		return invalidChannelType()
	}
	if d.Name != nil {
		if n := utf8.RuneCountInString(*d.Name); n < 1 || n > 100 {
			return formResp(fieldErr("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length."))
		}
	}
	if !c.IsThread() && (d.Archived != nil || d.Locked != nil || d.Invitable != nil || d.AutoArchiveDuration != nil) {
		return invalidChannelType()
	}
	if d.AutoArchiveDuration != nil && !validArchiveDuration(*d.AutoArchiveDuration) {
		return formResp(fieldErr("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}."))
	}
	if res := s.requireLocked(c, modifyChannelPerms(c, d.Archived, d.Locked, d.Name != nil || d.Topic != nil || d.Invitable != nil || d.AutoArchiveDuration != nil)); res != nil {
		return *res
	}
	before := c.Channel
	if d.Name != nil {
		c.Name = *d.Name
	}
	if d.Topic != nil {
		c.Topic = *d.Topic
	}
	if d.Locked != nil {
		c.Locked = *d.Locked
	}
	if d.Invitable != nil {
		c.Invitable = *d.Invitable
	}
	if d.AutoArchiveDuration != nil {
		c.AutoArchiveDuration = *d.AutoArchiveDuration
	}
	if d.Archived != nil && *d.Archived != c.Archived {
		c.Archived = *d.Archived
		c.ArchivedAt = s.nowLocked()
	}
	if c.IsThread() {
		s.dispatchGuildLocked("THREAD_UPDATE", gateway.IntentGuilds, s.channelWire(c))
	} else {
		s.dispatchChannelLocked("CHANNEL_UPDATE", c)
	}
	s.recordLocked(Event{Kind: KindChannelUpdate, ChannelID: c.ID, Channel: ptr(c.Channel), Before: &before})
	return jsonResp(http.StatusOK, s.channelWire(c))
}

// modifyChannelPerms is what a PATCH of c takes: MANAGE_CHANNELS for a
// channel; for a thread only SEND_MESSAGES when it just unarchives an
// unlocked thread, else MANAGE_THREADS
// (https://discord.com/developers/docs/resources/channel#modify-channel-json-params-thread).
func modifyChannelPerms(c *channelRec, archived, locked *bool, other bool) discord.Permissions {
	if !c.IsThread() {
		return discord.PermissionManageChannels
	}
	unarchiveOnly := archived != nil && !*archived && (locked == nil || !*locked) && !other && !c.Locked
	if unarchiveOnly {
		return discord.PermissionSendMessages
	}
	return discord.PermissionManageThreads
}

func validArchiveDuration(m int) bool {
	return m == 60 || m == 1440 || m == 4320 || m == 10080
}

func (s *Sim) listMessages(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	if res := s.requireLocked(c, discord.PermissionViewChannel); res != nil {
		return *res
	}
	vals := q.r.URL.Query()
	limit := 50
	if v := vals.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return formResp(fieldErr("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 100."))
		}
		limit = n
	}
	parseID := func(k string) snowflake.ID {
		id, _ := snowflake.Parse(vals.Get(k))
		return id
	}
	before, after, around := parseID("before"), parseID("after"), parseID("around")
	var ids []snowflake.ID
	if s.requireLocked(c, discord.PermissionReadMessageHistory) != nil {
		// "If the current user is missing the READ_MESSAGE_HISTORY
		// permission in the channel, then no messages will be returned."
		// (https://discord.com/developers/docs/resources/message#get-channel-messages)
		return jsonResp(http.StatusOK, []discord.Message{})
	}
	for _, id := range s.st.chanMsgs[c.ID] {
		if !s.st.messages[id].Deleted {
			ids = append(ids, id)
		}
	}
	var sel []snowflake.ID
	switch {
	case around != 0:
		i, _ := slices.BinarySearch(ids, around)
		lo := max(0, i-limit/2)
		hi := min(len(ids), lo+limit)
		sel = ids[lo:hi]
	case after != 0:
		i, found := slices.BinarySearch(ids, after)
		if found {
			i++
		}
		sel = ids[i:min(len(ids), i+limit)]
	default:
		hi := len(ids)
		if before != 0 {
			hi, _ = slices.BinarySearch(ids, before)
		}
		sel = ids[max(0, hi-limit):hi]
	}
	out := make([]discord.Message, 0, len(sel))
	for i := len(sel) - 1; i >= 0; i-- { // newest first, as Discord returns them
		out = append(out, s.messageWire(s.st.messages[sel[i]], s.restBlankLocked(), false, 0))
	}
	return jsonResp(http.StatusOK, out)
}

func (s *Sim) getMessage(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	// VIEW_CHANNEL and READ_MESSAGE_HISTORY
	// (https://discord.com/developers/docs/resources/message#get-channel-message).
	if c, ok := s.channelLocked(q); ok {
		if res := s.requireLocked(c, discord.PermissionViewChannel|discord.PermissionReadMessageHistory); res != nil {
			return *res
		}
	}
	m, res := s.channelMessageLocked(q)
	if res != nil {
		return *res
	}
	return s.messageResp(m)
}

// canPostLocked applies Discord's checks for a new message in c by author.
// It may unarchive a thread, as posting into an unlocked archived thread does.
func (s *Sim) canPostLocked(c *channelRec, author snowflake.ID) *response {
	switch {
	case c.Type == discord.ChannelTypeDM:
		if author == s.opts.BotUserID {
			u := s.st.users[c.RecipientID]
			if u == nil || u.dmsClosed || u.bot {
				return ptr(errResp(http.StatusForbidden, CodeCannotMessageUser, "Cannot send messages to this user"))
			}
		}
	case c.IsThread():
		if c.Archived {
			if c.Locked {
				return ptr(errResp(http.StatusBadRequest, CodeThreadArchived, "Thread is locked"))
			}
			c.Archived = false
			c.ArchivedAt = s.nowLocked()
			s.dispatchGuildLocked("THREAD_UPDATE", gateway.IntentGuilds, s.channelWire(c))
			s.recordLocked(Event{Kind: KindChannelUpdate, ChannelID: c.ID, Channel: ptr(c.Channel)})
		}
	case c.Type == discord.ChannelTypeGuildText || c.Type == discord.ChannelTypeGuildNews:
	default:
		return ptr(invalidChannelType())
	}
	return nil
}

func (s *Sim) createMessage(q *apiReq) response {
	p, err := parseMessage(q.r, q.body, true)
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	bot := s.opts.BotUserID
	reply := p.MessageReference != nil && p.MessageReference.MessageID != nil
	if res := s.requireLocked(c, sendPermsFor(c, reply, len(p.uploads) > 0)); res != nil {
		return *res
	}
	if p.EnforceNonce && p.nonce != "" {
		if prev, ok := s.st.nonces[nonceKey{bot, p.nonce}]; ok && s.nowLocked().Sub(prev.at) <= s.opts.NonceWindow {
			if m, ok := s.st.messages[prev.messageID]; ok {
				s.recordLocked(Event{Kind: KindNonceDeduplicated, ChannelID: m.ChannelID, MessageID: m.ID, Message: ptr(m.clone())})
				return s.messageResp(m)
			}
		}
	}
	if res := s.canPostLocked(c, bot); res != nil {
		return *res
	}
	m, res := s.buildMessageLocked(c, bot, p, channelFlagsAllowed)
	if res != nil {
		return *res
	}
	s.insertMessageLocked(m)
	return s.messageResp(m)
}

// buildMessageLocked turns a validated payload into a message (not yet stored).
func (s *Sim) buildMessageLocked(c *channelRec, author snowflake.ID, p *parsed, allowedFlags discord.MessageFlags) (*Message, *response) {
	id := s.nextIDLocked()
	m := &Message{
		ID:              id,
		ChannelID:       c.ID,
		GuildID:         c.GuildID,
		Type:            discord.MessageTypeDefault,
		Author:          s.st.users[author].public(),
		TTS:             p.TTS,
		Nonce:           p.nonce,
		EnforceNonce:    p.EnforceNonce,
		AllowedMentions: p.AllowedMentions,
		Components:      p.components,
		CreatedAt:       SnowflakeTime(id),
	}
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	if p.Flags != nil {
		m.Flags = *p.Flags & allowedFlags
	}
	var ref *Message
	if r := p.MessageReference; r != nil && r.MessageID != nil {
		target, ok := s.st.messages[*r.MessageID]
		refChannel := c.ID
		if r.ChannelID != nil {
			refChannel = *r.ChannelID
		}
		if !ok || target.Deleted || target.ChannelID != refChannel {
			return nil, ptr(formResp(fieldErr("message_reference", "MESSAGE_REFERENCE_UNKNOWN_MESSAGE", "Unknown message")))
		}
		ref = target
		m.Type = discord.MessageTypeReply
		m.Reference = &discord.MessageReference{MessageID: &target.ID, ChannelID: &target.ChannelID}
		if target.GuildID != 0 {
			m.Reference.GuildID = &target.GuildID
		}
	}
	if err := embedFilesMatch(p, nil, false); err != nil {
		return nil, ptr(formResp(err))
	}
	m.MentionUsers, m.MentionRoles, m.MentionEveryone = s.mentionsLocked(c, author, m.Content, m.AllowedMentions, ref)
	m.Attachments = s.attachmentsLocked(c.ID, p, nil, false)
	return m, nil
}

// insertMessageLocked stores a new message, dispatches MESSAGE_CREATE and
// records it.
func (s *Sim) insertMessageLocked(m *Message) {
	s.st.messages[m.ID] = m
	s.st.chanMsgs[m.ChannelID] = append(s.st.chanMsgs[m.ChannelID], m.ID)
	if c, ok := s.st.channels[m.ChannelID]; ok {
		c.lastMessageID = m.ID
		c.totalSent++
		c.MessageCount++
	}
	if m.Nonce != "" {
		s.st.nonces[nonceKey{m.Author.ID, m.Nonce}] = nonceRec{messageID: m.ID, at: s.nowLocked()}
	}
	s.dispatchMessageLocked("MESSAGE_CREATE", m)
	s.recordLocked(Event{Kind: KindMessageCreate, ChannelID: m.ChannelID, MessageID: m.ID, UserID: m.Author.ID,
		InteractionID: m.InteractionID, Message: ptr(m.clone())})
}

// editMessageLocked applies an edit payload, keeping the previous version.
// An edit may only change SUPPRESS_EMBEDS among the flags; clearFlags are
// removed as part of it (the loading flag when a deferred response is filled
// in).
func (s *Sim) editMessageLocked(m *Message, p *parsed, clearFlags discord.MessageFlags) *response {
	const allowedFlags = discord.MessageFlagSuppressEmbeds
	if err := embedFilesMatch(p, m.Attachments, true); err != nil {
		return ptr(formResp(err))
	}
	prev := m.clone()
	prev.Edits = nil
	m.Edits = append(m.Edits, prev)
	m.Flags &^= clearFlags
	if p.Content != nil {
		m.Content = *p.Content
	}
	if p.Embeds != nil {
		m.Embeds = *p.Embeds
	}
	if p.Components != nil {
		m.Components = p.components
	}
	if p.Attachments != nil || len(p.uploads) > 0 {
		m.Attachments = s.attachmentsLocked(m.ChannelID, p, m.Attachments, true)
	}
	if p.AllowedMentions != nil {
		m.AllowedMentions = p.AllowedMentions
	}
	if p.Flags != nil {
		keep := m.Flags &^ allowedFlags
		m.Flags = keep | (*p.Flags & allowedFlags)
	}
	var ref *Message
	if m.Reference != nil && m.Reference.MessageID != nil {
		ref = s.st.messages[*m.Reference.MessageID]
	}
	m.MentionUsers, m.MentionRoles, m.MentionEveryone = s.mentionsLocked(s.st.channels[m.ChannelID], m.Author.ID, m.Content, m.AllowedMentions, ref)
	m.EditedAt = s.nowLocked()
	s.dispatchMessageLocked("MESSAGE_UPDATE", m)
	s.recordLocked(Event{Kind: KindMessageUpdate, ChannelID: m.ChannelID, MessageID: m.ID, InteractionID: m.InteractionID, Message: ptr(m.clone())})
	return nil
}

func (s *Sim) deleteMessageLocked(m *Message) {
	m.Deleted = true
	s.dispatchMessageDeleteLocked(m)
	s.recordLocked(Event{Kind: KindMessageDelete, ChannelID: m.ChannelID, MessageID: m.ID, Message: ptr(m.clone())})
}

func (s *Sim) updateMessage(q *apiReq) response {
	p, err := parseMessage(q.r, q.body, false)
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res := s.channelMessageLocked(q)
	if res != nil {
		return *res
	}
	onlyFlags := p.Content == nil && p.Embeds == nil && p.Components == nil && p.Attachments == nil && len(p.uploads) == 0
	if m.Author.ID != s.opts.BotUserID && !onlyFlags {
		return errResp(http.StatusForbidden, CodeCannotEditOthersMessage, "Cannot edit a message authored by another user")
	}
	// Others' flags take MANAGE_MESSAGES
	// (https://discord.com/developers/docs/resources/message#edit-message).
	need := discord.PermissionViewChannel
	if m.Author.ID != s.opts.BotUserID {
		need |= discord.PermissionManageMessages
	}
	if res := s.requireLocked(s.st.channels[m.ChannelID], need); res != nil {
		return *res
	}
	if res := s.editMessageLocked(m, p, 0); res != nil {
		return *res
	}
	return s.messageResp(m)
}

func (s *Sim) deleteMessage(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, res := s.channelMessageLocked(q)
	if res != nil {
		return *res
	}
	// Others' messages take MANAGE_MESSAGES
	// (https://discord.com/developers/docs/resources/message#delete-message).
	need := discord.PermissionViewChannel
	if m.Author.ID != s.opts.BotUserID {
		need |= discord.PermissionManageMessages
	}
	if res := s.requireLocked(s.st.channels[m.ChannelID], need); res != nil {
		return *res
	}
	s.deleteMessageLocked(m)
	return noContent()
}

func (s *Sim) createDM(q *apiReq) response {
	var d struct {
		RecipientID snowflake.ID `json:"recipient_id"`
	}
	if err := q.decode(&d); err != nil {
		return formResp(fieldErr("recipient_id", "NUMBER_TYPE_COERCE", "Value is not snowflake."))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.st.users[d.RecipientID]; !ok {
		return formResp(fieldErr("recipient_id", "USER_UNKNOWN", "Unknown user"))
	}
	c, err := s.openDMLocked(d.RecipientID)
	if err != nil {
		return formResp(fieldErr("recipient_id", "USER_UNKNOWN", "Unknown user"))
	}
	s.notifyLocked()
	return jsonResp(http.StatusOK, s.channelWire(c))
}

func (s *Sim) typing(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.channelLocked(q)
	if !ok {
		return unknownChannel()
	}
	s.st.typing[c.ID]++
	s.recordLocked(Event{Kind: KindTyping, ChannelID: c.ID})
	return noContent()
}

func (s *Sim) reaction(add bool) func(*apiReq) response {
	return func(q *apiReq) response {
		s.mu.Lock()
		defer s.mu.Unlock()
		m, res := s.channelMessageLocked(q)
		if res != nil {
			return *res
		}
		emoji := q.r.PathValue("emoji")
		if emoji == "" {
			return errResp(http.StatusBadRequest, 10014, "Unknown Emoji")
		}
		// READ_MESSAGE_HISTORY, and ADD_REACTIONS for an emoji nobody used
		// yet (https://discord.com/developers/docs/resources/message#create-reaction).
		need := discord.PermissionReadMessageHistory
		if add && !slices.ContainsFunc(m.Reactions, func(r Reaction) bool { return r.Emoji == emoji }) {
			need |= discord.PermissionAddReactions
		}
		if res := s.requireLocked(s.st.channels[m.ChannelID], need); res != nil {
			return *res
		}
		s.reactLocked(m, s.opts.BotUserID, emoji, add)
		return noContent()
	}
}

func (s *Sim) reactLocked(m *Message, user snowflake.ID, emoji string, add bool) {
	i := slices.IndexFunc(m.Reactions, func(r Reaction) bool { return r.Emoji == emoji })
	switch {
	case add && i < 0:
		m.Reactions = append(m.Reactions, Reaction{Emoji: emoji, UserIDs: []snowflake.ID{user}})
	case add && !slices.Contains(m.Reactions[i].UserIDs, user):
		m.Reactions[i].UserIDs = append(m.Reactions[i].UserIDs, user)
	case !add && i >= 0:
		m.Reactions[i].UserIDs = slices.DeleteFunc(slices.Clone(m.Reactions[i].UserIDs), func(id snowflake.ID) bool { return id == user })
		if len(m.Reactions[i].UserIDs) == 0 {
			m.Reactions = slices.Delete(m.Reactions, i, i+1)
		}
	default:
		return
	}
	kind, t := KindReactionAdd, "MESSAGE_REACTION_ADD"
	if !add {
		kind, t = KindReactionRemove, "MESSAGE_REACTION_REMOVE"
	}
	d := map[string]any{
		"user_id": user, "channel_id": m.ChannelID, "message_id": m.ID,
		"emoji": map[string]any{"id": nil, "name": emoji}, "burst": false, "type": 0,
	}
	if m.GuildID == 0 {
		for _, ss := range s.sortedSessionsLocked() {
			if ss.intents.Has(gateway.IntentDirectMessageReactions) && ss.shardID == 0 {
				s.sendLocked(ss, t, mustJSON(d))
			}
		}
	} else {
		d["guild_id"] = m.GuildID
		if add {
			d["message_author_id"] = m.Author.ID
			if mem, ok := s.st.members[user]; ok {
				d["member"] = s.memberWire(mem, true, false)
			}
		}
		s.dispatchGuildLocked(t, gateway.IntentGuildMessageReactions, d)
	}
	s.recordLocked(Event{Kind: kind, ChannelID: m.ChannelID, MessageID: m.ID, UserID: user, Emoji: emoji})
}
