package metrics

import "github.com/redis/go-redis/v9"

// alertScript applies one event to one alert hash (KEYS[1]) atomically, so the
// first event of each kind wins however many replicas or clicks race.
//
// ARGV[1] op, ARGV[2] at (unix ms), then per op:
//
//	create: ttl (ms), severity, message, user, channel, sensitivity ("" = 1.0),
//	        source ("" = not known)
//	ack|ash|fr|res: by
//	opt: nothing
//	s0: session id
//	s1: session id, reason
//	fu (followup_sent), e1, e2 (escalated, level 1 or 2): nothing
//	fa (followup_answered): session id
//
// It replies {t0, sev, msg, ack, ack_by, ash, ash_by, opt, fr, res, sid,
// s0, s1, sr, uid, fu, fa, e1, e2, fr_by, res_by, status}: everything the
// record now holds that the daily aggregate and the day's facts hash count
// (nil where a kind is not stored), so that the updates riding after it can
// bring the day up to date with all of it, and status 1 recorded or 0
// duplicate; or {-1, reason} when
// rejected. Times are kept as strings or small
// numbers: Lua numbers are doubles, which hold unix milliseconds exactly but
// not snowflakes.
var alertScript = redis.NewScript(`
local k, op, at = KEYS[1], ARGV[1], tonumber(ARGV[2])
local cur = redis.call('HMGET', k, 't0', 'sev', 'msg', 'ack', 'ack_by', 'ash', 'ash_by', 'opt', 'fr', 'res', 'sid', 's0', 's1', 'sr', 'uid', 'fu', 'fa', 'e1', 'e2', 'fr_by', 'res_by')
local function reply(status)
  cur[22] = status
  return cur
end
if op == 'create' then
  if cur[1] then return reply(0) end
  if ARGV[8] ~= '' then
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7], 'sens', ARGV[8])
  else
    redis.call('HSET', k, 't0', ARGV[2], 'sev', ARGV[4], 'msg', ARGV[5], 'uid', ARGV[6], 'ch', ARGV[7])
  end
  if ARGV[9] and ARGV[9] ~= '' then redis.call('HSET', k, 'src', ARGV[9]) end
  redis.call('PEXPIRE', k, ARGV[3])
  cur[1], cur[2], cur[3], cur[15] = ARGV[2], ARGV[4], ARGV[5], ARGV[6]
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
elseif op == 'fr' then i = 9 elseif op == 'res' then i = 10 elseif op == 's0' then i = 12
elseif op == 'fu' then i = 16 elseif op == 'fa' then i = 17 elseif op == 'e1' then i = 18
elseif op == 'e2' then i = 19 else return {-1, 'unknown operation'} end
if op == 'fa' and not cur[16] then return {-1, 'followup_answered without followup_sent'} end
if cur[i] then return reply(0) end
cur[i] = off
if op == 'opt' or op == 'fu' or op == 'e1' or op == 'e2' then
  redis.call('HSET', k, op, off)
elseif op == 'fa' then
  redis.call('HSET', k, 'fa', off, 'fa_sid', ARGV[3])
elseif op == 's0' then
  redis.call('HSET', k, 's0', off, 'sid', ARGV[3])
  cur[11] = ARGV[3]
else
  redis.call('HSET', k, op, off, op .. '_by', ARGV[3])
  if op == 'ack' or op == 'ash' then cur[i + 1] = ARGV[3]
  elseif op == 'fr' then cur[20] = ARGV[3]
  elseif op == 'res' then cur[21] = ARGV[3] end
end
return reply(1)
`)

// dailyScript brings one alert's contributions to its day's aggregate hash
// (KEYS[1]) up to date with everything its record holds. ARGV:
//
//	1 the alert's index field, 2 the key's TTL (ms),
//	3 severity, 4 hour field, 5 ack seconds, 6 ack by ("" when that is
//	the person the alert is about: no responder), 7 Ash seconds,
//	8 Ash kind field, 9 opt-out ("1"), 10 first response seconds,
//	11 resolution seconds, 12 session started ("1"), 13 session end
//	reason, 14 completed session seconds, 15 follow-up sent ("1"),
//	16 follow-up answered ("1"), 17 escalated at any level ("1"),
//	18 escalated to the leads ("1")
//
// with "" for a kind the record does not hold. Each kind is added once:
// its bit in the index field (the bit* constants) says it was, so a
// replayed event, a retry after a lost reply, or a second replica changes
// nothing, and any event of an alert fills in whatever a crash between the
// two scripts of an earlier event left out. The field names are those of
// keys.go (TestFullLifecycle reads them back through them). It replies 1
// if it added anything, else 0.
var dailyScript = redis.NewScript(`
local k, f = KEYS[1], ARGV[1]
local was = tonumber(redis.call('HGET', k, f) or '0')
local mask = was
-- Spelled out, not looped: this runs for every event, and the bit test
-- comes before any string is built.
if bit.band(mask, 1) == 0 then
  redis.call('HINCRBY', k, 'alerts', 1)
  redis.call('HINCRBY', k, 'sev:' .. ARGV[3], 1)
  redis.call('HINCRBY', k, ARGV[4], 1)
  mask = mask + 1
end
if ARGV[5] ~= '' and bit.band(mask, 2) == 0 then
  redis.call('HINCRBY', k, 'ack:n', 1)
  redis.call('HINCRBY', k, 'ack:sum', ARGV[5])
  if ARGV[6] ~= '' then redis.call('HINCRBY', k, 'resp:' .. ARGV[6], 1) end
  mask = mask + 2
end
if ARGV[7] ~= '' and bit.band(mask, 4) == 0 then
  redis.call('HINCRBY', k, 'ash:n', 1)
  redis.call('HINCRBY', k, 'ash:sum', ARGV[7])
  redis.call('HINCRBY', k, ARGV[8], 1)
  mask = mask + 4
end
if ARGV[9] ~= '' and bit.band(mask, 8) == 0 then
  redis.call('HINCRBY', k, 'optout', 1)
  mask = mask + 8
end
if ARGV[10] ~= '' and bit.band(mask, 16) == 0 then
  redis.call('HINCRBY', k, 'first:n', 1)
  redis.call('HINCRBY', k, 'first:sum', ARGV[10])
  mask = mask + 16
end
if ARGV[11] ~= '' and bit.band(mask, 32) == 0 then
  redis.call('HINCRBY', k, 'res:n', 1)
  redis.call('HINCRBY', k, 'res:sum', ARGV[11])
  mask = mask + 32
end
if ARGV[12] ~= '' and bit.band(mask, 64) == 0 then
  redis.call('HINCRBY', k, 'sess:started', 1)
  mask = mask + 64
end
if ARGV[13] ~= '' and bit.band(mask, 128) == 0 then
  redis.call('HINCRBY', k, 'sess:end:' .. ARGV[13], 1)
  if ARGV[14] ~= '' then redis.call('HINCRBY', k, 'sess:sum', ARGV[14]) end
  mask = mask + 128
end
if ARGV[15] ~= '' and bit.band(mask, 256) == 0 then
  redis.call('HINCRBY', k, 'fu:sent', 1)
  mask = mask + 256
end
if ARGV[16] ~= '' and bit.band(mask, 512) == 0 then
  redis.call('HINCRBY', k, 'fu:answered', 1)
  mask = mask + 512
end
if ARGV[17] ~= '' and bit.band(mask, 1024) == 0 then
  redis.call('HINCRBY', k, 'esc:' .. ARGV[3], 1)
  mask = mask + 1024
end
if ARGV[18] ~= '' and bit.band(mask, 2048) == 0 then
  redis.call('HINCRBY', k, 'esc2:' .. ARGV[3], 1)
  mask = mask + 2048
end
if mask == was then return 0 end
redis.call('HSET', k, f, mask)
-- The expiry only changes when the day gains an alert; later events of
-- the alert find it set.
if bit.band(was, 1) == 0 then redis.call('PEXPIRE', k, ARGV[2]) end
return 1
`)
