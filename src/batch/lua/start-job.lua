--[[
  A job's first step in a worker, one round trip: the job counted in its batch if it is new
  there (however it was added: a BullMQ client in another language adds jobs without our
  producer; its images reopen an ended batch), and its state read, with the time its open call
  (if any) may still run by Redis's clock, the clock open-call.lua set its deadline by; and the
  batch's budget and spend, for the check before a slot is taken (open-call.lua checks again).
  A job's first start counts it down in its line of the unstarted lines (src/queue/unstarted-lines.ts).
  KEYS: batch hash, batch job set, batch index, the job's state hash, unstarted lines.
  ARGV: now, batch id, job field, images, the job's line on its first start ('' on a later one).
  Returns {job state (HGETALL), ms the open call may still run (0: past its deadline; -1: none),
  {budget or false, spent, reserved} in micro-USD, then the batch's `downloadsLeft` ('0': no job of
  it ever left a download pending, so none is read; else false or '1')}.
]]
--- @include "../../lua/includes/redis-now-ms"
--- @include "includes/batch-lifetime"

if redis.call('SADD', KEYS[2], ARGV[3]) == 1 then
  redis.call('HSETNX', KEYS[1], 'createdAt', ARGV[1])
  redis.call('ZADD', KEYS[3], 'NX', ARGV[1], ARGV[2])
  redis.call('HINCRBY', KEYS[1], 'images', tonumber(ARGV[4]))
  redis.call('HINCRBY', KEYS[1], 'jobs', 1)
  reopenBatch(KEYS[1])
end
if ARGV[5] ~= '' and redis.call('HINCRBY', KEYS[5], ARGV[5], -1) <= 0 then redis.call('HDEL', KEYS[5], ARGV[5]) end
local state = redis.call('HGETALL', KEYS[4])
local left = -1
for i = 1, #state, 2 do
  if state[i] == 'openUntilMs' then left = math.max(0, tonumber(state[i + 1]) - redisNowMs()) end
end
return {state, left, redis.call('HMGET', KEYS[1], 'maxCostMicros', 'spentMicros', 'reservedMicros', 'downloadsLeft')}
