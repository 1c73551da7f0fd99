package metrics

import "github.com/redis/go-redis/v9"

// alertScript applies one event to one alert hash (KEYS[1]) atomically, so the
// first event of each kind wins however many replicas or clicks race.
//
// ARGV[1] op, ARGV[2] at (unix ms), then per op:
//
//	create: ttl (ms), severity, message, user, channel, sensitivity ("" = 1.0)
//	ack|ash|fr|res: by
//	opt: nothing
//	s0: session id
//	s1: session id, reason
//
// It replies {status, t0, severity, value, detail[, self]}: status 1
// recorded, 0 duplicate (value/detail then describe the first event, so the
// daily update can still be replayed), or {-1, reason} when rejected. self,
// for events with a "by", is 1 when that is the person the alert is about. Times are
// kept as strings or small numbers: Lua numbers are doubles, which hold unix
// milliseconds exactly but not snowflakes.
var alertScript = redis.NewScript(`
local k, op, at = KEYS[1], ARGV[1], tonumber(ARGV[2])
if op == 'create' then
  local cur = redis.call('HMGET', k, 't0', 'sev', 'msg')
  if cur[1] then
    return {0, tonumber(cur[1]), cur[2], 0, cur[3]}
  end
  if ARGV[8] ~= '' then
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7], 'sens', ARGV[8])
  else
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7])
  end
  redis.call('PEXPIRE', k, ARGV[3])
  return {1, at, ARGV[4], 0, ARGV[5]}
end
if op == 's1' then
  local cur = redis.call('HMGET', k, 't0', 'sev', 's0', 'sid', 's1', 'sr')
  if not cur[1] then return {-1, 'unknown alert'} end
  local t0 = tonumber(cur[1])
  local off = at - t0
  if off < 0 then return {-1, 'at is before the alert was created'} end
  if not cur[3] then return {-1, 'session_ended without session_started'} end
  if cur[4] ~= ARGV[3] then return {-1, 'session_id does not match the started session'} end
  local s0 = tonumber(cur[3])
  if cur[5] then return {0, t0, cur[2], tonumber(cur[5]) - s0, cur[6]} end
  if off < s0 then return {-1, 'session ended before it started'} end
  redis.call('HSET', k, 's1', off, 'sr', ARGV[4])
  return {1, t0, cur[2], off - s0, ARGV[4]}
end
-- One field holds the event's time; most kinds also store who (or, for a
-- session start, which session) in a second one.
local field, byField = op, op .. '_by'
if op == 's0' then byField = 'sid' elseif op == 'opt' then byField = 'opt' end
local cur = redis.call('HMGET', k, 't0', 'sev', field, byField, 'uid')
if not cur[1] then return {-1, 'unknown alert'} end
local t0 = tonumber(cur[1])
local off = at - t0
if off < 0 then return {-1, 'at is before the alert was created'} end
if cur[3] then
  if op == 'opt' then return {0, t0, cur[2], tonumber(cur[3]), ''} end
  local by = cur[4] or ''
  return {0, t0, cur[2], tonumber(cur[3]), by, by == cur[5] and 1 or 0}
end
if op == 'opt' then
  redis.call('HSET', k, field, off)
  return {1, t0, cur[2], off, ''}
end
redis.call('HSET', k, field, off, byField, ARGV[3])
return {1, t0, cur[2], off, ARGV[3], ARGV[3] == cur[5] and 1 or 0}
`)

// dailyScript adds an alert's contributions to one day's aggregate hash
// (KEYS[1]) unless they were added before. ARGV[1] is the alert's index
// field, ARGV[2] the key's TTL (ms), ARGV[3] the number of groups;
// each group is: bit, number of increments n, then n pairs of field and
// increment. The first group is always the alert's creation (bit 1). A group whose bit is already set in the index is skipped, so a
// replayed event, a retry after a lost reply, or a second replica changes
// nothing. It replies with the number of groups applied.
var dailyScript = redis.NewScript(`
local k, f = KEYS[1], ARGV[1]
local mask = tonumber(redis.call('HGET', k, f) or '0')
local applied, i = 0, 4
local fresh = bit.band(mask, 1) == 0
for g = 1, tonumber(ARGV[3]) do
  local b, n = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  i = i + 2
  if bit.band(mask, b) == 0 then
    for j = 0, n - 1 do
      redis.call('HINCRBY', k, ARGV[i + 2 * j], ARGV[i + 2 * j + 1])
    end
    mask = bit.bor(mask, b)
    applied = applied + 1
  end
  i = i + 2 * n
end
if applied > 0 then
  redis.call('HSET', k, f, mask)
  -- The expiry only changes when the day gains an alert; later events of
  -- the alert find it set.
  if fresh then redis.call('PEXPIRE', k, ARGV[2]) end
end
return applied
`)
