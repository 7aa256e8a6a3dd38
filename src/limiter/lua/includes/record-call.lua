--[[
  recordCall: what record-call.lua does, for it and for finish-call.lua (a job's usual end, the
  call log written in the same round trip). After a call that came back (any answer but 429):
  logs it for "calls in the last minute" (and in its minute of the last hour's counts), and, on
  success, gives back part of a rate cut (additive increase). The rate in force spaces the
  slots booked from now on; it does not move the next free slot, so the slot indexes stay as
  they are.

  KEYS[ko + 1] deployment state hash, KEYS[ko + 2] call log (sorted set), KEYS[ko + 3] per-minute
  counts (hash); ARGV[ao + 1] outcome, ARGV[ao + 2] recovery step, ARGV[ao + 3] a unique
  call-log member id.
]]
--- @include "../../../lua/includes/redis-now-ms"
--- @include "count-call-minute"

local function recordCall(ko, ao)
  local now = redisNowMs()
  if ARGV[ao + 1] == 'ok' then
    local factor = tonumber(redis.call('HGET', KEYS[ko + 1], 'rateFactor') or '1')
    if factor < 1 then
      factor = math.min(1, factor + tonumber(ARGV[ao + 2]))
      redis.call('HSET', KEYS[ko + 1], 'rateFactor', string.format('%.4f', factor))
    end
  end
  redis.call('ZADD', KEYS[ko + 2], now, now .. ':' .. ARGV[ao + 1] .. ':' .. ARGV[ao + 3])
  -- The log is trimmed, and its expiry moved, by the first call of each minute only (two
  -- commands less per call): it holds at most two minutes of calls, readers take the last one
  -- by score (recent-calls.lua), and it lives at least a minute past its last call.
  if countCallMinute(KEYS[ko + 3], now, false) then
    redis.call('ZREMRANGEBYSCORE', KEYS[ko + 2], 0, now - 60000)
    redis.call('PEXPIRE', KEYS[ko + 2], 180000)
  end
end
