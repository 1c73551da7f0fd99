package discordsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"

	"github.com/disgoorg/disgo/discord"
)

// The conformance check looks at recorded requests after the fact, apart
// from how the stand-in answered them: every request must carry a valid
// User-Agent, the bot token where Discord wants it, a body that is valid
// for its kind under Discord's documented limits, and must only need
// permissions the bot had. A request of a kind the check does not know is a
// violation too, so that a new kind of request cannot slip through
// unchecked: teach the check first.

// Violation is one rule a recorded request broke.
type Violation struct {
	Request Request
	Rule    string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s %s: %s", v.Request.Method, v.Request.Path, v.Rule)
}

// CheckOptions loosen the check for tests that break a rule on purpose.
type CheckOptions struct {
	// AllowMissingPermissions accepts requests the bot lacked a permission
	// for, in tests that take a permission away to see the bot cope.
	AllowMissingPermissions bool
}

// Conformance checks every request the simulator recorded (see
// CheckRequests). Requests dropped from the log by Options.MaxLog could not
// be checked and make a violation of their own.
func (s *Sim) Conformance(opts CheckOptions) []Violation {
	s.mu.Lock()
	dropped := s.st.dropped
	s.mu.Unlock()
	out := CheckRequests(s.Requests(), opts)
	if dropped > 0 {
		out = append(out, Violation{Rule: fmt.Sprintf("%d requests were dropped from the log (raise Options.MaxLog) and went unchecked", dropped)})
	}
	return out
}

// requestKind is what the check knows about one route.
type requestKind struct {
	auth bool // needs "Authorization: Bot <token>"
	// body checks the request body (nil: the request must have none).
	body func(r Request) error
	// perms is what the request takes in its channel, given its body.
	perms func(r Request) discord.Permissions
}

// requestKinds are the request kinds the check knows, by route pattern.
var requestKinds = map[string]requestKind{
	"GET /gateway":      {},
	"GET /gateway/bot":  {auth: true},
	"GET /users/@me":    {auth: true},
	"GET /users/{user}": {auth: true},
	"POST /users/@me/channels": {auth: true, body: func(r Request) error {
		var d struct {
			RecipientID json.Number `json:"recipient_id"`
		}
		if err := strictJSON(r, &d); err != nil || d.RecipientID == "" {
			return fmt.Errorf("recipient_id must be a snowflake: %v", err)
		}
		return nil
	}},
	"GET /applications/@me":                           {auth: true},
	"PUT /applications/{app}/commands":                {auth: true, body: commandsBody},
	"PUT /applications/{app}/guilds/{guild}/commands": {auth: true, body: commandsBody},
	"GET /applications/{app}/commands":                {auth: true},
	"GET /applications/{app}/guilds/{guild}/commands": {auth: true},
	"GET /guilds/{guild}":                             {auth: true},
	"GET /guilds/{guild}/roles":                       {auth: true},
	"GET /guilds/{guild}/channels":                    {auth: true},
	"GET /guilds/{guild}/members/{user}":              {auth: true},

	"GET /channels/{channel}": {auth: true, perms: need(discord.PermissionViewChannel)},
	"PATCH /channels/{channel}": {auth: true, body: channelPatchBody, perms: func(r Request) discord.Permissions {
		var d struct {
			Archived, Locked, Invitable *bool
			Name, Topic                 *string
			AutoArchiveDuration         *int `json:"auto_archive_duration"`
		}
		_ = json.Unmarshal(r.Body, &d)
		other := d.Name != nil || d.Topic != nil || d.Invitable != nil || d.AutoArchiveDuration != nil
		return modifyChannelPerms(&channelRec{Channel: Channel{Type: r.ChannelType}}, d.Archived, d.Locked, other)
	}},
	"GET /channels/{channel}/messages":           {auth: true, perms: need(discord.PermissionViewChannel | discord.PermissionReadMessageHistory)},
	"GET /channels/{channel}/messages/{message}": {auth: true, perms: need(discord.PermissionViewChannel | discord.PermissionReadMessageHistory)},
	"POST /channels/{channel}/messages":          {auth: true, body: messageBody(true), perms: createMessagePerms},
	"PATCH /channels/{channel}/messages/{message}": {auth: true, body: messageBody(false),
		perms: need(discord.PermissionViewChannel)},
	"POST /channels/{channel}/messages/{message}/threads": {auth: true, body: func(r Request) error {
		var b threadBody
		if err := strictJSON(r, &b); err != nil {
			return err
		}
		return b.validate()
	}, perms: need(discord.PermissionViewChannel | discord.PermissionCreatePublicThreads)},
	"PUT /channels/{channel}/messages/{message}/reactions/{emoji}/@me": {auth: true,
		perms: need(discord.PermissionReadMessageHistory | discord.PermissionAddReactions)},
	"POST /channels/{channel}/typing": {auth: true, perms: need(discord.PermissionViewChannel)},

	"POST /interactions/{interaction}/{token}/callback":                   {body: callbackBody},
	"POST /webhooks/{app}/{token}":                                        {body: messageBody(true)},
	"GET /webhooks/{app}/{token}/messages/@original":                      {},
	"PATCH /webhooks/{app}/{token}/messages/@original":                    {body: messageBody(false)},
	"DELETE /webhooks/{app}/{token}/messages/@original":                   {},
	"PATCH /webhooks/{app}/{token}/messages/{message}":                    {body: messageBody(false)},
	"DELETE /webhooks/{app}/{token}/messages/{message}":                   {},
	"GET /webhooks/{app}/{token}/messages/{message}":                      {},
	"DELETE /channels/{channel}/messages/{message}":                       {auth: true, perms: need(discord.PermissionViewChannel)},
	"DELETE /channels/{channel}/messages/{message}/reactions/{emoji}/@me": {auth: true, perms: need(discord.PermissionViewChannel)},
}

// CheckRequests checks reqs against Discord's rules (see Violation). Blocked
// and refused requests are checked like the others: what matters is what
// the client sent.
func CheckRequests(reqs []Request, opts CheckOptions) []Violation {
	var out []Violation
	add := func(r Request, format string, args ...any) {
		out = append(out, Violation{Request: r, Rule: fmt.Sprintf(format, args...)})
	}
	for _, r := range reqs {
		if !ValidUserAgent(r.UserAgent) {
			add(r, "User-Agent %q is not \"DiscordBot ($url, $versionNumber)\" (https://discord.com/developers/docs/reference#user-agent)", r.UserAgent)
		}
		k, ok := requestKinds[r.Route]
		if !ok {
			add(r, "request kind %q is unknown to the conformance check; add its rules to requestKinds", r.Route)
			continue
		}
		if k.auth && !r.BotToken {
			add(r, "no valid \"Authorization: Bot <token>\" header")
		}
		if r.BodyTruncated {
			add(r, "body over 1 MiB was not kept and could not be checked")
		} else if err := checkBody(k, r); err != nil {
			add(r, "body: %v", err)
		}
		if k.perms != nil && r.GuildChannel && !opts.AllowMissingPermissions {
			if missing := k.perms(r) &^ r.BotPermissions; missing != 0 {
				add(r, "needs permissions %s the bot did not have (https://discord.com/developers/docs/topics/permissions)", missing)
			}
		}
		if !r.Injected && (r.Status == http.StatusBadRequest || r.Status == http.StatusRequestEntityTooLarge) {
			add(r, "refused as invalid: HTTP %d, code %d", r.Status, r.Code)
		}
	}
	return out
}

func checkBody(k requestKind, r Request) error {
	if k.body == nil {
		if len(bytes.TrimSpace(r.Body)) > 0 {
			return fmt.Errorf("a %s request takes no body", r.Route)
		}
		return nil
	}
	// https://discord.com/developers/docs/reference#content-type
	mt, _, _ := mime.ParseMediaType(r.ContentType)
	if mt != "application/json" && mt != "multipart/form-data" {
		return fmt.Errorf("Content-Type %q is neither application/json nor multipart/form-data", r.ContentType)
	}
	return k.body(r)
}

func need(p discord.Permissions) func(Request) discord.Permissions {
	return func(Request) discord.Permissions { return p }
}

// asHTTP rebuilds enough of the request for readBody.
func asHTTP(r Request) *http.Request {
	return &http.Request{Header: http.Header{"Content-Type": {r.ContentType}}}
}

func strictJSON(r Request, v any) error {
	if mt, _, _ := mime.ParseMediaType(r.ContentType); mt != "application/json" {
		return fmt.Errorf("Content-Type %q, want application/json", r.ContentType)
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		return fmt.Errorf("invalid JSON: %w", err)
	}
	return nil
}

func messageBody(create bool) func(Request) error {
	return func(r Request) error {
		p, err := parseMessage(asHTTP(r), r.Body, create)
		if err != nil {
			return err
		}
		return checkEmbedFiles(p, create)
	}
}

// checkEmbedFiles applies embedFilesMatch where the request alone tells
// the message's files: new messages, and edits that list no file already on
// the message.
func checkEmbedFiles(p *parsed, create bool) error {
	if !create && p.Attachments != nil {
		for _, ref := range *p.Attachments {
			if _, id, ok := attachmentIndex(ref.ID); !ok || id != 0 {
				return nil
			}
		}
	}
	if !create && p.Attachments == nil && len(p.uploads) == 0 {
		return nil
	}
	return embedFilesMatch(p, nil, false)
}

func createMessagePerms(r Request) discord.Permissions {
	p, err := parseMessage(asHTTP(r), r.Body, true)
	if err != nil {
		return discord.PermissionViewChannel | discord.PermissionSendMessages
	}
	c := &channelRec{Channel: Channel{Type: r.ChannelType}}
	reply := p.MessageReference != nil && p.MessageReference.MessageID != nil
	return discord.PermissionViewChannel | sendPermsFor(c, reply, len(p.uploads) > 0)
}

func commandsBody(r Request) error {
	var raws []json.RawMessage
	if err := strictJSON(r, &raws); err != nil {
		return err
	}
	if len(raws) > 100 {
		return fmt.Errorf("%d commands, at most 100", len(raws))
	}
	for i, raw := range raws {
		if _, err := decodeCommand(raw, fmt.Sprint(i)); err != nil {
			return err
		}
	}
	return nil
}

func channelPatchBody(r Request) error {
	var d struct {
		Name                *string `json:"name"`
		AutoArchiveDuration *int    `json:"auto_archive_duration"`
	}
	if err := strictJSON(r, &d); err != nil {
		return err
	}
	if d.Name != nil && (len([]rune(*d.Name)) < 1 || len([]rune(*d.Name)) > 100) {
		return fieldErr("name", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if d.AutoArchiveDuration != nil && !validArchiveDuration(*d.AutoArchiveDuration) {
		return fieldErr("auto_archive_duration", "BASE_TYPE_CHOICES", "Value must be one of {60, 1440, 4320, 10080}.")
	}
	return nil
}

// callbackBody checks an interaction response by its type
// (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object).
func callbackBody(r Request) error {
	var body struct {
		Type discord.InteractionResponseType `json:"type"`
		Data json.RawMessage                 `json:"data"`
	}
	uploads, err := readBody(asHTTP(r), r.Body, &body)
	if err != nil {
		return err
	}
	hasData := len(body.Data) > 0 && string(body.Data) != "null"
	message := func(create bool) error {
		p := &parsed{uploads: uploads}
		if hasData {
			if err := json.Unmarshal(body.Data, &p.msgPayload); err != nil {
				return fieldErr("data", "MODEL_TYPE_CONVERT", "%v", err)
			}
		}
		if err := p.validate(create); err != nil {
			return err
		}
		return checkEmbedFiles(p, true)
	}
	switch body.Type {
	case discord.InteractionResponseTypeCreateMessage:
		return message(true)
	case discord.InteractionResponseTypeUpdateMessage:
		return message(false)
	case discord.InteractionResponseTypeDeferredCreateMessage, discord.InteractionResponseTypeDeferredUpdateMessage:
		// Deferring takes message callback data of which Discord only uses
		// the flags (ephemeral); files would be lost.
		if len(uploads) > 0 {
			return fmt.Errorf("a deferred response (type %d) carries no files", body.Type)
		}
		return message(false)
	case discord.InteractionResponseTypeModal:
		_, err := parseModal(body.Data)
		return err
	}
	return fmt.Errorf("interaction response type %d is not one ashbot's interactions can take", body.Type)
}
