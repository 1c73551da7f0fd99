package followup

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/ash"
	"github.com/alphabetcartel/ashbot/internal/schedule"
)

// Keys (see the package comment). The timers are in the retention
// category scheduler; the rest under ash:session:, session_data, whose
// keys may name people. Every operation touches one key, so the layout is
// Cluster-safe. Session ids are 8 hex characters, so none of these names
// is mistaken for a session.
const (
	TimersKey     = schedule.KeyPrefix + "followups"
	checkinPrefix = ash.SessionPrefix + "followup:"
	lastPrefix    = ash.SessionPrefix + "followup-last:"
	pendingPrefix = ash.SessionPrefix + "followup-pending:"
)

// CheckinKey names an alert's check-in.
func CheckinKey(alertID string) string { return checkinPrefix + alertID }

// LastKey names when a person last got a check-in.
func LastKey(userID string) string { return lastPrefix + userID }

// PendingKey names the check-in a person's reply answers.
func PendingKey(userID string) string { return pendingPrefix + userID }

// perPerson is the least time between two check-ins to one person.
const perPerson = 24 * time.Hour

// margin keeps a key a day past its last use, so that a clock a little
// off never removes it while it still counts.
const margin = 24 * time.Hour

// States of a check-in.
const (
	stateScheduled = "scheduled"
	stateSending   = "sending" // claimed by one replica; a crash here loses it rather than send it twice
	stateSent      = "sent"
	stateSkipped   = "skipped"
)

// checkin is an alert's check-in as stored.
type checkin struct {
	AlertID   string
	UserID    string
	SessionID string // the chat that ended
	EndedAt   time.Time
	State     string
	SentAt    time.Time
	DMChannel string
	MessageID string
}

func msText(t time.Time) string { return strconv.FormatInt(t.UnixMilli(), 10) }

func msField(h map[string]string, f string) time.Time {
	n, err := strconv.ParseInt(h[f], 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMilli(n).UTC()
}

// createScript writes a check-in unless the alert has one already (1: it
// was written). updated_at is what retention cleanup reads as its age.
var createScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'user_id', ARGV[1], 'session_id', ARGV[2], 'ended_at', ARGV[3], 'due_at', ARGV[4],
  'state', 'scheduled', 'updated_at', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6])
return 1`)

// create stores the check-in of chat s, due at due, once per alert. It
// lives until a reply to it could no longer count.
func (c *Checkins) create(ctx context.Context, s ash.Session, due time.Time) (bool, error) {
	ttl := max(s.EndedAt.Add(2*c.opts.Max+margin).Sub(c.opts.Clock.Now()), margin)
	n, err := createScript.Run(ctx, c.opts.Redis, []string{CheckinKey(s.AlertID)},
		s.UserID, s.ID, msText(s.EndedAt), msText(due), msText(c.opts.Clock.Now()), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("create the check-in of alert %s: %w", s.AlertID, err)
	}
	return n == 1, nil
}

// load returns an alert's check-in; false when there is none.
func (c *Checkins) load(ctx context.Context, alertID string) (checkin, bool, error) {
	h, err := c.opts.Redis.HGetAll(ctx, CheckinKey(alertID)).Result()
	if err != nil {
		return checkin{}, false, fmt.Errorf("load the check-in of alert %s: %w", alertID, err)
	}
	if len(h) == 0 {
		return checkin{}, false, nil
	}
	return checkin{
		AlertID: alertID, UserID: h["user_id"], SessionID: h["session_id"], EndedAt: msField(h, "ended_at"),
		State: h["state"], SentAt: msField(h, "sent_at"), DMChannel: h["dm_channel_id"], MessageID: h["message_id"],
	}, true, nil
}

// moveScript changes a check-in's state from ARGV[1] to ARGV[2] and sets
// the field pairs that follow ARGV[3] (updated_at); 0 when it was not in
// ARGV[1]. This is the claim that makes a check-in go out once.
var moveScript = redis.NewScript(`
if redis.call('HGET', KEYS[1], 'state') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', ARGV[2], 'updated_at', ARGV[3])
for i = 4, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
return 1`)

// move changes the check-in's state, if it is in from.
func (c *Checkins) move(ctx context.Context, alertID, from, to string, fields ...string) (bool, error) {
	args := []any{from, to, msText(c.opts.Clock.Now())}
	for _, f := range fields {
		args = append(args, f)
	}
	n, err := moveScript.Run(ctx, c.opts.Redis, []string{CheckinKey(alertID)}, args...).Int()
	if err != nil {
		return false, fmt.Errorf("check-in of alert %s from %s to %s: %w", alertID, from, to, err)
	}
	return n == 1, nil
}

// lastScript takes the person's check-in slot: 0 when they had one less
// than ARGV[2] ms before ARGV[1]. The time is in the value, not only in
// the TTL, so the rule follows the bot's clock.
var lastScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]))
if v and tonumber(ARGV[1]) - v < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return 1`)

func (c *Checkins) takeSlot(ctx context.Context, userID string, at time.Time) (bool, error) {
	n, err := lastScript.Run(ctx, c.opts.Redis, []string{LastKey(userID)}, msText(at),
		perPerson.Milliseconds(), (perPerson + margin).Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("a person's last check-in: %w", err)
	}
	return n == 1, nil
}

// delIfScript deletes a key that still holds ARGV[1].
var delIfScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)

// releaseSlot gives back a slot taken at at for a check-in that was not
// sent after all.
func (c *Checkins) releaseSlot(ctx context.Context, userID string, at time.Time) error {
	if err := delIfScript.Run(ctx, c.opts.Redis, []string{LastKey(userID)}, msText(at)).Err(); err != nil {
		return fmt.Errorf("release a person's check-in slot: %w", err)
	}
	return nil
}

// setPending makes the person's replies answer the check-in of alertID.
func (c *Checkins) setPending(ctx context.Context, userID, alertID string) error {
	if err := c.opts.Redis.Set(ctx, PendingKey(userID), alertID, c.opts.Max+margin).Err(); err != nil {
		return fmt.Errorf("a person's pending check-in: %w", err)
	}
	return nil
}

// pending returns the alert whose check-in the person's reply answers.
func (c *Checkins) pending(ctx context.Context, userID string) (string, bool, error) {
	id, err := c.opts.Redis.Get(ctx, PendingKey(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("a person's pending check-in: %w", err)
	}
	return id, true, nil
}

func (c *Checkins) clearPending(ctx context.Context, userID, alertID string) error {
	if err := delIfScript.Run(ctx, c.opts.Redis, []string{PendingKey(userID)}, alertID).Err(); err != nil {
		return fmt.Errorf("clear a person's pending check-in: %w", err)
	}
	return nil
}

// carryScript records a check-in sent at ARGV[1] unless a later one is
// stored.
var carryScript = redis.NewScript(`
local v = tonumber(redis.call('GET', KEYS[1]))
if v and v >= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`)

// CarryLast records that userID got a check-in at sent: the earlier
// Ash-Bot's ash:followup:last:{user_id}, carried over by `ashbot migrate
// from-ash-bot`, so that one check-in a day still holds across the switch.
// It reports false, writing nothing, when sent is a day or more before now
// or a later check-in is stored.
func CarryLast(ctx context.Context, rdb redis.UniversalClient, userID string, sent, now time.Time) (bool, error) {
	ttl := sent.Add(perPerson + margin).Sub(now)
	if now.Sub(sent) >= perPerson {
		return false, nil
	}
	n, err := carryScript.Run(ctx, rdb, []string{LastKey(userID)}, msText(sent), ttl.Milliseconds()).Int()
	if err != nil {
		return false, fmt.Errorf("carry a person's last check-in: %w", err)
	}
	return n == 1, nil
}
