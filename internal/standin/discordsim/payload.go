package discordsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // register decoders so attachment width/height are filled in
	_ "image/jpeg"
	_ "image/png"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// msgPayload is the union of the message-shaped request bodies: channel
// messages, edits, webhook/follow-up messages and interaction callback data.
// Pointer fields distinguish "absent" from "empty" for edits.
type msgPayload struct {
	Content          *string                   `json:"content"`
	Nonce            json.RawMessage           `json:"nonce"`
	EnforceNonce     bool                      `json:"enforce_nonce"`
	TTS              bool                      `json:"tts"`
	Embeds           *[]discord.Embed          `json:"embeds"`
	Components       *[]json.RawMessage        `json:"components"`
	Attachments      *[]attachmentRef          `json:"attachments"`
	AllowedMentions  *discord.AllowedMentions  `json:"allowed_mentions"`
	MessageReference *discord.MessageReference `json:"message_reference"`
	Flags            *discord.MessageFlags     `json:"flags"`
	StickerIDs       []snowflake.ID            `json:"sticker_ids"`
	Poll             json.RawMessage           `json:"poll"`
	ThreadName       string                    `json:"thread_name"`
	CustomID         string                    `json:"custom_id"` // modals
	Title            string                    `json:"title"`     // modals
	Choices          []map[string]any          `json:"choices"`   // autocomplete
}

type attachmentRef struct {
	ID          json.RawMessage `json:"id"`
	Description *string         `json:"description"`
	Filename    *string         `json:"filename"`
}

type upload struct {
	index    int
	filename string
	data     []byte
}

// parsed is a validated message payload.
type parsed struct {
	msgPayload
	components []discord.LayoutComponent
	nonce      string
	uploads    []upload
}

var filesField = regexp.MustCompile(`^files\[(\d+)\]$`)

// readBody decodes a JSON or multipart/form-data (payload_json + files[n])
// body into v and returns the uploaded files.
func readBody(r *http.Request, body []byte, v any) ([]upload, error) {
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		if len(bytes.TrimSpace(body)) == 0 {
			return nil, nil
		}
		if err := json.Unmarshal(body, v); err != nil {
			return nil, fieldErr("_body", "JSON_DECODE", "invalid JSON: %v", err)
		}
		return nil, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	var uploads []upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fieldErr("_body", "MULTIPART", "invalid multipart body: %v", err)
		}
		data, err := io.ReadAll(part)
		if err != nil {
			return nil, fmt.Errorf("read multipart part: %w", err)
		}
		name := part.FormName()
		switch {
		case name == "payload_json":
			if err := json.Unmarshal(data, v); err != nil {
				return nil, fieldErr("payload_json", "JSON_DECODE", "invalid JSON: %v", err)
			}
		case filesField.MatchString(name) || name == "file":
			idx := len(uploads)
			if m := filesField.FindStringSubmatch(name); m != nil {
				idx, _ = strconv.Atoi(m[1])
			}
			if part.FileName() == "" {
				return nil, fieldErr(name, "BASE_TYPE_REQUIRED", "This field is required")
			}
			uploads = append(uploads, upload{index: idx, filename: part.FileName(), data: data})
		}
	}
	return uploads, nil
}

// parseMessage reads and validates a message-shaped body. create selects the
// stricter rules of new messages (non-empty, nonce).
func parseMessage(r *http.Request, body []byte, create bool) (*parsed, error) {
	p := &parsed{}
	ups, err := readBody(r, body, &p.msgPayload)
	if err != nil {
		return nil, err
	}
	p.uploads = ups
	if err := p.validate(create); err != nil {
		return nil, err
	}
	return p, nil
}

func (p *parsed) validate(create bool) error {
	if p.Content != nil && utf8.RuneCountInString(*p.Content) > 2000 {
		return fieldErr("content", "BASE_TYPE_MAX_LENGTH", "Must be 2000 or fewer in length.")
	}
	if len(p.Nonce) > 0 && string(p.Nonce) != "null" {
		var str string
		var num int64
		switch {
		case json.Unmarshal(p.Nonce, &str) == nil:
			if len(str) > 25 {
				return fieldErr("nonce", "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
			}
			p.nonce = str
		case json.Unmarshal(p.Nonce, &num) == nil:
			p.nonce = strconv.FormatInt(num, 10)
		default:
			return fieldErr("nonce", "NONCE_TYPE_INVALID", "Only integers and strings are allowed as nonce.")
		}
	}
	if p.Embeds != nil {
		if err := validateEmbeds(*p.Embeds); err != nil {
			return err
		}
	}
	if err := checkUploads(p, DefaultMaxFileSize); err != nil {
		return err
	}
	if p.Components != nil {
		comps, err := parseComponents(*p.Components, false)
		if err != nil {
			return err
		}
		p.components = comps
	}
	if create {
		empty := (p.Content == nil || *p.Content == "") && (p.Embeds == nil || len(*p.Embeds) == 0) &&
			len(p.uploads) == 0 && len(p.components) == 0 && len(p.StickerIDs) == 0 && len(p.Poll) == 0
		if empty {
			return errEmptyMessage
		}
	}
	return nil
}

// errEmptyMessage maps to 400/50006 rather than the generic 50035.
var errEmptyMessage = errors.New("cannot send an empty message")

func validateEmbeds(embeds []discord.Embed) error {
	if len(embeds) > 10 {
		return fieldErr("embeds", "BASE_TYPE_MAX_LENGTH", "Must be 10 or fewer in length.")
	}
	total := 0
	for i, e := range embeds {
		at := func(f string) string { return fmt.Sprintf("embeds.%d.%s", i, f) }
		check := func(field, v string, max int) error {
			n := utf8.RuneCountInString(v)
			total += n
			if n > max {
				return fieldErr(at(field), "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", max)
			}
			return nil
		}
		if err := check("title", e.Title, 256); err != nil {
			return err
		}
		if err := check("description", e.Description, 4096); err != nil {
			return err
		}
		if e.Footer != nil {
			if err := check("footer.text", e.Footer.Text, 2048); err != nil {
				return err
			}
		}
		if e.Author != nil {
			if err := check("author.name", e.Author.Name, 256); err != nil {
				return err
			}
		}
		if len(e.Fields) > 25 {
			return fieldErr(at("fields"), "BASE_TYPE_MAX_LENGTH", "Must be 25 or fewer in length.")
		}
		for j, f := range e.Fields {
			if f.Name == "" {
				return fieldErr(at(fmt.Sprintf("fields.%d.name", j)), "BASE_TYPE_REQUIRED", "This field is required")
			}
			if f.Value == "" {
				return fieldErr(at(fmt.Sprintf("fields.%d.value", j)), "BASE_TYPE_REQUIRED", "This field is required")
			}
			if err := check(fmt.Sprintf("fields.%d.name", j), f.Name, 256); err != nil {
				return err
			}
			if err := check(fmt.Sprintf("fields.%d.value", j), f.Value, 1024); err != nil {
				return err
			}
		}
		if e.URL != "" && !strings.HasPrefix(e.URL, "http://") && !strings.HasPrefix(e.URL, "https://") {
			return fieldErr(at("url"), "URL_TYPE_INVALID_URL", "Not a well formed URL.")
		}
	}
	if total > 6000 {
		return fieldErr("embeds", "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
	}
	return nil
}

// rawComponent is the generic shape used to validate components before
// handing them to disgo's types (whose decoders panic on some bad shapes).
type rawComponent struct {
	Type        discord.ComponentType `json:"type"`
	Components  []json.RawMessage     `json:"components"`
	CustomID    *string               `json:"custom_id"`
	Style       int                   `json:"style"`
	Label       string                `json:"label"`
	URL         string                `json:"url"`
	SkuID       string                `json:"sku_id"`
	Options     []json.RawMessage     `json:"options"`
	Component   json.RawMessage       `json:"component"`
	Emoji       json.RawMessage       `json:"emoji"`
	Placeholder string                `json:"placeholder"`
	MinLength   *int                  `json:"min_length"`
	MaxLength   *int                  `json:"max_length"`
	Value       string                `json:"value"`
	MinValues   *int                  `json:"min_values"`
	MaxValues   *int                  `json:"max_values"`
}

// parseComponents validates top-level action rows; modal selects the rules
// for modal bodies (labels around text inputs) instead of message bodies.
func parseComponents(rows []json.RawMessage, modal bool) ([]discord.LayoutComponent, error) {
	if len(rows) > 5 {
		return nil, fieldErr("components", "BASE_TYPE_MAX_LENGTH", "Must be 5 or fewer in length.")
	}
	seen := map[string]bool{}
	out := make([]discord.LayoutComponent, 0, len(rows))
	for i, raw := range rows {
		at := fmt.Sprintf("components.%d", i)
		var row rawComponent
		if err := json.Unmarshal(raw, &row); err != nil {
			return nil, fieldErr(at, "MODEL_TYPE_CONVERT", "Could not interpret component: %v", err)
		}
		if modal {
			label, err := parseModalLabel(row, raw, at, seen)
			if err != nil {
				return nil, err
			}
			out = append(out, label)
			continue
		}
		if row.Type != discord.ComponentTypeActionRow {
			return nil, fieldErr(at+".type", "UNION_TYPE_CHOICES", "Top-level components must be action rows (type 1), got %d", row.Type)
		}
		if len(row.Components) == 0 || len(row.Components) > 5 {
			return nil, fieldErr(at+".components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.")
		}
		for j, craw := range row.Components {
			cat := fmt.Sprintf("%s.components.%d", at, j)
			var c rawComponent
			if err := json.Unmarshal(craw, &c); err != nil {
				return nil, fieldErr(cat, "MODEL_TYPE_CONVERT", "Could not interpret component: %v", err)
			}
			if err := validateComponent(c, cat, modal, len(row.Components)); err != nil {
				return nil, err
			}
			if c.CustomID != nil {
				if seen[*c.CustomID] {
					return nil, fieldErr(cat+".custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
				}
				seen[*c.CustomID] = true
			}
		}
		var ar discord.ActionRowComponent
		if err := json.Unmarshal(raw, &ar); err != nil {
			return nil, fieldErr(at, "MODEL_TYPE_CONVERT", "Could not interpret component: %v", err)
		}
		out = append(out, ar)
	}
	return out, nil
}

// parseModalLabel validates one top-level modal component: a label (type
// 18) holding a text input, the form Discord documents for modals
// (https://discord.com/developers/docs/components/reference#label); the
// older action row of text inputs is deprecated there and disgo no longer
// builds it.
func parseModalLabel(row rawComponent, raw json.RawMessage, at string, seen map[string]bool) (discord.LabelComponent, error) {
	var label discord.LabelComponent
	if row.Type != discord.ComponentTypeLabel {
		return label, fieldErr(at+".type", "UNION_TYPE_CHOICES", "Modals take labels (type 18), got %d", row.Type)
	}
	if row.Label == "" || utf8.RuneCountInString(row.Label) > 45 {
		return label, fieldErr(at+".label", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
	}
	var c rawComponent
	if err := json.Unmarshal(row.Component, &c); err != nil || len(row.Component) == 0 {
		return label, fieldErr(at+".component", "BASE_TYPE_REQUIRED", "This field is required")
	}
	if err := validateComponent(c, at+".component", true, 1); err != nil {
		return label, err
	}
	if seen[*c.CustomID] {
		return label, fieldErr(at+".component.custom_id", "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id cannot be duplicated")
	}
	seen[*c.CustomID] = true
	if err := json.Unmarshal(raw, &label); err != nil {
		return label, fieldErr(at, "MODEL_TYPE_CONVERT", "Could not interpret component: %v", err)
	}
	return label, nil
}

func validateComponent(c rawComponent, at string, modal bool, rowLen int) error {
	needID := func(max int) error {
		if c.CustomID == nil || *c.CustomID == "" {
			return fieldErr(at+".custom_id", "BASE_TYPE_REQUIRED", "This field is required")
		}
		if utf8.RuneCountInString(*c.CustomID) > max {
			return fieldErr(at+".custom_id", "BASE_TYPE_MAX_LENGTH", "Must be %d or fewer in length.", max)
		}
		return nil
	}
	if modal {
		if c.Type != discord.ComponentTypeTextInput {
			return fieldErr(at+".type", "UNION_TYPE_CHOICES", "Modals only accept text inputs (type 4), got %d", c.Type)
		}
		if c.Style != 1 && c.Style != 2 {
			return fieldErr(at+".style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.")
		}
		// min_length 0 to 4000, max_length 1 to 4000, value up to 4000,
		// placeholder up to 100
		// (https://discord.com/developers/docs/components/reference#text-input).
		if c.MinLength != nil && (*c.MinLength < 0 || *c.MinLength > 4000) {
			return fieldErr(at+".min_length", "NUMBER_TYPE_MAX", "int value should be between 0 and 4000.")
		}
		if c.MaxLength != nil && (*c.MaxLength < 1 || *c.MaxLength > 4000) {
			return fieldErr(at+".max_length", "NUMBER_TYPE_MAX", "int value should be between 1 and 4000.")
		}
		if utf8.RuneCountInString(c.Value) > 4000 {
			return fieldErr(at+".value", "BASE_TYPE_MAX_LENGTH", "Must be 4000 or fewer in length.")
		}
		if utf8.RuneCountInString(c.Placeholder) > 100 {
			return fieldErr(at+".placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 100 or fewer in length.")
		}
		return needID(100)
	}
	switch c.Type {
	case discord.ComponentTypeButton:
		if utf8.RuneCountInString(c.Label) > 80 {
			return fieldErr(at+".label", "BASE_TYPE_MAX_LENGTH", "Must be 80 or fewer in length.")
		}
		// A button shows a label, an emoji or both; premium buttons show
		// the SKU instead and may have neither
		// (https://discord.com/developers/docs/components/reference#button).
		hasEmoji := len(c.Emoji) > 0 && string(c.Emoji) != "null"
		if c.Style != int(discord.ButtonStylePremium) && c.Label == "" && !hasEmoji {
			return fieldErr(at+".label", "BUTTON_COMPONENT_LABEL_OR_EMOJI_REQUIRED", "A button needs a label or an emoji")
		}
		switch c.Style {
		case int(discord.ButtonStyleLink):
			if c.URL == "" {
				return fieldErr(at+".url", "BASE_TYPE_REQUIRED", "This field is required")
			}
			if c.CustomID != nil {
				return fieldErr(at+".custom_id", "BUTTON_COMPONENT_CUSTOM_ID_NOT_ALLOWED", "A custom id cannot be specified for link buttons")
			}
		case int(discord.ButtonStylePremium):
			if c.SkuID == "" {
				return fieldErr(at+".sku_id", "BASE_TYPE_REQUIRED", "This field is required")
			}
		case 1, 2, 3, 4:
			if c.URL != "" {
				return fieldErr(at+".url", "BUTTON_COMPONENT_URL_NOT_ALLOWED", "A url can only be specified for link buttons")
			}
			return needID(100)
		default:
			return fieldErr(at+".style", "BASE_TYPE_CHOICES", "Value must be one of {1, 2, 3, 4, 5, 6}.")
		}
	case discord.ComponentTypeStringSelectMenu, discord.ComponentTypeUserSelectMenu, discord.ComponentTypeRoleSelectMenu,
		discord.ComponentTypeMentionableSelectMenu, discord.ComponentTypeChannelSelectMenu:
		if rowLen != 1 {
			return fieldErr(at, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "The specified component exceeds the maximum width")
		}
		// Placeholder at most 150, options 1 to 25 with label and value at
		// most 100, min_values 0 to 25, max_values 1 to 25
		// (https://discord.com/developers/docs/components/reference#string-select).
		if utf8.RuneCountInString(c.Placeholder) > 150 {
			return fieldErr(at+".placeholder", "BASE_TYPE_MAX_LENGTH", "Must be 150 or fewer in length.")
		}
		if c.MinValues != nil && (*c.MinValues < 0 || *c.MinValues > 25) {
			return fieldErr(at+".min_values", "NUMBER_TYPE_MAX", "int value should be between 0 and 25.")
		}
		if c.MaxValues != nil && (*c.MaxValues < 1 || *c.MaxValues > 25) {
			return fieldErr(at+".max_values", "NUMBER_TYPE_MAX", "int value should be between 1 and 25.")
		}
		if c.Type == discord.ComponentTypeStringSelectMenu {
			if len(c.Options) == 0 || len(c.Options) > 25 {
				return fieldErr(at+".options", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 25 in length.")
			}
			for k, raw := range c.Options {
				var o discord.StringSelectMenuOption
				if err := json.Unmarshal(raw, &o); err != nil {
					return fieldErr(fmt.Sprintf("%s.options.%d", at, k), "MODEL_TYPE_CONVERT", "Could not interpret option: %v", err)
				}
				if err := checkSelectOption(o, fmt.Sprintf("%s.options.%d", at, k)); err != nil {
					return err
				}
			}
		}
		return needID(100)
	case discord.ComponentTypeTextInput:
		return fieldErr(at+".type", "COMPONENT_TYPE_INVALID", "Text inputs are only allowed in modals")
	default:
		return fieldErr(at+".type", "UNION_TYPE_CHOICES", "Unknown component type %d", c.Type)
	}
	return nil
}

// attachmentIndex interprets an attachments[].id: small numbers refer to
// files[n] of this request, snowflakes to existing attachments.
func attachmentIndex(raw json.RawMessage) (idx int, existing snowflake.ID, ok bool) {
	s := strings.Trim(string(raw), `"`)
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	if n < 1<<22 {
		return int(n), 0, true
	}
	return 0, snowflake.ID(n), true
}

// attachmentsLocked builds the attachment list for a new or edited message:
// kept existing ones (edits) followed by this request's uploads.
func (s *Sim) attachmentsLocked(channelID snowflake.ID, p *parsed, existing []Attachment, edit bool) []Attachment {
	var out []Attachment
	refs := map[int]attachmentRef{}
	keep := map[snowflake.ID]bool{}
	if p.Attachments != nil {
		for _, ref := range *p.Attachments {
			idx, id, ok := attachmentIndex(ref.ID)
			switch {
			case !ok:
			case id != 0:
				keep[id] = true
			default:
				refs[idx] = ref
			}
		}
	}
	if edit {
		for _, a := range existing {
			if p.Attachments == nil || keep[a.ID] {
				out = append(out, a)
			}
		}
	}
	for _, u := range p.uploads {
		a := Attachment{ID: s.nextIDLocked(), Filename: u.filename, Size: len(u.data), Data: bytes.Clone(u.data)}
		if ref, ok := refs[u.index]; ok {
			if ref.Description != nil {
				a.Description = *ref.Description
			}
			if ref.Filename != nil && *ref.Filename != "" {
				a.Filename = *ref.Filename
			}
		}
		a.ContentType = mime.TypeByExtension(strings.ToLower(filepath.Ext(a.Filename)))
		if a.ContentType == "" {
			a.ContentType = http.DetectContentType(a.Data)
		}
		if cfg, _, err := image.DecodeConfig(bytes.NewReader(a.Data)); err == nil {
			a.Width, a.Height = cfg.Width, cfg.Height
		}
		a.URL = fmt.Sprintf("%s/attachments/%s/%s/%s", s.baseURL, channelID, a.ID, a.Filename)
		s.st.attachments[a.ID] = &a
		out = append(out, a)
	}
	return out
}
