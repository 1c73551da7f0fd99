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
// It replies {status, t0, sev, msg, ack, ack_by, ash, ash_by, opt, fr, res,
// sid, s0, s1, sr}: status 1 recorded or 0 duplicate, then everything the
// record now holds that the daily aggregate counts (nil where a kind is not
// stored), so that the daily update can bring the day up to date with all
// of it; or {-1, reason} when rejected. Times are kept as strings or small
// numbers: Lua numbers are doubles, which hold unix milliseconds exactly but
// not snowflakes.
var alertScript = redis.NewScript(`
local k, op, at = KEYS[1], ARGV[1], tonumber(ARGV[2])
local cur = redis.call('HMGET', k, 't0', 'sev', 'msg', 'ack', 'ack_by', 'ash', 'ash_by', 'opt', 'fr', 'res', 'sid', 's0', 's1', 'sr')
local function reply(status)
  table.insert(cur, 1, status)
  return cur
end
if op == 'create' then
  if cur[1] then return reply(0) end
  if ARGV[8] ~= '' then
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7], 'sens', ARGV[8])
  else
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7])
  end
  redis.call('PEXPIRE', k, ARGV[3])
  cur[1], cur[2], cur[3] = ARGV[2], ARGV[4], ARGV[5]
  return reply(1)
end
if not cur[1] then return {-1, 'unknown alert'} end
local off = at - tonumber(cur[1])
if off < 0 then return {-1, 'at is before the alert was created'} end
if op == 's1' then
  if not cur[12] then return {-1, 'session_ended without session_started'} end
  if cur[11] ~= ARGV[3] then return {-1, 'session_id does not match the started session'} end
  if cur[13] then return reply(0) end
  if off < tonumber(cur[12]) then return {-1, 'session ended before it started'} end
  redis.call('HSET', k, 's1', off, 'sr', ARGV[4])
  cur[13], cur[14] = off, ARGV[4]
  return reply(1)
end
-- The slot in cur of the field that holds the event's time; most kinds
-- also store who (or, for a session start, which session) in a second one.
local i
if op == 'ack' then i = 4 elseif op == 'ash' then i = 6 elseif op == 'opt' then i = 8
elseif op == 'fr' then i = 9 elseif op == 'res' then i = 10 else i = 12 end
if cur[i] then return reply(0) end
cur[i] = off
if op == 'opt' then
  redis.call('HSET', k, 'opt', off)
elseif op == 's0' then
  redis.call('HSET', k, 's0', off, 'sid', ARGV[3])
  cur[11] = ARGV[3]
else
  redis.call('HSET', k, op, off, op .. '_by', ARGV[3])
  if op == 'ack' or op == 'ash' then cur[i + 1] = ARGV[3] end
end
return reply(1)
`)

// dailyScript adds an alert's contributions to one day's aggregate hash
// (KEYS[1]) unless they were added before. ARGV[1] is the alert's index
// field, ARGV[2] the key's TTL (ms), ARGV[3] the number of groups;
// each group is: bit, number of increments n, then n pairs of field and
// increment. The recorder sends a group for every event the alert record
// holds, the alert's creation (bit 1) first. A group whose bit is already
// set in the index is skipped, so a replayed event, a retry after a lost
// reply, or a second replica changes nothing, and any event of an alert
// fills in whatever an earlier crash left out. It replies with the number
// of groups applied.
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
