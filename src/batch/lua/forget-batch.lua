--[[
  Removes an ended batch from Redis now (`imgbatch batches prune`): every key of it and its
  entry in the batch index. Only if it is still ended and ended at or before the cutoff, so a
  batch enqueued again meanwhile is never removed. An index entry whose batch has expired
  (no header with a creation time) is dropped alone.
  KEYS: batch header, batch index. ARGV: batch id, cutoff (epoch ms).
  Returns 1 when it removed the batch, 2 when it dropped an expired entry, 0 otherwise.
]]
--- @include "includes/batch-lifetime"

if redis.call('HEXISTS', KEYS[1], 'createdAt') == 0 then
  return redis.call('ZREM', KEYS[2], ARGV[1]) * 2
end
local endedAt = tonumber(redis.call('HGET', KEYS[1], 'endedAt') or '-1')
if endedAt < 0 or endedAt > tonumber(ARGV[2]) then return 0 end
for _, suffix in ipairs(BATCH_KEY_SUFFIXES) do redis.call('DEL', KEYS[1] .. suffix) end
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
