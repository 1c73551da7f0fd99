package detection

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/alphabetcartel/ashbot/internal/events"
)

// CooldownKey names a person's open alert during the cooldown. It sits
// under ash:alert: (retention category alert_state) and lives
// BOT_ALERT_COOLDOWN.
func CooldownKey(userID string) string { return "ash:alert:cooldown:" + userID }

// Open is the person's alert that holds the cooldown.
type Open struct {
	AlertID  string          `json:"alert_id"`
	Severity events.Severity `json:"severity"`
	// Where the alert is; empty while it is being posted.
	AlertChannelID string `json:"alert_channel_id,omitempty"`
	AlertMessageID string `json:"alert_message_id,omitempty"`
	ThreadID       string `json:"thread_id,omitempty"`
	// UntilMS is when the cooldown ends (unix ms) on the bot's clock,
	// which may not be Redis's: the key's own TTL, set from the same
	// period, only bounds how long Redis keeps it. Zero (written before
	// this field existed) leaves the end to the TTL.
	UntilMS int64 `json:"until_ms,omitempty"`
}

// over reports whether o's cooldown has ended at now.
func (o Open) over(now time.Time) bool { return o.UntilMS != 0 && now.UnixMilli() >= o.UntilMS }

// Posted reports whether the alert is out (its thread is known).
func (o Open) Posted() bool { return o.AlertMessageID != "" }

// Decision is what to do with a message at or above the alert threshold.
type Decision int

// Decisions.
const (
	// Alert: no open alert; raise one.
	Alert Decision = iota
	// Note: an open alert of the same or higher severity; add the message
	// to its thread.
	Note
	// Escalate: an open alert of lower severity; raise a new alert at the
	// new severity, linked with the open one.
	Escalate
)

// Cooldowns keeps each person's open alert in Redis, so the cooldown holds
// across restarts and replicas.
type Cooldowns struct {
	rdb    redis.UniversalClient
	period time.Duration
	now    func() time.Time
}

// NewCooldowns returns the cooldown store; period 0 switches cooldowns off.
// A cooldown ends at now()+period on the clock given, so that tests and
// the demo, whose clocks run ahead of Redis's, see it end when they should.
func NewCooldowns(rdb redis.UniversalClient, period time.Duration, now func() time.Time) (*Cooldowns, error) {
	if rdb == nil || now == nil {
		return nil, errors.New("detection: cooldowns need Redis and a clock")
	}
	return &Cooldowns{rdb: rdb, period: period, now: now}, nil
}

// decideScript reads the open alert and, when the message is to raise a
// new one (none open, or a higher severity), takes the cooldown for it at
// once, so that two replicas deciding about two messages of one person at
// the same moment raise one alert. A value whose until_ms is not after
// ARGV[4] (now, ms) is over, as if absent. It returns the earlier value
// (empty when none or over) and 1 when this caller took the cooldown.
var decideScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
local rank = tonumber(ARGV[2])
if cur then
  local ok, v = pcall(cjson.decode, cur)
  if ok and type(v) == 'table' then
    local untl = tonumber(v['until_ms'])
    if untl and untl <= tonumber(ARGV[4]) then
      cur = ''
    else
      local r = ({low=1, medium=2, high=3, critical=4})[v['severity']] or 0
      if rank <= r then return {cur, 0} end
    end
  end
else
  cur = ''
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
return {cur, 1}`)

// Decide says whether a message of severity sev by userID raises an alert,
// goes to the open alert's thread, or escalates. For Alert and Escalate
// the cooldown is now held for alertID (Posted must follow); prev is the
// open alert for Note and Escalate.
func (c *Cooldowns) Decide(ctx context.Context, userID, alertID string, sev events.Severity) (Decision, Open, error) {
	if c.period <= 0 {
		return Alert, Open{}, nil
	}
	now := c.now()
	mine, err := json.Marshal(Open{AlertID: alertID, Severity: sev, UntilMS: now.Add(c.period).UnixMilli()})
	if err != nil {
		return Alert, Open{}, err
	}
	res, err := decideScript.Run(ctx, c.rdb, []string{CooldownKey(userID)}, mine, sev.Rank(), c.period.Milliseconds(), now.UnixMilli()).Slice()
	if err != nil || len(res) != 2 {
		return Alert, Open{}, fmt.Errorf("alert cooldown: %w", err)
	}
	raw, _ := res[0].(string)
	took, _ := res[1].(int64)
	var prev Open
	if raw != "" {
		if json.Unmarshal([]byte(raw), &prev) != nil {
			prev = Open{}
		}
	}
	switch {
	case took == 0:
		return Note, prev, nil
	case prev.AlertID != "":
		return Escalate, prev, nil
	}
	return Alert, Open{}, nil
}

// Posted records where the alert that holds the cooldown went, keeping the
// cooldown's time, unless another alert took the cooldown meanwhile.
func (c *Cooldowns) Posted(ctx context.Context, userID string, o Open) error {
	if c.period <= 0 {
		return nil
	}
	v, err := json.Marshal(o)
	if err != nil {
		return err
	}
	if err := postedScript.Run(ctx, c.rdb, []string{CooldownKey(userID)}, v, o.AlertID).Err(); err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("alert cooldown: %w", err)
	}
	return nil
}

var postedScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, v = pcall(cjson.decode, cur)
if not ok or type(v) ~= 'table' or v['alert_id'] ~= ARGV[2] then return 0 end
local nv = ARGV[1]
if v['until_ms'] then
  -- The cooldown keeps the end it was taken with. 13-digit ms fit
  -- cjson's 14 significant digits exactly.
  local n = cjson.decode(nv)
  n['until_ms'] = v['until_ms']
  nv = cjson.encode(n)
end
redis.call('SET', KEYS[1], nv, 'KEEPTTL')
return 1`)

// Load returns the open alert, if any.
func (c *Cooldowns) Load(ctx context.Context, userID string) (Open, bool, error) {
	raw, err := c.rdb.Get(ctx, CooldownKey(userID)).Result()
	if errors.Is(err, redis.Nil) {
		return Open{}, false, nil
	}
	if err != nil {
		return Open{}, false, fmt.Errorf("alert cooldown: %w", err)
	}
	var o Open
	if err := json.Unmarshal([]byte(raw), &o); err != nil || o.over(c.now()) {
		return Open{}, false, nil
	}
	return o, true, nil
}

// Release gives the cooldown back when the alert holding it could not be
// posted, so the next message raises one.
func (c *Cooldowns) Release(ctx context.Context, userID, alertID string) error {
	if c.period <= 0 {
		return nil
	}
	return releaseScript.Run(ctx, c.rdb, []string{CooldownKey(userID)}, alertID).Err()
}

var releaseScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local ok, v = pcall(cjson.decode, cur)
if ok and type(v) == 'table' and v['alert_id'] == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`)
