--[[
  Adds jobs to a batch and counts their images in one step, so a crash between the two can
  never leave a job known but its images uncounted. Refuses a different images-per-call than
  the batch was made with: job ids encode the variants each call covers, so mixing settings
  would put one image in two jobs (counted twice, perhaps paid twice). New images reopen an
  ended batch.
  The jobs added are counted in their line's field of the unstarted lines (src/queue/unstarted-lines.ts)
  until a worker starts them.
  KEYS: batch hash, batch job set, batch index, unstarted lines, the batches that left downloads
  pending. ARGV: now (epoch ms), batch id, images per
  call, then (job field (src/batch/batch-field.ts), images, line or '' for none) triples. Returns {'mismatch',
  existing} or {'ok', added job ids...}.
]]
--- @include "includes/batch-lifetime"

local existing = redis.call('HGET', KEYS[1], 'imagesPerCall')
if existing and existing ~= ARGV[3] then return {'mismatch', existing} end
-- A batch made here has never left a download pending (src/queue/pending-downloads.ts), unless
-- a batch of its id (pruned since) did and those downloads may still be there: its jobs skip
-- reading theirs until one does. A batch made before that was kept has no such field, and its
-- jobs read them.
if redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1]) == 1 then
  local leftUntil = tonumber(redis.call('HGET', KEYS[5], ARGV[2]) or '0')
  redis.call('HSETNX', KEYS[1], 'downloadsLeft', leftUntil > tonumber(ARGV[1]) and '1' or '0')
end
redis.call('HSETNX', KEYS[1], 'imagesPerCall', ARGV[3])
redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
local reply = {'ok'}
local images = 0
local lines = {}
for i = 4, #ARGV, 3 do
  if redis.call('SADD', KEYS[2], ARGV[i]) == 1 then
    table.insert(reply, ARGV[i])
    images = images + tonumber(ARGV[i + 1])
    if ARGV[i + 2] ~= '' then lines[ARGV[i + 2]] = (lines[ARGV[i + 2]] or 0) + 1 end
  end
end
for line, jobs in pairs(lines) do redis.call('HINCRBY', KEYS[4], line, jobs) end
if #reply > 1 then
  redis.call('HINCRBY', KEYS[1], 'images', images)
  redis.call('HINCRBY', KEYS[1], 'jobs', #reply - 1)
  reopenBatch(KEYS[1])
end
return reply
