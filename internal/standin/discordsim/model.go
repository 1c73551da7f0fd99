package discordsim

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
)

// ChannelID names a channel, thread or DM channel. It is a plain snowflake so
// it can be passed straight to disgo's REST methods.
type ChannelID = snowflake.ID

// User is a simulated Discord user, a member of the guild.
type User struct {
	ID   snowflake.ID
	Name string
	Bot  bool
}

// Mention returns the <@id> mention for the user.
func (u User) Mention() string { return "<@" + u.ID.String() + ">" }

// Role is a simulated guild role.
type Role struct {
	ID          snowflake.ID
	Name        string
	Permissions discord.Permissions
	Position    int
	// Mentionable is the role's "mentionable" flag (see SetRoleMentionable).
	Mentionable bool
}

// Mention returns the <@&id> mention for the role.
func (r Role) Mention() string { return "<@&" + r.ID.String() + ">" }

// Channel is a snapshot of a text channel, thread or DM channel.
type Channel struct {
	ID                  ChannelID
	Type                discord.ChannelType
	Name                string
	GuildID             snowflake.ID // 0 for DM channels
	ParentID            ChannelID    // threads: the channel they live in
	OwnerID             snowflake.ID // threads: who created them
	RecipientID         snowflake.ID // DM channels: the user on the other end
	Topic               string
	Archived            bool
	Locked              bool
	Invitable           bool
	AutoArchiveDuration int // minutes
	CreatedAt           time.Time
	ArchivedAt          time.Time
	MessageCount        int
	// FromMessage is true for threads started from a message; the starter
	// message then has the same id as the thread, as on Discord.
	FromMessage bool
}

// IsThread reports whether the channel is a thread.
func (c Channel) IsThread() bool {
	switch c.Type {
	case discord.ChannelTypeGuildPublicThread, discord.ChannelTypeGuildPrivateThread, discord.ChannelTypeGuildNewsThread:
		return true
	}
	return false
}

// Attachment is a file uploaded with a message, including its bytes.
type Attachment struct {
	ID          snowflake.ID
	Filename    string
	Description string
	ContentType string
	Size        int
	Width       int // images only
	Height      int // images only
	URL         string
	Data        []byte
}

// Reaction is one emoji on a message and who added it.
type Reaction struct {
	Emoji   string
	UserIDs []snowflake.ID
}

// Message is a snapshot of a message as the simulator stores it. Slices are
// copies; embed and component values are shared and must be treated as
// read-only.
type Message struct {
	ID        snowflake.ID
	ChannelID ChannelID
	GuildID   snowflake.ID // 0 in DMs
	Type      discord.MessageType
	Author    User

	Content         string
	Embeds          []discord.Embed
	Components      []discord.LayoutComponent
	Attachments     []Attachment
	Flags           discord.MessageFlags
	TTS             bool
	Nonce           string
	EnforceNonce    bool
	AllowedMentions *discord.AllowedMentions
	Reference       *discord.MessageReference

	// Mentions that Discord would actually ping, after allowed_mentions.
	MentionUsers    []snowflake.ID
	MentionRoles    []snowflake.ID
	MentionEveryone bool

	WebhookID     snowflake.ID // set for interaction responses and follow-ups
	InteractionID snowflake.ID // the interaction this message answers
	ThreadID      ChannelID    // thread started from this message
	Reactions     []Reaction

	CreatedAt time.Time
	EditedAt  time.Time // zero if never edited
	Deleted   bool
	// Edits holds the previous versions, oldest first (each without Edits).
	Edits []Message
}

// Ephemeral reports whether the message carries the ephemeral flag.
func (m Message) Ephemeral() bool { return m.Flags.Has(discord.MessageFlagEphemeral) }

// Buttons returns every button in the message's action rows.
func (m Message) Buttons() []discord.ButtonComponent {
	var out []discord.ButtonComponent
	for _, layout := range m.Components {
		row, ok := layout.(discord.ActionRowComponent)
		if !ok {
			continue
		}
		for _, c := range row.Components {
			if b, ok := c.(discord.ButtonComponent); ok {
				out = append(out, b)
			}
		}
	}
	return out
}

// Button finds a button by custom id.
func (m Message) Button(customID string) (discord.ButtonComponent, bool) {
	for _, b := range m.Buttons() {
		if b.CustomID == customID {
			return b, true
		}
	}
	return discord.ButtonComponent{}, false
}

// Attachment finds an attachment by file name.
func (m Message) Attachment(filename string) (Attachment, bool) {
	for _, a := range m.Attachments {
		if a.Filename == filename {
			return a, true
		}
	}
	return Attachment{}, false
}

func (m *Message) clone() Message {
	c := *m
	c.Embeds = slices.Clone(m.Embeds)
	c.Components = slices.Clone(m.Components)
	c.Attachments = slices.Clone(m.Attachments)
	c.MentionUsers = slices.Clone(m.MentionUsers)
	c.MentionRoles = slices.Clone(m.MentionRoles)
	c.Reactions = make([]Reaction, len(m.Reactions))
	for i, r := range m.Reactions {
		c.Reactions[i] = Reaction{Emoji: r.Emoji, UserIDs: slices.Clone(r.UserIDs)}
	}
	if m.Edits != nil {
		c.Edits = make([]Message, len(m.Edits))
		for i := range m.Edits {
			c.Edits[i] = m.Edits[i].clone()
		}
	}
	return c
}

// Command is an application command registered by the bot.
type Command struct {
	ID          snowflake.ID
	GuildID     snowflake.ID // 0 for global commands
	Name        string
	Type        discord.ApplicationCommandType
	Description string
	// Raw is the command as the sim returns it over REST.
	Raw json.RawMessage
}

// Request is one REST call as the simulator saw it.
type Request struct {
	Method string
	Path   string // without the /api/v10 prefix, e.g. /channels/1/messages
	Query  string
	Route  string // the matched route pattern, e.g. POST /channels/{channel}/messages
	Status int
	Code   int // Discord JSON error code for failures, else 0
	// Body is the raw request body, cut at 1 MiB (BodyTruncated) so large
	// uploads in a long demo run do not pile up in memory.
	Body          []byte
	BodyTruncated bool
	At            time.Time
	// Injected is true when the response came from FailNext/InjectFault.
	Injected bool
	// UserAgent and ContentType are the request's headers; BotToken says
	// whether it carried a bot token ("Authorization: Bot <token>"), valid
	// or not.
	UserAgent   string
	ContentType string
	BotToken    bool
	// ChannelID is the {channel} of the route, if any; for a guild channel
	// or thread the simulator knows, GuildChannel is set and
	// BotPermissions holds the bot's permissions there when the request
	// arrived.
	ChannelID      ChannelID
	ChannelType    discord.ChannelType
	GuildChannel   bool
	BotPermissions discord.Permissions
}

type userRec struct {
	id        snowflake.ID
	name      string
	bot       bool
	dmsClosed bool
}

func (u *userRec) public() User { return User{ID: u.id, Name: u.name, Bot: u.bot} }

type memberRec struct {
	userID   snowflake.ID
	roles    []snowflake.ID
	joinedAt time.Time
}

type roleRec struct {
	id          snowflake.ID
	name        string
	perms       discord.Permissions
	position    int
	mentionable bool
}

func (r *roleRec) public() Role {
	return Role{ID: r.id, Name: r.name, Permissions: r.perms, Position: r.position, Mentionable: r.mentionable}
}

type channelRec struct {
	Channel
	lastMessageID snowflake.ID
	totalSent     int
}

type nonceKey struct {
	author snowflake.ID
	nonce  string
}

type nonceRec struct {
	messageID snowflake.ID
	at        time.Time
}

// state is everything the simulator knows. It is only touched with Sim.mu held.
type state struct {
	lastMS int64
	inc    int64

	users       map[snowflake.ID]*userRec
	members     map[snowflake.ID]*memberRec
	memberOrder []snowflake.ID
	roles       map[snowflake.ID]*roleRec
	roleOrder   []snowflake.ID

	channels     map[snowflake.ID]*channelRec
	channelOrder []snowflake.ID
	messages     map[snowflake.ID]*Message
	chanMsgs     map[snowflake.ID][]snowflake.ID
	dms          map[snowflake.ID]snowflake.ID // user -> DM channel
	nonces       map[nonceKey]nonceRec
	attachments  map[snowflake.ID]*Attachment

	commands     []*commandRec
	interactions map[snowflake.ID]*interactionRec
	byToken      map[string]*interactionRec

	sessions  map[string]*session
	sessionN  int
	conns     map[*gwConn]struct{}
	connN     int
	typing    map[snowflake.ID]int
	faults    []*faultRec
	limits    []RateLimit
	windows   map[string]*limitWindow // by route pattern and major parameter
	tokenBad  bool
	events    []Event
	eventSeq  int64
	requests  []Request
	dropped   int // requests cut from the log by MaxLog
	modalSeen map[snowflake.ID]bool

	botPerms  discord.Permissions                  // the bot's guild-wide permissions
	chanPerms map[snowflake.ID]discord.Permissions // per channel (threads use the parent's)
}

// defaultEveryonePerms is roughly what a fresh guild grants @everyone.
const defaultEveryonePerms = discord.PermissionViewChannel | discord.PermissionSendMessages |
	discord.PermissionReadMessageHistory | discord.PermissionAddReactions |
	discord.PermissionUseApplicationCommands | discord.PermissionEmbedLinks |
	discord.PermissionAttachFiles | discord.PermissionSendMessagesInThreads |
	discord.PermissionCreatePublicThreads

func newState(s *Sim) *state {
	st := &state{
		users:        map[snowflake.ID]*userRec{},
		members:      map[snowflake.ID]*memberRec{},
		roles:        map[snowflake.ID]*roleRec{},
		channels:     map[snowflake.ID]*channelRec{},
		messages:     map[snowflake.ID]*Message{},
		chanMsgs:     map[snowflake.ID][]snowflake.ID{},
		dms:          map[snowflake.ID]snowflake.ID{},
		nonces:       map[nonceKey]nonceRec{},
		attachments:  map[snowflake.ID]*Attachment{},
		interactions: map[snowflake.ID]*interactionRec{},
		byToken:      map[string]*interactionRec{},
		sessions:     map[string]*session{},
		conns:        map[*gwConn]struct{}{},
		typing:       map[snowflake.ID]int{},
		modalSeen:    map[snowflake.ID]bool{},
		botPerms:     DefaultBotPermissions,
		chanPerms:    map[snowflake.ID]discord.Permissions{},
	}
	// On Discord the @everyone role shares the guild's id.
	st.roles[s.opts.GuildID] = &roleRec{id: s.opts.GuildID, name: "@everyone", perms: defaultEveryonePerms}
	st.roleOrder = append(st.roleOrder, s.opts.GuildID)

	joined := s.now()
	st.users[s.opts.BotUserID] = &userRec{id: s.opts.BotUserID, name: s.opts.BotName, bot: true}
	st.users[DefaultOwnerID] = &userRec{id: DefaultOwnerID, name: "guild-owner"}
	for _, id := range []snowflake.ID{DefaultOwnerID, s.opts.BotUserID} {
		st.members[id] = &memberRec{userID: id, joinedAt: joined}
		st.memberOrder = append(st.memberOrder, id)
	}
	return st
}

func (st *state) allConns() []*gwConn {
	out := make([]*gwConn, 0, len(st.conns))
	for c := range st.conns {
		out = append(out, c)
	}
	return out
}

// AddMember creates a user and adds them to the guild with the named roles.
// Roles that do not exist yet are created, so tests can write
// AddMember("alice", "CRT") without ceremony.
func (s *Sim) AddMember(name string, roles ...string) User {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &userRec{id: s.nextIDLocked(), name: name}
	s.st.users[u.id] = u
	m := &memberRec{userID: u.id, joinedAt: s.nowLocked()}
	for _, rn := range roles {
		m.roles = append(m.roles, s.roleByNameLocked(rn, true).id)
	}
	s.st.members[u.id] = m
	s.st.memberOrder = append(s.st.memberOrder, u.id)
	s.dispatchMemberLocked("GUILD_MEMBER_ADD", m)
	s.notifyLocked()
	return u.public()
}

// AddRole creates a role (or returns the existing one with that name).
func (s *Sim) AddRole(name string) Role {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roleByNameLocked(name, true)
	s.notifyLocked()
	return r.public()
}

// RoleByName looks a role up by name.
func (s *Sim) RoleByName(name string) (Role, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.roleByNameLocked(name, false)
	if r == nil {
		return Role{}, false
	}
	return r.public(), true
}

func (s *Sim) roleByNameLocked(name string, create bool) *roleRec {
	for _, id := range s.st.roleOrder {
		if r := s.st.roles[id]; r.name == name {
			return r
		}
	}
	if !create {
		return nil
	}
	r := &roleRec{id: s.nextIDLocked(), name: name, position: len(s.st.roleOrder), mentionable: true}
	s.st.roles[r.id] = r
	s.st.roleOrder = append(s.st.roleOrder, r.id)
	s.dispatchGuildLocked("GUILD_ROLE_CREATE", gateway.IntentGuilds, map[string]any{
		"guild_id": s.opts.GuildID, "role": s.roleWire(r),
	})
	return r
}

// SetDMsClosed makes sending DMs to the user fail with 403/50007, as when a
// user disables DMs from server members or blocks the bot.
func (s *Sim) SetDMsClosed(userID snowflake.ID, closed bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.st.users[userID]
	if !ok {
		return fmt.Errorf("discordsim: unknown user %s", userID)
	}
	u.dmsClosed = closed
	s.notifyLocked()
	return nil
}

// AddChannel creates a guild text channel and dispatches CHANNEL_CREATE.
func (s *Sim) AddChannel(name string) ChannelID {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.addChannelLocked(discord.ChannelTypeGuildText, name, 0, 0)
	s.dispatchChannelLocked("CHANNEL_CREATE", c)
	return c.ID
}

func (s *Sim) addChannelLocked(typ discord.ChannelType, name string, parent ChannelID, owner snowflake.ID) *channelRec {
	return s.addChannelWithIDLocked(s.nextIDLocked(), typ, name, parent, owner)
}

func (s *Sim) addChannelWithIDLocked(id snowflake.ID, typ discord.ChannelType, name string, parent ChannelID, owner snowflake.ID) *channelRec {
	c := &channelRec{Channel: Channel{
		ID:        id,
		Type:      typ,
		Name:      name,
		ParentID:  parent,
		OwnerID:   owner,
		CreatedAt: s.nowLocked(),
	}}
	if typ != discord.ChannelTypeDM {
		c.GuildID = s.opts.GuildID
	}
	if c.IsThread() {
		c.AutoArchiveDuration = 4320
		c.Invitable = true
	}
	s.st.channels[id] = c
	s.st.channelOrder = append(s.st.channelOrder, id)
	s.recordLocked(Event{Kind: KindChannelCreate, ChannelID: id, Channel: ptr(c.Channel)})
	return c
}

// OpenDM returns the DM channel between the bot and user, creating it if
// needed (as happens on Discord when either side first writes).
func (s *Sim) OpenDM(user User) (ChannelID, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.openDMLocked(user.ID)
	if err != nil {
		return 0, err
	}
	s.notifyLocked()
	return c.ID, nil
}

func (s *Sim) openDMLocked(userID snowflake.ID) (*channelRec, error) {
	if _, ok := s.st.users[userID]; !ok {
		return nil, fmt.Errorf("discordsim: unknown user %s", userID)
	}
	if id, ok := s.st.dms[userID]; ok {
		return s.st.channels[id], nil
	}
	c := s.addChannelLocked(discord.ChannelTypeDM, "", 0, 0)
	c.RecipientID = userID
	s.st.dms[userID] = c.ID
	return c, nil
}

// mentionsLocked computes who a message by author in c would actually
// ping, honouring allowed_mentions the way Discord does (absent =
// everything allowed) and the author's permissions: a role pings only when
// it is mentionable or the author has MENTION_EVERYONE, @everyone and
// @here only with MENTION_EVERYONE
// (https://discord.com/developers/docs/resources/message#allowed-mentions-object).
func (s *Sim) mentionsLocked(c *channelRec, author snowflake.ID, content string, am *discord.AllowedMentions, ref *Message) (users, roles []snowflake.ID, everyone bool) {
	allow := func(kind discord.AllowedMentionType, id snowflake.ID, explicit []snowflake.ID) bool {
		if am == nil {
			return true
		}
		return slices.Contains(am.Parse, kind) || (id != 0 && slices.Contains(explicit, id))
	}
	for _, id := range parseMentions(content, "<@", ">") {
		if _, ok := s.st.users[id]; ok && allow(discord.AllowedMentionTypeUsers, id, usersOf(am)) && !slices.Contains(users, id) {
			users = append(users, id)
		}
	}
	for _, id := range parseMentions(content, "<@&", ">") {
		if s.rolePingsLocked(c, author, id) && allow(discord.AllowedMentionTypeRoles, id, rolesOf(am)) && !slices.Contains(roles, id) {
			roles = append(roles, id)
		}
	}
	if strings.Contains(content, "@everyone") || strings.Contains(content, "@here") {
		everyone = allow(discord.AllowedMentionTypeEveryone, 0, nil) && s.permsOfLocked(c, author).Has(discord.PermissionMentionEveryone)
	}
	if ref != nil && (am == nil || am.RepliedUser) && !slices.Contains(users, ref.Author.ID) {
		users = append(users, ref.Author.ID)
	}
	return users, roles, everyone
}

func usersOf(am *discord.AllowedMentions) []snowflake.ID {
	if am == nil {
		return nil
	}
	return am.Users
}

func rolesOf(am *discord.AllowedMentions) []snowflake.ID {
	if am == nil {
		return nil
	}
	return am.Roles
}

// parseMentions extracts ids from <@123>, <@!123> (prefix "<@") or <@&123>.
func parseMentions(content, prefix, suffix string) []snowflake.ID {
	var out []snowflake.ID
	rest := content
	for {
		i := strings.Index(rest, prefix)
		if i < 0 {
			return out
		}
		rest = rest[i+len(prefix):]
		body := rest
		if prefix == "<@" {
			if strings.HasPrefix(body, "&") {
				continue
			}
			body = strings.TrimPrefix(body, "!")
		}
		j := strings.Index(body, suffix)
		if j <= 0 {
			continue
		}
		if id, err := snowflake.Parse(body[:j]); err == nil {
			out = append(out, id)
		}
	}
}

func ptr[T any](v T) *T { return &v }
