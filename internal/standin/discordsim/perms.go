package discordsim

import (
	"fmt"
	"net/http"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// The bot's permissions are enforced the way Discord documents them
// (https://discord.com/developers/docs/topics/permissions): a missing
// VIEW_CHANNEL answers 403 Missing Access (50001), any other missing
// permission 403 Missing Permissions (50013)
// (https://discord.com/developers/docs/topics/opcodes-and-status-codes#json).
// Threads inherit the permissions of their parent channel, except that
// sending in them takes SEND_MESSAGES_IN_THREADS instead of SEND_MESSAGES
// (permissions#permissions-for-threads). DM channels need no permission.

// CodeMissingPermissions is Discord's "Missing Permissions".
const CodeMissingPermissions = 50013

// DefaultBotPermissions is what a correctly set-up server grants the bot:
// seeing and reading its channels, posting (with embeds and files),
// opening public threads from messages and archiving them, reacting and
// using application commands. It leaves out MENTION_EVERYONE, so role
// pings depend on the role being mentionable, and everything
// administrative.
const DefaultBotPermissions = discord.PermissionViewChannel | discord.PermissionSendMessages |
	discord.PermissionSendMessagesInThreads | discord.PermissionCreatePublicThreads |
	discord.PermissionManageThreads | discord.PermissionReadMessageHistory |
	discord.PermissionEmbedLinks | discord.PermissionAttachFiles | discord.PermissionAddReactions |
	discord.PermissionUseApplicationCommands

// SetBotPermissions sets the bot's computed permissions in channel and in
// the threads under it, as channel permission overwrites would. Channel 0
// sets the guild-wide permissions every channel without its own setting
// uses (default DefaultBotPermissions).
func (s *Sim) SetBotPermissions(channel ChannelID, perms discord.Permissions) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if channel == 0 {
		s.st.botPerms = perms
	} else {
		s.st.chanPerms[channel] = perms
	}
	s.notifyLocked()
}

// BotPermissions returns the bot's permissions in channel (0: guild-wide).
func (s *Sim) BotPermissions(channel ChannelID) discord.Permissions {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.st.channels[channel]; ok {
		return s.botPermsLocked(c)
	}
	return s.st.botPerms
}

// SetRoleMentionable sets a role's "mentionable" flag. Roles start
// mentionable, as a role meant to be pinged is set up; a mention of a role
// that is not only notifies its members when the author has
// MENTION_EVERYONE (https://discord.com/developers/docs/resources/message#allowed-mentions-object).
func (s *Sim) SetRoleMentionable(role snowflake.ID, mentionable bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.st.roles[role]
	if !ok {
		return fmt.Errorf("discordsim: unknown role %s", role)
	}
	r.mentionable = mentionable
	s.notifyLocked()
	return nil
}

// botPermsLocked is the bot's permissions in c: threads use their parent's.
func (s *Sim) botPermsLocked(c *channelRec) discord.Permissions {
	if c == nil {
		return s.st.botPerms
	}
	if c.GuildID == 0 {
		return discord.PermissionsAllText
	}
	id := c.ID
	if c.IsThread() {
		id = c.ParentID
	}
	p, ok := s.st.chanPerms[id]
	if !ok {
		p = s.st.botPerms
	}
	if p.Has(discord.PermissionAdministrator) {
		return discord.PermissionsAll
	}
	return p
}

// permsOfLocked is what user may do in c: the bot's own permissions, or a
// simulated member's role permissions.
func (s *Sim) permsOfLocked(c *channelRec, user snowflake.ID) discord.Permissions {
	if user == s.opts.BotUserID {
		return s.botPermsLocked(c)
	}
	if m, ok := s.st.members[user]; ok && c != nil && c.GuildID != 0 {
		return s.memberPermsLocked(m)
	}
	return discord.PermissionsAllText
}

// requireLocked answers the 403 Discord gives when the bot lacks need in c,
// or nil when it has them.
func (s *Sim) requireLocked(c *channelRec, need discord.Permissions) *response {
	if c.GuildID == 0 {
		return nil
	}
	have := s.botPermsLocked(c)
	if !have.Has(discord.PermissionViewChannel) {
		return ptr(errResp(http.StatusForbidden, CodeMissingAccess, "Missing Access"))
	}
	if need&^have != 0 {
		return ptr(errResp(http.StatusForbidden, CodeMissingPermissions, "Missing Permissions"))
	}
	return nil
}

// sendPermsFor is what posting p in c takes
// (https://discord.com/developers/docs/resources/message#create-message):
// SEND_MESSAGES (SEND_MESSAGES_IN_THREADS in a thread), READ_MESSAGE_HISTORY
// for a reply and ATTACH_FILES for uploads.
func sendPermsFor(c *channelRec, reply, files bool) discord.Permissions {
	need := discord.PermissionSendMessages
	if c.IsThread() {
		need = discord.PermissionSendMessagesInThreads
	}
	if reply {
		need |= discord.PermissionReadMessageHistory
	}
	if files {
		need |= discord.PermissionAttachFiles
	}
	return need
}

// rolePingsLocked reports whether a mention of role by author in c
// notifies the role's members: the role must be mentionable or the author
// must have MENTION_EVERYONE (message#allowed-mentions-object).
func (s *Sim) rolePingsLocked(c *channelRec, author, role snowflake.ID) bool {
	r, ok := s.st.roles[role]
	if !ok {
		return false
	}
	return r.mentionable || s.permsOfLocked(c, author).Has(discord.PermissionMentionEveryone)
}

// notePermsForRequest records the route's channel and the bot's
// permissions in it, for the conformance check (see CheckRequests).
func (s *Sim) notePermsForRequest(r *http.Request, req *Request) {
	id, err := snowflake.Parse(r.PathValue("channel"))
	if err != nil {
		return
	}
	req.ChannelID = id
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.st.channels[id]; ok {
		req.ChannelType = c.Type
		req.GuildChannel = c.GuildID != 0
		req.BotPermissions = s.botPermsLocked(c)
	}
}
