--[[
  One deployment's bucket (GCRA form of a token bucket): `tat` is the theoretical arrival time
  of the next call; a call may start at max(now, tat - burst, cooldownUntil) and moves tat one
  interval on. Capacity 1 (burst 0) by default: Azure enforces requests per minute over
  1-10 s windows, so calls are spaced evenly rather than sent in bursts.
]]
--- @include "limiter-keys"
--- @include "slot-index"

-- The deployment's state, or nil when no worker registered it (its interval is unknown).
local function readBucket(prefix, name)
  local f = redis.call('HMGET', deploymentKey(prefix, name), 'tat', 'cooldownUntil', 'burstMs', 'intervalMs', 'perImage', 'rateFactor', 'paused', 'indexes')
  if not f[4] then return nil end
  return {
    -- The slot indexes it is in (slot-index.lua), nil for a state registered before they were mirrored here.
    indexes = f[8] or nil,
    tat = tonumber(f[1]) or 0,
    cooldownUntil = tonumber(f[2]) or 0,
    burst = tonumber(f[3]) or 0,
    interval = tonumber(f[4]),
    isPerImage = f[5] == '1',
    rateFactor = tonumber(f[6]) or 1,
    pausedReason = f[7],
  }
end

-- Quota units a call spends: 1 per request, or one per image where the quota counts images.
local function unitsOf(bucket, images)
  if bucket.isPerImage then return images end
  return 1
end

-- Books the next slot at or after notBefore for a call of `units`, at the rate in force (a
-- rate cut after repeated 429s spaces calls wider). Returns the slot, ms.
local function bookSlot(prefix, name, bucket, now, notBefore, units)
  local slot = math.max(now, notBefore, bucket.cooldownUntil, bucket.tat - bucket.burst)
  local tat = math.max(bucket.tat, slot) + bucket.interval * units / bucket.rateFactor
  redis.call('HSET', deploymentKey(prefix, name), 'tat', string.format('%.3f', tat), 'lastGrantAt', now)
  bucket.tat = tat
  rescore(prefix, name, nextFreeAt(tat, bucket.cooldownUntil, bucket.burst), bucket.indexes)
  return slot
end
