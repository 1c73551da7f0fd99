package detection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/ashnlp"
	"github.com/alphabetcartel/ashbot/internal/events"
)

// HistoryPrefix starts every history key.
const HistoryPrefix = "ash:history:"

// HistoryKey names a person's message history in a guild, the earlier
// bot's key so an existing deployment's history keeps working.
func HistoryKey(guildID, userID string) string { return HistoryPrefix + guildID + ":" + userID }

// HistoryTextRunes is how much of a message history keeps (the earlier
// bot's 500 characters).
const HistoryTextRunes = 500

// HistoryContext is how many of the newest messages go to /analyze.
const HistoryContext = ashnlp.MaxHistory

// Entry is one member of a history set, in the earlier bot's JSON shape.
type Entry struct {
	Message     string  `json:"message"`
	Timestamp   string  `json:"timestamp"` // ISO-8601
	CrisisScore float64 `json:"crisis_score"`
	Severity    string  `json:"severity"`
	MessageID   string  `json:"message_id"`
}

// History keeps the recent messages of people, classified low or above,
// as context for the next classification.
type History struct {
	rdb       redis.UniversalClient
	max       int
	retention time.Duration
	now       func() time.Time
}

// NewHistory returns a History that keeps at most max messages per person
// for retention (BOT_HISTORY_MAX_MESSAGES, BOT_RETENTION_MESSAGE_HISTORY_DAYS).
func NewHistory(rdb redis.UniversalClient, max int, retention time.Duration, now func() time.Time) (*History, error) {
	if rdb == nil || now == nil {
		return nil, errors.New("detection: history needs Redis and a clock")
	}
	if max < 1 || retention <= 0 {
		return nil, fmt.Errorf("detection: history needs a positive size and retention, got %d and %v", max, retention)
	}
	return &History{rdb: rdb, max: max, retention: retention, now: now}, nil
}

// addScript adds a member, first removing an earlier member for the same
// message (an edit, or a second replica), trims the set to its newest
// ARGV[3] members and sets the expiry ARGV[5] ms after the newest member.
// Scores are seconds; a score above 1e11 is a millisecond time.
var addScript = redis.NewScript(`
local key, id = KEYS[1], ARGV[4]
if id ~= '' then
  for _, m in ipairs(redis.call('ZRANGE', key, 0, -1)) do
    local ok, v = pcall(cjson.decode, m)
    if ok and type(v) == 'table' and tostring(v['message_id']) == id then redis.call('ZREM', key, m) end
  end
end
redis.call('ZADD', key, ARGV[1], ARGV[2])
local n = redis.call('ZCARD', key)
local keep = tonumber(ARGV[3])
if n > keep then redis.call('ZREMRANGEBYRANK', key, 0, n - keep - 1) end
local newest = redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')
local s = tonumber(newest[2])
local ms = s * 1000
if s > 1e11 then ms = s end
local ttl = math.floor(ms + tonumber(ARGV[5]) - tonumber(ARGV[6]))
if ttl < 60000 then ttl = 60000 end
redis.call('PEXPIRE', key, ttl)
return n`)

// seconds is a time as the earlier bot scored it: unix seconds, float.
func seconds(t time.Time) float64 { return float64(t.UnixMicro()) / 1e6 }

// Add keeps a classified message. Only low and above are kept (safe
// messages are no context worth keeping, and keeping them would store
// text for no purpose).
func (h *History) Add(ctx context.Context, guildID, userID, messageID, text string, at time.Time, sev events.Severity, score float64) error {
	if sev.Rank() < events.Low.Rank() {
		return nil
	}
	if utf8.RuneCountInString(text) > HistoryTextRunes {
		text = string([]rune(text)[:HistoryTextRunes])
	}
	member, err := json.Marshal(Entry{
		Message: text, Timestamp: at.UTC().Format(time.RFC3339Nano), CrisisScore: score,
		Severity: string(sev), MessageID: messageID,
	})
	if err != nil {
		return fmt.Errorf("history entry: %w", err)
	}
	err = addScript.Run(ctx, h.rdb, []string{HistoryKey(guildID, userID)},
		strconv.FormatFloat(seconds(at), 'f', 6, 64), member, h.max, messageID,
		h.retention.Milliseconds(), h.now().UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("add to history: %w", err)
	}
	return nil
}

// Recent returns the newest HistoryContext messages still within the
// retention, oldest first, as /analyze wants them. Members that do not
// parse (another writer's) are skipped.
func (h *History) Recent(ctx context.Context, guildID, userID string) ([]ashnlp.HistoryItem, error) {
	cutoff := h.now().Add(-h.retention)
	zs, err := h.rdb.ZRevRangeByScoreWithScores(ctx, HistoryKey(guildID, userID), &redis.ZRangeBy{
		Max: "+inf", Min: strconv.FormatFloat(seconds(cutoff), 'f', 6, 64), Count: HistoryContext,
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	out := make([]ashnlp.HistoryItem, 0, len(zs))
	for i := len(zs) - 1; i >= 0; i-- {
		s, _ := zs[i].Member.(string)
		var e Entry
		if json.Unmarshal([]byte(s), &e) != nil || e.Message == "" {
			continue
		}
		ts, err := time.Parse(time.RFC3339Nano, e.Timestamp)
		if err != nil {
			ts = ScoreTime(zs[i].Score)
		}
		score := e.CrisisScore
		out = append(out, ashnlp.HistoryItem{Message: e.Message, Timestamp: ts, CrisisScore: &score, MessageID: e.MessageID})
	}
	return out, nil
}

// ScoreTime reads a history score: unix seconds, or milliseconds when
// above 1e11 (no seconds value reaches that before the year 5138).
func ScoreTime(score float64) time.Time {
	if score > 1e11 {
		return time.UnixMilli(int64(score)).UTC()
	}
	sec := int64(score)
	return time.Unix(sec, int64((score-float64(sec))*1e9)).UTC()
}
