package discordsim

import (
	"bytes"
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
)

func (s *Sim) apiRoutes() []route {
	const (
		get, post, put, patch, del = http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete
	)
	return []route{
		{get, "/gateway", false, s.getGateway},
		{get, "/gateway/bot", true, s.getGatewayBot},

		{get, "/users/@me", true, s.getCurrentUser},
		{get, "/users/@me/guilds", true, s.getCurrentUserGuilds},
		{post, "/users/@me/channels", true, s.createDM},
		{get, "/users/{user}", true, s.getUser},

		{get, "/applications/@me", true, s.getApplication},
		{get, "/oauth2/applications/@me", true, s.getApplication},
		{get, "/applications/{app}/commands", true, s.listCommands},
		{post, "/applications/{app}/commands", true, s.createCommand},
		{put, "/applications/{app}/commands", true, s.overwriteCommands},
		{get, "/applications/{app}/commands/{command}", true, s.getCommand},
		{patch, "/applications/{app}/commands/{command}", true, s.updateCommand},
		{del, "/applications/{app}/commands/{command}", true, s.deleteCommand},
		{get, "/applications/{app}/guilds/{guild}/commands", true, s.listCommands},
		{post, "/applications/{app}/guilds/{guild}/commands", true, s.createCommand},
		{put, "/applications/{app}/guilds/{guild}/commands", true, s.overwriteCommands},
		{get, "/applications/{app}/guilds/{guild}/commands/{command}", true, s.getCommand},
		{patch, "/applications/{app}/guilds/{guild}/commands/{command}", true, s.updateCommand},
		{del, "/applications/{app}/guilds/{guild}/commands/{command}", true, s.deleteCommand},

		{get, "/guilds/{guild}", true, s.getGuild},
		{get, "/guilds/{guild}/roles", true, s.getRoles},
		{get, "/guilds/{guild}/channels", true, s.getGuildChannels},
		{get, "/guilds/{guild}/threads/active", true, s.getActiveThreads},
		{get, "/guilds/{guild}/members", true, s.listMembers},
		{get, "/guilds/{guild}/members/{user}", true, s.getMember},
		{put, "/guilds/{guild}/members/{user}/roles/{role}", true, s.memberRole(true)},
		{del, "/guilds/{guild}/members/{user}/roles/{role}", true, s.memberRole(false)},

		{get, "/channels/{channel}", true, s.getChannel},
		{patch, "/channels/{channel}", true, s.updateChannel},
		{del, "/channels/{channel}", true, s.deleteChannel},
		{get, "/channels/{channel}/messages", true, s.listMessages},
		{post, "/channels/{channel}/messages", true, s.createMessage},
		{get, "/channels/{channel}/messages/{message}", true, s.getMessage},
		{patch, "/channels/{channel}/messages/{message}", true, s.updateMessage},
		{del, "/channels/{channel}/messages/{message}", true, s.deleteMessage},
		{post, "/channels/{channel}/messages/{message}/threads", true, s.createThreadFromMessage},
		{put, "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", true, s.reaction(true)},
		{del, "/channels/{channel}/messages/{message}/reactions/{emoji}/@me", true, s.reaction(false)},
		{post, "/channels/{channel}/threads", true, s.createThread},
		{put, "/channels/{channel}/thread-members/@me", true, s.threadMemberNoop},
		{del, "/channels/{channel}/thread-members/@me", true, s.threadMemberNoop},
		{put, "/channels/{channel}/thread-members/{user}", true, s.threadMemberNoop},
		{post, "/channels/{channel}/typing", true, s.typing},

		{post, "/interactions/{interaction}/{token}/callback", false, s.interactionCallback},
		{post, "/webhooks/{app}/{token}", false, s.createFollowup},
		{get, "/webhooks/{app}/{token}/messages/@original", false, s.getWebhookMessage},
		{patch, "/webhooks/{app}/{token}/messages/@original", false, s.updateWebhookMessage},
		{del, "/webhooks/{app}/{token}/messages/@original", false, s.deleteWebhookMessage},
		{get, "/webhooks/{app}/{token}/messages/{message}", false, s.getWebhookMessage},
		{patch, "/webhooks/{app}/{token}/messages/{message}", false, s.updateWebhookMessage},
		{del, "/webhooks/{app}/{token}/messages/{message}", false, s.deleteWebhookMessage},
	}
}

func (s *Sim) getGateway(*apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonResp(http.StatusOK, discord.Gateway{URL: s.wsBaseLocked() + "/gateway"})
}

func (s *Sim) getGatewayBot(*apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonResp(http.StatusOK, discord.GatewayBot{
		URL:               s.wsBaseLocked() + "/gateway",
		Shards:            1,
		SessionStartLimit: discord.SessionStartLimit{Total: 1000, Remaining: 999, ResetAfter: 0, MaxConcurrency: 1},
	})
}

func (s *Sim) getCurrentUser(*apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	return jsonResp(http.StatusOK, discord.OAuth2User{User: s.userWire(s.opts.BotUserID), Verified: true, Locale: "en-US"})
}

func (s *Sim) getCurrentUserGuilds(*apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	perms := s.memberPermsLocked(s.st.members[s.opts.BotUserID])
	return jsonResp(http.StatusOK, []map[string]any{{
		"id": s.opts.GuildID, "name": s.opts.GuildName, "icon": nil, "owner": false,
		"permissions": perms, "features": []string{},
	}})
}

func (s *Sim) getUser(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := q.id("user")
	if !ok || s.st.users[id] == nil {
		return errResp(http.StatusNotFound, CodeUnknownUser, "Unknown User")
	}
	return jsonResp(http.StatusOK, s.userWire(id))
}

func (s *Sim) getApplication(*apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	bot := s.userWire(s.opts.BotUserID)
	return jsonResp(http.StatusOK, map[string]any{
		"id": s.opts.ApplicationID, "name": s.opts.BotName, "icon": nil, "description": "",
		"rpc_origins": []string{}, "bot_public": false, "bot_require_code_grant": false, "bot": bot,
		"verify_key": "", "flags": discord.ApplicationFlagGatewayGuildMemberLimited | discord.ApplicationFlagGatewayMessageContentLimited,
		"team": nil, "owner": s.userWire(DefaultOwnerID),
	})
}

// ---- application commands ----

type cmdOption struct {
	Type     discord.ApplicationCommandOptionType `json:"type"`
	Name     string                               `json:"name"`
	Required bool                                 `json:"required"`
	Options  []cmdOption                          `json:"options"`
	// String options only: the length the client lets a member type.
	MinLength *int `json:"min_length"`
	MaxLength *int `json:"max_length"`
}

// checkLengths enforces min_length and max_length of string options:
// "minimum of 0, maximum of 6000" and "minimum of 1, maximum of 6000"
// (https://discord.com/developers/docs/interactions/application-commands#application-command-object-application-command-option-structure).
func checkLengths(opts []cmdOption, at string) error {
	for i, o := range opts {
		here := at + "." + strconv.Itoa(i)
		if o.MinLength != nil && (*o.MinLength < 0 || *o.MinLength > 6000) {
			return fieldErr(here+".min_length", "NUMBER_TYPE_MAX", "int value should be between 0 and 6000.")
		}
		if o.MaxLength != nil && (*o.MaxLength < 1 || *o.MaxLength > 6000) {
			return fieldErr(here+".max_length", "NUMBER_TYPE_MAX", "int value should be between 1 and 6000.")
		}
		if err := checkLengths(o.Options, here+".options"); err != nil {
			return err
		}
	}
	return nil
}

type commandRec struct {
	id      snowflake.ID
	guildID snowflake.ID
	name    string
	typ     discord.ApplicationCommandType
	body    map[string]any
	options []cmdOption
	ctx     []discord.InteractionContextType // nil: every context
	dmPerm  bool
}

func (c *commandRec) public() Command {
	desc, _ := c.body["description"].(string)
	return Command{ID: c.id, GuildID: c.guildID, Name: c.name, Type: c.typ, Description: desc, Raw: mustJSON(c.body)}
}

var slashName = regexp.MustCompile(`^[-_\p{Ll}\p{Lo}\p{N}]{1,32}$`)

// scopeLocked checks the {app} (and {guild}) path parts and returns the
// guild id of the command scope (0 = global).
func (s *Sim) scopeLocked(q *apiReq) (snowflake.ID, *response) {
	app, ok := q.id("app")
	if !ok || app != s.opts.ApplicationID {
		return 0, ptr(errResp(http.StatusForbidden, CodeMissingAccess, "Missing Access"))
	}
	if q.r.PathValue("guild") == "" {
		return 0, nil
	}
	if res := s.guildLocked(q); res != nil {
		return 0, res
	}
	return s.opts.GuildID, nil
}

func decodeCommand(raw json.RawMessage, at string) (*commandRec, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var body map[string]any
	if err := dec.Decode(&body); err != nil {
		return nil, fieldErr(at, "MODEL_TYPE_CONVERT", "Could not interpret command: %v", err)
	}
	var meta struct {
		Name         string                           `json:"name"`
		Type         discord.ApplicationCommandType   `json:"type"`
		Description  string                           `json:"description"`
		Options      []cmdOption                      `json:"options"`
		Contexts     []discord.InteractionContextType `json:"contexts"`
		DMPermission *bool                            `json:"dm_permission"`
	}
	if err := json.Unmarshal(raw, &meta); err != nil {
		return nil, fieldErr(at, "MODEL_TYPE_CONVERT", "Could not interpret command: %v", err)
	}
	if meta.Type == 0 {
		meta.Type = discord.ApplicationCommandTypeSlash
	}
	c := &commandRec{name: meta.Name, typ: meta.Type, body: body, options: meta.Options, ctx: meta.Contexts, dmPerm: true}
	if meta.DMPermission != nil {
		c.dmPerm = *meta.DMPermission
	}
	switch meta.Type {
	case discord.ApplicationCommandTypeSlash:
		if !slashName.MatchString(meta.Name) {
			return nil, fieldErr(at+".name", "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
		}
		if n := utf8.RuneCountInString(meta.Description); n < 1 || n > 100 {
			return nil, fieldErr(at+".description", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
		}
		if len(meta.Options) > 25 {
			return nil, fieldErr(at+".options", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		if err := checkLengths(meta.Options, at+".options"); err != nil {
			return nil, err
		}
	case discord.ApplicationCommandTypeUser, discord.ApplicationCommandTypeMessage:
		if n := utf8.RuneCountInString(meta.Name); n < 1 || n > 32 {
			return nil, fieldErr(at+".name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
		}
		if meta.Description != "" {
			return nil, fieldErr(at+".description", "APPLICATION_COMMAND_DESCRIPTION_NOT_ALLOWED", "Context menu commands cannot have a description")
		}
	default:
		return nil, fieldErr(at+".type", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3}.")
	}
	return c, nil
}

// storeCommandLocked fills in the server-side fields and stores the command,
// keeping the id of an existing command with the same name and type (as
// Discord does on overwrite).
func (s *Sim) storeCommandLocked(c *commandRec, guildID snowflake.ID, existing []*commandRec) {
	c.guildID = guildID
	c.id = 0
	for _, e := range existing {
		if e.name == c.name && e.typ == c.typ {
			c.id = e.id
		}
	}
	if c.id == 0 {
		c.id = s.nextIDLocked()
	}
	c.body["id"] = c.id
	c.body["application_id"] = s.opts.ApplicationID
	c.body["type"] = c.typ
	c.body["version"] = s.nextIDLocked()
	if guildID != 0 {
		c.body["guild_id"] = guildID
	}
	if _, ok := c.body["default_member_permissions"]; !ok {
		c.body["default_member_permissions"] = nil
	}
	if _, ok := c.body["description"]; !ok {
		c.body["description"] = ""
	}
	if _, ok := c.body["nsfw"]; !ok {
		c.body["nsfw"] = false
	}
}

func (s *Sim) commandsInLocked(guildID snowflake.ID) []*commandRec {
	var out []*commandRec
	for _, c := range s.st.commands {
		if c.guildID == guildID {
			out = append(out, c)
		}
	}
	return out
}

func (s *Sim) commandsResp(list []*commandRec) []json.RawMessage {
	out := make([]json.RawMessage, 0, len(list))
	for _, c := range list {
		out = append(out, mustJSON(c.body))
	}
	return out
}

func (s *Sim) listCommands(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, res := s.scopeLocked(q)
	if res != nil {
		return *res
	}
	return jsonResp(http.StatusOK, s.commandsResp(s.commandsInLocked(g)))
}

func (s *Sim) overwriteCommands(q *apiReq) response {
	var raws []json.RawMessage
	if res := q.decodeValid(&raws); res != nil {
		return *res
	}
	if len(raws) > 100 {
		return formResp(fieldErr("_body", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length."))
	}
	var cmds []*commandRec
	for i, raw := range raws {
		c, err := decodeCommand(raw, strconv.Itoa(i))
		if err != nil {
			return formResp(err)
		}
		for _, o := range cmds {
			if o.name == c.name && o.typ == c.typ {
				return formResp(fieldErr(strconv.Itoa(i)+".name", "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"))
			}
		}
		cmds = append(cmds, c)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, res := s.scopeLocked(q)
	if res != nil {
		return *res
	}
	existing := s.commandsInLocked(g)
	for _, c := range cmds {
		s.storeCommandLocked(c, g, existing)
	}
	s.st.commands = slices.DeleteFunc(s.st.commands, func(c *commandRec) bool { return c.guildID == g })
	s.st.commands = append(s.st.commands, cmds...)
	s.recordLocked(Event{Kind: KindCommandsUpdate, GuildID: g})
	return jsonResp(http.StatusOK, s.commandsResp(cmds))
}

func (s *Sim) createCommand(q *apiReq) response {
	c, err := decodeCommand(q.body, "_body")
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	g, res := s.scopeLocked(q)
	if res != nil {
		return *res
	}
	existing := s.commandsInLocked(g)
	s.storeCommandLocked(c, g, existing)
	status := http.StatusCreated
	if i := slices.IndexFunc(s.st.commands, func(o *commandRec) bool { return o.id == c.id }); i >= 0 {
		s.st.commands[i] = c
		status = http.StatusOK
	} else {
		s.st.commands = append(s.st.commands, c)
	}
	s.recordLocked(Event{Kind: KindCommandsUpdate, GuildID: g})
	return jsonResp(status, c.body)
}

func (s *Sim) commandLocked(q *apiReq) (*commandRec, *response) {
	g, res := s.scopeLocked(q)
	if res != nil {
		return nil, res
	}
	id, _ := q.id("command")
	for _, c := range s.st.commands {
		if c.id == id && c.guildID == g {
			return c, nil
		}
	}
	return nil, ptr(errResp(http.StatusNotFound, CodeUnknownApplicationCommand, "Unknown application command"))
}

func (s *Sim) getCommand(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, res := s.commandLocked(q)
	if res != nil {
		return *res
	}
	return jsonResp(http.StatusOK, c.body)
}

func (s *Sim) updateCommand(q *apiReq) response {
	var patch map[string]json.RawMessage
	if res := q.decodeValid(&patch); res != nil {
		return *res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, res := s.commandLocked(q)
	if res != nil {
		return *res
	}
	merged := map[string]json.RawMessage{}
	for k, v := range c.body {
		merged[k] = mustJSON(v)
	}
	for k, v := range patch {
		merged[k] = v
	}
	nc, err := decodeCommand(mustJSON(merged), "_body")
	if err != nil {
		return formResp(err)
	}
	s.storeCommandLocked(nc, c.guildID, []*commandRec{c})
	nc.id = c.id
	nc.body["id"] = c.id
	i := slices.Index(s.st.commands, c)
	s.st.commands[i] = nc
	s.recordLocked(Event{Kind: KindCommandsUpdate, GuildID: c.guildID})
	return jsonResp(http.StatusOK, nc.body)
}

func (s *Sim) deleteCommand(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, res := s.commandLocked(q)
	if res != nil {
		return *res
	}
	s.st.commands = slices.DeleteFunc(s.st.commands, func(o *commandRec) bool { return o == c })
	s.recordLocked(Event{Kind: KindCommandsUpdate, GuildID: c.guildID})
	return noContent()
}

// ---- guild ----

func (s *Sim) guildLocked(q *apiReq) *response {
	g, ok := q.id("guild")
	if !ok || g != s.opts.GuildID {
		return ptr(errResp(http.StatusNotFound, CodeUnknownGuild, "Unknown Guild"))
	}
	return nil
}

func (s *Sim) getGuild(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	g := s.guildWire(false, 0)
	if q.r.URL.Query().Get("with_counts") == "true" {
		return jsonResp(http.StatusOK, struct {
			wireGuild
			ApproximateMemberCount   int `json:"approximate_member_count"`
			ApproximatePresenceCount int `json:"approximate_presence_count"`
		}{g, len(s.st.memberOrder), 0})
	}
	return jsonResp(http.StatusOK, g)
}

func (s *Sim) getRoles(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	return jsonResp(http.StatusOK, s.guildWire(false, 0).Roles)
}

func (s *Sim) getGuildChannels(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	return jsonResp(http.StatusOK, s.guildWire(true, gateway.IntentsNone).Channels)
}

func (s *Sim) getActiveThreads(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	return jsonResp(http.StatusOK, map[string]any{"threads": *s.guildWire(true, gateway.IntentsNone).Threads, "members": []any{}})
}

func (s *Sim) getMember(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	id, _ := q.id("user")
	m, ok := s.st.members[id]
	if !ok {
		return errResp(http.StatusNotFound, CodeUnknownMember, "Unknown Member")
	}
	return jsonResp(http.StatusOK, s.memberWire(m, true, false))
}

func (s *Sim) listMembers(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	if res := s.guildLocked(q); res != nil {
		return *res
	}
	limit := 1
	if v := q.r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return formResp(fieldErr("limit", "NUMBER_TYPE_MAX", "int value should be between 1 and 1000."))
		}
		limit = n
	}
	after, _ := snowflake.Parse(q.r.URL.Query().Get("after"))
	ids := slices.Clone(s.st.memberOrder)
	slices.Sort(ids)
	out := []wireMember{}
	for _, id := range ids {
		if id > after && len(out) < limit {
			out = append(out, s.memberWire(s.st.members[id], true, false))
		}
	}
	return jsonResp(http.StatusOK, out)
}

func (s *Sim) memberRole(add bool) func(*apiReq) response {
	return func(q *apiReq) response {
		s.mu.Lock()
		defer s.mu.Unlock()
		if res := s.guildLocked(q); res != nil {
			return *res
		}
		uid, _ := q.id("user")
		m, ok := s.st.members[uid]
		if !ok {
			return errResp(http.StatusNotFound, CodeUnknownMember, "Unknown Member")
		}
		rid, _ := q.id("role")
		if _, ok := s.st.roles[rid]; !ok || rid == s.opts.GuildID {
			return errResp(http.StatusNotFound, CodeUnknownRole, "Unknown Role")
		}
		has := slices.Contains(m.roles, rid)
		switch {
		case add && !has:
			m.roles = append(slices.Clone(m.roles), rid)
		case !add && has:
			m.roles = slices.DeleteFunc(slices.Clone(m.roles), func(id snowflake.ID) bool { return id == rid })
		default:
			return noContent()
		}
		s.dispatchMemberLocked("GUILD_MEMBER_UPDATE", m)
		s.recordLocked(Event{Kind: KindMemberUpdate, UserID: uid})
		return noContent()
	}
}
