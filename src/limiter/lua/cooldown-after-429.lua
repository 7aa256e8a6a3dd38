--[[
  After a 429: no slot before now + waitMs (the later of this and any cooldown already set).
  A 429 that comes after the last cooldown ended, within a minute of the last 429, also cuts
  the deployment's effective rate (multiplicative decrease): Azure can lower a limit for a
  while on shared capacity. With a job id, the job that got the 429 is given the
  deployment's first slot at or after the cooldown (take-front-slot.lua).

  KEYS[1] deployment state hash, KEYS[2] call log (sorted set), KEYS[3] reservations hash,
  KEYS[4] per-minute counts (hash)
  ARGV[1] limiter key prefix, ARGV[2] deployment name, ARGV[3] waitMs, ARGV[4] decrease factor,
  ARGV[5] lowest rate factor, ARGV[6] a unique call-log member id, ARGV[7] job id ('' for none),
  ARGV[8] images in the job's call

  Returns {cooldownUntil, rateFactor, ms from now to the slot held for the job, or -1 when none
  was taken (no job id, or the deployment is paused or not registered)}.
]]
--- @include "../../lua/includes/redis-now-ms"
--- @include "includes/limiter-keys"
--- @include "includes/count-call-minute"
--- @include "includes/slot-index"
--- @include "includes/bucket"
--- @include "includes/reservation"
--- @include "includes/take-front-slot"

local stateKey = KEYS[1]
local prefix = ARGV[1]
local name = ARGV[2]
local jobId = ARGV[7]
local now = redisNowMs()
local untilMs = now + tonumber(ARGV[3])
local previous = tonumber(redis.call('HGET', stateKey, 'cooldownUntil') or '0')
local current = math.max(previous, untilMs)
redis.call('HSET', stateKey, 'cooldownUntil', current)
local factor = tonumber(redis.call('HGET', stateKey, 'rateFactor') or '1')
local last429 = tonumber(redis.call('HGET', stateKey, 'last429At') or '0')
-- One cut per throttling episode: 429s for calls already in flight during a cooldown say
-- nothing new, a 429 after the cooldown ended (within a minute of the last) does.
if now - last429 < 60000 and now >= previous then
  factor = math.max(tonumber(ARGV[5]), factor * tonumber(ARGV[4]))
  redis.call('HSET', stateKey, 'rateFactor', string.format('%.4f', factor))
end
redis.call('HSET', stateKey, 'last429At', now)
redis.call('HINCRBY', stateKey, 'rateLimited', 1)
redis.call('ZADD', KEYS[2], now, now .. ':429:' .. ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[2], 0, now - 60000)
redis.call('PEXPIRE', KEYS[2], 120000)
countCallMinute(KEYS[4], now, true)

local retryIn = -1
local bucket = readBucket(prefix, name)
if bucket then
  rescore(prefix, name, nextFreeAt(bucket.tat, bucket.cooldownUntil, bucket.burst), bucket.indexes)
  if jobId ~= '' and not bucket.pausedReason then
    local held = redis.call('HGET', KEYS[3], jobId)
    if held then
      local heldName = parseReservation(held)
      if heldName then dropReservation(KEYS[3], prefix, jobId, heldName) end
    end
    local slot = takeFrontSlot(KEYS[3], prefix, name, bucket, jobId, now, current, unitsOf(bucket, tonumber(ARGV[8])))
    retryIn = math.ceil(slot - now)
  end
end
return {current, string.format('%.4f', factor), retryIn}
