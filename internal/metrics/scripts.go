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
// It replies {status, t0, severity, value, detail}: status 1 recorded,
// 0 duplicate (value/detail then describe the first event, so the daily
// update can still be replayed), or {-1, reason} when rejected. Times are
// kept as strings or small numbers: Lua numbers are doubles, which hold unix
// milliseconds exactly but not snowflakes.
var alertScript = redis.NewScript(`
local k, op, at = KEYS[1], ARGV[1], tonumber(ARGV[2])
if op == 'create' then
  local t0 = redis.call('HGET', k, 't0')
  if t0 then
    return {0, tonumber(t0), redis.call('HGET', k, 'sev'), 0, redis.call('HGET', k, 'msg')}
  end
  redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7])
  if ARGV[8] ~= '' then redis.call('HSET', k, 'sens', ARGV[8]) end
  redis.call('PEXPIRE', k, ARGV[3])
  return {1, at, ARGV[4], 0, ARGV[5]}
end
local t0 = redis.call('HGET', k, 't0')
if not t0 then return {-1, 'unknown alert'} end
t0 = tonumber(t0)
local sev = redis.call('HGET', k, 'sev')
local off = at - t0
if off < 0 then return {-1, 'at is before the alert was created'} end
if op == 's1' then
  local s0 = redis.call('HGET', k, 's0')
  if not s0 then return {-1, 'session_ended without session_started'} end
  if redis.call('HGET', k, 'sid') ~= ARGV[3] then return {-1, 'session_id does not match the started session'} end
  local s1 = redis.call('HGET', k, 's1')
  if s1 then
    return {0, t0, sev, tonumber(s1) - tonumber(s0), redis.call('HGET', k, 'sr')}
  end
  if off < tonumber(s0) then return {-1, 'session ended before it started'} end
  redis.call('HSET', k, 's1', off, 'sr', ARGV[4])
  return {1, t0, sev, off - tonumber(s0), ARGV[4]}
end
local field, byField = op, op .. '_by'
if op == 's0' then field, byField = 's0', 'sid' end
if op == 'opt' then byField = nil end
local prev = redis.call('HGET', k, field)
if prev then
  local by = ''
  if byField then by = redis.call('HGET', k, byField) or '' end
  return {0, t0, sev, tonumber(prev), by}
end
if byField then
  redis.call('HSET', k, field, off, byField, ARGV[3])
  return {1, t0, sev, off, ARGV[3]}
end
redis.call('HSET', k, field, off)
return {1, t0, sev, off, ''}
`)

// dailyScript adds an alert's contributions to one day's aggregate hash
// (KEYS[1]) unless they were added before. ARGV[1] is the alert's index
// field, ARGV[2] the key's TTL (ms), ARGV[3] the number of groups;
// each group is: bit, number of increments n, then n pairs of field and
// increment. A group whose bit is already set in the index is skipped, so a
// replayed event, a retry after a lost reply, or a second replica changes
// nothing. It replies with the number of groups applied.
var dailyScript = redis.NewScript(`
local k, f = KEYS[1], ARGV[1]
local mask = tonumber(redis.call('HGET', k, f) or '0')
local applied, i = 0, 4
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
  redis.call('PEXPIRE', k, ARGV[2])
end
return applied
`)
