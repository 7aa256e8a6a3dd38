--[[
  recordOutcome: what record-outcome.lua does, for it and for finish-call.lua. Its keys are
  KEYS[ko + 1 .. ko + 6] and its arguments ARGV[ao + 1 .. ao + 7]; `stateKey`, when given, is
  the job's state hash, deleted with its last outcome.
]]
--- @include "emit-webhook-events"
--- @include "batch-lifetime"

local function recordOutcome(ko, ao, stateKey)
  -- An image's first outcome (the usual case) is set in one command; only one set before is read.
  local previous = false
  local isChanged = true
  if redis.call('HSETNX', KEYS[ko + 1], ARGV[ao + 1], ARGV[ao + 2]) == 0 then
    previous = redis.call('HGET', KEYS[ko + 1], ARGV[ao + 1])
    isChanged = previous ~= ARGV[ao + 2]
    if isChanged then redis.call('HSET', KEYS[ko + 1], ARGV[ao + 1], ARGV[ao + 2]) end
  end
  -- The header's fields both includes need, in one read (commands per image are what a batch costs Redis).
  local header = redis.call('HMGET', KEYS[ko + 4], 'callbackUrl', 'images')
  if isChanged then
    redis.call('HINCRBY', KEYS[ko + 2], ARGV[ao + 2], 1)
    if previous then redis.call('HINCRBY', KEYS[ko + 2], previous, -1) end
    emitWebhookEvents(ko, ARGV[ao + 4], ARGV[ao + 6], previous, ARGV[ao + 2], header[1] ~= false)
  end
  -- An image's first outcome has no error or reason to clear: clear-outcome.lua drops them with
  -- the outcome (one command less per image, of the few per image the batch itself costs).
  if ARGV[ao + 3] ~= '' then
    redis.call('HSET', KEYS[ko + 3], ARGV[ao + 1], ARGV[ao + 3])
  elseif previous then
    redis.call('HDEL', KEYS[ko + 3], ARGV[ao + 1])
  end
  -- The reason code goes with the error it explains: both set, or both cleared.
  if ARGV[ao + 7] ~= '' then
    redis.call('HSET', KEYS[ko + 6], ARGV[ao + 1], ARGV[ao + 7])
  elseif previous then
    redis.call('HDEL', KEYS[ko + 6], ARGV[ao + 1])
  end
  -- An outcome set never lowers the number of images done, so it never reopens the batch.
  settleBatchLifetime(KEYS[ko + 4], KEYS[ko + 2], tonumber(ARGV[ao + 5]), false, header[2] or '0')
  if stateKey then redis.call('DEL', stateKey) end
  return previous
end
