package discordsim

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/snowflake/v2"
)

// ---- REST: callbacks and interaction webhooks ----

func (s *Sim) interactionCallback(q *apiReq) response {
	var body struct {
		Type discord.InteractionResponseType `json:"type"`
		Data json.RawMessage                 `json:"data"`
	}
	uploads, err := readBody(q.r, q.body, &body)
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, _ := q.id("interaction")
	in := s.st.interactions[id]
	if in == nil || in.token != q.r.PathValue("token") {
		return errResp(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
	}
	if in.acked {
		return errResp(http.StatusBadRequest, CodeInteractionAcknowledged, "Interaction has already been acknowledged.")
	}
	if s.expiredLocked(in, s.opts.InteractionDeadline) {
		return errResp(http.StatusNotFound, CodeUnknownInteraction, "Unknown interaction")
	}
	cb := InteractionCallback{InteractionID: in.id, Type: body.Type, At: s.nowLocked(), Data: body.Data}
	invalid := func() response {
		return formResp(fieldErr("type", "INTERACTION_RESPONSE_TYPE_INVALID", "Interaction response type %d is not valid for interaction type %d", body.Type, in.typ))
	}
	parseData := func(create bool) (*parsed, *response) {
		p := &parsed{uploads: uploads}
		if len(body.Data) > 0 && string(body.Data) != "null" {
			if err := json.Unmarshal(body.Data, &p.msgPayload); err != nil {
				return nil, ptr(formResp(fieldErr("data", "MODEL_TYPE_CONVERT", "%v", err)))
			}
		}
		if err := p.validate(create); err != nil {
			return nil, ptr(formResp(err))
		}
		return p, nil
	}
	// Simulated interactions are commands, components and modal submits only
	// (no ping, no autocomplete), so types 4 and 5 fit every one and type 8
	// (autocomplete result) none.
	switch body.Type {
	case discord.InteractionResponseTypeCreateMessage:
		p, res := parseData(true)
		if res != nil {
			return *res
		}
		m, res := s.responseMessageLocked(in, p)
		if res != nil {
			return *res
		}
		in.originalID = m.ID
		s.insertMessageLocked(m)
		cb.MessageID, cb.Files = m.ID, m.Attachments
	case discord.InteractionResponseTypeDeferredCreateMessage:
		p, res := parseData(false)
		if res != nil {
			return *res
		}
		p.Content, p.Embeds, p.components, p.uploads = nil, nil, nil, nil
		m, res := s.responseMessageLocked(in, p)
		if res != nil {
			return *res
		}
		m.Flags |= discord.MessageFlagLoading
		in.originalID = m.ID
		in.deferredPending = true
		s.insertMessageLocked(m)
		cb.MessageID = m.ID
	case discord.InteractionResponseTypeDeferredUpdateMessage, discord.InteractionResponseTypeUpdateMessage:
		if in.sourceMsgID == 0 {
			return invalid()
		}
		src, ok := s.st.messages[in.sourceMsgID]
		if !ok || src.Deleted {
			return unknownMessage()
		}
		in.originalID = src.ID
		cb.MessageID = src.ID
		if body.Type == discord.InteractionResponseTypeUpdateMessage {
			p, res := parseData(false)
			if res != nil {
				return *res
			}
			if res := s.editMessageLocked(src, p, 0); res != nil {
				return *res
			}
			cb.Files = src.Attachments
		}
	case discord.InteractionResponseTypeModal:
		if in.typ == discord.InteractionTypeModalSubmit {
			return invalid()
		}
		modal, err := parseModal(body.Data)
		if err != nil {
			return formResp(err)
		}
		in.modal = modal
		cb.Modal = in.modal
	case discord.InteractionResponseTypeLaunchActivity:
		// Recorded only; there is nothing to simulate.
	default:
		return invalid()
	}
	in.acked = true
	if cb.MessageID != 0 {
		cb.Message = ptr(s.st.messages[cb.MessageID].clone())
	}
	in.callbacks = append(in.callbacks, cb)
	s.recordLocked(Event{Kind: KindInteractionCallback, InteractionID: in.id, ChannelID: in.channelID, MessageID: cb.MessageID, Callback: ptr(cb)})
	if q.r.URL.Query().Get("with_response") == "true" {
		res := map[string]any{"type": body.Type}
		if cb.MessageID != 0 {
			res["message"] = s.messageWire(s.st.messages[cb.MessageID], false, false, 0)
		}
		return jsonResp(http.StatusOK, map[string]any{
			"interaction": map[string]any{
				"id": in.id, "type": in.typ, "response_message_id": cb.MessageID,
				"response_message_loading":   body.Type == discord.InteractionResponseTypeDeferredCreateMessage,
				"response_message_ephemeral": cb.Message != nil && cb.Message.Ephemeral(),
			},
			"resource": res,
		})
	}
	return noContent()
}

// expiredLocked reports whether more than d passed since the interaction
// was created, on the simulated clock or on the wall clock: Discord's
// deadlines (3 s to the initial response, 15 min for the token,
// https://discord.com/developers/docs/interactions/receiving-and-responding#responding-to-an-interaction)
// run in real time, so a bot that is slow for real fails here even when a
// test's simulated clock stands still.
func (s *Sim) expiredLocked(in *interactionRec, d time.Duration) bool {
	return s.nowLocked().Sub(in.createdAt) > d || s.opts.WallClock().Sub(in.wallAt) > d
}

// parseModal validates the data of a modal callback (type 9): custom_id
// 1 to 100 characters, title 1 to 45, and labelled text inputs
// (https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal).
func parseModal(data json.RawMessage) (*Modal, error) {
	var d struct {
		CustomID   string            `json:"custom_id"`
		Title      string            `json:"title"`
		Components []json.RawMessage `json:"components"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fieldErr("data", "MODEL_TYPE_CONVERT", "%v", err)
	}
	if n := len([]rune(d.CustomID)); n < 1 || n > 100 {
		return nil, fieldErr("data.custom_id", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 100 in length.")
	}
	if n := len([]rune(d.Title)); n < 1 || n > 45 {
		return nil, fieldErr("data.title", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 45 in length.")
	}
	if len(d.Components) == 0 {
		return nil, fieldErr("data.components", "BASE_TYPE_REQUIRED", "This field is required")
	}
	comps, err := parseComponents(d.Components, true)
	if err != nil {
		var fe *formError
		if errors.As(err, &fe) {
			fe.path = "data." + fe.path
		}
		return nil, err
	}
	return &Modal{CustomID: d.CustomID, Title: d.Title, Components: comps}, nil
}

// responseMessageLocked builds the message an interaction response or
// follow-up creates: authored by the bot, flagged as coming from the app's
// webhook, allowed to be ephemeral.
func (s *Sim) responseMessageLocked(in *interactionRec, p *parsed) (*Message, *response) {
	c, ok := s.st.channels[in.channelID]
	if !ok {
		return nil, ptr(unknownChannel())
	}
	m, res := s.buildMessageLocked(c, s.opts.BotUserID, p, channelFlagsAllowed|discord.MessageFlagEphemeral)
	if res != nil {
		return nil, res
	}
	m.WebhookID = s.opts.ApplicationID
	m.InteractionID = in.id
	if in.typ == discord.InteractionTypeApplicationCommand && m.Type == discord.MessageTypeDefault {
		m.Type = discord.MessageTypeSlashCommand
		if in.commandType != discord.ApplicationCommandTypeSlash {
			m.Type = discord.MessageTypeContextMenuCommand
		}
	}
	return m, nil
}

// webhookInteractionLocked resolves /webhooks/{app}/{token} to the
// interaction whose token it is.
func (s *Sim) webhookInteractionLocked(q *apiReq) (*interactionRec, *response) {
	app, ok := q.id("app")
	in := s.st.byToken[q.r.PathValue("token")]
	if !ok || app != s.opts.ApplicationID || in == nil {
		if ok && app != s.opts.ApplicationID {
			s.log.Warn("webhook call for another application id; build the client with sim.Token()",
				slog.String("got", app.String()), slog.String("want", s.opts.ApplicationID.String()))
		}
		return nil, ptr(errResp(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook"))
	}
	if s.expiredLocked(in, s.opts.InteractionTokenTTL) {
		return nil, ptr(errResp(http.StatusUnauthorized, CodeInvalidWebhookToken, "Invalid Webhook Token"))
	}
	if !in.acked {
		return nil, ptr(errResp(http.StatusNotFound, CodeUnknownWebhook, "Unknown Webhook"))
	}
	return in, nil
}

// webhookMessageLocked resolves /webhooks/{app}/{token}/messages/{message}
// (or @original) to the interaction and one of its response messages.
func (s *Sim) webhookMessageLocked(q *apiReq) (*interactionRec, *Message, *response) {
	in, res := s.webhookInteractionLocked(q)
	if res != nil {
		return nil, nil, res
	}
	var id snowflake.ID
	if raw := q.r.PathValue("message"); raw == "" {
		id = in.originalID
	} else {
		var err error
		id, err = snowflake.Parse(raw)
		if err != nil || (id != in.originalID && !slices.Contains(in.followups, id)) {
			return nil, nil, ptr(unknownMessage())
		}
	}
	m, ok := s.st.messages[id]
	if id == 0 || !ok || m.Deleted {
		return nil, nil, ptr(unknownMessage())
	}
	return in, m, nil
}

func (s *Sim) createFollowup(q *apiReq) response {
	p, err := parseMessage(q.r, q.body, true)
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, res := s.webhookInteractionLocked(q)
	if res != nil {
		return *res
	}
	if in.deferredPending {
		// The first follow-up after a deferred response replaces the
		// "thinking" message, keeping the ephemeral choice made when deferring.
		if m, ok := s.st.messages[in.originalID]; ok && !m.Deleted {
			if res := s.editMessageLocked(m, p, discord.MessageFlagLoading); res != nil {
				return *res
			}
			in.deferredPending = false
			return s.messageResp(m)
		}
	}
	m, res := s.responseMessageLocked(in, p)
	if res != nil {
		return *res
	}
	in.followups = append(in.followups, m.ID)
	s.insertMessageLocked(m)
	return s.messageResp(m)
}

func (s *Sim) getWebhookMessage(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, res := s.webhookMessageLocked(q)
	if res != nil {
		return *res
	}
	return s.messageResp(m)
}

func (s *Sim) updateWebhookMessage(q *apiReq) response {
	p, err := parseMessage(q.r, q.body, false)
	if err != nil {
		return formResp(err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	in, m, res := s.webhookMessageLocked(q)
	if res != nil {
		return *res
	}
	if res := s.editMessageLocked(m, p, discord.MessageFlagLoading); res != nil {
		return *res
	}
	if m.ID == in.originalID {
		in.deferredPending = false
	}
	return s.messageResp(m)
}

func (s *Sim) deleteWebhookMessage(q *apiReq) response {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, m, res := s.webhookMessageLocked(q)
	if res != nil {
		return *res
	}
	s.deleteMessageLocked(m)
	return noContent()
}
