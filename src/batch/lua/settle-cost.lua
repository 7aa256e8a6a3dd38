--[[
  Counts what one call cost and, if it is the job's open call, closes it and drops the job's
  reservation. Every call paid is added: an image made again (deleted from the store, or
  generated but not kept) was paid again, and the budget and the spend must say so. The call's
  marker makes the script safe to run twice for one call (a command sent again after a
  reconnect, or the call of a worker that lost its job settled by both): the second run counts
  nothing. The marker is a field of the job's state hash, which goes when the job completes (a
  key per call, kept for a day, was 120 bytes of Redis per image).
  The open call is closed only when it is this call: a worker that lost its job (its lock
  expired in a Redis pause) and settles its call late must not close the call the job's next
  run has opened since.
  A call that may have been billed without our knowing (it timed out) is counted the same way,
  and also under `possiblyBilledMicros`, so the spend can say how much of it is a guess.
  KEYS: batch hash, reservations hash (of earlier versions), per-image costs hash, spend over all batches, the job's
  state hash, spend per client, spend per client today. ARGV: job id, the call's micro-USD,
  'billed' or 'possibly', call id, job state TTL seconds, then (image field, micro-USD) pairs.
  A batch made by an API client (header field `client`) adds the cost to the client's spend, in
  all and on today's UTC day, which its daily cap is checked against.
]]
--- @include "includes/budget-reservation"

-- The job's reservation belongs to its open call: a late settlement of another call (a worker
-- that lost the job, or a command sent again) must leave the open call's reservation alone,
-- or other jobs would take that in-flight cost as free and the batch could pass its budget.
local open = redis.call('HMGET', KEYS[5], 'openCallId', 'openClient', 'openReserved')
local openCallId = open[1]
local wasOpen = openCallId == ARGV[4]
-- The batch's client as open-call.lua saw it ('' for none); nil when the call was not open here
-- (or opened before the client was kept with it): then the header is read.
local knownClient
if wasOpen then
  knownClient = open[2] or nil
  dropOpenReservation(KEYS[1], KEYS[2], ARGV[1], open[3])
  redis.call('HDEL', KEYS[5], 'openCall', 'openCallId', 'openUntilMs', 'openClient', 'openReserved')
end
if redis.call('HSETNX', KEYS[5], 'settled:' .. ARGV[4], 1) == 0 then return 0 end
-- A first settlement while no call is open (the job state lost it): a reservation an earlier
-- version kept for the job in the batch's hash is nobody else's.
if not openCallId then dropReservation(KEYS[1], KEYS[2], ARGV[1]) end
-- A job state that held this call open has its expiry (open-call.lua set it).
if not wasOpen and redis.call('TTL', KEYS[5]) < 0 then redis.call('EXPIRE', KEYS[5], tonumber(ARGV[5])) end
for i = 6, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
end
local total = tonumber(ARGV[2])
if total ~= 0 then
  redis.call('HINCRBY', KEYS[1], 'spentMicros', total)
  redis.call('HINCRBY', KEYS[4], 'spentMicros', total)
  if ARGV[3] == 'possibly' then
    redis.call('HINCRBY', KEYS[1], 'possiblyBilledMicros', total)
    redis.call('HINCRBY', KEYS[4], 'possiblyBilledMicros', total)
  end
  local client = knownClient
  if client == nil then client = redis.call('HGET', KEYS[1], 'client') end
  if client and client ~= '' then
    redis.call('HINCRBY', KEYS[6], client, total)
    redis.call('HINCRBY', KEYS[7], client, total)
    redis.call('EXPIRE', KEYS[7], 604800)
  end
end
return total
