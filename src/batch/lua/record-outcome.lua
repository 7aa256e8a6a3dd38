--[[
  Sets one image's outcome and keeps the per-status counters right however often it runs:
  a job retried after a crash records the same outcome again without counting it twice (nor
  sending its webhook events twice). The last outcome of a batch starts its retention.
  KEYS: outcomes hash, counts hash, errors hash, batch header, webhook outbox, reasons hash, and
  for a job's last outcome its state hash, deleted with it (the job is done: one round trip, not two).
  ARGV: image field (src/batch/batch-field.ts), outcome, error ('' for none), batch id, retention
  after the end in seconds, image key (for webhook events), reason code ('' for none).
]]
--- @include "includes/emit-webhook-events"
--- @include "includes/batch-lifetime"

-- An image's first outcome (the usual case) is set in one command; only one set before is read.
local previous = false
local isChanged = true
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then
  previous = redis.call('HGET', KEYS[1], ARGV[1])
  isChanged = previous ~= ARGV[2]
  if isChanged then redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) end
end
-- The header's fields both includes need, in one read (commands per image are what a batch costs Redis).
local header = redis.call('HMGET', KEYS[4], 'callbackUrl', 'images')
if isChanged then
  redis.call('HINCRBY', KEYS[2], ARGV[2], 1)
  if previous then redis.call('HINCRBY', KEYS[2], previous, -1) end
  emitWebhookEvents(ARGV[4], ARGV[6], previous, ARGV[2], header[1] ~= false)
end
-- An image's first outcome has no error or reason to clear: clear-outcome.lua drops them with
-- the outcome (one command less per image, of the few per image the batch itself costs).
if ARGV[3] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
elseif previous then
  redis.call('HDEL', KEYS[3], ARGV[1])
end
-- The reason code goes with the error it explains: both set, or both cleared.
if ARGV[7] ~= '' then
  redis.call('HSET', KEYS[6], ARGV[1], ARGV[7])
elseif previous then
  redis.call('HDEL', KEYS[6], ARGV[1])
end
-- An outcome set never lowers the number of images done, so it never reopens the batch.
settleBatchLifetime(KEYS[4], KEYS[2], tonumber(ARGV[5]), false, header[2] or '0')
if KEYS[7] then redis.call('DEL', KEYS[7]) end
return previous
