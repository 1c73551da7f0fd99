package discordsim

// Dispatches: how the simulator sends gateway events to the sessions that
// may see them (intents, guilds), numbered for resume.

import (
	"encoding/json"
	"slices"
	"strings"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
)

// sendLocked appends a dispatch to the session's history and, if connected,
// to its connection's queue.
func (s *Sim) sendLocked(ss *session, t string, d []byte) {
	ss.seq++
	frame := mustJSON(struct {
		Op int             `json:"op"`
		S  int             `json:"s"`
		T  string          `json:"t"`
		D  json.RawMessage `json:"d"`
	}{Op: opDispatch, S: ss.seq, T: t, D: d})
	ss.frames = append(ss.frames, seqFrame{seq: ss.seq, data: frame})
	if len(ss.frames) > replayLimit {
		ss.frames = slices.Clone(ss.frames[len(ss.frames)-replayLimit:])
	}
	if ss.conn != nil {
		ss.conn.enqueue(outFrame{data: frame})
	}
}

func (s *Sim) sortedSessionsLocked() []*session {
	out := make([]*session, 0, len(s.st.sessions))
	for _, ss := range s.st.sessions {
		out = append(out, ss)
	}
	slices.SortFunc(out, func(a, b *session) int { return strings.Compare(a.id, b.id) })
	return out
}

// dispatchGuildLocked sends a guild-scoped event to sessions that have the
// intent and own the guild's shard.
func (s *Sim) dispatchGuildLocked(t string, need gateway.Intents, data any) {
	var raw []byte
	for _, ss := range s.sortedSessionsLocked() {
		if !ss.handlesGuild(s.opts.GuildID) || (need != 0 && !ss.intents.Has(need)) {
			continue
		}
		if raw == nil {
			raw = mustJSON(data)
		}
		s.sendLocked(ss, t, raw)
	}
}

// dispatchAnyLocked sends an event that needs no intent (INTERACTION_CREATE)
// to the session responsible for it: the guild's shard, or shard 0 for DMs.
func (s *Sim) dispatchAnyLocked(t string, guild bool, data any) {
	var raw []byte
	for _, ss := range s.sortedSessionsLocked() {
		if guild && !ss.handlesGuild(s.opts.GuildID) || !guild && ss.shardID != 0 {
			continue
		}
		if raw == nil {
			raw = mustJSON(data)
		}
		s.sendLocked(ss, t, raw)
	}
}

func (s *Sim) dispatchMemberLocked(t string, m *memberRec) {
	w := s.memberWire(m, true, false)
	w.GuildID = ptr(s.opts.GuildID)
	s.dispatchGuildLocked(t, gateway.IntentGuildMembers, w)
}

func (s *Sim) dispatchChannelLocked(t string, c *channelRec) {
	if c.Type == discord.ChannelTypeDM {
		return // Discord no longer sends CHANNEL_CREATE for DMs to bots.
	}
	s.dispatchGuildLocked(t, gateway.IntentGuilds, s.channelWire(c))
}

func (s *Sim) dispatchThreadCreateLocked(c *channelRec) {
	w := s.channelWire(c)
	w.NewlyCreated = ptr(true)
	s.dispatchGuildLocked("THREAD_CREATE", gateway.IntentGuilds, w)
}

// dispatchMessageLocked sends MESSAGE_CREATE/UPDATE. Ephemeral messages are
// never dispatched. Sessions without MESSAGE_CONTENT get the content fields
// blanked unless the message is a DM, is the bot's own, or mentions the bot.
func (s *Sim) dispatchMessageLocked(t string, m *Message) {
	if m.Ephemeral() {
		return
	}
	guild := m.GuildID != 0
	need := gateway.IntentDirectMessages
	if guild {
		need = gateway.IntentGuildMessages
	}
	exempt := s.contentExemptLocked(m)
	var full, blank []byte
	for _, ss := range s.sortedSessionsLocked() {
		if !ss.intents.Has(need) || guild && !ss.handlesGuild(s.opts.GuildID) || !guild && ss.shardID != 0 {
			continue
		}
		if exempt || ss.intents.Has(gateway.IntentMessageContent) {
			if full == nil {
				full = mustJSON(s.messageWire(m, false, true, 0))
			}
			s.sendLocked(ss, t, full)
		} else {
			if blank == nil {
				blank = mustJSON(s.messageWire(m, true, true, 0))
			}
			s.sendLocked(ss, t, blank)
		}
	}
}

func (s *Sim) dispatchMessageDeleteLocked(m *Message) {
	if m.Ephemeral() {
		return
	}
	d := map[string]any{"id": m.ID, "channel_id": m.ChannelID}
	need := gateway.IntentDirectMessages
	if m.GuildID != 0 {
		d["guild_id"] = m.GuildID
		need = gateway.IntentGuildMessages
	}
	raw := mustJSON(d)
	for _, ss := range s.sortedSessionsLocked() {
		if ss.intents.Has(need) {
			s.sendLocked(ss, "MESSAGE_DELETE", raw)
		}
	}
}
