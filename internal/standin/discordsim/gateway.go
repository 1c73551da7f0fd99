package discordsim

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/disgoorg/disgo/discord"
	"github.com/disgoorg/disgo/gateway"
	"github.com/disgoorg/snowflake/v2"
	"github.com/gorilla/websocket"
)

// Gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).
const (
	opDispatch            = 0
	opHeartbeat           = 1
	opIdentify            = 2
	opPresenceUpdate      = 3
	opVoiceStateUpdate    = 4
	opResume              = 6
	opReconnect           = 7
	opRequestGuildMembers = 8
	opInvalidSession      = 9
	opHello               = 10
	opHeartbeatACK        = 11
	opRequestSoundboard   = 31
)

// Gateway close codes the simulator uses.
const (
	CloseUnknownError         = 4000
	CloseUnknownOpcode        = 4001
	CloseDecodeError          = 4002
	CloseNotAuthenticated     = 4003
	CloseAuthenticationFailed = 4004
	CloseAlreadyAuthenticated = 4005
	CloseInvalidShard         = 4010
	CloseInvalidAPIVersion    = 4012
	CloseInvalidIntents       = 4013
	CloseDisallowedIntents    = 4014
)

// replayLimit bounds how many dispatches a session keeps for Resume.
const replayLimit = 2000

type seqFrame struct {
	seq  int
	data []byte
}

// session is a gateway session; it outlives connections so Resume works.
type session struct {
	id         string
	intents    gateway.Intents
	shardID    int
	shardCount int
	compress   bool // payload compression, asked for in Identify
	seq        int
	frames     []seqFrame
	conn       *gwConn
}

func (ss *session) handlesGuild(guildID snowflake.ID) bool {
	if ss.shardCount <= 1 {
		return true
	}
	return int((uint64(guildID)>>22)%uint64(ss.shardCount)) == ss.shardID
}

type outFrame struct {
	data      []byte
	closeCode int
	closeText string
	abrupt    bool
}

// gwConn is one websocket connection. Writes go through a queue drained by
// a dedicated goroutine so the simulator never blocks on a slow client while
// holding its lock (disgo handles events on its read goroutine, and a
// handler doing REST would otherwise deadlock against a blocked write).
type gwConn struct {
	sim *Sim
	id  int
	ws  *websocket.Conn

	mu       sync.Mutex
	queue    []outFrame
	closing  bool
	compress bool // identify said compress: true (see wireFrame)
	noACK    bool // heartbeats go unanswered (StopHeartbeatACKs)
	wake     chan struct{}

	readerDone chan struct{}
	writerDone chan struct{}

	// Guarded by Sim.mu.
	sess *session
}

func (c *gwConn) enqueue(f outFrame) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	if f.closeCode != 0 || f.abrupt {
		c.closing = true
	}
	c.queue = append(c.queue, f)
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// isClosing reports whether a close was queued; frames read after that are
// ignored so a session cannot be created on a connection being shut down.
func (c *gwConn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

func (c *gwConn) send(op int, d any) {
	raw, err := json.Marshal(struct {
		Op int     `json:"op"`
		D  any     `json:"d"`
		S  *int    `json:"s"`
		T  *string `json:"t"`
	}{Op: op, D: d})
	if err != nil {
		c.sim.log.Error("marshal gateway frame", slog.Any("err", err))
		return
	}
	c.enqueue(outFrame{data: raw})
}

// closeWith sends a close frame; the connection ends once the client answers.
func (c *gwConn) closeWith(code int, text string) {
	c.enqueue(outFrame{closeCode: code, closeText: text})
}

// drop ends the connection without a close frame, like a network failure.
func (c *gwConn) drop() {
	c.enqueue(outFrame{abrupt: true})
}

func (c *gwConn) writeLoop() {
	defer close(c.writerDone)
	for range c.wake {
		c.mu.Lock()
		q := c.queue
		c.queue = nil
		c.mu.Unlock()
		for _, f := range q {
			switch {
			case f.abrupt:
				_ = c.ws.Close()
				return
			case f.closeCode != 0:
				msg := websocket.FormatCloseMessage(f.closeCode, f.closeText)
				_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(5*time.Second))
				// Give the client a moment to read the frame and answer before
				// the TCP connection goes; closing at once can turn the close
				// frame into a reset on the client side.
				select {
				case <-c.readerDone:
				case <-time.After(2 * time.Second):
				}
				_ = c.ws.Close()
				return
			default:
				_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
				if err := c.ws.WriteMessage(c.wireFrame(f.data)); err != nil {
					c.sim.log.Debug("gateway write failed", slog.Int("conn", c.id), slog.Any("err", err))
					_ = c.ws.Close()
					return
				}
			}
		}
	}
}

func (s *Sim) serveGateway(w http.ResponseWriter, r *http.Request) {
	up := websocket.Upgrader{
		// The simulator only listens on loopback; any origin is fine.
		CheckOrigin: func(*http.Request) bool { return true },
	}
	ws, err := up.Upgrade(w, r, nil)
	if err != nil {
		s.log.Debug("gateway upgrade failed", slog.Any("err", err))
		return
	}
	c := &gwConn{
		sim:        s,
		ws:         ws,
		wake:       make(chan struct{}, 1),
		readerDone: make(chan struct{}),
		writerDone: make(chan struct{}),
	}
	ws.SetReadLimit(1 << 20)

	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.st.connN++
	c.id = s.st.connN
	s.st.conns[c] = struct{}{}
	s.recordLocked(Event{Kind: KindGatewayConnect})
	s.mu.Unlock()

	// Not tracked by s.wg: with KeepGatewayOnClose the connection outlives
	// Close; otherwise Close waits on writerDone itself.
	go c.writeLoop()

	q := r.URL.Query()
	switch {
	case q.Get("v") != "" && q.Get("v") != "10":
		c.closeWith(CloseInvalidAPIVersion, "Invalid API version")
	case q.Get("encoding") != "" && q.Get("encoding") != "json":
		c.closeWith(CloseDecodeError, "discordsim only speaks encoding=json")
	case q.Get("compress") != "":
		// zlib-stream and zstd-stream; payload compression (compress:
		// true in Identify) is supported.
		c.closeWith(CloseDecodeError, "discordsim does not support transport compression")
	default:
		c.send(opHello, map[string]any{"heartbeat_interval": s.opts.HeartbeatInterval.Milliseconds()})
	}
	code := c.readLoop()
	close(c.readerDone)
	c.drop()
	s.connGone(c, code)
}

// readLoop handles client frames until the connection ends and returns the
// close code the client sent (0 if none).
func (c *gwConn) readLoop() int {
	s := c.sim
	for {
		_, data, err := c.ws.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			return 0
		}
		if c.isClosing() {
			continue // keep reading only to complete the close handshake
		}
		var msg struct {
			Op *int            `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if err := json.Unmarshal(data, &msg); err != nil || msg.Op == nil {
			c.closeWith(CloseDecodeError, "Error while decoding payload.")
			continue
		}
		s.mu.Lock()
		identified := c.sess != nil
		s.mu.Unlock()
		switch op := *msg.Op; {
		case op == opHeartbeat:
			if c.acks() {
				c.send(opHeartbeatACK, nil)
			}
			s.mu.Lock()
			s.recordLocked(Event{Kind: KindHeartbeat})
			s.mu.Unlock()
		case op == opIdentify:
			s.identify(c, msg.D)
		case op == opResume:
			s.resume(c, msg.D)
		case !identified && (op == opPresenceUpdate || op == opVoiceStateUpdate || op == opRequestGuildMembers || op == opRequestSoundboard):
			c.closeWith(CloseNotAuthenticated, "Not authenticated.")
		case op == opPresenceUpdate, op == opVoiceStateUpdate, op == opRequestSoundboard:
			// Accepted and ignored: the simulator has no presence or voice model.
		case op == opRequestGuildMembers:
			s.requestGuildMembers(c, msg.D)
		default:
			c.closeWith(CloseUnknownOpcode, "Unknown opcode.")
		}
	}
}

func (s *Sim) connGone(c *gwConn, clientCode int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.st.conns, c)
	if ss := c.sess; ss != nil && ss.conn == c {
		ss.conn = nil
		// A normal close from the client ends the session on Discord too;
		// anything else leaves it resumable.
		if clientCode == websocket.CloseNormalClosure || clientCode == websocket.CloseGoingAway {
			delete(s.st.sessions, ss.id)
		}
	}
	sid := ""
	if c.sess != nil {
		sid = c.sess.id
	}
	s.recordLocked(Event{Kind: KindGatewayClose, SessionID: sid, CloseCode: clientCode})
}

func (s *Sim) tokenOKLocked(token string) bool {
	if s.st.tokenBad || token == "" {
		return false
	}
	token = strings.TrimPrefix(token, "Bot ")
	return s.opts.Token == "" || token == s.opts.Token
}

func (s *Sim) identify(c *gwConn, raw json.RawMessage) {
	var d struct {
		Token    string           `json:"token"`
		Intents  *gateway.Intents `json:"intents"`
		Shard    *[2]int          `json:"shard"`
		Compress bool             `json:"compress"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case c.sess != nil:
		c.closeWith(CloseAlreadyAuthenticated, "Already authenticated.")
		return
	case !s.tokenOKLocked(d.Token):
		s.recordLocked(Event{Kind: KindIdentifyRejected, CloseCode: CloseAuthenticationFailed})
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return
	case d.Intents == nil:
		c.closeWith(CloseInvalidIntents, "Invalid intent(s).")
		return
	case *d.Intents&s.opts.DisallowedIntents != 0:
		c.closeWith(CloseDisallowedIntents, "Disallowed intent(s).")
		return
	}
	shard := [2]int{0, 1}
	if d.Shard != nil {
		shard = *d.Shard
	}
	if shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1] {
		c.closeWith(CloseInvalidShard, "Invalid shard.")
		return
	}
	s.st.sessionN++
	ss := &session{
		id:         fmt.Sprintf("sim-session-%04d", s.st.sessionN),
		intents:    *d.Intents,
		shardID:    shard[0],
		shardCount: shard[1],
		compress:   d.Compress,
		conn:       c,
	}
	s.st.sessions[ss.id] = ss
	c.sess = ss
	c.setCompress(d.Compress)

	bot := s.userWire(s.opts.BotUserID)
	guilds := []map[string]any{}
	if ss.handlesGuild(s.opts.GuildID) {
		guilds = append(guilds, map[string]any{"id": s.opts.GuildID, "unavailable": true})
	}
	ready := map[string]any{
		"v": 10,
		"user": map[string]any{
			"id": bot.ID, "username": bot.Username, "discriminator": "0", "global_name": bot.GlobalName,
			"avatar": nil, "bot": true, "verified": true, "mfa_enabled": false, "flags": 0, "email": nil,
		},
		"guilds":             guilds,
		"session_id":         ss.id,
		"session_type":       "normal",
		"resume_gateway_url": s.wsBaseLocked() + "/gateway/resume",
		"shard":              shard,
		"application": map[string]any{
			"id":    s.opts.ApplicationID,
			"flags": discord.ApplicationFlagGatewayGuildMemberLimited | discord.ApplicationFlagGatewayMessageContentLimited,
		},
		"private_channels":    []any{},
		"presences":           []any{},
		"relationships":       []any{},
		"guild_join_requests": []any{},
		"user_settings":       map[string]any{},
	}
	s.sendLocked(ss, "READY", mustJSON(ready))
	if ss.handlesGuild(s.opts.GuildID) && ss.intents.Has(gateway.IntentGuilds) {
		s.sendLocked(ss, "GUILD_CREATE", mustJSON(s.guildWire(true, ss.intents)))
	}
	s.recordLocked(Event{Kind: KindReady, SessionID: ss.id})
}

func (s *Sim) resume(c *gwConn, raw json.RawMessage) {
	var d struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int    `json:"seq"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.sess != nil {
		c.closeWith(CloseAlreadyAuthenticated, "Already authenticated.")
		return
	}
	if !s.tokenOKLocked(d.Token) {
		s.recordLocked(Event{Kind: KindIdentifyRejected, CloseCode: CloseAuthenticationFailed})
		c.closeWith(CloseAuthenticationFailed, "Authentication failed.")
		return
	}
	ss, ok := s.st.sessions[d.SessionID]
	if ok && len(ss.frames) > 0 && d.Seq < ss.frames[0].seq-1 {
		ok = false // the events the client missed are no longer retained
	}
	if !ok || d.Seq > ss.seq {
		c.send(opInvalidSession, false)
		s.recordLocked(Event{Kind: KindInvalidSession, SessionID: d.SessionID})
		return
	}
	if old := ss.conn; old != nil && old != c {
		old.sess = nil
		old.drop()
	}
	ss.conn = c
	c.sess = ss
	c.setCompress(ss.compress)
	replayed := 0
	for _, f := range ss.frames {
		if f.seq > d.Seq {
			c.enqueue(outFrame{data: f.data})
			replayed++
		}
	}
	s.sendLocked(ss, "RESUMED", []byte(`{}`))
	s.recordLocked(Event{Kind: KindResumed, SessionID: ss.id, Replayed: replayed})
}

func (s *Sim) requestGuildMembers(c *gwConn, raw json.RawMessage) {
	var d struct {
		GuildID snowflake.ID   `json:"guild_id"`
		Query   *string        `json:"query"`
		Limit   int            `json:"limit"`
		UserIDs []snowflake.ID `json:"user_ids"`
		Nonce   string         `json:"nonce"`
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		c.closeWith(CloseDecodeError, "Error while decoding payload.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := c.sess
	if ss == nil || d.GuildID != s.opts.GuildID {
		return
	}
	members := []wireMember{}
	notFound := []snowflake.ID{}
	if len(d.UserIDs) > 0 {
		for _, id := range d.UserIDs {
			if m, ok := s.st.members[id]; ok {
				members = append(members, s.memberWire(m, true, false))
			} else {
				notFound = append(notFound, id)
			}
		}
	} else {
		q := ""
		if d.Query != nil {
			q = strings.ToLower(*d.Query)
		}
		for _, id := range s.st.memberOrder {
			if d.Limit > 0 && len(members) >= d.Limit {
				break
			}
			if strings.HasPrefix(strings.ToLower(s.st.users[id].name), q) {
				members = append(members, s.memberWire(s.st.members[id], true, false))
			}
		}
	}
	s.sendLocked(ss, "GUILD_MEMBERS_CHUNK", mustJSON(map[string]any{
		"guild_id": s.opts.GuildID, "members": members, "chunk_index": 0, "chunk_count": 1,
		"not_found": notFound, "nonce": d.Nonce,
	}))
}
