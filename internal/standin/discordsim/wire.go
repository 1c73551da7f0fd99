package discordsim

import (
	"encoding/json"
	"slices"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
)

// This file turns simulator state into Discord-shaped JSON. disgo's own
// discord types are used where they marshal to the API shape; channels,
// guilds and interactions have sim-local structs because disgo's versions
// hide their fields or are interfaces.

func (s *Sim) userWire(id snowflake.ID) discord.User {
	u, ok := s.st.users[id]
	if !ok {
		return discord.User{ID: id, Username: "unknown-user", Discriminator: "0"}
	}
	name := u.name
	return discord.User{ID: u.id, Username: u.name, Discriminator: "0", GlobalName: &name, Bot: u.bot}
}

// wireMember is a guild member; Permissions is only set inside interactions.
type wireMember struct {
	User                       *discord.User        `json:"user,omitempty"`
	Nick                       *string              `json:"nick"`
	Avatar                     *string              `json:"avatar"`
	Roles                      []snowflake.ID       `json:"roles"`
	JoinedAt                   time.Time            `json:"joined_at"`
	Deaf                       bool                 `json:"deaf"`
	Mute                       bool                 `json:"mute"`
	Flags                      int                  `json:"flags"`
	Pending                    bool                 `json:"pending"`
	CommunicationDisabledUntil *time.Time           `json:"communication_disabled_until"`
	Permissions                *discord.Permissions `json:"permissions,omitempty"`
	GuildID                    *snowflake.ID        `json:"guild_id,omitempty"`
}

func (s *Sim) memberWire(m *memberRec, withUser, withPerms bool) wireMember {
	w := wireMember{Roles: slices.Clone(m.roles), JoinedAt: m.joinedAt}
	if w.Roles == nil {
		w.Roles = []snowflake.ID{}
	}
	if withUser {
		w.User = ptr(s.userWire(m.userID))
	}
	if withPerms {
		w.Permissions = ptr(s.memberPermsLocked(m))
	}
	return w
}

func (s *Sim) memberPermsLocked(m *memberRec) discord.Permissions {
	if m.userID == DefaultOwnerID {
		return discord.PermissionsAll
	}
	p := s.st.roles[s.opts.GuildID].perms
	for _, id := range m.roles {
		if r, ok := s.st.roles[id]; ok {
			p |= r.perms
		}
	}
	if p.Has(discord.PermissionAdministrator) {
		return discord.PermissionsAll
	}
	return p
}

func (s *Sim) roleWire(r *roleRec) discord.Role {
	return discord.Role{ID: r.id, Name: r.name, Permissions: r.perms, Position: r.position, Mentionable: r.mentionable}
}

// wireChannel covers every channel kind the simulator has; fields that do
// not apply to a kind are omitted, as Discord does.
type wireChannel struct {
	ID                         snowflake.ID                  `json:"id"`
	Type                       discord.ChannelType           `json:"type"`
	GuildID                    *snowflake.ID                 `json:"guild_id,omitempty"`
	Name                       *string                       `json:"name,omitempty"`
	Position                   *int                          `json:"position,omitempty"`
	PermissionOverwrites       []discord.PermissionOverwrite `json:"permission_overwrites,omitempty"`
	Topic                      *string                       `json:"topic,omitempty"`
	NSFW                       bool                          `json:"nsfw"`
	LastMessageID              *snowflake.ID                 `json:"last_message_id"`
	RateLimitPerUser           int                           `json:"rate_limit_per_user"`
	ParentID                   *snowflake.ID                 `json:"parent_id,omitempty"`
	OwnerID                    *snowflake.ID                 `json:"owner_id,omitempty"`
	Recipients                 []discord.User                `json:"recipients,omitempty"`
	ThreadMetadata             *discord.ThreadMetadata       `json:"thread_metadata,omitempty"`
	MessageCount               *int                          `json:"message_count,omitempty"`
	TotalMessageSent           *int                          `json:"total_message_sent,omitempty"`
	MemberCount                *int                          `json:"member_count,omitempty"`
	DefaultAutoArchiveDuration *int                          `json:"default_auto_archive_duration,omitempty"`
	Flags                      int                           `json:"flags"`
	Permissions                *discord.Permissions          `json:"permissions,omitempty"`
	NewlyCreated               *bool                         `json:"newly_created,omitempty"`
}

func (s *Sim) channelWire(c *channelRec) wireChannel {
	w := wireChannel{ID: c.ID, Type: c.Type}
	if c.lastMessageID != 0 {
		w.LastMessageID = ptr(c.lastMessageID)
	}
	switch {
	case c.Type == discord.ChannelTypeDM:
		w.Recipients = []discord.User{s.userWire(c.RecipientID)}
	case c.IsThread():
		w.GuildID = ptr(c.GuildID)
		w.Name = ptr(c.Name)
		w.ParentID = ptr(c.ParentID)
		w.OwnerID = ptr(c.OwnerID)
		w.MessageCount = ptr(c.MessageCount)
		w.TotalMessageSent = ptr(c.totalSent)
		w.MemberCount = ptr(1)
		w.ThreadMetadata = &discord.ThreadMetadata{
			Archived:            c.Archived,
			AutoArchiveDuration: discord.AutoArchiveDuration(c.AutoArchiveDuration),
			ArchiveTimestamp:    c.ArchivedAt,
			Locked:              c.Locked,
			Invitable:           c.Invitable,
			CreateTimestamp:     c.CreatedAt,
		}
		if w.ThreadMetadata.ArchiveTimestamp.IsZero() {
			w.ThreadMetadata.ArchiveTimestamp = c.CreatedAt
		}
	default:
		w.GuildID = ptr(c.GuildID)
		w.Name = ptr(c.Name)
		w.Position = ptr(slices.Index(s.st.channelOrder, c.ID))
		w.PermissionOverwrites = []discord.PermissionOverwrite{}
		if c.Topic != "" {
			w.Topic = ptr(c.Topic)
		}
		if c.ParentID != 0 {
			w.ParentID = ptr(c.ParentID)
		}
		w.DefaultAutoArchiveDuration = ptr(4320)
	}
	return w
}

func (s *Sim) threadObjectLocked(c *channelRec) *discord.MessageThread {
	raw, err := json.Marshal(s.channelWire(c))
	if err != nil {
		return nil
	}
	var t discord.MessageThread
	if err := json.Unmarshal(raw, &t.GuildThread); err != nil {
		return nil
	}
	return &t
}

func attachmentWire(a Attachment) discord.Attachment {
	w := discord.Attachment{
		ID:       a.ID,
		Filename: a.Filename,
		Size:     a.Size,
		URL:      a.URL,
		ProxyURL: a.URL,
	}
	if a.Description != "" {
		w.Description = ptr(a.Description)
	}
	if a.ContentType != "" {
		w.ContentType = ptr(a.ContentType)
	}
	if a.Width > 0 {
		w.Width = ptr(a.Width)
		w.Height = ptr(a.Height)
	}
	return w
}

// messageWire renders m. blank drops the content fields (content, embeds,
// components, attachments) unless m is exempt (contentExemptLocked), as
// Discord does for apps without the MESSAGE_CONTENT intent; a referenced
// message is judged on its own. withMember adds the partial
// member object that gateway events carry for guild messages.
func (s *Sim) messageWire(m *Message, blank, withMember bool, depth int) discord.Message {
	w := discord.Message{
		ID:              m.ID,
		ChannelID:       m.ChannelID,
		Type:            m.Type,
		Author:          s.userWire(m.Author.ID),
		Content:         m.Content,
		Embeds:          m.Embeds,
		Components:      m.Components,
		Attachments:     make([]discord.Attachment, 0, len(m.Attachments)),
		Flags:           m.Flags,
		TTS:             m.TTS,
		CreatedAt:       m.CreatedAt,
		Mentions:        make([]discord.User, 0, len(m.MentionUsers)),
		MentionRoles:    slices.Clone(m.MentionRoles),
		MentionChannels: []discord.MentionChannel{},
		MentionEveryone: m.MentionEveryone,
		Reactions:       []discord.MessageReaction{},
		Nonce:           discord.Nonce(m.Nonce),
	}
	if w.MentionRoles == nil {
		w.MentionRoles = []snowflake.ID{}
	}
	if m.GuildID != 0 {
		w.GuildID = ptr(m.GuildID)
	}
	if !m.EditedAt.IsZero() {
		w.EditedTimestamp = ptr(m.EditedAt)
	}
	for _, a := range m.Attachments {
		w.Attachments = append(w.Attachments, attachmentWire(a))
	}
	for _, id := range m.MentionUsers {
		w.Mentions = append(w.Mentions, s.userWire(id))
	}
	for _, r := range m.Reactions {
		w.Reactions = append(w.Reactions, discord.MessageReaction{
			Count: len(r.UserIDs),
			Me:    slices.Contains(r.UserIDs, s.opts.BotUserID),
			Emoji: discord.Emoji{Name: r.Emoji},
		})
	}
	if m.WebhookID != 0 {
		w.WebhookID = ptr(m.WebhookID)
		w.ApplicationID = ptr(s.opts.ApplicationID)
	}
	if m.InteractionID != 0 {
		if in, ok := s.st.interactions[m.InteractionID]; ok {
			w.InteractionMetadata = &discord.InteractionMetadata{
				ID:   in.id,
				Type: in.typ,
				User: s.userWire(in.userID),
			}
			if in.typ == discord.InteractionTypeApplicationCommand {
				w.Interaction = &discord.MessageInteraction{ID: in.id, Type: in.typ, Name: in.commandName, User: s.userWire(in.userID)}
			}
		}
	}
	if m.Reference != nil {
		w.MessageReference = m.Reference
		if depth == 0 && m.Reference.MessageID != nil {
			if ref, ok := s.st.messages[*m.Reference.MessageID]; ok && !ref.Deleted {
				w.ReferencedMessage = ptr(s.messageWire(ref, blank, false, depth+1))
			}
		}
	}
	if m.ThreadID != 0 {
		if t, ok := s.st.channels[m.ThreadID]; ok {
			w.Thread = s.threadObjectLocked(t)
		}
	}
	if withMember && m.GuildID != 0 && m.WebhookID == 0 {
		if mem, ok := s.st.members[m.Author.ID]; ok {
			w.Member = &discord.Member{RoleIDs: slices.Clone(mem.roles), JoinedAt: &mem.joinedAt}
		}
	}
	if blank && !s.contentExemptLocked(m) {
		w.Content = ""
		w.Embeds = nil
		w.Components = nil
		w.Attachments = []discord.Attachment{}
	}
	return w
}

// wireGuild is the GUILD_CREATE / GET /guilds/{id} payload.
type wireGuild struct {
	ID                          snowflake.ID    `json:"id"`
	Name                        string          `json:"name"`
	Icon                        *string         `json:"icon"`
	Splash                      *string         `json:"splash"`
	OwnerID                     snowflake.ID    `json:"owner_id"`
	AFKTimeout                  int             `json:"afk_timeout"`
	VerificationLevel           int             `json:"verification_level"`
	DefaultMessageNotifications int             `json:"default_message_notifications"`
	ExplicitContentFilter       int             `json:"explicit_content_filter"`
	MFALevel                    int             `json:"mfa_level"`
	NSFWLevel                   int             `json:"nsfw_level"`
	PremiumTier                 int             `json:"premium_tier"`
	PreferredLocale             string          `json:"preferred_locale"`
	Features                    []string        `json:"features"`
	Roles                       []discord.Role  `json:"roles"`
	Emojis                      []discord.Emoji `json:"emojis"`
	Stickers                    []any           `json:"stickers"`
	MaxMembers                  int             `json:"max_members"`
	SystemChannelID             *snowflake.ID   `json:"system_channel_id"`

	// GUILD_CREATE only.
	JoinedAt             *time.Time     `json:"joined_at,omitempty"`
	Large                *bool          `json:"large,omitempty"`
	Unavailable          *bool          `json:"unavailable,omitempty"`
	MemberCount          *int           `json:"member_count,omitempty"`
	Members              []wireMember   `json:"members,omitempty"`
	Channels             []wireChannel  `json:"channels,omitempty"`
	Threads              *[]wireChannel `json:"threads,omitempty"`
	VoiceStates          *[]any         `json:"voice_states,omitempty"`
	Presences            *[]any         `json:"presences,omitempty"`
	StageInstances       *[]any         `json:"stage_instances,omitempty"`
	GuildScheduledEvents *[]any         `json:"guild_scheduled_events,omitempty"`
	SoundboardSounds     *[]any         `json:"soundboard_sounds,omitempty"`
}

func (s *Sim) guildWire(gatewayCreate bool, intents gateway.Intents) wireGuild {
	g := wireGuild{
		ID:              s.opts.GuildID,
		Name:            s.opts.GuildName,
		OwnerID:         DefaultOwnerID,
		AFKTimeout:      300,
		PreferredLocale: "en-US",
		Features:        []string{},
		Emojis:          []discord.Emoji{},
		Stickers:        []any{},
		MaxMembers:      500000,
	}
	for _, id := range s.st.roleOrder {
		g.Roles = append(g.Roles, s.roleWire(s.st.roles[id]))
	}
	if !gatewayCreate {
		return g
	}
	joined := s.st.members[s.opts.BotUserID].joinedAt
	g.JoinedAt = &joined
	g.Large = ptr(false)
	g.Unavailable = ptr(false)
	g.MemberCount = ptr(len(s.st.memberOrder))
	for _, id := range s.st.memberOrder {
		// Without the privileged GUILD_MEMBERS intent Discord only sends the
		// bot's own member here; bots that need others must fetch them.
		if id != s.opts.BotUserID && !intents.Has(gateway.IntentGuildMembers) {
			continue
		}
		g.Members = append(g.Members, s.memberWire(s.st.members[id], true, false))
	}
	threads := []wireChannel{}
	g.Channels = []wireChannel{}
	for _, id := range s.st.channelOrder {
		c := s.st.channels[id]
		switch {
		case c.Type == discord.ChannelTypeDM:
		case c.IsThread():
			if !c.Archived {
				threads = append(threads, s.channelWire(c))
			}
		default:
			g.Channels = append(g.Channels, s.channelWire(c))
		}
	}
	empty := func() *[]any { return &[]any{} }
	g.Threads = &threads
	g.VoiceStates, g.Presences, g.StageInstances = empty(), empty(), empty()
	g.GuildScheduledEvents, g.SoundboardSounds = empty(), empty()
	return g
}
