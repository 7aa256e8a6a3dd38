--[[
  Moves one image from one outcome to another only if it is still where the caller saw it, so
  a cancel never overwrites an outcome a worker wrote a moment before, and bringing a cancelled
  image back never wipes one a worker just stored.
  KEYS as record-outcome.lua; ARGV: image field, expected outcome ('' for none), new outcome
  ('' to clear), batch id, retention after the end in seconds, image key (for webhook events).
  Returns 1 when it moved the image.
]]
--- @include "includes/emit-webhook-events"
--- @include "includes/batch-lifetime"

local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if previous ~= ARGV[2] then return 0 end
if previous ~= '' then redis.call('HINCRBY', KEYS[2], previous, -1) end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[1])
else
  redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
  redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[6], ARGV[1])
emitWebhookEvents(0, ARGV[4], ARGV[6], previous, ARGV[3])
settleBatchLifetime(KEYS[4], KEYS[2], tonumber(ARGV[5]))
return 1
