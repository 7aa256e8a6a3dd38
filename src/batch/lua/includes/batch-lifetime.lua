--[[
  A batch's keys live while it runs and for a retention after it ends (the config's
  batchRetentionDays), so Redis holds only the batches of the last weeks. The other keys of a
  batch are named from its header the way src/queue/key-space.ts names them.
]]
--- @include "../../../lua/includes/redis-now-ms"

local BATCH_KEY_SUFFIXES = {'', ':outcomes', ':counts', ':errors', ':reasons', ':jobs', ':costs', ':cost-reservations', ':webhooks'}

-- `knownImages`: the header's `images` when the caller read it already (nil: read here).
local function isBatchDone(header, counts, knownImages)
  local images = tonumber(knownImages or redis.call('HGET', header, 'images') or '0')
  if images == 0 then return false end
  local done = 0
  for _, count in ipairs(redis.call('HVALS', counts)) do done = done + tonumber(count) end
  return done >= images
end

-- The batch runs again (images added, an outcome cleared): its keys are kept until it ends again.
local function reopenBatch(header)
  if redis.call('HDEL', header, 'endedAt') == 0 then return end
  for _, suffix in ipairs(BATCH_KEY_SUFFIXES) do redis.call('PERSIST', header .. suffix) end
end

--[[
  After an outcome changed: a batch whose every image has an outcome gets `endedAt` (once) and
  its keys expire `retentionSeconds` later; a key written after the end (a first error of an
  image recorded again) gets the time the others have left. A batch that runs again is reopened
  (`canReopen` false: the change cannot have lowered the number of images done). `knownImages`:
  the header's `images`, when the caller read it already.
]]
local function settleBatchLifetime(header, counts, retentionSeconds, canReopen, knownImages)
  if not isBatchDone(header, counts, knownImages) then
    if canReopen ~= false then reopenBatch(header) end
    return
  end
  local hasJustEnded = redis.call('HSETNX', header, 'endedAt', redisNowMs()) == 1
  local ttl = retentionSeconds
  if not hasJustEnded then
    ttl = redis.call('TTL', header)
    if ttl < 0 then ttl = retentionSeconds end
  end
  for _, suffix in ipairs(BATCH_KEY_SUFFIXES) do
    local key = header .. suffix
    if hasJustEnded or redis.call('TTL', key) == -1 then redis.call('EXPIRE', key, ttl) end
  end
end
