package discordsim

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
)

// This file holds the rules of Discord's that are not about one endpoint:
// the User-Agent, message content without the intent, uploads and their
// use in embeds.

// CloudflareBrowserBanned is the Cloudflare error Discord's edge answers a
// request without a valid User-Agent with (HTTP 403, "error code: 1010",
// an HTML page rather than Discord's JSON). It is recorded as the
// Request's Code.
const CloudflareBrowserBanned = 1010

// userAgentRE is the format Discord requires of every HTTP API client,
// "DiscordBot ($url, $versionNumber)", optionally followed by more text;
// requests without one "may be blocked and return a Cloudflare error"
// (https://discord.com/developers/docs/reference#user-agent). The stand-in
// always blocks them, so that a client that forgets the header fails here
// and not first against Discord.
var userAgentRE = regexp.MustCompile(`^DiscordBot \(([^,()\s]+), ([^()]*[^()\s][^()]*)\)`)

// ValidUserAgent reports whether ua has the form Discord requires: the
// word DiscordBot, then an http(s) URL and a version in parentheses.
func ValidUserAgent(ua string) bool {
	m := userAgentRE.FindStringSubmatch(ua)
	if m == nil {
		return false
	}
	u, err := url.Parse(m[1])
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// writeCloudflareBlock answers like Cloudflare in front of Discord: 403
// with an HTML body, no Discord JSON and no rate-limit headers.
func writeCloudflareBlock(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=UTF-8")
	w.WriteHeader(http.StatusForbidden)
	_, _ = fmt.Fprint(w, "<!DOCTYPE html><title>Access denied | discord.com used Cloudflare to restrict access</title>"+
		"<h1>Error 1010</h1><p>The owner of this website has banned your access based on your browser's signature.</p>")
}

// SimUserAgent is the User-Agent ClientOpts gives disgo clients that
// tests build straight against the simulator.
const SimUserAgent = "DiscordBot (https://github.com/alphabetcartel/ashbot, discordsim)"

// contentExemptLocked reports whether m's content reaches an app without
// the MESSAGE_CONTENT intent anyway: messages the app sent, DMs with it and
// messages that mention it (https://discord.com/developers/docs/events/gateway#message-content-intent;
// the fourth exemption, the target of a message context-menu command,
// applies to the interaction payload, which is never blanked).
func (s *Sim) contentExemptLocked(m *Message) bool {
	return m.GuildID == 0 || m.Author.ID == s.opts.BotUserID || slices.Contains(m.MentionUsers, s.opts.BotUserID)
}

// restBlankLocked reports whether REST answers blank message content: over
// the HTTP API the intent is the app's, enabled in the developer portal or
// not (here: not in Options.DisallowedIntents), whatever a gateway session
// asked for (events/gateway#message-content-intent: "Apps without the
// intent will receive empty values ... across the APIs").
func (s *Sim) restBlankLocked() bool {
	return s.opts.DisallowedIntents.Has(gateway.IntentMessageContent)
}

// Upload limits.
const (
	// maxFilesPerMessage: a message takes at most 10 attachments (the
	// "attachments" array of message requests has maxItems 10 in Discord's
	// OpenAPI description, github.com/discord/discord-api-spec).
	maxFilesPerMessage = 10
	// DefaultMaxFileSize is the per-file upload limit without Nitro or
	// boosts, 10 MiB (https://discord.com/developers/docs/reference#uploading-files).
	DefaultMaxFileSize = 10 << 20
)

// checkUploads applies the per-message file count and per-file size.
func checkUploads(p *parsed, maxSize int) error {
	if len(p.uploads) > maxFilesPerMessage || (p.Attachments != nil && len(*p.Attachments) > maxFilesPerMessage) {
		return fieldErr("attachments", "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", maxFilesPerMessage)
	}
	for _, u := range p.uploads {
		if len(u.data) > maxSize {
			return errFileTooLarge
		}
	}
	return nil
}

// errFileTooLarge maps to 413/40005 like Discord's answer to an oversized
// file.
var errFileTooLarge = errors.New("file larger than the upload limit")

// embedImageExts are the only files an embed may show through
// attachment:// (reference#uploading-files: "Only .jpg, .jpeg, .png,
// .webp, and .gif may be used at this time").
var embedImageExts = []string{".jpg", ".jpeg", ".png", ".webp", ".gif"}

// embedFilesMatch checks that every attachment://name in p's embeds names
// a file of the resulting message: one uploaded with p (under the filename
// its attachments entry gives it) or, for an edit, an existing attachment
// p keeps. Embeds reference uploads "using the attachment://filename URL"
// (https://discord.com/developers/docs/reference#uploading-files); a name
// that matches nothing would leave the embed without its image.
func embedFilesMatch(p *parsed, existing []Attachment, edit bool) error {
	if p.Embeds == nil {
		return nil
	}
	names := map[string]bool{}
	refs := map[int]attachmentRef{}
	keep := map[string]bool{}
	if p.Attachments != nil {
		for _, ref := range *p.Attachments {
			idx, id, ok := attachmentIndex(ref.ID)
			switch {
			case !ok:
			case id != 0:
				keep[id.String()] = true
			default:
				refs[idx] = ref
			}
		}
	}
	for _, u := range p.uploads {
		name := u.filename
		if ref, ok := refs[u.index]; ok && ref.Filename != nil && *ref.Filename != "" {
			name = *ref.Filename
		}
		names[name] = true
	}
	if edit {
		for _, a := range existing {
			if p.Attachments == nil || keep[a.ID.String()] {
				names[a.Filename] = true
			}
		}
	}
	for i, e := range *p.Embeds {
		urls := map[string]string{}
		if e.Image != nil {
			urls["image.url"] = e.Image.URL
		}
		if e.Thumbnail != nil {
			urls["thumbnail.url"] = e.Thumbnail.URL
		}
		if e.Author != nil {
			urls["author.icon_url"] = e.Author.IconURL
		}
		if e.Footer != nil {
			urls["footer.icon_url"] = e.Footer.IconURL
		}
		for _, field := range slices.Sorted(maps.Keys(urls)) {
			name, ok := strings.CutPrefix(urls[field], "attachment://")
			if !ok {
				continue
			}
			at := fmt.Sprintf("embeds.%d.%s", i, field)
			if !slices.Contains(embedImageExts, strings.ToLower(path.Ext(name))) {
				return fieldErr(at, "URL_TYPE_INVALID_URL", "Attachment %q is not an image an embed can show.", name)
			}
			if !names[name] {
				return fieldErr(at, "URL_TYPE_INVALID_URL", "No attachment named %q in this message.", name)
			}
		}
	}
	return nil
}

// checkSelectOption applies the string select option limits: label and
// value 1 to 100 characters, description up to 100
// (https://discord.com/developers/docs/components/reference#string-select-select-option-structure).
func checkSelectOption(o discord.StringSelectMenuOption, at string) error {
	for _, f := range []struct {
		name, v string
		min     int
	}{{"label", o.Label, 1}, {"value", o.Value, 1}, {"description", o.Description, 0}} {
		if n := len([]rune(f.v)); n < f.min || n > 100 {
			return fieldErr(at+"."+f.name, "BASE_TYPE_BAD_LENGTH", "Must be between %d and 100 in length.", f.min)
		}
	}
	return nil
}
