--[[
  Keeps (or updates) a job's pending download of one image, and marks its batch as one that
  has left a download pending, so that its jobs read theirs on their next start (start-job.lua
  skips the read, a command per image, for a batch whose `downloadsLeft` is '0'). The mark is
  never taken back: a batch that left one download pending pays the read from then on. A
  batch hash that is gone is not made again for the mark.
  The batch is also noted in the batches that left downloads pending, until that time: the
  job's downloads outlive a batch pruned meanwhile, and a batch made again (same id, same job
  ids) must read them (add-jobs.lua).
  KEYS: the job's pending downloads hash, the batch hash, the batches that left downloads
  pending. ARGV: variant, the download (JSON), when the key may go (epoch ms: the URLs' end and
  a while after), the batch id.
]]

redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
-- The key goes once its URLs can no longer be fetched (the images of one job come from one
-- answer, so they expire together): Redis stays bounded.
redis.call('PEXPIREAT', KEYS[1], ARGV[3])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('HSET', KEYS[2], 'downloadsLeft', '1') end
local previous = tonumber(redis.call('HGET', KEYS[3], ARGV[4]) or '0')
if tonumber(ARGV[3]) > previous then redis.call('HSET', KEYS[3], ARGV[4], ARGV[3]) end
-- The hash goes with its latest entry (GT leaves a key with no expiry as it is: set it plainly then).
if redis.call('PTTL', KEYS[3]) == -1 then redis.call('PEXPIREAT', KEYS[3], ARGV[3]) else redis.call('PEXPIREAT', KEYS[3], ARGV[3], 'GT') end
return 1
