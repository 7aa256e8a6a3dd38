--[[
  Makes sure a job is counted in its batch, however it was added (a BullMQ client in another
  language adds jobs without our producer); its images reopen an ended batch.
  KEYS: batch hash, batch job set, batch index. ARGV: now, batch id, job field, images.
  Returns 1 when the job was new to the batch.
]]
--- @include "includes/batch-lifetime"

if redis.call('SADD', KEYS[2], ARGV[3]) == 0 then return 0 end
redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1])
redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
redis.call('HINCRBY', KEYS[1], 'images', tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[1], 'jobs', 1)
reopenBatch(KEYS[1])
return 1
