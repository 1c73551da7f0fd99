package discordsim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// InteractionCallback is one accepted POST /interactions/{id}/{token}/callback.
type InteractionCallback struct {
	InteractionID snowflake.ID
	Type          discord.InteractionResponseType
	At            time.Time
	// Data is the callback's data object exactly as the bot sent it.
	Data json.RawMessage
	// MessageID is the message the callback created (4, 5) or updated (7).
	MessageID snowflake.ID
	// Message is a snapshot of that message right after the callback.
	Message *Message
	// Modal is set for type 9.
	Modal *Modal
	// Files are the uploads attached to the callback, if any.
	Files []Attachment
}

// Ephemeral reports whether the callback asked for an ephemeral response.
func (c InteractionCallback) Ephemeral() bool {
	return c.Message != nil && c.Message.Ephemeral()
}

// Modal is a modal the bot opened with callback type 9.
type Modal struct {
	CustomID   string
	Title      string
	Components []discord.LayoutComponent
}

// TextInputs returns the modal's text inputs in order.
func (m Modal) TextInputs() []discord.TextInputComponent {
	var out []discord.TextInputComponent
	for _, layout := range m.Components {
		if label, ok := layout.(discord.LabelComponent); ok {
			if ti, ok := label.Component.(discord.TextInputComponent); ok {
				out = append(out, ti)
			}
		}
	}
	return out
}

type interactionRec struct {
	id          snowflake.ID
	token       string
	typ         discord.InteractionType
	channelID   snowflake.ID
	guildID     snowflake.ID
	userID      snowflake.ID
	createdAt   time.Time
	wallAt      time.Time // wall-clock creation, for the deadlines' second clock
	commandName string
	commandType discord.ApplicationCommandType
	sourceMsgID snowflake.ID // component (or modal opened from one): the message it sits on

	acked           bool
	originalID      snowflake.ID
	deferredPending bool // type 5 sent, no follow-up/edit yet
	callbacks       []InteractionCallback
	followups       []snowflake.ID
	modal           *Modal
}

// Interaction is a handle on an interaction the simulator dispatched.
type Interaction struct {
	sim       *Sim
	ID        snowflake.ID
	Token     string
	Type      discord.InteractionType
	ChannelID ChannelID
	GuildID   snowflake.ID // 0 in DMs
	User      User
}

// Wait blocks until the bot answers the interaction and returns its first
// callback.
func (i *Interaction) Wait(ctx context.Context) (InteractionCallback, error) {
	var cb InteractionCallback
	err := i.sim.WaitFor(ctx, func() bool {
		cbs := i.Callbacks()
		if len(cbs) == 0 {
			return false
		}
		cb = cbs[0]
		return true
	})
	if err != nil {
		return InteractionCallback{}, fmt.Errorf("interaction %s not answered: %w", i.ID, err)
	}
	return cb, nil
}

// Callbacks returns the accepted callbacks (at most one on Discord; later
// attempts are rejected with 40060 and appear only in Requests).
func (i *Interaction) Callbacks() []InteractionCallback {
	return i.sim.InteractionCallbacks(i.ID)
}

// Original returns the @original response message, if there is one.
func (i *Interaction) Original() (Message, bool) {
	s := i.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.interactions[i.ID]
	if in == nil || in.originalID == 0 {
		return Message{}, false
	}
	m, ok := s.st.messages[in.originalID]
	if !ok {
		return Message{}, false
	}
	return m.clone(), true
}

// Followups returns the follow-up messages created through the webhook, in order.
func (i *Interaction) Followups() []Message {
	s := i.sim
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.interactions[i.ID]
	if in == nil {
		return nil
	}
	out := make([]Message, 0, len(in.followups))
	for _, id := range in.followups {
		out = append(out, s.st.messages[id].clone())
	}
	return out
}

// InteractionCallbacks returns the accepted callbacks for an interaction.
func (s *Sim) InteractionCallbacks(interactionID snowflake.ID) []InteractionCallback {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := s.st.interactions[interactionID]
	if in == nil {
		return nil
	}
	return slices.Clone(in.callbacks)
}

// wireInteraction is the INTERACTION_CREATE payload.
type wireInteraction struct {
	ID                           snowflake.ID                   `json:"id"`
	ApplicationID                snowflake.ID                   `json:"application_id"`
	Type                         discord.InteractionType        `json:"type"`
	Data                         any                            `json:"data,omitempty"`
	GuildID                      *snowflake.ID                  `json:"guild_id,omitempty"`
	Guild                        *discord.InteractionGuild      `json:"guild,omitempty"`
	Channel                      wireChannel                    `json:"channel"`
	ChannelID                    snowflake.ID                   `json:"channel_id"`
	Member                       *wireMember                    `json:"member,omitempty"`
	User                         *discord.User                  `json:"user,omitempty"`
	Token                        string                         `json:"token"`
	Version                      int                            `json:"version"`
	Message                      *discord.Message               `json:"message,omitempty"`
	AppPermissions               discord.Permissions            `json:"app_permissions"`
	Locale                       string                         `json:"locale"`
	GuildLocale                  *string                        `json:"guild_locale,omitempty"`
	Entitlements                 []any                          `json:"entitlements"`
	AuthorizingIntegrationOwners map[string]snowflake.ID        `json:"authorizing_integration_owners"`
	Context                      discord.InteractionContextType `json:"context"`
}

// startInteractionLocked checks that user can act in channel c, creates the
// interaction record and dispatches INTERACTION_CREATE.
func (s *Sim) startInteractionLocked(typ discord.InteractionType, c *channelRec, user snowflake.ID, data any, msg *Message, fill func(*interactionRec)) (*Interaction, error) {
	u, ok := s.st.users[user]
	if !ok {
		return nil, fmt.Errorf("discordsim: unknown user %s", user)
	}
	if u.bot {
		return nil, errors.New("discordsim: bots cannot trigger interactions")
	}
	guild := c.GuildID != 0
	if guild {
		if _, ok := s.st.members[user]; !ok {
			return nil, fmt.Errorf("discordsim: %s is not a member of the guild", u.name)
		}
	} else if c.RecipientID != user {
		return nil, fmt.Errorf("discordsim: %s is not the recipient of DM channel %s", u.name, c.ID)
	}
	id := s.nextIDLocked()
	in := &interactionRec{
		id:        id,
		token:     "aW50ZXJhY3Rpb24." + id.String() + ".c2lt",
		typ:       typ,
		channelID: c.ID,
		guildID:   c.GuildID,
		userID:    user,
		createdAt: SnowflakeTime(id),
		wallAt:    s.opts.WallClock(),
	}
	if fill != nil {
		fill(in)
	}
	s.st.interactions[id] = in
	s.st.byToken[in.token] = in

	cw := s.channelWire(c)
	w := wireInteraction{
		ID:             id,
		ApplicationID:  s.opts.ApplicationID,
		Type:           typ,
		Data:           data,
		Channel:        cw,
		ChannelID:      c.ID,
		Token:          in.token,
		Version:        1,
		AppPermissions: s.botPermsLocked(c),
		Locale:         "en-US",
		Entitlements:   []any{},
	}
	if guild {
		m := s.memberWire(s.st.members[user], true, true)
		w.Member = &m
		w.GuildID = ptr(c.GuildID)
		w.Guild = &discord.InteractionGuild{ID: c.GuildID, Locale: "en-US", Features: []discord.GuildFeature{}}
		w.GuildLocale = ptr("en-US")
		w.Channel.Permissions = m.Permissions
		w.AuthorizingIntegrationOwners = map[string]snowflake.ID{"0": c.GuildID}
		w.Context = discord.InteractionContextTypeGuild
	} else {
		uw := s.userWire(user)
		w.User = &uw
		w.Channel.Permissions = ptr(discord.PermissionsAllText)
		w.AuthorizingIntegrationOwners = map[string]snowflake.ID{"0": 0}
		w.Context = discord.InteractionContextTypeBotDM
	}
	if msg != nil {
		w.Message = ptr(s.messageWire(msg, false, false, 0))
	}
	s.dispatchAnyLocked("INTERACTION_CREATE", guild, w)
	s.recordLocked(Event{Kind: KindInteractionCreate, InteractionID: id, ChannelID: c.ID, UserID: user, GuildID: c.GuildID})
	return &Interaction{sim: s, ID: id, Token: in.token, Type: typ, ChannelID: c.ID, GuildID: c.GuildID, User: u.public()}, nil
}

// componentLocked finds an enabled component by custom id on a bot message
// the user can see.
func (s *Sim) componentLocked(messageID snowflake.ID, user snowflake.ID, customID string) (*Message, *channelRec, discord.InteractiveComponent, error) {
	m, ok := s.st.messages[messageID]
	if !ok || m.Deleted {
		return nil, nil, nil, fmt.Errorf("discordsim: unknown message %s", messageID)
	}
	c, ok := s.st.channels[m.ChannelID]
	if !ok {
		return nil, nil, nil, fmt.Errorf("discordsim: message %s is in an unknown channel", messageID)
	}
	if m.Author.ID != s.opts.BotUserID {
		return nil, nil, nil, fmt.Errorf("discordsim: message %s was not sent by the bot", messageID)
	}
	if m.Ephemeral() {
		if in := s.st.interactions[m.InteractionID]; in == nil || in.userID != user {
			return nil, nil, nil, fmt.Errorf("discordsim: ephemeral message %s is only visible to its recipient", messageID)
		}
	}
	for _, layout := range m.Components {
		row, ok := layout.(discord.ActionRowComponent)
		if !ok {
			continue
		}
		for _, comp := range row.Components {
			if comp.GetCustomID() != customID {
				continue
			}
			disabled := false
			switch v := comp.(type) {
			case discord.ButtonComponent:
				disabled = v.Disabled
			case discord.StringSelectMenuComponent:
				disabled = v.Disabled
			case discord.UserSelectMenuComponent:
				disabled = v.Disabled
			case discord.RoleSelectMenuComponent:
				disabled = v.Disabled
			case discord.MentionableSelectMenuComponent:
				disabled = v.Disabled
			case discord.ChannelSelectMenuComponent:
				disabled = v.Disabled
			}
			if disabled {
				return nil, nil, nil, fmt.Errorf("discordsim: component %q on message %s is disabled", customID, messageID)
			}
			return m, c, comp, nil
		}
	}
	return nil, nil, nil, fmt.Errorf("discordsim: message %s has no component with custom_id %q", messageID, customID)
}

// ClickButton presses a button on a bot message as user and dispatches the
// INTERACTION_CREATE (type 3). In guild channels the interaction carries the
// member with roles and permissions; in DMs it carries the user.
func (s *Sim) ClickButton(messageID snowflake.ID, user User, customID string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, c, comp, err := s.componentLocked(messageID, user.ID, customID)
	if err != nil {
		return nil, err
	}
	if _, ok := comp.(discord.ButtonComponent); !ok {
		return nil, fmt.Errorf("discordsim: component %q is a %T, not a button", customID, comp)
	}
	data := map[string]any{"component_type": discord.ComponentTypeButton, "custom_id": customID}
	return s.startInteractionLocked(discord.InteractionTypeComponent, c, user.ID, data, m, func(in *interactionRec) {
		in.sourceMsgID = m.ID
	})
}

// SelectMenu picks values in a select menu on a bot message. For user, role,
// mentionable and channel selects the values are snowflakes and resolved
// data is filled in.
func (s *Sim) SelectMenu(messageID snowflake.ID, user User, customID string, values ...string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, c, comp, err := s.componentLocked(messageID, user.ID, customID)
	if err != nil {
		return nil, err
	}
	data := map[string]any{"custom_id": customID, "values": values}
	if values == nil {
		data["values"] = []string{}
	}
	checkCount := func(minV *int, maxV int) error {
		lo, hi := 1, 1
		if minV != nil {
			lo = *minV
		}
		if maxV > 0 {
			hi = maxV
		}
		if len(values) < lo || len(values) > hi {
			return fmt.Errorf("discordsim: select %q takes %d..%d values, got %d", customID, lo, hi, len(values))
		}
		return nil
	}
	switch v := comp.(type) {
	case discord.StringSelectMenuComponent:
		if err := checkCount(v.MinValues, v.MaxValues); err != nil {
			return nil, err
		}
		for _, val := range values {
			if !slices.ContainsFunc(v.Options, func(o discord.StringSelectMenuOption) bool { return o.Value == val }) {
				return nil, fmt.Errorf("discordsim: select %q has no option %q", customID, val)
			}
		}
		data["component_type"] = discord.ComponentTypeStringSelectMenu
	case discord.UserSelectMenuComponent, discord.RoleSelectMenuComponent, discord.MentionableSelectMenuComponent, discord.ChannelSelectMenuComponent:
		data["component_type"] = comp.Type()
		resolved, err := s.resolveIDsLocked(values)
		if err != nil {
			return nil, err
		}
		data["resolved"] = resolved
	default:
		return nil, fmt.Errorf("discordsim: component %q is a %T, not a select menu", customID, comp)
	}
	return s.startInteractionLocked(discord.InteractionTypeComponent, c, user.ID, data, m, func(in *interactionRec) {
		in.sourceMsgID = m.ID
	})
}

// resolveIDsLocked builds the "resolved" object for user/role/channel ids.
func (s *Sim) resolveIDsLocked(values []string) (map[string]any, error) {
	users, members, roles, channels := map[string]any{}, map[string]any{}, map[string]any{}, map[string]any{}
	for _, v := range values {
		id, err := snowflake.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("discordsim: %q is not a snowflake", v)
		}
		switch {
		case s.st.users[id] != nil:
			users[v] = s.userWire(id)
			if m, ok := s.st.members[id]; ok {
				members[v] = s.memberWire(m, false, true)
			}
		case s.st.roles[id] != nil:
			roles[v] = s.roleWire(s.st.roles[id])
		case s.st.channels[id] != nil:
			c := s.st.channels[id]
			channels[v] = map[string]any{"id": c.ID, "name": c.Name, "type": c.Type, "permissions": discord.PermissionsAllText, "parent_id": c.ParentID}
		default:
			return nil, fmt.Errorf("discordsim: %s is no known user, role or channel", v)
		}
	}
	return map[string]any{"users": users, "members": members, "roles": roles, "channels": channels}, nil
}

// findCommandLocked looks a command up the way a client would see it from
// channel c: guild commands (in the guild) before global ones, and only if
// the command is usable in that context.
func (s *Sim) findCommandLocked(c *channelRec, name string, typ discord.ApplicationCommandType) (*commandRec, error) {
	var found *commandRec
	for _, cmd := range s.st.commands {
		if cmd.name != name || cmd.typ != typ {
			continue
		}
		if cmd.guildID != 0 && cmd.guildID != c.GuildID {
			continue
		}
		if found == nil || cmd.guildID != 0 {
			found = cmd
		}
	}
	if found == nil {
		return nil, fmt.Errorf("discordsim: no registered command %q of type %d (register commands first)", name, typ)
	}
	ctx := discord.InteractionContextTypeGuild
	if c.GuildID == 0 {
		ctx = discord.InteractionContextTypeBotDM
	}
	allowed := found.ctx == nil || slices.Contains(found.ctx, ctx)
	if found.ctx == nil && ctx == discord.InteractionContextTypeBotDM && !found.dmPerm {
		allowed = false
	}
	if !allowed {
		return nil, fmt.Errorf("discordsim: command %q is not available in this context", name)
	}
	return found, nil
}

// RunSlashCommand runs a registered chat-input command as user in channel.
// subcommand may be "", "sub" or "group sub". Options are converted using
// the registered option types: strings, ints, bools and floats as Go values;
// user/channel/role/mentionable options accept User, Role, snowflake.ID or
// a snowflake string and are added to resolved.
func (s *Sim) RunSlashCommand(channel ChannelID, user User, name, subcommand string, options map[string]any) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.channels[channel]
	if !ok {
		return nil, fmt.Errorf("discordsim: unknown channel %s", channel)
	}
	cmd, err := s.findCommandLocked(c, name, discord.ApplicationCommandTypeSlash)
	if err != nil {
		return nil, err
	}
	declared := cmd.options
	var path []cmdOption
	for _, part := range strings.Fields(subcommand) {
		i := slices.IndexFunc(declared, func(o cmdOption) bool {
			return o.Name == part && (o.Type == discord.ApplicationCommandOptionTypeSubCommand || o.Type == discord.ApplicationCommandOptionTypeSubCommandGroup)
		})
		if i < 0 {
			return nil, fmt.Errorf("discordsim: command %q has no subcommand %q", name, part)
		}
		path = append(path, declared[i])
		declared = declared[i].Options
	}
	for _, o := range declared {
		if o.Type == discord.ApplicationCommandOptionTypeSubCommand || o.Type == discord.ApplicationCommandOptionTypeSubCommandGroup {
			return nil, fmt.Errorf("discordsim: command %q needs a subcommand", name)
		}
	}
	var ids []string
	opts := []map[string]any{}
	for _, o := range declared {
		v, ok := options[o.Name]
		if !ok {
			if o.Required {
				return nil, fmt.Errorf("discordsim: required option %q missing", o.Name)
			}
			continue
		}
		val, id, err := convertOption(o, v)
		if err != nil {
			return nil, err
		}
		if id != "" {
			ids = append(ids, id)
		}
		opts = append(opts, map[string]any{"name": o.Name, "type": o.Type, "value": val})
	}
	for _, k := range slices.Sorted(maps.Keys(options)) {
		if !slices.ContainsFunc(declared, func(o cmdOption) bool { return o.Name == k }) {
			return nil, fmt.Errorf("discordsim: command %q has no option %q", name, k)
		}
	}
	for i := len(path) - 1; i >= 0; i-- {
		opts = []map[string]any{{"name": path[i].Name, "type": path[i].Type, "options": opts}}
	}
	data := map[string]any{"options": opts}
	if len(ids) > 0 {
		resolved, err := s.resolveIDsLocked(ids)
		if err != nil {
			return nil, err
		}
		data["resolved"] = resolved
	}
	return s.runCommandLocked(c, user, cmd, data)
}

// runCommandLocked dispatches an application command interaction for cmd in
// channel c, adding the command's id, name, type and guild_id to data.
func (s *Sim) runCommandLocked(c *channelRec, user User, cmd *commandRec, data map[string]any) (*Interaction, error) {
	data["id"], data["name"], data["type"] = cmd.id, cmd.name, cmd.typ
	if cmd.guildID != 0 {
		data["guild_id"] = cmd.guildID
	}
	return s.startInteractionLocked(discord.InteractionTypeApplicationCommand, c, user.ID, data, nil, func(in *interactionRec) {
		in.commandName, in.commandType = cmd.name, cmd.typ
	})
}

// convertOption turns a Go value into the option's JSON value; for entity
// options it also returns the id to resolve.
func convertOption(o cmdOption, v any) (any, string, error) {
	bad := func() (any, string, error) {
		return nil, "", fmt.Errorf("discordsim: option %q (type %d) cannot take %T %v", o.Name, o.Type, v, v)
	}
	switch o.Type {
	case discord.ApplicationCommandOptionTypeString:
		str, ok := v.(string)
		if !ok {
			str = fmt.Sprint(v)
		}
		// The client does not send text outside the declared lengths.
		n := utf8.RuneCountInString(str)
		if o.MinLength != nil && n < *o.MinLength || o.MaxLength != nil && n > *o.MaxLength {
			return nil, "", fmt.Errorf("discordsim: option %q: %d characters, outside the declared min_length/max_length", o.Name, n)
		}
		return str, "", nil
	case discord.ApplicationCommandOptionTypeInt:
		switch n := v.(type) {
		case int:
			return n, "", nil
		case int64:
			return n, "", nil
		case string:
			i, err := strconv.Atoi(n)
			if err != nil {
				return bad()
			}
			return i, "", nil
		}
	case discord.ApplicationCommandOptionTypeFloat:
		switch n := v.(type) {
		case float64:
			return n, "", nil
		case int:
			return float64(n), "", nil
		}
	case discord.ApplicationCommandOptionTypeBool:
		if b, ok := v.(bool); ok {
			return b, "", nil
		}
	case discord.ApplicationCommandOptionTypeUser, discord.ApplicationCommandOptionTypeChannel,
		discord.ApplicationCommandOptionTypeRole, discord.ApplicationCommandOptionTypeMentionable:
		var id snowflake.ID
		switch x := v.(type) {
		case User:
			id = x.ID
		case Role:
			id = x.ID
		case snowflake.ID:
			id = x
		case string:
			p, err := snowflake.Parse(x)
			if err != nil {
				return bad()
			}
			id = p
		default:
			return bad()
		}
		return id.String(), id.String(), nil
	}
	return bad()
}

// RunMessageCommand runs a message context-menu command (type 3) on target
// as user, in the target's channel, with the message in resolved.messages.
func (s *Sim) RunMessageCommand(user User, name string, target snowflake.ID) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.st.messages[target]
	if !ok || m.Deleted {
		return nil, fmt.Errorf("discordsim: unknown message %s", target)
	}
	c := s.st.channels[m.ChannelID]
	cmd, err := s.findCommandLocked(c, name, discord.ApplicationCommandTypeMessage)
	if err != nil {
		return nil, err
	}
	return s.runCommandLocked(c, user, cmd, map[string]any{
		"target_id": m.ID,
		"resolved":  map[string]any{"messages": map[string]any{m.ID.String(): s.messageWire(m, false, false, 0)}},
	})
}

// RunUserCommand runs a user context-menu command (type 2) on target.
func (s *Sim) RunUserCommand(channel ChannelID, user User, name string, target User) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.channels[channel]
	if !ok {
		return nil, fmt.Errorf("discordsim: unknown channel %s", channel)
	}
	cmd, err := s.findCommandLocked(c, name, discord.ApplicationCommandTypeUser)
	if err != nil {
		return nil, err
	}
	resolved, err := s.resolveIDsLocked([]string{target.ID.String()})
	if err != nil {
		return nil, err
	}
	return s.runCommandLocked(c, user, cmd, map[string]any{"target_id": target.ID, "resolved": resolved})
}

// SubmitModal submits the modal the bot opened in answer to parent, with
// values keyed by text input custom id, as the parent's user.
func (s *Sim) SubmitModal(parent *Interaction, values map[string]string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	pin := s.st.interactions[parent.ID]
	if pin == nil || pin.modal == nil {
		return nil, fmt.Errorf("discordsim: interaction %s did not open a modal", parent.ID)
	}
	if s.st.modalSeen[pin.id] {
		return nil, fmt.Errorf("discordsim: the modal of interaction %s was already submitted", parent.ID)
	}
	c, ok := s.st.channels[pin.channelID]
	if !ok {
		return nil, fmt.Errorf("discordsim: channel %s is gone", pin.channelID)
	}
	rows := []map[string]any{}
	for _, ti := range pin.modal.TextInputs() {
		v, ok := values[ti.CustomID]
		if !ok && ti.Required {
			return nil, fmt.Errorf("discordsim: required text input %q missing", ti.CustomID)
		}
		if ti.MaxLength > 0 && len([]rune(v)) > ti.MaxLength {
			return nil, fmt.Errorf("discordsim: text input %q longer than %d", ti.CustomID, ti.MaxLength)
		}
		rows = append(rows, map[string]any{"type": discord.ComponentTypeLabel, "component": map[string]any{
			"type": discord.ComponentTypeTextInput, "custom_id": ti.CustomID, "value": v,
		}})
	}
	for _, k := range slices.Sorted(maps.Keys(values)) {
		if !slices.ContainsFunc(pin.modal.TextInputs(), func(ti discord.TextInputComponent) bool { return ti.CustomID == k }) {
			return nil, fmt.Errorf("discordsim: modal %q has no text input %q", pin.modal.CustomID, k)
		}
	}
	data := map[string]any{"custom_id": pin.modal.CustomID, "components": rows}
	var src *Message
	if pin.sourceMsgID != 0 {
		src = s.st.messages[pin.sourceMsgID]
	}
	in, err := s.startInteractionLocked(discord.InteractionTypeModalSubmit, c, pin.userID, data, src, func(in *interactionRec) {
		in.sourceMsgID = pin.sourceMsgID
	})
	if err == nil {
		s.st.modalSeen[pin.id] = true
	}
	return in, err
}
