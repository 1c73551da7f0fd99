package ash

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Keys of a chat's text and of its reply lock. The text is message
// history (retention category message_history): it lives under a prefix
// of its own, never inside the session hash, so that retention and
// `ashbot storage` see it for what it is, and it is deleted when the chat
// ends. The lock is a scheduler-style claim under ash:schedule:.
const (
	ChatPrefix = "ash:chat:"
	replyLock  = schedule.KeyPrefix + "ash-reply:"
)

// ChatKey names the list of a chat's turns.
func ChatKey(sessionID string) string { return ChatPrefix + sessionID }

// ReplyLockKey names the claim of the replica writing a chat's reply.
func ReplyLockKey(sessionID string) string { return replyLock + sessionID + ":lock" }

// maxStoredTurns bounds the list: far more than any context budget sends,
// so trimming never changes a request, while a four-hour chat cannot grow
// without end.
const maxStoredTurns = 200

// ChatTurn is one stored message of a chat: the person's (User) or Ash's
// (Assistant). Concern is the topic safety.Concern found in a message of
// the person's; resources go with the reply to it.
type ChatTurn struct {
	Role      string `json:"r"`
	Text      string `json:"t"`
	At        int64  `json:"at"`          // unix ms
	MessageID string `json:"m,omitempty"` // the person's Discord message, to drop a duplicate
	Concern   string `json:"c,omitempty"`

	raw string // as stored, to find it again (Answer)
}

// Chats keeps the turns of chats in Redis. Every operation is on one key.
type Chats struct {
	rdb redis.UniversalClient
	ttl time.Duration // BOT_RETENTION_MESSAGE_HISTORY_DAYS
}

// NewChats returns a Chats whose lists live ttl after their last turn.
func NewChats(rdb redis.UniversalClient, ttl time.Duration) (*Chats, error) {
	if rdb == nil || ttl <= 0 {
		return nil, fmt.Errorf("ash: chats need a redis client and a positive message-history retention (%v)", ttl)
	}
	return &Chats{rdb: rdb, ttl: ttl}, nil
}

// appendScript adds a turn unless one with the same message id is among
// the last ones (another replica got the same gateway event), trims the
// list and renews its TTL. 1: added, 0: a duplicate.
var appendScript = redis.NewScript(`
local id = ARGV[2]
if id ~= '' then
  for _, v in ipairs(redis.call('LRANGE', KEYS[1], -20, -1)) do
    local ok, t = pcall(cjson.decode, v)
    if ok and t['m'] == id then return 0 end
  end
end
redis.call('RPUSH', KEYS[1], ARGV[1])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// Append stores t in chat sessionID. It reports false when the same
// message was stored already.
func (c *Chats) Append(ctx context.Context, sessionID string, t ChatTurn) (bool, error) {
	b, err := json.Marshal(t)
	if err != nil {
		return false, fmt.Errorf("chat %s: encode a turn: %w", sessionID, err)
	}
	n, err := appendScript.Run(ctx, c.rdb, []string{ChatKey(sessionID)}, b, t.MessageID, c.ttl.Milliseconds(), maxStoredTurns).Int()
	if err != nil {
		return false, fmt.Errorf("chat %s: store a turn: %w", sessionID, err)
	}
	return n == 1, nil
}

// answerScript puts Ash's reply right after the last message it answers
// (messages that came meanwhile stay after it, for the next reply), or at
// the end when that message was trimmed away.
var answerScript = redis.NewScript(`
if redis.call('LINSERT', KEYS[1], 'AFTER', ARGV[1], ARGV[2]) <= 0 then
  redis.call('RPUSH', KEYS[1], ARGV[2])
end
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[4]), -1)
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`)

// Answer stores reply as the answer to the person's message last (one
// returned by Turns).
func (c *Chats) Answer(ctx context.Context, sessionID string, last, reply ChatTurn) error {
	b, err := json.Marshal(reply)
	if err != nil {
		return fmt.Errorf("chat %s: encode a turn: %w", sessionID, err)
	}
	if err := answerScript.Run(ctx, c.rdb, []string{ChatKey(sessionID)}, last.raw, b, c.ttl.Milliseconds(), maxStoredTurns).Err(); err != nil {
		return fmt.Errorf("chat %s: store a reply: %w", sessionID, err)
	}
	return nil
}

// Turns returns the stored turns, oldest first. A turn that cannot be
// read is skipped: it must not stop the chat.
func (c *Chats) Turns(ctx context.Context, sessionID string) ([]ChatTurn, error) {
	vs, err := c.rdb.LRange(ctx, ChatKey(sessionID), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("chat %s: read turns: %w", sessionID, err)
	}
	out := make([]ChatTurn, 0, len(vs))
	for _, v := range vs {
		var t ChatTurn
		if json.Unmarshal([]byte(v), &t) == nil && (t.Role == roleUser || t.Role == roleAssistant) {
			t.raw = v
			out = append(out, t)
		}
	}
	return out, nil
}

// Delete removes a chat's text: the chat ended.
func (c *Chats) Delete(ctx context.Context, sessionID string) error {
	if err := c.rdb.Del(ctx, ChatKey(sessionID)).Err(); err != nil {
		return fmt.Errorf("chat %s: delete its text: %w", sessionID, err)
	}
	return nil
}

// Lock claims the writing of chat sessionID's reply for ttl, across
// replicas: only one reply is in flight per chat. It returns the token
// that Unlock needs, or "" when another holds the claim.
func (c *Chats) Lock(ctx context.Context, sessionID string, ttl time.Duration) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("reply lock: %w", err)
	}
	token := hex.EncodeToString(b[:])
	ok, err := c.rdb.SetNX(ctx, ReplyLockKey(sessionID), token, ttl).Result()
	if err != nil {
		return "", fmt.Errorf("chat %s: claim the reply: %w", sessionID, err)
	}
	if !ok {
		return "", nil
	}
	return token, nil
}

// Unlock releases a claim held with token.
func (c *Chats) Unlock(ctx context.Context, sessionID, token string) error {
	if err := releaseUserScript.Run(ctx, c.rdb, []string{ReplyLockKey(sessionID)}, token).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("chat %s: release the reply claim: %w", sessionID, err)
	}
	return nil
}
