--[[
  Forgets one image's outcome (it is to be made again), which reopens an ended batch.
  KEYS: outcomes hash, counts hash, errors hash, batch header, reasons hash. ARGV: image field (src/batch/batch-field.ts).
]]
--- @include "includes/batch-lifetime"

local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HINCRBY', KEYS[2], previous, -1)
  reopenBatch(KEYS[4])
end
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[5], ARGV[1])
return previous
